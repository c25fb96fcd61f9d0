//! Where accounts live: the compare-and-set store trait and its in-memory implementation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tessera_store::{StoreError, UserId, Version, Versioned};

use crate::Account;

/// Storage for accounts, one versioned record each, in the style of the device and MFA
/// stores: load, change in memory, save only if the version is unchanged.
///
/// # What an implementation must guarantee
/// 1. **Unique id and username.** [`create`](Self::create) inserts a record at
///    version 1, or fails with [`StoreError::Duplicate`] (writing nothing) when
///    an account has that id or that username. Usernames arrive in canonical form
///    (trimmed, lowercase: see [`canonical_username`](crate::canonical_username)), so a
///    plain unique key suffices. Check and insert are one atomic step.
/// 2. **Atomic compare-and-set.** [`save`](Self::save) takes the account together
///    with the version it was read at (the [`Versioned`] that `load` or
///    `find_by_username` returned, its value changed). It writes the account and returns
///    the new (greater) version if and only if the stored version still equals that
///    one; otherwise it writes nothing and returns [`StoreError::Conflict`]. The flows
///    never change an account's id or username in `save`.
/// 3. **Read your writes**, durable before `Ok`, accounts kept apart: as the
///    `DeviceStore` documentation of `tessera-registry` spells out.
/// 4. **Hashes at rest.** The record holds the password hash and history: protect them
///    as password hashes, and never log them.
///
/// In SQL: a table with `id` primary key, `username` unique, `version`, and the fields
/// of [`AccountParts`](crate::AccountParts); `save` is
/// `UPDATE accounts SET …, version = version + 1 WHERE id = ? AND version = ?`.
pub trait AccountStore: Send + Sync {
    /// The account with this id, and its version; `None` when there is none.
    fn load(
        &self,
        id: &UserId,
    ) -> impl Future<Output = Result<Option<Versioned<Account>>, StoreError>> + Send;

    /// The account with this (canonical) username, and its version.
    fn find_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Versioned<Account>>, StoreError>> + Send;

    /// Inserts a new account at version 1.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the id or username exists (nothing written);
    /// [`StoreError::Backend`].
    fn create(&self, account: &Account)
    -> impl Future<Output = Result<Version, StoreError>> + Send;

    /// Stores `account.value` if its stored version is still `account.version`; returns
    /// the new one.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the version differs or the account does not
    /// exist (nothing written); [`StoreError::Backend`].
    fn save(
        &self,
        account: &Versioned<Account>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send;
}

impl<S: AccountStore + ?Sized> AccountStore for std::sync::Arc<S> {
    fn load(
        &self,
        id: &UserId,
    ) -> impl Future<Output = Result<Option<Versioned<Account>>, StoreError>> + Send {
        (**self).load(id)
    }

    fn find_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Versioned<Account>>, StoreError>> + Send {
        (**self).find_by_username(username)
    }

    fn create(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send {
        (**self).create(account)
    }

    fn save(
        &self,
        account: &Versioned<Account>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send {
        (**self).save(account)
    }
}

/// An [`AccountStore`] in a mutex-guarded map: one process, nothing survives a restart.
#[derive(Debug, Default)]
pub struct InMemoryAccountStore {
    inner: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    accounts: HashMap<UserId, Versioned<Account>>,
    usernames: HashMap<String, UserId>,
}

impl InMemoryAccountStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many accounts are stored.
    #[must_use]
    pub fn len(&self) -> usize {
        self.with(|t| t.accounts.len())
    }

    /// Whether no account is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn with<T>(&self, f: impl FnOnce(&mut Tables) -> T) -> T {
        // Each write replaces whole entries, so a poisoned lock still guards a
        // consistent map.
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

impl AccountStore for InMemoryAccountStore {
    async fn load(&self, id: &UserId) -> Result<Option<Versioned<Account>>, StoreError> {
        Ok(self.with(|t| t.accounts.get(id).cloned()))
    }

    async fn find_by_username(
        &self,
        username: &str,
    ) -> Result<Option<Versioned<Account>>, StoreError> {
        Ok(self.with(|t| {
            t.usernames
                .get(username)
                .and_then(|id| t.accounts.get(id))
                .cloned()
        }))
    }

    async fn create(&self, account: &Account) -> Result<Version, StoreError> {
        self.with(|t| {
            if t.accounts.contains_key(&account.id) || t.usernames.contains_key(&account.username) {
                return Err(StoreError::Duplicate);
            }
            let version = Version::NEW.next();
            t.usernames
                .insert(account.username.clone(), account.id.clone());
            t.accounts.insert(
                account.id.clone(),
                Versioned {
                    version,
                    value: account.clone(),
                },
            );
            Ok(version)
        })
    }

    async fn save(&self, account: &Versioned<Account>) -> Result<Version, StoreError> {
        self.with(|t| {
            let Some(stored) = t.accounts.get_mut(&account.value.id) else {
                return Err(StoreError::Conflict);
            };
            if stored.version != account.version || stored.value.username != account.value.username
            {
                return Err(StoreError::Conflict);
            }
            stored.version = account.version.next();
            stored.value = account.value.clone();
            Ok(stored.version)
        })
    }
}
