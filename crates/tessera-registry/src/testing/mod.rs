//! Tools for testing [`DeviceStore`](crate::DeviceStore) implementations and the code
//! built on them (feature `testing`).
//!
//! - [`run_conformance`]: the suite every store should pass, run from the store's own
//!   tests against a real backend.
//! - [`ChaosDeviceStore`]: wraps any store and injects latency and faults, as told by
//!   a shared [`Faults`], so that the races and failures the registry is built to
//!   survive (two requests with one code, sixteen enrolments at once, a save that
//!   fails mid-run, a save that loses a race: [`Faults::conflict_next_saves`]) can be
//!   run against your own store and your own flows. [`sleep`] is
//!   the runtime-agnostic sleep it waits with.
//!
//! The conformance suite, against the in-memory store:
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     use std::task::{Context, Poll, Waker};
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
//! #             return v;
//! #         }
//! #     }
//! # }
//! use tessera_registry::{InMemoryDeviceStore, testing::run_conformance};
//! // In a test: #[tokio::test] async fn conformance() { run_conformance(&MyStore::connect().await).await }
//! block_on(run_conformance(&InMemoryDeviceStore::new()));
//! ```
//!
//! The same suite with 0.2–2 ms of latency on every store call, then a store whose
//! saves fail:
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     use std::task::{Context, Poll, Waker};
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
//! #             return v;
//! #         }
//! #     }
//! # }
//! use std::time::Duration;
//! use tessera_registry::testing::{ChaosDeviceStore, Faults, run_conformance};
//! use tessera_registry::{DeviceStore, InMemoryDeviceStore, StoreError, UserId, Version, Versioned};
//!
//! let faults = Faults::new();
//! faults.set_latency(Duration::from_micros(200), Duration::from_millis(2));
//! let store = ChaosDeviceStore::new(InMemoryDeviceStore::new(), faults.clone());
//! block_on(run_conformance(&store));
//!
//! faults.fail_next_saves(1);
//! let refused = block_on(store.save(&UserId::new("ana"), &Versioned::default()));
//! assert!(matches!(refused, Err(StoreError::Backend(_))));
//! assert_eq!(faults.injected(), 1);
//! assert_eq!(block_on(store.inner().load(&UserId::new("ana")))?.version, Version::NEW);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chaos;
mod conformance;

pub use chaos::{ChaosDeviceStore, Faults, sleep};
pub use conformance::run_conformance;
/// Polls every future until all are done (moved to `tessera-store`, re-exported here).
pub use tessera_store::testing::join_all;
