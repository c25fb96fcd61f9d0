//! The stores against the workspace's conformance suites, and SQL-level checks of what
//! the suites do not cover yet.

use std::sync::Arc;

use tessera::AccountStore;
use tessera_mfa::{
    AccountState, Destination, DestinationState, EmailAddress, InMemoryStore, MfaStore,
};
use tessera_registry::testing::run_conformance;
use tessera_sqlx::{SqlAccountStore, SqlDeviceStore, SqlMfaStore};
use tessera_store::{StoreError, UserId, Version, Versioned};

use crate::on_both;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn device_store_passes_the_registry_conformance_suite() {
    on_both!("device_store_passes_the_registry_conformance_suite", |db| {
        let store = SqlDeviceStore::new(db.migrated(8).await);
        run_conformance(&store).await;
        // Four suites at once on one pool: the races are real database races.
        let store = Arc::new(store);
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { run_conformance(&store).await })
            })
            .collect();
        for r in runs {
            r.await.unwrap();
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mfa_store_passes_the_mfa_conformance_suite() {
    on_both!("mfa_store_passes_the_mfa_conformance_suite", |db| {
        let store = SqlMfaStore::new(db.migrated(8).await);
        tessera_mfa::testing::run_conformance(&store).await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn account_store_passes_the_facade_conformance_suite() {
    on_both!("account_store_passes_the_facade_conformance_suite", |db| {
        let store = SqlAccountStore::new(db.migrated(8).await);
        tessera::testing::run_account_store_conformance(&store).await;
    });
}

// Beside the suites: SQL-level checks, each also run on the in-memory store where it
// applies, so a difference between the two shows.

/// The MFA store behaves as the in-memory one: compare-and-set, read-your-writes,
/// destinations apart from accounts, listing in byte order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mfa_store_compares_and_sets_like_the_in_memory_store() {
    on_both!(
        "mfa_store_compares_and_sets_like_the_in_memory_store",
        |db| {
            let sql = SqlMfaStore::new(db.migrated(4).await);
            let memory = InMemoryStore::new();
            mfa_checks(&sql).await;
            mfa_checks(&memory).await;
        }
    );
}

async fn mfa_checks<S: MfaStore>(store: &S) {
    let u = UserId::new("ana");
    let loaded = store.load_account(&u).await.unwrap();
    assert_eq!(loaded.version, Version::NEW);
    assert_eq!(loaded.value, AccountState::default());
    let v1 = store.save_account(&u, &loaded).await.unwrap();
    assert_eq!(v1, Version::new(1));
    assert!(matches!(
        store.save_account(&u, &loaded).await,
        Err(StoreError::Conflict)
    ));
    let at = |version| Versioned::new(version, loaded.value.clone());
    assert!(matches!(
        store.save_account(&u, &at(Version::new(7))).await,
        Err(StoreError::Conflict)
    ));
    let v2 = store.save_account(&u, &at(v1)).await.unwrap();
    assert_eq!(v2, Version::new(2));
    assert_eq!(store.load_account(&u).await.unwrap().version, v2);
    // Another user is untouched.
    assert_eq!(
        store
            .load_account(&UserId::new("bo"))
            .await
            .unwrap()
            .version,
        Version::NEW
    );

    // Destinations: their own versions, not listed as accounts.
    let key = Destination::Email(EmailAddress::parse("Ana@Example.com").unwrap()).key();
    let d = store.load_destination(&key).await.unwrap();
    assert_eq!(
        (d.version, d.value),
        (Version::NEW, DestinationState::default())
    );
    let d1 = store
        .save_destination(&key, &Versioned::default())
        .await
        .unwrap();
    assert!(matches!(
        store.save_destination(&key, &Versioned::default()).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.load_destination(&key).await.unwrap().version, d1);

    // Listing: byte order (not a locale's), strictly after the cursor, pages.
    for id in ["b", "B", "é", "a-1", "a", "Z", "e"] {
        store
            .save_account(&UserId::new(id), &Versioned::default())
            .await
            .unwrap();
    }
    let all: Vec<String> = store
        .list_accounts(None, 100)
        .await
        .unwrap()
        .iter()
        .map(|u| u.as_str().to_owned())
        .collect();
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(all, sorted);
    assert_eq!(all, ["B", "Z", "a", "a-1", "ana", "b", "e", "é"]);
    let page = store
        .list_accounts(Some(&UserId::new("a")), 2)
        .await
        .unwrap();
    assert_eq!(page, [UserId::new("a-1"), UserId::new("ana")]);
    assert!(store.list_accounts(None, 0).await.unwrap().is_empty());
    assert!(
        store
            .list_accounts(Some(&UserId::new("é")), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Of 32 concurrent saves of one MFA account at one version, exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mfa_saves_at_one_version_have_one_winner() {
    on_both!(
        "concurrent_mfa_saves_at_one_version_have_one_winner",
        |db| {
            let store = Arc::new(SqlMfaStore::new(db.migrated(8).await));
            let u = UserId::new("race");
            for round in 0..5u64 {
                let tasks: Vec<_> = (0..32)
                    .map(|_| {
                        let (store, u) = (Arc::clone(&store), u.clone());
                        tokio::spawn(async move {
                            let state =
                                Versioned::new(Version::new(round), AccountState::default());
                            store.save_account(&u, &state).await
                        })
                    })
                    .collect();
                let mut wins = 0;
                for t in tasks {
                    match t.await.unwrap() {
                        Ok(v) => {
                            assert_eq!(v, Version::new(round + 1));
                            wins += 1;
                        }
                        Err(StoreError::Conflict) => {}
                        Err(e) => panic!("{}: {e:?}", db.target.name()),
                    }
                }
                assert_eq!(wins, 1, "{} round {round}", db.target.name());
            }
        }
    );
}

fn account(id: &str, username: &str) -> tessera::Account {
    let parts = tessera::AccountParts::new(
        UserId::new(id),
        username.to_owned(),
        EmailAddress::parse(&format!("{username}@example.com")).unwrap(),
        tessera::UnixTime::from_secs(1_700_000_000),
    );
    tessera::Account::from_parts(parts).unwrap()
}

/// Accounts: unique id and username, compare-and-set, every field round-trips.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn account_store_keeps_ids_and_usernames_unique() {
    on_both!("account_store_keeps_ids_and_usernames_unique", |db| {
        let store = SqlAccountStore::new(db.migrated(4).await);
        let ana = account("id-ana", "ana");
        assert_eq!(store.create(&ana).await.unwrap(), Version::new(1));
        // The same id, or the same username under another id: nothing written.
        assert!(matches!(
            store.create(&account("id-ana", "other")).await,
            Err(StoreError::Duplicate)
        ));
        assert!(matches!(
            store.create(&account("id-2", "ana")).await,
            Err(StoreError::Duplicate)
        ));
        assert!(store.find_by_username("other").await.unwrap().is_none());
        assert!(store.load(&UserId::new("id-2")).await.unwrap().is_none());

        let loaded = store.load(&UserId::new("id-ana")).await.unwrap().unwrap();
        assert_eq!(loaded.version, Version::new(1));
        assert_eq!(loaded.value.username(), "ana");
        assert_eq!(loaded.value.email().as_str(), "ana@example.com");
        let found = store.find_by_username("ana").await.unwrap().unwrap();
        assert_eq!(found.value.id(), &UserId::new("id-ana"));

        // Every field of the parts survives a save and a load.
        let mut parts = ana.to_parts();
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$\
                    N2o4ZZQ3h/0m5Q2Qh8H3gkKy9n+dZ5xwJ4Jxq+Dp3mE";
        parts.password_hash = Some(hash.to_owned());
        parts.history = tessera_password::PasswordHistory::from_hashes([hash]).unwrap();
        parts.identity_provider = None;
        parts.password_changed_at = Some(tessera::UnixTime::from_secs(1_700_000_500));
        parts.stamp = tessera::SecurityStamp::new(9);
        parts.password_long_enough_alone = true;
        let changed = Versioned::new(loaded.version, tessera::Account::from_parts(parts).unwrap());
        let v2 = store.save(&changed).await.unwrap();
        assert_eq!(v2, Version::new(2));
        assert!(matches!(
            store.save(&changed).await,
            Err(StoreError::Conflict)
        ));
        // Saving an account that does not exist is a conflict, not an insert.
        let ghost = Versioned::new(Version::new(1), account("id-ghost", "ghost"));
        assert!(matches!(
            store.save(&ghost).await,
            Err(StoreError::Conflict)
        ));
        // A save never renames: another username at the right version is refused.
        let renamed = Versioned::new(v2, account("id-ana", "anna"));
        assert!(matches!(
            store.save(&renamed).await,
            Err(StoreError::Conflict)
        ));
        let back = store.load(&UserId::new("id-ana")).await.unwrap().unwrap();
        assert_eq!(back.version, v2);
        let b = back.value;
        assert_eq!(b.password_hash(), Some(hash));
        assert_eq!(b.password_history().hashes(), [hash.to_owned()]);
        assert_eq!(
            b.password_changed_at().map(|t| t.as_secs()),
            Some(1_700_000_500)
        );
        assert_eq!(b.security_stamp().get(), 9);
        assert!(b.password_long_enough_alone());
        assert_eq!(b.created_at().as_secs(), 1_700_000_000);
    });
}

/// Of 16 concurrent creations of one username, exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_account_creations_of_one_username_have_one_winner() {
    on_both!(
        "concurrent_account_creations_of_one_username_have_one_winner",
        |db| {
            let store = Arc::new(SqlAccountStore::new(db.migrated(8).await));
            let tasks: Vec<_> = (0..16)
                .map(|i| {
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        store.create(&account(&format!("id-{i}"), "taken")).await
                    })
                })
                .collect();
            let mut wins = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(_) => wins += 1,
                    Err(StoreError::Duplicate) => {}
                    Err(e) => panic!("{e:?}"),
                }
            }
            assert_eq!(wins, 1, "{}", db.target.name());
        }
    );
}

/// On PostgreSQL at REPEATABLE READ and SERIALIZABLE, a save that loses to a concurrent
/// one fails with a serialization error instead of changing no row: it is a
/// `Conflict` (retried by the crates above), not a backend failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_serialization_failures_are_conflicts() {
    let test = "postgres_serialization_failures_are_conflicts";
    let Some(db) = crate::common::TestDb::postgres(test).await else {
        return;
    };
    db.migrated(1).await.close().await;
    let crate::common::Target::Postgres { url, schema } = &db.target else {
        unreachable!()
    };
    for level in ["repeatable read", "serializable"] {
        let set = format!("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .after_connect(move |conn, _| {
                let set = set.clone();
                Box::pin(async move {
                    sqlx::Executor::execute(conn, set.as_str())
                        .await
                        .map(|_| ())
                })
            })
            .connect_with(
                crate::common::pg_options(url).options([("search_path", schema.as_str())]),
            )
            .await
            .unwrap();
        let shown: String = sqlx::query_scalar("SHOW transaction_isolation")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(shown, level);
        let store = Arc::new(SqlMfaStore::new(&pool));
        let accounts = Arc::new(SqlAccountStore::new(&pool));
        let u = UserId::new(format!("iso-{level}"));
        let username = format!("iso{}", level.len());
        accounts
            .create(&account(u.as_str(), &username))
            .await
            .unwrap();
        store.save_account(&u, &Versioned::default()).await.unwrap();
        let (mut mfa_wins, mut account_wins) = (0, 0);
        for round in 1..=5u64 {
            let tasks: Vec<_> = (0..16)
                .map(|_| {
                    let (store, accounts, u) =
                        (Arc::clone(&store), Arc::clone(&accounts), u.clone());
                    let username = username.clone();
                    tokio::spawn(async move {
                        let state = Versioned::new(Version::new(round), AccountState::default());
                        let m = store.save_account(&u, &state).await;
                        let same =
                            Versioned::new(Version::new(round), account(u.as_str(), &username));
                        let a = accounts.save(&same).await;
                        (m, a)
                    })
                })
                .collect();
            for t in tasks {
                let (m, a) = t.await.unwrap();
                match m {
                    Ok(_) => mfa_wins += 1,
                    Err(StoreError::Conflict) => {}
                    Err(e) => panic!("{level}: {e:?}"),
                }
                match a {
                    Ok(_) => account_wins += 1,
                    Err(StoreError::Conflict) => {}
                    Err(e) => panic!("{level}: {e:?}"),
                }
            }
        }
        assert_eq!((mfa_wins, account_wins), (5, 5), "{level}");
        pool.close().await;
    }
}

/// 32 users claim one device fingerprint at once, from 32 tasks on a multi-thread
/// runtime, five rounds: exactly one claim is made each round, and the table holds the
/// fingerprint as hex and the holder's id, nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_fingerprint_claims_have_one_holder() {
    on_both!("concurrent_fingerprint_claims_have_one_holder", |db| {
        use tessera_registry::{DeviceFingerprint, DeviceStore as _, FingerprintClaim};
        let store = Arc::new(SqlDeviceStore::new(db.migrated(8).await));
        let unix_now = || {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            i64::try_from(now.unwrap().as_secs()).unwrap()
        };
        for round in 0..5u8 {
            let started = unix_now();
            let fp = DeviceFingerprint::from_bytes([round; 32]);
            let tasks: Vec<_> = (0..32)
                .map(|i| {
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        let user = UserId::new(format!("claimer-{i:02}"));
                        (user.clone(), store.claim_fingerprint(&fp, &user).await)
                    })
                })
                .collect();
            let mut holders = Vec::new();
            for t in tasks {
                match t.await.unwrap() {
                    (user, Ok(FingerprintClaim::New)) => holders.push(user),
                    (_, Err(StoreError::Duplicate)) => {}
                    (_, other) => panic!("{}: {other:?}", db.target.name()),
                }
            }
            assert_eq!(holders.len(), 1, "{} round {round}", db.target.name());
            let rows: Vec<(String, String, i64)> = match store.pool() {
                tessera_sqlx::SqlPool::Sqlite(p) => sqlx::query_as(
                    "SELECT fingerprint, user_id, created_at FROM tessera_device_fingerprints WHERE fingerprint = $1",
                )
                .bind(fp.to_hex())
                .fetch_all(p)
                .await
                .unwrap(),
                tessera_sqlx::SqlPool::Postgres(p) => sqlx::query_as(
                    "SELECT fingerprint, user_id, created_at FROM tessera_device_fingerprints WHERE fingerprint = $1",
                )
                .bind(fp.to_hex())
                .fetch_all(p)
                .await
                .unwrap(),
                _ => unreachable!(),
            };
            let (ended, created_at) = (unix_now(), rows.first().map_or(0, |r| r.2));
            assert_eq!(
                rows,
                [(fp.to_hex(), holders[0].as_str().to_owned(), created_at)]
            );
            // When it was claimed, by the system clock (for an administrator's audit).
            assert!((started..=ended).contains(&created_at), "{created_at}");
            // A non-holder's release does nothing; the holder's frees it.
            let other = UserId::new("someone-else");
            store.release_fingerprint(&fp, &other).await.unwrap();
            assert!(matches!(
                store.claim_fingerprint(&fp, &other).await,
                Err(StoreError::Duplicate)
            ));
            store.release_fingerprint(&fp, &holders[0]).await.unwrap();
            assert!(matches!(
                store.claim_fingerprint(&fp, &other).await,
                Ok(FingerprintClaim::New)
            ));
        }
    });
}

/// The account store lists by id in byte order on both databases, as the in-memory one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn account_listing_pages_in_byte_order() {
    on_both!("account_listing_pages_in_byte_order", |db| {
        let store = SqlAccountStore::new(db.migrated(4).await);
        for (id, name) in [
            ("b", "bbb"),
            ("B", "cap-b"),
            ("é", "eacute"),
            ("a-1", "a-1"),
            ("a", "aaa"),
        ] {
            store.create(&account(id, name)).await.unwrap();
        }
        let ids = |page: Vec<tessera::Account>| {
            page.iter()
                .map(|a| a.id().as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(store.list(None, 100).await.unwrap()),
            ["B", "a", "a-1", "b", "é"]
        );
        assert_eq!(
            ids(store.list(Some(&UserId::new("a")), 2).await.unwrap()),
            ["a-1", "b"]
        );
        assert!(store.list(None, 0).await.unwrap().is_empty());
        assert!(
            store
                .list(Some(&UserId::new("é")), 9)
                .await
                .unwrap()
                .is_empty()
        );
    });
}
