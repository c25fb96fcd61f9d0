//! The crate's one error.

/// Why opening, migrating or using the SQL stores failed.
///
/// The stores themselves return [`tessera_store::StoreError`]: a backend failure there
/// is a [`StoreError::Backend`](tessera_store::StoreError::Backend) whose
/// [`source`](std::error::Error::source) is one of these, whose own source is the
/// driver's error, so a service can log the whole chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database or the driver failed (connection, I/O, SQL, timeout).
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// A stored document does not decode: written by hand, truncated, or for another
    /// type. Its content is not echoed (it may hold password hashes).
    #[error("a stored document in {table} does not decode")]
    Document {
        /// The table the row came from.
        table: &'static str,
        /// The decoder's error (positions and kinds, not the document).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored document has a format this release does not know (a newer release
    /// wrote it): refused rather than misread.
    #[error("a stored document in {table} has format {format}, this release reads format {known}")]
    UnsupportedFormat {
        /// The table the row came from.
        table: &'static str,
        /// The row's format.
        format: i64,
        /// The format this release reads and writes.
        known: i64,
    },
    /// A version does not fit the database's signed 64-bit column, or a stored one is
    /// negative.
    #[error("version out of range for the database")]
    VersionOutOfRange,
    /// The database was migrated by a release that knows migrations this one does not.
    #[error("the database schema is at migration {found}, newer than this release's {known}")]
    SchemaTooNew {
        /// The newest migration recorded in `tessera_migrations`.
        found: i64,
        /// The newest migration this release embeds.
        known: i64,
    },
    /// A migration recorded as applied differs from the one this release embeds (it
    /// was edited after it ran somewhere).
    #[error("migration {version} was applied with different content")]
    MigrationChanged {
        /// The migration's number.
        version: i64,
    },
    /// The SQLite database is not a file (`:memory:` or a temporary database): every
    /// connection of a pool would get a database of its own, and compare-and-set
    /// across them would guard nothing.
    #[error("the SQLite database must be a file, not an in-memory or temporary database")]
    SqliteNotAFile,
    /// The database URL names no backend this build supports.
    #[error("unsupported database url: expected sqlite: or postgres: (with its crate feature)")]
    UnsupportedUrl,
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

/// The crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
