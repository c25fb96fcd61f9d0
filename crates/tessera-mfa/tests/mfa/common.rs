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
/// `conflicts` saves, so those saves hit a real version conflict; or, with a [`Flaw`],
/// a store that breaks a guarantee, for the conformance suite to catch.
#[derive(Debug, Default)]
pub(crate) struct ConflictingStore {
    pub(crate) inner: InMemoryStore,
    pub(crate) conflicts: AtomicU32,
    pub(crate) saves_attempted: AtomicU32,
    pub(crate) flaw: Flaw,
}

/// A broken guarantee of [`ConflictingStore`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Flaw {
    #[default]
    None,
    /// Account saves ignore the expected version.
    LastWriteWins,
    /// An account whose throttle counted a failure loads as the default state, as a
    /// document mapping that cannot hold a field's extreme value would.
    ForgetsThrottle,
}

impl ConflictingStore {
    pub(crate) fn with_conflicts(n: u32) -> Self {
        Self {
            conflicts: AtomicU32::new(n),
            ..Self::default()
        }
    }

    pub(crate) fn flawed(flaw: Flaw) -> Self {
        Self {
            flaw,
            ..Self::default()
        }
    }
}

impl MfaStore for ConflictingStore {
    async fn load_account(&self, user: &UserId) -> Result<Versioned<AccountState>, StoreError> {
        let mut loaded = self.inner.load_account(user).await?;
        if self.flaw == Flaw::ForgetsThrottle && loaded.value.throttle().failures() > 0 {
            loaded.value = AccountState::default();
        }
        Ok(loaded)
    }

    async fn save_account(
        &self,
        user: &UserId,
        expected: Version,
        state: &AccountState,
    ) -> Result<Version, StoreError> {
        self.saves_attempted.fetch_add(1, Ordering::SeqCst);
        let expected = match self.flaw {
            Flaw::LastWriteWins => self.inner.load_account(user).await?.version,
            _ => expected,
        };
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

/// A service over an in-memory store with the default policy, its recorder and clock.
pub(crate) fn service() -> (TestMfa, Arc<RecordingNotifier>, ManualClock) {
    service_with(tessera_mfa::OrgPolicy::default())
}

/// A service over an in-memory store under `policy`, its recorder and clock.
pub(crate) fn service_with(
    policy: tessera_mfa::OrgPolicy,
) -> (TestMfa, Arc<RecordingNotifier>, ManualClock) {
    let (n, c) = (Arc::new(RecordingNotifier::new()), clock());
    (mfa_with(n.clone(), c.clone(), policy), n, c)
}

/// A service over an in-memory store with `notifier`, `clock` and `policy`.
pub(crate) fn mfa_with<N: tessera_mfa::SecurityNotifier>(
    notifier: N,
    clock: ManualClock,
    policy: tessera_mfa::OrgPolicy,
) -> Mfa<InMemoryStore, N, ManualClock> {
    Mfa::new(InMemoryStore::new(), notifier, clock, policy, key())
}

pub(crate) fn email() -> tessera_mfa::EmailAddress {
    tessera_mfa::EmailAddress::parse("ana@example.com").unwrap()
}

/// Ana, with an email address and these active devices.
pub(crate) fn ana(devices: &[tessera_registry::DeviceKind]) -> tessera_mfa::AccountContext {
    tessera_mfa::AccountContext::new(UserId::new("ana"))
        .with_email(email())
        .with_active_devices(devices.iter().copied())
}

/// A different code of the same length.
pub(crate) fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '9' => '0',
            _ => char::from(c as u8 + 1),
        })
        .collect()
}

/// Turns MFA on for `ctx` with the method the rules pick, as the account holder.
pub(crate) async fn enable<S: tessera_mfa::MfaStore, N: tessera_mfa::SecurityNotifier>(
    mfa: &Mfa<S, N, ManualClock>,
    ctx: &tessera_mfa::AccountContext,
) -> tessera_mfa::Enabled {
    mfa.enable(ctx, None, tessera_mfa::Actor::AccountHolder)
        .await
        .unwrap()
        .into_value()
}

/// Sends a sign-in code by email to `ctx`; the ticket and the code delivered.
pub(crate) async fn email_code<S: tessera_mfa::MfaStore, N: tessera_mfa::SecurityNotifier>(
    mfa: &Mfa<S, N, ManualClock>,
    ctx: &tessera_mfa::AccountContext,
) -> (tessera_mfa::ChallengeTicket, tessera_mfa::OneTimeCode) {
    let out = tessera_mfa::InMemoryDelivery::new();
    let ticket = mfa
        .send_code(
            ctx,
            tessera_mfa::MfaMethod::Email,
            tessera_mfa::Purpose::SignIn,
            &out,
        )
        .await
        .unwrap();
    (ticket, out.last_code().unwrap())
}
