//! Registry operations end to end over the in-memory store and a failing store.

use std::time::Duration;

use crate::common::{
    START, active_app, code_at, code_at_step, faulty_store, one_code_config, registry,
};
use tessera_otp::{Clock, Rejected, UnixTime};
use tessera_registry::{
    ActivationPolicy, AssertionVerifier, DeviceKind, DeviceStatus, DeviceStore, Error,
    InMemoryDeviceStore, RegistryConfig, SecurityKey, UserId,
};

#[tokio::test]
async fn a_code_from_another_users_device_never_verifies() {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let (ana, bo) = (UserId::new("ana"), UserId::new("bo"));
    let (_, ana_secret) = active_app(&registry, &clock, &ana, "Phone").await;
    let (bo_id, bo_secret) = active_app(&registry, &clock, &bo, "Phone").await;
    clock.advance(Duration::from_secs(30));
    let ana_code = code_at(&ana_secret, clock.now());
    assert!(matches!(
        registry.verify_unthrottled(&bo, &ana_code).await,
        Err(Error::Rejected)
    ));
    assert!(matches!(
        registry
            .verify_unthrottled(&UserId::new("nobody"), &ana_code)
            .await,
        Err(Error::Rejected)
    ));
    let bo_code = code_at(&bo_secret, clock.now());
    assert_eq!(
        registry
            .verify_unthrottled(&bo, &bo_code)
            .await
            .unwrap()
            .device_id,
        bo_id
    );
    // Ids are per user: bo cannot rename or remove ana's device either.
    let ana_device = registry.list(&ana).await.unwrap()[0].id;
    assert!(matches!(
        registry.remove(&bo, ana_device).await,
        Err(Error::DeviceNotFound)
    ));
    assert!(registry.verify_unthrottled(&ana, &ana_code).await.is_ok());
}

#[tokio::test]
async fn deactivated_devices_are_refused() {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let ana = UserId::new("ana");
    let (id, secret) = active_app(&registry, &clock, &ana, "Phone").await;
    assert_eq!(
        registry.mfa_status(&ana).await.unwrap().active_kinds(),
        [DeviceKind::AuthenticatorApp]
    );
    let removed = registry.remove(&ana, id).await.unwrap();
    assert_eq!(removed.id, id);
    clock.advance(Duration::from_secs(30));
    let code = code_at(&secret, clock.now());
    assert!(matches!(
        registry.verify_unthrottled(&ana, &code).await,
        Err(Error::Rejected)
    ));
    assert!(!registry.mfa_status(&ana).await.unwrap().is_enabled());
    assert!(registry.list(&ana).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_code_activation_list_rename_and_status() {
    let (registry, clock) = registry(
        InMemoryDeviceStore::new(),
        RegistryConfig::new("Acme").unwrap(),
    );
    let ana = UserId::new("ana");
    let e = registry
        .start_enrolment(&ana, " Phone ", "ana@example.com")
        .await
        .unwrap();
    // The configured issuer labels the entry (issue 13 item 8: there is no default).
    assert!(
        e.uri()
            .starts_with("otpauth://totp/Acme:ana%40example.com?secret="),
        "{}",
        e.uri()
    );
    assert_eq!(e.key_uri().issuer(), Some("Acme"));
    assert_eq!(e.expires_at(), UnixTime::from_secs(START + 600));
    let listed = registry.list(&ana).await.unwrap();
    assert_eq!(listed[0].name.as_str(), "Phone");
    assert_eq!(
        listed[0].status,
        DeviceStatus::Pending {
            expires_at: e.expires_at()
        }
    );
    assert!(!registry.mfa_status(&ana).await.unwrap().is_enabled());

    let step = START / 30;
    let (a, b) = (
        code_at_step(e.secret(), step - 1),
        code_at_step(e.secret(), step),
    );
    assert!(matches!(
        registry.finish_enrolment(&ana, e.device_id(), &[&b]).await,
        Err(Error::ActivationCodes {
            expected: 2,
            found: 1
        })
    ));
    let info = registry
        .finish_enrolment(&ana, e.device_id(), &[&a, &b])
        .await
        .unwrap();
    assert_eq!(info.status, DeviceStatus::Active);
    registry
        .rename(&ana, e.device_id(), "  Work phone  ")
        .await
        .unwrap();
    assert!(matches!(
        registry.rename(&ana, e.device_id(), &"x".repeat(65)).await,
        Err(Error::InvalidName { .. })
    ));
    assert_eq!(
        registry.list(&ana).await.unwrap()[0].name.as_str(),
        "Work phone"
    );
    let status = registry.mfa_status(&ana).await.unwrap();
    assert!(status.is_enabled() && status.has(DeviceKind::AuthenticatorApp));
    assert!(!status.has(DeviceKind::SecurityKey));
    // The pending expiry is decided by the clock: a second enrolment expires at +600.
    let late = registry
        .start_enrolment(&ana, "Tablet", "ana@example.com")
        .await
        .unwrap();
    clock.advance(Duration::from_secs(600));
    let listed = registry.list(&ana).await.unwrap();
    assert_eq!(listed[1].status, DeviceStatus::Expired);
    let code = code_at(late.secret(), clock.now());
    let code2 = code_at_step(late.secret(), clock.now().as_secs() / 30 + 1);
    assert!(matches!(
        registry
            .finish_enrolment(&ana, late.device_id(), &[&code, &code2])
            .await,
        Err(Error::EnrolmentExpired)
    ));
}

#[tokio::test]
async fn resync_through_the_registry() {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let ana = UserId::new("ana");
    let (id, secret) = active_app(&registry, &clock, &ana, "Phone").await;
    clock.advance(Duration::from_secs(3600));
    let step = clock.now().as_secs() / 30;
    let (a, b) = (
        code_at_step(&secret, step + 6),
        code_at_step(&secret, step + 7),
    );
    assert_eq!(registry.resync(&ana, id, &a, &b).await.unwrap().steps(), 7);
    clock.advance(Duration::from_secs(30));
    let next = code_at_step(&secret, step + 8);
    assert_eq!(
        registry
            .verify_unthrottled(&ana, &next)
            .await
            .unwrap()
            .device_id,
        id
    );
}

struct FakeVerifier;

/// The assertion a fake authenticator sends: its credential id and counter, and
/// whether the signature is good.
struct FakeAssertion {
    credential_id: Vec<u8>,
    counter: u32,
    signature_ok: bool,
}

impl AssertionVerifier for FakeVerifier {
    type Assertion = FakeAssertion;

    fn credential_id<'a>(&self, assertion: &'a FakeAssertion) -> &'a [u8] {
        &assertion.credential_id
    }

    fn verify(&self, key: &SecurityKey, assertion: &FakeAssertion) -> Result<u32, Rejected> {
        assert_eq!(key.public_key(), b"cose key");
        if assertion.signature_ok {
            Ok(assertion.counter)
        } else {
            Err(Rejected)
        }
    }
}

#[tokio::test]
async fn security_keys_verify_through_the_application_verifier() {
    let (registry, _clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let ana = UserId::new("ana");
    let key = SecurityKey::new(b"cred-1", b"cose key", 4, [1; 16]).unwrap();
    let id = registry
        .register_security_key(&ana, "YubiKey", &key)
        .await
        .unwrap();
    assert_eq!(
        registry.mfa_status(&ana).await.unwrap().active_kinds(),
        [DeviceKind::SecurityKey]
    );
    let assertion = |counter, signature_ok| FakeAssertion {
        credential_id: b"cred-1".to_vec(),
        counter,
        signature_ok,
    };
    let ok = registry
        .verify_assertion_unthrottled(&ana, &FakeVerifier, &assertion(5, true))
        .await
        .unwrap();
    assert_eq!((ok.device_id, ok.sign_count), (id, 5));
    for (counter, good) in [(5, true), (4, true), (9, false)] {
        assert!(matches!(
            registry
                .verify_assertion_unthrottled(&ana, &FakeVerifier, &assertion(counter, good))
                .await,
            Err(Error::Rejected)
        ));
    }
    // Another user has no such key.
    assert!(matches!(
        registry
            .verify_assertion_unthrottled(&UserId::new("bo"), &FakeVerifier, &assertion(6, true))
            .await,
        Err(Error::Rejected)
    ));
    // A code never verifies against a security key.
    assert!(matches!(
        registry.verify_unthrottled(&ana, "123456").await,
        Err(Error::Rejected)
    ));
}

#[tokio::test]
async fn a_store_that_fails_on_save_loses_nothing() {
    let (registry, clock) = registry(faulty_store(), one_code_config());
    let ana = UserId::new("ana");
    let (id, secret) = active_app(&registry, &clock, &ana, "Phone").await;
    let pending = registry
        .start_enrolment(&ana, "Tablet", "ana@example.com")
        .await
        .unwrap();
    let before = registry.store().load(&ana).await.unwrap();

    registry.store().faults().fail_saves(true);
    clock.advance(Duration::from_secs(30));
    let code = code_at(&secret, clock.now());
    let fails = [
        registry.verify_unthrottled(&ana, &code).await.err(),
        registry
            .start_enrolment(&ana, "Laptop", "ana@example.com")
            .await
            .err(),
        registry
            .finish_enrolment(
                &ana,
                pending.device_id(),
                &[&code_at(pending.secret(), clock.now())],
            )
            .await
            .err(),
        registry.rename(&ana, id, "Renamed").await.err(),
        registry.remove(&ana, id).await.err(),
    ];
    for f in fails {
        assert!(matches!(f, Some(Error::Store(_))), "{f:?}");
    }
    let after = registry.store().load(&ana).await.unwrap();
    assert_eq!(after.version, before.version);
    assert_eq!(after.value, before.value, "nothing changed");

    // Once the store recovers, the code that failed to be recorded still works, once.
    registry.store().faults().fail_saves(false);
    assert_eq!(
        registry
            .verify_unthrottled(&ana, &code)
            .await
            .unwrap()
            .device_id,
        id
    );
    assert!(matches!(
        registry.verify_unthrottled(&ana, &code).await,
        Err(Error::Rejected)
    ));
}

#[tokio::test]
async fn conflicts_are_retried_a_bounded_number_of_times() {
    let config = RegistryConfig::builder("Acme")
        .activation(ActivationPolicy::OneCode)
        .max_attempts(3)
        .build()
        .unwrap();
    let (registry, clock) = registry(faulty_store(), config);
    let ana = UserId::new("ana");
    let (_, secret) = active_app(&registry, &clock, &ana, "Phone").await;
    let before = registry.store().load(&ana).await.unwrap();

    // Two conflicts, then success on the third attempt.
    registry.store().faults().conflict_next_saves(2);
    let _tablet = registry.start_enrolment(&ana, "Tablet", "a").await.unwrap();
    // Three conflicts: all attempts used, a clear error, nothing stored.
    let mid = registry.store().load(&ana).await.unwrap();
    assert_eq!(mid.version, before.version.next());
    registry.store().faults().conflict_next_saves(3);
    clock.advance(Duration::from_secs(30));
    let code = code_at(&secret, clock.now());
    assert!(matches!(
        registry.verify_unthrottled(&ana, &code).await,
        Err(Error::Conflict)
    ));
    let after = registry.store().load(&ana).await.unwrap();
    assert_eq!((after.version, after.value), (mid.version, mid.value));
    assert_eq!(registry.store().faults().conflicts(), 5);
}

#[tokio::test]
async fn enrolment_hands_back_secret_uri_and_qr() {
    let config = RegistryConfig::builder("Acme Co").build().unwrap();
    let (registry, _clock) = registry(InMemoryDeviceStore::new(), config);
    let ana = UserId::new("ana");
    let e = registry
        .start_enrolment(&ana, "Phone", "ana@example.com")
        .await
        .unwrap();
    let parsed = tessera_otp::KeyUri::parse(e.uri()).unwrap();
    assert_eq!(parsed.secret(), e.secret());
    assert_eq!(
        (parsed.issuer(), parsed.account()),
        (Some("Acme Co"), "ana@example.com")
    );
    assert_eq!(e.key_uri(), &parsed);
    assert_eq!(e.secret().len(), 20);
    #[cfg(feature = "qr")]
    assert!(e.qr().unwrap().to_svg().starts_with("<svg"));
    let other = registry
        .start_enrolment(&ana, "Tablet", "ana@example.com")
        .await
        .unwrap();
    assert_ne!(
        other.secret(),
        e.secret(),
        "every enrolment has its own secret"
    );

    // A label the URI cannot carry is refused before anything is stored.
    let before = registry.list(&ana).await.unwrap();
    assert!(matches!(
        registry.start_enrolment(&ana, "Laptop", "ana:admin").await,
        Err(Error::Otp(_))
    ));
    assert!(matches!(
        registry.start_enrolment(&ana, "Laptop", "   ").await,
        Err(Error::InvalidDevice(_))
    ));
    assert_eq!(registry.list(&ana).await.unwrap(), before);
}

/// Every operation's future is `Send`, so services can spawn them on any runtime.
#[test]
fn every_future_is_send() {
    fn send<T: Send>(_: T) {}
    let (registry, _clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let user = UserId::new("ana");
    let id = tessera_registry::DeviceId::random();
    let key = SecurityKey::new(b"c", b"k", 0, [0; 16]).unwrap();
    let token = tessera_registry::HardwareToken::new(
        "T",
        "SN",
        tessera_otp::Secret::generate(),
        tessera_otp::TotpParams::DEFAULT,
    )
    .unwrap();
    let assertion = FakeAssertion {
        credential_id: vec![1],
        counter: 1,
        signature_ok: true,
    };
    send(registry.start_enrolment(&user, "n", "a"));
    send(registry.finish_enrolment(&user, id, &["123456"]));
    send(registry.add_hardware_token(&user, &token, &["123456"]));
    send(registry.register_security_key(&user, "k", &key));
    send(registry.verify_unthrottled(&user, "123456"));
    send(registry.verify_unthrottled_reporting_reuse(&user, "123456"));
    send(registry.verify_assertion_unthrottled(&user, &FakeVerifier, &assertion));
    send(registry.resync(&user, id, "1", "2"));
    send(registry.rename(&user, id, "x"));
    send(registry.remove(&user, id));
    send(registry.list(&user));
    send(registry.mfa_status(&user));
}

/// Issue 13, item 4, over a store: a reloaded enrolment page is resumed (same device,
/// same secret opened from its sealed form, ten more minutes), not refused as a
/// duplicate name; a cancelled one frees its slot at once and never activates.
#[tokio::test]
async fn a_pending_enrolment_is_resumed_or_cancelled() {
    let config = RegistryConfig::builder("Acme")
        .activation(ActivationPolicy::OneCode)
        .max_devices(1)
        .build()
        .unwrap();
    let (registry, clock) = registry(InMemoryDeviceStore::new(), config);
    let ana = UserId::new("ana");
    let first = registry
        .start_enrolment(&ana, "Phone", "ana@example.com")
        .await
        .unwrap();
    clock.advance(Duration::from_secs(300));
    let again = registry
        .start_enrolment(&ana, "Phone", "ana@example.com")
        .await
        .unwrap();
    assert_eq!(again.device_id(), first.device_id());
    assert_eq!(again.uri(), first.uri());
    assert_eq!(
        again.expires_at(),
        clock.now().saturating_add(Duration::from_secs(600))
    );
    // Resumed under another label: the same secret, the new label.
    let shown = registry
        .resume_enrolment(&ana, first.device_id(), "ana.lima@example.com")
        .await
        .unwrap();
    assert_eq!(shown.secret().expose_bytes(), first.secret().expose_bytes());
    assert_eq!(shown.key_uri().account(), "ana.lima@example.com");

    // Cancelled: gone with its seed, the one slot free at once.
    let info = registry
        .cancel_enrolment(&ana, first.device_id())
        .await
        .unwrap();
    assert_eq!(info.id, first.device_id());
    assert!(registry.list(&ana).await.unwrap().is_empty());
    let code = code_at(first.secret(), clock.now());
    assert!(matches!(
        registry
            .finish_enrolment(&ana, first.device_id(), &[&code])
            .await,
        Err(Error::DeviceNotFound)
    ));
    assert!(matches!(
        registry
            .resume_enrolment(&ana, first.device_id(), "ana@example.com")
            .await,
        Err(Error::DeviceNotFound)
    ));
    let fresh = registry
        .start_enrolment(&ana, "Tablet", "ana@example.com")
        .await
        .unwrap();
    assert_ne!(fresh.device_id(), first.device_id());

    // Expired: not resumed; starting again issues a fresh secret.
    clock.advance(Duration::from_secs(600));
    assert!(matches!(
        registry
            .resume_enrolment(&ana, fresh.device_id(), "ana@example.com")
            .await,
        Err(Error::EnrolmentExpired)
    ));
    let renewed = registry
        .start_enrolment(&ana, "Tablet", "ana@example.com")
        .await
        .unwrap();
    assert_ne!(renewed.device_id(), fresh.device_id());
    assert_ne!(renewed.uri(), fresh.uri());
}
