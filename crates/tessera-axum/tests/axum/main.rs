//! tessera-axum's integration tests, one binary: the crate docs' router on the
//! in-memory facade, driven in process through `tower::ServiceExt::oneshot` (no
//! network), with a manual clock so every age is tested at exact instants.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app;
mod attacks;
mod errors;
mod races;
mod sessions;
mod step_up;
