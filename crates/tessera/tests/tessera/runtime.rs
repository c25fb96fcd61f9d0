//! The flows on a multi-threaded runtime: Send futures, hashing offloaded with
//! `spawn_blocking`, and one code accepted once under concurrent completions.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{PASSWORD, World};
use tessera::{Bounded, Error, Offload, OffloadError, Password, SignIn};

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
        f.create_account("ana", crate::common::EMAIL, &Password::new(PASSWORD))
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
            .create_account("ana", crate::common::EMAIL, &Password::new(PASSWORD))
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
        let SignIn::SecondFactor(c) = flows
            .sign_in("ana", &Password::new(PASSWORD), None)
            .await
            .unwrap()
        else {
            panic!("expected a second factor")
        };
        let c = flows.start_second_factor(c, None).await.unwrap();
        challenges.push(c);
    }
    let tasks: Vec<_> = challenges
        .into_iter()
        .map(|c| {
            let (flows, code) = (flows.clone(), code.clone());
            tokio::spawn(async move { flows.finish_second_factor(&c, &code).await })
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

/// tokio's blocking pool behind a gate: work waits for the gate to open, and the gauge
/// keeps how many pieces run at once and the most that ever did.
#[derive(Default)]
struct Gated {
    open: Arc<AtomicBool>,
    running: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

impl Offload for Gated {
    async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (open, running, most) = (self.open.clone(), self.running.clone(), self.most.clone());
        tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            while !open.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let out = work();
            running.fetch_sub(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|_| OffloadError::Failed)
    }
}

/// Opens the gate when dropped, so a failing assertion does not leave blocking work
/// waiting for ever (the runtime's shutdown would wait for it).
struct OpenOnDrop(Arc<Gated>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open.store(true, Ordering::SeqCst);
    }
}

/// The test world's flows on a bounded, gated offload: still the in-memory alias
/// (issue 13, item 6: swapping a side part does not change the type).
type GatedFlows = crate::common::Flows;

/// Flows on a bounded, gated offload, with "ana" created (gate open), then the gate
/// closed.
async fn gated(permits: usize) -> (GatedFlows, Arc<Bounded<Arc<Gated>>>, Arc<Gated>) {
    let gate = Arc::new(Gated::default());
    gate.open.store(true, Ordering::SeqCst);
    let bounded = Arc::new(Bounded::new(gate.clone(), permits));
    let flows = World::new().flows.with_offload(bounded.clone());
    flows
        .create_account("ana", crate::common::EMAIL, &Password::new(PASSWORD))
        .await
        .unwrap();
    gate.open.store(false, Ordering::SeqCst);
    (flows, bounded, gate)
}

async fn sign_in(flows: &GatedFlows, user: &str, password: &str) -> tessera::Result<SignIn> {
    flows.sign_in(user, &Password::new(password), None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_64_sign_ins_runs_at_most_2_hashes_and_the_rest_are_busy() {
    let (flows, bounded, gate) = gated(2).await;
    let _open = OpenOnDrop(gate.clone());
    gate.most.store(0, Ordering::SeqCst);
    let flows = Arc::new(flows);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..64 {
        let (flows, tx) = (flows.clone(), tx.clone());
        tokio::spawn(async move {
            let r = flows.sign_in("ana", &Password::new(PASSWORD), None).await;
            tx.send(r).unwrap();
        });
    }
    // Two hold the permits behind the closed gate; the other 62 answer at once.
    for _ in 0..62 {
        let r = rx.recv().await.unwrap();
        assert!(matches!(r, Err(Error::Busy)), "{r:?}");
    }
    assert_eq!(bounded.in_use(), 2);
    // A permit is taken before its blocking thread starts: wait (bounded) until both
    // hashes are running behind the gate.
    for _ in 0..5_000 {
        if gate.running.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert_eq!(gate.running.load(Ordering::SeqCst), 2);
    gate.open.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        let r = rx.recv().await.unwrap();
        // The 62 busy attempts were taken back: two right passwords, two sign-ins.
        assert!(matches!(r, Ok(SignIn::Complete(_))), "{r:?}");
    }
    assert_eq!(
        gate.most.load(Ordering::SeqCst),
        2,
        "never more than 2 at once"
    );
    assert_eq!(bounded.in_use(), 0, "every permit is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn busy_is_one_answer_for_every_username_and_counts_no_attempt() {
    let (flows, bounded, gate) = gated(1).await;
    let _open = OpenOnDrop(gate.clone());
    // Something else holds the only permit.
    let holder = tokio::spawn({
        let bounded = bounded.clone();
        async move { bounded.run(|| ()).await }
    });
    while bounded.in_use() == 0 {
        tokio::task::yield_now().await;
    }
    let answers = [
        sign_in(&flows, "ana", PASSWORD).await,
        sign_in(&flows, "ana", "a wrong password").await,
        sign_in(&flows, "nobody", PASSWORD).await,
        sign_in(&flows, "  ", PASSWORD).await,
    ];
    for a in &answers {
        assert!(matches!(a, Err(Error::Busy)), "{a:?}");
    }
    let texts: Vec<String> = answers
        .iter()
        .map(|a| a.as_ref().unwrap_err().to_string())
        .collect();
    assert!(texts.iter().all(|t| *t == texts[0]), "{texts:?}");
    // More wrong passwords than the lockout (20 by default): none of them counted.
    for _ in 0..25 {
        assert!(matches!(
            sign_in(&flows, "ana", "a wrong password").await,
            Err(Error::Busy)
        ));
    }
    gate.open.store(true, Ordering::SeqCst);
    holder.await.unwrap().unwrap();
    assert_eq!(bounded.in_use(), 0);
    assert!(
        matches!(
            sign_in(&flows, "ana", PASSWORD).await,
            Ok(SignIn::Complete(_))
        ),
        "not locked, not delayed: busy answers were not the person's failures"
    );
}

/// Issue 13, item 6: the flows are one cheap handle. A clone serves the same stores (an
/// account made through one signs in through the other, concurrently from spawned
/// tasks), the type is `Clone + Send + Sync + 'static` whatever side parts are plugged
/// in, and swapping the offload keeps the in-memory alias.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clone_is_a_handle_on_the_same_stores() {
    fn handle<T: Clone + Send + Sync + 'static>(_: &T) {}
    let w = World::new();
    let flows: crate::common::Flows = w
        .flows
        .clone()
        .with_offload(Bounded::new(tessera::Inline, 2));
    handle(&flows);
    let password = Password::new(PASSWORD);
    flows
        .create_account("ana", "ana@example.com", &password)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (other, password) = (w.flows.clone(), password.clone());
        tasks.push(tokio::spawn(async move {
            other.sign_in("ana", &password, None).await
        }));
    }
    let mut complete = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Ok(SignIn::Complete(_))) {
            complete += 1;
        }
    }
    assert_eq!(
        complete, 8,
        "every clone sees the account made through another"
    );
    assert!(
        format!("{flows:?}").contains("step_up_max_age"),
        "Debug shows the configuration: {flows:?}"
    );
}

/// The builder refuses what a service would regret: no notifier, no delivery, a step-up
/// age outside its bounds; one builder builds twice (a restart over the same stores).
#[test]
fn the_builder_refuses_missing_parts_and_bad_bounds() {
    use tessera::{Accounts, InMemoryDelivery, ManualClock, RecordingNotifier, UnixTime};
    let clock = ManualClock::new(UnixTime::from_secs(crate::common::T0));
    let config_error = |r: tessera::Result<crate::common::Flows>| match r {
        Err(Error::Mfa(tessera::mfa::Error::InvalidConfig(why))) => why,
        other => panic!("expected InvalidConfig, got {other:?}"),
    };
    let mut builder = Accounts::in_memory_builder("Example").unwrap();
    assert!(config_error(builder.build_in_memory(clock.clone())).contains("notifier"));
    builder.notifier(RecordingNotifier::new());
    assert!(config_error(builder.build_in_memory(clock.clone())).contains("delivery"));
    builder.delivery(InMemoryDelivery::new());
    for (age, ok) in [(59, false), (60, true), (86_400, true), (86_401, false)] {
        builder.step_up_max_age(Duration::from_secs(age));
        let built = builder.build_in_memory(clock.clone());
        assert_eq!(built.is_ok(), ok, "step-up age {age} s");
        if ok {
            assert_eq!(built.unwrap().step_up_max_age(), Duration::from_secs(age));
        }
    }
}
