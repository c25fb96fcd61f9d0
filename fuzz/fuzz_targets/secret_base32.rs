//! Lenient base32 secret import on any text: never panics, and an imported secret is
//! within bounds and survives its canonical base32 form unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_otp::Secret;

fuzz_target!(|input: &str| {
    if let Ok(secret) = Secret::from_base32(input) {
        assert!((Secret::MIN_LEN..=Secret::MAX_LEN).contains(&secret.len()));
        let canonical = secret.to_base32();
        assert!(Secret::from_base32(&canonical).is_ok_and(|again| again == secret));
    }
});
