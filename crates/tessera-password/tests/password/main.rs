//! tessera-password's integration tests, one binary (issue 13): the production defaults
//! end to end, known answers (RFC 9106, argon2-cffi), configuration files through the
//! validating constructors, and weak passwords that must be refused.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod defaults;
mod known_answers;
#[cfg(feature = "serde")]
mod serde_config;
mod weak_passwords;
