//! The conformance suite every [`AccountStore`] must pass: the same checks for the
//! in-memory store, the SQL stores of `tessera-sqlx` and an application's own.

use std::sync::atomic::{AtomicU64, Ordering};

use tessera_mfa::{EmailAddress, Version};
use tessera_otp::UnixTime;
use tessera_password::PasswordHistory;
use tessera_registry::UserId;
use tessera_store::testing::{check_paging, join_all, one_wins};

use crate::{Account, AccountParts, AccountStore, SecurityStamp, StoreError, Versioned};

/// Runs every check against `store`, panicking with a message that names the broken
/// guarantee:
///
/// 1. `create` inserts at a version past [`Version::NEW`] and refuses a second account
///    with the same id or the same username ([`StoreError::Duplicate`]), writing nothing;
/// 2. `save` is a compare-and-set: a stale, never-stored or [`Version::NEW`] version,
///    or an account never created, is a [`StoreError::Conflict`] that writes nothing;
///    versions move forward;
/// 3. of two concurrent saves at one version exactly one wins, and of two concurrent
///    creates of one username exactly one;
/// 4. every field reads back exactly, by id and by username (hashes, history, identity
///    provider, times at their extremes, the security stamp, non-ASCII text);
/// 5. accounts are kept apart, and an unknown id or username is `None`;
/// 6. `list` pages by id in byte order, strictly after its cursor, at most `limit`
///    accounts a page, each account whole, and nothing after the greatest id.
///
/// Each run uses fresh ids and usernames, so it can run against a store that already
/// holds data (a test database), and more than once.
pub async fn run_account_store_conformance<S: AccountStore>(store: &S) {
    create_is_unique(store).await;
    compare_and_set(store).await;
    concurrent_writes(store).await;
    round_trip(store).await;
    isolation(store).await;
    listing(store).await;
}

/// A process-unique suffix: ids and usernames no earlier run used.
fn fresh(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{nanos:x}-{n}")
}

fn account(id: &str, username: &str) -> Account {
    let email = match EmailAddress::parse(&format!("{username}@example.com")) {
        Ok(e) => e,
        Err(e) => panic!("conformance fixture email refused: {e}"),
    };
    let parts = AccountParts::new(
        UserId::new(id),
        username.to_owned(),
        email,
        UnixTime::from_secs(1_700_000_000),
    );
    match Account::from_parts(parts) {
        Ok(a) => a,
        Err(e) => panic!("conformance fixture account refused: {e}"),
    }
}

/// What must read back: every field of the parts, compared as text so that a store's
/// mistake shows in the panic message (the hashes are fixtures, not secrets).
fn fields(a: &Account) -> Vec<String> {
    let p = a.to_parts();
    vec![
        p.id.to_string(),
        p.username,
        p.email.as_str().to_owned(),
        format!("{:?}", p.password_hash),
        format!("{:?}", p.history.hashes()),
        format!("{:?}", p.identity_provider),
        p.created_at.as_secs().to_string(),
        format!("{:?}", p.password_changed_at.map(UnixTime::as_secs)),
        p.stamp.get().to_string(),
        p.password_long_enough_alone.to_string(),
        format!("{:?}", p.lifecycle),
    ]
}

async fn create<S: AccountStore>(store: &S, a: &Account) -> Version {
    match store.create(a).await {
        Ok(v) => v,
        Err(e) => panic!("create of {} failed: {e}", a.username()),
    }
}

async fn load<S: AccountStore>(store: &S, id: &UserId) -> Option<Versioned<Account>> {
    match store.load(id).await {
        Ok(a) => a,
        Err(e) => panic!("load of {id} failed: {e}"),
    }
}

async fn by_name<S: AccountStore>(store: &S, username: &str) -> Option<Versioned<Account>> {
    match store.find_by_username(username).await {
        Ok(a) => a,
        Err(e) => panic!("find_by_username({username}) failed: {e}"),
    }
}

async fn create_is_unique<S: AccountStore>(store: &S) {
    let (id, name) = (fresh("id"), fresh("user"));
    let a = account(&id, &name);
    let v = create(store, &a).await;
    assert!(
        v > Version::NEW,
        "create must store a version past NEW, got {v}"
    );
    let same_id = account(&id, &fresh("other"));
    assert!(
        matches!(store.create(&same_id).await, Err(StoreError::Duplicate)),
        "a second account with the same id must be a Duplicate"
    );
    let same_name = account(&fresh("id"), &name);
    assert!(
        matches!(store.create(&same_name).await, Err(StoreError::Duplicate)),
        "a second account with the same username must be a Duplicate"
    );
    assert!(
        load(store, same_name.id()).await.is_none(),
        "a refused create must write nothing"
    );
    assert!(
        by_name(store, same_id.username()).await.is_none(),
        "a refused create must write nothing (not even the username)"
    );
    let loaded = load(store, a.id())
        .await
        .unwrap_or_else(|| panic!("created account {id} not found"));
    assert_eq!(
        loaded.version, v,
        "load must return the version create returned"
    );
    assert_eq!(
        fields(&loaded.value),
        fields(&a),
        "the first account is unchanged"
    );
}

async fn expect_conflict<S: AccountStore>(store: &S, a: &Account, at: Version, why: &str) {
    match store.save(&Versioned::new(at, a.clone())).await {
        Err(StoreError::Conflict) => {}
        Ok(v) => panic!("{why}: save at {at} succeeded ({v}), expected Conflict"),
        Err(e) => panic!("{why}: save at {at} failed with {e}, expected Conflict"),
    }
}

fn changed(a: &Account, stamp: u64) -> Account {
    let mut parts = a.to_parts();
    parts.stamp = SecurityStamp::new(stamp);
    parts.password_changed_at = Some(UnixTime::from_secs(1_700_000_000 + stamp));
    match Account::from_parts(parts) {
        Ok(a) => a,
        Err(e) => panic!("conformance fixture change refused: {e}"),
    }
}

async fn compare_and_set<S: AccountStore>(store: &S) {
    let a = account(&fresh("id"), &fresh("user"));
    let v1 = create(store, &a).await;
    let b = changed(&a, 1);
    expect_conflict(
        store,
        &b,
        Version::NEW,
        "version NEW for an existing account",
    )
    .await;
    expect_conflict(store, &b, v1.next(), "a version never stored").await;
    let still = load(store, a.id())
        .await
        .unwrap_or_else(|| panic!("account lost"));
    assert_eq!(
        (still.version, fields(&still.value)),
        (v1, fields(&a)),
        "a refused save must write nothing"
    );
    let v2 = match store.save(&Versioned::new(v1, b.clone())).await {
        Ok(v) => v,
        Err(e) => panic!("save at the stored version failed: {e}"),
    };
    assert!(v2 > v1, "versions must move forward ({v1} then {v2})");
    expect_conflict(store, &changed(&a, 2), v1, "a stale version").await;
    let now = load(store, a.id())
        .await
        .unwrap_or_else(|| panic!("account lost"));
    assert_eq!(
        (now.version, fields(&now.value)),
        (v2, fields(&b)),
        "the save is what loads"
    );
    let ghost = account(&fresh("id"), &fresh("user"));
    expect_conflict(store, &ghost, Version::new(1), "an account never created").await;
    assert!(
        load(store, ghost.id()).await.is_none(),
        "saving an unknown account must not create it"
    );
}

async fn concurrent_writes<S: AccountStore>(store: &S) {
    let a = account(&fresh("id"), &fresh("user"));
    let v = create(store, &a).await;
    let x = Versioned::new(v, changed(&a, 10));
    let y = Versioned::new(v, changed(&a, 20));
    let saves = join_all(vec![Box::pin(store.save(&x)), Box::pin(store.save(&y))]).await;
    let (_, won) = one_wins("account", &saves);
    let stored = load(store, a.id())
        .await
        .unwrap_or_else(|| panic!("account lost"));
    assert_eq!(stored.version, won, "the winner's version is stored");
    assert!(
        fields(&stored.value) == fields(&x.value) || fields(&stored.value) == fields(&y.value),
        "the winner's account is stored"
    );

    let name = fresh("user");
    let (p, q) = (account(&fresh("id"), &name), account(&fresh("id"), &name));
    let creates = join_all(vec![Box::pin(store.create(&p)), Box::pin(store.create(&q))]).await;
    let made = creates.iter().filter(|r| r.is_ok()).count();
    let dups = creates
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Duplicate)))
        .count();
    assert_eq!(
        (made, dups),
        (1, 1),
        "of two creates of one username exactly one must win"
    );
    let owner = by_name(store, &name)
        .await
        .unwrap_or_else(|| panic!("username {name} lost"));
    assert!(
        owner.value.id() == p.id() || owner.value.id() == q.id(),
        "the username belongs to the winner"
    );
}

async fn round_trip<S: AccountStore>(store: &S) {
    let id = fresh("id «ü» 🔑");
    let name = fresh("rené");
    let mut parts = account(&id, &name).to_parts();
    let hashes = [
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3h0Ftt2X8oYB2S0mC0SOnmTKd5Lmd7xd3s1ZtI3FQZ0",
        "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0b3RoZXI$A0tGrmTf0mgqu2h7+2QpkVhbP1WUsQmxF5W3zR8Q8Ig",
    ];
    parts.password_hash = Some(hashes[0].to_owned());
    parts.history = match PasswordHistory::from_hashes(hashes) {
        Ok(h) => h,
        Err(e) => panic!("conformance fixture history refused: {e}"),
    };
    parts.identity_provider = Some("https://idp.example.com/«tenant»".to_owned());
    parts.created_at = UnixTime::EPOCH;
    // i64::MAX: the latest instant a BIGINT column holds.
    parts.password_changed_at = Some(UnixTime::from_secs(9_223_372_036_854_775_807));
    parts.stamp = SecurityStamp::new(u64::MAX);
    parts.password_long_enough_alone = true;
    parts.lifecycle.temporary_password_expires_at =
        Some(UnixTime::from_secs(9_223_372_036_854_775_807));
    parts.lifecycle.enrolment_required = true;
    let a = match Account::from_parts(parts) {
        Ok(a) => a,
        Err(e) => panic!("conformance fixture account refused: {e}"),
    };
    let v = create(store, &a).await;
    let by_id = load(store, a.id())
        .await
        .unwrap_or_else(|| panic!("account {id} not found"));
    assert_eq!(by_id.version, v);
    assert_eq!(
        fields(&by_id.value),
        fields(&a),
        "every field must read back exactly (by id)"
    );
    let found = by_name(store, &name)
        .await
        .unwrap_or_else(|| panic!("username {name} not found"));
    assert_eq!(
        (found.version, fields(&found.value)),
        (v, fields(&a)),
        "and by username"
    );
}

async fn isolation<S: AccountStore>(store: &S) {
    let (a, b) = (
        account(&fresh("id"), &fresh("user")),
        account(&fresh("id"), &fresh("user")),
    );
    let va = create(store, &a).await;
    let vb = create(store, &b).await;
    if let Err(e) = store.save(&Versioned::new(va, changed(&a, 7))).await {
        panic!("save failed: {e}");
    }
    let lb = load(store, b.id())
        .await
        .unwrap_or_else(|| panic!("account lost"));
    assert_eq!(
        (lb.version, fields(&lb.value)),
        (vb, fields(&b)),
        "one account's save must not touch another"
    );
    assert!(
        load(store, &UserId::new(fresh("nobody"))).await.is_none(),
        "an unknown id is None"
    );
    assert!(
        by_name(store, &fresh("nobody")).await.is_none(),
        "an unknown username is None"
    );
}

async fn listing<S: AccountStore>(store: &S) {
    let prefix = UserId::new(fresh("conformance-list"));
    let ids: Vec<UserId> = (0..10)
        .map(|i| UserId::new(format!("{}-{i:02}", prefix.as_str())))
        .collect();
    // Created out of order: the listing sorts, not the insertion order.
    for (i, id) in ids.iter().enumerate().rev() {
        let username = format!("{}-u{i}", prefix.as_str()).to_lowercase();
        create(store, &account(id.as_str(), &username)).await;
    }
    check_paging(
        "AccountStore::list",
        &prefix,
        &ids,
        |after, limit| async move {
            store
                .list(after.as_ref(), limit)
                .await
                .map(|page| page.iter().map(|a| a.id().clone()).collect::<Vec<_>>())
        },
    )
    .await;
    // Each account whole, as `load` returns it.
    let page = match store.list(Some(&prefix), 10).await {
        Ok(p) => p,
        Err(e) => panic!("list failed: {e}"),
    };
    for listed in &page {
        let loaded = load(store, listed.id()).await.map(|v| v.value);
        assert_eq!(
            loaded.as_ref().map(fields),
            Some(fields(listed)),
            "list must return each account as load does"
        );
    }
}

#[cfg(test)]
mod tests {
    //! Each check of the suite, shown to fail a store with the flaw it exists to catch.
    use super::*;
    use crate::InMemoryAccountStore;
    use crate::testing::{ChaosAccountStore, Flaw};
    use tessera_store::testing::block_on;

    fn flawed(flaw: Flaw) -> ChaosAccountStore<InMemoryAccountStore> {
        ChaosAccountStore::flawed(InMemoryAccountStore::new(), flaw)
    }

    #[test]
    fn the_in_memory_store_passes_every_check() {
        block_on(run_account_store_conformance(&InMemoryAccountStore::new()));
    }

    #[test]
    #[should_panic(expected = "must be a Duplicate")]
    fn create_is_unique_fails_a_store_that_hides_duplicates() {
        block_on(create_is_unique(&flawed(Flaw::HidesDuplicates)));
    }

    #[test]
    #[should_panic(expected = "expected Conflict")]
    fn compare_and_set_fails_last_write_wins() {
        block_on(compare_and_set(&flawed(Flaw::LastWriteWins)));
    }

    #[test]
    #[should_panic(expected = "exactly one must win")]
    fn concurrent_writes_fail_a_racy_compare_and_set() {
        let store = flawed(Flaw::RacyCompareAndSet);
        // Sequential conflicts it does report.
        block_on(compare_and_set(&store));
        block_on(concurrent_writes(&store));
    }

    #[test]
    #[should_panic(expected = "every field must read back exactly")]
    fn round_trip_fails_a_store_that_forgets_the_lifecycle() {
        block_on(round_trip(&flawed(Flaw::ForgetsLifecycle)));
    }

    #[test]
    #[should_panic(expected = "an unknown username is None")]
    fn isolation_fails_a_lookup_that_finds_anyone() {
        block_on(isolation(&flawed(Flaw::FindsAnyUsername)));
    }

    #[test]
    #[should_panic(expected = "sorted in byte order")]
    fn listing_fails_a_listing_out_of_order() {
        block_on(listing(&flawed(Flaw::ListsBackwards)));
    }
}
