//! Shared test fixtures.
#![allow(dead_code)] // some fixtures serve only the feature-gated modules

use std::sync::Arc;

use tessera_mfa::{InMemoryStore, Mfa, RecordingNotifier};
use tessera_otp::{ManualClock, UnixTime};
use tessera_registry::UserId;

pub(crate) const T0: u64 = 1_700_000_000;

/// A store whose next `n` saves answer a version conflict (as if another writer had
/// saved first), counting every save in its [`Faults`](tessera_mfa::testing::Faults).
#[cfg(feature = "testing")]
pub(crate) fn conflicting(n: u32) -> tessera_mfa::testing::ChaosStore<InMemoryStore> {
    let faults = tessera_mfa::testing::Faults::new();
    faults.conflict_next_saves(n);
    tessera_mfa::testing::ChaosStore::new(InMemoryStore::new(), faults)
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

/// Links (unverified) the phone number +1 415 555 2671 to `ctx`, as the holder.
pub(crate) async fn link_phone<S: tessera_mfa::MfaStore, N: tessera_mfa::SecurityNotifier>(
    mfa: &Mfa<S, N, ManualClock>,
    ctx: &tessera_mfa::AccountContext,
) {
    let _ = mfa
        .link_phone(
            ctx,
            tessera_mfa::PhoneNumber::parse("+14155552671").unwrap(),
            tessera_mfa::Actor::AccountHolder,
        )
        .await
        .unwrap();
}
