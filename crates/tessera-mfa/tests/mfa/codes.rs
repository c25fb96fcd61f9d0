//! Part 2: email/SMS challenges and phone verification, through the public API.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{T0, ana, clock, email, key, service, wrong};
use tessera_mfa::{
    AccountContext, Actor, ChallengeConfig, Destination, EmailAddress, Error, InMemoryDelivery,
    InMemoryStore, Mfa, MfaMethod as M, OrgPolicy, PhoneNumber, Purpose, RecordingNotifier,
    SecurityEventKind as K, SendLimits, Unavailable,
};
use tessera_otp::{Clock, UnixTime};
use tessera_registry::{DeviceKind, UserId};

fn ctx() -> AccountContext {
    ana(&[])
}

fn email_dest() -> Destination {
    Destination::Email(email())
}

#[tokio::test]
async fn email_code_completes_once() {
    let (mfa, _, _) = service();
    let out = InMemoryDelivery::new();
    let t = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    assert_eq!(t.method, M::Email);
    assert_eq!(t.destination_hint, "a***@example.com");
    assert_eq!(
        t.expires_at,
        UnixTime::from_secs(T0 + 300),
        "default lifetime 5 minutes"
    );
    let code = out.last_code_to(&email_dest()).unwrap();
    assert_eq!(code.expose().len(), 6, "default six digits");
    assert!(!format!("{code:?}").contains(code.expose()));

    let v = mfa
        .verify_code(ctx().user(), &t.id, code.expose())
        .await
        .unwrap();
    assert_eq!(v.value.method, M::Email);
    assert_eq!(v.value.purpose, Purpose::SignIn);
    // Single use.
    assert!(matches!(
        mfa.verify_code(ctx().user(), &t.id, code.expose()).await,
        Err(Error::VerificationFailed)
    ));
    // Typed leniently; garbage is refused before any comparison.
    assert!(matches!(
        mfa.verify_code(ctx().user(), &t.id, "12ab56").await,
        Err(Error::InvalidCode(_))
    ));
}

#[tokio::test]
async fn expiry_is_exact_to_the_second() {
    let (mfa, _, clock) = service();
    let out = InMemoryDelivery::new();
    let t1 = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let c1 = out.last_code().unwrap();
    clock.advance(Duration::from_secs(30));
    let t2 = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let c2 = out.last_code().unwrap();
    assert_eq!(t2.expires_at, UnixTime::from_secs(T0 + 330));

    // t1 at its last valid second: accepted.
    clock.set(UnixTime::from_secs(T0 + 299));
    let _ = mfa
        .verify_code(ctx().user(), &t1.id, c1.expose())
        .await
        .unwrap();
    // t2 at its expiry instant: refused, with the right code.
    clock.set(UnixTime::from_secs(T0 + 330));
    assert!(matches!(
        mfa.verify_code(ctx().user(), &t2.id, c2.expose()).await,
        Err(Error::VerificationFailed)
    ));
}

#[tokio::test]
async fn attempts_are_capped_per_challenge() {
    let (mfa, _, clock) = service();
    let out = InMemoryDelivery::new();
    let u = ctx().user().clone();

    // Four wrong codes, then the right one: accepted (default cap is five attempts).
    let t = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    for _ in 0..4 {
        assert!(matches!(
            mfa.verify_code(&u, &t.id, &wrong(code.expose())).await,
            Err(Error::VerificationFailed)
        ));
    }
    let _ = mfa.verify_code(&u, &t.id, code.expose()).await.unwrap();
    // The sign-in completes (a code alone no longer resets the throttle).
    mfa.authentication_completed(&u).await.unwrap();

    // Five wrong codes kill the challenge: the right code no longer works, even once
    // the throttle delay after five failures has passed.
    clock.advance(Duration::from_secs(30));
    let t = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    for _ in 0..5 {
        let _ = mfa.verify_code(&u, &t.id, &wrong(code.expose())).await;
    }
    assert_eq!(mfa.account_state(&u).await.unwrap().pending_challenges(), 0);
    clock.advance(Duration::from_secs(60));
    assert!(matches!(
        mfa.verify_code(&u, &t.id, code.expose()).await,
        Err(Error::VerificationFailed)
    ));

    // A configured cap of one.
    let n = Arc::new(RecordingNotifier::new());
    let one = crate::common::mfa_with(n, clock.clone(), OrgPolicy::default())
        .with_challenge_config(ChallengeConfig::new(8, Duration::from_secs(600), 1).unwrap());
    let t = one
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    assert_eq!(code.expose().len(), 8);
    assert_eq!(
        t.expires_at,
        clock.now().saturating_add(Duration::from_secs(600))
    );
    let _ = one.verify_code(&u, &t.id, &wrong(code.expose())).await;
    assert!(one.verify_code(&u, &t.id, code.expose()).await.is_err());
}

#[tokio::test]
async fn a_code_from_another_challenge_is_refused() {
    let (mfa, _, clock) = service();
    let out = InMemoryDelivery::new();
    let u = ctx().user().clone();
    let a = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let code_a = out.last_code().unwrap();
    clock.advance(Duration::from_secs(30));
    let b = mfa
        .send_code(&ctx(), M::Email, Purpose::StepUp, &out)
        .await
        .unwrap();
    let code_b = out.last_code().unwrap();
    assert!(matches!(
        mfa.verify_code(&u, &b.id, code_a.expose()).await,
        Err(Error::VerificationFailed)
    ));
    // And another account's challenge id is unknown here.
    let other = UserId::new("bob");
    assert!(matches!(
        mfa.verify_code(&other, &a.id, code_a.expose()).await,
        Err(Error::VerificationFailed)
    ));
    // Each code completes its own challenge.
    let _ = mfa.verify_code(&u, &a.id, code_a.expose()).await.unwrap();
    let v = mfa.verify_code(&u, &b.id, code_b.expose()).await.unwrap();
    assert_eq!(v.value.purpose, Purpose::StepUp);
}

#[tokio::test]
async fn delivery_failure_leaves_no_usable_challenge() {
    let (mfa, _, _) = service();
    let out = InMemoryDelivery::new();
    out.set_failing(true);
    let e = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Delivery(_)), "{e:?}");
    assert!(e.to_string().contains("could not be delivered"));
    assert_eq!(out.count(), 0);
    assert_eq!(
        mfa.account_state(ctx().user())
            .await
            .unwrap()
            .pending_challenges(),
        0
    );
}

#[tokio::test]
async fn send_limits_per_account_per_destination_and_resend_interval() {
    let (mfa, _, clock) = service();
    let out = InMemoryDelivery::new();
    mfa.send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    // Too soon: 29 seconds later.
    clock.advance(Duration::from_secs(29));
    match mfa.send_code(&ctx(), M::Email, Purpose::SignIn, &out).await {
        Err(Error::ResendTooSoon { retry_after, .. }) => {
            assert_eq!(retry_after, UnixTime::from_secs(T0 + 30));
        }
        other => panic!("{other:?}"),
    }
    clock.set(UnixTime::from_secs(T0 + 30));
    for _ in 1..5 {
        mfa.send_code(&ctx(), M::Email, Purpose::SignIn, &out)
            .await
            .unwrap();
        clock.advance(Duration::from_secs(30));
    }
    assert_eq!(out.count(), 5);
    // Sixth within 15 minutes: refused until the first send leaves the window.
    let e = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap_err();
    match &e {
        Error::SendLimitReached { retry_after, .. } => {
            assert_eq!(*retry_after, UnixTime::from_secs(T0 + 900));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("too many codes"));
    clock.set(UnixTime::from_secs(T0 + 900));
    mfa.send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();

    // Per destination: two accounts sharing one address share its budget.
    let (mfa, _, clock) = service();
    let mfa = mfa
        .with_send_limits(SendLimits::new(5, 3, Duration::from_secs(900), Duration::ZERO).unwrap());
    let ana = ctx();
    let bob = AccountContext::new(UserId::new("bob"))
        .with_email(EmailAddress::parse("ANA@example.com").unwrap());
    for c in [&ana, &bob, &ana] {
        mfa.send_code(c, M::Email, Purpose::SignIn, &out)
            .await
            .unwrap();
        clock.advance(Duration::from_secs(1));
    }
    assert!(matches!(
        mfa.send_code(&bob, M::Email, Purpose::SignIn, &out).await,
        Err(Error::SendLimitReached { .. })
    ));
}

#[tokio::test]
async fn phone_verification_makes_sms_available_and_changing_it_unverifies() {
    let (mfa, n, clock) = service();
    let out = InMemoryDelivery::new();
    let c = ctx();
    let number = PhoneNumber::parse("+44 20 7946 0958").unwrap();
    let dest = Destination::Sms(number.clone());

    // No phone: SMS not configured; a verification needs a number.
    assert_eq!(
        mfa.availability(&c).await.unwrap().get(M::Sms).reason(),
        Some(Unavailable::NotConfigured)
    );
    assert!(matches!(
        mfa.send_code(&c, M::Sms, Purpose::PhoneVerification, &out)
            .await,
        Err(Error::NoPhoneNumber)
    ));

    let _ = mfa
        .link_phone(&c, number.clone(), Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(
        mfa.availability(&c).await.unwrap().get(M::Sms).reason(),
        Some(Unavailable::PhoneNotVerified)
    );
    // Unverified: no sign-in codes by SMS, and verification goes by SMS only.
    assert!(matches!(
        mfa.send_code(&c, M::Sms, Purpose::SignIn, &out).await,
        Err(Error::MethodUnavailable {
            reason: Unavailable::PhoneNotVerified,
            ..
        })
    ));
    assert!(matches!(
        mfa.send_code(&c, M::Email, Purpose::PhoneVerification, &out)
            .await,
        Err(Error::PhoneVerificationBySmsOnly)
    ));
    assert!(matches!(
        mfa.send_code(&c, M::AuthenticatorApp, Purpose::SignIn, &out)
            .await,
        Err(Error::NotSentByCode { .. })
    ));

    let t = mfa
        .send_code(&c, M::Sms, Purpose::PhoneVerification, &out)
        .await
        .unwrap();
    assert_eq!(t.destination_hint, "+**********58");
    let code = out.last_code_to(&dest).unwrap();
    let v = mfa
        .verify_code(c.user(), &t.id, code.expose())
        .await
        .unwrap();
    assert_eq!(v.value.purpose, Purpose::PhoneVerification);
    assert!(mfa.availability(&c).await.unwrap().is_available(M::Sms));
    assert_eq!(n.kinds(), [K::PhoneLinked]);

    // SMS as the preferred method, then the number changes: unverified, fallback, told.
    let _ = mfa
        .enable(&c, Some(M::Sms), Actor::AccountHolder)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(60));
    mfa.send_code(&c, M::Sms, Purpose::SignIn, &out)
        .await
        .unwrap();
    n.clear();
    let new_number = PhoneNumber::parse("+1 415 555 2671").unwrap();
    let link = mfa
        .link_phone(&c, new_number, Actor::AccountHolder)
        .await
        .unwrap()
        .into_value();
    assert!(!link.is_verified());
    assert_eq!(
        mfa.availability(&c).await.unwrap().get(M::Sms).reason(),
        Some(Unavailable::PhoneNotVerified)
    );
    assert_eq!(
        mfa.settings(c.user()).await.unwrap().preferred(),
        Some(M::Email)
    );
    assert_eq!(
        n.kinds(),
        [
            K::PhoneUnlinked,
            K::PreferredMethodChanged {
                from: Some(M::Sms),
                to: Some(M::Email),
                fallback: true
            },
        ]
    );
    assert_eq!(
        mfa.account_state(c.user())
            .await
            .unwrap()
            .pending_challenges(),
        0,
        "sms challenges to the old number are gone"
    );
    // Linking the same number again changes nothing.
    n.clear();
    let again = PhoneNumber::parse("+14155552671").unwrap();
    let _ = mfa
        .link_phone(&c, again, Actor::AccountHolder)
        .await
        .unwrap();
    assert!(n.events().is_empty());
}

#[tokio::test]
async fn a_verification_code_for_an_old_number_does_not_verify_the_new_one() {
    let (mfa, _, clock) = service();
    let out = InMemoryDelivery::new();
    let c = ctx();
    let old = PhoneNumber::parse("+4915112345678").unwrap();
    let _ = mfa
        .link_phone(&c, old.clone(), Actor::AccountHolder)
        .await
        .unwrap();
    let t = mfa
        .send_code(&c, M::Sms, Purpose::PhoneVerification, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    clock.advance(Duration::from_secs(5));
    let _ = mfa
        .link_phone(
            &c,
            PhoneNumber::parse("+4915199999999").unwrap(),
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    assert!(
        mfa.verify_code(c.user(), &t.id, code.expose())
            .await
            .is_err()
    );
    assert!(
        !mfa.account_state(c.user())
            .await
            .unwrap()
            .phone()
            .unwrap()
            .is_verified()
    );
}

#[tokio::test]
async fn identity_provider_and_policy_refuse_codes_and_phones() {
    let (mfa, _, _) = service();
    let out = InMemoryDelivery::new();
    let idp = ctx().managed_by("Okta");
    assert!(matches!(
        mfa.send_code(&idp, M::Email, Purpose::SignIn, &out).await,
        Err(Error::ManagedByIdentityProvider { .. })
    ));
    assert!(matches!(
        mfa.link_phone(
            &idp,
            PhoneNumber::parse("+14155552671").unwrap(),
            Actor::AccountHolder
        )
        .await,
        Err(Error::ManagedByIdentityProvider { .. })
    ));
    let strict = crate::common::service_with(
        OrgPolicy::builder()
            .disallow(M::Sms)
            .disallow(M::Email)
            .build()
            .unwrap(),
    )
    .0;
    assert!(matches!(
        strict
            .link_phone(
                &ctx(),
                PhoneNumber::parse("+14155552671").unwrap(),
                Actor::AccountHolder
            )
            .await,
        Err(Error::MethodUnavailable {
            reason: Unavailable::DisabledByPolicy,
            ..
        })
    ));
    assert!(matches!(
        strict
            .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
            .await,
        Err(Error::MethodUnavailable {
            reason: Unavailable::DisabledByPolicy,
            ..
        })
    ));
    assert_eq!(out.count(), 0);
    // A device account without email cannot get email codes.
    let no_email =
        AccountContext::new(UserId::new("x")).with_active_devices([DeviceKind::SecurityKey]);
    assert!(matches!(
        mfa.send_code(&no_email, M::Email, Purpose::SignIn, &out)
            .await,
        Err(Error::MethodUnavailable {
            reason: Unavailable::NotConfigured,
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_use_under_32_concurrent_completions() {
    let (mut failed, mut contended) = (0, 0);
    for round in 0..20 {
        let (mfa, _, _) = service();
        let mfa = Arc::new(mfa);
        let out = InMemoryDelivery::new();
        let t = mfa
            .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
            .await
            .unwrap();
        let code = out.last_code().unwrap().expose().to_owned();
        let barrier = Arc::new(tokio::sync::Barrier::new(32));
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let (mfa, barrier, code, id) = (mfa.clone(), barrier.clone(), code.clone(), t.id);
                tokio::spawn(async move {
                    barrier.wait().await;
                    mfa.verify_code(&UserId::new("ana"), &id, &code).await
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(Error::VerificationFailed) => failed += 1,
                Err(Error::Conflict) => contended += 1,
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(ok, 1, "round {round}: exactly one completion succeeds");
    }
    println!(
        "20 rounds x 32 completions: 20 succeeded, {failed} opaque failures, {contended} gave up on contention"
    );
}

/// Item 7: an organisation can exclude email as a second factor: it is then neither
/// offered at sign-in nor sent nor accepted at step-up, even for a challenge sent before
/// the policy changed.
#[tokio::test]
async fn a_policy_can_exclude_email_as_a_second_factor() {
    use tessera_mfa::{Authority, SignInPlan};
    let store = Arc::new(InMemoryStore::new());
    let n = Arc::new(RecordingNotifier::new());
    let open = Mfa::new(
        store.clone(),
        n.clone(),
        clock(),
        OrgPolicy::default(),
        key(),
    );
    let strict = Mfa::new(
        store,
        n,
        clock(),
        OrgPolicy::builder().disallow(M::Email).build().unwrap(),
        key(),
    );
    let c = ctx().with_active_devices([DeviceKind::AuthenticatorApp]);
    let _ = open.enable(&c, None, Actor::AccountHolder).await.unwrap();
    let out = InMemoryDelivery::new();
    let early = open
        .send_code(&c, M::Email, Purpose::StepUp, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();

    match strict.sign_in_plan(&c).await.unwrap() {
        SignInPlan::SecondFactor { available, .. } => assert!(!available.contains(&M::Email)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        strict.send_code(&c, M::Email, Purpose::StepUp, &out).await,
        Err(Error::MethodUnavailable {
            method: M::Email,
            reason: Unavailable::DisabledByPolicy
        })
    ));
    assert!(matches!(
        strict.verify_code(c.user(), &early.id, code.expose()).await,
        Err(Error::VerificationFailed)
    ));
    // Withdrawn: not even the permissive instance accepts it now.
    assert!(matches!(
        open.verify_code(c.user(), &early.id, code.expose()).await,
        Err(Error::VerificationFailed)
    ));

    // The availability table says why email cannot authorise removing the app.
    let table = open.availability(&c).await.unwrap();
    assert_eq!(table.strongest_authority(), Some(Authority::Aal2));
    let step_up = table.authorising(M::AuthenticatorApp.authority());
    assert_eq!(
        step_up.get(M::Email).reason(),
        Some(Unavailable::TooWeakFor {
            needed: Authority::Aal2
        })
    );
    assert!(step_up.is_available(M::AuthenticatorApp));
    assert!(step_up.is_available(M::RecoveryCode));
    assert_eq!(
        Unavailable::TooWeakFor {
            needed: Authority::Aal2
        }
        .as_str(),
        "too_weak"
    );
}

/// Issue 19: a password reset code goes by email to the account's address whatever MFA
/// offers (here email is excluded as a second factor), lives 15 minutes, verifies once as
/// a reset, and is never sent by SMS.
#[tokio::test]
async fn password_reset_codes_go_to_the_accounts_email_whatever_mfa_offers() {
    let (mfa, _, clock) =
        crate::common::service_with(OrgPolicy::builder().disallow(M::Email).build().unwrap());
    let out = InMemoryDelivery::new();
    assert!(matches!(
        mfa.send_code(&ctx(), M::Email, Purpose::SignIn, &out).await,
        Err(Error::MethodUnavailable { .. })
    ));
    let t = mfa
        .send_code(&ctx(), M::Email, Purpose::PasswordReset, &out)
        .await
        .unwrap();
    assert_eq!(t.purpose, Purpose::PasswordReset);
    assert_eq!(
        t.expires_at,
        clock.now().saturating_add(Duration::from_secs(900))
    );
    let sent = out.drain();
    assert_eq!(sent[0].destination, email_dest());
    assert!(sent[0].text(clock.now()).contains("password reset code"));
    assert!(sent[0].text(clock.now()).contains("15 minutes"));
    let code = sent[0].code.expose().to_owned();
    // Still valid one second before its expiry, and verified as a reset.
    clock.advance(Duration::from_secs(899));
    let v = mfa.verify_code(&ctx(), &t.id, &code).await.unwrap().value;
    assert_eq!((v.method, v.purpose), (M::Email, Purpose::PasswordReset));
    assert!(mfa.verify_code(&ctx(), &t.id, &code).await.is_err());
    for method in [M::Sms, M::AuthenticatorApp] {
        assert!(matches!(
            mfa.send_code(&ctx(), method, Purpose::PasswordReset, &out)
                .await,
            Err(Error::NotSentByCode { .. })
        ));
    }
    // Without an address there is nothing to send to.
    assert!(matches!(
        mfa.send_code(
            &AccountContext::new(UserId::new("bo")),
            M::Email,
            Purpose::PasswordReset,
            &out
        )
        .await,
        Err(Error::NoEmailAddress)
    ));
}

#[tokio::test]
async fn a_reset_code_dies_at_its_expiry_instant() {
    let (mfa, _, clock) = service();
    let out = InMemoryDelivery::new();
    let t = mfa
        .send_code(&ctx(), M::Email, Purpose::PasswordReset, &out)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(900));
    let code = out.last_code().unwrap();
    assert!(mfa.verify_code(&ctx(), &t.id, code.expose()).await.is_err());
}

/// Issue 19: an administrator's MFA reset voids every factor the MFA state holds.
#[tokio::test]
async fn an_administrator_mfa_reset_clears_every_factor_and_tells_the_holder() {
    let (mfa, n, _) = service();
    let c = ana(&[DeviceKind::AuthenticatorApp]);
    let enabled = crate::common::enable(&mfa, &c).await;
    assert!(enabled.recovery_codes.is_some());
    let _ = mfa
        .link_phone(
            &c,
            PhoneNumber::parse("+14155552671").unwrap(),
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    for who in [
        Actor::administrator(" "),
        Actor::System,
        Actor::AccountHolder,
    ] {
        assert!(matches!(
            mfa.reset_by_administrator(&c, who).await,
            Err(Error::AnonymousAdministrator)
        ));
    }
    assert!(mfa.settings(c.user()).await.unwrap().enabled());
    n.clear();
    let r = mfa
        .reset_by_administrator(&c, Actor::administrator("root@corp"))
        .await
        .unwrap();
    assert!(r.notify_error.is_none());
    let state = mfa.account_state(c.user()).await.unwrap();
    assert!(!state.settings().enabled());
    assert_eq!(state.recovery_codes_remaining(), 0);
    assert_eq!(state.pending_challenges(), 0);
    assert!(state.phone().is_none());
    let kinds: Vec<K> = n.events().into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [K::MfaReset {
            by: "root@corp".into()
        }]
    );
}
