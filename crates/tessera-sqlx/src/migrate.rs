//! Embedded migrations and their runner, with bookkeeping in `tessera_migrations`.
//!
//! Not sqlx's `Migrator`: in sqlx 0.8 its table is always `_sqlx_migrations`, which the
//! application's own sqlx migrations use; two migrators on one table would each see
//! the other's rows as unknown migrations and refuse to run.

use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use sqlx::Row as _;

use crate::{Error, Result, SqlPool};

/// One embedded migration.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

#[cfg(feature = "sqlite")]
const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        description: "stores",
        sql: include_str!("../migrations/sqlite/0001_stores.sql"),
    },
    Migration {
        version: 2,
        description: "device fingerprints",
        sql: include_str!("../migrations/sqlite/0002_device_fingerprints.sql"),
    },
];

#[cfg(feature = "postgres")]
const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        description: "stores",
        sql: include_str!("../migrations/postgres/0001_stores.sql"),
    },
    Migration {
        version: 2,
        description: "device fingerprints",
        sql: include_str!("../migrations/postgres/0002_device_fingerprints.sql"),
    },
];

/// The bookkeeping table, the same on both databases.
const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS tessera_migrations (
    version     BIGINT NOT NULL PRIMARY KEY,
    description TEXT   NOT NULL,
    checksum    TEXT   NOT NULL,
    applied_at  BIGINT NOT NULL
)";

/// A key for PostgreSQL's advisory lock that serialises concurrent `migrate` calls
/// (the bytes of "tessera\0" as a number): several instances starting at once run
/// each migration exactly once.
#[cfg(feature = "postgres")]
const PG_LOCK_KEY: i64 = 0x7465_7373_6572_6100;

/// The newest migration this release embeds, for `pool`'s database.
#[must_use]
pub fn latest_migration(pool: &SqlPool) -> i64 {
    migrations(pool).last().map_or(0, |m| m.version)
}

fn migrations(pool: &SqlPool) -> &'static [Migration] {
    match pool {
        #[cfg(feature = "sqlite")]
        SqlPool::Sqlite(_) => SQLITE,
        #[cfg(feature = "postgres")]
        SqlPool::Postgres(_) => POSTGRES,
    }
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Creates or updates Tessera's tables in the pool's database: every embedded
/// migration not yet recorded in `tessera_migrations` runs, all in one transaction,
/// so a failure leaves the schema as it was.
///
/// Safe to call from every instance at start-up, at the same time: on PostgreSQL an
/// advisory lock, on SQLite a write transaction (`BEGIN IMMEDIATE`), lets one run
/// them while the others wait, then find nothing to do.
///
/// # Errors
/// [`Error::SchemaTooNew`] when a newer release migrated the database;
/// [`Error::MigrationChanged`] when a recorded migration's checksum differs;
/// [`Error::SqliteNotAFile`] for an in-memory or temporary SQLite database;
/// [`Error::Database`] when the database fails.
pub fn migrate(pool: impl Into<SqlPool>) -> impl Future<Output = Result<()>> + Send + 'static {
    migrate_pool(pool.into())
}

async fn migrate_pool(pool: SqlPool) -> Result<()> {
    let embedded = migrations(&pool);
    // Both branches run the same steps on their own transaction type.
    // The connection is named by its concrete type: through the `Transaction`'s
    // associated type the future's `Send` cannot be proven (rust-lang/rust#96865).
    macro_rules! run {
        ($tx:ident, $conn:ty) => {{
            let conn: &mut $conn = &mut $tx;
            let steps = async {
            sqlx::query(BOOKKEEPING).execute(&mut *conn).await?;
            let applied: Vec<(i64, String)> = sqlx::query(
                "SELECT version, checksum FROM tessera_migrations ORDER BY version",
            )
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
            check_applied(embedded, &applied)?;
            for m in embedded.iter().skip(applied.len()) {
                // A plain string runs unprepared, so it may hold several statements.
                sqlx::Executor::execute(&mut *conn, m.sql).await?;
                sqlx::query(
                    "INSERT INTO tessera_migrations (version, description, checksum, applied_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(m.version)
                .bind(m.description)
                .bind(checksum(m.sql))
                .bind(now())
                .execute(&mut *conn)
                .await?;
            }
            Ok::<(), Error>(())
            };
            // Roll back now rather than when the connection is next used: an open
            // transaction would hold its locks (and block other migrations) meanwhile.
            match steps.await {
                Ok(()) => $tx.commit().await?,
                Err(e) => {
                    let _ = $tx.rollback().await;
                    return Err(e);
                }
            }
        }};
    }
    match &pool {
        #[cfg(feature = "sqlite")]
        SqlPool::Sqlite(p) => {
            // `PRAGMA database_list` names the main database's file; "" is an
            // in-memory or temporary one.
            let file: String = sqlx::query("PRAGMA database_list")
                .fetch_one(p)
                .await?
                .try_get("file")?;
            if file.is_empty() {
                return Err(Error::SqliteNotAFile);
            }
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
            run!(tx, sqlx::SqliteConnection);
        }
        #[cfg(feature = "postgres")]
        SqlPool::Postgres(p) => {
            let mut tx = p.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
            run!(tx, sqlx::PgConnection);
        }
    }
    Ok(())
}

/// The recorded migrations must be exactly the first embedded ones.
fn check_applied(embedded: &[Migration], applied: &[(i64, String)]) -> Result<()> {
    let known = embedded.last().map_or(0, |m| m.version);
    for (i, (version, sum)) in applied.iter().enumerate() {
        let Some(m) = embedded.get(i).filter(|m| m.version == *version) else {
            return Err(Error::SchemaTooNew {
                found: applied.last().map_or(*version, |a| a.0),
                known,
            });
        };
        if *sum != checksum(m.sql) {
            return Err(Error::MigrationChanged { version: *version });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        #[cfg(feature = "sqlite")]
        for (i, m) in SQLITE.iter().enumerate() {
            assert_eq!(m.version, i64::try_from(i).unwrap() + 1);
        }
        #[cfg(feature = "postgres")]
        for (i, m) in POSTGRES.iter().enumerate() {
            assert_eq!(m.version, i64::try_from(i).unwrap() + 1);
        }
    }

    #[test]
    fn recorded_migrations_are_checked() {
        let embedded = &[Migration {
            version: 1,
            description: "one",
            sql: "CREATE TABLE t (x INT)",
        }];
        let good = (1, checksum("CREATE TABLE t (x INT)"));
        check_applied(embedded, &[]).unwrap();
        check_applied(embedded, std::slice::from_ref(&good)).unwrap();
        assert!(matches!(
            check_applied(embedded, &[(1, checksum("CREATE TABLE t (y INT)"))]),
            Err(Error::MigrationChanged { version: 1 })
        ));
        assert!(matches!(
            check_applied(embedded, &[good, (2, "x".into())]),
            Err(Error::SchemaTooNew { found: 2, known: 1 })
        ));
    }
}
