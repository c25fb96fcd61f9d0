//! The registry's integration tests, one binary (issue 13): every module shares the
//! fixtures in `common` and links the crate once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests unwrap: a panic is a failure.

mod common;

mod chaos;
mod concurrency;
mod conformance;
mod ignored_algorithm;
mod lifecycle;
mod reuse;
mod sealed;
mod unique;
