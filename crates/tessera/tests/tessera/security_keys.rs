//! Security keys through the facade (feature `webauthn`): a software passkey is
//! registered under the binding rules and used as the second factor at sign-in; a
//! replayed assertion and a ceremony from another account are the opaque failure.
#![cfg(feature = "webauthn")]

use std::sync::Arc;

use tessera::webauthn::{InMemoryCeremonyLedger, InMemoryCredentialIndex, RelyingParty, Url};
use tessera::{Error, Keyring, ManualClock, MfaMethod};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::common::{PASSWORD, World};

const ORIGIN: &str = "https://login.example.com";

type Rp = RelyingParty<ManualClock, InMemoryCeremonyLedger, InMemoryCredentialIndex>;

fn rp(w: &World) -> Rp {
    rp_with_timeout(w, tessera::webauthn::DEFAULT_TIMEOUT)
}

fn rp_with_timeout(w: &World, timeout: std::time::Duration) -> Rp {
    RelyingParty::builder("example.com", ORIGIN)
        .timeout(timeout)
        .build(
            Arc::new(Keyring::ephemeral().unwrap()),
            w.clock.clone(),
            InMemoryCeremonyLedger::new(),
            InMemoryCredentialIndex::new(),
        )
        .unwrap()
}

fn origin() -> Url {
    ORIGIN.parse().unwrap()
}

/// Ana, signed in with her password, registers `browser` as "Blue key" with MFA on.
async fn ana_with_key(w: &World, rp: &Rp, browser: &mut SoftPasskey) {
    let ana = w.ana().await;
    let (options, ceremony) = w.flows.start_security_key_setup(&ana, rp).await.unwrap();
    let response = browser.do_registration(origin(), options).unwrap();
    let json = serde_json::to_string(&response).unwrap();
    let added = w
        .flows
        .finish_security_key_setup(&ana, rp, ceremony, &json, "Blue key", true)
        .await
        .unwrap()
        .into_value();
    assert_eq!(added.device.kind, tessera::DeviceKind::SecurityKey);
    assert!(added.settings.enabled(), "the first factor turns MFA on");
    assert_eq!(added.recovery_codes.unwrap().codes().len(), 10);
}

#[tokio::test]
async fn a_passkey_is_registered_and_is_the_second_factor_at_sign_in() {
    let w = World::new();
    let rp = rp(&w);
    let mut browser = SoftPasskey::new(true);
    ana_with_key(&w, &rp, &mut browser).await;

    let challenge = w.challenge("ana").await;
    assert_eq!(challenge.primary(), Some(MfaMethod::SecurityKey));
    let (ceremony, json) = assertion(&w, &rp, &mut browser, &challenge).await;
    let assurance = w
        .flows
        .finish_security_key(&challenge, &rp, ceremony, &json)
        .await
        .unwrap();
    assert_eq!(assurance.method(), Some(MfaMethod::SecurityKey));
    w.flows.check_session(&assurance).await.unwrap();

    // The same assertion again, with a new ceremony or the used one: refused, opaque.
    let again = w.challenge("ana").await;
    let (_, fresh) = w.flows.start_security_key(&again, &rp).await.unwrap();
    assert!(matches!(
        w.flows.finish_security_key(&again, &rp, fresh, &json).await,
        Err(Error::VerificationFailed)
    ));
    // The key is listed with the account's devices.
    let devices = w.flows.devices(&assurance).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name.as_str(), "Blue key");
}

#[tokio::test]
async fn binding_a_key_needs_a_fresh_authentication_and_its_own_ceremony() {
    let w = World::new();
    let rp = rp(&w);
    let ana = w.ana().await;
    // A day later the password is no longer fresh: no binding.
    w.advance(24 * 3600);
    assert!(matches!(
        w.flows.start_security_key_setup(&ana, &rp).await,
        Err(Error::ReauthenticationRequired)
    ));
    // Bo's ceremony does not register a key for Ana.
    let tessera::SignIn::Complete(fresh) = w.sign_in("ana", PASSWORD).await.unwrap() else {
        panic!("no MFA yet: the password is enough")
    };
    let bo = crate::common::signed_up(&w.flows, "bob", "bob@example.com").await;
    let (options, bo_ceremony) = w.flows.start_security_key_setup(&bo, &rp).await.unwrap();
    let mut browser = SoftPasskey::new(true);
    let json = serde_json::to_string(&browser.do_registration(origin(), options).unwrap()).unwrap();
    let refused = w
        .flows
        .finish_security_key_setup(&fresh, &rp, bo_ceremony, &json, "Stolen", true)
        .await;
    assert!(matches!(refused, Err(Error::SecurityKey(_))), "{refused:?}");
    assert!(refused.unwrap_err().is_invalid_input());
    assert!(
        w.flows.devices(&fresh).await.unwrap().is_empty(),
        "nothing registered"
    );
}

/// An organisation that requires a security key (kanidm's minimum credential type):
/// an authenticator app cannot be bound, availability says why, a key can.
#[tokio::test]
async fn an_organisation_can_require_a_security_key() {
    use tessera::mfa::{Authority, ThrottleConfig, Unavailable};
    let policy = tessera::OrgPolicy::builder()
        .minimum_authority(Some(Authority::PhishingResistant))
        .build()
        .unwrap();
    let w = World::with(policy, ThrottleConfig::DEFAULT);
    let rp = rp(&w);
    let ana = w.ana().await;
    let below = Unavailable::BelowOrganisationMinimum {
        needed: Authority::PhishingResistant,
    };
    let refused = w.flows.start_authenticator_setup(&ana, "Phone").await;
    assert!(
        matches!(
            &refused,
            Err(Error::Mfa(tessera::mfa::Error::MethodUnavailable { method: MfaMethod::AuthenticatorApp, reason }))
                if *reason == below
        ),
        "{refused:?}"
    );
    let table = w.flows.availability(&ana).await.unwrap();
    assert_eq!(table.get(MfaMethod::Email).reason(), Some(below));
    let mut browser = SoftPasskey::new(true);
    let (options, ceremony) = w.flows.start_security_key_setup(&ana, &rp).await.unwrap();
    let json = serde_json::to_string(&browser.do_registration(origin(), options).unwrap()).unwrap();
    let _ = w
        .flows
        .finish_security_key_setup(&ana, &rp, ceremony, &json, "Blue key", true)
        .await
        .unwrap();
    let c = w.challenge("ana").await;
    assert_eq!(c.primary(), Some(MfaMethod::SecurityKey));
    assert!(
        !c.available().contains(&MfaMethod::Email),
        "{:?}",
        c.available()
    );
}

/// A counter that did not grow (two assertions of one key, the newer finished first):
/// the older is the opaque failure, audited as a possible cloned key, and the holder is
/// told (a code-reuse notice for the security key).
#[tokio::test]
async fn a_key_whose_counter_went_back_is_refused_and_told() {
    let w = World::new();
    let rp = rp(&w);
    let mut browser = SoftPasskey::new(true);
    ana_with_key(&w, &rp, &mut browser).await;
    let older_challenge = w.challenge("ana").await;
    let newer_challenge = w.challenge("ana").await;
    let (older_ceremony, older) = assertion(&w, &rp, &mut browser, &older_challenge).await;
    let (newer_ceremony, newer) = assertion(&w, &rp, &mut browser, &newer_challenge).await;
    w.flows
        .finish_security_key(&newer_challenge, &rp, newer_ceremony, &newer)
        .await
        .unwrap();
    w.events.clear();
    assert!(matches!(
        w.flows
            .finish_security_key(&older_challenge, &rp, older_ceremony, &older)
            .await,
        Err(Error::VerificationFailed)
    ));
    assert_eq!(
        w.events.kinds(),
        [tessera::SecurityEventKind::CodeReuseDetected {
            method: MfaMethod::SecurityKey
        }],
        "the holder is told"
    );
}

/// An assertion refused for another reason than a counter going back (here the
/// sign-in challenge ran out while the key was answering) raises no cloned-key alarm
/// and tells the holder nothing.
#[tokio::test]
async fn a_late_assertion_is_refused_without_a_cloned_key_alarm() {
    let log = tessera::testing::AuditLog::install().unwrap();
    let w = World::new();
    // Ceremonies may last 10 minutes, as long as a sign-in challenge.
    let rp = rp_with_timeout(&w, tessera::webauthn::MAX_TIMEOUT);
    let mut browser = SoftPasskey::new(true);
    ana_with_key(&w, &rp, &mut browser).await;
    let challenge = w.challenge("ana").await;
    w.advance(9 * 60 + 30);
    let (ceremony, json) = assertion(&w, &rp, &mut browser, &challenge).await;
    w.advance(60); // the challenge is over; the ceremony is not
    w.events.clear();
    assert!(matches!(
        w.flows
            .finish_security_key(&challenge, &rp, ceremony, &json)
            .await,
        Err(Error::VerificationFailed)
    ));
    let user = challenge.account();
    assert_eq!(log.count(user, "second_factor_failed", Some("expired")), 1);
    assert_eq!(
        log.count(user, "possible_cloned_key", Some("wrong_second_factor")),
        0
    );
    assert!(w.events.kinds().is_empty(), "{:?}", w.events.kinds());
}

#[tokio::test]
async fn a_challenge_without_security_keys_refuses_a_key_ceremony_before_anything_else() {
    let w = World::new();
    let rp = rp(&w);
    let mut browser = SoftPasskey::new(true);
    ana_with_key(&w, &rp, &mut browser).await;
    // Bob has an authenticator app only: his challenge offers no security key.
    let bob = crate::common::signed_up(&w.flows, "bob_smith", "bob@example.com").await;
    let _app = w.add_app(&bob, "Bob's phone", true).await;
    w.advance(30);
    let bobs = w.challenge("bob_smith").await;
    assert!(!bobs.available().contains(&MfaMethod::SecurityKey));
    assert!(matches!(
        w.flows.start_security_key(&bobs, &rp).await,
        Err(Error::MethodNotOffered(MfaMethod::SecurityKey))
    ));
    // Even with a real ceremony and assertion (Ana's), Bob's challenge is refused as
    // not offering keys, and Ana's ceremony is not used up by it.
    let anas = w.challenge("ana").await;
    let (ceremony, json) = assertion(&w, &rp, &mut browser, &anas).await;
    assert!(matches!(
        w.flows
            .finish_security_key(&bobs, &rp, ceremony.clone(), &json)
            .await,
        Err(Error::MethodNotOffered(MfaMethod::SecurityKey))
    ));
    let ana = w
        .flows
        .finish_security_key(&anas, &rp, ceremony, &json)
        .await
        .unwrap();
    assert_eq!(ana.method(), Some(MfaMethod::SecurityKey));
}

#[tokio::test]
async fn a_security_key_answers_a_reset_and_only_a_reset_through_the_reset_path() {
    let w = World::new();
    let rp = rp(&w);
    let mut browser = SoftPasskey::new(true);
    ana_with_key(&w, &rp, &mut browser).await;
    let reset = w.flows.start_password_reset("ana").await.unwrap();
    let tessera::ResetStep::SecondFactor(challenge) = w
        .flows
        .verify_password_reset(reset, &w.last_code())
        .await
        .unwrap()
    else {
        panic!("MFA is on: a second factor comes before the new password")
    };
    assert_eq!(challenge.primary(), Some(MfaMethod::SecurityKey));
    // A sign-in's assertion is not a reset's.
    let sign_in = w.challenge("ana").await;
    let opened = answer(&w, &rp, &mut browser, &sign_in).await;
    assert!(matches!(
        w.flows
            .finish_reset_with_security_key(&sign_in, &rp, &opened)
            .await,
        Err(Error::VerificationFailed)
    ));
    let opened = answer(&w, &rp, &mut browser, &challenge).await;
    let session = w
        .flows
        .finish_reset_with_security_key(&challenge, &rp, &opened)
        .await
        .unwrap();
    assert_eq!(session.second_factor(), Some(MfaMethod::SecurityKey));
}

/// A security-key ceremony started for `challenge`, and `browser`'s answer to it (the
/// JSON a page posts).
async fn assertion(
    w: &World,
    rp: &Rp,
    browser: &mut SoftPasskey,
    challenge: &tessera::SecondFactorChallenge,
) -> (tessera::webauthn::AuthenticationCeremony, String) {
    let (options, ceremony) = w.flows.start_security_key(challenge, rp).await.unwrap();
    let response = browser.do_authentication(origin(), options).unwrap();
    (ceremony, serde_json::to_string(&response).unwrap())
}

/// `browser`'s answer to a security-key ceremony started for `challenge`, opened.
async fn answer(
    w: &World,
    rp: &Rp,
    browser: &mut SoftPasskey,
    challenge: &tessera::SecondFactorChallenge,
) -> tessera::webauthn::OpenedAssertion {
    let (ceremony, json) = assertion(w, rp, browser, challenge).await;
    let parsed = tessera::webauthn::parse_authentication_response(&json).unwrap();
    rp.open_authentication(challenge.account(), ceremony, parsed)
        .await
        .unwrap()
}
