//! Latency- and fault-injecting store wrappers, so that the races and store failures of
//! a real deployment can be replayed against any [`MfaStore`] (feature `testing`).
//!
//! ```
//! use std::time::Duration;
//! use tessera_mfa::testing::{ChaosStore, Faults};
//! use tessera_mfa::InMemoryStore;
//!
//! let faults = Faults::new();
//! faults.set_latency(Duration::from_micros(200), Duration::from_millis(2));
//! let store = ChaosStore::new(InMemoryStore::new(), faults.clone());
//! faults.fail_next_saves(1); // the next save fails with "injected fault"
//! # let _ = store;
//! ```

use std::sync::Arc;

use tessera_registry::UserId;
/// The shared vocabulary of the workspace's chaos wrappers (the registry's, this
/// crate's and the facade's steer and count alike).
pub use tessera_registry::testing::{Faults, sleep};
use tessera_store::testing::overwrite_version;

use crate::{
    AccountState, DestinationKey, DestinationState, MfaStore, StoreError, Version, Versioned,
};

fn injected() -> StoreError {
    StoreError::backend("injected fault")
}

/// An [`MfaStore`] wrapper that waits the [`Faults`]' latency before each call and
/// fails when told to, without touching the inner store; or, with a [`Flaw`], a store
/// that breaks a guarantee, to check that a conformance suite catches it.
#[derive(Debug)]
pub struct ChaosStore<S> {
    inner: S,
    faults: Arc<Faults>,
    flaw: Option<Flaw>,
}

/// A guarantee of [`MfaStore`] that a flawed [`ChaosStore`] breaks, as a faulty
/// implementation would: [`run_conformance`](crate::testing::run_conformance) must
/// refuse such a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flaw {
    /// Account saves ignore the expected version (no compare-and-set).
    LastWriteWins,
    /// An account whose throttle counted a failure loads as the default state, as a
    /// document mapping that cannot hold a field's extreme value would.
    ForgetsThrottle,
    /// Saves (of accounts and destinations) compare the version, let other tasks run,
    /// then write over whatever is stored: sequential conflicts are reported, but two
    /// writers at one version both succeed, as a read-then-write outside a transaction.
    RacyCompareAndSet,
    /// Every user's account is one record.
    OneAccountForAll,
    /// Lists accounts in reverse order.
    ListsBackwards,
}

impl<S: MfaStore> ChaosStore<S> {
    /// Wraps `inner`, injecting `faults`.
    pub fn new(inner: S, faults: Arc<Faults>) -> Self {
        Self {
            inner,
            faults,
            flaw: None,
        }
    }

    /// Wraps `inner`, breaking the guarantee `flaw` names (and injecting no faults).
    pub fn flawed(inner: S, flaw: Flaw) -> Self {
        Self {
            inner,
            faults: Faults::new(),
            flaw: Some(flaw),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The faults, to change mid-run.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// The record `user`'s account is kept under: one for all with
    /// [`Flaw::OneAccountForAll`].
    fn user(&self, user: &UserId) -> UserId {
        if self.flaw == Some(Flaw::OneAccountForAll) {
            UserId::new("tessera-chaos-everyone")
        } else {
            user.clone()
        }
    }
}

impl<S: MfaStore> MfaStore for ChaosStore<S> {
    async fn load_account(&self, user: &UserId) -> Result<Versioned<AccountState>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        let mut loaded = self.inner.load_account(&self.user(user)).await?;
        if self.flaw == Some(Flaw::ForgetsThrottle) && loaded.value.throttle().failures() > 0 {
            loaded.value = AccountState::default();
        }
        Ok(loaded)
    }

    async fn save_account(
        &self,
        user: &UserId,
        state: &Versioned<AccountState>,
    ) -> Result<Version, StoreError> {
        self.faults.before_save().await.map_err(|()| injected())?;
        let user = &self.user(user);
        // A flaw overwrites whatever is stored now, as if the version were not checked.
        let overwrite;
        let state = match self.flaw {
            Some(flaw @ (Flaw::LastWriteWins | Flaw::RacyCompareAndSet)) => {
                let racy = flaw == Flaw::RacyCompareAndSet;
                let current = overwrite_version(state.version, racy, || async move {
                    Ok(self.inner.load_account(user).await?.version)
                })
                .await?;
                overwrite = Versioned::new(current, state.value.clone());
                &overwrite
            }
            _ => state,
        };
        let result = if self.faults.conflict_now() {
            Err(StoreError::Conflict)
        } else {
            self.inner.save_account(user, state).await
        };
        self.faults.after_save(&result);
        result
    }

    async fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> Result<Versioned<DestinationState>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        self.inner.load_destination(key).await
    }

    async fn save_destination(
        &self,
        key: &DestinationKey,
        state: &Versioned<DestinationState>,
    ) -> Result<Version, StoreError> {
        self.faults.before_save().await.map_err(|()| injected())?;
        let overwrite;
        let state = if self.flaw == Some(Flaw::RacyCompareAndSet) {
            let current = overwrite_version(state.version, true, || async move {
                Ok(self.inner.load_destination(key).await?.version)
            })
            .await?;
            overwrite = Versioned::new(current, state.value.clone());
            &overwrite
        } else {
            state
        };
        let result = if self.faults.conflict_now() {
            Err(StoreError::Conflict)
        } else {
            self.inner.save_destination(key, state).await
        };
        self.faults.after_save(&result);
        result
    }

    async fn list_accounts(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        let mut listed = self.inner.list_accounts(after, limit).await?;
        if self.flaw == Some(Flaw::ListsBackwards) {
            listed.reverse();
        }
        Ok(listed)
    }
}
