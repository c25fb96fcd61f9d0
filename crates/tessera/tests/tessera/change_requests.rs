//! Issue 19 item 7: where holders may not remove factors themselves, they ask and a named
//! administrator decides; each step an event.

use tessera::mfa::{SecurityEventKind, ThrottleConfig};
use tessera::testing::AuditLog;
use tessera::{AdminAction, Error, FactorChange, OrgPolicy, SignIn};

use crate::common::{App, PASSWORD, World};

fn by_request() -> World {
    let policy = OrgPolicy::builder()
        .self_service_removal(false)
        .build()
        .unwrap();
    World::with(policy, ThrottleConfig::DEFAULT)
}

fn admin() -> AdminAction {
    AdminAction::new("helpdesk-7", "caller verified by video").unwrap()
}

/// Ana with MFA on by an app, a second app, and a fresh step-up.
async fn ana_with_two_apps(w: &World) -> (tessera::Assurance, App, App) {
    let ana = w.ana().await;
    let first = w.add_app(&ana, "work phone", true).await;
    let second = w
        .add_app(&w.step_up(&ana, &first).await, "spare", false)
        .await;
    let fresh = w.step_up(&ana, &first).await;
    (fresh, first, second)
}

/// Ana asks for `change`; the request.
async fn request(
    w: &World,
    ana: &tessera::Assurance,
    change: FactorChange,
    note: &str,
) -> tessera::ChangeRequest {
    w.flows
        .request_factor_change(ana, change, note)
        .await
        .unwrap()
        .into_value()
}

/// Ana (two apps) asks to remove the first one; her assurance and the request.
async fn asks_to_remove_the_first_app(w: &World) -> (tessera::Assurance, tessera::ChangeRequest) {
    let (ana, first, _second) = ana_with_two_apps(w).await;
    let request = request(w, &ana, FactorChange::RemoveDevice { device: first.id }, "").await;
    (ana, request)
}

#[tokio::test]
async fn a_removal_the_holder_may_not_make_is_requested_and_approved() {
    let log = AuditLog::install().unwrap();
    let w = by_request();
    let (ana, first, second) = ana_with_two_apps(&w).await;
    let user = ana.account().clone();
    assert!(matches!(
        w.flows.remove_device(&ana, first.id).await,
        Err(Error::Mfa(tessera::mfa::Error::SelfServiceRemovalForbidden))
    ));
    w.events.drain();
    let request = w
        .flows
        .request_factor_change(
            &ana,
            FactorChange::RemoveDevice { device: first.id },
            "phone went in the lake",
        )
        .await
        .unwrap()
        .into_value();
    assert!(request.is_pending());
    assert_eq!(request.note(), "phone went in the lake");
    assert!(w.events.drain().iter().any(|e| e.kind
        == SecurityEventKind::FactorChangeRequested {
            change: "remove the device “work phone”".into()
        }));
    assert!(matches!(
        w.flows
            .request_factor_change(
                &ana,
                FactorChange::RemoveDevice { device: first.id },
                "again"
            )
            .await,
        Err(Error::InvalidChangeRequest(_))
    ));
    assert_eq!(w.flows.admin_change_requests(&user).await.unwrap().len(), 1);

    let approved = w
        .flows
        .approve_change_request(&admin(), &user, request.id())
        .await
        .unwrap()
        .into_value();
    let decision = approved.decision().unwrap();
    assert!(decision.approved);
    assert_eq!(
        (decision.by.as_str(), decision.reason.as_str()),
        ("helpdesk-7", "caller verified by video")
    );
    let devices = w.flows.registry().list(&user).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].id, second.id);
    assert!(w.events.drain().iter().any(|e| e.kind
        == SecurityEventKind::FactorChangeDecided {
            change: "remove the device “work phone”".into(),
            approved: true,
        }));
    assert_eq!(
        log.count(
            &user,
            "factor_change_approved",
            Some("caller verified by video")
        ),
        1
    );
    // Decided once.
    assert!(matches!(
        w.flows
            .approve_change_request(&admin(), &user, request.id())
            .await,
        Err(Error::InvalidChangeRequest(_))
    ));
    assert!(matches!(
        w.flows
            .reject_change_request(&admin(), &user, request.id())
            .await,
        Err(Error::InvalidChangeRequest(_))
    ));
}

#[tokio::test]
async fn a_rejected_request_changes_nothing() {
    let w = by_request();
    let (ana, request) = asks_to_remove_the_first_app(&w).await;
    let user = ana.account().clone();
    let rejected = w
        .flows
        .reject_change_request(&admin(), &user, request.id())
        .await
        .unwrap()
        .into_value();
    assert!(!rejected.decision().unwrap().approved);
    assert_eq!(request.requested_at(), w.now());
    assert_eq!(rejected.requested_at(), w.now());
    assert_eq!(w.flows.registry().list(&user).await.unwrap().len(), 2);
    let listed = w.flows.change_requests(&ana).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].is_pending());
    // A decided request cannot be approved after all: nothing is carried out.
    assert!(matches!(
        w.flows
            .approve_change_request(&admin(), &user, request.id())
            .await,
        Err(Error::InvalidChangeRequest(_))
    ));
    assert_eq!(w.flows.registry().list(&user).await.unwrap().len(), 2);
}

/// The record keeps every pending request and the newest decided ones, 16 in all.
#[tokio::test]
async fn the_oldest_decided_requests_are_forgotten_pending_ones_never() {
    let w = by_request();
    let (ana, first, _second) = ana_with_two_apps(&w).await;
    let user = ana.account().clone();
    let kept = tessera::MAX_KEPT_CHANGE_REQUESTS;
    let pending = request(&w, &ana, FactorChange::ResetMfa, "first of all").await;
    let mut decided = Vec::new();
    for _ in 0..kept + 4 {
        let request = request(
            &w,
            &ana,
            FactorChange::RemoveDevice { device: first.id },
            "",
        )
        .await;
        let _ = w
            .flows
            .reject_change_request(&admin(), &user, request.id())
            .await
            .unwrap();
        decided.push(request.id().to_owned());
        let listed = w.flows.change_requests(&ana).await.unwrap();
        assert_eq!(listed.len(), decided.len().min(kept - 1) + 1);
    }
    let listed = w.flows.change_requests(&ana).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), kept);
    assert!(ids.contains(&pending.id()), "the pending request stays");
    for (i, id) in decided.iter().enumerate() {
        let newest = i >= decided.len() - (kept - 1);
        assert_eq!(ids.contains(&id.as_str()), newest, "decided request {i}");
    }
}

#[tokio::test]
async fn a_lost_everything_request_resets_mfa_when_approved() {
    let w = by_request();
    let (ana, _first, _second) = ana_with_two_apps(&w).await;
    let user = ana.account().clone();
    let request = request(&w, &ana, FactorChange::ResetMfa, "lost both phones").await;
    let _ = w
        .flows
        .approve_change_request(&admin(), &user, request.id())
        .await
        .unwrap();
    assert!(w.flows.registry().list(&user).await.unwrap().is_empty());
    assert!(matches!(
        w.sign_in("ana", PASSWORD).await.unwrap(),
        SignIn::EnrolmentRequired(_)
    ));
}

#[tokio::test]
async fn requests_need_a_fresh_session_a_real_device_and_a_clean_note() {
    let w = by_request();
    let (ana, first, _second) = ana_with_two_apps(&w).await;
    let unknown = tessera::DeviceId::from_u128(42);
    assert!(matches!(
        w.flows
            .request_factor_change(&ana, FactorChange::RemoveDevice { device: unknown }, "")
            .await,
        Err(Error::InvalidChangeRequest(_))
    ));
    assert!(matches!(
        w.flows
            .request_factor_change(&ana, FactorChange::ResetMfa, "line\nbreak")
            .await,
        Err(Error::InvalidChangeRequest(_))
    ));
    // Past the step-up age, MFA on: a fresh second factor first.
    w.advance(11 * 60);
    assert!(matches!(
        w.flows
            .request_factor_change(&ana, FactorChange::RemoveDevice { device: first.id }, "")
            .await,
        Err(Error::StepUpRequired)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_administrators_approving_at_once_decide_once() {
    let w = by_request();
    let (ana, request) = asks_to_remove_the_first_app(&w).await;
    let user = ana.account().clone();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (flows, user, id) = (w.flows.clone(), user.clone(), request.id().to_owned());
            tokio::spawn(async move {
                let who = AdminAction::new(&format!("admin-{i}"), "ok").unwrap();
                flows.approve_change_request(&who, &user, &id).await
            })
        })
        .collect();
    let mut approved = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => approved += 1,
            Err(e) => assert!(
                matches!(e, Error::InvalidChangeRequest(_)) || e.is_conflict(),
                "{e:?}"
            ),
        }
    }
    assert_eq!(approved, 1);
    assert_eq!(w.flows.registry().list(&user).await.unwrap().len(), 1);
}
