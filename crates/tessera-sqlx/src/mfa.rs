//! MFA state in `tessera_mfa_accounts` and `tessera_mfa_destinations`.

use tessera_mfa::{AccountState, DestinationKey, DestinationState, MfaStore};
use tessera_store::{StoreError, UserId, Version, Versioned};

use crate::SqlPool;
use crate::document::{decode, encode};
use crate::table::{Doc, list_keys, load_doc, save_doc};

const ACCOUNTS: &str = "tessera_mfa_accounts";
const DESTINATIONS: &str = "tessera_mfa_destinations";

/// An [`MfaStore`]: each account's MFA state (settings, throttle and lockout, pending
/// challenges, recovery codes, remembered devices) as one row of
/// `tessera_mfa_accounts`, each delivery destination's send counters as one row of
/// `tessera_mfa_destinations`; JSON documents (codes and tokens only as keyed hashes),
/// compare-and-set on `version`.
#[derive(Clone, Debug)]
pub struct SqlMfaStore {
    pool: SqlPool,
}

impl SqlMfaStore {
    /// The store on `pool` (run [`migrate`](crate::migrate) once first).
    pub fn new(pool: impl Into<SqlPool>) -> Self {
        Self { pool: pool.into() }
    }

    /// The pool it uses.
    #[must_use]
    pub fn pool(&self) -> &SqlPool {
        &self.pool
    }
}

impl MfaStore for SqlMfaStore {
    async fn load_account(&self, user: &UserId) -> Result<Versioned<AccountState>, StoreError> {
        let row = load_doc(&self.pool, Doc::MFA_ACCOUNTS, user.as_str()).await?;
        row.map_or_else(|| Ok(Versioned::default()), |row| decode(ACCOUNTS, row))
    }

    async fn save_account(
        &self,
        user: &UserId,
        state: &Versioned<AccountState>,
    ) -> Result<Version, StoreError> {
        let data = encode(ACCOUNTS, &state.value)?;
        let (doc, key) = (Doc::MFA_ACCOUNTS, user.as_str());
        save_doc(&self.pool, doc, key, state.version, &data).await
    }

    async fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> Result<Versioned<DestinationState>, StoreError> {
        let row = load_doc(&self.pool, Doc::MFA_DESTINATIONS, key.as_str()).await?;
        row.map_or_else(|| Ok(Versioned::default()), |row| decode(DESTINATIONS, row))
    }

    async fn save_destination(
        &self,
        key: &DestinationKey,
        state: &Versioned<DestinationState>,
    ) -> Result<Version, StoreError> {
        let data = encode(DESTINATIONS, &state.value)?;
        let (doc, key) = (Doc::MFA_DESTINATIONS, key.as_str());
        save_doc(&self.pool, doc, key, state.version, &data).await
    }

    async fn list_accounts(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        list_keys(
            &self.pool,
            Doc::MFA_ACCOUNTS,
            after.map(UserId::as_str),
            limit,
        )
        .await
        .map(|keys| keys.into_iter().map(UserId::new).collect())
    }
}
