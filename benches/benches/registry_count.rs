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

use std::hint::black_box;

use tessera_benches::{START, block_on, registry_with_apps};
use tessera_otp::{Clock, Secret, Totp, TotpParams, UnixTime};

fn run(devices: usize, iterations: u64) -> u64 {
    let (registry, clock, user, _) = registry_with_apps(devices);
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
