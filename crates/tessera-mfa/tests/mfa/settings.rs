//! Part 1: settings, availability, selection, organisation policy and notifications,
//! through the public API.

use std::sync::Arc;

use crate::common::{T0, TestMfa, ana, clock, key};
use tessera_mfa::{
    AccountContext, Actor, Availability, Error, InMemoryStore, Mfa, MfaMethod as M, MfaStore,
    OrgPolicy, RecordingNotifier, SecurityEventKind as K, SignInPlan, Unavailable,
};
use tessera_otp::UnixTime;
use tessera_registry::{DeviceKind, UserId};

fn service(policy: OrgPolicy) -> (TestMfa, Arc<RecordingNotifier>) {
    let (mfa, n, _) = crate::common::service_with(policy);
    (mfa, n)
}

fn ctx(devices: &[DeviceKind]) -> AccountContext {
    ana(devices)
}

#[tokio::test]
async fn availability_table_through_the_service() {
    use Unavailable::*;
    let policy = OrgPolicy::builder().disallow(M::Email).build().unwrap();
    let (mfa, _) = service(policy);
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    let t = mfa.availability(&c).await.unwrap();
    let got: Vec<_> = t
        .rows()
        .iter()
        .map(|r| (r.method, r.availability))
        .collect();
    assert_eq!(
        got,
        [
            (M::SecurityKey, Availability::Unavailable(NotConfigured)),
            (M::HardwareToken, Availability::Unavailable(NotConfigured)),
            (M::AuthenticatorApp, Availability::Available),
            (M::RecoveryCode, Availability::Unavailable(NotConfigured)),
            (M::Email, Availability::Unavailable(DisabledByPolicy)),
            (M::Sms, Availability::Unavailable(NotConfigured)),
        ]
    );
}

#[tokio::test]
async fn identity_provider_accounts_cannot_enable_or_change_anything() {
    let (mfa, n) = service(OrgPolicy::default());
    let c = ctx(&[DeviceKind::SecurityKey]).managed_by("Contoso Entra ID");
    let t = mfa.availability(&c).await.unwrap();
    assert!(t.rows().iter().all(
        |r| r.availability == Availability::Unavailable(Unavailable::ManagedByIdentityProvider)
    ));
    let errs = [
        mfa.enable(&c, None, Actor::AccountHolder)
            .await
            .unwrap_err(),
        mfa.enable(&c, Some(M::SecurityKey), Actor::AccountHolder)
            .await
            .unwrap_err(),
        mfa.disable(&c, Actor::AccountHolder).await.unwrap_err(),
        mfa.set_preferred(&c, M::SecurityKey, Actor::AccountHolder)
            .await
            .unwrap_err(),
        mfa.device_added(&c, DeviceKind::SecurityKey, Actor::AccountHolder)
            .await
            .unwrap_err(),
        mfa.authorize_device_removal(&c, &Actor::administrator("root"))
            .unwrap_err(),
    ];
    for e in errs {
        assert!(
            matches!(e, Error::ManagedByIdentityProvider { .. }),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("identity provider (Contoso Entra ID)"),
            "{msg}"
        );
    }
    assert_eq!(
        mfa.sign_in_plan(&c).await.unwrap(),
        SignInPlan::NoSecondFactor
    );
    assert!(n.events().is_empty());
}

#[tokio::test]
async fn enable_needs_a_method_other_than_recovery_codes() {
    let (mfa, n) = service(OrgPolicy::default());
    let c = AccountContext::new(UserId::new("ana"));
    assert!(matches!(
        mfa.enable(&c, None, Actor::AccountHolder).await,
        Err(Error::NoMethodAvailable)
    ));
    // With only email and SMS disallowed and no devices, still nothing to enable with.
    let (strict, _) = service(OrgPolicy::builder().disallow(M::Email).build().unwrap());
    assert!(matches!(
        strict.enable(&ctx(&[]), None, Actor::AccountHolder).await,
        Err(Error::NoMethodAvailable)
    ));
    assert!(n.events().is_empty());
    assert!(!mfa.settings(c.user()).await.unwrap().enabled());
}

#[tokio::test]
async fn enable_chooses_the_strongest_or_the_policy_default() {
    let (mfa, n) = service(OrgPolicy::default());
    let c = ctx(&[DeviceKind::AuthenticatorApp, DeviceKind::SecurityKey]);
    let s = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    assert!(s.notify_error.is_none());
    assert_eq!(s.value.settings.preferred(), Some(M::SecurityKey));
    assert!(s.value.settings.enabled());
    let ev = n.events();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].kind,
        K::MfaEnabled {
            preferred: M::SecurityKey
        }
    );
    assert_eq!(ev[0].actor, Actor::AccountHolder);
    assert_eq!(ev[0].at, UnixTime::from_secs(T0));
    assert_eq!(ev[0].account, UserId::new("ana"));

    // Enabling again without a choice changes nothing and tells no one.
    let again = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    assert_eq!(again.value.settings.preferred(), Some(M::SecurityKey));
    assert_eq!(n.events().len(), 1);

    // The organisation's default method wins when it is available.
    let policy = OrgPolicy::builder()
        .default_method(Some(M::AuthenticatorApp))
        .build()
        .unwrap();
    let (mfa, _) = service(policy);
    let s = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    assert_eq!(s.value.settings.preferred(), Some(M::AuthenticatorApp));
    // ... and is skipped when it is not.
    let (mfa, _) = service(
        OrgPolicy::builder()
            .default_method(Some(M::AuthenticatorApp))
            .build()
            .unwrap(),
    );
    let s = mfa
        .enable(
            &ctx(&[DeviceKind::HardwareToken]),
            None,
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    assert_eq!(s.value.settings.preferred(), Some(M::HardwareToken));
}

#[tokio::test]
async fn email_only_account_gets_email_and_sms_is_never_implicit() {
    let (mfa, _) = service(OrgPolicy::default());
    let s = mfa
        .enable(&ctx(&[]), None, Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(s.value.settings.preferred(), Some(M::Email));
}

/// Verifies a phone number for the account with a real SMS challenge.
async fn verified_phone(mfa: &TestMfa, c: &AccountContext) {
    let out = tessera_mfa::InMemoryDelivery::new();
    let number = tessera_mfa::PhoneNumber::parse("+14155552671").unwrap();
    let _ = mfa
        .link_phone(c, number, Actor::AccountHolder)
        .await
        .unwrap();
    let t = mfa
        .send_code(c, M::Sms, tessera_mfa::Purpose::PhoneVerification, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    let _ = mfa
        .verify_code(c.user(), &t.id, code.expose())
        .await
        .unwrap();
}

#[tokio::test]
async fn sms_is_offered_with_a_warning_but_never_the_default() {
    let (mfa, n) = service(OrgPolicy::builder().disallow(M::Email).build().unwrap());
    let c = ctx(&[]);
    verified_phone(&mfa, &c).await;
    let t = mfa.availability(&c).await.unwrap();
    let sms = t.rows().iter().find(|r| r.method == M::Sms).unwrap();
    assert_eq!(
        (sms.availability, sms.warn),
        (Availability::Available, true)
    );
    // Not chosen implicitly...
    let e = mfa
        .enable(&c, None, Actor::AccountHolder)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::SmsNeedsExplicitChoice), "{e:?}");
    assert!(e.to_string().contains("choose it explicitly"));
    // ... but may be chosen explicitly.
    n.clear();
    let s = mfa
        .enable(&c, Some(M::Sms), Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(s.value.settings.preferred(), Some(M::Sms));
    assert_eq!(n.kinds(), [K::MfaEnabled { preferred: M::Sms }]);

    // A fallback never lands on SMS while the flag is on: no preferred method, told.
    let (mfa, n) = service(OrgPolicy::builder().disallow(M::Email).build().unwrap());
    let app = ctx(&[DeviceKind::AuthenticatorApp]);
    verified_phone(&mfa, &app).await;
    let _ = mfa.enable(&app, None, Actor::AccountHolder).await.unwrap();
    n.clear();
    let s = mfa.reconcile(&ctx(&[])).await.unwrap();
    assert_eq!(s.value.preferred(), None);
    assert_eq!(n.kinds().len(), 1);
    assert_eq!(
        mfa.sign_in_plan(&ctx(&[])).await.unwrap(),
        SignInPlan::SecondFactor {
            primary: None,
            // Turning MFA on issued recovery codes (item 4).
            available: vec![M::RecoveryCode, M::Sms]
        }
    );

    // With the warning flag off, SMS is an ordinary last resort.
    let (mfa, _) = service(
        OrgPolicy::builder()
            .disallow(M::Email)
            .sms_warning(false)
            .build()
            .unwrap(),
    );
    verified_phone(&mfa, &c).await;
    let s = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    assert_eq!(s.value.settings.preferred(), Some(M::Sms));
}

#[tokio::test]
async fn preferred_method_must_be_available_and_not_recovery_codes() {
    let (mfa, n) = service(OrgPolicy::builder().disallow(M::Email).build().unwrap());
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    match mfa
        .enable(&c, Some(M::SecurityKey), Actor::AccountHolder)
        .await
    {
        Err(Error::MethodUnavailable { method, reason }) => {
            assert_eq!(method, M::SecurityKey);
            assert_eq!(reason, Unavailable::NotConfigured);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        mfa.enable(&c, Some(M::Email), Actor::AccountHolder).await,
        Err(Error::MethodUnavailable {
            reason: Unavailable::DisabledByPolicy,
            ..
        })
    ));
    assert!(matches!(
        mfa.enable(&c, Some(M::RecoveryCode), Actor::AccountHolder)
            .await,
        Err(Error::NotPreferable)
    ));
    assert!(matches!(
        mfa.set_preferred(&c, M::AuthenticatorApp, Actor::AccountHolder)
            .await,
        Err(Error::MfaNotEnabled)
    ));
    assert!(n.events().is_empty());

    let _ = mfa
        .enable(&c, Some(M::AuthenticatorApp), Actor::AccountHolder)
        .await
        .unwrap();
    let c2 = ctx(&[DeviceKind::AuthenticatorApp, DeviceKind::SecurityKey]);
    let s = mfa
        .set_preferred(&c2, M::SecurityKey, Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(s.value.preferred(), Some(M::SecurityKey));
    // Same method again: no change, no event.
    let _ = mfa
        .set_preferred(&c2, M::SecurityKey, Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(
        n.kinds(),
        [
            K::MfaEnabled {
                preferred: M::AuthenticatorApp
            },
            K::PreferredMethodChanged {
                from: Some(M::AuthenticatorApp),
                to: Some(M::SecurityKey),
                fallback: false
            },
        ]
    );
}

#[tokio::test]
async fn disable_is_refused_while_the_organisation_requires_mfa() {
    let policy = OrgPolicy::builder()
        .require_mfa(true)
        .require_mfa_for(UserId::new("exempt"), false)
        .build()
        .unwrap();
    let (mfa, n) = service(policy);
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    assert_eq!(
        mfa.sign_in_plan(&c).await.unwrap(),
        SignInPlan::EnrolmentRequired
    );
    let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    let e = mfa.disable(&c, Actor::AccountHolder).await.unwrap_err();
    assert!(matches!(e, Error::MfaRequired));
    assert!(e.to_string().contains("requires multi-factor"));
    assert!(mfa.settings(c.user()).await.unwrap().enabled());

    // The exempt account may turn it off.
    let exempt = AccountContext::new(UserId::new("exempt"))
        .with_active_devices([DeviceKind::AuthenticatorApp]);
    let _ = mfa
        .enable(&exempt, None, Actor::AccountHolder)
        .await
        .unwrap();
    let s = mfa.disable(&exempt, Actor::AccountHolder).await.unwrap();
    assert!(!s.value.enabled());
    assert_eq!(s.value.preferred(), None);
    assert_eq!(n.kinds().last(), Some(&K::MfaDisabled));
    assert_eq!(
        mfa.sign_in_plan(&exempt).await.unwrap(),
        SignInPlan::NoSecondFactor
    );
    // Disabling twice tells no one twice.
    let count = n.events().len();
    let _ = mfa.disable(&exempt, Actor::AccountHolder).await.unwrap();
    assert_eq!(n.events().len(), count);
}

#[tokio::test]
async fn preferred_method_falls_back_when_its_last_device_goes() {
    let (mfa, n) = service(OrgPolicy::default());
    let before = ctx(&[DeviceKind::SecurityKey, DeviceKind::AuthenticatorApp]);
    let _ = mfa
        .enable(&before, None, Actor::AccountHolder)
        .await
        .unwrap();
    n.clear();

    // The security key is removed (after the policy allowed it): the app takes over.
    mfa.authorize_device_removal(&before, &Actor::AccountHolder)
        .unwrap();
    let after = ctx(&[DeviceKind::AuthenticatorApp]);
    let s = mfa
        .device_removed(&after, DeviceKind::SecurityKey, Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(s.value.preferred(), Some(M::AuthenticatorApp));
    let ev = n.events();
    assert_eq!(
        ev.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        [
            K::DeviceRemoved {
                method: M::SecurityKey
            },
            K::PreferredMethodChanged {
                from: Some(M::SecurityKey),
                to: Some(M::AuthenticatorApp),
                fallback: true
            },
        ]
    );
    assert_eq!(ev[1].actor, Actor::System);

    // Then the app goes too: email is next.
    n.clear();
    let s = mfa
        .device_removed(
            &ctx(&[]),
            DeviceKind::AuthenticatorApp,
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    assert_eq!(s.value.preferred(), Some(M::Email));
    assert_eq!(n.events().len(), 2);

    // A second device of the preferred kind remaining means no fallback.
    let (mfa, n) = service(OrgPolicy::default());
    let two = ctx(&[DeviceKind::SecurityKey, DeviceKind::SecurityKey]);
    let _ = mfa.enable(&two, None, Actor::AccountHolder).await.unwrap();
    n.clear();
    let _ = mfa
        .device_removed(
            &ctx(&[DeviceKind::SecurityKey]),
            DeviceKind::SecurityKey,
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    assert_eq!(
        n.kinds(),
        [K::DeviceRemoved {
            method: M::SecurityKey
        }]
    );
}

#[tokio::test]
async fn fallback_leaves_no_preferred_method_when_nothing_preferable_remains() {
    let (mfa, n) = service(OrgPolicy::builder().disallow(M::Email).build().unwrap());
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    n.clear();
    let s = mfa.reconcile(&ctx(&[])).await.unwrap();
    assert_eq!(s.value.preferred(), None);
    assert!(
        s.value.enabled(),
        "mfa stays on; the account holder is told"
    );
    assert_eq!(
        n.kinds(),
        [K::PreferredMethodChanged {
            from: Some(M::AuthenticatorApp),
            to: None,
            fallback: true
        }]
    );
    assert_eq!(
        mfa.sign_in_plan(&ctx(&[])).await.unwrap(),
        SignInPlan::SecondFactor {
            primary: None,
            // Only the recovery codes issued when MFA was turned on (item 4).
            available: vec![M::RecoveryCode]
        }
    );
    // A new device restores a preferred method.
    n.clear();
    let s = mfa
        .device_added(
            &ctx(&[DeviceKind::HardwareToken]),
            DeviceKind::HardwareToken,
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    assert_eq!(s.value.preferred(), Some(M::HardwareToken));
    assert_eq!(
        n.kinds(),
        [
            K::DeviceAdded {
                method: M::HardwareToken
            },
            K::PreferredMethodChanged {
                from: None,
                to: Some(M::HardwareToken),
                fallback: false
            },
        ]
    );
}

#[tokio::test]
async fn sign_in_plan_lists_available_methods_strongest_first() {
    let (mfa, _) = service(OrgPolicy::default());
    let c = ctx(&[DeviceKind::AuthenticatorApp, DeviceKind::SecurityKey]);
    let _ = mfa
        .enable(&c, Some(M::AuthenticatorApp), Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(
        mfa.sign_in_plan(&c).await.unwrap(),
        SignInPlan::SecondFactor {
            primary: Some(M::AuthenticatorApp),
            available: vec![
                M::SecurityKey,
                M::AuthenticatorApp,
                M::RecoveryCode,
                M::Email
            ],
        }
    );
}

#[tokio::test]
async fn self_service_removal_forbidden_by_policy() {
    let (mfa, _) = service(
        OrgPolicy::builder()
            .self_service_removal(false)
            .build()
            .unwrap(),
    );
    let c = ctx(&[DeviceKind::SecurityKey]);
    let e = mfa
        .authorize_device_removal(&c, &Actor::AccountHolder)
        .unwrap_err();
    assert!(matches!(e, Error::SelfServiceRemovalForbidden));
    assert!(e.to_string().contains("an administrator must do it"));
    assert!(matches!(
        mfa.authorize_device_removal(&c, &Actor::administrator("")),
        Err(Error::AnonymousAdministrator)
    ));
    mfa.authorize_device_removal(&c, &Actor::administrator("ops:jo"))
        .unwrap();
}

// Conflicts are injected by the `testing` feature's ChaosStore.
#[cfg(feature = "testing")]
#[tokio::test]
async fn notifications_are_sent_exactly_once_across_conflict_retries() {
    let n = Arc::new(RecordingNotifier::new());
    let mfa = Mfa::new(
        crate::common::conflicting(3),
        n.clone(),
        clock(),
        OrgPolicy::default(),
        key(),
    );
    let c = ctx(&[DeviceKind::AuthenticatorApp, DeviceKind::SecurityKey]);
    let s = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    assert_eq!(s.value.settings.preferred(), Some(M::SecurityKey));
    assert_eq!(mfa.store().faults().saves(), 4, "3 conflicts, then success");
    assert_eq!(
        n.kinds(),
        [K::MfaEnabled {
            preferred: M::SecurityKey
        }]
    );
    // The change is stored.
    assert!(
        mfa.store()
            .load_account(c.user())
            .await
            .unwrap()
            .value
            .settings()
            .enabled()
    );

    // A fallback under conflicts: one event, and only after the save.
    mfa.store().faults().conflict_next_saves(2);
    n.clear();
    let _ = mfa
        .device_removed(
            &ctx(&[DeviceKind::AuthenticatorApp]),
            DeviceKind::SecurityKey,
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    assert_eq!(n.kinds().len(), 2);
}

// Conflicts are injected by the `testing` feature's ChaosStore.
#[cfg(feature = "testing")]
#[tokio::test]
async fn no_notification_when_the_store_keeps_conflicting() {
    let n = Arc::new(RecordingNotifier::new());
    let mfa = Mfa::new(
        crate::common::conflicting(100),
        n.clone(),
        clock(),
        OrgPolicy::default(),
        key(),
    )
    .with_store_attempts(5)
    .unwrap();
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    assert!(matches!(
        mfa.enable(&c, None, Actor::AccountHolder).await,
        Err(Error::Conflict)
    ));
    assert_eq!(mfa.store().faults().saves(), 5);
    assert!(
        n.events().is_empty(),
        "never notify before the change is stored"
    );
    assert!(!mfa.settings(c.user()).await.unwrap().enabled());
    assert!(
        crate::common::mfa_with(n.clone(), clock(), OrgPolicy::default())
            .with_store_attempts(0)
            .is_err()
    );
}

#[tokio::test]
async fn a_failing_notifier_does_not_undo_the_change() {
    let (mfa, n) = service(OrgPolicy::default());
    n.set_failing(true);
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    let s = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    assert!(s.value.settings.enabled());
    let err = s.notify_error.expect("the failure comes back for logging");
    assert!(err.to_string().contains("could not be sent"));
    assert!(mfa.settings(c.user()).await.unwrap().enabled());
    assert_eq!(n.events().len(), 1, "tried exactly once");
}

#[tokio::test]
async fn password_change_and_code_reuse_are_reported() {
    let (mfa, n) = service(OrgPolicy::default());
    let u = UserId::new("ana");
    let _ = mfa
        .password_changed(&u, Actor::AccountHolder)
        .await
        .unwrap();
    assert!(
        mfa.report_code_reuse(&u, M::AuthenticatorApp, Actor::System)
            .await
            .is_none()
    );
    assert_eq!(
        n.kinds(),
        [
            K::PasswordChanged,
            K::CodeReuseDetected {
                method: M::AuthenticatorApp
            }
        ]
    );
}

#[test]
fn futures_are_send() {
    fn send<T: Send>(_: T) {}
    let (mfa, _) = service(OrgPolicy::default());
    let c = ctx(&[]);
    let u = UserId::new("ana");
    let out = tessera_mfa::InMemoryDelivery::new();
    let id = tessera_mfa::ChallengeId::parse("00112233445566778899aabbccddeeff").unwrap();
    // Only built, never polled: this is a compile-time check.
    send(mfa.availability(&c));
    send(mfa.enable(&c, None, Actor::AccountHolder));
    send(mfa.disable(&c, Actor::AccountHolder));
    send(mfa.set_preferred(&c, M::Email, Actor::AccountHolder));
    send(mfa.reconcile(&c));
    send(mfa.device_added(&c, DeviceKind::SecurityKey, Actor::AccountHolder));
    send(mfa.device_removed(&c, DeviceKind::SecurityKey, Actor::AccountHolder));
    send(mfa.sign_in_plan(&c));
    send(mfa.password_changed(&u, Actor::AccountHolder));
    send(mfa.send_code(&c, M::Email, tessera_mfa::Purpose::SignIn, &out));
    send(mfa.verify_code(&u, &id, "123456"));
    send(mfa.use_recovery_code(&c, "x"));
    send(mfa.regenerate_recovery_codes(&c, Actor::AccountHolder));
    send(mfa.remember_device(&u, "x"));
    send(mfa.revoke_all_remembered_devices(&u, Actor::AccountHolder));
    send(mfa.begin_attempt(&u));
    send(mfa.authentication_completed(&u));
    send(mfa.unlock(&u, Actor::administrator("ops")));
}

#[cfg(feature = "serde")]
#[tokio::test]
async fn stored_state_round_trips_through_serde() {
    let (mfa, _) = service(OrgPolicy::default());
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    let _ = mfa
        .link_phone(
            &c,
            tessera_mfa::PhoneNumber::parse("+14155552671").unwrap(),
            Actor::AccountHolder,
        )
        .await
        .unwrap();
    let set = mfa
        .regenerate_recovery_codes(&c, Actor::AccountHolder)
        .await
        .unwrap()
        .into_value();
    let out = tessera_mfa::InMemoryDelivery::new();
    mfa.send_code(&c, M::Email, tessera_mfa::Purpose::SignIn, &out)
        .await
        .unwrap();
    let state = mfa.account_state(c.user()).await.unwrap();
    let json = serde_json::to_string(&state).unwrap();
    // Only keyed hashes are stored: no recovery code appears in the document.
    for code in set.codes() {
        let raw = code.formatted().replace('-', "");
        assert!(!json.contains(&raw));
    }
    let back: tessera_mfa::AccountState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
    // Deserialisation validates like the parsers.
    let bad = json.replace("+14155552671", "+0123");
    assert!(serde_json::from_str::<tessera_mfa::AccountState>(&bad).is_err());
}

/// A notifier that looks into the store when told, to prove the change is already there.
struct StoreWitness {
    store: Arc<InMemoryStore>,
    seen_enabled: std::sync::Mutex<Vec<bool>>,
}

impl tessera_mfa::SecurityNotifier for StoreWitness {
    async fn notify(
        &self,
        event: &tessera_mfa::SecurityEvent,
    ) -> Result<(), tessera_mfa::NotifyError> {
        let state = self.store.load_account(&event.account).await.unwrap();
        self.seen_enabled
            .lock()
            .unwrap()
            .push(state.value.settings().enabled());
        Ok(())
    }
}

#[tokio::test]
async fn the_change_is_stored_before_the_notifier_hears_of_it() {
    let store = Arc::new(InMemoryStore::new());
    let witness = Arc::new(StoreWitness {
        store: store.clone(),
        seen_enabled: Default::default(),
    });
    let mfa = Mfa::new(store, witness.clone(), clock(), OrgPolicy::default(), key());
    let c = ctx(&[DeviceKind::AuthenticatorApp]);
    let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    let _ = mfa.disable(&c, Actor::AccountHolder).await.unwrap();
    assert_eq!(*witness.seen_enabled.lock().unwrap(), [true, false]);
}
