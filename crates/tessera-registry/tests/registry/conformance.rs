//! The in-memory store passes the store conformance suite.

use tessera_registry::{InMemoryDeviceStore, testing::run_conformance};

#[tokio::test]
async fn in_memory_store_conforms() {
    run_conformance(&InMemoryDeviceStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_store_conforms_when_shared_by_concurrent_suites() {
    let store = std::sync::Arc::new(InMemoryDeviceStore::new());
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move { run_conformance(&store).await })
        })
        .collect();
    for r in runs {
        r.await.unwrap();
    }
}
