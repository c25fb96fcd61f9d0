//! Every default and bound of the service's configuration, checked at its value and one
//! past it (issue 20): a changed constant or comparison fails here.

use std::time::Duration;

use crate::common::{T0, ana, key, link_phone, service};
use tessera_mfa::{
    Actor, Destination, Error, InMemoryDelivery, InMemoryStore, Mfa, MfaMethod as M, OrgPolicy,
    PhoneNumber, Purpose, RecordingNotifier, RecoveryCode, RememberedDeviceId,
};
use tessera_otp::{ManualClock, UnixTime};
use tessera_registry::DeviceKind;

const DAY: u64 = 24 * 3600;

#[test]
fn remembered_device_lifetimes_are_pinned() {
    assert_eq!(
        tessera_mfa::DEFAULT_REMEMBER_TTL,
        Duration::from_secs(30 * DAY)
    );
    assert_eq!(tessera_mfa::MIN_REMEMBER_TTL, Duration::from_secs(3_600));
    assert_eq!(
        tessera_mfa::MAX_REMEMBER_TTL,
        Duration::from_secs(31_536_000)
    );
    for (secs, ok) in [
        (3_599, false),
        (3_600, true),
        (365 * DAY, true),
        (365 * DAY + 1, false),
    ] {
        let (mfa, _, _) = service();
        let set = mfa.with_remember_ttl(Duration::from_secs(secs));
        assert_eq!(set.is_ok(), ok, "{secs} s");
        if let Err(e) = set {
            assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
        }
    }
}

#[test]
fn the_service_reports_its_policy_and_clock() {
    let policy = OrgPolicy::builder().require_mfa(true).build().unwrap();
    let clock = ManualClock::new(UnixTime::from_secs(T0));
    let mfa = Mfa::new(
        InMemoryStore::new(),
        RecordingNotifier::new(),
        clock.clone(),
        policy.clone(),
        key(),
    );
    assert_eq!(mfa.policy(), &policy);
    assert_ne!(mfa.policy(), &OrgPolicy::default());
    assert_eq!(mfa.now(), UnixTime::from_secs(T0));
    clock.advance(Duration::from_secs(7));
    assert_eq!(mfa.now(), UnixTime::from_secs(T0 + 7));
}

#[test]
fn a_recovery_code_may_be_typed_with_up_to_128_bytes() {
    assert_eq!(tessera_mfa::MAX_RECOVERY_INPUT_LEN, 128);
    let code = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23";
    let padded = format!("{code:<128}");
    assert_eq!(padded.len(), 128);
    assert_eq!(
        RecoveryCode::parse(&padded).unwrap(),
        RecoveryCode::parse(code).unwrap()
    );
    let over = format!("{code:<129}");
    assert!(matches!(
        RecoveryCode::parse(&over),
        Err(Error::InvalidCode(_))
    ));
}

#[test]
fn a_remembered_device_id_is_exactly_sixteen_hex_digits() {
    let id = RememberedDeviceId::parse("0123456789abcdef").unwrap();
    assert_eq!(id.to_string(), "0123456789abcdef");
    for bad in [
        "0123456789abcde",   // 15 digits
        "0123456789abcdef0", // 17 digits
        "+123456789abcdef",  // 16 characters that u64's parser would take
        "0123456789abcdeg",
    ] {
        assert!(
            matches!(
                RememberedDeviceId::parse(bad),
                Err(Error::UnknownRememberedDevice)
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_verified_phone_records_when_and_survives_mfa_being_turned_off() {
    let (mfa, _, clock) = service();
    let out = InMemoryDelivery::new();
    let c = ana(&[DeviceKind::AuthenticatorApp]);
    link_phone(&mfa, &c).await;
    let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    let phone = mfa
        .send_code(&c, M::Sms, Purpose::PhoneVerification, &out)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(31));
    let sign_in = mfa
        .send_code(&c, M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let sign_in_code = out.last_code().unwrap();
    let number = PhoneNumber::parse("+14155552671").unwrap();
    let phone_code = out.last_code_to(&Destination::Sms(number)).unwrap();
    // Turning MFA off forgets the sign-in challenge, never the phone verification.
    let _ = mfa.disable(&c, Actor::AccountHolder).await.unwrap();
    assert_eq!(
        mfa.account_state(c.user())
            .await
            .unwrap()
            .pending_challenges(),
        1
    );
    assert!(
        mfa.verify_code(c.user(), &sign_in.id, sign_in_code.expose())
            .await
            .is_err()
    );
    clock.advance(Duration::from_secs(5));
    let _ = mfa
        .verify_code(c.user(), &phone.id, phone_code.expose())
        .await
        .unwrap();
    let state = mfa.account_state(c.user()).await.unwrap();
    let link = state.phone().unwrap();
    assert!(link.is_verified());
    assert_eq!(link.verified_at(), Some(UnixTime::from_secs(T0 + 36)));
}

#[tokio::test]
async fn enabling_again_without_a_choice_keeps_the_chosen_method() {
    let (mfa, n, _) = service();
    let c = ana(&[DeviceKind::AuthenticatorApp]);
    // The holder chose email over the app (which the rules would pick).
    let on = mfa
        .enable(&c, Some(M::Email), Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(on.value.settings.preferred(), Some(M::Email));
    n.clear();
    let again = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    assert_eq!(again.value.settings.preferred(), Some(M::Email));
    assert!(again.value.recovery_codes.is_none(), "no new set");
    assert!(n.kinds().is_empty(), "nothing changed, nobody told");
}

#[tokio::test]
async fn telling_the_holder_returns_the_notifier_failure() {
    let (mfa, n, _) = service();
    let c = ana(&[]);
    let kind = || tessera_mfa::SecurityEventKind::ToolingCredentialAdded {
        name: "deploy".into(),
    };
    n.set_failing(true);
    assert!(
        mfa.tell_holder(&c, Actor::AccountHolder, kind())
            .await
            .is_some()
    );
    n.set_failing(false);
    assert!(
        mfa.tell_holder(&c, Actor::AccountHolder, kind())
            .await
            .is_none()
    );
    assert_eq!(n.kinds().last(), Some(&kind()));
}
