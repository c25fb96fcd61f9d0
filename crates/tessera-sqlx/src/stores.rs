//! The three stores on one pool, opened and migrated in one call.

#[cfg(feature = "sqlite")]
use std::path::Path;
use std::time::Duration;

use crate::{Error, Result, SqlAccountStore, SqlDeviceStore, SqlMfaStore, SqlPool, migrate};

/// How long a SQLite connection waits for another connection's (or process's) write
/// to finish before failing with "database is locked".
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections per pool, unless the caller builds the pool itself.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// How long an operation waits for a pooled connection (all busy, or the server away
/// and being reconnected to) before failing with a backend error. sqlx's own default
/// is 30 s, too long for a person waiting on a sign-in page.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Every Tessera store on one database: accounts, MFA devices and MFA state.
///
/// The stores are cheap to clone (they share the pool); hand them to
/// [`tessera::Accounts`], [`tessera_registry::DeviceRegistry`] and
/// [`tessera_mfa::Mfa`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqlStores {
    /// Accounts (`tessera_accounts`).
    pub accounts: SqlAccountStore,
    /// Each user's MFA devices (`tessera_devices`).
    pub devices: SqlDeviceStore,
    /// MFA state and send counters (`tessera_mfa_accounts`, `tessera_mfa_destinations`).
    pub mfa: SqlMfaStore,
}

impl SqlStores {
    /// The stores on an existing pool, after running the migrations on it.
    ///
    /// # Errors
    /// What [`migrate`] returns.
    pub async fn new(pool: impl Into<SqlPool>) -> Result<Self> {
        let pool = pool.into();
        migrate(&pool).await?;
        Ok(Self {
            accounts: SqlAccountStore::new(&pool),
            devices: SqlDeviceStore::new(&pool),
            mfa: SqlMfaStore::new(&pool),
        })
    }

    /// Opens (creating it if missing) the SQLite database file at `path` with
    /// [`sqlite_options`], migrates it, and returns the stores: the embedded default.
    ///
    /// # Errors
    /// [`Error::Database`] when the file cannot be opened or created;
    /// [`Error::SqliteNotAFile`] for `:memory:`; what [`migrate`] returns.
    #[cfg(feature = "sqlite")]
    pub async fn open_sqlite(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() || path == Path::new(":memory:") {
            return Err(Error::SqliteNotAFile);
        }
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(DEFAULT_MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(sqlite_options(path))
            .await?;
        Self::new(pool).await
    }

    /// Connects to a database by URL and returns its migrated stores:
    /// `sqlite:<path>` (or `sqlite://<path>`, created if missing, with
    /// [`sqlite_options`]) or `postgres://…` / `postgresql://…`.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`] for another scheme or one whose feature is off;
    /// [`Error::Database`] when the connection fails; what [`migrate`] returns.
    pub async fn connect(url: &str) -> Result<Self> {
        #[cfg(feature = "sqlite")]
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            return Self::open_sqlite(path).await;
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(DEFAULT_MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await?;
            return Self::new(pool).await;
        }
        let _ = url;
        Err(Error::UnsupportedUrl)
    }

    /// The pool the stores share.
    #[must_use]
    pub fn pool(&self) -> &SqlPool {
        self.devices.pool()
    }
}

/// The options Tessera recommends for a SQLite file, for a caller that builds its own
/// pool: created if missing, WAL journal (readers never block the writer, several
/// processes can share the file), `synchronous = FULL` (a committed write survives a
/// power cut: a used code's step must not come back), a
/// [`SQLITE_BUSY_TIMEOUT`] so a write waits for another process's rather than fail.
#[cfg(feature = "sqlite")]
#[must_use]
pub fn sqlite_options(path: impl AsRef<Path>) -> sqlx::sqlite::SqliteConnectOptions {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
}
