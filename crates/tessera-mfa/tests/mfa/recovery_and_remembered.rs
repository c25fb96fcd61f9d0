//! Part 2: recovery codes and remembered devices, through the public API.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{T0, TestMfa, ana, clock, key, service};
use tessera_mfa::{
    AccountContext, Actor, Error, InMemoryStore, Mfa, MfaMethod as M, OrgPolicy, RecordingNotifier,
    RememberToken, SecurityEventKind as K, Unavailable,
};
use tessera_otp::{ManualClock, UnixTime};
use tessera_registry::{DeviceKind, UserId};

/// Why recovery codes are not available to `c`, if they are not.
async fn recovery_reason(mfa: &TestMfa, c: &AccountContext) -> Option<Unavailable> {
    mfa.availability(c)
        .await
        .unwrap()
        .get(M::RecoveryCode)
        .reason()
}

fn ctx() -> AccountContext {
    ana(&[DeviceKind::AuthenticatorApp])
}

#[tokio::test]
async fn recovery_code_lifecycle() {
    let (mfa, n, clock) = service();
    let c = ctx();
    assert_eq!(
        recovery_reason(&mfa, &c).await,
        Some(Unavailable::NotConfigured)
    );
    // With MFA off, no code can be minted (item 4); turning MFA on issues the set.
    assert!(matches!(
        mfa.regenerate_recovery_codes(&c, Actor::AccountHolder)
            .await,
        Err(Error::MfaNotEnabled)
    ));
    let set = crate::common::enable(&mfa, &c)
        .await
        .recovery_codes
        .unwrap();
    assert_eq!(set.codes().len(), 10, "default set of ten");
    assert_eq!(mfa.recovery_codes_remaining(c.user()).await.unwrap(), 10);
    assert!(
        mfa.availability(&c)
            .await
            .unwrap()
            .is_available(M::RecoveryCode)
    );
    let shown: Vec<String> = set
        .codes()
        .iter()
        .map(|c| c.formatted().to_string())
        .collect();
    assert!(
        shown
            .iter()
            .all(|s| s.len() == 29 && s.matches('-').count() == 5)
    );
    assert_eq!(
        n.kinds(),
        [K::MfaEnabled {
            preferred: M::AuthenticatorApp
        }]
    );
    n.clear();

    // Typed leniently: lower case, spaces instead of dashes.
    let typed = shown[3].to_lowercase().replace('-', " ");
    let remaining = mfa.use_recovery_code(&c, &typed).await.unwrap();
    assert_eq!(remaining.value, 9);
    assert_eq!(n.kinds(), [K::RecoveryCodeUsed { remaining: 9 }]);
    assert_eq!(n.events()[0].actor, Actor::AccountHolder);

    // Single use.
    assert!(matches!(
        mfa.use_recovery_code(&c, &shown[3]).await,
        Err(Error::VerificationFailed)
    ));
    // Malformed input is refused before any comparison.
    assert!(matches!(
        mfa.use_recovery_code(&c, "not-a-code").await,
        Err(Error::InvalidCode(_))
    ));

    // Regenerating voids the old set.
    clock.advance(Duration::from_secs(3600));
    let fresh = mfa
        .regenerate_recovery_codes(&c, Actor::AccountHolder)
        .await
        .unwrap()
        .into_value();
    assert_eq!(mfa.recovery_codes_remaining(c.user()).await.unwrap(), 10);
    assert!(matches!(
        mfa.use_recovery_code(&c, &shown[0]).await,
        Err(Error::VerificationFailed)
    ));
    let _ = mfa
        .use_recovery_code(&c, &fresh.codes()[0].formatted())
        .await
        .unwrap();

    // Codes are bound to their account.
    let bob = AccountContext::new(UserId::new("bob"));
    assert!(matches!(
        mfa.use_recovery_code(&bob, &fresh.codes()[1].formatted())
            .await,
        Err(Error::VerificationFailed)
    ));
}

#[tokio::test]
async fn no_codes_left_is_shown_and_counts_can_be_configured() {
    let n = Arc::new(RecordingNotifier::new());
    let mfa = crate::common::mfa_with(n, clock(), OrgPolicy::default())
        .with_recovery_code_count(2)
        .unwrap();
    let c = ctx();
    let set = crate::common::enable(&mfa, &c)
        .await
        .recovery_codes
        .unwrap();
    assert_eq!(set.codes().len(), 2);
    for code in set.codes() {
        let _ = mfa.use_recovery_code(&c, &code.formatted()).await.unwrap();
    }
    assert_eq!(mfa.recovery_codes_remaining(c.user()).await.unwrap(), 0);
    assert_eq!(
        recovery_reason(&mfa, &c).await,
        Some(Unavailable::NoCodesLeft)
    );
    assert!(
        crate::common::mfa_with(
            Arc::new(RecordingNotifier::new()),
            clock(),
            OrgPolicy::default()
        )
        .with_recovery_code_count(0)
        .is_err()
    );
}

#[tokio::test]
async fn recovery_codes_respect_identity_provider_and_policy() {
    let (mfa, _, _) = service();
    let idp = ctx().managed_by("Okta");
    assert!(matches!(
        mfa.regenerate_recovery_codes(&idp, Actor::AccountHolder)
            .await,
        Err(Error::ManagedByIdentityProvider { .. })
    ));
    let strict = crate::common::service_with(
        OrgPolicy::builder()
            .disallow(M::RecoveryCode)
            .build()
            .unwrap(),
    )
    .0;
    assert!(matches!(
        strict
            .regenerate_recovery_codes(&ctx(), Actor::AccountHolder)
            .await,
        Err(Error::MethodUnavailable {
            reason: Unavailable::DisabledByPolicy,
            ..
        })
    ));
}

/// Item 4: turning MFA on always voids older codes and issues a fresh set; an enabled
/// account keeps its codes; a policy without recovery codes voids them and issues none.
#[tokio::test]
async fn turning_mfa_on_voids_every_older_recovery_code() {
    let (mfa, n, _) = service();
    let c = ctx();
    let first = crate::common::enable(&mfa, &c)
        .await
        .recovery_codes
        .unwrap();
    // Enabling again (already on) keeps the codes and shows none.
    let again = crate::common::enable(&mfa, &c).await;
    assert!(again.recovery_codes.is_none());
    assert_eq!(mfa.recovery_codes_remaining(c.user()).await.unwrap(), 10);

    // Off, then on again: the first set is void, the fresh one works.
    let _ = mfa.disable(&c, Actor::AccountHolder).await.unwrap();
    assert!(matches!(
        mfa.regenerate_recovery_codes(&c, Actor::AccountHolder)
            .await,
        Err(Error::MfaNotEnabled)
    ));
    n.clear();
    let second = crate::common::enable(&mfa, &c)
        .await
        .recovery_codes
        .unwrap();
    assert_eq!(
        n.kinds(),
        [K::MfaEnabled {
            preferred: M::AuthenticatorApp
        }]
    );
    // Four of them (the fifth failure would start the throttle's delay).
    for old in &first.codes()[..4] {
        assert!(matches!(
            mfa.use_recovery_code(&c, &old.formatted()).await,
            Err(Error::VerificationFailed)
        ));
    }
    let _ = mfa
        .use_recovery_code(&c, &second.codes()[0].formatted())
        .await
        .unwrap();

    // A policy without recovery codes: turning MFA on voids stored ones, issues none.
    let store = Arc::new(InMemoryStore::new());
    let open = Mfa::new(
        store.clone(),
        Arc::new(RecordingNotifier::new()),
        clock(),
        OrgPolicy::default(),
        key(),
    );
    let old = crate::common::enable(&open, &c)
        .await
        .recovery_codes
        .unwrap();
    let _ = open.disable(&c, Actor::AccountHolder).await.unwrap();
    let strict = Mfa::new(
        store.clone(),
        Arc::new(RecordingNotifier::new()),
        clock(),
        OrgPolicy::builder()
            .disallow(M::RecoveryCode)
            .build()
            .unwrap(),
        key(),
    );
    let on = crate::common::enable(&strict, &c).await;
    assert!(on.recovery_codes.is_none());
    assert_eq!(strict.recovery_codes_remaining(c.user()).await.unwrap(), 0);
    assert!(matches!(
        open.use_recovery_code(&c, &old.codes()[0].formatted())
            .await,
        Err(Error::VerificationFailed)
    ));
}

async fn enabled() -> (TestMfa, Arc<RecordingNotifier>, ManualClock) {
    let (mfa, n, clock) = service();
    let _ = mfa
        .enable(&ctx(), None, Actor::AccountHolder)
        .await
        .unwrap();
    n.clear();
    (mfa, n, clock)
}

#[tokio::test]
async fn remembered_device_lifecycle() {
    let (mfa, n, clock) = enabled().await;
    let u = ctx().user().clone();
    let (token, device) = mfa.remember_device(&u, "Firefox\n on Linux").await.unwrap();
    assert_eq!(device.label(), "Firefox on Linux");
    assert_eq!(device.created_at(), UnixTime::from_secs(T0));
    assert_eq!(
        device.expires_at(),
        UnixTime::from_secs(T0 + 30 * 24 * 3600),
        "30 days"
    );
    let cookie = token.encode();
    assert_eq!(cookie.len(), 43, "256 bits in base64url");
    assert_eq!(format!("{token:?}"), "RememberToken(<redacted>)");

    let presented = RememberToken::parse(&cookie).unwrap();
    assert!(mfa.is_remembered(&u, &presented).await.unwrap());
    // For this account only.
    assert!(
        !mfa.is_remembered(&UserId::new("bob"), &presented)
            .await
            .unwrap()
    );
    // Exactly at expiry it stops working.
    clock.set(UnixTime::from_secs(T0 + 30 * 24 * 3600 - 1));
    assert!(mfa.is_remembered(&u, &presented).await.unwrap());
    clock.set(UnixTime::from_secs(T0 + 30 * 24 * 3600));
    assert!(!mfa.is_remembered(&u, &presented).await.unwrap());
    assert!(mfa.remembered_devices(&u).await.unwrap().is_empty());

    // Revoke one (back at T0, the first device is valid again).
    clock.set(UnixTime::from_secs(T0));
    let (t1, d1) = mfa.remember_device(&u, "laptop").await.unwrap();
    let (t2, _) = mfa.remember_device(&u, "phone").await.unwrap();
    assert_eq!(mfa.remembered_devices(&u).await.unwrap().len(), 3);
    mfa.revoke_remembered_device(&u, d1.id()).await.unwrap();
    assert!(!mfa.is_remembered(&u, &t1).await.unwrap());
    assert!(mfa.is_remembered(&u, &t2).await.unwrap());
    assert!(matches!(
        mfa.revoke_remembered_device(&u, d1.id()).await,
        Err(Error::UnknownRememberedDevice)
    ));

    // Revoke all ("sign out everywhere").
    let revoked = mfa
        .revoke_all_remembered_devices(&u, Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(revoked.value, 2, "the first device and the phone");
    assert!(!mfa.is_remembered(&u, &t2).await.unwrap());
    assert_eq!(n.kinds(), [K::RememberedDevicesRevoked]);
    let none = mfa
        .revoke_all_remembered_devices(&u, Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(none.value, 0);
    assert_eq!(n.kinds().len(), 1, "nothing revoked, nothing told");
}

#[tokio::test]
async fn password_change_and_disabling_mfa_forget_every_device() {
    let (mfa, _, _) = enabled().await;
    let u = ctx().user().clone();
    let (t, _) = mfa.remember_device(&u, "laptop").await.unwrap();
    let _ = mfa
        .password_changed(&u, Actor::AccountHolder)
        .await
        .unwrap();
    assert!(!mfa.is_remembered(&u, &t).await.unwrap());

    let (t, _) = mfa.remember_device(&u, "laptop").await.unwrap();
    let _ = mfa.disable(&ctx(), Actor::AccountHolder).await.unwrap();
    assert!(!mfa.is_remembered(&u, &t).await.unwrap());
    assert!(mfa.remembered_devices(&u).await.unwrap().is_empty());
    // Turning MFA back on does not bring them back, and remembering needs MFA on.
    let _ = mfa
        .enable(&ctx(), None, Actor::AccountHolder)
        .await
        .unwrap();
    assert!(!mfa.is_remembered(&u, &t).await.unwrap());
    let (off, _, _) = service();
    assert!(matches!(
        off.remember_device(&u, "x").await,
        Err(Error::MfaNotEnabled)
    ));
}
