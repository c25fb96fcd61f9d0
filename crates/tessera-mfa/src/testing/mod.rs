//! Test support for stores (feature `testing`): a latency- and fault-injecting wrapper
//! ([`ChaosStore`]) and the conformance suite every [`MfaStore`](crate::MfaStore) must
//! pass ([`run_conformance`]).

mod chaos;
mod conformance;

pub use chaos::{ChaosStore, Faults, sleep};
pub use conformance::run_conformance;
