//! Password policy validation on arbitrary strings: never panics, and a refusal always
//! names at least one rule by its stable code.
//!
//! Input: `password \n username \n email \n confirmation` (missing parts are empty).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_password::{Context, HashParams, Hasher, Password, PasswordHistory, PasswordPolicy};

fuzz_target!(|input: &str| {
    let mut parts = input.splitn(4, '\n');
    let mut next = || parts.next().unwrap_or_default();
    let (password, username, email, confirmation) = (next(), next(), next(), next());
    let context = Context::new().with_username(username).with_email(email);
    let password = Password::new(password);
    for policy in [PasswordPolicy::DEFAULT, PasswordPolicy::PASSWORD_ONLY] {
        if let Err(violations) = policy.validate(&password, &context) {
            assert!(!violations.codes().is_empty());
        }
        // An empty history: the change path without any Argon2 work.
        let hasher = Hasher::new(HashParams::DEFAULT);
        let change = policy.validate_change(
            &password,
            &Password::new(confirmation),
            &context,
            &PasswordHistory::new(),
            &hasher,
        );
        if let Err(violations) = change {
            assert!(!violations.codes().is_empty());
        }
    }
});
