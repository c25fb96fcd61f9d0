//! The store conformance suite: every guarantee of [`MfaStore`] checked against an
//! implementation, generic over the store so that the SQL adapters run the same checks
//! as the in-memory store.

use tessera_keyring::KeyId;
use tessera_otp::UnixTime;
use tessera_store::testing::{BoxFuture, check_paging, join_all, one_wins};

use crate::codes::challenge::StoredChallenge;
use crate::recovery::RecoveryState;
use crate::{
    AccountState, ChallengeId, DestinationKey, DestinationState, MfaMethod, MfaSettings, MfaStore,
    PhoneLink, PhoneNumber, Purpose, RememberedDevice, RememberedDeviceId, StoreError,
    ThrottleState, UserId, Version, Versioned,
};

/// Runs every check against `store` and panics with a description of the first
/// guarantee of [`MfaStore`] it breaks.
///
/// The suite uses fresh random keys (`tessera-mfa-conformance-<hex>` user ids and
/// `email:<hex>@conformance.invalid` destinations), so it can run against a shared
/// database; it leaves those records behind. Concurrency is exercised by polling many
/// store futures at once on the caller's runtime, so a store that awaits real I/O is
/// raced for real.
///
/// Checks, for the account aggregate and the destination aggregate alike: an unknown
/// key loads as [`Version::NEW`] and the default value; a save returns a greater
/// version and a load returns exactly what was saved; a save at [`Version::NEW`] for an
/// existing key, at a stale version or at a version never stored (for a known or an
/// unknown key) is a [`StoreError::Conflict`] and writes nothing; versions keep moving
/// forward, also when the value saved is unchanged; of two concurrent saves at one
/// version exactly one wins, and sixteen concurrent load → change → save loops lose no
/// update. Every field of [`AccountState`] (settings, phone link, recovery codes,
/// challenges, sends, throttle, remembered devices) and of [`DestinationState`]
/// round-trips exactly. Users are separate from each other, destinations from each
/// other, and destinations from accounts. [`MfaStore::list_accounts`] pages in byte
/// order, strictly after its cursor, at most `limit` ids a page, and lists no
/// destination.
///
/// # Panics
/// On the first broken guarantee: that is its purpose.
pub async fn run_conformance<S: MfaStore>(store: &S) {
    list_accounts(store).await;
    for aggregate in [Aggregate::Account, Aggregate::Destination] {
        compare_and_set(store, aggregate).await;
        concurrent_saves(store, aggregate).await;
        no_lost_update(store, aggregate).await;
    }
    round_trip(store).await;
    isolation(store).await;
}

/// A random hex string, so runs against a shared database never collide.
fn fresh() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn fresh_user() -> UserId {
    UserId::new(format!("tessera-mfa-conformance-{}", fresh()))
}

fn fresh_destination() -> DestinationKey {
    DestinationKey(format!("email:{}@conformance.invalid", fresh()))
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

/// The account and destination aggregates behind one face, so every check runs on
/// both with one body. Values are "sends at these instants": both aggregates have such
/// a list, and comparing it exactly is what the checks need.
#[derive(Clone, Copy, Debug)]
enum Aggregate {
    Account,
    Destination,
}

impl Aggregate {
    /// The aggregate's name in panic messages.
    fn name(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Destination => "destination",
        }
    }

    /// A fresh, never-stored key.
    fn fresh(self) -> String {
        match self {
            Self::Account => fresh_user().as_str().to_owned(),
            Self::Destination => fresh_destination().0,
        }
    }

    fn load<'a, S: MfaStore>(
        self,
        store: &'a S,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Versioned<Vec<UnixTime>>, StoreError>> {
        Box::pin(async move {
            Ok(match self {
                Self::Account => store
                    .load_account(&UserId::new(key))
                    .await?
                    .map(|state| state.sends),
                Self::Destination => store
                    .load_destination(&DestinationKey(key.to_owned()))
                    .await?
                    .map(|state| state.sends),
            })
        })
    }

    /// Saves `sends` as the aggregate's value, at the version they were read at.
    fn save<'a, S: MfaStore>(
        self,
        store: &'a S,
        key: &'a str,
        sends: Versioned<Vec<UnixTime>>,
    ) -> BoxFuture<'a, Result<Version, StoreError>> {
        Box::pin(async move {
            match self {
                Self::Account => {
                    let state = sends.map(|sends| AccountState {
                        sends,
                        ..AccountState::default()
                    });
                    store.save_account(&UserId::new(key), &state).await
                }
                Self::Destination => {
                    let key = DestinationKey(key.to_owned());
                    let state = sends.map(|sends| DestinationState { sends });
                    store.save_destination(&key, &state).await
                }
            }
        })
    }
}

async fn load_ok<S: MfaStore>(store: &S, agg: Aggregate, key: &str) -> Versioned<Vec<UnixTime>> {
    match agg.load(store, key).await {
        Ok(v) => v,
        Err(e) => panic!("{} load failed: {e}", agg.name()),
    }
}

async fn save_ok<S: MfaStore>(
    store: &S,
    agg: Aggregate,
    key: &str,
    expected: Version,
    sends: &[UnixTime],
) -> Version {
    match agg
        .save(store, key, Versioned::new(expected, sends.to_vec()))
        .await
    {
        Ok(v) => v,
        Err(e) => panic!("{} save at version {expected} failed: {e}", agg.name()),
    }
}

async fn expect_conflict<S: MfaStore>(
    store: &S,
    agg: Aggregate,
    key: &str,
    expected: Version,
    why: &str,
) {
    let name = agg.name();
    match agg
        .save(store, key, Versioned::new(expected, vec![at(999)]))
        .await
    {
        Err(StoreError::Conflict) => {}
        Ok(v) => panic!(
            "{name} save with {why} (version {expected}) succeeded (new version {v}), expected Conflict"
        ),
        Err(e) => {
            panic!("{name} save with {why} (version {expected}) failed with {e}, expected Conflict")
        }
    }
}

async fn compare_and_set<S: MfaStore>(store: &S, agg: Aggregate) {
    let name = agg.name();
    let key = agg.fresh();
    let empty = load_ok(store, agg, &key).await;
    assert_eq!(
        empty.version,
        Version::NEW,
        "an unknown {name} must load at Version::NEW"
    );
    assert!(
        empty.value.is_empty(),
        "an unknown {name} must load as the default value"
    );

    // A version never stored, for a key never stored: refused, and still unknown.
    expect_conflict(
        store,
        agg,
        &key,
        Version::NEW.next(),
        "a version never stored for an unknown key",
    )
    .await;
    let still = load_ok(store, agg, &key).await;
    assert_eq!(
        (still.version, still.value.len()),
        (Version::NEW, 0),
        "a refused save of an unknown {name} must write nothing"
    );

    let v1 = save_ok(store, agg, &key, Version::NEW, &[at(1)]).await;
    assert!(
        v1 > Version::NEW,
        "a {name} save must return a version greater than Version::NEW"
    );
    let loaded = load_ok(store, agg, &key).await;
    assert_eq!(
        (loaded.version, loaded.value),
        (v1, vec![at(1)]),
        "a {name} load must return what was saved, at the version save returned"
    );

    expect_conflict(
        store,
        agg,
        &key,
        Version::NEW,
        "Version::NEW for an existing key",
    )
    .await;
    expect_conflict(store, agg, &key, v1.next(), "a version never stored").await;
    let still = load_ok(store, agg, &key).await;
    assert_eq!(
        (still.version, still.value),
        (v1, vec![at(1)]),
        "a refused {name} save must write nothing"
    );

    let v2 = save_ok(store, agg, &key, v1, &[at(1), at(2)]).await;
    assert!(v2 > v1, "{name} versions must move forward");
    expect_conflict(store, agg, &key, v1, "a stale version").await;
    // The same value again still moves the version: a save is a write, not a diff.
    let v3 = save_ok(store, agg, &key, v2, &[at(1), at(2)]).await;
    assert!(
        v3 > v2,
        "saving an unchanged {name} must still move the version forward"
    );
    let v4 = save_ok(store, agg, &key, v3, &[]).await;
    assert!(
        v4 > v3,
        "saving a default {name} must still move the version forward"
    );
    let loaded = load_ok(store, agg, &key).await;
    assert_eq!(
        (loaded.version, loaded.value.len()),
        (v4, 0),
        "a {name} saved back to its default keeps its version (never back to Version::NEW)"
    );
    expect_conflict(
        store,
        agg,
        &key,
        Version::NEW,
        "Version::NEW after the value went back to its default",
    )
    .await;
}

async fn concurrent_saves<S: MfaStore>(store: &S, agg: Aggregate) {
    let name = agg.name();
    let key = agg.fresh();
    let base = save_ok(store, agg, &key, Version::NEW, &[at(1)]).await;
    let writers: Vec<BoxFuture<'_, _>> = (0..8u64)
        .map(|i| agg.save(store, &key, Versioned::new(base, vec![at(1), at(100 + i)])))
        .collect();
    let results = join_all(writers).await;
    let (winner, version) = one_wins(name, &results);
    let loaded = load_ok(store, agg, &key).await;
    let winner = u64::try_from(winner).unwrap_or(u64::MAX);
    let expected = vec![at(1), at(100 + winner)];
    assert_eq!(
        (loaded.version, loaded.value),
        (version, expected),
        "the {name} store must hold the winner's value at the winner's version"
    );
}

/// Sixteen writers each add one send with load → change → save, retrying on conflict:
/// all sixteen must be there at the end (a store that lets two saves at one version
/// both succeed loses one).
async fn no_lost_update<S: MfaStore>(store: &S, agg: Aggregate) {
    const WRITERS: u64 = 16;
    let name = agg.name();
    let key = agg.fresh();
    let writers: Vec<BoxFuture<'_, u32>> = (0..WRITERS)
        .map(|i| {
            let key = key.as_str();
            Box::pin(async move {
                for round in 1..=1000u32 {
                    let mut sends = load_ok(store, agg, key).await;
                    sends.value.push(at(i));
                    match agg.save(store, key, sends).await {
                        Ok(_) => return round,
                        Err(StoreError::Conflict) => {}
                        Err(e) => panic!("{name} save in a race failed: {e}"),
                    }
                }
                panic!("a {name} writer conflicted 1000 times in a row");
            }) as BoxFuture<'_, u32>
        })
        .collect();
    join_all(writers).await;
    let mut sends = load_ok(store, agg, &key).await.value;
    sends.sort_unstable();
    let expected: Vec<UnixTime> = (0..WRITERS).map(at).collect();
    assert_eq!(
        sends, expected,
        "sixteen concurrent {name} load → change → save loops must lose no update"
    );
}

/// The value of a store call that must succeed, or a panic naming the call.
fn must<T>(result: Result<T, StoreError>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn key_id(id: &str) -> KeyId {
    match KeyId::parse(id) {
        Ok(k) => k,
        Err(e) => panic!("conformance fixture key id {id:?} refused: {e}"),
    }
}

/// An account with every field set away from its default, with the extremes a
/// column type could truncate (`u64::MAX` instants, all-ones tags, non-ASCII labels).
fn ok<T>(r: crate::Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("conformance fixture refused: {e}"),
    }
}

fn full_account() -> AccountState {
    let phone: PhoneNumber = ok(PhoneNumber::parse("+44 7700 900123"));
    let challenge = |purpose, method, tag, expires, attempts| StoredChallenge {
        id: ok(ChallengeId::generate()),
        method,
        destination: format!("sms:{}", phone.as_str()),
        purpose,
        tag,
        key_id: key_id("2026-11"),
        expires_at: at(expires),
        attempts_left: attempts,
    };
    AccountState {
        settings: MfaSettings {
            enabled: true,
            preferred: Some(MfaMethod::SecurityKey),
        },
        phone: Some(PhoneLink {
            number: phone.clone(),
            verified_at: Some(at(1_700_000_123)),
        }),
        recovery: RecoveryState {
            unused: vec![[0; 32], [0xff; 32], [0x5a; 32]],
            key_id: key_id("rotated_key-2"),
            generated_at: Some(at(1)),
        },
        challenges: vec![
            challenge(
                Purpose::PhoneVerification,
                MfaMethod::Sms,
                [1; 32],
                u64::MAX,
                u8::MAX,
            ),
            challenge(Purpose::StepUp, MfaMethod::Email, [2; 32], 0, 0),
            challenge(Purpose::SignIn, MfaMethod::Sms, [3; 32], 1_700_000_300, 5),
        ],
        sends: vec![at(3), at(1), at(u64::MAX)],
        throttle: ThrottleState {
            failures: u32::MAX,
            retry_after: Some(at(u64::MAX - 1)),
            locked_until: Some(at(7)),
            locked_permanently: true,
            epoch: u64::MAX,
        },
        remembered: vec![
            RememberedDevice {
                id: ok(RememberedDeviceId::generate()),
                tag: [0xab; 32],
                key_id: key_id("k1"),
                label: "Firefox «Linux» 🔑 \"quoted\"".to_owned(),
                created_at: at(0),
                expires_at: at(u64::MAX),
            },
            RememberedDevice {
                id: ok(RememberedDeviceId::generate()),
                tag: [0; 32],
                key_id: key_id("k2"),
                label: String::new(),
                created_at: at(10),
                expires_at: at(20),
            },
        ],
    }
}

async fn round_trip<S: MfaStore>(store: &S) {
    let user = fresh_user();
    let state = Versioned::unsaved(full_account());
    let v = must(
        store.save_account(&user, &state).await,
        "saving a full account failed",
    );
    let loaded = must(
        store.load_account(&user).await,
        "loading a full account failed",
    );
    assert_eq!(
        loaded.version, v,
        "a full account loads at the version its save returned"
    );
    assert_eq!(
        loaded.value, state.value,
        "every field of AccountState (settings, phone link, recovery codes, challenges, \
         sends in their order, throttle, remembered devices) must round-trip exactly"
    );

    let key = fresh_destination();
    let sends = Versioned::unsaved(DestinationState {
        sends: vec![at(u64::MAX), at(0), at(1_700_000_000)],
    });
    let v = must(
        store.save_destination(&key, &sends).await,
        "saving a destination failed",
    );
    let loaded = must(
        store.load_destination(&key).await,
        "loading a destination failed",
    );
    assert_eq!(
        (loaded.version, loaded.value),
        (v, sends.value),
        "every field of DestinationState must round-trip exactly"
    );
}

async fn isolation<S: MfaStore>(store: &S) {
    let (ana, bo) = (fresh_user(), fresh_user());
    let full = Versioned::unsaved(full_account());
    let va = must(store.save_account(&ana, &full).await, "save failed");
    let b = must(store.load_account(&bo).await, "load failed");
    assert_eq!(
        (b.version, b.value),
        (Version::NEW, AccountState::default()),
        "one user's save must not show for another"
    );

    // A destination whose key is the same text as a user id is another record.
    let same_text = DestinationKey(ana.as_str().to_owned());
    let d = must(store.load_destination(&same_text).await, "load failed");
    assert_eq!(
        (d.version, d.value),
        (Version::NEW, DestinationState::default()),
        "an account must not show as a destination"
    );
    let sends = Versioned::unsaved(DestinationState { sends: vec![at(5)] });
    if let Err(e) = store.save_destination(&same_text, &sends).await {
        panic!("a destination keyed like an account must save on its own: {e}");
    }
    let a = must(store.load_account(&ana).await, "load failed");
    assert_eq!(
        (a.version, a.value),
        (va, full.value),
        "a destination's save must not touch an account"
    );
    let listed = must(
        store.list_accounts(Some(&ana), 1).await,
        "list_accounts failed",
    );
    assert!(
        listed.iter().all(|u| !u.as_str().starts_with(ana.as_str())),
        "a destination must not be listed as an account"
    );

    let (d1, d2) = (fresh_destination(), fresh_destination());
    must(store.save_destination(&d1, &sends).await, "save failed");
    let other = must(store.load_destination(&d2).await, "load failed");
    assert_eq!(
        other.version,
        Version::NEW,
        "one destination's save must not show for another"
    );
}

async fn list_accounts<S: MfaStore>(store: &S) {
    // Ten users under one fresh prefix, one of them past ASCII ("é" sorts after "z" in
    // bytes, not in a locale's collation): every id strictly between the prefix and
    // the last of them starts with the prefix, so nobody else's rows can interleave.
    let prefix = fresh_user();
    let mut users: Vec<UserId> = (0..8)
        .map(|i| UserId::new(format!("{}-{i:02}", prefix.as_str())))
        .collect();
    users.push(UserId::new(format!("{}-é", prefix.as_str())));
    users.push(UserId::new(format!("{}-Z", prefix.as_str())));
    let mut sorted = users.clone();
    sorted.sort_by(|a, b| a.as_str().as_bytes().cmp(b.as_str().as_bytes()));
    // Saved out of order: the listing sorts, not the insertion order.
    for user in users.iter().rev() {
        if let Err(e) = store.save_account(user, &Versioned::default()).await {
            panic!("save failed: {e}");
        }
    }
    let list = |after: Option<UserId>, limit| async move {
        store.list_accounts(after.as_ref(), limit).await
    };
    check_paging("list_accounts", &prefix, &users, list).await;
    // The cursor need not exist: between the first two ids.
    let between = UserId::new(format!("{}!", sorted[0].as_str()));
    let got = list(Some(between), 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        got,
        sorted[1..2].to_vec(),
        "a cursor that is not stored is still a position"
    );
}

#[cfg(test)]
mod tests {
    //! Each check of the suite, shown to fail a store with the flaw it exists to catch.
    use super::*;
    use crate::InMemoryStore;
    use tessera_store::testing::block_on;

    use crate::testing::{ChaosStore, Flaw};

    fn flawed(flaw: Flaw) -> ChaosStore<InMemoryStore> {
        ChaosStore::flawed(InMemoryStore::new(), flaw)
    }

    #[test]
    fn the_in_memory_store_passes_every_check() {
        block_on(run_conformance(&InMemoryStore::new()));
    }

    #[test]
    #[should_panic(expected = "exactly one must win")]
    fn concurrent_saves_fail_a_racy_compare_and_set_on_accounts() {
        let store = flawed(Flaw::RacyCompareAndSet);
        // Sequential conflicts it does report.
        block_on(compare_and_set(&store, Aggregate::Account));
        block_on(concurrent_saves(&store, Aggregate::Account));
    }

    #[test]
    #[should_panic(expected = "lose no update")]
    fn no_lost_update_fails_a_racy_compare_and_set_on_destinations() {
        block_on(no_lost_update(
            &flawed(Flaw::RacyCompareAndSet),
            Aggregate::Destination,
        ));
    }

    #[test]
    #[should_panic(expected = "one user's save must not show for another")]
    fn isolation_fails_one_record_for_every_account() {
        block_on(isolation(&flawed(Flaw::OneAccountForAll)));
    }

    #[test]
    #[should_panic]
    fn list_accounts_fails_a_listing_out_of_order() {
        block_on(list_accounts(&flawed(Flaw::ListsBackwards)));
    }
}
