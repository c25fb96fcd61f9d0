//! Databases for the tests: a fresh SQLite file, or a fresh schema on the PostgreSQL
//! server named by `TESSERA_TEST_POSTGRES_URL`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use std::sync::{Arc, LazyLock};

use tessera_sqlx::SqlPool;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// The variable that names the PostgreSQL server for the tests.
pub(crate) const PG_URL_VAR: &str = "TESSERA_TEST_POSTGRES_URL";

/// Runs one statement of a test's set-up on either database; panics if it fails.
pub(crate) async fn exec(pool: &SqlPool, sql: &str) {
    match pool {
        SqlPool::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        SqlPool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        _ => unreachable!(),
    }
    .unwrap();
}

/// The one value of a one-row, one-column query on either database (a count, a
/// document's text); panics if it fails.
pub(crate) async fn scalar<T>(pool: &SqlPool, sql: &str) -> T
where
    T: Send + Unpin + sqlx::Type<sqlx::Sqlite> + sqlx::Type<sqlx::Postgres>,
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + for<'r> sqlx::Decode<'r, sqlx::Postgres>,
{
    match pool {
        SqlPool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        SqlPool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        _ => unreachable!(),
    }
    .unwrap()
}

/// A name no other test (in this or another process) uses.
pub(crate) fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A temporary folder, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("tessera-sqlx"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where a test's database lives, in a form a child process can be handed.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server and the schema the test owns on it.
    Postgres { url: String, schema: String },
}

impl Target {
    /// One line, for an environment variable.
    pub(crate) fn encode(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite\t{}", p.display()),
            Self::Postgres { url, schema } => format!("postgres\t{url}\t{schema}"),
        }
    }

    pub(crate) fn decode(s: &str) -> Self {
        let parts: Vec<&str> = s.split('\t').collect();
        match parts.as_slice() {
            ["sqlite", p] => Self::Sqlite(PathBuf::from(p)),
            ["postgres", url, schema] => Self::Postgres {
                url: (*url).to_owned(),
                schema: (*schema).to_owned(),
            },
            _ => panic!("bad target {s:?}"),
        }
    }

    /// A new pool of `max` connections to it (migrations not run).
    pub(crate) async fn pool(&self, max: u32) -> SqlPool {
        match self {
            Self::Sqlite(p) => sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(max)
                .connect_with(tessera_sqlx::sqlite_options(p))
                .await
                .unwrap()
                .into(),
            Self::Postgres { url, schema } => sqlx::postgres::PgPoolOptions::new()
                .max_connections(max)
                .connect_with(pg_options(url).options([("search_path", schema.as_str())]))
                .await
                .unwrap()
                .into(),
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }
}

pub(crate) fn pg_options(url: &str) -> sqlx::postgres::PgConnectOptions {
    url.parse().unwrap()
}

/// A test database: a SQLite file in a temporary folder, or a fresh PostgreSQL schema
/// (dropped at the end).
pub(crate) struct TestDb {
    pub(crate) target: Target,
    pub(crate) dir: TempDir,
    /// PostgreSQL tests share the server; the restart test has it alone.
    _server: Option<ServerGuard>,
}

/// Shared use of the PostgreSQL server by most tests, exclusive by the one that
/// restarts it (the tests of this binary run in parallel threads).
enum ServerGuard {
    Shared(#[allow(dead_code)] OwnedRwLockReadGuard<()>), // Held, never read.
    Exclusive(#[allow(dead_code)] OwnedRwLockWriteGuard<()>), // Held, never read.
}

static SERVER: LazyLock<Arc<RwLock<()>>> = LazyLock::new(|| Arc::new(RwLock::new(())));

impl TestDb {
    pub(crate) fn sqlite() -> Self {
        let dir = TempDir::new();
        Self {
            target: Target::Sqlite(dir.path().join("tessera.db")),
            dir,
            _server: None,
        }
    }

    /// A fresh schema on the test server; `None` (after a skip note) without one,
    /// except under `CI=true`, where a missing server fails the test.
    pub(crate) async fn postgres(test: &str) -> Option<Self> {
        Self::postgres_with(test, false).await
    }

    /// [`postgres`](Self::postgres), with the server to itself: no other test runs
    /// on it meanwhile (for restarting it).
    pub(crate) async fn postgres_exclusive(test: &str) -> Option<Self> {
        Self::postgres_with(test, true).await
    }

    async fn postgres_with(test: &str, exclusive: bool) -> Option<Self> {
        let Ok(url) = std::env::var(PG_URL_VAR) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{PG_URL_VAR} is not set under CI=true: the PostgreSQL tests must run \
                 (.ci/run starts a server)"
            );
            eprintln!("skip {test}: set {PG_URL_VAR} to run it on PostgreSQL");
            return None;
        };
        let guard = if exclusive {
            ServerGuard::Exclusive(Arc::clone(&SERVER).write_owned().await)
        } else {
            ServerGuard::Shared(Arc::clone(&SERVER).read_owned().await)
        };
        let schema = unique("tessera_test");
        let admin = sqlx::PgPool::connect_with(pg_options(&url)).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        Some(Self {
            target: Target::Postgres { url, schema },
            dir: TempDir::new(),
            _server: Some(guard),
        })
    }

    pub(crate) async fn pool(&self, max: u32) -> SqlPool {
        self.target.pool(max).await
    }

    /// A migrated pool.
    pub(crate) async fn migrated(&self, max: u32) -> SqlPool {
        let pool = self.pool(max).await;
        tessera_sqlx::migrate(&pool).await.unwrap();
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Target::Postgres { url, schema } = &self.target {
            // Best effort, on a runtime of its own (drop may run outside one).
            let (url, schema) = (url.clone(), schema.clone());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let admin = sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .connect_with(pg_options(&url))
                        .await;
                    if let Ok(admin) = admin {
                        // A test that left a transaction open must not hang the run.
                        let _ = sqlx::query("SET lock_timeout = '5s'").execute(&admin).await;
                        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                            .execute(&admin)
                            .await;
                        admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs `body` on SQLite, then on PostgreSQL when a server is configured.
#[macro_export]
macro_rules! on_both {
    ($test:expr, |$db:ident| $body:expr) => {{
        {
            let $db = $crate::common::TestDb::sqlite();
            $body;
        }
        if let Some($db) = $crate::common::TestDb::postgres($test).await {
            $body;
        }
    }};
}
