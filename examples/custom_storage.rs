//! Custom storage: the registry's `DeviceStore` and the MFA crate's `MfaStore`
//! implemented on plain files, one JSON document per user, with an honest
//! compare-and-set.
//!
//! It shows the one guarantee every store gives (save only if the stored version is
//! still the one that was loaded, otherwise `Conflict`), then runs the registry's
//! conformance suite against the file store, then an enrol → activate → verify →
//! replay-refused flow, a rotation of the key that seals the TOTP seeds, and an MFA
//! setting on top of it.
//!
//! Run with `cargo run -p tessera-examples --example custom_storage`.
//!
//! Everything is written under a fresh folder in the system's temp directory and removed
//! at exit. The device documents hold TOTP seeds only sealed by the registry's keyring
//! (`"sealed": "tsk1.<key id>.<nonce>.<ciphertext>"`): the example reads the files and
//! checks that no seed is in them.
//!
//! # Rotating the key that seals the seeds
//!
//! 1. Generate a key (`Key::generate`, or `tessera key generate`) and add it to the
//!    keyring of every instance, **first** in the keyring text (`new=…`, then
//!    `old=…`): the first key is active, the others still open.
//! 2. From then on every save re-seals the user's seeds with the new key. To finish
//!    now, run `DeviceRegistry::reseal_page` from `None` until its cursor is `None`
//!    (it pages through `DeviceStore::list_users`, re-seals each user with a
//!    compare-and-set save, and is safe beside live sign-ins; stop and resume at any
//!    cursor).
//! 3. `DeviceRegistry::count_sealed_with(old)` must be 0; pass it to
//!    `Keyring::retire`, which refuses otherwise, and drop the old key from the
//!    keyring text.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tessera_examples::{BoxError, check};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_keyring::{Key, KeyId, Keyring};
use tessera_mfa::{
    AccountContext, AccountState, Actor, DestinationKey, DestinationState, Mfa, MfaMethod,
    MfaStore, NoNotifier, OrgPolicy, ServerKey, Version, Versioned,
};
use tessera_otp::{Clock, ManualClock, Secret, TimeStep, Totp, TotpParams, UnixTime};
use tessera_registry::{Device, DeviceRegistry, DeviceStore, RegistryConfig, StoreError, UserId};

// ─── The store ──────────────────────────────────────────────────────────────────────

/// Keeps every aggregate as one JSON file in a folder:
/// `devices-<user>.json`, `account-<user>.json` and `destination-<key>.json` each hold
/// `{"version": n, "state": ...}`: the version beside the aggregate (a user's devices
/// through the registry's `serde` feature, the MFA crate's states through its own).
///
/// A save is read the stored version → compare → write, under one lock so that no other
/// save of this process slips in between, and the write is a temp file renamed over the
/// document so that a reader, or a crash, never sees half a document.
///
/// The lock is process-wide. Several processes on one folder would need an OS file lock
/// around the same three steps (`File::lock`, Rust 1.89), and a shared folder (NFS) is
/// not safe even then: that is the point at which a database takes over (see
/// [`save_if_unchanged`] for the same contract in SQL).
#[derive(Clone, Debug)]
struct FileStore {
    dir: Arc<Path>,
    // One lock for the whole folder keeps the example short; a lock per document would
    // let different users save in parallel.
    lock: Arc<Mutex<()>>,
}

impl FileStore {
    fn open(dir: &Path) -> Self {
        Self {
            dir: dir.into(),
            lock: Arc::default(),
        }
    }

    /// The document's file: keys are the application's strings (user ids, `sms:+44…`),
    /// so they are hex-encoded into a name that is safe on any file system.
    fn path(&self, kind: &str, key: &str) -> PathBuf {
        let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{kind}-{hex}.json"))
    }
}

/// What a read or a conditional write can come to; converted into each crate's
/// `StoreError` at the trait boundary.
#[derive(Debug)]
enum FileError {
    Conflict,
    Backend(BoxError),
}

impl From<io::Error> for FileError {
    fn from(e: io::Error) -> Self {
        Self::Backend(e.into())
    }
}

impl From<serde_json::Error> for FileError {
    fn from(e: serde_json::Error) -> Self {
        Self::Backend(e.into())
    }
}

impl From<FileError> for StoreError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::Conflict => Self::Conflict,
            // The I/O or JSON error itself, as the source (it never holds the document).
            FileError::Backend(e) => Self::backend(e),
        }
    }
}

/// Reads a document, or `None` when it was never saved.
fn read<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, FileError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Any document's version alone (serde skips the other fields).
#[derive(Deserialize)]
struct StoredVersion {
    version: u64,
}

/// The compare-and-set: writes `document(new_version)` to `path` if and only if the
/// stored version (0 when there is no file) is still `expected`, and returns the new
/// version; otherwise writes nothing and returns `Conflict`.
///
/// In SQL the database does the three steps in one statement, and the lock is its row
/// lock:
///
/// ```sql
/// UPDATE user_devices SET data = ?, version = version + 1
///  WHERE user_id = ? AND version = ?;      -- 0 rows affected: Conflict
/// INSERT INTO user_devices (user_id, version, data)
///  VALUES (?, 1, ?);                       -- expected 0; a duplicate key: Conflict
/// ```
fn save_if_unchanged(
    lock: &Mutex<()>,
    path: &Path,
    expected: u64,
    document: impl FnOnce(u64) -> serde_json::Result<Vec<u8>>,
) -> Result<u64, FileError> {
    // A panic under the lock cannot leave half a document (the rename is atomic), so a
    // poisoned lock still guards a consistent folder.
    let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
    let stored = read::<StoredVersion>(path)?.map_or(0, |d| d.version);
    if stored != expected {
        return Err(FileError::Conflict);
    }
    let next = stored.checked_add(1).ok_or(FileError::Conflict)?;
    let bytes = document(next)?;

    // Under the lock only one save writes at a time, so one temp name per document is
    // enough; a crash leaves at most a stale temp file, never a torn document.
    let tmp = path.with_extension("json.tmp");
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_all()?; // durable before `Ok`, as the trait asks
    drop(file);
    fs::rename(&tmp, path)?; // replaces the document in one step (atomic on POSIX)
    // Make the rename itself durable. Should this fail, the new document may already be
    // visible: reporting an error is still the safe side (the caller's operation fails,
    // at worst a code counts as used).
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(next)
}

/// Runs blocking file work on tokio's blocking threads, away from the async executor,
/// as any blocking call in an async store should. (The crates' traits do not care which
/// runtime: another application would use its own runtime's equivalent.)
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FileError> + Send + 'static,
) -> Result<T, FileError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| FileError::Backend(e.into()))?
}

impl DeviceStore for FileStore {
    async fn load(&self, user: &UserId) -> Result<Versioned<Vec<Device>>, StoreError> {
        // No lock: a rename replaces the file whole, so a read sees the previous document
        // or the new one, and always the last one saved (read-your-writes).
        Ok(self.load_state(self.path("devices", user.as_str())).await?)
    }

    async fn save(
        &self,
        user: &UserId,
        devices: &Versioned<Vec<Device>>,
    ) -> Result<Version, StoreError> {
        let path = self.path("devices", user.as_str());
        Ok(self.save_state(path, devices).await?)
    }

    async fn list_users(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        let (dir, after) = (Arc::clone(&self.dir), after.cloned());
        let users = blocking(move || {
            // A directory listing is unordered: collect, sort, page. Fine for a folder
            // of files; a database answers this with `ORDER BY user_id LIMIT ?`.
            let mut users = Vec::new();
            for entry in fs::read_dir(&dir)? {
                let name = entry?.file_name();
                let Some(hex) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("devices-"))
                    .and_then(|n| n.strip_suffix(".json"))
                else {
                    continue; // other documents, and temp files
                };
                let user = UserId::new(unhex(hex)?);
                if after
                    .as_ref()
                    .is_none_or(|a| user.as_str().as_bytes() > a.as_str().as_bytes())
                {
                    users.push(user);
                }
            }
            users.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
            users.truncate(limit);
            Ok(users)
        })
        .await?;
        Ok(users)
    }
}

/// The user id back from a file name's hex.
fn unhex(hex: &str) -> Result<String, FileError> {
    let bad = || FileError::Backend("a device document's file name is not hex".into());
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(bad)
        })
        .collect::<Result<Vec<u8>, _>>()?;
    String::from_utf8(bytes).map_err(|_| bad())
}

/// The MFA crate's documents: its state with the version beside it.
#[derive(Serialize, Deserialize)]
struct StateDocument<T> {
    version: u64,
    state: T,
}

impl FileStore {
    async fn load_state<T>(&self, path: PathBuf) -> Result<Versioned<T>, FileError>
    where
        T: DeserializeOwned + Default + Send + 'static,
    {
        let stored = blocking(move || read::<StateDocument<T>>(&path)).await?;
        Ok(match stored {
            Some(d) => Versioned {
                version: Version::new(d.version),
                value: d.state,
            },
            None => Versioned {
                version: Version::NEW,
                value: T::default(),
            },
        })
    }

    async fn save_state<T>(&self, path: PathBuf, state: &Versioned<T>) -> Result<Version, FileError>
    where
        T: Serialize + Clone + Send + 'static,
    {
        let (lock, expected, state) = (Arc::clone(&self.lock), state.version, state.value.clone());
        let version = blocking(move || {
            save_if_unchanged(&lock, &path, expected.get(), |version| {
                serde_json::to_vec_pretty(&StateDocument { version, state })
            })
        })
        .await?;
        Ok(Version::new(version))
    }
}

impl MfaStore for FileStore {
    async fn load_account(&self, user: &UserId) -> Result<Versioned<AccountState>, StoreError> {
        Ok(self.load_state(self.path("account", user.as_str())).await?)
    }

    async fn save_account(
        &self,
        user: &UserId,
        state: &Versioned<AccountState>,
    ) -> Result<Version, StoreError> {
        let path = self.path("account", user.as_str());
        Ok(self.save_state(path, state).await?)
    }

    async fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> Result<Versioned<DestinationState>, StoreError> {
        Ok(self
            .load_state(self.path("destination", key.as_str()))
            .await?)
    }

    async fn save_destination(
        &self,
        key: &DestinationKey,
        state: &Versioned<DestinationState>,
    ) -> Result<Version, StoreError> {
        let path = self.path("destination", key.as_str());
        Ok(self.save_state(path, state).await?)
    }

    async fn list_accounts(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        // The account documents' names are `account-<hex of the id>.json`: decode them
        // back, then sort and page (a database would use its index instead).
        let (dir, after) = (Arc::clone(&self.dir), after.cloned());
        let ids = blocking(move || {
            let mut ids = Vec::new();
            for entry in fs::read_dir(&*dir)? {
                let name = entry?.file_name();
                let Some(hex) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("account-"))
                    .and_then(|n| n.strip_suffix(".json"))
                else {
                    continue;
                };
                let bytes: Option<Vec<u8>> = (0..hex.len())
                    .step_by(2)
                    .map(|i| {
                        hex.get(i..i + 2)
                            .and_then(|b| u8::from_str_radix(b, 16).ok())
                    })
                    .collect();
                if let Some(id) = bytes.and_then(|b| String::from_utf8(b).ok()) {
                    ids.push(UserId::new(id));
                }
            }
            Ok::<_, FileError>(ids)
        })
        .await?;
        let mut ids: Vec<UserId> = ids
            .into_iter()
            .filter(|u| after.as_ref().is_none_or(|a| u > a))
            .collect();
        ids.sort_unstable();
        ids.truncate(limit);
        Ok(ids)
    }
}

// ─── The example ────────────────────────────────────────────────────────────────────

#[tokio::main]
async fn main() -> ExitCode {
    tessera_examples::finish("custom_storage", run().await)
}

async fn run() -> Result<(), BoxError> {
    let dir = TempDir::new("tessera-custom-storage")?;
    let store = Arc::new(FileStore::open(dir.path()));
    println!("== A file store in {}", dir.path().display());

    compare_and_set(&store).await?;

    println!("\n== The registry's conformance suite, against the file store");
    // It panics on the first guarantee a store breaks; a panic ends the example with a
    // non-zero status (and the temp folder is still removed while unwinding).
    // In a folder of its own, so that its users (sealed with its own keyring) stay out
    // of the rotation below.
    let suite_dir = dir.path().join("conformance");
    fs::create_dir(&suite_dir)?;
    tessera_registry::testing::run_conformance(&FileStore::open(&suite_dir)).await;
    println!(
        "  ✓ passed: paged user listing, compare-and-set, exact round trip, separate users,\n    \
         racing saves, 16 racing enrolments leave 8 devices, one code sent 32 times at once\n    \
         is accepted once"
    );

    sign_in_flow(&store, dir.path()).await
}

/// Two requests that loaded the same version race to save: the store lets one win.
async fn compare_and_set(store: &FileStore) -> Result<(), BoxError> {
    println!("\n== Compare-and-set, by hand");
    let bo = UserId::new("bo@example.com");
    let fresh = store.load(&bo).await?;
    check(
        fresh.version == Version::NEW && fresh.value.is_empty(),
        "a user never saved loads at version 0 with no devices",
    )?;
    let v1 = store.save(&bo, &fresh).await?;
    check(
        v1 == Version::new(1),
        "the first save (expecting version 0) creates version 1",
    )?;

    // Two requests (two servers, say) load the same aggregate, change it, and save.
    let seen_by_a = store.load(&bo).await?;
    let seen_by_b = store.load(&bo).await?;
    println!(
        "  requests A and B load bo's devices: A sees version {}, B sees version {}",
        seen_by_a.version, seen_by_b.version
    );
    let a = store.save(&bo, &seen_by_a).await;
    let b = store.save(&bo, &seen_by_b).await;
    println!("  A saves: {}", outcome(&a));
    println!("  B saves: {}", outcome(&b));
    check(
        a.as_ref().is_ok_and(|v| *v == Version::new(2)) && matches!(b, Err(StoreError::Conflict)),
        "the first save wins, the second is a Conflict (the registry reloads and retries it)",
    )?;
    check(
        store.load(&bo).await?.version == Version::new(2),
        "the document on disk is the winner's, version 2",
    )?;
    check(
        matches!(store.save(&bo, &fresh).await, Err(StoreError::Conflict)),
        "expecting version 0 for an existing user is a Conflict too (no silent overwrite)",
    )
}

fn outcome(result: &Result<Version, StoreError>) -> String {
    match result {
        Ok(v) => format!("stored, now version {}", v.get()),
        Err(e) => format!("refused, {e}"),
    }
}

/// The registry and the MFA service on the file store.
async fn sign_in_flow(store: &Arc<FileStore>, dir: &Path) -> Result<(), BoxError> {
    println!("\n== Enrol, activate, verify, replay: on the file store");
    let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
    // In production: `Keyring::from_env("TESSERA_KEYRING")`, the same text on every
    // instance. Here one fresh key, named for the month it was made.
    let old_id = KeyId::parse("2026-05")?;
    let keyring = Arc::new(Keyring::new(old_id.clone(), Key::generate()?));
    let registry = DeviceRegistry::new(
        Arc::clone(store),
        clock.clone(),
        RegistryConfig::new("Example Inc")?,
        Arc::clone(&keyring),
    );
    let ana = UserId::new("ana");

    let enrolment = registry
        .start_enrolment(&ana, "Phone", "ana@example.com")
        .await?;
    println!(
        "  enrolment of device {} begun (its otpauth:// URI goes to the app; not printed: it holds the secret)",
        enrolment.device_id()
    );
    // A simulated authenticator app, with the enrolment's secret.
    let app = Totp::new(enrolment.secret(), TotpParams::DEFAULT);
    let step = app.time_step(clock.now())?;
    let previous = app.generate_at_step(TimeStep::new(step.get().saturating_sub(1)));
    let current = app.generate_at_step(step);
    registry
        .finish_enrolment(
            &ana,
            enrolment.device_id(),
            &[previous.expose(), current.expose()],
        )
        .await?;
    let status = registry.mfa_status(&ana).await?;
    check(
        status.active_devices() == 1,
        "activated with two consecutive codes",
    )?;

    let path = store.path("devices", ana.as_str());
    let seed = enrolment.secret().clone();
    show_sealed_document(&path, dir, &seed, "before rotation")?;

    clock.advance(Duration::from_secs(30));
    let code = app.generate(clock.now())?;
    let verified = registry.verify_unthrottled(&ana, code.expose()).await?;
    println!(
        "  sign-in code verified at time step {} by device {}",
        verified.step.get(),
        verified.device_id
    );
    check(
        verified.device_id == enrolment.device_id(),
        "the new device matched",
    )?;
    let replay = registry.verify_unthrottled(&ana, code.expose()).await;
    if let Err(e) = &replay {
        println!("  the same code again: {e}");
    }
    check(
        matches!(replay, Err(tessera_registry::Error::Rejected)),
        "a replayed code is refused (its step is stored as used, by the conditional save)",
    )?;

    rotate(store, &registry, &clock, dir, &ana, &seed).await?;

    println!("\n== MFA settings on the same store");
    let mfa = Mfa::new(
        Arc::clone(store),
        NoNotifier,
        clock.clone(),
        OrgPolicy::default(),
        ServerKey::generate()?,
    );
    let ctx =
        AccountContext::new(ana.clone()).with_active_devices(status.active_kinds().iter().copied());
    let settings = mfa
        .enable(&ctx, None, Actor::AccountHolder)
        .await?
        .into_value()
        .settings;
    println!(
        "  MFA enabled, preferred method: {}",
        settings
            .preferred()
            .map_or("none".to_owned(), |m| m.to_string())
    );
    check(
        settings.preferred() == Some(MfaMethod::AuthenticatorApp),
        "the authenticator app is the preferred method",
    )?;
    // A second store over the same folder, as after a restart, reads what was saved.
    let reopened = FileStore::open(dir).load_account(&ana).await?;
    check(
        reopened.version == Version::new(1) && reopened.value.settings().enabled(),
        "after a restart the account document (version 1) still says MFA is on",
    )?;
    // The paged listing a key rotation scans with (`Mfa::count_tags_with`).
    let accounts = FileStore::open(dir).list_accounts(None, 10).await?;
    check(
        accounts == [ana.clone()],
        "the store lists its one MFA account (paged, for key rotation scans)",
    )?;
    let files = fs::read_dir(dir)?
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_file()))
        .count();
    println!("  {files} documents in the folder (the conformance suite's are in conformance/)");
    Ok(())
}

/// Reads a device document from disk, checks that the seed is not in it (neither its
/// base32 nor its bytes in hex), and prints it: there is nothing to redact.
fn show_sealed_document(
    path: &Path,
    dir: &Path,
    seed: &Secret,
    when: &str,
) -> Result<(), BoxError> {
    let raw = fs::read_to_string(path)?;
    let hex: String = seed
        .expose_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    check(
        !raw.contains(seed.to_base32().as_str()) && !raw.to_lowercase().contains(&hex),
        "the device document on disk does not hold the seed, only its sealed form",
    )?;
    let shown: Value = serde_json::from_str(&raw)?;
    println!(
        "  {} ({when}), as stored:",
        path.strip_prefix(dir).unwrap_or(path).display()
    );
    for line in serde_json::to_string_pretty(&shown)?.lines() {
        println!("    {line}");
    }
    Ok(())
}

/// Rotation of the key that seals the seeds: add a key and activate it, re-seal every
/// stored aggregate page by page, count zero for the old key, retire it, and check
/// that every device still verifies with the new keyring alone.
async fn rotate(
    store: &Arc<FileStore>,
    registry: &DeviceRegistry<Arc<FileStore>, ManualClock>,
    clock: &ManualClock,
    dir: &Path,
    ana: &UserId,
    ana_seed: &Secret,
) -> Result<(), BoxError> {
    println!("\n== Rotating the key that seals the seeds");
    // More users, so that the re-seal run has pages to walk.
    let mut seeds = vec![(ana.clone(), ana_seed.clone())];
    for name in ["chen", "dara", "eli"] {
        let user = UserId::new(name);
        let e = registry.start_enrolment(&user, "Phone", name).await?;
        let app = Totp::new(e.secret(), TotpParams::DEFAULT);
        let step = app.time_step(clock.now())?;
        let codes = [
            app.generate_at_step(TimeStep::new(step.get().saturating_sub(1))),
            app.generate_at_step(step),
        ];
        registry
            .finish_enrolment(
                &user,
                e.device_id(),
                &[codes[0].expose(), codes[1].expose()],
            )
            .await?;
        seeds.push((user, e.secret().clone()));
    }
    let old_id = registry.keyring().active_id().clone();
    println!(
        "  {} seeds sealed with key {old_id}",
        registry.count_sealed_with(&old_id).await?
    );

    // 1. A new key, active; the old one stays for opening.
    let new_id = KeyId::parse("2026-11")?;
    let mut ring = (**registry.keyring()).clone();
    ring.add(new_id.clone(), Key::generate()?)?;
    ring.activate(&new_id)?;
    let rotated = DeviceRegistry::new(
        Arc::clone(store),
        clock.clone(),
        RegistryConfig::new("Example Inc")?,
        Arc::new(ring.clone()),
    );

    // 2. Re-seal every stored aggregate, two users a page.
    let (mut cursor, mut resealed) = (None, 0);
    loop {
        let page = rotated.reseal_page(cursor.as_ref(), 2).await?;
        println!(
            "  page: {} users visited, {} seeds re-sealed, {} could not be opened, next: {}",
            page.users,
            page.resealed,
            page.unopened.len(),
            page.next.as_ref().map_or("done", UserId::as_str)
        );
        check(page.unopened.is_empty(), "every seed opened")?;
        resealed += page.resealed;
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    check(resealed == 4, "four seeds re-sealed with the new key")?;

    // 3. Nothing is sealed with the old key any more: retire it.
    let left = rotated.count_sealed_with(&old_id).await?;
    check(left == 0, "no seed is sealed with the old key")?;
    check(
        ring.clone().retire(&old_id, 1).is_err(),
        "retiring a key the count says still seals something is refused",
    )?;
    ring.retire(&old_id, left)?;
    println!("  key {old_id} retired; the keyring holds {new_id} only");
    show_sealed_document(
        &store.path("devices", ana.as_str()),
        dir,
        ana_seed,
        "after rotation",
    )?;

    // Every device still verifies, with the new key alone.
    let after = DeviceRegistry::new(
        Arc::clone(store),
        clock.clone(),
        RegistryConfig::new("Example Inc")?,
        Arc::new(ring),
    );
    clock.advance(Duration::from_secs(30));
    for (user, seed) in &seeds {
        let code = Totp::new(seed, TotpParams::DEFAULT).generate(clock.now())?;
        after.verify_unthrottled(user, code.expose()).await?;
    }
    println!("  every device verified its next code after the rotation");
    Ok(())
}

/// A fresh folder under the system's temp directory, removed when dropped: at the end,
/// after a failed check, and while unwinding from a panic.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> io::Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        // `create_dir`, not `create_dir_all`: it fails when the path exists, so the
        // example never adopts, and later deletes, a folder it did not make.
        fs::create_dir(&path)?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Nothing useful to do if removal fails at exit; the folder is in the temp dir.
        let _ = fs::remove_dir_all(&self.0);
    }
}
