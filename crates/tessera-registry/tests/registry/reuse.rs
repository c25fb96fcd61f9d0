//! Replay reporting through the registry: `verify_unthrottled_reporting_reuse` over a store, with
//! store failures and racing requests.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{
    active_app, at_once, code_at, faulty_store, one_code_config, racing_store, registry,
};
use tessera_otp::Clock;
use tessera_registry::{DeviceKind, DeviceStore, Error, InMemoryDeviceStore, UserId};

#[tokio::test]
async fn a_replay_is_reported_beside_the_one_opaque_error() {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let (ana, bo) = (UserId::new("ana"), UserId::new("bo"));
    active_app(&registry, &clock, &ana, "Laptop").await;
    let (phone, secret) = active_app(&registry, &clock, &ana, "Phone").await;
    active_app(&registry, &clock, &bo, "Phone").await;
    clock.advance(Duration::from_secs(30));
    let code = code_at(&secret, clock.now());

    let verified = registry
        .verify_unthrottled_reporting_reuse(&ana, &code)
        .await
        .unwrap();
    assert_eq!(verified.device_id, phone);
    let replay = registry
        .verify_unthrottled_reporting_reuse(&ana, &code)
        .await
        .unwrap_err();
    let reuse = replay.reuse().unwrap();
    assert_eq!(
        (reuse.device_id, reuse.kind),
        (phone, DeviceKind::AuthenticatorApp)
    );
    // To the caller it is the same failure as `verify`'s, in every form.
    assert!(replay.is_rejected());
    assert_eq!(replay.to_string(), "verification failed");
    let plain = registry.verify_unthrottled(&ana, &code).await.unwrap_err();
    assert_eq!(replay.to_string(), plain.to_string());
    assert!(matches!(Error::from(replay), Error::Rejected));

    // Ana's used code at bo's account, and an unknown user: refused, no replay of bo's.
    for user in [&bo, &UserId::new("nobody")] {
        let refused = registry
            .verify_unthrottled_reporting_reuse(user, &code)
            .await
            .unwrap_err();
        assert!(refused.is_rejected());
        assert_eq!(refused.reuse(), None);
    }
}

#[tokio::test]
async fn store_failures_are_not_refusals() {
    let (registry, clock) = registry(faulty_store(), one_code_config());
    let ana = UserId::new("ana");
    let (id, secret) = active_app(&registry, &clock, &ana, "Phone").await;
    clock.advance(Duration::from_secs(30));
    let code = code_at(&secret, clock.now());
    let before = registry.store().load(&ana).await.unwrap();

    registry.store().faults().fail_saves(true);
    let failed = registry
        .verify_unthrottled_reporting_reuse(&ana, &code)
        .await
        .unwrap_err();
    assert!(matches!(failed.error(), Error::Store(_)), "{failed:?}");
    assert!(!failed.is_rejected());
    assert_eq!(failed.reuse(), None);
    registry.store().faults().fail_saves(false);

    registry.store().faults().conflict_next_saves(5);
    let failed = registry
        .verify_unthrottled_reporting_reuse(&ana, &code)
        .await
        .unwrap_err();
    assert!(matches!(failed.into_error(), Error::Conflict));
    let after = registry.store().load(&ana).await.unwrap();
    assert_eq!((after.version, after.value), (before.version, before.value));

    // Nothing was recorded: the code still works, once.
    let verified = registry
        .verify_unthrottled_reporting_reuse(&ana, &code)
        .await
        .unwrap();
    assert_eq!(verified.device_id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_with_one_code_accept_one_and_report_the_rest_as_replays() {
    for round in 0..10 {
        let store = racing_store(round % 2 == 0);
        let (registry, clock) = registry(store, one_code_config());
        let registry = Arc::new(registry);
        let user = UserId::new("ana");
        let (id, secret) = active_app(&registry, &clock, &user, "Phone").await;
        clock.advance(Duration::from_secs(30));
        let code = code_at(&secret, clock.now());
        let results = at_once(&registry, 8, |registry, _| {
            let (user, code) = (user.clone(), code.clone());
            async move {
                registry
                    .verify_unthrottled_reporting_reuse(&user, &code)
                    .await
            }
        })
        .await;
        let (mut accepted, mut replays) = (0, 0);
        for result in results {
            match result {
                Ok(v) => {
                    assert_eq!(v.device_id, id);
                    accepted += 1;
                }
                // A loser of the race reloads after the winner's save and sees a replay.
                Err(r) if r.is_rejected() && r.reuse().map(|r| r.device_id) == Some(id) => {
                    replays += 1;
                }
                Err(r) => panic!("unexpected: {r:?}"),
            }
        }
        assert_eq!((accepted, replays), (1, 7), "round {round}");
    }
}
