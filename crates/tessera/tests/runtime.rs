//! The flows on a multi-threaded runtime: Send futures, hashing offloaded with
//! `spawn_blocking`, and one code accepted once under concurrent completions.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{PASSWORD, World};
use tessera::{Error, Offload, OffloadError, Password, SignIn};

/// tokio's blocking pool, counting the work it ran.
#[derive(Default)]
struct SpawnBlocking {
    runs: AtomicUsize,
}

impl Offload for SpawnBlocking {
    async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.runs.fetch_add(1, Ordering::SeqCst);
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| OffloadError::Failed)
    }
}

/// Work that panics is reported, not propagated.
struct Broken;

impl Offload for Broken {
    async fn run<T, F>(&self, _work: F) -> Result<T, OffloadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        Err(OffloadError::Failed)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashing_runs_on_the_blocking_pool_and_futures_are_send() {
    let w = World::new();
    let pool = Arc::new(SpawnBlocking::default());
    let flows = Arc::new(w.flows.with_offload(pool.clone()));
    let f = flows.clone();
    // `tokio::spawn` needs Send futures: this compiles only if the flows' are.
    let created = tokio::spawn(async move {
        f.create_account("ana", common::EMAIL, &Password::new(PASSWORD))
            .await
    })
    .await
    .unwrap()
    .unwrap();
    let f = flows.clone();
    let signed_in =
        tokio::spawn(async move { f.sign_in("ana", &Password::new(PASSWORD), None).await })
            .await
            .unwrap()
            .unwrap();
    let SignIn::Complete(a) = signed_in else {
        panic!("expected a complete sign-in")
    };
    assert_eq!(a.account(), created.id());
    assert_eq!(pool.runs.load(Ordering::SeqCst), 2, "one hash, one verify");
}

#[tokio::test]
async fn a_failing_offload_is_an_error_not_a_panic() {
    let w = World::new();
    let flows = w.flows.with_offload(Broken);
    assert!(matches!(
        flows
            .create_account("ana", common::EMAIL, &Password::new(PASSWORD))
            .await,
        Err(Error::Offload)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_code_completes_one_of_many_concurrent_sign_ins() {
    let w = World::new();
    let ana = w.ana().await;
    let app = w.add_app(&ana, "Phone", true).await;
    w.advance(30);
    let code = app.code(w.now());
    let flows = w.flows;
    let flows = Arc::new(flows);
    let mut challenges = Vec::new();
    for _ in 0..4 {
        let SignIn::SecondFactor(mut c) = flows
            .sign_in("ana", &Password::new(PASSWORD), None)
            .await
            .unwrap()
        else {
            panic!("expected a second factor")
        };
        flows.start_second_factor(&mut c, None).await.unwrap();
        challenges.push(c);
    }
    let tasks: Vec<_> = challenges
        .into_iter()
        .map(|c| {
            let (flows, code) = (flows.clone(), code.clone());
            tokio::spawn(async move { flows.complete_second_factor(&c, &code).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert!(matches!(e, Error::VerificationFailed), "{e:?}"),
        }
    }
    assert_eq!(ok, 1);
}
