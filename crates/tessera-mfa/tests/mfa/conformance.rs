//! The store conformance suite (`tessera_mfa::testing::run_conformance`) against the
//! stores this crate ships, and against stores that break one guarantee each, to show
//! that the suite notices.
#![cfg(feature = "testing")]

use std::sync::Arc;
use std::time::Duration;

use tessera_mfa::testing::{ChaosStore, Faults, Flaw, run_conformance};
use tessera_mfa::{InMemoryStore, MfaStore, UserId, Versioned};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_in_memory_store_conforms() {
    run_conformance(&InMemoryStore::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_in_memory_store_conforms_through_an_arc_and_with_others_rows_in_it() {
    let store = Arc::new(InMemoryStore::new());
    // Rows of someone else around ours: the suite must not assume an empty store.
    for user in ["a", "tessera-mfa-conformance-", "zzz"] {
        store
            .save_account(&UserId::new(user), &Versioned::default())
            .await
            .unwrap();
    }
    run_conformance(&store).await;
    // And a second run over the first one's rows.
    run_conformance(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_chaos_store_conforms_with_latency() {
    let faults = Faults::new();
    // Latency makes the concurrent saves really interleave.
    faults.set_latency(Duration::from_micros(50), Duration::from_micros(500));
    run_conformance(&ChaosStore::new(InMemoryStore::new(), faults)).await;
}

async fn panic_message<F: std::future::Future<Output = ()> + Send + 'static>(f: F) -> String {
    let err = tokio::spawn(f).await.unwrap_err();
    let panic = err.into_panic();
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_without_compare_and_set_is_refused() {
    let message = panic_message(async {
        run_conformance(&ChaosStore::flawed(
            InMemoryStore::new(),
            Flaw::LastWriteWins,
        ))
        .await;
    })
    .await;
    assert!(
        message.contains("account save with") && message.contains("expected Conflict"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_that_drops_a_field_is_refused() {
    let message = panic_message(async {
        run_conformance(&ChaosStore::flawed(
            InMemoryStore::new(),
            Flaw::ForgetsThrottle,
        ))
        .await;
    })
    .await;
    assert!(message.contains("must round-trip exactly"), "{message}");
}
