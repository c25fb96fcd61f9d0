//! PHC string parsing and password verification on any input: never panics.
//!
//! Input: `stored PHC string \n password`. Verification runs Argon2 at the costs in the
//! stored string (up to `HashParams::MAX_M_COST`, 1 GiB, by design), so only strings with
//! cheap costs are verified here; every string goes through the parser and
//! `needs_rehash`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_password::password_hash::phc::PasswordHash;
use tessera_password::{HashParams, Hasher, Password, Pepper};

fuzz_target!(|input: &str| {
    let (stored, password) = input.split_once('\n').unwrap_or((input, ""));
    let password = Password::new(password);
    let plain = Hasher::new(HashParams::DEFAULT);
    let peppered = Pepper::new(b"k1", &[7; 16])
        .ok()
        .and_then(|p| Hasher::builder().params(HashParams::DEFAULT).pepper(p).build().ok());
    for hasher in [Some(plain), peppered].into_iter().flatten() {
        let _ = hasher.needs_rehash(stored);
        if cheap(stored) {
            let _ = hasher.verify(&password, stored);
        }
    }
});

/// At most 256 KiB, 2 passes and 2 lanes, all stated: about a millisecond of Argon2.
fn cheap(stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        let cost = |name| hash.params.get_decimal(name);
        matches!((cost("m"), cost("t"), cost("p")), (Some(m), Some(t), Some(p)) if m <= 256 && t <= 2 && p <= 2)
    })
}
