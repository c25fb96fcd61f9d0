//! Test support for stores (feature `testing`): a latency- and fault-injecting wrapper
//! ([`ChaosStore`]) and the conformance suite every [`MfaStore`](crate::MfaStore) must
//! pass ([`run_conformance`]).
//!
//! A store adapter runs the suite from its own tests, against a real database:
//!
//! ```
//! use tessera_mfa::{InMemoryStore, testing::run_conformance};
//! // In a test: #[tokio::test] async fn conformance() { run_conformance(&MyStore::connect().await).await }
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
//! rt.block_on(run_conformance(&InMemoryStore::new()));
//! ```

mod chaos;
mod conformance;

pub use chaos::{ChaosStore, Faults, Flaw, sleep};
pub use conformance::run_conformance;
