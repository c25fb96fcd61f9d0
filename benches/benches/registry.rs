//! Registry verification: one sign-in code against a user's active devices on the
//! in-memory store, for 1, 4 and 8 devices.
//!
//! Benchmark ids:
//!
//! - `registry_verify/last_device_matches/{1,4,8}`: the code is the current code of
//!   the user's *last* active device (worst case for any search), so the whole path is
//!   measured: load (clone of the aggregate), parse, one TOTP verification per device
//!   (every device is computed, no early exit), and the conditional save of the matched
//!   step. Each iteration moves the clock one step on and uses that step's code, since a
//!   code is accepted only once.
//! - `registry_verify/no_match/{1,4,8}`: a code that matches no device: load and one
//!   verification per device, nothing saved.
//!
//! SHA-1, 6 digits, 30 s, window ±1, 20-byte secrets (the defaults). The cost grows
//! linearly with the device count: each device costs one HMAC key preparation and up
//! to three HMAC computations.
//!
//! The registry's futures are driven by a minimal `block_on`: the in-memory store
//! never waits, so no runtime is measured.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure there is a broken benchmark, and should stop it loudly.
#![allow(missing_docs)] // criterion_main! generates an undocumented main.

use std::future::Future;
use std::hint::black_box;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use tessera_otp::{Clock, ManualClock, Secret, TimeStep, Totp, TotpParams, UnixTime};
use tessera_registry::{
    ActivationPolicy, DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId,
};

/// 10 s into its 30 s step.
const START: u64 = 1_700_000_010;
const PERIOD: u64 = 30;

/// Polls a future that never waits (the in-memory store) to completion.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the in-memory store never waits"),
    }
}

type Registry = DeviceRegistry<InMemoryDeviceStore, ManualClock>;

/// A registry with `n` active authenticator apps for one user; the last app's secret.
fn setup(n: usize) -> (Registry, ManualClock, UserId, Secret) {
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
    (registry, clock, user, last.unwrap())
}

fn registry_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry_verify");
    for n in [1usize, 4, 8] {
        let (registry, clock, user, secret) = setup(n);
        let totp = Totp::new(&secret, TotpParams::DEFAULT);
        // The next step to use: one past activation's.
        let mut step = START / PERIOD + 1;
        // Cross-check once: the last device's code verifies and is recorded.
        clock.set(UnixTime::from_secs(step * PERIOD));
        let code = totp.generate_at_step(TimeStep::new(step));
        let v = block_on(registry.verify_unthrottled(&user, code.expose())).unwrap();
        assert_eq!(v.step, TimeStep::new(step));
        assert!(block_on(registry.verify_unthrottled(&user, code.expose())).is_err());
        step += 1;

        group.bench_with_input(BenchmarkId::new("last_device_matches", n), &n, |b, _| {
            b.iter_batched(
                || {
                    // Not timed: the instant and the code of the next step.
                    let s = step;
                    step += 1;
                    (
                        s,
                        totp.generate_at_step(TimeStep::new(s)).expose().to_owned(),
                    )
                },
                |(s, code)| {
                    clock.set(UnixTime::from_secs(s * PERIOD));
                    black_box(block_on(
                        registry.verify_unthrottled(&user, black_box(&code)),
                    ))
                    .unwrap()
                },
                BatchSize::SmallInput,
            );
        });

        // A code of a secret no device has: no device matches.
        let stranger = Totp::new(&Secret::generate(), TotpParams::DEFAULT);
        clock.set(UnixTime::from_secs(step * PERIOD));
        let miss = stranger.generate(clock.now()).unwrap().expose().to_owned();
        assert!(block_on(registry.verify_unthrottled(&user, &miss)).is_err());
        group.bench_with_input(BenchmarkId::new("no_match", n), &n, |b, _| {
            b.iter(|| {
                black_box(block_on(
                    registry.verify_unthrottled(&user, black_box(&miss)),
                ))
                .is_err()
            });
        });
        clock.advance(Duration::from_secs(PERIOD));
    }
    group.finish();
}

criterion_group!(benches, registry_verify);
criterion_main!(benches);
