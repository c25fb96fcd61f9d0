//! Sign-in end to end: the password, then each second factor, with opaque, throttled
//! failures.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.

use std::time::Duration;

use crate::common::{App, EMAIL, PASSWORD, World, setup_app};
use tessera::mfa::{Purpose, ThrottleConfig};
use tessera::{
    AccountStore, Error, Factor, MfaMethod, OrgPolicy, Password, SecondFactorChallenge,
    SecurityEventKind as K, SignIn, UnixTime,
};

/// Ana with an authenticator app and MFA on; returns the app and her recovery codes.
async fn ana_with_mfa(w: &World) -> (App, Vec<String>) {
    let ana = w.ana().await;
    let (app, added) = setup_app(&w.flows, &ana, "Phone", true).await;
    let added = added.into_value();
    assert!(added.settings.enabled());
    let codes = added
        .recovery_codes
        .unwrap()
        .codes()
        .iter()
        .map(|c| c.formatted().as_str().to_owned())
        .collect();
    // The activation used the current step: sign-ins start at the next one.
    w.advance(30);
    w.events.clear();
    (app, codes)
}

/// Ana (MFA on) past her password, with an email code sent.
async fn ana_at_an_email_code() -> (World, SecondFactorChallenge) {
    let w = World::new();
    let _ = ana_with_mfa(&w).await;
    let c = w.challenge("ana").await;
    let c = w.start(c, Some(MfaMethod::Email)).await;
    (w, c)
}

/// The failures counted in the throttle of the account `c` signs in.
async fn failures(w: &World, c: &SecondFactorChallenge) -> u32 {
    let state = w.flows.mfa().throttle_state(c.account()).await.unwrap();
    state.failures()
}

#[tokio::test]
async fn password_only_sign_in_gives_a_one_factor_assurance() {
    let w = World::new();
    let ana = w.ana().await;
    assert_eq!(ana.factors(), [Factor::Password]);
    assert_eq!(ana.method(), None);
    assert_eq!(ana.authenticated_at(), w.now());
    assert!(!ana.has_second_factor());
    // Usernames are case-insensitive and trimmed.
    assert!(matches!(
        w.sign_in("  ANA ", PASSWORD).await.unwrap(),
        SignIn::Complete(_)
    ));
}

#[tokio::test]
async fn every_failure_is_the_same_opaque_error() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    w.flows
        .create_federated_account("fed", "fed@example.com", "Okta")
        .await
        .unwrap();

    let mut failures = vec![
        w.sign_in("ana", "wrong password").await.unwrap_err(),
        w.sign_in("nobody", PASSWORD).await.unwrap_err(),
        w.sign_in("x", PASSWORD).await.unwrap_err(),
        w.sign_in("fed", PASSWORD).await.unwrap_err(),
    ];
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    let good = app.code(w.now());
    let wrong = if good == "000000" { "111111" } else { "000000" };
    failures.push(w.flows.finish_second_factor(&c, wrong).await.unwrap_err());
    failures.push(
        w.flows
            .finish_second_factor(&c, "not a code")
            .await
            .unwrap_err(),
    );
    w.flows.finish_second_factor(&c, &good).await.unwrap();
    failures.push(w.flows.finish_second_factor(&c, &good).await.unwrap_err());
    for e in &failures {
        assert!(matches!(e, Error::VerificationFailed), "{e:?}");
        assert_eq!(e.to_string(), "verification failed");
    }
}

#[tokio::test]
async fn totp_sign_in_records_method_device_and_time() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    let c = w.challenge("ana").await;
    assert_eq!(c.purpose(), Purpose::SignIn);
    assert_eq!(c.primary(), Some(MfaMethod::AuthenticatorApp));
    assert_eq!(
        c.available(),
        [
            MfaMethod::AuthenticatorApp,
            MfaMethod::RecoveryCode,
            MfaMethod::Email
        ]
    );
    let before = w.now();
    let c = w.start(c, None).await;
    assert!(c.ticket().is_none());
    w.advance(3);
    let a = w
        .flows
        .finish_second_factor(&c, &app.code(w.now()))
        .await
        .unwrap();
    assert_eq!(
        a.factors(),
        [
            Factor::Password,
            Factor::SecondFactor(MfaMethod::AuthenticatorApp)
        ]
    );
    assert_eq!(a.method(), Some(MfaMethod::AuthenticatorApp));
    assert_eq!(a.device(), Some(app.id));
    assert_eq!(a.authenticated_at(), before);
    assert_eq!(a.second_factor_at(), Some(w.now()));
    assert!(a.has_second_factor());
    assert_eq!(a.account(), c.account());
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_reported() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    let code = app.code(w.now());
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    w.flows.finish_second_factor(&c, &code).await.unwrap();
    assert!(w.events.kinds().is_empty());

    w.advance(10);
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    let e = w.flows.finish_second_factor(&c, &code).await.unwrap_err();
    assert!(matches!(e, Error::VerificationFailed));
    assert_eq!(
        w.events.kinds(),
        [K::CodeReuseDetected {
            method: MfaMethod::AuthenticatorApp
        }]
    );
    // A merely wrong code is not reported as reuse.
    w.events.clear();
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let _ = w.flows.finish_second_factor(&c, wrong).await.unwrap_err();
    assert!(w.events.kinds().is_empty());
    assert_eq!(failures(&w, &c).await, 2);
}

#[tokio::test]
async fn an_activation_code_replayed_at_sign_in_is_reported_and_looks_like_a_wrong_one() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    // The second of the two activation codes, 30 s ago: still in the window, but used.
    let activation = app.code(UnixTime::from_secs(w.now().as_secs() - 30));
    let good = app.code(w.now());
    let next = app.code(UnixTime::from_secs(w.now().as_secs() + 30));
    // Not a code of any step in the window, chosen rather than left to chance.
    let wrong = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| ![&good, &activation, &next].contains(&&c.to_string()))
        .unwrap();
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;

    let replayed = w
        .flows
        .finish_second_factor(&c, &activation)
        .await
        .unwrap_err();
    assert_eq!(
        w.events.kinds(),
        [K::CodeReuseDetected {
            method: MfaMethod::AuthenticatorApp
        }]
    );
    w.events.clear();
    let refused = w.flows.finish_second_factor(&c, wrong).await.unwrap_err();
    assert!(w.events.kinds().is_empty(), "a wrong code is not a replay");
    for e in [&replayed, &refused] {
        assert!(matches!(e, Error::VerificationFailed), "{e:?}");
    }
    assert_eq!(replayed.to_string(), refused.to_string());
    assert_eq!(format!("{replayed:?}"), format!("{refused:?}"));
    // The current code still signs in afterwards.
    w.flows.finish_second_factor(&c, &good).await.unwrap();
}

/// Issue 13, item 1: `start_second_factor(&mut challenge, ..)` changed the value the
/// application kept; an application that did not store it again sent the person's
/// right email code to a challenge without a ticket, and the failure counted. Now the
/// new state is what comes out (a `#[must_use]` warning when dropped; see the
/// `compile_fail` doctest on `SecondFactorChallenge`), and only it carries the ticket.
#[tokio::test]
async fn the_challenge_that_comes_out_of_start_finishes_with_the_email_code() {
    let w = World::new();
    let _ = ana_with_mfa(&w).await;
    let kept = w.challenge("ana").await;
    assert_eq!(kept.method(), None);
    let started = w
        .flows
        .start_second_factor(kept.clone(), Some(MfaMethod::Email))
        .await
        .unwrap();
    assert_eq!(started.method(), Some(MfaMethod::Email));
    assert_eq!(started.ticket().map(|t| t.method), Some(MfaMethod::Email));
    // The value passed in is unchanged (it was a clone here; in a service, the copy
    // still in the session): it never pretends to carry the code.
    assert!(matches!(
        w.flows.finish_second_factor(&kept, &w.last_code()).await,
        Err(Error::NoMethodChosen)
    ));
    let a = w.finish_with_last_code(&started).await;
    assert_eq!(a.method(), Some(MfaMethod::Email));
}

/// A refused start returns only the error: the state the caller still holds (its
/// session's copy) keeps its method and code, and finishes.
#[tokio::test]
async fn a_refused_start_leaves_the_held_challenge_usable() {
    let (w, held) = ana_at_an_email_code().await;
    let code = w.last_code();
    // SMS is not offered (no phone): refused, nothing sent.
    assert!(matches!(
        w.flows
            .start_second_factor(held.clone(), Some(MfaMethod::Sms))
            .await,
        Err(Error::MethodNotOffered(MfaMethod::Sms))
    ));
    let a = w.flows.finish_second_factor(&held, &code).await.unwrap();
    assert_eq!(a.method(), Some(MfaMethod::Email));
}

#[tokio::test]
async fn fallback_to_an_email_code() {
    let (w, c) = ana_at_an_email_code().await;
    let ticket = c.ticket().unwrap().clone();
    assert_eq!(ticket.method, MfaMethod::Email);
    assert_eq!(ticket.destination_hint, "a***@example.com");
    assert_eq!(c.ticket(), Some(&ticket));
    let code = w.last_code();
    let a = w.flows.finish_second_factor(&c, &code).await.unwrap();
    assert_eq!(a.method(), Some(MfaMethod::Email));
    assert_eq!(a.device(), None);
    // Used once.
    assert!(matches!(
        w.flows.finish_second_factor(&c, &code).await,
        Err(Error::VerificationFailed)
    ));
    // A method the challenge does not offer is refused with a clear error.
    let c = w.challenge("ana").await;
    assert!(matches!(
        w.flows
            .start_second_factor(c.clone(), Some(MfaMethod::Sms))
            .await,
        Err(Error::MethodNotOffered(MfaMethod::Sms))
    ));
    // Completing before starting.
    assert!(matches!(
        w.flows.finish_second_factor(&c, "123456").await,
        Err(Error::NoMethodChosen)
    ));
}

#[tokio::test]
async fn sms_after_linking_and_verifying_a_phone() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    let c = w.challenge("ana").await;
    let c = w.start(c, Some(MfaMethod::Email)).await;
    let by_email = w.finish_with_last_code(&c).await;
    // An email code cannot bind a phone to an account that has an app (weaker factor).
    assert!(matches!(
        w.flows
            .start_phone_verification(&by_email, "+1 (415) 555-2671")
            .await,
        Err(Error::StepUpTooWeak { .. })
    ));
    let c = w.flows.start_step_up(&by_email).await.unwrap();
    let c = w.start(c, Some(MfaMethod::AuthenticatorApp)).await;
    let ana = w
        .flows
        .finish_second_factor(&c, &app.code(w.now()))
        .await
        .unwrap();
    w.advance(30); // one code per 30 seconds per account
    let ticket = w
        .flows
        .start_phone_verification(&ana, "+1 (415) 555-2671")
        .await
        .unwrap();
    assert_eq!(ticket.purpose, Purpose::PhoneVerification);
    assert!(matches!(
        w.flows
            .finish_phone_verification(&ana, &ticket, "000000")
            .await,
        Err(Error::VerificationFailed)
    ));
    let _ = w
        .flows
        .finish_phone_verification(&ana, &ticket, &w.last_code())
        .await
        .unwrap();
    assert!(w.events.kinds().contains(&K::PhoneLinked));
    let table = w.flows.availability(&ana).await.unwrap();
    assert!(table.is_available(MfaMethod::Sms));
    // The administrators' report shows the phone as a factor.
    let account = w.flows.account(ana.account()).await.unwrap();
    let status = w.flows.mfa_status_of(&account).await.unwrap();
    assert!(status.sms && status.factors().contains(&MfaMethod::Sms));
    let s = w
        .flows
        .set_preferred_method(&ana, MfaMethod::Sms)
        .await
        .unwrap()
        .into_value();
    assert_eq!(s.preferred(), Some(MfaMethod::Sms));

    w.advance(60);
    let c = w.challenge("ana").await;
    assert_eq!(c.primary(), Some(MfaMethod::Sms));
    let c = w.start(c, None).await;
    let ticket = c.ticket().unwrap().clone();
    assert_eq!(ticket.destination_hint, "+*********71");
    let a = w.finish_with_last_code(&c).await;
    assert_eq!(a.method(), Some(MfaMethod::Sms));
}

#[tokio::test]
async fn recovery_code_sign_in_uses_the_code_up() {
    let w = World::new();
    let (_, codes) = ana_with_mfa(&w).await;
    let c = w.challenge("ana").await;
    let c = w.start(c, Some(MfaMethod::RecoveryCode)).await;
    let typed = codes[3].to_lowercase().replace('-', " ");
    let a = w.flows.finish_second_factor(&c, &typed).await.unwrap();
    assert_eq!(a.method(), Some(MfaMethod::RecoveryCode));
    assert_eq!(w.events.kinds(), [K::RecoveryCodeUsed { remaining: 9 }]);
    assert!(matches!(
        w.flows.finish_second_factor(&c, &codes[3]).await,
        Err(Error::VerificationFailed)
    ));
}

#[tokio::test]
async fn a_remembered_device_skips_the_second_factor_for_its_account_only() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    w.flows
        .create_account("bob_smith", "bob@example.com", &Password::new(PASSWORD))
        .await
        .unwrap();
    let bob = match w.sign_in("bob_smith", PASSWORD).await.unwrap() {
        SignIn::Complete(a) => a,
        other => panic!("{other:?}"),
    };
    let _bob_app = w.add_app(&bob, "Bob's phone", true).await;

    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    let a = w
        .flows
        .finish_second_factor(&c, &app.code(w.now()))
        .await
        .unwrap();
    let token = w
        .flows
        .remember_device(&a, "Firefox on a laptop")
        .await
        .unwrap();
    assert!(!format!("{token:?}").contains(token.encode().as_str()));

    let again = w
        .flows
        .sign_in("ana", &Password::new(PASSWORD), Some(&token))
        .await
        .unwrap();
    let SignIn::Complete(r) = again else {
        panic!("expected the remembered device to skip the second factor")
    };
    assert_eq!(r.factors(), [Factor::Password, Factor::RememberedDevice]);
    assert!(!r.has_second_factor());
    // Bob's sign-in with Ana's token still asks Bob for a second factor.
    let bob_again = w
        .flows
        .sign_in("bob_smith", &Password::new(PASSWORD), Some(&token))
        .await
        .unwrap();
    assert!(matches!(bob_again, SignIn::SecondFactor(_)));
    // The token never replaces the password.
    assert!(matches!(
        w.flows
            .sign_in("ana", &Password::new("wrong"), Some(&token))
            .await,
        Err(Error::VerificationFailed)
    ));
    // Remembering needs a fresh second factor.
    w.advance(10 * 60);
    assert!(matches!(
        w.flows.remember_device(&a, "later").await,
        Err(Error::StepUpRequired)
    ));
}

#[tokio::test]
async fn failures_throttle_and_then_lock_through_sign_in() {
    // Two free failures, then one second between attempts, locked at the fourth.
    let throttle = ThrottleConfig::new(
        2,
        4,
        100,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(60),
    )
    .unwrap();
    let w = World::with(OrgPolicy::default(), throttle);
    let (app, _) = ana_with_mfa(&w).await;

    // A wrong password and three wrong codes: the fourth failure locks.
    assert!(w.sign_in("ana", "wrong password").await.is_err()); // failure 1
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    let wrong = |now| {
        let good = app.code(now);
        if good == "000000" { "111111" } else { "000000" }
    };
    assert!(
        w.flows
            .finish_second_factor(&c, wrong(w.now()))
            .await
            .is_err()
    ); // failure 2
    // The second failure set a one-second wait: even the right code is refused now,
    // and attempts in the wait are not counted.
    let refused = w
        .flows
        .finish_second_factor(&c, &app.code(w.now()))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::VerificationFailed));
    assert_eq!(failures(&w, &c).await, 2);
    for _failure in 3..=4 {
        w.advance(1);
        assert!(
            w.flows
                .finish_second_factor(&c, wrong(w.now()))
                .await
                .is_err()
        );
    }
    let locked_until = w.now().saturating_add(Duration::from_secs(60));
    assert!(w.events.kinds().contains(&K::LockedOut {
        until: locked_until
    }));

    // Locked: the right password, and then the right code, fail the same way.
    w.advance(30);
    assert!(matches!(
        w.sign_in("ana", PASSWORD).await,
        Err(Error::VerificationFailed)
    ));
    assert!(matches!(
        w.flows.finish_second_factor(&c, &app.code(w.now())).await,
        Err(Error::VerificationFailed)
    ));

    // After the lockout, sign-in works and resets the count.
    w.advance(31);
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    w.flows
        .finish_second_factor(&c, &app.code(w.now()))
        .await
        .unwrap();
    let state = w.flows.mfa().throttle_state(c.account()).await.unwrap();
    assert_eq!(state.failures(), 0);
}

#[tokio::test]
async fn a_known_password_does_not_reset_second_factor_failures() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    let good = app.code(w.now());
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        let c = w.challenge("ana").await;
        let c = w.start(c, None).await;
        assert!(w.flows.finish_second_factor(&c, wrong).await.is_err());
    }
    let c = w.challenge("ana").await;
    let state = w.flows.mfa().throttle_state(c.account()).await.unwrap();
    assert_eq!(
        state.failures(),
        3,
        "the password alone must not reset the count"
    );
}

#[tokio::test]
async fn an_expired_challenge_cannot_be_completed() {
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    w.advance(tessera::SECOND_FACTOR_TTL.as_secs());
    assert!(c.expires_at() <= w.now());
    assert!(matches!(
        w.flows.finish_second_factor(&c, &app.code(w.now())).await,
        Err(Error::VerificationFailed)
    ));
    assert!(matches!(
        w.flows.start_second_factor(c.clone(), None).await,
        Err(Error::VerificationFailed)
    ));
}

/// An organisation that requires MFA, and Ana with an account but no second factor.
async fn ana_must_enrol() -> (World, tessera::EnrolmentSession) {
    let policy = OrgPolicy::builder().require_mfa(true).build().unwrap();
    let w = World::with(policy, ThrottleConfig::DEFAULT);
    w.flows
        .create_account("ana", EMAIL, &Password::new(PASSWORD))
        .await
        .unwrap();
    let SignIn::EnrolmentRequired(enrolling) = w.sign_in("ana", PASSWORD).await.unwrap() else {
        panic!("expected enrolment to be required")
    };
    (w, enrolling)
}

/// [`ana_must_enrol`], then an authenticator app named "Phone" started and scanned.
async fn ana_scanned_an_app() -> (World, tessera::EnrolmentSession, App) {
    let (w, enrolling) = ana_must_enrol().await;
    let enrolment = w
        .flows
        .start_authenticator_setup(&enrolling, "Phone")
        .await
        .unwrap();
    let app = App::scan(enrolment.uri(), enrolment.device_id());
    (w, enrolling, app)
}

#[tokio::test]
async fn organisation_requiring_mfa_sends_new_accounts_to_enrolment() {
    let (w, enrolling) = ana_must_enrol().await;
    assert_eq!(enrolling.authenticated_at(), w.now());
    let app = w.add_app(&enrolling, "Phone", true).await;
    let a = w.sign_in_with_app("ana", &app).await;
    assert_eq!(a.method(), Some(MfaMethod::AuthenticatorApp));
}

#[tokio::test]
async fn an_enrolment_session_ends_in_a_full_sign_in_with_the_new_app() {
    let (w, enrolling, app) = ana_scanned_an_app().await;
    let [first, second] = app.two_codes(w.now());
    w.advance(5);
    // `enable_mfa: false` is overruled: the organisation requires MFA.
    let added = w
        .flows
        .finish_authenticator_setup(&enrolling, app.id, &[&first, &second], false)
        .await
        .unwrap()
        .into_value();
    assert!(added.settings.enabled());
    assert!(added.recovery_codes.is_some());
    let a = added
        .signed_in
        .expect("the enrolment completes the sign-in");
    assert_eq!(
        a.factors(),
        [
            Factor::Password,
            Factor::SecondFactor(MfaMethod::AuthenticatorApp)
        ]
    );
    assert_eq!(a.device(), Some(app.id));
    assert_eq!(a.authenticated_at(), enrolling.authenticated_at());
    assert_eq!(a.second_factor_at(), Some(w.now()));
    // A real assurance: the session checks pass, as after any sign-in with MFA.
    w.flows.check_session(&a).await.unwrap();
    a.require_second_factor(Duration::from_secs(60), w.now())
        .unwrap();
    w.flows.devices(&a).await.unwrap();
    // A signed-in person's setup returns no new assurance.
    let other = w.add_app(&a, "Tablet", false).await;
    assert_ne!(other.id, app.id);
}

#[tokio::test]
async fn an_enrolment_session_obeys_the_binding_rules() {
    // Fresh password: 20 minutes, then sign in again.
    let (w, enrolling) = ana_must_enrol().await;
    w.advance(tessera::BINDING_PASSWORD_MAX_AGE.as_secs() + 1);
    assert!(matches!(
        w.flows.start_authenticator_setup(&enrolling, "Phone").await,
        Err(Error::ReauthenticationRequired)
    ));
    assert!(matches!(
        w.flows.finish_enrolment(enrolling).await,
        Err(Error::ReauthenticationRequired)
    ));

    // The security stamp: "sign out everywhere" ends an enrolment session too.
    let (w, enrolling, app) = ana_scanned_an_app().await;
    // The stamp moves on (as a password reset by the application would make it).
    let mut stored = w
        .flows
        .account_store()
        .load(enrolling.account())
        .await
        .unwrap()
        .unwrap();
    let mut parts = stored.value.to_parts();
    parts.stamp = tessera::SecurityStamp::new(parts.stamp.get() + 1);
    stored.value = tessera::Account::from_parts(parts).unwrap();
    w.flows.account_store().save(&stored).await.unwrap();
    let [a, b] = app.two_codes(w.now());
    assert!(matches!(
        w.flows
            .finish_authenticator_setup(&enrolling, app.id, &[&a, &b], true)
            .await,
        Err(Error::SessionRevoked)
    ));
    assert!(matches!(
        w.flows.finish_enrolment(enrolling).await,
        Err(Error::SessionRevoked)
    ));
}

#[tokio::test]
async fn an_enrolment_by_phone_ends_in_a_sign_in_with_an_sms_code() {
    let (w, enrolling) = ana_must_enrol().await;
    // Nothing set up yet: still enrolling.
    let enrolling = match w.flows.finish_enrolment(enrolling).await.unwrap() {
        SignIn::EnrolmentRequired(e) => e,
        other => panic!("expected enrolment to be required still, got {other:?}"),
    };
    let ticket = w
        .flows
        .start_phone_verification(&enrolling, "+1 (415) 555-2671")
        .await
        .unwrap();
    let _ = w
        .flows
        .finish_phone_verification(&enrolling, &ticket, &w.last_code())
        .await
        .unwrap();
    let _ = w
        .flows
        .enable_mfa(&enrolling, Some(MfaMethod::Sms))
        .await
        .unwrap();
    w.advance(30); // one code per 30 seconds per account
    let SignIn::SecondFactor(c) = w.flows.finish_enrolment(enrolling.clone()).await.unwrap() else {
        panic!("MFA is on: the new factor is asked for")
    };
    assert_eq!(c.primary(), Some(MfaMethod::Sms));
    let c = w.start(c, None).await;
    let a = w.finish_with_last_code(&c).await;
    assert_eq!(
        a.factors(),
        [Factor::Password, Factor::SecondFactor(MfaMethod::Sms)]
    );
    assert_eq!(a.authenticated_at(), enrolling.authenticated_at());
    w.flows.check_session(&a).await.unwrap();
}

#[tokio::test]
async fn a_second_factor_challenge_lasts_exactly_its_lifetime() {
    // SECOND_FACTOR_TTL (ten minutes): still open one second before the end, closed at it.
    assert_eq!(tessera::SECOND_FACTOR_TTL, Duration::from_secs(10 * 60));
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    assert_eq!(
        c.expires_at(),
        w.now().saturating_add(tessera::SECOND_FACTOR_TTL)
    );
    w.advance(tessera::SECOND_FACTOR_TTL.as_secs() - 1);
    let a = w
        .flows
        .finish_second_factor(&c, &app.code(w.now()))
        .await
        .unwrap();
    assert_eq!(a.second_factor_at(), Some(w.now()));
}

#[tokio::test]
async fn a_device_can_be_remembered_for_five_minutes_after_the_second_factor() {
    // REMEMBER_WITHIN: at five minutes exactly still allowed, one second later refused.
    assert_eq!(tessera::REMEMBER_WITHIN, Duration::from_secs(5 * 60));
    let w = World::new();
    let (app, _) = ana_with_mfa(&w).await;
    let a = w.sign_in_with_app("ana", &app).await;
    w.advance(tessera::REMEMBER_WITHIN.as_secs());
    let token = w.flows.remember_device(&a, "laptop").await.unwrap();
    w.advance(30);
    let b = w.sign_in_with_app("ana", &app).await;
    w.advance(tessera::REMEMBER_WITHIN.as_secs() + 1);
    assert!(matches!(
        w.flows.remember_device(&b, "tablet").await,
        Err(Error::StepUpRequired)
    ));
    // The token remembered in time works.
    let again = w
        .flows
        .sign_in("ana", &Password::new(PASSWORD), Some(&token))
        .await
        .unwrap();
    assert!(matches!(again, SignIn::Complete(_)));
}

#[tokio::test]
async fn an_enrolment_session_binds_for_exactly_twenty_minutes_of_password() {
    // BINDING_PASSWORD_MAX_AGE: at twenty minutes exactly the password still binds.
    assert_eq!(
        tessera::BINDING_PASSWORD_MAX_AGE,
        Duration::from_secs(20 * 60)
    );
    let (w, enrolling) = ana_must_enrol().await;
    w.advance(tessera::BINDING_PASSWORD_MAX_AGE.as_secs());
    let enrolment = w
        .flows
        .start_authenticator_setup(&enrolling, "Phone")
        .await
        .unwrap();
    assert!(enrolment.uri().starts_with("otpauth://totp/"));
}

#[tokio::test]
async fn an_enrolment_the_policy_no_longer_requires_finishes_with_the_password() {
    // The organisation drops its MFA requirement while Ana holds an enrolment session:
    // two deployments of the flows over the same stores, before and after.
    let accounts = std::sync::Arc::new(tessera::InMemoryAccountStore::new());
    let devices = std::sync::Arc::new(tessera::InMemoryDeviceStore::new());
    let mfa = std::sync::Arc::new(tessera::InMemoryStore::new());
    let clock = tessera::ManualClock::new(UnixTime::from_secs(crate::common::T0));
    let flows = |require: bool| {
        crate::common::bare_builder()
            .org_policy(OrgPolicy::builder().require_mfa(require).build().unwrap())
            .build(
                accounts.clone(),
                devices.clone(),
                mfa.clone(),
                clock.clone(),
            )
            .unwrap()
    };
    let (strict, relaxed) = (flows(true), flows(false));
    let password = Password::new(PASSWORD);
    strict
        .create_account("ana", EMAIL, &password)
        .await
        .unwrap();
    let SignIn::EnrolmentRequired(session) = strict.sign_in("ana", &password, None).await.unwrap()
    else {
        panic!("the policy requires MFA")
    };
    assert!(matches!(
        strict.finish_enrolment(session.clone()).await.unwrap(),
        SignIn::EnrolmentRequired(_)
    ));
    let SignIn::Complete(a) = relaxed.finish_enrolment(session).await.unwrap() else {
        panic!("nothing is owed any more: the password signs in")
    };
    assert_eq!(a.factors(), [Factor::Password]);
    relaxed.check_session(&a).await.unwrap();
}

#[tokio::test]
async fn an_email_code_completes_the_sign_in_and_resets_the_count() {
    let log = tessera::testing::AuditLog::install().unwrap();
    let (w, c) = ana_at_an_email_code().await;
    let code = w.last_code();
    for _ in 0..2 {
        let wrong = if code.starts_with('0') {
            "111111"
        } else {
            "000000"
        };
        assert!(w.flows.finish_second_factor(&c, wrong).await.is_err());
    }
    assert_eq!(failures(&w, &c).await, 2);
    // Audited as wrong codes, not as store failures.
    assert_eq!(
        log.count(
            c.account(),
            "second_factor_failed",
            Some("wrong_second_factor")
        ),
        2
    );
    w.flows.finish_second_factor(&c, &code).await.unwrap();
    assert_eq!(
        failures(&w, &c).await,
        0,
        "only a completion resets the count"
    );
}
