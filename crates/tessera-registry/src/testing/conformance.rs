//! The store conformance suite: every guarantee of [`DeviceStore`] checked against an
//! implementation, and the registry's races run over it.

use std::time::Duration;

use tessera_store::testing::{BoxFuture, check_paging, join_all, one_wins};

use std::sync::{Arc, LazyLock};

use crate::{Version, Versioned};
use tessera_keyring::{Binding, Keyring, Sealed};
use tessera_otp::{Algorithm, Clock, Drift, ManualClock, TimeStep, Totp, TotpParams, UnixTime};

use crate::{
    ActivationPolicy, Credential, Device, DeviceFingerprint, DeviceId, DeviceKind, DeviceName,
    DeviceRegistry, DeviceState, DeviceStore, Error, FingerprintClaim, HardwareToken,
    RegistryConfig, SecurityKey, StoreError, TotpCredential, UserId,
};

/// Runs every check against `store` and panics with a description of the first
/// guarantee of [`DeviceStore`] it breaks.
///
/// The suite uses fresh random user ids (`tessera-conformance-<hex>`), so it can run
/// against a shared database; it leaves those users' records behind. Concurrency is
/// exercised by polling many store futures at once on the caller's runtime, so a
/// store that awaits real I/O is raced for real.
///
/// Checks: an unknown user loads as version 0 and empty; a save returns a greater
/// version and a load returns exactly what was saved (every field, secrets
/// included); a save with a stale or wrong version, or with version 0 for an existing
/// user, is a [`StoreError::Conflict`] and writes nothing; saving no devices keeps the
/// version moving forward; users are separate; of two concurrent saves with the same
/// version exactly one wins; through a [`DeviceRegistry`], sixteen concurrent
/// enrolments leave exactly eight devices and thirty-two concurrent submissions of one
/// code are accepted exactly once; [`DeviceStore::list_users`] pages in byte order,
/// strictly after its cursor, at most `limit` ids a page, and returns nothing after
/// the last id (and nothing at all on an empty store); fingerprint claims are
/// exclusive (of 32 concurrent claims of one fingerprint by 32 users exactly one
/// succeeds, the others are [`StoreError::Duplicate`]), a holder's second claim is
/// [`FingerprintClaim::AlreadyHeld`], a release by another user does nothing, and after
/// the holder's release another user can claim it; through a [`DeviceRegistry`], one
/// hardware token added for 32 users at once has exactly one owner.
///
/// # Panics
/// On the first broken guarantee: that is its purpose.
pub async fn run_conformance<S: DeviceStore>(store: &S) {
    list_users(store).await;
    compare_and_set(store).await;
    round_trip(store).await;
    isolation(store).await;
    concurrent_saves(store).await;
    registry_races(store).await;
    fingerprint_claims(store).await;
    one_token_one_owner(store).await;
}

/// The suite's own keyring: stores see sealed seeds only, and only the registry opens
/// them, so fixtures seal random bytes with a key of their own.
static KEYRING: LazyLock<Arc<Keyring>> = LazyLock::new(|| match Keyring::ephemeral() {
    Ok(k) => Arc::new(k),
    Err(e) => panic!("conformance keyring: {e}"),
});

/// A sealed seed of `len` random bytes, as a store would be given one.
fn sealed_seed(len: usize) -> Sealed {
    let mut bytes = vec![0u8; len];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
    match KEYRING.seal(&Binding::new("tessera-conformance"), &bytes) {
        Ok(s) => s,
        Err(e) => panic!("conformance fixture seal failed: {e}"),
    }
}

async fn list_users<S: DeviceStore>(store: &S) {
    let prefix = fresh_user();
    let users: Vec<UserId> = (0..10)
        .map(|i| UserId::new(format!("{}-{i:02}", prefix.as_str())))
        .collect();
    // Saved out of order: the listing sorts, not the insertion order.
    for user in users.iter().rev() {
        save(store, user, Version::NEW, &[app("A", 1)]).await;
    }
    check_paging("list_users", &prefix, &users, |after, limit| async move {
        store.list_users(after.as_ref(), limit).await
    })
    .await;
}

fn fresh_user() -> UserId {
    UserId::new(format!("tessera-conformance-{}", DeviceId::random()))
}

fn app(name: &str, at: u64) -> Device {
    Device::from_parts(
        DeviceId::random(),
        name_of(name),
        DeviceKind::AuthenticatorApp,
        DeviceState::Pending {
            expires_at: UnixTime::from_secs(at + 600),
        },
        UnixTime::from_secs(at),
        None,
        None,
        Credential::Totp(TotpCredential::from_parts(
            sealed_seed(20),
            TotpParams::DEFAULT,
            None,
            None,
            Drift::ZERO,
        )),
    )
}

fn name_of(name: &str) -> DeviceName {
    match DeviceName::new(name) {
        Ok(n) => n,
        Err(e) => panic!("conformance fixture name {name:?} refused: {e}"),
    }
}

async fn load<S: DeviceStore>(store: &S, user: &UserId) -> Versioned<Vec<Device>> {
    match store.load(user).await {
        Ok(d) => d,
        Err(e) => panic!("load failed: {e}"),
    }
}

async fn save<S: DeviceStore>(
    store: &S,
    user: &UserId,
    version: Version,
    devices: &[Device],
) -> Version {
    match store
        .save(user, &Versioned::new(version, devices.to_vec()))
        .await
    {
        Ok(v) => v,
        Err(e) => panic!("save at version {version} failed: {e}"),
    }
}

async fn expect_conflict<S: DeviceStore>(
    store: &S,
    user: &UserId,
    version: Version,
    devices: &[Device],
    why: &str,
) {
    match store
        .save(user, &Versioned::new(version, devices.to_vec()))
        .await
    {
        Err(StoreError::Conflict) => {}
        Ok(v) => panic!(
            "{why}: save at version {version} succeeded (new version {v}), expected Conflict"
        ),
        Err(e) => panic!("{why}: save at version {version} failed with {e}, expected Conflict"),
    }
}

async fn compare_and_set<S: DeviceStore>(store: &S) {
    let user = fresh_user();
    let empty = load(store, &user).await;
    assert_eq!(
        empty.version,
        Version::NEW,
        "an unknown user must load at version 0"
    );
    assert!(
        empty.value.is_empty(),
        "an unknown user must load with no devices"
    );

    let a = app("A", 1_000);
    let v1 = save(store, &user, Version::NEW, std::slice::from_ref(&a)).await;
    assert!(
        v1 > Version::NEW,
        "a save must return a version greater than the expected one"
    );
    let loaded = load(store, &user).await;
    assert_eq!(
        loaded.version, v1,
        "load must return the version save returned"
    );
    assert_eq!(
        loaded.value,
        std::slice::from_ref(&a),
        "load must return what was saved"
    );

    let b = app("B", 2_000);
    expect_conflict(
        store,
        &user,
        Version::NEW,
        std::slice::from_ref(&b),
        "version 0 for an existing user",
    )
    .await;
    expect_conflict(
        store,
        &user,
        v1.next(),
        std::slice::from_ref(&b),
        "a version never stored",
    )
    .await;
    let still = load(store, &user).await;
    assert_eq!(
        (still.version, still.value),
        (v1, vec![a.clone()]),
        "a refused save must write nothing"
    );

    let v2 = save(store, &user, v1, &[a.clone(), b.clone()]).await;
    assert!(v2 > v1, "versions must move forward");
    expect_conflict(
        store,
        &user,
        v1,
        std::slice::from_ref(&a),
        "a stale version",
    )
    .await;
    let loaded = load(store, &user).await;
    assert_eq!(
        (loaded.version, loaded.value),
        (v2, vec![a, b]),
        "devices are kept in order"
    );

    let v3 = save(store, &user, v2, &[]).await;
    assert!(
        v3 > v2,
        "saving no devices must still move the version forward"
    );
    let loaded = load(store, &user).await;
    assert_eq!(
        loaded.version, v3,
        "an emptied user keeps its version (never back to 0)"
    );
    assert!(
        loaded.value.is_empty(),
        "an emptied user loads with no devices"
    );
    expect_conflict(
        store,
        &user,
        Version::NEW,
        &[],
        "version 0 after the user's devices were removed",
    )
    .await;
}

async fn round_trip<S: DeviceStore>(store: &S) {
    let user = fresh_user();
    let params = TotpParams::new(Algorithm::Sha512, 8, 60, 7).unwrap_or(TotpParams::DEFAULT);
    let token = Device::from_parts(
        DeviceId::from_u128(u128::MAX),
        name_of("Jeton matériel «n°1» 🔑"),
        DeviceKind::HardwareToken,
        DeviceState::Active,
        UnixTime::from_secs(1),
        Some(UnixTime::from_secs(2)),
        Some(UnixTime::from_secs(u64::MAX)),
        Credential::Totp(TotpCredential::from_parts(
            sealed_seed(64),
            params,
            Some("GALT-0001 x".to_owned()),
            Some(TimeStep::new(u64::MAX - 1)),
            Drift::from_steps(-3),
        )),
    );
    let key = match SecurityKey::new(&[0xff; 1023], &[0; 77], u32::MAX, [9; 16]) {
        Ok(k) => k,
        Err(e) => panic!("conformance fixture key refused: {e}"),
    };
    let fido = Device::from_parts(
        DeviceId::from_u128(0),
        name_of("Key"),
        DeviceKind::SecurityKey,
        DeviceState::Active,
        UnixTime::EPOCH,
        Some(UnixTime::EPOCH),
        None,
        Credential::SecurityKey(key),
    );
    let devices = vec![token, fido, app("Pending app", 5)];
    let v = save(store, &user, Version::NEW, &devices).await;
    let loaded = load(store, &user).await;
    assert_eq!(loaded.version, v);
    assert_eq!(
        loaded.value, devices,
        "every field, secrets included, must round-trip exactly"
    );
}

async fn isolation<S: DeviceStore>(store: &S) {
    let (ana, bo) = (fresh_user(), fresh_user());
    let a = app("Phone", 10);
    let b = app("Phone", 20);
    let va = save(store, &ana, Version::NEW, std::slice::from_ref(&a)).await;
    assert_eq!(
        load(store, &bo).await.version,
        Version::NEW,
        "one user's save must not show for another"
    );
    let vb = save(store, &bo, Version::NEW, std::slice::from_ref(&b)).await;
    let la = load(store, &ana).await;
    let lb = load(store, &bo).await;
    assert_eq!(
        (la.version, la.value),
        (va, vec![a]),
        "users must be separate"
    );
    assert_eq!(
        (lb.version, lb.value),
        (vb, vec![b]),
        "users must be separate"
    );
}

async fn concurrent_saves<S: DeviceStore>(store: &S) {
    let user = fresh_user();
    let base = save(store, &user, Version::NEW, &[app("Base", 1)]).await;
    let x = Versioned::new(base, vec![app("X", 2)]);
    let y = Versioned::new(base, vec![app("Y", 3)]);
    let results = join_all(vec![
        Box::pin(store.save(&user, &x)),
        Box::pin(store.save(&user, &y)),
    ])
    .await;
    let (_, won) = one_wins("device", &results);
    let loaded = load(store, &user).await;
    assert_eq!(loaded.version, won, "the winner's version is stored");
    assert!(
        loaded.value == x.value || loaded.value == y.value,
        "the winner's devices are stored"
    );
}

async fn registry_races<S: DeviceStore>(store: &S) {
    let start = UnixTime::from_secs(1_700_000_000);
    let clock = ManualClock::new(start);
    let config = RegistryConfig::builder("Acme")
        .activation(ActivationPolicy::OneCode)
        // Each conflict means another enrolment saved, and at most eight can: with
        // more attempts than that, every enrolment ends in success or a full user.
        .max_attempts(20)
        .build()
        .unwrap_or_else(|e| panic!("the suite's configuration is valid: {e}"));
    let registry = DeviceRegistry::new(store, clock.clone(), config, Arc::clone(&KEYRING));

    let user = fresh_user();
    let names: Vec<String> = (0..16).map(|i| format!("Device {i}")).collect();
    let results = join_all(
        names
            .iter()
            .map(|n| -> BoxFuture<'_, _> {
                Box::pin(registry.start_enrolment(&user, n, "conformance"))
            })
            .collect(),
    )
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let full = results
        .iter()
        .filter(|r| matches!(r, Err(Error::TooManyDevices { .. })))
        .count();
    assert_eq!(
        (ok, full),
        (8, 8),
        "16 concurrent enrolments: exactly 8 succeed, 8 find the user full"
    );
    assert_eq!(
        load(store, &user).await.value.len(),
        8,
        "never more than eight devices"
    );

    // One active device, and one code submitted 32 times at once: accepted once.
    let user = fresh_user();
    let enrolment = match registry
        .start_enrolment(&user, "Phone", "conformance")
        .await
    {
        Ok(e) => e,
        Err(e) => panic!("enrolment failed: {e}"),
    };
    let app = Totp::new(enrolment.secret(), TotpParams::DEFAULT);
    let code_at = |at: UnixTime| match app.generate(at) {
        Ok(c) => c,
        Err(e) => panic!("code generation failed: {e}"),
    };
    let first = code_at(clock.now());
    if let Err(e) = registry
        .finish_enrolment(&user, enrolment.device_id(), &[first.expose()])
        .await
    {
        panic!("activation failed: {e}");
    }
    clock.advance(Duration::from_secs(30));
    let code = code_at(clock.now());
    let results = join_all(
        (0..32)
            .map(|_| -> BoxFuture<'_, _> {
                Box::pin(registry.verify_unthrottled(&user, code.expose()))
            })
            .collect(),
    )
    .await;
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    let rejected = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Rejected)))
        .count();
    assert_eq!(
        (accepted, rejected),
        (1, 31),
        "one code sent 32 times at once is accepted exactly once"
    );
}

/// A fingerprint no other run of the suite uses.
fn fresh_fingerprint() -> DeviceFingerprint {
    let mut bytes = [0u8; 32];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
    DeviceFingerprint::from_bytes(bytes)
}

async fn claim<S: DeviceStore>(
    store: &S,
    fp: &DeviceFingerprint,
    user: &UserId,
) -> Result<FingerprintClaim, StoreError> {
    store.claim_fingerprint(fp, user).await
}

async fn release<S: DeviceStore>(store: &S, fp: &DeviceFingerprint, user: &UserId) {
    if let Err(e) = store.release_fingerprint(fp, user).await {
        panic!("release_fingerprint failed: {e}");
    }
}

async fn fingerprint_claims<S: DeviceStore>(store: &S) {
    let fp = fresh_fingerprint();
    let users: Vec<UserId> = (0..32).map(|_| fresh_user()).collect();
    let results = join_all(
        users
            .iter()
            .map(|u| -> BoxFuture<'_, _> { Box::pin(store.claim_fingerprint(&fp, u)) })
            .collect(),
    )
    .await;
    let won: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Ok(FingerprintClaim::New)))
        .map(|(i, _)| i)
        .collect();
    let duplicates = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Duplicate)))
        .count();
    assert_eq!(
        (won.len(), duplicates),
        (1, 31),
        "32 concurrent claims of one fingerprint by 32 users: exactly one is made, 31 are Duplicate ({results:?})"
    );
    let holder = &users[won[0]];
    let other = &users[(won[0] + 1) % users.len()];
    assert!(
        matches!(
            claim(store, &fp, holder).await,
            Ok(FingerprintClaim::AlreadyHeld)
        ),
        "a claim by its holder succeeds again, as AlreadyHeld"
    );
    release(store, &fp, other).await;
    assert!(
        matches!(claim(store, &fp, other).await, Err(StoreError::Duplicate)),
        "a release by another user does nothing"
    );
    assert!(
        matches!(
            claim(store, &fp, holder).await,
            Ok(FingerprintClaim::AlreadyHeld)
        ),
        "a release by another user leaves the holder's claim"
    );
    release(store, &fp, holder).await;
    assert!(
        matches!(claim(store, &fp, other).await, Ok(FingerprintClaim::New)),
        "after the holder's release another user can claim it"
    );
    assert!(
        matches!(claim(store, &fp, holder).await, Err(StoreError::Duplicate)),
        "the former holder is now refused"
    );
    // Claims are not devices: nothing shows in the users' aggregates or listing.
    assert_eq!(
        load(store, other).await.version,
        Version::NEW,
        "a claim does not create a device aggregate"
    );
    // Releasing what nobody holds is not an error.
    release(store, &fresh_fingerprint(), holder).await;
}

async fn one_token_one_owner<S: DeviceStore>(store: &S) {
    let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
    let config = RegistryConfig::builder("Acme")
        .activation(ActivationPolicy::OneCode)
        .build()
        .unwrap_or_else(|e| panic!("the suite's configuration is valid: {e}"));
    let registry = DeviceRegistry::new(store, clock.clone(), config, Arc::clone(&KEYRING));
    let secret = tessera_otp::Secret::generate();
    let serial = format!("CONF-{}", DeviceId::random());
    let token = match HardwareToken::new("Token", &serial, secret.clone(), TotpParams::DEFAULT) {
        Ok(t) => t,
        Err(e) => panic!("conformance token refused: {e}"),
    };
    let code = match Totp::new(&secret, TotpParams::DEFAULT).generate(clock.now()) {
        Ok(c) => c,
        Err(e) => panic!("code generation failed: {e}"),
    };
    let codes = [code.expose()];
    let users: Vec<UserId> = (0..32).map(|_| fresh_user()).collect();
    let results = join_all(
        users
            .iter()
            .map(|u| -> BoxFuture<'_, _> {
                Box::pin(registry.add_hardware_token(u, &token, &codes))
            })
            .collect(),
    )
    .await;
    let owners: Vec<&UserId> = users
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .map(|(u, _)| u)
        .collect();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(Error::DeviceBelongsToAnotherUser)))
        .count();
    assert_eq!(
        (owners.len(), refused),
        (1, 31),
        "one hardware token added for 32 users at once: exactly one owner"
    );
    for user in &users {
        let stored = load(store, user).await.value.len();
        let want = usize::from(owners.contains(&user));
        assert_eq!(stored, want, "only the owner stores the token");
    }
}

#[cfg(test)]
mod tests {
    //! The suite must fail a store that breaks its rules: each check is run against
    //! the in-memory store with one flaw, the one that check exists to catch.

    use super::*;
    use crate::InMemoryDeviceStore;
    use tessera_store::testing::{block_on, yield_once};

    #[derive(Clone, Copy, PartialEq)]
    enum Flaw {
        /// Saves whatever the version: no compare-and-set.
        NoConflict,
        /// Loads drop the last device.
        Lossy,
        /// Every user reads and writes one shared record.
        Shared,
        /// Listing starts from the first id whatever the cursor.
        ListFromStart,
        /// Every fingerprint claim succeeds.
        ClaimsAlwaysNew,
    }

    struct Flawed {
        inner: InMemoryDeviceStore,
        flaw: Flaw,
    }

    fn flawed(flaw: Flaw) -> Flawed {
        Flawed {
            inner: InMemoryDeviceStore::new(),
            flaw,
        }
    }

    impl Flawed {
        fn user(&self, user: &UserId) -> UserId {
            if self.flaw == Flaw::Shared {
                UserId::new("tessera-conformance-everyone")
            } else {
                user.clone()
            }
        }
    }

    impl DeviceStore for Flawed {
        async fn load(&self, user: &UserId) -> Result<Versioned<Vec<Device>>, StoreError> {
            let mut loaded = self.inner.load(&self.user(user)).await?;
            if self.flaw == Flaw::NoConflict {
                // Let the other futures run between the read and the write, as a
                // database round trip would: the lost update a version prevents.
                yield_once().await;
            }
            if self.flaw == Flaw::Lossy {
                loaded.value.pop();
            }
            Ok(loaded)
        }

        async fn save(
            &self,
            user: &UserId,
            devices: &Versioned<Vec<Device>>,
        ) -> Result<Version, StoreError> {
            let user = self.user(user);
            if self.flaw == Flaw::NoConflict {
                let current = self.inner.load(&user).await?.version;
                let forced = Versioned {
                    version: current,
                    value: devices.value.clone(),
                };
                return self.inner.save(&user, &forced).await;
            }
            self.inner.save(&user, devices).await
        }

        async fn list_users(
            &self,
            after: Option<&UserId>,
            limit: usize,
        ) -> Result<Vec<UserId>, StoreError> {
            let after = if self.flaw == Flaw::ListFromStart {
                None
            } else {
                after
            };
            self.inner.list_users(after, limit).await
        }

        async fn claim_fingerprint(
            &self,
            fingerprint: &DeviceFingerprint,
            user: &UserId,
        ) -> Result<FingerprintClaim, StoreError> {
            if self.flaw == Flaw::ClaimsAlwaysNew {
                return Ok(FingerprintClaim::New);
            }
            self.inner.claim_fingerprint(fingerprint, user).await
        }

        async fn release_fingerprint(
            &self,
            fingerprint: &DeviceFingerprint,
            user: &UserId,
        ) -> Result<(), StoreError> {
            self.inner.release_fingerprint(fingerprint, user).await
        }
    }

    #[test]
    fn the_in_memory_store_passes() {
        block_on(run_conformance(&InMemoryDeviceStore::new()));
    }

    #[test]
    #[should_panic]
    fn the_suite_fails_a_store_without_compare_and_set() {
        block_on(run_conformance(&flawed(Flaw::NoConflict)));
    }

    #[test]
    #[should_panic]
    fn compare_and_set_notices_a_store_that_ignores_versions() {
        block_on(compare_and_set(&flawed(Flaw::NoConflict)));
    }

    #[test]
    #[should_panic]
    fn concurrent_saves_notices_two_winners() {
        block_on(concurrent_saves(&flawed(Flaw::NoConflict)));
    }

    #[test]
    #[should_panic]
    fn registry_races_notice_a_ninth_device() {
        block_on(registry_races(&flawed(Flaw::NoConflict)));
    }

    #[test]
    #[should_panic]
    fn round_trip_notices_a_lost_device() {
        block_on(round_trip(&flawed(Flaw::Lossy)));
    }

    #[test]
    #[should_panic]
    fn isolation_notices_a_shared_record() {
        block_on(isolation(&flawed(Flaw::Shared)));
    }

    #[test]
    #[should_panic]
    fn list_users_notices_a_cursor_ignored() {
        block_on(list_users(&flawed(Flaw::ListFromStart)));
    }

    #[test]
    #[should_panic]
    fn fingerprint_claims_notice_a_claim_taken_twice() {
        block_on(fingerprint_claims(&flawed(Flaw::ClaimsAlwaysNew)));
    }

    #[test]
    #[should_panic]
    fn one_token_one_owner_notices_two_owners() {
        block_on(one_token_one_owner(&flawed(Flaw::ClaimsAlwaysNew)));
    }
}
