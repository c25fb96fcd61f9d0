//! tessera-otp's integration tests, one binary (issue 13): known answers, the
//! verification rules, and differential tests against independent implementations
//! (oathtool, a Python encoder, zbarimg).
//!
//! `tests/no_alloc.rs` stays a binary of its own: see its docs.

// Tests: a panic is a failed test, which is what unwrap should do here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod oathtool;
mod rfc_vectors;
mod uri_migration_python;
#[cfg(feature = "qr")]
mod uri_qr_zbarimg;
mod verify;
