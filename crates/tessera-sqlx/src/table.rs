//! The statements of the keyed document tables, and compare-and-set on them.

use tessera_store::{StoreError, Version};

use crate::SqlPool;
use crate::document::{DOCUMENT_FORMAT, backend, limit_to_db, to_db};
use crate::pool::Arg;

/// The statements of one keyed document table.
pub(crate) struct Doc {
    load: &'static str,
    insert: &'static str,
    update: &'static str,
    first_page: &'static str,
    next_page: &'static str,
}

impl Doc {
    pub(crate) const DEVICES: Self = Self {
        load: "SELECT version, format, data FROM tessera_devices WHERE user_id = $1",
        insert: "INSERT INTO tessera_devices (user_id, version, format, data)
                 VALUES ($1, 1, $2, $3) ON CONFLICT DO NOTHING",
        update: "UPDATE tessera_devices SET version = version + 1, format = $2, data = $3
                 WHERE user_id = $1 AND version = $4",
        first_page: "SELECT user_id FROM tessera_devices ORDER BY user_id LIMIT $1",
        next_page: "SELECT user_id FROM tessera_devices WHERE user_id > $1
                    ORDER BY user_id LIMIT $2",
    };
    pub(crate) const MFA_ACCOUNTS: Self = Self {
        load: "SELECT version, format, data FROM tessera_mfa_accounts WHERE user_id = $1",
        insert: "INSERT INTO tessera_mfa_accounts (user_id, version, format, data)
                 VALUES ($1, 1, $2, $3) ON CONFLICT DO NOTHING",
        update: "UPDATE tessera_mfa_accounts SET version = version + 1, format = $2, data = $3
                 WHERE user_id = $1 AND version = $4",
        first_page: "SELECT user_id FROM tessera_mfa_accounts ORDER BY user_id LIMIT $1",
        next_page: "SELECT user_id FROM tessera_mfa_accounts WHERE user_id > $1
                    ORDER BY user_id LIMIT $2",
    };
    pub(crate) const MFA_DESTINATIONS: Self = Self {
        load: "SELECT version, format, data FROM tessera_mfa_destinations
               WHERE destination = $1",
        insert: "INSERT INTO tessera_mfa_destinations (destination, version, format, data)
                 VALUES ($1, 1, $2, $3) ON CONFLICT DO NOTHING",
        update: "UPDATE tessera_mfa_destinations
                 SET version = version + 1, format = $2, data = $3
                 WHERE destination = $1 AND version = $4",
        first_page: "SELECT destination FROM tessera_mfa_destinations
                     ORDER BY destination LIMIT $1",
        next_page: "SELECT destination FROM tessera_mfa_destinations WHERE destination > $1
                    ORDER BY destination LIMIT $2",
    };
}

/// Compare-and-set of one document: an insert for a new aggregate (an existing row
/// means someone saved first), a conditional update otherwise. Either changes one row
/// or none; none is a [`StoreError::Conflict`].
pub(crate) async fn save_doc(
    pool: &SqlPool,
    doc: Doc,
    key: &str,
    expected: Version,
    data: &str,
) -> Result<Version, StoreError> {
    let changed = if expected.is_new() {
        pool.execute(
            doc.insert,
            &[Arg::Text(key), Arg::Int(DOCUMENT_FORMAT), Arg::Text(data)],
        )
        .await
    } else {
        pool.execute(
            doc.update,
            &[
                Arg::Text(key),
                Arg::Int(DOCUMENT_FORMAT),
                Arg::Text(data),
                Arg::Int(to_db(expected)?),
            ],
        )
        .await
    }
    .map_err(conflict_or_backend)?;
    match changed {
        1 => Ok(expected.next()),
        0 => Err(StoreError::Conflict),
        n => Err(backend(crate::Error::Database(sqlx::Error::Protocol(
            format!("a compare-and-set changed {n} rows"),
        )))),
    }
}

/// A page of keys in byte order, strictly after `after`.
pub(crate) async fn list_keys(
    pool: &SqlPool,
    doc: Doc,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let sql = if after.is_some() {
        doc.next_page
    } else {
        doc.first_page
    };
    pool.fetch_keys(sql, after, limit_to_db(limit))
        .await
        .map_err(backend)
}

/// A row's version, format and document, by its key.
pub(crate) async fn load_doc(
    pool: &SqlPool,
    doc: Doc,
    key: &str,
) -> Result<Option<(i64, i64, String)>, StoreError> {
    pool.fetch_doc(doc.load, key).await.map_err(backend)
}

/// A write's error: a serialization failure or deadlock (PostgreSQL at REPEATABLE READ
/// or SERIALIZABLE, when another save of the row committed first) wrote nothing and
/// means what a changed version means, [`StoreError::Conflict`]; anything else is a
/// backend failure.
pub(crate) fn conflict_or_backend(e: crate::Error) -> StoreError {
    if let crate::Error::Database(sqlx::Error::Database(db)) = &e {
        // SQLSTATE 40001 serialization_failure, 40P01 deadlock_detected.
        if matches!(db.code().as_deref(), Some("40001" | "40P01")) {
            return StoreError::Conflict;
        }
    }
    backend(e)
}
