//! Second-factor management end to end: authenticator apps, MFA on and off, the
//! preferred method, step-up, lost devices, administrator removal, the device cap.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.

use std::time::Duration;

use crate::common::{App, World, setup_app, signed_up};
use tessera::mfa::{ThrottleConfig, Unavailable};
use tessera::{Actor, Error, Factor, MfaMethod, OrgPolicy, SecurityEventKind as K, UnixTime};

#[tokio::test]
async fn set_up_an_authenticator_app_and_enable_mfa() {
    let w = World::new();
    let ana = w.ana().await;
    let enrolment = w
        .flows
        .start_authenticator_setup(&ana, "Phone")
        .await
        .unwrap();
    assert!(
        enrolment
            .uri()
            .starts_with("otpauth://totp/Tessera:ana.lima%40example.com?")
    );
    assert_eq!(enrolment.key_uri().issuer(), Some("Tessera"));
    let app = App::scan(enrolment.uri(), enrolment.device_id());

    // Wrong codes: refused, nothing changes.
    let err = w
        .flows
        .finish_authenticator_setup(&ana, app.id, &["000000", "111111"], true)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::VerificationFailed));
    assert!(w.events.kinds().is_empty());
    assert!(
        !w.flows
            .mfa()
            .settings(ana.account())
            .await
            .unwrap()
            .enabled()
    );

    let [a, b] = app.two_codes(w.now());
    let added = w
        .flows
        .finish_authenticator_setup(&ana, app.id, &[&a, &b], true)
        .await
        .unwrap();
    assert!(added.notify_error.is_none());
    let added = added.value;
    assert_eq!(added.device.id, app.id);
    assert_eq!(
        added.settings.preferred(),
        Some(MfaMethod::AuthenticatorApp)
    );
    assert_eq!(added.recovery_codes.unwrap().codes().len(), 10);
    assert_eq!(
        w.events.kinds(),
        [
            K::DeviceAdded {
                method: MfaMethod::AuthenticatorApp
            },
            K::MfaEnabled {
                preferred: MfaMethod::AuthenticatorApp
            },
        ]
    );
    // With MFA on, binding a second app needs a step-up first.
    assert!(matches!(
        w.flows.start_authenticator_setup(&ana, "Tablet").await,
        Err(Error::StepUpRequired)
    ));
    let ana = w.step_up(&ana, &app).await;
    // A second app does not generate new recovery codes or re-enable.
    w.events.clear();
    let (_, added) = setup_app(&w.flows, &ana, "Tablet", true).await;
    let added = added.into_value();
    assert!(added.recovery_codes.is_none());
    assert_eq!(
        w.events.kinds(),
        [K::DeviceAdded {
            method: MfaMethod::AuthenticatorApp
        }]
    );
}

#[tokio::test]
async fn enable_without_a_device_uses_email_and_disable_needs_a_recent_second_factor() {
    let w = World::new();
    let ana = w.ana().await;
    let enabled = w.flows.enable_mfa(&ana, None).await.unwrap().into_value();
    assert_eq!(enabled.settings.preferred(), Some(MfaMethod::Email));
    assert!(enabled.recovery_codes.is_some());

    // Ana's password-only assurance is not enough to turn MFA off.
    assert!(matches!(
        w.flows.disable_mfa(&ana, None).await,
        Err(Error::StepUpRequired)
    ));
    // Step-up with an email code, then disable.
    let step_up = w.flows.start_step_up(&ana).await.unwrap();
    assert_eq!(step_up.purpose(), tessera::mfa::Purpose::StepUp);
    let step_up = w.start(step_up, None).await;
    let fresh = w.finish_with_last_code(&step_up).await;
    assert_eq!(
        fresh.factors(),
        [Factor::Password, Factor::SecondFactor(MfaMethod::Email)]
    );
    assert_eq!(fresh.authenticated_at(), ana.authenticated_at());
    w.events.clear();
    let settings = w
        .flows
        .disable_mfa(&fresh, None)
        .await
        .unwrap()
        .into_value();
    assert!(!settings.value.enabled());
    assert_eq!(w.events.kinds(), [K::MfaDisabled]);
    // Turning MFA off ended every other session; this one goes on renewed.
    assert!(matches!(
        w.flows.check_session(&fresh).await,
        Err(Error::SessionRevoked)
    ));
    // With MFA off there is nothing to step up with.
    assert!(matches!(
        w.flows.start_step_up(&settings.assurance).await,
        Err(Error::Mfa(tessera::mfa::Error::MfaNotEnabled))
    ));
}

#[tokio::test]
async fn step_up_age_is_checked_at_exact_instants() {
    let w = World::new();
    let ana = w.ana().await;
    let app = w.add_app(&ana, "Phone", true).await;
    let a = w.sign_in_with_app("ana", &app).await;
    let max = Duration::from_secs(300);
    let at = a.second_factor_at().unwrap();
    assert!(a.require_second_factor(max, at.saturating_add(max)).is_ok());
    assert!(matches!(
        a.require_second_factor(max, at.saturating_add(max + Duration::from_secs(1))),
        Err(Error::StepUpRequired)
    ));
    // The flows' own age (ten minutes by default) guards new recovery codes.
    assert_eq!(
        tessera::DEFAULT_STEP_UP_MAX_AGE,
        Duration::from_secs(10 * 60)
    );
    w.advance(tessera::DEFAULT_STEP_UP_MAX_AGE.as_secs());
    assert!(w.flows.regenerate_recovery_codes(&a).await.is_ok());
    w.advance(1);
    assert!(matches!(
        w.flows.regenerate_recovery_codes(&a).await,
        Err(Error::StepUpRequired)
    ));
    // The age an application may choose: one minute to one day, both ends included.
    for (secs, ok) in [
        (59, false),
        (60, true),
        (24 * 3600, true),
        (24 * 3600 + 1, false),
    ] {
        assert_eq!(
            w.flows
                .clone()
                .with_step_up_max_age(Duration::from_secs(secs))
                .is_ok(),
            ok,
            "{secs} s"
        );
    }
}

#[tokio::test]
async fn lost_device_recovery_code_then_remove_and_enrol_a_new_one() {
    let w = World::new();
    let ana = w.ana().await;
    let lost = w.add_app(&ana, "Phone", false).await;
    let codes: Vec<String> = {
        let enabled = w.flows.enable_mfa(&ana, None).await.unwrap().into_value();
        let set = enabled.recovery_codes.unwrap();
        set.codes()
            .iter()
            .map(|c| c.formatted().as_str().to_owned())
            .collect()
    };
    w.advance(30);
    let c = w.challenge("ana").await;
    let c = w.start(c, Some(MfaMethod::RecoveryCode)).await;
    let recovered = w.flows.finish_second_factor(&c, &codes[0]).await.unwrap();
    w.events.clear();
    let removed = w
        .flows
        .remove_device(&recovered, lost.id)
        .await
        .unwrap()
        .into_value();
    assert_eq!(removed.value.id, lost.id);
    let recovered = removed.assurance;
    // The preferred method falls back to email, and Ana is told both things.
    assert_eq!(
        w.events.kinds(),
        [
            K::DeviceRemoved {
                method: MfaMethod::AuthenticatorApp
            },
            K::PreferredMethodChanged {
                from: Some(MfaMethod::AuthenticatorApp),
                to: Some(MfaMethod::Email),
                fallback: true
            }
        ]
    );
    // The lost phone's codes no longer work.
    w.advance(30);
    let c = w.challenge("ana").await;
    assert_eq!(c.primary(), Some(MfaMethod::Email));
    assert!(matches!(
        w.flows
            .start_second_factor(c.clone(), Some(MfaMethod::AuthenticatorApp))
            .await,
        Err(Error::MethodNotOffered(MfaMethod::AuthenticatorApp))
    ));
    // A new phone, preferred again.
    let new = w.add_app(&recovered, "New phone", false).await;
    let s = w
        .flows
        .set_preferred_method(&recovered, MfaMethod::AuthenticatorApp)
        .await
        .unwrap()
        .into_value();
    assert_eq!(s.preferred(), Some(MfaMethod::AuthenticatorApp));
    let a = w.sign_in_with_app("ana", &new).await;
    assert_eq!(a.device(), Some(new.id));
}

#[tokio::test]
async fn administrator_removes_when_self_service_is_forbidden() {
    let policy = OrgPolicy::builder()
        .self_service_removal(false)
        .build()
        .unwrap();
    let w = World::with(policy, ThrottleConfig::DEFAULT);
    let ana = w.ana().await;
    let app = w.add_app(&ana, "Phone", true).await;
    let a = w.sign_in_with_app("ana", &app).await;
    assert!(matches!(
        w.flows.remove_device(&a, app.id).await,
        Err(Error::Mfa(tessera::mfa::Error::SelfServiceRemovalForbidden))
    ));
    assert_eq!(w.flows.devices(&a).await.unwrap().len(), 1);
    assert!(matches!(
        w.flows.admin_remove_device(" ", a.account(), app.id).await,
        Err(Error::Mfa(tessera::mfa::Error::AnonymousAdministrator))
    ));
    w.events.clear();
    let removed = w
        .flows
        .admin_remove_device("ops:jo", a.account(), app.id)
        .await
        .unwrap()
        .into_value();
    assert_eq!(removed.id, app.id);
    // The account's sessions ended with the removal.
    assert!(matches!(
        w.flows.check_session(&a).await,
        Err(Error::SessionRevoked)
    ));
    let events = w.events.events();
    assert_eq!(events[0].actor, Actor::administrator("ops:jo"));
    assert_eq!(
        events[0].kind,
        K::DeviceRemoved {
            method: MfaMethod::AuthenticatorApp
        }
    );
    assert!(
        w.flows
            .registry()
            .list(a.account())
            .await
            .unwrap()
            .is_empty()
    );
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    let a = w.finish_with_last_code(&c).await;
    let table = w.flows.availability(&a).await.unwrap();
    assert_eq!(
        table.get(MfaMethod::AuthenticatorApp).reason(),
        Some(Unavailable::NotConfigured)
    );
}

#[tokio::test]
async fn eight_devices_then_the_ninth_is_refused() {
    let w = World::new();
    let ana = w.ana().await;
    for n in 1..=8 {
        let _ = w.add_app(&ana, &format!("Device {n}"), false).await;
    }
    let err = w
        .flows
        .start_authenticator_setup(&ana, "Device 9")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Registry(tessera::registry::Error::TooManyDevices { max: 8 })
    ));
    assert_eq!(err.to_string(), "a user may have at most 8 mfa devices");
    assert_eq!(w.flows.devices(&ana).await.unwrap().len(), 8);
}

#[tokio::test]
async fn resync_a_drifted_device() {
    let w = World::new();
    let ana = w.ana().await;
    let app = w.add_app(&ana, "Phone", true).await;
    w.advance(3600);
    // The phone's clock runs three minutes fast now.
    let skewed = w.now().saturating_add(Duration::from_secs(180));
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    assert!(
        w.flows
            .finish_second_factor(&c, &app.code(skewed))
            .await
            .is_err()
    );
    let [a, b] = app.two_codes(skewed);
    let drift = w.flows.resync_device(&ana, app.id, &a, &b).await.unwrap();
    assert_eq!(drift.steps(), 6);
    w.advance(30);
    let skewed = w.now().saturating_add(Duration::from_secs(180));
    let a = w
        .flows
        .finish_second_factor(&c, &app.code(skewed))
        .await
        .unwrap();
    assert_eq!(a.device(), Some(app.id));
}

/// Issue 13, item 4: reloading the setup page used to hold the name and a slot for
/// ten minutes (`DuplicateName`). Now starting again with the name resumes the pending
/// device: same id, same secret, so the app that scanned the first page activates it.
#[tokio::test]
async fn reloading_the_setup_page_resumes_the_pending_app() {
    let w = World::new();
    let ana = w.ana().await;
    let first = w
        .flows
        .start_authenticator_setup(&ana, "Phone")
        .await
        .unwrap();
    let scanned = App::scan(first.uri(), first.device_id());
    w.advance(540); // nine minutes on the page
    let reloaded = w
        .flows
        .start_authenticator_setup(&ana, "phone")
        .await
        .unwrap();
    assert_eq!(reloaded.device_id(), first.device_id());
    assert_eq!(reloaded.uri(), first.uri());
    assert_eq!(
        reloaded.expires_at(),
        w.now().saturating_add(Duration::from_secs(600))
    );
    let shown = w
        .flows
        .resume_authenticator_setup(&ana, first.device_id())
        .await
        .unwrap();
    assert_eq!(shown.uri(), first.uri());
    assert_eq!(w.flows.devices(&ana).await.unwrap().len(), 1);
    // Past the first page's ten minutes: the renewed enrolment still activates.
    w.advance(120);
    let [a, b] = scanned.two_codes(w.now());
    let added = w
        .flows
        .finish_authenticator_setup(&ana, scanned.id, &[&a, &b], false)
        .await
        .unwrap()
        .into_value();
    assert_eq!(added.device.id, first.device_id());
    assert!(added.signed_in.is_none());
    // Active now: the name is taken, and there is nothing to resume.
    assert!(matches!(
        w.flows.start_authenticator_setup(&ana, "Phone").await,
        Err(Error::Registry(tessera::registry::Error::DuplicateName))
    ));
}

#[tokio::test]
async fn a_cancelled_setup_frees_its_slot_and_name_and_its_codes_never_activate() {
    let w = World::new();
    let ana = w.ana().await;
    // Seven apps and one pending: the eighth slot is the pending one's.
    for i in 0..7 {
        let _ = w.add_app(&ana, &format!("App {i}"), false).await;
        w.advance(30);
    }
    let pending = w
        .flows
        .start_authenticator_setup(&ana, "Phone")
        .await
        .unwrap();
    let scanned = App::scan(pending.uri(), pending.device_id());
    assert!(matches!(
        w.flows.start_authenticator_setup(&ana, "Tablet").await,
        Err(Error::Registry(
            tessera::registry::Error::TooManyDevices { .. }
        ))
    ));
    let cancelled = w
        .flows
        .cancel_authenticator_setup(&ana, pending.device_id())
        .await
        .unwrap();
    assert_eq!(cancelled.id, pending.device_id());
    let [a, b] = scanned.two_codes(w.now());
    assert!(matches!(
        w.flows
            .finish_authenticator_setup(&ana, scanned.id, &[&a, &b], true)
            .await,
        Err(Error::Registry(tessera::registry::Error::DeviceNotFound))
    ));
    assert!(matches!(
        w.flows
            .resume_authenticator_setup(&ana, pending.device_id())
            .await,
        Err(Error::Registry(tessera::registry::Error::DeviceNotFound))
    ));
    // The slot and the name are free at once: a new device with a new secret.
    let again = w
        .flows
        .start_authenticator_setup(&ana, "Phone")
        .await
        .unwrap();
    assert_ne!(again.device_id(), pending.device_id());
    assert_ne!(again.uri(), pending.uri());
    // An active device is not cancelled (removing one has its own rules).
    let active = w.flows.devices(&ana).await.unwrap()[0].id;
    assert!(matches!(
        w.flows.cancel_authenticator_setup(&ana, active).await,
        Err(Error::Registry(tessera::registry::Error::AlreadyActive))
    ));
}

#[tokio::test]
async fn resuming_and_cancelling_need_fresh_authentication() {
    let w = World::new();
    let ana = w.ana().await;
    let pending = w
        .flows
        .start_authenticator_setup(&ana, "Phone")
        .await
        .unwrap();
    w.advance(tessera::BINDING_PASSWORD_MAX_AGE.as_secs() + 1);
    assert!(matches!(
        w.flows
            .resume_authenticator_setup(&ana, pending.device_id())
            .await,
        Err(Error::ReauthenticationRequired)
    ));
    assert!(matches!(
        w.flows
            .cancel_authenticator_setup(&ana, pending.device_id())
            .await,
        Err(Error::ReauthenticationRequired)
    ));
}

/// A hardware token's codes, `steps_back` steps before `at`.
fn token_code(secret: &tessera::otp::Secret, at: UnixTime, steps_back: u64) -> String {
    let at = UnixTime::from_secs(at.as_secs() - 30 * steps_back);
    tessera::otp::Totp::new(secret, tessera::otp::TotpParams::DEFAULT)
        .generate(at)
        .unwrap()
        .expose()
        .to_owned()
}

fn token(
    name: &str,
    serial: &str,
    secret: &tessera::otp::Secret,
) -> tessera::registry::HardwareToken {
    tessera::registry::HardwareToken::new(
        name,
        serial,
        secret.clone(),
        tessera::otp::TotpParams::DEFAULT,
    )
    .unwrap()
}

/// Issue 17: "add an app, a hardware token or a security key". The holder types the
/// token's serial and seed and two consecutive codes; wrong codes add nothing, the
/// token then signs in, another account cannot take it, and with MFA on a second
/// token needs a step-up like any factor.
#[tokio::test]
async fn a_hardware_token_is_added_with_two_codes_and_signs_in() {
    let w = World::new();
    let ana = w.ana().await;
    let secret = tessera::otp::Secret::generate();
    let fob = token("Fob", "SN-0001", &secret);

    let wrong = w
        .flows
        .add_hardware_token(&ana, &fob, &["000000", "111111"], true)
        .await;
    assert!(wrong.is_err());
    assert!(w.flows.devices(&ana).await.unwrap().is_empty());
    assert!(w.events.kinds().is_empty());

    let (a, b) = (
        token_code(&secret, w.now(), 1),
        token_code(&secret, w.now(), 0),
    );
    let added = w
        .flows
        .add_hardware_token(&ana, &fob, &[&a, &b], true)
        .await
        .unwrap()
        .into_value();
    assert_eq!(
        added.device.kind,
        tessera::registry::DeviceKind::HardwareToken
    );
    assert_eq!(added.settings.preferred(), Some(MfaMethod::HardwareToken));
    assert_eq!(added.recovery_codes.unwrap().codes().len(), 10);
    // The administrators' report counts it and lists it first (no app, no key).
    let account = w.flows.account(ana.account()).await.unwrap();
    let status = w.flows.mfa_status_of(&account).await.unwrap();
    assert_eq!((status.hardware_tokens, status.device_count()), (1, 1));
    assert_eq!(status.factors()[0], MfaMethod::HardwareToken);
    assert_eq!(
        w.events.kinds(),
        [
            K::DeviceAdded {
                method: MfaMethod::HardwareToken
            },
            K::MfaEnabled {
                preferred: MfaMethod::HardwareToken
            },
        ]
    );

    // Sign-in with the token's next code.
    w.advance(30);
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    assert_eq!(c.method(), Some(MfaMethod::HardwareToken));
    let signed_in = w
        .flows
        .finish_second_factor(&c, &token_code(&secret, w.now(), 0))
        .await
        .unwrap();
    assert_eq!(signed_in.device(), Some(added.device.id));

    // Another account with the same token (its serial, or its seed under another
    // serial): refused, nothing stored for it.
    let bo = signed_up(&w.flows, "bogdan", "bogdan@example.com").await;
    w.advance(30);
    for (serial, name) in [("SN-0001", "Fob"), ("SN-9999", "Copy")] {
        let (a, b) = (
            token_code(&secret, w.now(), 1),
            token_code(&secret, w.now(), 0),
        );
        let err = w
            .flows
            .add_hardware_token(&bo, &token(name, serial, &secret), &[&a, &b], true)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Registry(tessera::registry::Error::DeviceBelongsToAnotherUser)
            ),
            "{serial}: {err:?}"
        );
    }
    assert!(w.flows.devices(&bo).await.unwrap().is_empty());

    // With MFA on, a second token needs a fresh second factor, as an app does.
    w.advance(3600);
    let other = tessera::otp::Secret::generate();
    let (a, b) = (
        token_code(&other, w.now(), 1),
        token_code(&other, w.now(), 0),
    );
    assert!(matches!(
        w.flows
            .add_hardware_token(
                &signed_in,
                &token("Spare", "SN-0002", &other),
                &[&a, &b],
                false
            )
            .await,
        Err(Error::StepUpRequired)
    ));
}
