//! One device, one user (issue 19 item 5): a hardware token's serial and a seed are
//! claimed in the store as keyed fingerprints, so a second user is refused, also when
//! the enrolments race.

use std::sync::Arc;

use crate::common::{at_once, code_at, faulty_store, one_code_config, racing_store, registry};
use tessera_keyring::{Key, KeyId, Keyring};
use tessera_otp::{Clock, ManualClock, Secret, TotpParams, UnixTime};
use tessera_registry::{
    DeviceRegistry, DeviceStore, Error, HardwareToken, InMemoryDeviceStore, UserId,
};

fn token(serial: &str, secret: &Secret) -> HardwareToken {
    HardwareToken::new("Token", serial, secret.clone(), TotpParams::DEFAULT).unwrap()
}

/// A fresh in-memory registry where Ana added a token with `serial` (its code checked);
/// the registry, its clock and the token's seed.
async fn ana_with_token(
    serial: &str,
) -> (
    DeviceRegistry<InMemoryDeviceStore, ManualClock>,
    ManualClock,
    Secret,
) {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let seed = Secret::generate();
    registry
        .add_hardware_token(
            &ana(),
            &token(serial, &seed),
            &[&code_at(&seed, clock.now())],
        )
        .await
        .unwrap();
    (registry, clock, seed)
}

fn ana() -> UserId {
    UserId::new("ana")
}

fn bo() -> UserId {
    UserId::new("bo")
}

#[tokio::test]
async fn the_same_seed_for_a_second_user_is_refused() {
    let (registry, clock, seed) = ana_with_token("S-1").await;
    let code = code_at(&seed, clock.now());
    // Another serial, the same imported seed: one device.
    let refused = registry
        .add_hardware_token(&bo(), &token("S-2", &seed), &[&code])
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::DeviceBelongsToAnotherUser),
        "{refused}"
    );
    assert!(refused.is_invalid_input());
    assert_eq!(
        refused.to_string(),
        "this mfa device is registered to another user"
    );
    assert!(registry.list(&bo()).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_same_serial_for_a_second_user_is_refused_in_any_case() {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let (a, b) = (Secret::generate(), Secret::generate());
    registry
        .add_hardware_token(
            &ana(),
            &token("GALT-0001", &a),
            &[&code_at(&a, clock.now())],
        )
        .await
        .unwrap();
    let refused = registry
        .add_hardware_token(&bo(), &token("galt-0001", &b), &[&code_at(&b, clock.now())])
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::DeviceBelongsToAnotherUser),
        "{refused}"
    );
    // The message names neither the serial nor the user.
    let text = refused.to_string().to_lowercase();
    assert!(!text.contains("galt") && !text.contains("ana"), "{text}");
}

/// Without the token's codes, a taken serial is the plain opaque refusal: a serial
/// alone (printed on the token, or guessed) never tells whether someone has it.
#[tokio::test]
async fn a_taken_serial_with_a_wrong_code_reads_as_a_wrong_code() {
    let (registry, clock, _seed) = ana_with_token("S-1").await;
    let other = Secret::generate();
    let wrong = code_at(&Secret::generate(), clock.now());
    let refused = registry
        .add_hardware_token(&bo(), &token("S-1", &other), &[&wrong])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Rejected), "{refused}");
}

#[tokio::test]
async fn removal_releases_the_device_for_another_user() {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let seed = Secret::generate();
    let t = token("S-1", &seed);
    let id = registry
        .add_hardware_token(&ana(), &t, &[&code_at(&seed, clock.now())])
        .await
        .unwrap();
    assert_eq!(registry.store().claims().len(), 2, "serial and seed");
    registry.remove(&ana(), id).await.unwrap();
    assert!(
        registry.store().claims().is_empty(),
        "released with the device"
    );
    clock.advance(std::time::Duration::from_secs(30));
    registry
        .add_hardware_token(&bo(), &t, &[&code_at(&seed, clock.now())])
        .await
        .unwrap();
    assert!(
        registry
            .store()
            .claims()
            .iter()
            .all(|(_, holder)| *holder == bo())
    );
    // And now the first user is the one refused.
    clock.advance(std::time::Duration::from_secs(30));
    let refused = registry
        .add_hardware_token(&ana(), &t, &[&code_at(&seed, clock.now())])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::DeviceBelongsToAnotherUser));
}

/// The same user adding the token twice is the per-user duplicate, and the failed
/// second attempt keeps the claims the first device needs.
#[tokio::test]
async fn a_users_own_duplicate_keeps_its_claims() {
    let (registry, clock, seed) = ana_with_token("S-1").await;
    let code = code_at(&seed, clock.now());
    let t2 = HardwareToken::new("Token 2", "S-1", seed.clone(), TotpParams::DEFAULT).unwrap();
    let again = registry
        .add_hardware_token(&ana(), &t2, &[&code])
        .await
        .unwrap_err();
    assert!(matches!(again, Error::DuplicateDevice), "{again}");
    assert_eq!(registry.store().claims().len(), 2);
    let refused = registry
        .add_hardware_token(&bo(), &token("S-9", &seed), &[&code])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::DeviceBelongsToAnotherUser));
}

/// A save that fails after the claims were made releases them: the device was not
/// stored, so it must not stay claimed.
#[tokio::test]
async fn a_failed_save_releases_the_claims_it_made() {
    let (registry, clock) = registry(faulty_store(), one_code_config());
    let seed = Secret::generate();
    let t = token("S-1", &seed);
    let code = code_at(&seed, clock.now());
    registry.store().faults().fail_next_saves(1);
    let failed = registry
        .add_hardware_token(&ana(), &t, &[&code])
        .await
        .unwrap_err();
    assert!(matches!(failed, Error::Store(_)), "{failed}");
    assert!(registry.store().inner().claims().is_empty());
    registry
        .add_hardware_token(&bo(), &t, &[&code])
        .await
        .unwrap();

    // A claim that cannot be made stores nothing.
    registry.store().faults().fail_claims(true);
    let seed2 = Secret::generate();
    let failed = registry
        .add_hardware_token(
            &ana(),
            &token("S-2", &seed2),
            &[&code_at(&seed2, clock.now())],
        )
        .await
        .unwrap_err();
    assert!(matches!(failed, Error::Store(_)), "{failed}");
    assert!(registry.list(&ana()).await.unwrap().is_empty());
}

/// An authenticator app's seed is claimed when its enrolment finishes, and released
/// when it is removed; a pending enrolment claims nothing.
#[tokio::test]
async fn an_apps_seed_is_claimed_at_activation() {
    let (registry, clock) = registry(InMemoryDeviceStore::new(), one_code_config());
    let e = registry
        .start_enrolment(&ana(), "Phone", "ana@example.com")
        .await
        .unwrap();
    assert!(registry.store().claims().is_empty());
    let code = code_at(e.secret(), clock.now());
    registry
        .finish_enrolment(&ana(), e.device_id(), &[&code])
        .await
        .unwrap();
    assert_eq!(registry.store().claims().len(), 1);
    registry.remove(&ana(), e.device_id()).await.unwrap();
    assert!(registry.store().claims().is_empty());
}

/// 32 users enrol one seed at once on a multi-thread runtime: exactly one owns it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_enrolments_of_one_seed_have_one_owner() {
    let mut tally = Vec::new();
    for round in 0..10 {
        let (registry, clock) = registry(racing_store(round % 2 == 0), one_code_config());
        let registry = Arc::new(registry);
        let seed = Secret::generate();
        let code = code_at(&seed, clock.now());
        let results = at_once(&registry, 32, |registry, i| {
            // Each user's token has its own serial: only the seed is shared.
            let t = token(&format!("S-{i}"), &seed);
            let code = code.clone();
            async move {
                registry
                    .add_hardware_token(&UserId::new(format!("user-{i:02}")), &t, &[&code])
                    .await
            }
        })
        .await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(Error::DeviceBelongsToAnotherUser)))
            .count();
        assert_eq!((ok, refused), (1, 31), "round {round}: {results:?}");
        let mut holders = 0;
        for i in 0..32 {
            let user = UserId::new(format!("user-{i:02}"));
            holders += registry.store().load(&user).await.unwrap().value.len();
        }
        assert_eq!(holders, 1, "round {round}: one stored token");
        // The seed's claim and the winner's serial claim; the losers' serial claims
        // were released.
        let claims = registry.store().inner().claims();
        assert_eq!(claims.len(), 2, "round {round}");
        tally.push(registry.store().faults().claims());
    }
    eprintln!("claims and releases per round of 32: {tally:?}");
}

/// Nothing the store holds (devices or claims) contains the seed or the serial.
#[tokio::test]
async fn the_store_never_holds_the_seed_or_the_serial_in_a_claim() {
    let (registry, _clock, seed) = ana_with_token("SERIAL-XYZ-42").await;
    let devices = registry.store().load(&ana()).await.unwrap().value;
    let document = serde_json::to_string(&devices).unwrap();
    let claims = registry.store().claims();
    let claims_text = format!(
        "{claims:?} {}",
        claims
            .iter()
            .map(|(f, u)| format!("{} {}", f.to_hex(), u.as_str()))
            .collect::<String>()
    );
    let hex: String = seed
        .expose_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for text in [&document, &claims_text] {
        assert!(!text.contains(seed.to_base32().as_str()), "{text}");
        assert!(!text.to_lowercase().contains(&hex), "{text}");
    }
    assert!(!claims_text.contains("SERIAL-XYZ-42"), "{claims_text}");
    // The fingerprint's Debug shows a prefix only.
    let shown = format!("{:?}", claims[0].0);
    assert_eq!(
        shown.chars().count(),
        "DeviceFingerprint(01234567…)".len() - 2,
        "{shown}"
    );
}

/// Claims are made under every key of the keyring, so a rotation does not free a
/// device: the claim under the old key still refuses it.
#[tokio::test]
async fn a_key_rotation_keeps_the_device_claimed() {
    let store = Arc::new(InMemoryDeviceStore::new());
    let clock = ManualClock::new(UnixTime::from_secs(crate::common::START));
    let k1 = KeyId::parse("k1").unwrap();
    let mut ring = Keyring::new(k1, Key::generate().unwrap());
    let before = DeviceRegistry::new(
        Arc::clone(&store),
        clock.clone(),
        one_code_config(),
        Arc::new(ring.clone()),
    );
    let seed = Secret::generate();
    let t = token("S-1", &seed);
    before
        .add_hardware_token(&ana(), &t, &[&code_at(&seed, clock.now())])
        .await
        .unwrap();
    let k2 = KeyId::parse("k2").unwrap();
    ring.add(k2.clone(), Key::generate().unwrap()).unwrap();
    ring.activate(&k2).unwrap();
    let after = DeviceRegistry::new(
        Arc::clone(&store),
        clock.clone(),
        one_code_config(),
        Arc::new(ring),
    );
    let refused = after
        .add_hardware_token(&bo(), &t, &[&code_at(&seed, clock.now())])
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::DeviceBelongsToAnotherUser));
    // The holder's devices get their claims under the new key too.
    assert_eq!(after.claim_existing_devices(&ana()).await.unwrap(), 2);
    assert_eq!(store.claims().len(), 4);
}

/// Devices stored before fingerprints existed have none; a pass adds them, and one
/// shared by two users already is reported.
#[tokio::test]
async fn existing_devices_can_be_claimed_after_the_fact() {
    let (registry, clock, _seed) = ana_with_token("S-1").await;
    let id = registry
        .add_hardware_token(
            &bo(),
            &token("S-2", &Secret::generate()),
            &[&code_at(&Secret::generate(), clock.now())],
        )
        .await;
    assert!(id.is_err(), "a random code does not verify");
    // Forget the claims, as a store from before this change would.
    for (fp, user) in registry.store().claims() {
        registry
            .store()
            .release_fingerprint(&fp, &user)
            .await
            .unwrap();
    }
    assert_eq!(registry.claim_existing_devices(&ana()).await.unwrap(), 2);
    assert_eq!(registry.claim_existing_devices(&ana()).await.unwrap(), 0);
    assert_eq!(registry.store().claims().len(), 2);
}
