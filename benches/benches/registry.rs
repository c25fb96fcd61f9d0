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
//! The registry's futures are driven by a minimal `block_on` (`tessera_benches`): the
//! in-memory store never waits, so no runtime is measured.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure there is a broken benchmark, and should stop it loudly.
#![allow(missing_docs)] // criterion_main! generates an undocumented main.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use tessera_benches::{START, block_on, registry_with_apps};
use tessera_otp::{Clock, Secret, TimeStep, Totp, TotpParams, UnixTime};

const PERIOD: u64 = 30;

fn registry_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry_verify");
    for n in [1usize, 4, 8] {
        let (registry, clock, user, secret) = registry_with_apps(n);
        let secret = secret.unwrap();
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
