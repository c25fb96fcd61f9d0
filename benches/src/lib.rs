//! Benchmarks live in `benches/`; this library holds the set-up two of them share: the
//! registry with `n` active authenticator apps that `registry` (criterion) and
//! `registry_count` (callgrind) both measure, and the `block_on` that drives it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure there is a broken benchmark, and should stop it loudly.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use tessera_otp::{Clock, ManualClock, Secret, Totp, TotpParams, UnixTime};
use tessera_registry::{
    ActivationPolicy, DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId,
};

/// 10 s into its 30 s step.
pub const START: u64 = 1_700_000_010;

/// Polls a future that never waits (the in-memory store) to completion: no runtime is
/// measured.
///
/// # Panics
/// If the future waits.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the in-memory store never waits"),
    }
}

/// The registry the registry benchmarks measure.
pub type Registry = DeviceRegistry<InMemoryDeviceStore, ManualClock>;

/// A registry with `n` active authenticator apps for one user (the defaults: SHA-1, 6
/// digits, 30 s, sealed 20-byte seeds), its clock at [`START`], the user, and the last
/// app's secret (none when `n` is 0).
///
/// # Panics
/// If the set-up fails.
#[must_use]
pub fn registry_with_apps(n: usize) -> (Registry, ManualClock, UserId, Option<Secret>) {
    let clock = ManualClock::new(UnixTime::from_secs(START));
    let config = RegistryConfig::builder("Bench")
        .activation(ActivationPolicy::OneCode)
        .build()
        .unwrap();
    // Every seed is sealed: each verification opens every active device's seed.
    let keyring = std::sync::Arc::new(tessera_registry::Keyring::ephemeral().unwrap());
    let registry = DeviceRegistry::new(InMemoryDeviceStore::new(), clock.clone(), config, keyring);
    let user = UserId::new("bench");
    let mut last = None;
    for i in 0..n {
        let e = block_on(registry.start_enrolment(&user, &format!("Device {i}"), "bench")).unwrap();
        let code = Totp::new(e.secret(), TotpParams::DEFAULT)
            .generate(clock.now())
            .unwrap();
        block_on(registry.finish_enrolment(&user, e.device_id(), &[code.expose()])).unwrap();
        last = Some(e.secret().clone());
    }
    let status = block_on(registry.mfa_status(&user)).unwrap();
    assert_eq!(status.active_devices(), n);
    (registry, clock, user, last)
}
