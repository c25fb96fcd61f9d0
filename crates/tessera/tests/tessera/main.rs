//! The facade's integration tests, one binary: the flows through the public API, the
//! attacks of the adversarial review, runtimes and offloads, session state.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod attacks;
mod change_requests;
mod common;
mod lifecycle;
mod mfa;
mod passwords;
mod runtime;
mod security_keys;
mod session_serde;
mod sign_in;
mod tooling;
