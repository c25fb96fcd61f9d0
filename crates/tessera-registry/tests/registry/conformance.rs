//! The in-memory store passes the store conformance suite.

use crate::common::conform_concurrently;
use tessera_registry::{InMemoryDeviceStore, testing::run_conformance};

#[tokio::test]
async fn in_memory_store_conforms() {
    run_conformance(&InMemoryDeviceStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_store_conforms_when_shared_by_concurrent_suites() {
    conform_concurrently(std::sync::Arc::new(InMemoryDeviceStore::new())).await;
}
