//! TOTP seeds sealed at rest (issue 14): what a store holds, values moved between users
//! and devices, a missing key, rotation by re-seal on write and by `reseal_page`.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{START, active_app, code_at, code_at_step, keyring, one_code_config};
use tessera_keyring::{Key, KeyId, Keyring};
use tessera_otp::{Clock, ManualClock, Secret, UnixTime};
use tessera_registry::testing::{ChaosDeviceStore, Faults};
use tessera_registry::{
    Credential, Device, DeviceRegistry, DeviceStore, Error, InMemoryDeviceStore, TotpCredential,
    UserId,
};

type Registry<S> = DeviceRegistry<S, ManualClock>;

fn registry_with<S: DeviceStore>(store: S, clock: &ManualClock, ring: Arc<Keyring>) -> Registry<S> {
    DeviceRegistry::new(store, clock.clone(), one_code_config(), ring)
}

fn clock() -> ManualClock {
    ManualClock::new(UnixTime::from_secs(START))
}

/// `old` with a new key `id` added and made active: a rotated keyring.
fn rotated(old: &Keyring, id: &str) -> Arc<Keyring> {
    let mut ring = old.clone();
    let id = KeyId::parse(id).unwrap();
    ring.add(id.clone(), Key::generate().unwrap()).unwrap();
    ring.activate(&id).unwrap();
    Arc::new(ring)
}

/// A keyring holding only a fresh key `id` (the old one is not loaded).
fn only(id: &str) -> Arc<Keyring> {
    Arc::new(Keyring::new(
        KeyId::parse(id).unwrap(),
        Key::generate().unwrap(),
    ))
}

fn key_ids(devices: &tessera_registry::Versioned<Vec<Device>>) -> Vec<String> {
    devices
        .value
        .iter()
        .filter_map(Device::totp)
        .map(|t| t.sealed_secret().key_id().to_string())
        .collect()
}

/// A device rebuilt with `cred` in place of its TOTP credential.
fn with_credential(d: &Device, cred: TotpCredential) -> Device {
    Device::from_parts(
        d.id(),
        d.name().clone(),
        d.kind(),
        d.state(),
        d.created_at(),
        d.activated_at(),
        d.last_used_at(),
        Credential::Totp(cred),
    )
}

fn sealed_of(d: &Device) -> TotpCredential {
    d.totp().unwrap().clone()
}

fn assert_sealed_error(e: &Error) {
    assert!(matches!(e, Error::SealedSecret(_)), "{e:?}");
    // The message says what is wrong, never the seed.
    assert_eq!(e.to_string(), "a stored totp seed could not be opened");
}

#[tokio::test]
async fn a_document_moved_to_another_user_does_not_open_and_nothing_changes() {
    let clock = clock();
    let store = Arc::new(InMemoryDeviceStore::new());
    let registry = registry_with(Arc::clone(&store), &clock, keyring());
    let (ana, bob) = (UserId::new("ana"), UserId::new("bob"));
    let (_, secret) = active_app(&registry, &clock, &ana, "Phone").await;

    // Someone with write access to the store copies ana's document to bob.
    let stolen = store.load(&ana).await.unwrap();
    store
        .save(
            &bob,
            &tessera_registry::Versioned::unsaved(stolen.value.clone()),
        )
        .await
        .unwrap();

    clock.advance(Duration::from_secs(30));
    let code = code_at(&secret, clock.now());
    let e = registry.verify_unthrottled(&bob, &code).await.unwrap_err();
    assert_sealed_error(&e);
    let e = registry
        .verify_unthrottled_reporting_reuse(&bob, &code)
        .await
        .unwrap_err();
    assert_sealed_error(e.error());
    let bobs = store.load(&bob).await.unwrap();
    assert_eq!(
        bobs.version,
        tessera_registry::Version::new(1),
        "nothing saved"
    );
    assert_eq!(bobs.value, stolen.value, "nothing changed");

    // Ana is unaffected: the same code verifies for her.
    registry.verify_unthrottled(&ana, &code).await.unwrap();
}

#[tokio::test]
async fn a_seed_copied_to_another_device_refuses_and_the_others_still_verify() {
    let clock = clock();
    let store = Arc::new(InMemoryDeviceStore::new());
    let registry = registry_with(Arc::clone(&store), &clock, keyring());
    let ana = UserId::new("ana");
    let (first, first_secret) = active_app(&registry, &clock, &ana, "Phone").await;
    let (second, second_secret) = active_app(&registry, &clock, &ana, "Tablet").await;

    // The first device's sealed seed pasted over the second's.
    let mut devices = store.load(&ana).await.unwrap();
    let copied = sealed_of(&devices.value[0]);
    devices.value[1] = with_credential(&devices.value[1], copied);
    let version = store.save(&ana, &devices).await.unwrap();
    let before = store.load(&ana).await.unwrap();

    clock.advance(Duration::from_secs(30));
    // The second device's own code: its seed does not open, nothing else matches.
    let code = code_at(&second_secret, clock.now());
    assert_sealed_error(&registry.verify_unthrottled(&ana, &code).await.unwrap_err());
    // Resync of it: the same error.
    let step = clock.now().as_secs() / 30;
    let (a, b) = (
        code_at_step(&second_secret, step),
        code_at_step(&second_secret, step + 1),
    );
    assert_sealed_error(&registry.resync(&ana, second, &a, &b).await.unwrap_err());
    let after = store.load(&ana).await.unwrap();
    assert_eq!(after.version, version, "nothing saved");
    assert_eq!(after.value, before.value, "nothing changed");

    // The first device is unaffected.
    let code = code_at(&first_secret, clock.now());
    let v = registry.verify_unthrottled(&ana, &code).await.unwrap();
    assert_eq!(v.device_id, first);
}

#[tokio::test]
async fn a_missing_key_is_a_clear_error_and_works_once_the_key_is_loaded() {
    let clock = clock();
    let store = Arc::new(InMemoryDeviceStore::new());
    let old_key = Key::generate().unwrap();
    let old_id = KeyId::parse("2026-05").unwrap();
    let old = Arc::new(Keyring::new(old_id.clone(), old_key.clone()));
    let registry = registry_with(Arc::clone(&store), &clock, old);
    let ana = UserId::new("ana");
    let (device, secret) = active_app(&registry, &clock, &ana, "Phone").await;
    let before = store.load(&ana).await.unwrap();

    // An instance started without the old key.
    let without = registry_with(Arc::clone(&store), &clock, only("2026-12"));
    clock.advance(Duration::from_secs(30));
    let code = code_at(&secret, clock.now());
    match without.verify_unthrottled(&ana, &code).await.unwrap_err() {
        Error::SealedSecret(tessera_keyring::Error::UnknownKey(id)) => {
            assert_eq!(id, old_id);
        }
        e => panic!("expected an unknown key, got {e:?}"),
    }
    // A re-seal run cannot open it either: it reports it and leaves it.
    let page = without.reseal_page(None, 10).await.unwrap();
    assert_eq!((page.users, page.resealed), (1, 0));
    assert_eq!(page.unopened.len(), 1);
    assert_eq!(page.unopened[0].user, ana);
    assert_eq!(page.unopened[0].device_id, device);
    assert_eq!(page.unopened[0].key_id, old_id);
    let after = store.load(&ana).await.unwrap();
    assert_eq!(after.version, before.version, "nothing saved");
    assert_eq!(after.value, before.value, "nothing changed");

    // With the old key loaded beside the new one, the same code verifies, and that
    // write re-seals the seed with the new key.
    let mut loaded = (*only("2026-12")).clone();
    loaded.add(old_id, old_key).unwrap();
    let fixed = registry_with(Arc::clone(&store), &clock, Arc::new(loaded));
    fixed.verify_unthrottled(&ana, &code).await.unwrap();
    assert_eq!(key_ids(&store.load(&ana).await.unwrap()), ["2026-12"]);
}

#[tokio::test]
async fn old_key_seeds_verify_and_the_next_write_reseals_every_seed_of_the_user() {
    let clock = clock();
    let store = Arc::new(InMemoryDeviceStore::new());
    let old = keyring();
    let before_rotation = registry_with(Arc::clone(&store), &clock, Arc::clone(&old));
    let ana = UserId::new("ana");
    let (_, phone) = active_app(&before_rotation, &clock, &ana, "Phone").await;
    let (tablet_id, tablet) = active_app(&before_rotation, &clock, &ana, "Tablet").await;
    assert_eq!(
        key_ids(&store.load(&ana).await.unwrap()),
        ["ephemeral", "ephemeral"]
    );

    let ring = rotated(&old, "2026-12");
    let registry = registry_with(Arc::clone(&store), &clock, Arc::clone(&ring));
    assert_eq!(
        registry.count_sealed_with(old.active_id()).await.unwrap(),
        2
    );

    // A sign-in with the tablet re-seals both devices' seeds in the same save.
    clock.advance(Duration::from_secs(30));
    let v = registry
        .verify_unthrottled(&ana, &code_at(&tablet, clock.now()))
        .await
        .unwrap();
    assert_eq!(v.device_id, tablet_id);
    assert_eq!(
        key_ids(&store.load(&ana).await.unwrap()),
        ["2026-12", "2026-12"]
    );
    assert_eq!(
        registry.count_sealed_with(old.active_id()).await.unwrap(),
        0
    );

    // Both still verify, and new enrolments use the new key.
    clock.advance(Duration::from_secs(30));
    registry
        .verify_unthrottled(&ana, &code_at(&phone, clock.now()))
        .await
        .unwrap();
    let _laptop = registry
        .start_enrolment(&ana, "Laptop", "ana")
        .await
        .unwrap();
    assert_eq!(
        key_ids(&store.load(&ana).await.unwrap()),
        ["2026-12", "2026-12", "2026-12"]
    );
    let mut retiring = (*ring).clone();
    retiring.retire(old.active_id(), 0).unwrap();
}

/// Enrols one active app for each of `n` users; returns them with their secrets.
/// `n` users ("user-000" on), each with one active app sealed with `ring`'s key.
async fn populate<S: DeviceStore>(
    store: &Arc<S>,
    clock: &ManualClock,
    ring: &Arc<Keyring>,
    n: usize,
) -> Vec<(UserId, Secret)> {
    let registry = &registry_with(Arc::clone(store), clock, Arc::clone(ring));
    let mut users = Vec::new();
    for i in 0..n {
        let user = UserId::new(format!("user-{i:03}"));
        let (_, secret) = active_app(registry, clock, &user, "Phone").await;
        users.push((user, secret));
    }
    users
}

/// Retires `old` from `registry`'s keyring: every user's device still verifies its
/// next code, under the new key only.
async fn all_verify_after_retiring<S: DeviceStore>(
    registry: &Registry<Arc<S>>,
    clock: &ManualClock,
    old: &KeyId,
    users: &[(UserId, Secret)],
) {
    let mut ring = (**registry.keyring()).clone();
    ring.retire(old, 0).unwrap();
    let retired = registry_with(Arc::clone(registry.store()), clock, Arc::new(ring));
    clock.advance(Duration::from_secs(30));
    for (user, secret) in users {
        retired
            .verify_unthrottled(user, &code_at(secret, clock.now()))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn reseal_page_reseals_fifty_users_in_pages_of_seven_and_resumes_from_any_cursor() {
    let clock = clock();
    let store = Arc::new(InMemoryDeviceStore::new());
    let old = keyring();
    let users = populate(&store, &clock, &old, 50).await;
    let registry = registry_with(Arc::clone(&store), &clock, rotated(&old, "2026-12"));
    assert_eq!(
        registry.count_sealed_with(old.active_id()).await.unwrap(),
        50
    );

    // A run stopped after two pages from the middle: users 21..=34 re-sealed.
    let mut resealed = 0;
    let mut cursor = Some(users[20].0.clone());
    for _ in 0..2 {
        let page = registry.reseal_page(cursor.as_ref(), 7).await.unwrap();
        assert_eq!((page.users, page.resealed), (7, 7));
        resealed += page.resealed;
        cursor = page.next;
    }
    assert_eq!(cursor.as_ref(), Some(&users[34].0));
    assert_eq!(
        registry.count_sealed_with(old.active_id()).await.unwrap(),
        36
    );

    // A full run from the start: every page of seven, the last of one; the users
    // already re-sealed are visited but not written again.
    let versions_before: Vec<tessera_registry::Version> = {
        let mut v = Vec::new();
        for (u, _) in &users {
            v.push(store.load(u).await.unwrap().version);
        }
        v
    };
    let mut cursor = None;
    let mut pages = Vec::new();
    loop {
        let page = registry.reseal_page(cursor.as_ref(), 7).await.unwrap();
        assert!(page.unopened.is_empty());
        resealed += page.resealed;
        pages.push(page.users);
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, [7, 7, 7, 7, 7, 7, 7, 1]);
    assert_eq!(resealed, 50, "every seed re-sealed exactly once");
    assert_eq!(
        registry.count_sealed_with(old.active_id()).await.unwrap(),
        0
    );
    for (i, (u, _)) in users.iter().enumerate() {
        let expected = if (21..=34).contains(&i) {
            versions_before[i]
        } else {
            versions_before[i].next()
        };
        assert_eq!(store.load(u).await.unwrap().version, expected, "{u:?}");
    }

    // Retire the old key: every device still verifies without it.
    all_verify_after_retiring(&registry, &clock, old.active_id(), &users).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reseal_runs_safely_beside_concurrent_verifications() {
    let clock = clock();
    let faults = Faults::new();
    let store = Arc::new(ChaosDeviceStore::new(
        InMemoryDeviceStore::new(),
        Arc::clone(&faults),
    ));
    let old = keyring();
    let users = populate(&store, &clock, &old, 50).await;
    faults.set_latency(Duration::from_micros(200), Duration::from_millis(2));
    let registry = Arc::new(registry_with(
        Arc::clone(&store),
        &clock,
        rotated(&old, "2026-12"),
    ));
    clock.advance(Duration::from_secs(30));

    // Every user's current code is sent twice at once while the re-seal runs.
    let mut tasks = Vec::new();
    for (user, secret) in &users {
        let code = code_at(secret, clock.now());
        for _ in 0..2 {
            let (registry, user, code) = (Arc::clone(&registry), user.clone(), code.clone());
            tasks.push(tokio::spawn(async move {
                (
                    user.clone(),
                    registry.verify_unthrottled(&user, &code).await,
                )
            }));
        }
    }
    let resealer = {
        let registry = Arc::clone(&registry);
        tokio::spawn(async move {
            let (mut cursor, mut resealed) = (None, 0);
            loop {
                let page = registry.reseal_page(cursor.as_ref(), 7).await.unwrap();
                assert!(page.unopened.is_empty());
                resealed += page.resealed;
                cursor = page.next;
                if cursor.is_none() {
                    return resealed;
                }
            }
        })
    };
    let mut accepted = std::collections::HashMap::<UserId, usize>::new();
    for task in tasks {
        let (user, result) = task.await.unwrap();
        match result {
            Ok(_) => *accepted.entry(user).or_default() += 1,
            Err(Error::Rejected) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    let resealed = resealer.await.unwrap();
    // A seed is re-sealed by the run or by the verification's save, never twice.
    assert!(resealed <= 50, "{resealed}");
    assert_eq!(accepted.len(), 50, "every user's code accepted");
    assert!(
        accepted.values().all(|&n| n == 1),
        "no code accepted twice: {accepted:?}"
    );
    assert_eq!(
        registry.count_sealed_with(old.active_id()).await.unwrap(),
        0
    );
    for (user, _) in &users {
        let loaded = store.inner().load(user).await.unwrap();
        assert_eq!(loaded.value.len(), 1, "no device lost");
        assert_eq!(key_ids(&loaded), ["2026-12"]);
    }
    // And every device verifies the next code under the new key only.
    all_verify_after_retiring(&registry, &clock, old.active_id(), &users).await;
}

#[tokio::test]
async fn nothing_the_store_holds_contains_a_seed() {
    let clock = clock();
    let store = Arc::new(InMemoryDeviceStore::new());
    let registry = registry_with(Arc::clone(&store), &clock, keyring());
    let ana = UserId::new("ana");
    let mut secrets = Vec::new();
    for name in ["A", "B", "C", "D"] {
        secrets.push(active_app(&registry, &clock, &ana, name).await.1);
    }
    let stored = format!("{:?}", store.load(&ana).await.unwrap());
    for secret in &secrets {
        assert!(!stored.contains(secret.to_base32().as_str()));
        let hex: String = secret
            .expose_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!stored.to_lowercase().contains(&hex));
    }
}

/// The count pages through every user: a first page of 256 users is full, so the 257th,
/// on the next page, is counted too.
#[tokio::test]
async fn the_sealed_count_reads_past_a_full_page_of_users() {
    let clock = clock();
    let store = Arc::new(InMemoryDeviceStore::new());
    let ring = keyring();
    let registry = registry_with(Arc::clone(&store), &clock, Arc::clone(&ring));
    for i in 0..257 {
        let _pending = registry
            .start_enrolment(
                &UserId::new(format!("user{i:03}")),
                "Phone",
                "a@example.com",
            )
            .await
            .unwrap();
    }
    assert_eq!(
        registry.count_sealed_with(ring.active_id()).await.unwrap(),
        257
    );
}
