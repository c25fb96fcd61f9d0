//! The MFA rules next to the real device registry: availability from its status, the
//! removal policy before its `remove`, and the fallback after it (what the facade does).

use std::sync::Arc;

use crate::common::clock;
use tessera_mfa::{
    AccountContext, Actor, EmailAddress, Error, MfaMethod as M, OrgPolicy, RecordingNotifier,
    SecurityEventKind as K, Unavailable,
};
use tessera_otp::{Clock, TimeStep, Totp};
use tessera_registry::{DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId};

#[tokio::test]
async fn removal_policy_and_fallback_around_the_registry() {
    let clock = clock();
    let registry = DeviceRegistry::new(
        InMemoryDeviceStore::new(),
        clock.clone(),
        RegistryConfig::new("Example Inc").unwrap(),
        Arc::new(tessera_registry::Keyring::ephemeral().unwrap()),
    );
    let n = Arc::new(RecordingNotifier::new());
    let policy = OrgPolicy::builder()
        .self_service_removal(false)
        .build()
        .unwrap();
    let mfa = crate::common::mfa_with(n.clone(), clock.clone(), policy);
    let ana = UserId::new("ana");
    let ctx_now = async |registry: &DeviceRegistry<InMemoryDeviceStore, _>| {
        let status = registry.mfa_status(&ana).await.unwrap();
        AccountContext::new(ana.clone())
            .with_email(EmailAddress::parse("ana@example.com").unwrap())
            .with_active_devices(status.active_kinds().iter().copied())
    };

    // Enrol and activate an authenticator app (two consecutive codes).
    let enrolment = registry
        .start_enrolment(&ana, "Phone", "ana@example.com")
        .await
        .unwrap();
    let app = Totp::new(enrolment.secret(), Default::default());
    let step = app.time_step(clock.now()).unwrap();
    let first = app.generate_at_step(TimeStep::new(step.get() - 1));
    let second = app.generate_at_step(step);
    let info = registry
        .finish_enrolment(
            &ana,
            enrolment.device_id(),
            &[first.expose(), second.expose()],
        )
        .await
        .unwrap();

    let ctx = ctx_now(&registry).await;
    assert!(
        mfa.availability(&ctx)
            .await
            .unwrap()
            .is_available(M::AuthenticatorApp)
    );
    let _ = mfa
        .device_added(&ctx, info.kind, Actor::AccountHolder)
        .await
        .unwrap();
    let s = crate::common::enable(&mfa, &ctx).await;
    assert_eq!(s.settings.preferred(), Some(M::AuthenticatorApp));

    // The account holder may not remove it; the registry is never asked.
    assert!(matches!(
        mfa.authorize_device_removal(&ctx, &Actor::AccountHolder),
        Err(Error::SelfServiceRemovalForbidden)
    ));
    assert_eq!(registry.list(&ana).await.unwrap().len(), 1);

    // A named administrator may; then the preferred method falls back to email.
    let admin = Actor::administrator("ops:jo");
    mfa.authorize_device_removal(&ctx, &admin).unwrap();
    let removed = registry.remove(&ana, info.id).await.unwrap();
    n.clear();
    let ctx = ctx_now(&registry).await;
    let s = mfa
        .device_removed(&ctx, removed.kind, admin.clone())
        .await
        .unwrap()
        .into_value();
    assert_eq!(s.preferred(), Some(M::Email));
    assert_eq!(
        mfa.availability(&ctx)
            .await
            .unwrap()
            .get(M::AuthenticatorApp)
            .reason(),
        Some(Unavailable::NotConfigured)
    );
    let events = n.events();
    assert_eq!(
        events[0].kind,
        K::DeviceRemoved {
            method: M::AuthenticatorApp
        }
    );
    assert_eq!(events[0].actor, admin);
    assert_eq!(
        events[1].kind,
        K::PreferredMethodChanged {
            from: Some(M::AuthenticatorApp),
            to: Some(M::Email),
            fallback: true
        }
    );
}
