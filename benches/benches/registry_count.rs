//! A fixed number of registry verifications, for counting instructions under callgrind
//! (issue 18: the per-device cost of `DeviceRegistry::verify`).
//!
//! Arguments: `<devices> <iterations>`. Each iteration verifies a code that matches none
//! of the user's `devices` active authenticator apps (every device is computed: load,
//! parse, key preparation, a ±1 window). One verification is the difference of the totals
//! of 0 and N iterations divided by N; one device is the difference between 8 and 1
//! devices divided by 7. Without these arguments (under `cargo bench`) it checks one
//! round.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure is a broken benchmark.

use std::future::Future;
use std::hint::black_box;
use std::task::{Context, Poll, Waker};

use tessera_otp::{Clock, ManualClock, Secret, Totp, TotpParams, UnixTime};
use tessera_registry::{
    ActivationPolicy, DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId,
};

const START: u64 = 1_700_000_010;

/// Polls a future that never waits (the in-memory store) to completion.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the in-memory store never waits"),
    }
}

fn run(devices: usize, iterations: u64) -> u64 {
    let clock = ManualClock::new(UnixTime::from_secs(START));
    let config = RegistryConfig::builder("Bench")
        .activation(ActivationPolicy::OneCode)
        .build()
        .unwrap();
    // Every seed is sealed: each verification opens every active device's seed.
    let keyring = std::sync::Arc::new(tessera_registry::Keyring::ephemeral().unwrap());
    let registry = DeviceRegistry::new(InMemoryDeviceStore::new(), clock.clone(), config, keyring);
    let user = UserId::new("bench");
    for i in 0..devices {
        let e = block_on(registry.start_enrolment(&user, &format!("Device {i}"), "bench")).unwrap();
        let code = Totp::new(e.secret(), TotpParams::DEFAULT)
            .generate(clock.now())
            .unwrap();
        block_on(registry.finish_enrolment(&user, e.device_id(), &[code.expose()])).unwrap();
    }
    clock.set(UnixTime::from_secs(START + 60));
    let stranger = Totp::new(&Secret::generate(), TotpParams::DEFAULT);
    let miss = stranger.generate(clock.now()).unwrap().expose().to_owned();
    let mut refused = 0;
    for _ in 0..iterations {
        refused +=
            u64::from(block_on(registry.verify_unthrottled(&user, black_box(&miss))).is_err());
    }
    refused
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [devices, iterations] = args.as_slice()
        && !devices.starts_with('-')
    {
        let iterations: u64 = iterations.parse().expect("iterations: a number");
        // A stranger's code could match a device by chance (about 3 in a million).
        assert!(run(devices.parse().expect("devices: a number"), iterations) + 1 >= iterations);
        return;
    }
    assert_eq!(run(8, 1), 1);
}
