//! The embedded migrations: one call, idempotent, concurrent-safe, their own table.

use std::sync::Arc;

use tessera_sqlx::{Error, SqlPool, SqlStores, latest_migration, migrate};

use crate::common::{exec, scalar};
use crate::on_both;

async fn count(pool: &SqlPool, sql: &str) -> i64 {
    scalar(pool, sql).await
}

/// Eight `migrate` calls at once (instances starting together), then more: every
/// migration recorded once, in `tessera_migrations`, and an application's own
/// `_sqlx_migrations` table left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrate_runs_once_even_when_called_concurrently() {
    on_both!("migrate_runs_once_even_when_called_concurrently", |db| {
        let app = db.pool(1).await;
        // The application's own sqlx migrations, recorded before ours run.
        exec(
            &app,
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY)",
        )
        .await;
        exec(
            &app,
            "INSERT INTO _sqlx_migrations (version) VALUES (20240101)",
        )
        .await;
        let unix_now = || {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            i64::try_from(now.unwrap().as_secs()).unwrap()
        };
        let started = unix_now();
        let pools: Vec<SqlPool> = futures_pools(&db, 8).await;
        let tasks: Vec<_> = pools
            .into_iter()
            .map(|p| tokio::spawn(async move { migrate(&p).await }))
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        migrate(&app).await.unwrap();
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM tessera_migrations").await,
            latest_migration(&app)
        );
        assert_eq!(
            count(&app, "SELECT MAX(version) FROM tessera_migrations").await,
            2,
            "0001 stores, 0002 device fingerprints"
        );
        // Each is recorded with when it ran, by the system clock.
        let (first, last) = (
            count(&app, "SELECT MIN(applied_at) FROM tessera_migrations").await,
            count(&app, "SELECT MAX(applied_at) FROM tessera_migrations").await,
        );
        assert!(started <= first && last <= unix_now(), "{first}..{last}");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM _sqlx_migrations").await,
            1
        );
        for table in [
            "tessera_devices",
            "tessera_mfa_accounts",
            "tessera_mfa_destinations",
            "tessera_accounts",
            "tessera_device_fingerprints",
        ] {
            assert_eq!(
                count(&app, &format!("SELECT COUNT(*) FROM {table}")).await,
                0
            );
        }
    });
}

async fn futures_pools(db: &crate::common::TestDb, n: usize) -> Vec<SqlPool> {
    let mut pools = Vec::new();
    for _ in 0..n {
        pools.push(db.pool(1).await);
    }
    pools
}

/// A database migrated by a newer release, or by an edited migration, is refused
/// with an error that says so; nothing is changed.
#[tokio::test]
async fn newer_or_edited_schemas_are_refused() {
    on_both!("newer_or_edited_schemas_are_refused", |db| {
        let pool = db.migrated(1).await;
        exec(
            &pool,
            "INSERT INTO tessera_migrations (version, description, checksum, applied_at) \
             VALUES (99, 'future', 'x', 0)",
        )
        .await;
        let e = migrate(&pool).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::SchemaTooNew {
                    found: 99,
                    known: 2
                }
            ),
            "{e:?}"
        );
        exec(&pool, "DELETE FROM tessera_migrations WHERE version = 99").await;
        exec(
            &pool,
            "UPDATE tessera_migrations SET checksum = 'edited' WHERE version = 1",
        )
        .await;
        let e = migrate(&pool).await.unwrap_err();
        assert!(matches!(e, Error::MigrationChanged { version: 1 }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "migration 1 was applied with different content"
        );
    });
}

/// SQLite must be a file: an in-memory database would be one database per pooled
/// connection, and compare-and-set across them would guard nothing.
#[tokio::test]
async fn in_memory_sqlite_is_refused() {
    assert!(matches!(
        SqlStores::open_sqlite(":memory:").await,
        Err(Error::SqliteNotAFile)
    ));
    assert!(matches!(
        SqlStores::connect("sqlite::memory:").await,
        Err(Error::SqliteNotAFile)
    ));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(2)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    assert!(matches!(migrate(&pool).await, Err(Error::SqliteNotAFile)));
    assert!(matches!(
        SqlStores::connect("mysql://localhost/x").await,
        Err(Error::UnsupportedUrl)
    ));
}

/// An empty path is no file either; and a PostgreSQL URL is taken in both of its
/// spellings (`postgres://` and `postgresql://`), each connected and migrated.
#[tokio::test]
async fn empty_paths_are_refused_and_both_postgres_schemes_connect() {
    assert!(matches!(
        SqlStores::open_sqlite("").await,
        Err(Error::SqliteNotAFile)
    ));
    let Some(db) = crate::common::TestDb::postgres("both_postgres_schemes").await else {
        return;
    };
    let crate::common::Target::Postgres { url, schema } = &db.target else {
        unreachable!()
    };
    let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let sep = if rest.contains('?') { '&' } else { '?' };
    for scheme in ["postgres", "postgresql"] {
        let url = format!("{scheme}://{rest}{sep}options=-c%20search_path%3D{schema}");
        let stores = SqlStores::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert!(matches!(stores.pool(), SqlPool::Postgres(_)));
        stores.pool().close().await;
    }
}

/// `open_sqlite` creates the file, in WAL mode, and a second open finds it migrated.
#[tokio::test]
async fn open_sqlite_creates_a_wal_file() {
    let dir = crate::common::TempDir::new();
    let path = dir.path().join("sub.db");
    let stores = SqlStores::open_sqlite(&path).await.unwrap();
    assert!(path.exists());
    let SqlPool::Sqlite(p) = stores.pool() else {
        unreachable!()
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(sync, 2, "synchronous = FULL");
    stores.pool().close().await;
    assert!(
        sqlx::query("SELECT 1").execute(p).await.is_err(),
        "a closed pool serves nothing"
    );
    let again = SqlStores::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert_eq!(
        count(again.pool(), "SELECT COUNT(*) FROM tessera_migrations").await,
        latest_migration(again.pool())
    );
    let _ = Arc::new(again);
}
