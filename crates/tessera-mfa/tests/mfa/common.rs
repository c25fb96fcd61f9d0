//! Shared test fixtures.
#![allow(dead_code)] // some fixtures serve only the feature-gated modules

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tessera_mfa::{
    AccountState, DestinationKey, DestinationState, InMemoryStore, Mfa, MfaStore,
    RecordingNotifier, StoreError, Version, Versioned,
};
use tessera_otp::{ManualClock, UnixTime};
use tessera_registry::UserId;

pub(crate) const T0: u64 = 1_700_000_000;

/// A store where "another writer" saves the account just before each of the next
/// `conflicts` saves, so those saves hit a real version conflict.
#[derive(Debug, Default)]
pub(crate) struct ConflictingStore {
    pub(crate) inner: InMemoryStore,
    pub(crate) conflicts: AtomicU32,
    pub(crate) saves_attempted: AtomicU32,
}

impl ConflictingStore {
    pub(crate) fn with_conflicts(n: u32) -> Self {
        Self {
            conflicts: AtomicU32::new(n),
            ..Self::default()
        }
    }
}

impl MfaStore for ConflictingStore {
    async fn load_account(&self, user: &UserId) -> Result<Versioned<AccountState>, StoreError> {
        self.inner.load_account(user).await
    }

    async fn save_account(
        &self,
        user: &UserId,
        expected: Version,
        state: &AccountState,
    ) -> Result<Version, StoreError> {
        self.saves_attempted.fetch_add(1, Ordering::SeqCst);
        let inject = self
            .conflicts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if inject {
            let current = self.inner.load_account(user).await?;
            self.inner
                .save_account(user, current.version, &current.value)
                .await?;
        }
        self.inner.save_account(user, expected, state).await
    }

    async fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> Result<Versioned<DestinationState>, StoreError> {
        self.inner.load_destination(key).await
    }

    async fn save_destination(
        &self,
        key: &DestinationKey,
        expected: Version,
        state: &DestinationState,
    ) -> Result<Version, StoreError> {
        self.inner.save_destination(key, expected, state).await
    }

    async fn list_accounts(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        self.inner.list_accounts(after, limit).await
    }
}

pub(crate) type TestMfa<S = InMemoryStore> = Mfa<S, Arc<RecordingNotifier>, ManualClock>;

pub(crate) fn key() -> tessera_mfa::ServerKey {
    tessera_mfa::ServerKey::from_bytes(&[0x42; 32]).unwrap()
}

pub(crate) fn clock() -> ManualClock {
    ManualClock::new(UnixTime::from_secs(T0))
}
