//! Item 1 and 15 of issue 12: bursts of concurrent attempts against a store with
//! 0.2–2 ms of latency per call (and failing saves), on a multi-thread runtime. Every
//! attempt is counted before anything is checked, so a burst of any size gets exactly
//! the configured number of checks, and a lock is announced once.
#![cfg(feature = "testing")]

use std::sync::Arc;
use std::time::Duration;

use crate::common::{clock, key};
use tessera_mfa::MfaStore as _;
use tessera_mfa::testing::{ChaosStore, Faults};
use tessera_mfa::{
    ChallengeConfig, Error, InMemoryStore, Mfa, MfaMethod as M, OrgPolicy, RecordingNotifier,
    SecurityEventKind as K,
};
use tessera_otp::{Clock, ManualClock};
use tessera_registry::UserId;

type Chaos = Mfa<ChaosStore<InMemoryStore>, Arc<RecordingNotifier>, ManualClock>;

fn service() -> (Arc<Chaos>, Arc<Faults>, Arc<RecordingNotifier>, ManualClock) {
    let faults = Faults::new();
    faults.set_latency(Duration::from_micros(200), Duration::from_millis(2));
    let n = Arc::new(RecordingNotifier::new());
    let c = clock();
    let mfa = Mfa::new(
        ChaosStore::new(InMemoryStore::new(), faults.clone()),
        n.clone(),
        c.clone(),
        OrgPolicy::default(),
        key(),
    )
    // Ten attempts per challenge, so that the account throttle (5) is what binds.
    .with_challenge_config(ChallengeConfig::new(6, Duration::from_secs(600), 10).unwrap());
    (Arc::new(mfa), faults, n, c)
}

/// How the calls of one burst ended.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    granted: u32,
    refused: u32,
    contention: u32,
    store: u32,
}

impl Tally {
    fn count<T>(&mut self, r: &Result<T, Error>) {
        match r {
            Ok(_) => self.granted += 1,
            Err(Error::VerificationFailed) => self.refused += 1,
            Err(Error::Conflict) => self.contention += 1,
            Err(Error::Store(_)) => self.store += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

/// `n` concurrent reservations, each dropped (the "wrong" outcome).
async fn reservation_burst(mfa: &Arc<Chaos>, u: &UserId, n: usize) -> Tally {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (mfa, u) = (mfa.clone(), u.clone());
            tokio::spawn(async move { mfa.begin_attempt(&u).await.map(|a| drop(a.value)) })
        })
        .collect();
    let mut t = Tally::default();
    for task in tasks {
        t.count(&task.await.unwrap());
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_attempts_gets_exactly_five_checks() {
    for size in [64usize, 256, 1024] {
        let (mfa, faults, n, _) = service();
        let u = UserId::new("ana");
        let t = reservation_burst(&mfa, &u, size).await;
        println!(
            "burst of {size}: granted {}, refused {}, contention {}, store {}; loads {}, saves {}",
            t.granted,
            t.refused,
            t.contention,
            t.store,
            faults.loads(),
            faults.saves()
        );
        assert_eq!(t.granted, 5, "burst of {size}");
        assert_eq!(
            t.granted + t.refused + t.contention,
            u32::try_from(size).unwrap()
        );
        assert_eq!(t.store, 0);
        let s = mfa.throttle_state(&u).await.unwrap();
        assert_eq!(s.failures(), 5, "every grant counted, nothing else");
        assert!(n.events().is_empty());

        // The right attempt, after the burst: not granted, nothing checked.
        assert!(matches!(
            mfa.begin_attempt(&u).await,
            Err(Error::VerificationFailed)
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_store_grants_nothing() {
    let (mfa, faults, _, _) = service();
    let u = UserId::new("ana");
    faults.fail_saves(true);
    let t = reservation_burst(&mfa, &u, 50).await;
    println!(
        "failing saves, 50 attempts: {t:?}; injected {}",
        faults.injected()
    );
    assert_eq!(t.granted, 0);
    assert_eq!(t.store, 50);
    faults.fail_saves(false);
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 0);

    // Failing loads too.
    faults.fail_loads(true);
    let t = reservation_burst(&mfa, &u, 50).await;
    assert_eq!((t.granted, t.store), (0, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_email_codes_gets_at_most_five_checks() {
    for size in [64usize, 256, 1024] {
        let (mfa, faults, _, _) = service();
        let c = crate::common::ana(&[]);
        let (ticket, code) = crate::common::email_code(&mfa, &c).await;
        let right = code.expose().to_owned();
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let tasks: Vec<_> = (0..size)
            .map(|_| {
                let (mfa, u, id) = (mfa.clone(), c.user().clone(), ticket.id);
                tokio::spawn(async move { mfa.verify_code(&u, &id, wrong).await.map(|_| ()) })
            })
            .collect();
        let mut t = Tally::default();
        for task in tasks {
            t.count(&task.await.unwrap());
        }
        let checks = mfa.throttle_state(c.user()).await.unwrap().failures();
        println!(
            "email burst of {size}: checks {checks}, {t:?}; saves {}",
            faults.saves()
        );
        assert_eq!(t.granted, 0);
        assert_eq!(checks, 5, "burst of {size}");
        // The right code placed last: refused.
        assert!(matches!(
            mfa.verify_code(c.user(), &ticket.id, &right).await,
            Err(Error::VerificationFailed)
        ));
    }
}

/// Item 15: however many attempts race into a lock, the holder is told once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_race_into_a_lock_sends_one_notification() {
    let (mfa, _, n, clock) = service();
    let u = UserId::new("ana");
    // Paced to 19 failures, then wait out the last delay.
    for _ in 0..19 {
        if let Some(t) = mfa.throttle_state(&u).await.unwrap().retry_after() {
            clock.set(t);
        }
        let _ = mfa.begin_attempt(&u).await.unwrap();
    }
    clock.set(mfa.throttle_state(&u).await.unwrap().retry_after().unwrap());
    let t = reservation_burst(&mfa, &u, 256).await;
    println!("burst of 256 at 19 failures: {t:?}, events {:?}", n.kinds());
    assert_eq!(t.granted, 1);
    let until = clock.now().saturating_add(Duration::from_secs(3600));
    assert_eq!(n.kinds(), [K::LockedOut { until }]);

    // Paced on to 99, then a race into the permanent lock: one event too.
    n.clear();
    while mfa.throttle_state(&u).await.unwrap().failures() < 99 {
        if let Some(t) = mfa.throttle_state(&u).await.unwrap().locked_until() {
            clock.set(t);
        }
        let _ = mfa.begin_attempt(&u).await.unwrap();
    }
    clock.set(
        mfa.throttle_state(&u)
            .await
            .unwrap()
            .locked_until()
            .unwrap(),
    );
    let before = n.kinds().len();
    let t = reservation_burst(&mfa, &u, 256).await;
    assert_eq!(t.granted, 1);
    assert_eq!(n.kinds().len(), before + 1);
    assert_eq!(n.kinds().last(), Some(&K::LockedPermanently));
    assert!(
        mfa.throttle_state(&u)
            .await
            .unwrap()
            .is_locked_permanently()
    );
}

/// Item 12: reporting a replayed code does no store I/O, so it costs what a wrong code
/// costs once the notifier is an outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_reuse_report_does_no_store_io() {
    let (mfa, faults, n, _) = service();
    let u = UserId::new("ana");
    faults.fail_loads(true);
    faults.fail_saves(true);
    assert!(
        mfa.report_code_reuse(&u, M::AuthenticatorApp, tessera_mfa::Actor::AccountHolder)
            .await
            .is_none()
    );
    assert_eq!((faults.loads(), faults.saves()), (0, 0));
    assert_eq!(
        n.kinds(),
        [K::CodeReuseDetected {
            method: M::AuthenticatorApp
        }]
    );
}

/// The wrapper itself: latency is waited, `fail_next_saves` fails exactly the next
/// saves without touching the inner store, and the counters add up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_chaos_store_injects_what_it_is_told() {
    let (mfa, faults, _, _) = service();
    let u = UserId::new("ana");
    faults.set_latency(Duration::from_millis(2), Duration::from_millis(3));
    let started = std::time::Instant::now();
    faults.fail_next_saves(2);
    for _ in 0..2 {
        assert!(matches!(mfa.begin_attempt(&u).await, Err(Error::Store(_))));
    }
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 0);
    let _ = mfa.begin_attempt(&u).await.unwrap();
    assert_eq!(
        mfa.store()
            .inner()
            .load_account(&u)
            .await
            .unwrap()
            .value
            .throttle()
            .failures(),
        1
    );
    assert_eq!(faults.injected(), 2);
    assert_eq!(faults.saves(), 3);
    assert_eq!(faults.loads(), 4);
    // Seven store calls of at least 2 ms each.
    assert!(started.elapsed() >= Duration::from_millis(14));
}
