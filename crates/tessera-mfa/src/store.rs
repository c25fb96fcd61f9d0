//! The versioned, compare-and-set state store and its in-memory implementation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tessera_store::{StoreError, UserId, Version, Versioned};

use crate::AccountState;

/// The key of a delivery destination's send counters: `email:<address>` or
/// `sms:<E.164 number>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DestinationKey(pub(crate) String);

impl DestinationKey {
    /// The key as a string, for a store to index by.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Send counters for one destination, shared by every account that sends to it (so one
/// phone number cannot be pumped through many accounts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DestinationState {
    pub(crate) sends: Vec<tessera_otp::UnixTime>,
}

/// Where this crate keeps its state: one versioned aggregate per account and one per
/// delivery destination, saved with compare-and-set.
///
/// `load` of an unknown key returns the default value at [`Version::NEW`]. `save` takes
/// the value together with the version it was read at (the [`Versioned`] a `load`
/// returned, its value changed): it writes only if the stored version still equals
/// that one (absent counts as [`Version::NEW`]) and returns the new version; otherwise
/// it returns [`StoreError::Conflict`] and writes nothing. In SQL that is
/// `UPDATE … SET state = ?, version = version + 1 WHERE key = ? AND version = ?` (or an
/// `INSERT` that fails on an existing key for `NEW`).
///
/// Every operation of [`Mfa`](crate::Mfa) is load → pure change → conditional save,
/// retried a bounded number of times on conflict.
pub trait MfaStore: Send + Sync {
    /// Loads an account's state.
    fn load_account(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Versioned<AccountState>, StoreError>> + Send;

    /// Saves an account's state if its stored version is still `state.version`.
    fn save_account(
        &self,
        user: &UserId,
        state: &Versioned<AccountState>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send;

    /// Loads a destination's send counters.
    fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> impl Future<Output = Result<Versioned<DestinationState>, StoreError>> + Send;

    /// Saves a destination's send counters if their stored version is still
    /// `state.version`.
    fn save_destination(
        &self,
        key: &DestinationKey,
        state: &Versioned<DestinationState>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send;

    /// Up to `limit` ids of stored accounts, in ascending order ([`UserId`]'s `Ord`, a
    /// byte-wise comparison of the ids), starting after `after` (exclusive; `None`
    /// starts at the beginning). Fewer than `limit` means the end was reached. For
    /// scans over every account ([`Mfa::count_tags_with`](crate::Mfa::count_tags_with),
    /// [`Mfa::prune_expired`](crate::Mfa::prune_expired)), which are resumable from the
    /// last id of a page. In SQL: `SELECT user FROM accounts WHERE user > ? ORDER BY
    /// user LIMIT ?` (with a binary collation).
    fn list_accounts(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send;
}

/// An in-memory [`MfaStore`], for tests, examples and single-process services.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    accounts: Mutex<HashMap<UserId, Versioned<AccountState>>>,
    destinations: Mutex<HashMap<DestinationKey, Versioned<DestinationState>>>,
}

impl InMemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

fn load<K: Eq + std::hash::Hash, V: Clone + Default>(
    map: &Mutex<HashMap<K, Versioned<V>>>,
    key: &K,
) -> Versioned<V> {
    // A panic while holding the lock cannot leave a half-written entry (entries are
    // replaced whole), so a poisoned map is still consistent.
    let map = map.lock().unwrap_or_else(PoisonError::into_inner);
    map.get(key).cloned().unwrap_or(Versioned {
        version: Version::NEW,
        value: V::default(),
    })
}

fn save<K: Eq + std::hash::Hash + Clone, V: Clone>(
    map: &Mutex<HashMap<K, Versioned<V>>>,
    key: &K,
    state: &Versioned<V>,
) -> Result<Version, StoreError> {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    let current = map.get(key).map_or(Version::NEW, |v| v.version);
    if current != state.version {
        return Err(StoreError::Conflict);
    }
    let version = current.next();
    map.insert(key.clone(), Versioned::new(version, state.value.clone()));
    Ok(version)
}

impl MfaStore for InMemoryStore {
    async fn load_account(&self, user: &UserId) -> Result<Versioned<AccountState>, StoreError> {
        Ok(load(&self.accounts, user))
    }

    async fn save_account(
        &self,
        user: &UserId,
        state: &Versioned<AccountState>,
    ) -> Result<Version, StoreError> {
        save(&self.accounts, user, state)
    }

    async fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> Result<Versioned<DestinationState>, StoreError> {
        Ok(load(&self.destinations, key))
    }

    async fn save_destination(
        &self,
        key: &DestinationKey,
        state: &Versioned<DestinationState>,
    ) -> Result<Version, StoreError> {
        save(&self.destinations, key, state)
    }

    async fn list_accounts(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        let map = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        let mut ids: Vec<UserId> = map
            .keys()
            .filter(|u| after.is_none_or(|a| *u > a))
            .cloned()
            .collect();
        ids.sort_unstable();
        ids.truncate(limit);
        Ok(ids)
    }
}

impl<S: MfaStore + ?Sized> MfaStore for std::sync::Arc<S> {
    fn load_account(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Versioned<AccountState>, StoreError>> + Send {
        (**self).load_account(user)
    }

    fn save_account(
        &self,
        user: &UserId,
        state: &Versioned<AccountState>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send {
        (**self).save_account(user, state)
    }

    fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> impl Future<Output = Result<Versioned<DestinationState>, StoreError>> + Send {
        (**self).load_destination(key)
    }

    fn save_destination(
        &self,
        key: &DestinationKey,
        state: &Versioned<DestinationState>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send {
        (**self).save_destination(key, state)
    }

    fn list_accounts(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send {
        (**self).list_accounts(after, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn compare_and_set() {
        let store = InMemoryStore::new();
        let u = UserId::new("u");
        let v = store.load_account(&u).await.unwrap();
        assert_eq!(v.version, Version::NEW);
        let v1 = store.save_account(&u, &v).await.unwrap();
        assert!(matches!(
            store.save_account(&u, &v).await,
            Err(StoreError::Conflict)
        ));
        let v2 = store
            .save_account(&u, &Versioned::new(v1, v.value))
            .await
            .unwrap();
        assert!(v2 > v1);
        assert_eq!(store.load_account(&u).await.unwrap().version, v2);
    }

    async fn page(store: &InMemoryStore, after: Option<&str>, limit: usize) -> Vec<String> {
        let after = after.map(UserId::new);
        store
            .list_accounts(after.as_ref(), limit)
            .await
            .unwrap()
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn list_accounts_pages_in_order() {
        let store = InMemoryStore::new();
        // Empty store.
        assert!(page(&store, None, 10).await.is_empty());
        // Saved out of order; a destination is not an account.
        for u in ["d", "b", "a", "c"] {
            store
                .save_account(&UserId::new(u), &Versioned::default())
                .await
                .unwrap();
        }
        store
            .save_destination(&DestinationKey("email:x".into()), &Versioned::default())
            .await
            .unwrap();
        // Exact pages: 2 + 2, then an empty one.
        assert_eq!(page(&store, None, 2).await, ["a", "b"]);
        assert_eq!(page(&store, Some("b"), 2).await, ["c", "d"]);
        assert!(page(&store, Some("d"), 2).await.is_empty());
        // A partial last page; `after` is exclusive and need not exist.
        assert_eq!(page(&store, None, 3).await, ["a", "b", "c"]);
        assert_eq!(page(&store, Some("c"), 3).await, ["d"]);
        assert_eq!(page(&store, Some("bb"), 10).await, ["c", "d"]);
        assert_eq!(page(&store, Some(""), 10).await, ["a", "b", "c", "d"]);
        // After the last, and a zero limit.
        assert!(page(&store, Some("z"), 10).await.is_empty());
        assert!(page(&store, None, 0).await.is_empty());
        // Through an `Arc`, the same.
        let shared = std::sync::Arc::new(store);
        assert_eq!(
            shared.list_accounts(None, 1).await.unwrap(),
            [UserId::new("a")]
        );
    }
}
