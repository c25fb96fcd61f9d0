//! The integration tests of tessera-mfa, as one binary (one link of the whole
//! dependency tree instead of one per file). Shared fixtures live in `common`; each
//! other module is one concept's flows through the public API.
// A panic is a failing test, in helpers outside #[test] functions too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod bursts;
mod codes;
mod conformance;
mod defaults;
mod notify;
mod outbox;
mod recovery_and_remembered;
mod server_key;
mod settings;
mod throttle;
mod with_registry;
