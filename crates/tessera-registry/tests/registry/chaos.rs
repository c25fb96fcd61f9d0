//! The registry over `testing::ChaosDeviceStore`: 0.2–2 ms of latency on every store
//! call and injected failures, on a multi-thread runtime (issue 12: the wrappers the
//! review used, shipped in the `testing` feature). Each round prints its figures
//! (`cargo test --test registry chaos -- --nocapture`).

use std::sync::Arc;
use std::time::Duration;

use crate::common::{
    Enrolled, active_app, at_once, code_at, conform_concurrently, enrol_16_at_once,
    one_code_config, patient_config, registry,
};
use tessera_otp::{Clock, ManualClock};
use tessera_registry::testing::{ChaosDeviceStore, Faults, run_conformance};
use tessera_registry::{DeviceRegistry, DeviceStore, Error, InMemoryDeviceStore, UserId};

type Chaos = ChaosDeviceStore<InMemoryDeviceStore>;

fn chaos_store() -> (Chaos, Arc<Faults>) {
    let faults = Faults::new();
    faults.set_latency(Duration::from_micros(200), Duration::from_millis(2));
    (
        ChaosDeviceStore::new(InMemoryDeviceStore::new(), Arc::clone(&faults)),
        faults,
    )
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    accepted: usize,
    rejected: usize,
    conflict: usize,
    store: usize,
}

/// Submits `code` from `n` tasks at once.
async fn submit(
    registry: &Arc<DeviceRegistry<Chaos, ManualClock>>,
    user: &UserId,
    code: &str,
    n: usize,
) -> Tally {
    let results = at_once(registry, n, |registry, _| {
        let (user, code) = (user.clone(), code.to_owned());
        async move { registry.verify_unthrottled(&user, &code).await }
    })
    .await;
    let mut t = Tally::default();
    for result in results {
        match result {
            Ok(_) => t.accepted += 1,
            Err(Error::Rejected) => t.rejected += 1,
            Err(Error::Conflict) => t.conflict += 1,
            Err(Error::Store(_)) => t.store += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_conformance_suite_passes_with_latency() {
    let (store, faults) = chaos_store();
    run_conformance(&store).await;
    eprintln!(
        "conformance with 0.2-2 ms latency: {} loads, {} saves",
        faults.loads(),
        faults.saves()
    );
    assert_eq!(faults.injected(), 0);
    // Several suites sharing the store at once, too.
    conform_concurrently(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_from_64_tasks_with_latency_is_accepted_exactly_once() {
    for round in 0..20 {
        let (store, faults) = chaos_store();
        let (registry, clock) = registry(store, one_code_config());
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        active_app(&registry, &clock, &user, "Other").await;
        let (_, secret) = active_app(&registry, &clock, &user, "Phone").await;
        clock.advance(Duration::from_secs(30));
        let code = code_at(&secret, clock.now());
        let (loads, saves) = (faults.loads(), faults.saves());
        let t = submit(&registry, &user, &code, 64).await;
        eprintln!(
            "round {round}: 64 submissions: {t:?}; {} loads, {} saves",
            faults.loads() - loads,
            faults.saves() - saves
        );
        assert_eq!(t.accepted, 1, "round {round}: {t:?}");
        assert_eq!(t.accepted + t.rejected + t.conflict, 64, "round {round}");
        assert_eq!(t.store, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_enrolments_with_latency_store_exactly_eight() {
    for round in 0..20 {
        let (store, faults) = chaos_store();
        let (registry, _clock) = registry(store, patient_config());
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        let t = enrol_16_at_once(&registry, &user).await;
        let (ok, full) = (t.ok, t.full);
        assert_eq!((t.conflict, t.store), (0, 0), "round {round}: {t:?}");
        let stored = registry.store().inner().load(&user).await.unwrap();
        eprintln!(
            "round {round}: 16 enrolments: {ok} stored, {full} refused as full; {} loads, {} saves",
            faults.loads(),
            faults.saves()
        );
        assert_eq!((ok, full, stored.value.len()), (8, 8, 8), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_saves_lose_nothing_and_the_code_is_accepted_once_after_recovery() {
    for round in 0..20u32 {
        let (store, faults) = chaos_store();
        let (registry, clock) = registry(store, one_code_config());
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        active_app(&registry, &clock, &user, "Other").await;
        let (id, secret) = active_app(&registry, &clock, &user, "Phone").await;
        clock.advance(Duration::from_secs(30));
        let code = code_at(&secret, clock.now());
        let before = registry.store().inner().load(&user).await.unwrap();

        // Every save fails: nothing accepted, nothing written.
        faults.fail_saves(true);
        let down = submit(&registry, &user, &code, 64).await;
        assert_eq!(
            (down.accepted, down.store),
            (0, 64),
            "round {round}: {down:?}"
        );
        // Loads fail too: refused before any check.
        faults.fail_loads(true);
        let dark = submit(&registry, &user, &code, 8).await;
        assert_eq!((dark.accepted, dark.store), (0, 8), "round {round}");
        faults.fail_loads(false);
        faults.fail_saves(false);
        let after = registry.store().inner().load(&user).await.unwrap();
        assert_eq!(
            (after.version, after.value),
            (before.version, before.value),
            "round {round}: a failed save wrote something"
        );

        // Saves failing mid-run: the next `n` fail while 64 submissions race.
        // From round 16 on, n >= 64: every save of the race fails, and the code is
        // accepted only after recovery.
        let n = round * 4;
        faults.fail_next_saves(n);
        let mid = submit(&registry, &user, &code, 64).await;
        faults.fail_next_saves(0);
        // Recovery: the store works again.
        let up = submit(&registry, &user, &code, 64).await;
        eprintln!(
            "round {round}: all saves failing {down:?}; next {n} saves failing {mid:?}; \
             recovered {up:?}; {} faults injected",
            faults.injected()
        );
        assert_eq!(
            mid.accepted + up.accepted,
            1,
            "round {round}: accepted exactly once overall"
        );
        if n >= 64 {
            assert_eq!((mid.store, up.accepted), (64, 1), "round {round}");
        }
        let last = registry.store().inner().load(&user).await.unwrap();
        assert_eq!(last.value.len(), 2, "round {round}: nothing lost");
        let phone = last.value.iter().find(|d| d.id() == id).unwrap();
        let step = clock.now().as_secs() / 30;
        assert_eq!(
            phone.totp().unwrap().last_used_step().map(|s| s.get()),
            Some(step)
        );
        // And it stays used.
        let again = submit(&registry, &user, &code, 16).await;
        assert_eq!(again.accepted, 0, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn enrolments_with_failing_saves_store_exactly_the_successes() {
    for round in 0..20u32 {
        let (store, faults) = chaos_store();
        let (registry, clock) = registry(store, patient_config());
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        // Two devices already there (the one-code helper needs the policy: use a
        // second registry over the same store).
        let setup = registry_over(&registry, &clock);
        active_app(&setup, &clock, &user, "First").await;
        active_app(&setup, &clock, &user, "Second").await;
        let before = registry.store().inner().load(&user).await.unwrap();
        faults.fail_next_saves(round % 8);
        let Enrolled {
            ok,
            full,
            conflict,
            store: failed,
        } = enrol_16_at_once(&registry, &user).await;
        assert_eq!(conflict, 0, "round {round}");
        let stored = registry.store().inner().load(&user).await.unwrap();
        eprintln!(
            "round {round}: {} saves failing: {ok} enrolled, {full} full, {failed} store errors; {} stored",
            round % 8,
            stored.value.len()
        );
        assert_eq!(failed, usize::try_from(round % 8).unwrap(), "round {round}");
        assert_eq!(stored.value.len(), 2 + ok, "round {round}");
        assert!(stored.value.len() <= 8, "round {round}");
        assert_eq!(ok + full + failed, 16, "round {round}");
        for d in &before.value {
            assert!(stored.value.contains(d), "round {round}: a device was lost");
        }
    }
}

/// A one-code registry over the same store and clock as `registry`.
fn registry_over<'a>(
    registry: &'a DeviceRegistry<Chaos, ManualClock>,
    clock: &ManualClock,
) -> DeviceRegistry<&'a Chaos, ManualClock> {
    DeviceRegistry::new(
        registry.store(),
        clock.clone(),
        one_code_config(),
        std::sync::Arc::clone(registry.keyring()),
    )
}
