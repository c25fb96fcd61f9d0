//! Test support for stores (feature `testing`): a latency- and fault-injecting wrapper
//! ([`ChaosStore`]) and the conformance suite every [`MfaStore`](crate::MfaStore) must
//! pass ([`run_conformance`]).
//!
//! The wrapper steers with the registry's shared [`Faults`]: latency, failed loads and
//! saves, and injected version conflicts ([`Faults::conflict_next_saves`]: the save
//! answers [`StoreError::Conflict`](crate::StoreError::Conflict) and writes nothing).
//! [`ChaosStore::flawed`] instead breaks one guarantee ([`Flaw`]), to show that the
//! suite refuses such a store.
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
