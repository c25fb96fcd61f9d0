//! Issue 14: the server key from the keyring. Instances sharing a keyring (or one
//! restarted with it) accept each other's codes; rotation keeps old tags valid while
//! their key is loaded, and `count_tags_with` says when the old key can be retired.

use std::sync::Arc;
use std::time::Duration;

use crate::common::clock;
use tessera_keyring::{KeyId, Keyring};
use tessera_mfa::{
    AccountContext, Actor, Destination, EmailAddress, Error, InMemoryDelivery, InMemoryStore, Mfa,
    MfaMethod as M, MfaStore, NoNotifier, OrgPolicy, Purpose, RecoveryCodeSet, RememberToken,
    ServerKey, Version, Versioned,
};
use tessera_otp::ManualClock;
use tessera_registry::{DeviceKind, UserId};

type Service = Mfa<Arc<InMemoryStore>, NoNotifier, ManualClock>;

/// Two fixed keys, as an operator would keep them (hex and base64 of 32 bytes).
const OLD: &str = "2026-05=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NEW: &str = "2026-11=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn ring(text: &str) -> Keyring {
    Keyring::parse(text).unwrap()
}

fn id(s: &str) -> KeyId {
    KeyId::parse(s).unwrap()
}

fn service(store: &Arc<InMemoryStore>, clock: &ManualClock, key: ServerKey) -> Service {
    Mfa::new(
        Arc::clone(store),
        NoNotifier,
        clock.clone(),
        OrgPolicy::default(),
        key,
    )
}

fn from_ring(store: &Arc<InMemoryStore>, clock: &ManualClock, text: &str) -> Service {
    service(store, clock, ServerKey::from_keyring(&ring(text)).unwrap())
}

fn email() -> EmailAddress {
    EmailAddress::parse("ana@example.com").unwrap()
}

fn ctx() -> AccountContext {
    AccountContext::new(UserId::new("ana"))
        .with_email(email())
        .with_active_devices([DeviceKind::AuthenticatorApp])
}

/// What one instance issues: an email code (ticket and code), a recovery code set, a
/// remember token.
struct Issued {
    challenge: tessera_mfa::ChallengeId,
    code: String,
    recovery: RecoveryCodeSet,
    token: RememberToken,
}

async fn issue(mfa: &Service) -> Issued {
    let recovery = mfa
        .enable(&ctx(), None, Actor::AccountHolder)
        .await
        .unwrap()
        .into_value()
        .recovery_codes
        .unwrap();
    let out = InMemoryDelivery::new();
    let ticket = mfa
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let code = out
        .last_code_to(&Destination::Email(email()))
        .unwrap()
        .expose()
        .to_owned();
    let (token, _) = mfa
        .remember_device(ctx().user(), "Firefox on Linux")
        .await
        .unwrap();
    Issued {
        challenge: ticket.id,
        code,
        recovery,
        token,
    }
}

/// Every issued value verifies on `mfa` (the email code and one recovery code are used
/// up).
async fn accepts_all(mfa: &Service, issued: &Issued) {
    let user = ctx().user().clone();
    let _ = mfa
        .verify_code(&user, &issued.challenge, &issued.code)
        .await
        .expect("the email code verifies");
    let first = issued.recovery.codes()[0].formatted();
    let _ = mfa
        .use_recovery_code(&ctx(), &first)
        .await
        .expect("the recovery code verifies");
    assert!(mfa.is_remembered(&user, &issued.token).await.unwrap());
}

/// Nothing issued verifies on `mfa`, and every refusal is the opaque one.
async fn refuses_all(mfa: &Service, issued: &Issued) {
    let user = ctx().user().clone();
    assert!(matches!(
        mfa.verify_code(&user, &issued.challenge, &issued.code)
            .await,
        Err(Error::VerificationFailed)
    ));
    let first = issued.recovery.codes()[0].formatted();
    assert!(matches!(
        mfa.use_recovery_code(&ctx(), &first).await,
        Err(Error::VerificationFailed)
    ));
    assert!(!mfa.is_remembered(&user, &issued.token).await.unwrap());
}

#[tokio::test]
async fn two_instances_sharing_a_keyring_accept_each_others_codes() {
    let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
    let a = from_ring(&store, &clock, OLD);
    let b = from_ring(&store, &clock, OLD);
    let issued = issue(&a).await;
    accepts_all(&b, &issued).await;

    // The control: an instance with a key of its own (as every instance had before)
    // accepts none of them.
    let (store, clock) = (Arc::new(InMemoryStore::new()), crate::common::clock());
    let a = from_ring(&store, &clock, OLD);
    let stranger = service(&store, &clock, ServerKey::generate().unwrap());
    let issued = issue(&a).await;
    refuses_all(&stranger, &issued).await;
}

#[tokio::test]
async fn a_restarted_instance_accepts_codes_issued_before_the_restart() {
    let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
    let before = from_ring(&store, &clock, OLD);
    let issued = issue(&before).await;
    drop(before);
    // The keyring is loaded again from its text, as a restarted process does.
    let after = from_ring(&store, &clock, OLD);
    accepts_all(&after, &issued).await;
}

#[tokio::test]
async fn a_generated_key_does_not_survive_a_restart() {
    // What `ServerKey::generate` documents: single-process use only.
    let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
    let before = service(&store, &clock, ServerKey::generate().unwrap());
    let issued = issue(&before).await;
    let after = service(&store, &clock, ServerKey::generate().unwrap());
    refuses_all(&after, &issued).await;
}

#[tokio::test]
async fn rotation_keeps_old_tags_valid_and_counts_them_down_to_retirement() {
    let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
    let (old, new) = (id("2026-05"), id("2026-11"));
    let before = from_ring(&store, &clock, OLD);
    let issued = issue(&before).await;
    // 10 recovery codes, 1 challenge, 1 remembered device.
    assert_eq!(before.count_tags_with(&old).await.unwrap(), 12);
    assert_eq!(before.count_tags_with(&new).await.unwrap(), 0);

    // Rotate: the new key first (active), the old one kept for checking.
    let mut keyring = ring(&format!("{NEW}\n{OLD}"));
    let after = service(&store, &clock, ServerKey::from_keyring(&keyring).unwrap());
    assert_eq!(after.count_tags_with(&old).await.unwrap(), 12);
    assert!(matches!(
        keyring.retire(&old, after.count_tags_with(&old).await.unwrap()),
        Err(tessera_keyring::Error::KeyStillInUse { count: 12, .. })
    ));

    // Codes issued under the old key verify after the rotation, and each use counts down.
    accepts_all(&after, &issued).await;
    assert_eq!(after.count_tags_with(&old).await.unwrap(), 10);

    // New tags carry the new id.
    let out = InMemoryDelivery::new();
    clock.advance(Duration::from_secs(31)); // past the resend interval
    let _ticket = after
        .send_code(&ctx(), M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let (new_token, device) = after.remember_device(ctx().user(), "phone").await.unwrap();
    assert_eq!(device.key_id(), &new);
    assert_eq!(after.count_tags_with(&new).await.unwrap(), 2);
    // The old instance (a rolling deploy) does not know the new key: it refuses the
    // new token, opaquely.
    assert!(
        !before
            .is_remembered(ctx().user(), &new_token)
            .await
            .unwrap()
    );
    assert!(after.is_remembered(ctx().user(), &new_token).await.unwrap());

    // Regenerating moves the recovery set to the new key.
    let _ = after
        .regenerate_recovery_codes(&ctx(), Actor::AccountHolder)
        .await
        .unwrap();
    assert_eq!(after.count_tags_with(&old).await.unwrap(), 1); // the old remembered device
    assert_eq!(after.count_tags_with(&new).await.unwrap(), 12);

    // An expired challenge does not count; nor does an expired remembered device.
    clock.advance(Duration::from_secs(301));
    assert_eq!(after.count_tags_with(&new).await.unwrap(), 11);
    clock.advance(tessera_mfa::DEFAULT_REMEMBER_TTL);
    assert_eq!(after.count_tags_with(&old).await.unwrap(), 0);
    assert_eq!(after.count_tags_with(&new).await.unwrap(), 10);

    // Now the old key can go; what is still stored under it is dead and pruned.
    let scan = after.prune_expired(None, 10).await.unwrap();
    assert_eq!((scan.accounts, scan.count, scan.next), (1, 3, None));
    keyring.retire(&old, 0).unwrap();
    assert!(!keyring.contains(&old));
}

#[tokio::test]
async fn a_tag_whose_key_was_removed_is_refused_opaquely_and_nothing_is_lost() {
    let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
    let before = from_ring(&store, &clock, OLD);
    let issued = issue(&before).await;
    let user = ctx().user().clone();
    let stored = store.load_account(&user).await.unwrap().value;

    // The old key removed from the keyring too early.
    let without = from_ring(&store, &clock, NEW);
    refuses_all(&without, &issued).await;
    let now = store.load_account(&user).await.unwrap().value;
    // Like wrong codes: two failures counted, one attempt of the challenge spent; the
    // recovery codes and the remembered device are all still there.
    assert_eq!(now.throttle().failures(), stored.throttle().failures() + 2);
    assert_eq!(now.pending_challenges(), 1);
    assert_eq!(now.recovery_codes_remaining(), 10);
    assert_eq!(now.remembered_devices(), stored.remembered_devices());

    // Loading the key again brings them all back.
    let with_both = from_ring(&store, &clock, &format!("{NEW}\n{OLD}"));
    accepts_all(&with_both, &issued).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn during_a_rolling_rotation_one_code_is_accepted_exactly_once() {
    // Instances on the old keyring and on the rotated one race to verify the same
    // code, issued under the old key: the conditional save lets exactly one win. Every
    // other round only rotated instances race, so the one winner must have checked the
    // code under the old key while the new one is active.
    for round in 0..10 {
        let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
        let old = Arc::new(from_ring(&store, &clock, OLD));
        let rotated = Arc::new(from_ring(&store, &clock, &format!("{NEW}\n{OLD}")));
        let issued = issue(&old).await;
        let mut tasks = Vec::new();
        for i in 0..16 {
            let mfa = if i % 2 == 0 && round % 2 == 0 {
                Arc::clone(&old)
            } else {
                Arc::clone(&rotated)
            };
            let (challenge, code) = (issued.challenge, issued.code.clone());
            tasks.push(tokio::spawn(async move {
                mfa.verify_code(ctx().user(), &challenge, &code).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(Error::VerificationFailed | Error::Conflict) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(ok, 1);
    }
}

#[tokio::test]
async fn count_tags_with_scans_every_page() {
    // More accounts than one page of the scan (100), each with one recovery code.
    let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
    let mfa = from_ring(&store, &clock, OLD)
        .with_recovery_code_count(1)
        .unwrap();
    for i in 0..250 {
        let c = AccountContext::new(UserId::new(format!("user-{i:03}")))
            .with_active_devices([DeviceKind::AuthenticatorApp]);
        let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
    }
    assert_eq!(mfa.count_tags_with(&id("2026-05")).await.unwrap(), 250);
}

#[tokio::test]
async fn prune_expired_pages_and_resumes() {
    let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
    let mfa = from_ring(&store, &clock, OLD);
    for i in 0..5 {
        let u = UserId::new(format!("u{i}"));
        let c = AccountContext::new(u.clone()).with_active_devices([DeviceKind::AuthenticatorApp]);
        let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
        mfa.remember_device(&u, "x").await.unwrap();
    }
    assert!(matches!(
        mfa.prune_expired(None, 0).await,
        Err(Error::InvalidConfig(_))
    ));
    // Nothing expired yet: nothing written.
    let v = store
        .load_account(&UserId::new("u0"))
        .await
        .unwrap()
        .version;
    let scan = mfa.prune_expired(None, 1000).await.unwrap();
    assert_eq!((scan.accounts, scan.count, scan.next), (5, 0, None));
    assert_eq!(
        store
            .load_account(&UserId::new("u0"))
            .await
            .unwrap()
            .version,
        v
    );

    clock.advance(tessera_mfa::DEFAULT_REMEMBER_TTL);
    let first = mfa.prune_expired(None, 2).await.unwrap();
    assert_eq!((first.accounts, first.count), (2, 2));
    assert_eq!(first.next, Some(UserId::new("u1")));
    let second = mfa.prune_expired(first.next.as_ref(), 2).await.unwrap();
    assert_eq!(second.next, Some(UserId::new("u3")));
    let last = mfa.prune_expired(second.next.as_ref(), 2).await.unwrap();
    assert_eq!((last.accounts, last.count, last.next), (1, 1, None));
    for i in 0..5 {
        let s = store
            .load_account(&UserId::new(format!("u{i}")))
            .await
            .unwrap();
        assert!(s.value.remembered_devices().is_empty());
        assert!(s.version > Version::NEW);
    }
}

/// The serde form of the stored state (feature `serde`).
#[cfg(feature = "serde")]
mod stored {
    use super::*;
    use crate::common::key;
    use tessera_mfa::{AccountState, SERVER_KEY_PURPOSE};

    /// The forms a 32-byte key could take in a serialized document.
    fn forms(bytes: &[u8]) -> Vec<String> {
        use std::fmt::Write;
        let hex = bytes.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let decimal = bytes
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",");
        vec![
            hex.clone(),
            hex.to_uppercase(),
            // base64 of the first 24 bytes: a prefix of any base64 form of the key.
            data_encoding_base64(&bytes[..24]),
            decimal,
        ]
    }

    fn data_encoding_base64(b: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        b.chunks(3)
            .flat_map(|c| {
                let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
                (0..4).map(move |i| char::from(A[((n >> (18 - 6 * i)) & 63) as usize]))
            })
            .collect()
    }

    #[tokio::test]
    async fn stored_state_holds_no_key_and_names_its_key_id() {
        let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
        let keyring = ring(&format!("{NEW}\n{OLD}"));
        let mfa = service(&store, &clock, ServerKey::from_keyring(&keyring).unwrap());
        let _issued = issue(&mfa).await;
        let state = mfa.account_state(ctx().user()).await.unwrap();
        let json = serde_json::to_string(&state).unwrap();
        let debug = format!("{state:?} {:?}", mfa);
        for kid in keyring.ids() {
            let derived = keyring.derive(kid, SERVER_KEY_PURPOSE).unwrap();
            for form in forms(&*derived) {
                assert!(!json.contains(&form), "derived key {kid} in the JSON");
                assert!(!debug.contains(&form), "derived key {kid} in Debug");
            }
        }
        // The keyring's own keys (the raw bytes behind OLD and NEW).
        let old_raw: Vec<u8> = (0u8..32).collect();
        let new_raw: Vec<u8> = (1u8..33).collect();
        for raw in [old_raw, new_raw] {
            for form in forms(&raw) {
                assert!(!json.contains(&form) && !debug.contains(&form));
            }
        }
        // Every tag names the active key: the challenge, the recovery set, the device.
        assert_eq!(json.matches(r#""key_id":"2026-11""#).count(), 3, "{json}");
        assert!(!json.contains("2026-05"));
    }

    #[tokio::test]
    async fn state_stored_by_the_previous_version_still_loads_and_verifies() {
        // The previous version stored tags made with `ServerKey::from_bytes` and no key id:
        // such state reads as the `server-key` id, the id `from_bytes` gives its key, so
        // with the same bytes every code still verifies.
        let (store, clock) = (Arc::new(InMemoryStore::new()), clock());
        let mfa = service(&store, &clock, key());
        let issued = issue(&mfa).await;
        let json = serde_json::to_string(&mfa.account_state(ctx().user()).await.unwrap()).unwrap();
        let old_json = json.replace(r#","key_id":"server-key""#, "");
        assert!(!old_json.contains("key_id"), "{old_json}");
        let old: AccountState = serde_json::from_str(&old_json).unwrap();
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            json,
            "the default is server-key"
        );

        // A fresh store holding the old document, and a service with the same bytes.
        let old = Versioned::unsaved(old);
        let (store2, clock2) = (Arc::new(InMemoryStore::new()), crate::common::clock());
        store2.save_account(ctx().user(), &old).await.unwrap();
        accepts_all(&service(&store2, &clock2, key()), &issued).await;

        // Moving that deployment to a keyring: the old bytes are kept for checking only.
        let (store3, clock3) = (Arc::new(InMemoryStore::new()), crate::common::clock());
        store3.save_account(ctx().user(), &old).await.unwrap();
        let migrated = ServerKey::from_keyring(&ring(NEW))
            .unwrap()
            .with_previous_key(&[0x42; 32])
            .unwrap();
        assert_eq!(migrated.active_id(), &id("2026-11"));
        let moved = service(&store3, &clock3, migrated);
        assert_eq!(moved.count_tags_with(&id("server-key")).await.unwrap(), 12);
        accepts_all(&moved, &issued).await;
    }
}

#[cfg(feature = "testing")]
#[tokio::test]
async fn a_failing_store_fails_the_scans_without_changing_anything() {
    use tessera_mfa::testing::{ChaosStore, Faults};
    let faults = Faults::new();
    let clock = clock();
    let mfa = Mfa::new(
        ChaosStore::new(InMemoryStore::new(), faults.clone()),
        NoNotifier,
        clock.clone(),
        OrgPolicy::default(),
        ServerKey::from_keyring(&ring(OLD)).unwrap(),
    );
    for i in 0..3 {
        let u = UserId::new(format!("u{i}"));
        let c = AccountContext::new(u.clone()).with_active_devices([DeviceKind::AuthenticatorApp]);
        let _ = mfa.enable(&c, None, Actor::AccountHolder).await.unwrap();
        mfa.remember_device(&u, "x").await.unwrap();
    }
    assert_eq!(mfa.store().list_accounts(None, 10).await.unwrap().len(), 3);
    clock.advance(tessera_mfa::DEFAULT_REMEMBER_TTL);

    faults.fail_loads(true);
    assert!(matches!(
        mfa.count_tags_with(&id("2026-05")).await,
        Err(Error::Store(_))
    ));
    assert!(matches!(
        mfa.prune_expired(None, 10).await,
        Err(Error::Store(_))
    ));
    faults.fail_loads(false);
    // Nothing was pruned by the failed scan; a new one from the start does it all.
    for i in 0..3 {
        let s = mfa
            .account_state(&UserId::new(format!("u{i}")))
            .await
            .unwrap();
        assert_eq!(s.remembered_devices().len(), 1);
    }
    assert_eq!(mfa.count_tags_with(&id("2026-05")).await.unwrap(), 30);
    let scan = mfa.prune_expired(None, 10).await.unwrap();
    assert_eq!((scan.accounts, scan.count, scan.next), (3, 3, None));
}
