//! Registry verification, and a whole TOTP second-factor step, on the SQL stores against
//! the floor: raw sqlx issuing the same statements (the same reads and conditional
//! writes, no Tessera), at 1, 8 and 32 concurrent clients, on SQLite and (with
//! `TESSERA_TEST_POSTGRES_URL`) PostgreSQL.
//!
//! The second-factor step is what the facade's `finish_second_factor` does with the
//! stores for an authenticator code: reserve the attempt in the MFA throttle (a
//! conditional save), verify the code (a conditional save of the devices), complete the
//! attempt (a conditional save): three reads, three conditional writes.
//!
//! `cargo bench -p tessera-sqlx --bench verify` prints a table: operations per second,
//! p50 and p99 latency, and Tessera's throughput as a share of the floor's. Each
//! client has its own user with one authenticator app, and every operation is a
//! successful verification of a fresh code (load, open the sealed seed, compare codes,
//! conditional save).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// A benchmark: a panic is a failure.
// Counts and durations as floating point for rates; far from the limits.
#![allow(clippy::cast_precision_loss)]
#![allow(missing_docs)] // A benchmark binary.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera_keyring::Keyring;
use tessera_mfa::{Mfa, NoNotifier, OrgPolicy, ServerKey};
use tessera_otp::{ManualClock, Totp, TotpParams, UnixTime};
use tessera_registry::{ActivationPolicy, DeviceRegistry, RegistryConfig};
use tessera_sqlx::{SqlDeviceStore, SqlMfaStore, SqlPool, migrate};
use tessera_store::UserId;

const START: u64 = 1_700_000_010;
/// Operations per run, shared among the clients.
const OPS_PER_RUN: usize = 3000;
/// Runs of each kind, alternating; the table shows each kind's best (the machine is
/// shared: the best run is the one least disturbed).
const REPEATS: usize = 3;

struct Run {
    ops: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn throughput(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // See below.
    fn percentile(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        // Nearest rank, in integers: index ⌈p·n⌉ − 1 for p in per mille.
        let per_mille = (p * 1000.0).round() as u64; // p is 0.5 or 0.99: fits.
        let n = l.len() as u64;
        let rank = (per_mille * n).div_ceil(1000).max(1);
        l[usize::try_from(rank - 1).unwrap()]
    }
}

/// One client: its registry (its own clock, so each operation has a fresh step) and
/// the codes it will type, computed before the clock starts.
struct Client {
    registry: DeviceRegistry<SqlDeviceStore, ManualClock>,
    mfa: Mfa<SqlMfaStore, NoNotifier, ManualClock>,
    clock: ManualClock,
    user: UserId,
    codes: Vec<String>,
}

async fn clients(pool: &SqlPool, tag: &str, n: usize, keyring: &Arc<Keyring>) -> Vec<Client> {
    let config = RegistryConfig::builder("Tessera")
        .activation(ActivationPolicy::OneCode)
        .build()
        .unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let clock = ManualClock::new(UnixTime::from_secs(START));
        let registry = DeviceRegistry::new(
            SqlDeviceStore::new(pool),
            clock.clone(),
            config.clone(),
            Arc::clone(keyring),
        );
        let mfa = Mfa::new(
            SqlMfaStore::new(pool),
            NoNotifier,
            clock.clone(),
            OrgPolicy::default(),
            ServerKey::from_keyring(keyring).unwrap(),
        );
        let user = UserId::new(format!("bench-{tag}-{n}-{i}"));
        // The throttle's row exists from the start, as after an account's first sign-in.
        let attempt = mfa.begin_attempt(&user).await.unwrap().into_value();
        mfa.attempt_completed(attempt).await.unwrap();
        let e = registry
            .start_enrolment(&user, "Phone", "bench@example.com")
            .await
            .unwrap();
        let totp = Totp::new(e.secret(), TotpParams::DEFAULT);
        let first = totp.generate(UnixTime::from_secs(START)).unwrap();
        registry
            .finish_enrolment(&user, e.device_id(), &[first.expose()])
            .await
            .unwrap();
        let codes = (1..=(OPS_PER_RUN / n) as u64)
            .map(|k| {
                let at = UnixTime::from_secs(START + 30 * k);
                totp.generate(at).unwrap().expose().to_owned()
            })
            .collect();
        out.push(Client {
            registry,
            mfa,
            clock,
            user,
            codes,
        });
    }
    out
}

async fn tessera_run(clients: Vec<Client>, step: bool) -> Run {
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| {
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(c.codes.len());
                for code in &c.codes {
                    c.clock.advance(Duration::from_secs(30));
                    let t = Instant::now();
                    if step {
                        let attempt = c.mfa.begin_attempt(&c.user).await.unwrap().into_value();
                        c.registry.verify_unthrottled(&c.user, code).await.unwrap();
                        c.mfa.attempt_completed(attempt).await.unwrap();
                    } else {
                        c.registry.verify_unthrottled(&c.user, code).await.unwrap();
                    }
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    collect(tasks, started).await
}

/// The floor: the same two statements the store issues, on the same pool.
async fn raw_run(pool: &SqlPool, users: Vec<UserId>, step: bool) -> Run {
    let per_client = OPS_PER_RUN / users.len();
    const LOAD_DEVICES: &str =
        "SELECT version, format, data FROM tessera_devices WHERE user_id = $1";
    const SAVE_DEVICES: &str = "UPDATE tessera_devices SET version = version + 1, format = $2, \
                                data = $3 WHERE user_id = $1 AND version = $4";
    const LOAD_MFA: &str =
        "SELECT version, format, data FROM tessera_mfa_accounts WHERE user_id = $1";
    const SAVE_MFA: &str = "UPDATE tessera_mfa_accounts SET version = version + 1, format = $2, \
                            data = $3 WHERE user_id = $1 AND version = $4";
    macro_rules! cas {
        ($p:expr, $load:expr, $save:expr, $user:expr) => {{
            let (version, format, data): (i64, i64, String) = sqlx::query_as($load)
                .bind($user)
                .fetch_one($p)
                .await
                .unwrap();
            let n = sqlx::query($save)
                .bind($user)
                .bind(format)
                .bind(data)
                .bind(version)
                .execute($p)
                .await
                .unwrap()
                .rows_affected();
            assert_eq!(n, 1);
        }};
    }
    macro_rules! op {
        ($p:expr, $user:expr) => {{
            if step {
                cas!($p, LOAD_MFA, SAVE_MFA, $user);
            }
            cas!($p, LOAD_DEVICES, SAVE_DEVICES, $user);
            if step {
                cas!($p, LOAD_MFA, SAVE_MFA, $user);
            }
        }};
    }
    let started = Instant::now();
    let tasks: Vec<_> = users
        .into_iter()
        .map(|user| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let t = Instant::now();
                    match &pool {
                        SqlPool::Sqlite(p) => op!(p, user.as_str()),
                        SqlPool::Postgres(p) => op!(p, user.as_str()),
                        _ => unreachable!(),
                    }
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    collect(tasks, started).await
}

async fn collect(tasks: Vec<tokio::task::JoinHandle<Vec<Duration>>>, started: Instant) -> Run {
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    Run {
        ops: latencies.len(),
        wall: started.elapsed(),
        latencies,
    }
}

fn row(db: &str, clients: usize, what: &str, r: &Run, share: Option<f64>) {
    println!(
        "| {db:8} | {clients:7} | {what:26} | {:10.0} | {:8.2} | {:8.2} | {:>10} |",
        r.throughput(),
        r.percentile(0.50).as_secs_f64() * 1e3,
        r.percentile(0.99).as_secs_f64() * 1e3,
        share.map_or_else(String::new, |s| format!("{:.2}x", s)),
    );
}

async fn bench(db: &str, pool: SqlPool) {
    migrate(&pool).await.unwrap();
    let keyring = Arc::new(Keyring::ephemeral().unwrap());
    for (step, what) in [(false, "verify"), (true, "2nd-factor step")] {
        for n in [1, 8, 32] {
            let mut best: [Option<Run>; 2] = [None, None];
            for rep in 0..REPEATS {
                let tag = format!("{}{rep}", u8::from(step));
                let t_clients = clients(&pool, &format!("t{tag}"), n, &keyring).await;
                let r_clients = clients(&pool, &format!("r{tag}"), n, &keyring).await;
                let raw_users: Vec<UserId> = r_clients.iter().map(|c| c.user.clone()).collect();
                let raw = raw_run(&pool, raw_users, step).await;
                let tessera = tessera_run(t_clients, step).await;
                for (slot, run) in best.iter_mut().zip([raw, tessera]) {
                    if slot
                        .as_ref()
                        .is_none_or(|b| run.throughput() > b.throughput())
                    {
                        *slot = Some(run);
                    }
                }
            }
            let [Some(raw), Some(tessera)] = best else {
                unreachable!()
            };
            row(db, n, &format!("raw sqlx, {what}"), &raw, None);
            row(
                db,
                n,
                &format!("tessera, {what}"),
                &tessera,
                Some(tessera.throughput() / raw.throughput()),
            );
        }
    }
}

fn main() {
    // `cargo test --benches` and `cargo bench -- --test` run it with `--test`: only
    // check that it builds and starts.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!(
            "| database | clients | what                       |    ops/s   | p50 (ms) | p99 (ms) | vs floor   |"
        );
        println!(
            "| -------- | ------- | -------------------------- | ---------- | -------- | -------- | ---------- |"
        );
        let dir = std::env::temp_dir().join(format!("tessera-sqlx-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(16)
            .connect_with(tessera_sqlx::sqlite_options(dir.join("bench.db")))
            .await
            .unwrap();
        bench("sqlite", sqlite.into()).await;
        if let Ok(url) = std::env::var("TESSERA_TEST_POSTGRES_URL") {
            let schema = format!("tessera_bench_{}", std::process::id());
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin)
                .await
                .unwrap();
            let opts: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
            let pg = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .connect_with(opts.options([("search_path", schema.as_str())]))
                .await
                .unwrap();
            bench("postgres", pg.clone().into()).await;
            pg.close().await;
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await
                .unwrap();
        } else {
            eprintln!("postgres skipped: set TESSERA_TEST_POSTGRES_URL");
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
