//! Part 2: throttling and lockout of second factors, at exact instants.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{ConflictingStore, T0, TestMfa, clock, key};
use tessera_mfa::{
    AccountContext, EmailAddress, Error, InMemoryDelivery, InMemoryStore, Mfa, MfaMethod as M,
    OrgPolicy, Purpose, RecordingNotifier, SecurityEventKind as K, ThrottleConfig,
};
use tessera_otp::{ManualClock, UnixTime};
use tessera_registry::UserId;

fn service() -> (TestMfa, Arc<RecordingNotifier>, ManualClock) {
    let n = Arc::new(RecordingNotifier::new());
    let c = clock();
    let mfa = Mfa::new(
        InMemoryStore::new(),
        n.clone(),
        c.clone(),
        OrgPolicy::default(),
        key(),
    );
    (mfa, n, c)
}

fn at(s: u64) -> UnixTime {
    UnixTime::from_secs(T0 + s)
}

#[tokio::test]
async fn delays_grow_then_lockout_at_the_hard_limit_then_reset() {
    let (mfa, n, clock) = service();
    let u = UserId::new("ana");

    // Five free failures.
    for _ in 0..4 {
        mfa.second_factor_permitted(&u).await.unwrap();
        let s = mfa.second_factor_failed(&u).await.unwrap().value;
        assert_eq!(s.retry_after(), None);
    }
    let s = mfa.second_factor_failed(&u).await.unwrap().value;
    assert_eq!(s.failures(), 5);
    assert_eq!(s.retry_after(), Some(at(30)), "first delay: 30 s");

    // Before the retry-after instant: the same opaque failure; not counted.
    clock.set(at(29));
    assert!(matches!(
        mfa.second_factor_permitted(&u).await,
        Err(Error::VerificationFailed)
    ));
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 5);
    clock.set(at(30));
    mfa.second_factor_permitted(&u).await.unwrap();

    // Growing delays: 60, 120, 240, 480, 900, 900, ... seconds.
    let mut now = 30;
    let mut delays = Vec::new();
    for _ in 6..20 {
        clock.set(at(now));
        let s = mfa.second_factor_failed(&u).await.unwrap().value;
        let next = s.retry_after().unwrap().as_secs() - (T0 + now);
        delays.push(next);
        now += next;
    }
    assert_eq!(
        delays,
        [
            60, 120, 240, 480, 900, 900, 900, 900, 900, 900, 900, 900, 900, 900
        ]
    );
    assert!(n.events().is_empty());

    // The 20th failure locks for an hour and tells the account holder.
    clock.set(at(now));
    let s = mfa.second_factor_failed(&u).await.unwrap().value;
    assert_eq!(s.failures(), 20);
    assert_eq!(s.locked_until(), Some(at(now + 3600)));
    assert_eq!(
        n.kinds(),
        [K::LockedOut {
            until: at(now + 3600)
        }]
    );
    clock.set(at(now + 3599));
    assert!(matches!(
        mfa.second_factor_permitted(&u).await,
        Err(Error::VerificationFailed)
    ));

    // The lockout ends at its exact instant, with the count reset.
    clock.set(at(now + 3600));
    mfa.second_factor_permitted(&u).await.unwrap();
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 0);
}

#[tokio::test]
async fn success_resets_the_count() {
    let (mfa, _, _) = service();
    let u = UserId::new("ana");
    for _ in 0..4 {
        let _ = mfa.second_factor_failed(&u).await.unwrap();
    }
    mfa.second_factor_succeeded(&u).await.unwrap();
    assert_eq!(mfa.throttle_state(&u).await.unwrap(), Default::default());
    for _ in 0..4 {
        let _ = mfa.second_factor_failed(&u).await.unwrap();
    }
    assert_eq!(mfa.throttle_state(&u).await.unwrap().retry_after(), None);
}

#[tokio::test]
async fn a_locked_account_refuses_even_the_right_email_code() {
    let policy = ThrottleConfig::new(
        2,
        3,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(600),
    )
    .unwrap();
    let (mfa, n, clock) = service();
    let mfa = mfa.with_throttle(policy);
    let c = AccountContext::new(UserId::new("ana"))
        .with_email(EmailAddress::parse("ana@example.com").unwrap());
    let out = InMemoryDelivery::new();
    let t = mfa
        .send_code(&c, M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    let wrong = if code.expose() == "000000" {
        "111111"
    } else {
        "000000"
    };
    for i in 0..3u64 {
        clock.set(at(i * 2));
        assert!(mfa.verify_code(c.user(), &t.id, wrong).await.is_err());
    }
    assert_eq!(n.kinds(), [K::LockedOut { until: at(4 + 600) }]);
    // Right code, but locked: the same opaque failure, and the challenge is not spent.
    clock.set(at(10));
    assert!(matches!(
        mfa.verify_code(c.user(), &t.id, code.expose()).await,
        Err(Error::VerificationFailed)
    ));
    // Recovery codes are locked too.
    assert!(matches!(
        mfa.use_recovery_code(&c, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23")
            .await,
        Err(Error::VerificationFailed)
    ));
    assert_eq!(mfa.throttle_state(c.user()).await.unwrap().failures(), 3);
}

#[tokio::test]
async fn hard_limit_never_above_100() {
    let s = Duration::from_secs;
    assert!(ThrottleConfig::new(5, 101, s(30), s(900), s(3600)).is_err());
    assert_eq!(ThrottleConfig::default().hard_limit(), 20);
    assert_eq!(ThrottleConfig::default().free_failures(), 5);
}

#[tokio::test]
async fn counters_are_shared_through_the_store() {
    // Two service instances over one store (as two processes over one database).
    let store = Arc::new(InMemoryStore::new());
    let a = Mfa::new(
        store.clone(),
        Arc::new(RecordingNotifier::new()),
        clock(),
        OrgPolicy::default(),
        key(),
    );
    let b = Mfa::new(
        store,
        Arc::new(RecordingNotifier::new()),
        clock(),
        OrgPolicy::default(),
        key(),
    );
    let u = UserId::new("ana");
    for i in 0..5 {
        let m = if i % 2 == 0 { &a } else { &b };
        let _ = m.second_factor_failed(&u).await.unwrap();
    }
    assert!(matches!(
        b.second_factor_permitted(&u).await,
        Err(Error::VerificationFailed)
    ));
    assert_eq!(a.throttle_state(&u).await.unwrap().failures(), 5);
}

#[tokio::test]
async fn lockout_is_notified_once_across_conflicts() {
    let n = Arc::new(RecordingNotifier::new());
    let t = ThrottleConfig::new(
        1,
        2,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(60),
    )
    .unwrap();
    let mfa = Mfa::new(
        ConflictingStore::with_conflicts(0),
        n.clone(),
        clock(),
        OrgPolicy::default(),
        key(),
    )
    .with_throttle(t);
    let u = UserId::new("ana");
    let _ = mfa.second_factor_failed(&u).await.unwrap();
    mfa.store()
        .conflicts
        .store(3, std::sync::atomic::Ordering::SeqCst);
    let s = mfa.second_factor_failed(&u).await.unwrap();
    assert!(s.value.locked_until().is_some());
    assert_eq!(n.kinds().len(), 1);
}
