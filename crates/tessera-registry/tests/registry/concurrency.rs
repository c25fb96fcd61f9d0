//! The device cap and replay prevention under real races (tokio multi-thread runtime).

use std::sync::Arc;
use std::time::Duration;

use crate::common::{
    FaultyStore, active_app, at_once, code_at, enrol_16_at_once, one_code_config, patient_config,
    racing_store, registry,
};
use tessera_otp::Clock;
use tessera_registry::{DeviceStore, Error, RegistryConfig, UserId};

/// Sixteen enrolments at once over `store`: enrolled, full, gave up with `Conflict`,
/// devices stored, conflicts the store reported.
async fn enrol_16_over(
    store: FaultyStore,
    config: RegistryConfig,
) -> (usize, usize, usize, usize, u64) {
    let (registry, _clock) = registry(store, config);
    let registry = Arc::new(registry);
    let user = UserId::new("ana");
    let t = enrol_16_at_once(&registry, &user).await;
    assert_eq!(t.store, 0, "the store never fails here");
    let stored = registry.store().load(&user).await.unwrap().value.len();
    let conflicts = registry.store().faults().conflicts();
    (t.ok, t.full, t.conflict, stored, conflicts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_enrolments_never_leave_more_than_eight() {
    for round in 0..20 {
        // Enough attempts that each enrolment ends in success or a full user: every
        // conflict means another enrolment saved, and at most eight can.
        let store = racing_store(round % 2 == 0);
        let (ok, full, conflict, stored, conflicts) = enrol_16_over(store, patient_config()).await;
        assert_eq!((ok, full, conflict, stored), (8, 8, 0, 8), "round {round}");
        eprintln!("round {round}: 8 enrolled, 8 refused, {conflicts} conflicts retried");

        // With the default five attempts some may give up with Conflict, never more than eight stored.
        let five = RegistryConfig::new("Acme").unwrap();
        let (ok, full, conflict, stored, _) = enrol_16_over(racing_store(true), five).await;
        assert_eq!(ok + full + conflict, 16);
        assert!(
            ok <= 8 && stored == ok,
            "round {round}: ok {ok}, stored {stored}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_code_sent_by_32_tasks_is_accepted_exactly_once() {
    for round in 0..20 {
        let store = racing_store(round % 2 == 0);
        let (registry, clock) = registry(store, one_code_config());
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        // Several devices, the code from the last one.
        for i in 0..3 {
            active_app(&registry, &clock, &user, &format!("Other {i}")).await;
        }
        let (id, secret) = active_app(&registry, &clock, &user, "Phone").await;
        clock.advance(Duration::from_secs(30));
        let code = code_at(&secret, clock.now());
        let conflicts_before = registry.store().faults().conflicts();
        let results = at_once(&registry, 32, |registry, _| {
            let (user, code) = (user.clone(), code.clone());
            async move { registry.verify_unthrottled(&user, &code).await }
        })
        .await;
        let (mut accepted, mut rejected) = (0, 0);
        for result in results {
            match result {
                Ok(v) => {
                    assert_eq!(v.device_id, id);
                    accepted += 1;
                }
                Err(Error::Rejected) => rejected += 1,
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        let conflicts = registry.store().faults().conflicts() - conflicts_before;
        eprintln!(
            "round {round}: accepted {accepted}, rejected {rejected}, {conflicts} conflicts retried"
        );
        assert_eq!((accepted, rejected), (1, 31), "round {round}");
    }
}

/// Eight tabs reload the same setup page at once: one pending device, one secret, every
/// tab shows it (issue 13, item 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reloads_of_one_setup_page_share_one_pending_device() {
    for round in 0..20 {
        let store = racing_store(round % 2 == 0);
        let (registry, _clock) = registry(store, patient_config());
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        let mut shown: Vec<_> = at_once(&registry, 8, |registry, _| {
            let user = user.clone();
            async move {
                let e = registry
                    .start_enrolment(&user, "Phone", "ana@example.com")
                    .await
                    .unwrap();
                (e.device_id(), e.uri().to_owned())
            }
        })
        .await;
        shown.dedup();
        assert_eq!(shown.len(), 1, "round {round}: one device, one secret");
        let stored = registry.store().load(&user).await.unwrap().value;
        assert_eq!(stored.len(), 1, "round {round}");
    }
}

/// Cancel and activate race: exactly one wins, never both (a cancelled enrolment's
/// codes never activate; an active device is never cancelled).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_and_activate_of_one_enrolment_never_both_succeed() {
    let (mut activated, mut cancelled) = (0, 0);
    for round in 0..40 {
        let store = racing_store(round % 2 == 0);
        let config = RegistryConfig::builder("Acme")
            .activation(tessera_registry::ActivationPolicy::OneCode)
            .max_attempts(20)
            .build()
            .unwrap();
        let (registry, clock) = registry(store, config);
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        let e = registry
            .start_enrolment(&user, "Phone", "ana@example.com")
            .await
            .unwrap();
        let code = code_at(e.secret(), clock.now());
        let id = e.device_id();
        let activate = {
            let (registry, user) = (Arc::clone(&registry), user.clone());
            tokio::spawn(async move { registry.finish_enrolment(&user, id, &[&code]).await })
        };
        let cancel = {
            let (registry, user) = (Arc::clone(&registry), user.clone());
            tokio::spawn(async move { registry.cancel_enrolment(&user, id).await })
        };
        let (a, c) = (activate.await.unwrap(), cancel.await.unwrap());
        let stored = registry.store().load(&user).await.unwrap().value;
        match (a, c) {
            (Ok(_), Err(Error::AlreadyActive)) => {
                activated += 1;
                assert_eq!(stored.len(), 1, "round {round}");
                assert!(stored[0].is_active());
            }
            (Err(Error::DeviceNotFound), Ok(_)) => {
                cancelled += 1;
                assert!(stored.is_empty(), "round {round}");
            }
            (a, c) => panic!("round {round}: activate {a:?}, cancel {c:?}"),
        }
    }
    assert_eq!(activated + cancelled, 40);
}
