//! One pool, SQLite or PostgreSQL, and the three statement shapes every store uses.
//!
//! Every store operation is one statement (a read by key, a conditional write, a
//! sorted page of keys), so the stores need no transactions: the database's own
//! atomicity of a single `UPDATE … WHERE version = ?` or `INSERT … ON CONFLICT DO
//! NOTHING` is the compare-and-set. The statements use `$1`-style parameters, which
//! both drivers accept, so one text serves both databases.

use sqlx::Row as _;

use crate::Error;

/// A connection pool to the database the stores live in.
///
/// Build it from sqlx's own pool (`SqlitePool`, `PgPool`, or a reference to one) with
/// `From`; cloning is cheap (the pool is shared).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SqlPool {
    /// A SQLite database file.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    /// A PostgreSQL database.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

#[cfg(feature = "sqlite")]
impl From<sqlx::SqlitePool> for SqlPool {
    fn from(pool: sqlx::SqlitePool) -> Self {
        Self::Sqlite(pool)
    }
}

#[cfg(feature = "sqlite")]
impl From<&sqlx::SqlitePool> for SqlPool {
    fn from(pool: &sqlx::SqlitePool) -> Self {
        Self::Sqlite(pool.clone())
    }
}

#[cfg(feature = "postgres")]
impl From<sqlx::PgPool> for SqlPool {
    fn from(pool: sqlx::PgPool) -> Self {
        Self::Postgres(pool)
    }
}

#[cfg(feature = "postgres")]
impl From<&sqlx::PgPool> for SqlPool {
    fn from(pool: &sqlx::PgPool) -> Self {
        Self::Postgres(pool.clone())
    }
}

impl From<&Self> for SqlPool {
    fn from(pool: &Self) -> Self {
        pool.clone()
    }
}

impl SqlPool {
    /// Closes every connection; the stores on this pool fail from then on.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => p.close().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => p.close().await,
        }
    }

    /// A row's `version`, `format` and `data` columns, by its key.
    pub(crate) async fn fetch_doc(
        &self,
        sql: &'static str,
        key: &str,
    ) -> Result<Option<(i64, i64, String)>, Error> {
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => sqlx::query_as(sql).bind(key).fetch_optional(p).await?,
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => sqlx::query_as(sql).bind(key).fetch_optional(p).await?,
        })
    }

    /// The first column of the row with key `key` (bound as `$1`), as text.
    pub(crate) async fn fetch_text(
        &self,
        sql: &'static str,
        key: &str,
    ) -> Result<Option<String>, Error> {
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => sqlx::query_scalar(sql).bind(key).fetch_optional(p).await?,
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => sqlx::query_scalar(sql).bind(key).fetch_optional(p).await?,
        })
    }

    /// Every row's `version`, `format` and `data` columns: a page of documents.
    /// `after` is bound as `$1` and `limit` next when given; `sql` says which it uses.
    pub(crate) async fn fetch_docs(
        &self,
        sql: &'static str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(i64, i64, String)>, Error> {
        macro_rules! run {
            ($pool:expr) => {{
                let q = sqlx::query_as(sql);
                let q = match after {
                    Some(a) => q.bind(a),
                    None => q,
                };
                q.bind(limit).fetch_all($pool).await?
            }};
        }
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => run!(p),
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => run!(p),
        })
    }

    /// Runs one write and returns how many rows it changed.
    pub(crate) async fn execute(&self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, Error> {
        // One macro body for both drivers: the binds differ only in type.
        macro_rules! run {
            ($pool:expr) => {{
                let mut q = sqlx::query(sql);
                for a in args {
                    q = match *a {
                        Arg::Text(t) => q.bind(t),
                        Arg::Int(i) => q.bind(i),
                    };
                }
                q.execute($pool).await?.rows_affected()
            }};
        }
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => run!(p),
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => run!(p),
        })
    }

    /// The first column of every row, as text: a page of keys. `after` is bound as
    /// `$1` and `limit` as `$2` when given; `sql` says which it uses.
    pub(crate) async fn fetch_keys(
        &self,
        sql: &'static str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, Error> {
        macro_rules! run {
            ($pool:expr) => {{
                let q = sqlx::query(sql);
                let q = match after {
                    Some(a) => q.bind(a),
                    None => q,
                };
                q.bind(limit)
                    .fetch_all($pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>(0))
                    .collect::<Result<Vec<_>, _>>()?
            }};
        }
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => run!(p),
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => run!(p),
        })
    }
}

/// A statement parameter.
#[derive(Clone, Copy)]
pub(crate) enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}
