//! Races across OS processes: the test binary re-runs itself as eight children, each
//! with its own pool and eight tasks, on one shared database (one SQLite WAL file, or
//! one PostgreSQL schema). A file barrier in a temporary folder starts each round in
//! every child at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_keyring::{Key, KeyId, Keyring};
use tessera_mfa::{
    AccountContext, Actor, ChallengeId, EmailAddress, InMemoryDelivery, Mfa, MfaMethod, OrgPolicy,
    Purpose, RecordingNotifier, ServerKey, ThrottleConfig,
};
use tessera_otp::{ManualClock, Totp, TotpParams, UnixTime};
use tessera_registry::DeviceKind;
use tessera_registry::{ActivationPolicy, DeviceRegistry, DeviceStore, Error, RegistryConfig};
use tessera_sqlx::{SqlDeviceStore, SqlMfaStore};
use tessera_store::UserId;

use crate::common::{Target, TestDb};

/// Child processes per race.
const PROCESSES: usize = 8;
/// Rounds of the one-code race.
const ROUNDS: usize = 20;
/// 10 s into a 30 s step: activation at `START`, the raced code one step later.
const START: u64 = 1_700_000_010;

// The parent hands a child its work in these variables.
const SCENARIO: &str = "TESSERA_SQLX_CHILD";
const TARGET: &str = "TESSERA_SQLX_TARGET";
const KEY: &str = "TESSERA_SQLX_KEY";
const BARRIER: &str = "TESSERA_SQLX_BARRIER";
const INDEX: &str = "TESSERA_SQLX_INDEX";
const CODES: &str = "TESSERA_SQLX_CODES";
const ROUND_COUNT: &str = "TESSERA_SQLX_ROUNDS";

/// What one child saw in one round, as it prints it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    ok: usize,
    refused: usize,
    conflict: usize,
    other: usize,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Self) {
        self.ok += o.ok;
        self.refused += o.refused;
        self.conflict += o.conflict;
        self.other += o.other;
    }
}

fn keyring(b64: &str) -> Arc<Keyring> {
    Arc::new(Keyring::new(
        KeyId::parse("race").unwrap(),
        Key::parse(b64).unwrap(),
    ))
}

/// The children's entry point: a no-op unless the parent set [`SCENARIO`].
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn child_process_entry() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap();
    let target = Target::decode(&var(TARGET));
    let keyring = keyring(&var(KEY));
    let barrier = PathBuf::from(var(BARRIER));
    let index: usize = var(INDEX).parse().unwrap();
    let rounds: usize = var(ROUND_COUNT).parse().unwrap();
    let pool = target.pool(8).await;
    if matches!(scenario.as_str(), "recovery" | "email" | "burst") {
        let codes = std::env::var(CODES).unwrap_or_default();
        let codes: Vec<&str> = codes.split(',').collect();
        let mfa = Arc::new(mfa_service(SqlMfaStore::new(pool), &keyring));
        for round in 0..rounds {
            wait_at_barrier(&barrier, round, index);
            let tally = mfa_round(&mfa, &scenario, round, codes.get(round).copied()).await;
            println!(
                "TESSERA-CHILD {round} {} {} {} {}",
                tally.ok, tally.refused, tally.conflict, tally.other
            );
        }
        return;
    }
    let store = SqlDeviceStore::new(pool);
    let params = ChildParams {
        scenario,
        keyring,
        barrier,
        index,
        rounds,
    };
    if params.scenario == "totp-last-writer-wins" {
        registry_rounds(LastWriterWins(store), params).await;
    } else {
        registry_rounds(store, params).await;
    }
}

/// What a child was told to do.
struct ChildParams {
    scenario: String,
    keyring: Arc<Keyring>,
    barrier: PathBuf,
    index: usize,
    rounds: usize,
}

/// A broken store for the negative control: it saves whatever version is stored
/// (last writer wins), so the race tests must see a code accepted more than once.
struct LastWriterWins(SqlDeviceStore);

impl DeviceStore for LastWriterWins {
    async fn load(
        &self,
        user: &UserId,
    ) -> Result<tessera_store::Versioned<Vec<tessera_registry::Device>>, tessera_store::StoreError>
    {
        self.0.load(user).await
    }

    async fn save(
        &self,
        user: &UserId,
        devices: &tessera_store::Versioned<Vec<tessera_registry::Device>>,
    ) -> Result<tessera_store::Version, tessera_store::StoreError> {
        // Whatever version the caller read, overwrite what is stored now.
        let mut overwrite = devices.clone();
        loop {
            overwrite.version = self.0.load(user).await?.version;
            match self.0.save(user, &overwrite).await {
                Err(tessera_store::StoreError::Conflict) => {}
                other => return other,
            }
        }
    }

    async fn list_users(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, tessera_store::StoreError> {
        self.0.list_users(after, limit).await
    }
}

/// The registry races: each round, every task verifies the round's code or enrols.
async fn registry_rounds<S: DeviceStore + 'static>(store: S, p: ChildParams) {
    let ChildParams {
        scenario,
        keyring,
        barrier,
        index,
        rounds,
    } = p;
    let (clock_at, tasks, attempts) = match scenario.as_str() {
        // Default attempts: a verifier that keeps losing may give up with Conflict.
        "totp" | "totp-last-writer-wins" => (START + 30, 8, RegistryConfig::DEFAULT_MAX_ATTEMPTS),
        // Enough attempts that each enrolment ends stored or refused as full.
        "enrol" => (START, 2, 50),
        s => panic!("unknown scenario {s}"),
    };
    let config = RegistryConfig::builder("Tessera")
        .activation(ActivationPolicy::OneCode)
        .max_attempts(attempts)
        .build()
        .unwrap();
    let clock = ManualClock::new(UnixTime::from_secs(clock_at));
    let registry = Arc::new(DeviceRegistry::new(store, clock, config, keyring));
    let codes: Vec<String> = std::env::var(CODES)
        .unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect();
    for round in 0..rounds {
        wait_at_barrier(&barrier, round, index);
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let registry = Arc::clone(&registry);
                let scenario = scenario.clone();
                let code = codes.get(round).cloned().unwrap_or_default();
                tokio::spawn(async move {
                    match scenario.as_str() {
                        "totp" | "totp-last-writer-wins" => {
                            let user = UserId::new(format!("totp-{round}"));
                            registry.verify_unthrottled(&user, &code).await.map(|_| ())
                        }
                        _ => {
                            let user = UserId::new(format!("enrol-{round}"));
                            let name = format!("Phone {index}-{t}");
                            registry
                                .start_enrolment(&user, &name, "race@example.com")
                                .await
                                .map(|_| ())
                        }
                    }
                })
            })
            .collect();
        let mut tally = Tally::default();
        for h in handles {
            match h.await.unwrap() {
                Ok(()) => tally.ok += 1,
                Err(Error::Rejected | Error::TooManyDevices { .. }) => tally.refused += 1,
                Err(Error::Conflict) => tally.conflict += 1,
                Err(e) => {
                    eprintln!("child {index} round {round}: {e}");
                    tally.other += 1;
                }
            }
        }
        println!(
            "TESSERA-CHILD {round} {} {} {} {}",
            tally.ok, tally.refused, tally.conflict, tally.other
        );
    }
}

/// Every child marks its arrival, then waits for all [`PROCESSES`] of them.
fn wait_at_barrier(dir: &Path, round: usize, index: usize) {
    std::fs::write(dir.join(format!("r{round}-{index}")), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let arrived = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&format!("r{round}-")))
            })
            .count();
        if arrived >= PROCESSES {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "barrier of round {round} timed out"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs [`PROCESSES`] children on `scenario` and sums their tallies per round.
async fn run_children(
    db: &TestDb,
    scenario: &str,
    key: &str,
    codes: &[String],
    rounds: usize,
) -> BTreeMap<usize, Tally> {
    let barrier = db.dir.path().join(format!("barrier-{scenario}"));
    std::fs::create_dir_all(&barrier).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            let mut cmd = std::process::Command::new(&exe);
            cmd.args([
                "--exact",
                "processes::child_process_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SCENARIO, scenario)
            .env(TARGET, db.target.encode())
            .env(KEY, key)
            .env(BARRIER, &barrier)
            .env(INDEX, i.to_string())
            .env(CODES, codes.join(","))
            .env(ROUND_COUNT, rounds.to_string());
            tokio::task::spawn_blocking(move || cmd.output().unwrap())
        })
        .collect();
    let mut per_round: BTreeMap<usize, Tally> = BTreeMap::new();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.await.unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child {i} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut seen = 0;
        for line in stdout.lines() {
            // libtest may print its "test … " prefix on the same line.
            let Some((_, rest)) = line.split_once("TESSERA-CHILD ") else {
                continue;
            };
            let n: Vec<usize> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
            *per_round.entry(n[0]).or_default() += Tally {
                ok: n[1],
                refused: n[2],
                conflict: n[3],
                other: n[4],
            };
            seen += 1;
        }
        assert_eq!(seen, rounds, "child {i} reported {seen} rounds:\n{stdout}");
    }
    per_round
}

/// A fresh key, as text for the children and as a keyring for the parent.
fn shared_key() -> (String, Arc<Keyring>) {
    let b64 = Key::generate().unwrap().to_base64().to_string();
    let ring = keyring(&b64);
    (b64, ring)
}

/// One valid TOTP code raced by 8 processes × 8 tasks: accepted exactly once, in
/// every one of 20 rounds, on SQLite (8 processes on one WAL file) and PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_raced_by_eight_processes_is_accepted_once_per_round() {
    crate::on_both!(
        "one_code_raced_by_eight_processes_is_accepted_once_per_round",
        |db| {
            let (b64, ring) = shared_key();
            let (registry, codes) = totp_users(&db, ring).await;
            let started = Instant::now();
            let per_round = run_children(&db, "totp", &b64, &codes, ROUNDS).await;
            let name = db.target.name();
            for (round, t) in &per_round {
                eprintln!(
                    "{name} round {round:2}: {} accepted, {} refused, {} gave up on conflict, {} errors",
                    t.ok, t.refused, t.conflict, t.other
                );
            }
            eprintln!("{name}: {ROUNDS} rounds in {:?}", started.elapsed());
            assert_eq!(per_round.len(), ROUNDS);
            for (round, t) in per_round {
                assert_eq!(t.ok, 1, "{name} round {round}: {t:?}");
                assert_eq!(t.other, 0, "{name} round {round}: {t:?}");
                assert_eq!(t.ok + t.refused + t.conflict, PROCESSES * 8);
                // The code is spent for good: the parent's registry refuses it too.
                let user = UserId::new(format!("totp-{round}"));
                let stored = registry.store().load(&user).await.unwrap();
                assert_eq!(stored.value.len(), 1);
            }
        }
    );
}

/// 16 enrolments for one user, 2 from each of 8 processes, at once: exactly 8 stored
/// and 8 refused as full, in each of 5 rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_enrolments_from_eight_processes_store_exactly_eight() {
    crate::on_both!(
        "sixteen_enrolments_from_eight_processes_store_exactly_eight",
        |db| {
            let (b64, ring) = shared_key();
            let pool = db.migrated(2).await;
            let rounds = 5;
            let per_round = run_children(&db, "enrol", &b64, &[], rounds).await;
            let store = SqlDeviceStore::new(pool);
            let name = db.target.name();
            for (round, t) in &per_round {
                eprintln!(
                    "{name} enrol round {round}: {} stored, {} refused (full), {} gave up, {} errors",
                    t.ok, t.refused, t.conflict, t.other
                );
                let user = UserId::new(format!("enrol-{round}"));
                let stored = store.load(&user).await.unwrap().value.len();
                assert_eq!(
                    (t.ok, t.refused, t.conflict, t.other, stored),
                    (8, 8, 0, 0, 8),
                    "{name} round {round}"
                );
            }
            assert_eq!(per_round.len(), rounds);
            drop(ring);
        }
    );
}

/// The MFA service every process builds: the same server key (from the shared
/// keyring), a clock stopped at [`START`].
fn mfa_service(
    store: SqlMfaStore,
    keyring: &Keyring,
) -> Mfa<SqlMfaStore, RecordingNotifier, ManualClock> {
    Mfa::new(
        store,
        RecordingNotifier::new(),
        ManualClock::new(UnixTime::from_secs(START)),
        OrgPolicy::default(),
        ServerKey::from_keyring(keyring).unwrap(),
    )
}

/// The account of round `round` of an MFA race: an email address and an
/// authenticator app, so MFA can be on.
fn mfa_context(scenario: &str, round: usize) -> AccountContext {
    let user = UserId::new(format!("{scenario}-{round}"));
    AccountContext::new(user)
        .with_email(EmailAddress::parse(&format!("{scenario}-{round}@example.com")).unwrap())
        .with_active_devices([DeviceKind::AuthenticatorApp])
}

/// One child's round of an MFA race: eight tasks submit the round's one recovery code
/// or email code; or, for the burst, 32 tasks reserve a throttled attempt (round 0)
/// and one more tries after everyone's burst (round 1).
async fn mfa_round(
    mfa: &Arc<Mfa<SqlMfaStore, RecordingNotifier, ManualClock>>,
    scenario: &str,
    round: usize,
    code: Option<&str>,
) -> Tally {
    let tasks = match (scenario, round) {
        ("burst", 0) => 32,
        ("burst", _) => 1,
        _ => 8,
    };
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let mfa = Arc::clone(mfa);
            let scenario = scenario.to_owned();
            let code = code.unwrap_or_default().to_owned();
            tokio::spawn(async move {
                match scenario.as_str() {
                    "recovery" => {
                        let ctx = mfa_context(&scenario, round);
                        mfa.use_recovery_code(&ctx, &code).await.map(|_| ())
                    }
                    "email" => {
                        let (id, code) = code.split_once(':').unwrap();
                        let user = UserId::new(format!("email-{round}"));
                        let id = ChallengeId::parse(id).unwrap();
                        mfa.verify_code(&user, &id, code).await.map(|_| ())
                    }
                    _ => {
                        // Admitted: the caller would now check a (wrong) code.
                        let user = UserId::new("burst");
                        mfa.begin_attempt(&user).await.map(|_| ())
                    }
                }
            })
        })
        .collect();
    let mut tally = Tally::default();
    for h in handles {
        match h.await.unwrap() {
            Ok(()) => tally.ok += 1,
            Err(tessera_mfa::Error::VerificationFailed) => tally.refused += 1,
            Err(tessera_mfa::Error::Conflict) => tally.conflict += 1,
            Err(e) => {
                eprintln!("{scenario} round {round}: {e}");
                tally.other += 1;
            }
        }
    }
    tally
}

/// One recovery code, and one email code, raced by 8 processes × 8 tasks: each
/// accepted exactly once, in each of 20 rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_recovery_code_and_one_email_code_raced_by_eight_processes_are_accepted_once() {
    crate::on_both!(
        "one_recovery_code_and_one_email_code_raced_by_eight_processes_are_accepted_once",
        |db| {
            let (b64, ring) = shared_key();
            let mfa = mfa_service(SqlMfaStore::new(db.migrated(4).await), &ring);
            let delivery = InMemoryDelivery::new();
            let (mut recovery, mut email) = (Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                let ctx = mfa_context("recovery", round);
                let enabled = mfa
                    .enable(
                        &ctx,
                        Some(MfaMethod::AuthenticatorApp),
                        Actor::AccountHolder,
                    )
                    .await
                    .unwrap()
                    .value;
                let codes = enabled.recovery_codes.unwrap();
                recovery.push(codes.codes()[0].formatted().to_string());

                let ctx = mfa_context("email", round);
                let _ = mfa
                    .enable(
                        &ctx,
                        Some(MfaMethod::AuthenticatorApp),
                        Actor::AccountHolder,
                    )
                    .await
                    .unwrap();
                let ticket = mfa
                    .send_code(&ctx, MfaMethod::Email, Purpose::SignIn, &delivery)
                    .await
                    .unwrap();
                let code = delivery.last_code().unwrap();
                email.push(format!("{}:{}", ticket.id, code.expose()));
            }
            let name = db.target.name();
            for (scenario, codes) in [("recovery", recovery), ("email", email)] {
                let per_round = run_children(&db, scenario, &b64, &codes, ROUNDS).await;
                assert_eq!(per_round.len(), ROUNDS);
                for (round, t) in per_round {
                    eprintln!(
                        "{name} {scenario} round {round:2}: {} accepted, {} refused, {} gave up on conflict, {} errors",
                        t.ok, t.refused, t.conflict, t.other
                    );
                    assert_eq!(t.ok, 1, "{name} {scenario} round {round}: {t:?}");
                    assert_eq!(t.other, 0, "{name} {scenario} round {round}: {t:?}");
                }
            }
            let left = mfa
                .recovery_codes_remaining(&UserId::new("recovery-0"))
                .await
                .unwrap();
            assert_eq!(left, 9, "one code used, nine left");
        }
    );
}

/// 256 attempts (8 processes × 32 tasks) on one account at one instant: no more are
/// admitted to a check than the throttle's free failures, the stored failure count is
/// exactly the admitted ones, and afterwards every process is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_256_attempts_from_eight_processes_gets_only_the_free_checks() {
    crate::on_both!(
        "a_burst_of_256_attempts_from_eight_processes_gets_only_the_free_checks",
        |db| {
            let (b64, ring) = shared_key();
            let mfa = mfa_service(SqlMfaStore::new(db.migrated(2).await), &ring);
            let per_round = run_children(&db, "burst", &b64, &[], 2).await;
            let (burst, after) = (per_round[&0], per_round[&1]);
            let name = db.target.name();
            let free = ThrottleConfig::DEFAULT.free_failures();
            eprintln!(
                "{name} burst: {} admitted of 256 ({} refused, {} gave up on conflict, {} errors), then {} of 8 admitted",
                burst.ok, burst.refused, burst.conflict, burst.other, after.ok
            );
            assert_eq!(burst.ok + burst.refused + burst.conflict, 256, "{burst:?}");
            assert!(
                burst.ok >= 1 && burst.ok <= free as usize,
                "{burst:?}, free {free}"
            );
            let failures = mfa
                .throttle_state(&UserId::new("burst"))
                .await
                .unwrap()
                .failures();
            assert_eq!(
                failures as usize, burst.ok,
                "every admitted attempt is counted"
            );
            assert_eq!((after.ok, after.refused), (0, PROCESSES), "{after:?}");
        }
    );
}

/// Enrols and activates one app for each round's user (`totp-<round>`) at [`START`],
/// and returns the registry and each round's code for the next time step.
async fn totp_users(
    db: &TestDb,
    ring: Arc<Keyring>,
) -> (DeviceRegistry<SqlDeviceStore, ManualClock>, Vec<String>) {
    let store = SqlDeviceStore::new(db.migrated(4).await);
    let config = RegistryConfig::builder("Tessera")
        .activation(ActivationPolicy::OneCode)
        .build()
        .unwrap();
    let clock = ManualClock::new(UnixTime::from_secs(START));
    let registry = DeviceRegistry::new(store, clock, config, ring);
    let mut codes = Vec::new();
    for round in 0..ROUNDS {
        let user = UserId::new(format!("totp-{round}"));
        let e = registry
            .start_enrolment(&user, "Phone", "race@example.com")
            .await
            .unwrap();
        let totp = Totp::new(e.secret(), TotpParams::DEFAULT);
        let activation = totp.generate(UnixTime::from_secs(START)).unwrap();
        registry
            .finish_enrolment(&user, e.device_id(), &[activation.expose()])
            .await
            .unwrap();
        let next = totp.generate(UnixTime::from_secs(START + 30)).unwrap();
        codes.push(next.expose().to_owned());
    }
    (registry, codes)
}

/// The negative control: the same race over a store that does not compare versions
/// accepts the code more than once. It shows the races above are real races, and
/// that exactly-once comes from the compare-and-set.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_compare_and_set_the_same_race_accepts_a_code_twice() {
    let db = TestDb::sqlite();
    let (b64, ring) = shared_key();
    let (_registry, codes) = totp_users(&db, ring).await;
    let per_round = run_children(&db, "totp-last-writer-wins", &b64, &codes, ROUNDS).await;
    let accepted: Vec<usize> = per_round.values().map(|t| t.ok).collect();
    eprintln!("last writer wins, accepted per round: {accepted:?}");
    assert!(
        accepted.iter().any(|&n| n > 1),
        "no double acceptance without compare-and-set: the race never overlapped"
    );
}
