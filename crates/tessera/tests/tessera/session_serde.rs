//! The `serde` feature: a second factor in progress and the resulting assurance kept in
//! a session between requests (serialized, read back, used), with nothing secret in it.
#![cfg(feature = "session-state")]
// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.

use std::time::Duration;

use crate::common::World;
use tessera::mfa::Purpose;
use tessera::{Assurance, Factor, MfaMethod, SecondFactorChallenge};

/// What a session store does: to JSON and back.
fn through_session<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> (T, String) {
    let json = serde_json::to_string(value).unwrap();
    (serde_json::from_str(&json).unwrap(), json)
}

#[tokio::test]
async fn a_challenge_and_its_assurance_survive_the_session_round_trip() {
    let w = World::new();
    let ana = w.ana().await;
    let app = w.add_app(&ana, "Phone", true).await;
    w.advance(30);

    // Request 1: the password, then an email code is sent.
    let challenge = w.challenge("ana").await;
    let challenge = w.start(challenge, Some(MfaMethod::Email)).await;
    let ticket = challenge.ticket().unwrap().clone();
    let code = w.last_code();
    let (stored, json) = through_session(&challenge);
    assert_eq!(stored, challenge);
    assert_eq!(stored.ticket(), Some(&ticket));
    assert!(
        !json.contains(&code),
        "the code is never in the session: {json}"
    );
    assert!(json.contains(r#""purpose":"sign_in""#), "{json}");

    // Request 2: the code, against the challenge read back from the session.
    w.advance(20);
    let assurance = w.flows.finish_second_factor(&stored, &code).await.unwrap();
    let (kept, json) = through_session(&assurance);
    assert_eq!(kept, assurance);
    assert_eq!(
        kept.factors(),
        [Factor::Password, Factor::SecondFactor(MfaMethod::Email)]
    );
    assert!(json.contains(r#""account":"#), "{json}");
    assert!(
        kept.require_second_factor(Duration::from_secs(300), w.now())
            .is_ok()
    );

    // A step-up begun from the assurance read back works the same way, with the app.
    let step_up = w.flows.start_step_up(&kept).await.unwrap();
    assert_eq!(step_up.purpose(), Purpose::StepUp);
    let step_up = w.start(step_up, Some(MfaMethod::AuthenticatorApp)).await;
    let (step_up, _) = through_session::<SecondFactorChallenge>(&step_up);
    w.advance(30);
    let fresh: Assurance = w
        .flows
        .finish_second_factor(&step_up, &app.code(w.now()))
        .await
        .unwrap();
    assert_eq!(fresh.device(), Some(app.id));
    assert_eq!(through_session(&fresh).0, fresh);
}

#[test]
fn factors_have_stable_names() {
    let json = serde_json::to_string(&[
        Factor::Password,
        Factor::SecondFactor(MfaMethod::AuthenticatorApp),
        Factor::RememberedDevice,
    ])
    .unwrap();
    assert_eq!(
        json,
        r#"["password",{"second_factor":"authenticator_app"},"remembered_device"]"#
    );
}

/// An enrolment session kept in the session store never reads back as an assurance
/// (nor an assurance as an enrolment session): a route that loads "the signed-in
/// state" cannot be handed one for the other.
#[tokio::test]
async fn an_enrolment_session_never_deserializes_as_an_assurance() {
    let policy = tessera::OrgPolicy::builder()
        .require_mfa(true)
        .build()
        .unwrap();
    let w = World::with(policy, tessera::mfa::ThrottleConfig::DEFAULT);
    w.flows
        .create_account(
            "ana",
            crate::common::EMAIL,
            &tessera::Password::new(crate::common::PASSWORD),
        )
        .await
        .unwrap();
    let tessera::SignIn::EnrolmentRequired(enrolling) =
        w.sign_in("ana", crate::common::PASSWORD).await.unwrap()
    else {
        panic!("expected enrolment to be required")
    };
    let (back, json) = through_session(&enrolling);
    assert_eq!(back, enrolling);
    assert!(serde_json::from_str::<Assurance>(&json).is_err(), "{json}");
    // Read back, it still sets up the app and ends in a sign-in.
    let app = w.add_app(&back, "Phone", true).await;
    let signed_in = w.sign_in_with_app("ana", &app).await;
    let json = serde_json::to_string(&signed_in).unwrap();
    assert!(
        serde_json::from_str::<tessera::EnrolmentSession>(&json).is_err(),
        "{json}"
    );
}

/// A session store that was written to: a challenge whose purpose or method was edited
/// after the code was sent is refused, though the code itself is right (the code's
/// own record says what it was sent for, and the two must agree).
#[tokio::test]
async fn an_edited_challenge_is_refused_even_with_the_right_code() {
    for (from, to) in [
        (r#""purpose":"sign_in""#, r#""purpose":"step_up""#),
        (r#""method":"email""#, r#""method":"sms""#),
    ] {
        let w = World::new();
        let challenge = w.ana_at_an_email_code().await;
        let code = w.last_code();
        let (_, json) = through_session(&challenge);
        assert!(json.contains(from), "{json}");
        let edited: SecondFactorChallenge = serde_json::from_str(&json.replace(from, to)).unwrap();
        assert!(matches!(
            w.flows.finish_second_factor(&edited, &code).await,
            Err(tessera::Error::VerificationFailed)
        ));
    }
}
