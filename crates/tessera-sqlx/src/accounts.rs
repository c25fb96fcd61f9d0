//! Accounts in `tessera_accounts`.

use serde::{Deserialize, Serialize};
use tessera::{Account, AccountLifecycle, AccountParts, AccountStore, SecurityStamp};
use tessera_mfa::EmailAddress;
use tessera_otp::UnixTime;
use tessera_password::PasswordHistory;
use tessera_store::{StoreError, UserId, Version, Versioned};

use crate::document::{DOCUMENT_FORMAT, backend, decode, encode, to_db};
use crate::pool::Arg;
use crate::table::conflict_or_backend;
use crate::{Error, SqlPool};

const TABLE: &str = "tessera_accounts";

/// An [`AccountStore`] in the `tessera_accounts` table: `id` and `username` as unique
/// columns (so `create` refuses either taken with one `INSERT … ON CONFLICT DO
/// NOTHING`), the rest of the account as a JSON document, compare-and-set on
/// `version`. The document holds password hashes: protect the table as such.
#[derive(Clone, Debug)]
pub struct SqlAccountStore {
    pool: SqlPool,
}

impl SqlAccountStore {
    /// The store on `pool` (run [`migrate`](crate::migrate) once first).
    pub fn new(pool: impl Into<SqlPool>) -> Self {
        Self { pool: pool.into() }
    }

    /// The pool it uses.
    #[must_use]
    pub fn pool(&self) -> &SqlPool {
        &self.pool
    }

    async fn fetch(
        &self,
        sql: &'static str,
        key: &str,
    ) -> Result<Option<Versioned<Account>>, StoreError> {
        let Some(row) = self.pool.fetch_doc(sql, key).await.map_err(backend)? else {
            return Ok(None);
        };
        let doc: Versioned<AccountDoc> = decode(TABLE, row)?;
        Ok(Some(Versioned::new(doc.version, doc.value.into_account()?)))
    }
}

/// An account as stored: every field of [`AccountParts`], in plain types.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountDoc {
    id: String,
    username: String,
    email: String,
    password_hash: Option<String>,
    history: Vec<String>,
    identity_provider: Option<String>,
    created_at: u64,
    password_changed_at: Option<u64>,
    stamp: u64,
    password_long_enough_alone: bool,
    /// Absent from documents written before it: nothing pending.
    #[serde(default)]
    lifecycle: AccountLifecycle,
}

impl AccountDoc {
    fn of(account: &Account) -> Self {
        Self {
            id: account.id().as_str().to_owned(),
            username: account.username().to_owned(),
            email: account.email().as_str().to_owned(),
            password_hash: account.password_hash().map(str::to_owned),
            history: account.password_history().hashes().to_vec(),
            identity_provider: account.identity_provider().map(str::to_owned),
            created_at: account.created_at().as_secs(),
            password_changed_at: account.password_changed_at().map(UnixTime::as_secs),
            stamp: account.security_stamp().get(),
            password_long_enough_alone: account.password_long_enough_alone(),
            lifecycle: account.lifecycle().clone(),
        }
    }

    /// The account, checked as [`Account::from_parts`] checks what a store kept.
    fn into_account(self) -> Result<Account, StoreError> {
        let invalid = |e: &dyn std::fmt::Display| {
            backend(Error::Document {
                table: TABLE,
                source: e.to_string().into(),
            })
        };
        let email = EmailAddress::parse(&self.email).map_err(|e| invalid(&e))?;
        let mut parts = AccountParts::new(
            UserId::new(self.id),
            self.username,
            email,
            UnixTime::from_secs(self.created_at),
        );
        parts.password_hash = self.password_hash;
        parts.history = PasswordHistory::from_hashes(self.history).map_err(|e| invalid(&e))?;
        parts.identity_provider = self.identity_provider;
        parts.password_changed_at = self.password_changed_at.map(UnixTime::from_secs);
        parts.stamp = SecurityStamp::new(self.stamp);
        parts.password_long_enough_alone = self.password_long_enough_alone;
        parts.lifecycle = self.lifecycle;
        Account::from_parts(parts).map_err(|e| invalid(&e))
    }
}

impl AccountStore for SqlAccountStore {
    async fn load(&self, id: &UserId) -> Result<Option<Versioned<Account>>, StoreError> {
        self.fetch(
            "SELECT version, format, data FROM tessera_accounts WHERE id = $1",
            id.as_str(),
        )
        .await
    }

    async fn find_by_username(
        &self,
        username: &str,
    ) -> Result<Option<Versioned<Account>>, StoreError> {
        self.fetch(
            "SELECT version, format, data FROM tessera_accounts WHERE username = $1",
            username,
        )
        .await
    }

    async fn create(&self, account: &Account) -> Result<Version, StoreError> {
        let data = encode(TABLE, &AccountDoc::of(account))?;
        // No conflict target: a taken id and a taken username both insert nothing.
        let changed = self
            .pool
            .execute(
                "INSERT INTO tessera_accounts (id, username, version, format, data)
                 VALUES ($1, $2, 1, $3, $4) ON CONFLICT DO NOTHING",
                &[
                    Arg::Text(account.id().as_str()),
                    Arg::Text(account.username()),
                    Arg::Int(DOCUMENT_FORMAT),
                    Arg::Text(&data),
                ],
            )
            .await
            .map_err(backend)?;
        if changed == 1 {
            Ok(Version::NEW.next())
        } else {
            Err(StoreError::Duplicate)
        }
    }

    async fn save(&self, account: &Versioned<Account>) -> Result<Version, StoreError> {
        let (expected, account) = (account.version, &account.value);
        let data = encode(TABLE, &AccountDoc::of(account))?;
        // The username is part of the condition: the flows never rename in `save`, and
        // a save that tried to would otherwise bypass the unique check's meaning.
        let changed = self
            .pool
            .execute(
                "UPDATE tessera_accounts SET version = version + 1, format = $3, data = $4
                 WHERE id = $1 AND username = $2 AND version = $5",
                &[
                    Arg::Text(account.id().as_str()),
                    Arg::Text(account.username()),
                    Arg::Int(DOCUMENT_FORMAT),
                    Arg::Text(&data),
                    Arg::Int(to_db(expected)?),
                ],
            )
            .await
            .map_err(conflict_or_backend)?;
        if changed == 1 {
            Ok(expected.next())
        } else {
            Err(StoreError::Conflict)
        }
    }
}
