//! The `tessera` command's integration tests, one binary (issue 13): its contract
//! (outputs, JSON keys, exit codes), the password commands, and a differential test
//! against pyotp.

// Tests: a panic is a failed test, which is what unwrap should do here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod contract;
mod password;
mod pyotp;
mod report;
