//! Throttling and lockout: the reservation, delays, temporary and permanent locks,
//! resets and administrator unlock, at exact instants.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{T0, clock, key, service, wrong};
use tessera_mfa::{
    Actor, Error, InMemoryDelivery, InMemoryStore, Mfa, MfaMethod as M, OrgPolicy, Purpose,
    RecordingNotifier, SecurityEventKind as K, ThrottleConfig,
};
use tessera_otp::{Clock, ManualClock, UnixTime};
use tessera_registry::UserId;

fn at(s: u64) -> UnixTime {
    UnixTime::from_secs(T0 + s)
}

async fn refused<S: tessera_mfa::MfaStore>(
    mfa: &Mfa<S, Arc<RecordingNotifier>, ManualClock>,
    u: &UserId,
) -> bool {
    matches!(mfa.begin_attempt(u).await, Err(Error::VerificationFailed))
}

#[tokio::test]
async fn delays_grow_then_lock_for_an_hour_without_resetting_the_count() {
    let (mfa, n, clock) = service();
    let u = UserId::new("ana");

    // Five free attempts: each is counted before anything is checked.
    for i in 1..=5 {
        let a = mfa.begin_attempt(&u).await.unwrap().into_value();
        assert_eq!(a.failures(), i);
        drop(a); // wrong
    }
    let s = mfa.throttle_state(&u).await.unwrap();
    assert_eq!(s.failures(), 5);
    assert_eq!(s.retry_after(), Some(at(30)), "first delay: 30 s");

    // Before the retry-after instant: the opaque failure; not counted.
    clock.set(at(29));
    assert!(refused(&mfa, &u).await);
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 5);

    // Growing delays: 60, 120, 240, 480, 900, 900, ... seconds.
    let mut now = 30;
    let mut delays = Vec::new();
    for _ in 6..20 {
        clock.set(at(now));
        let _ = mfa.begin_attempt(&u).await.unwrap();
        let s = mfa.throttle_state(&u).await.unwrap();
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
    let _ = mfa.begin_attempt(&u).await.unwrap();
    let s = mfa.throttle_state(&u).await.unwrap();
    assert_eq!(s.failures(), 20);
    assert_eq!(s.locked_until(), Some(at(now + 3600)));
    assert!(s.is_locked(at(now + 3599)) && !s.is_locked_permanently());
    assert_eq!(
        n.kinds(),
        [K::LockedOut {
            until: at(now + 3600)
        }]
    );
    clock.set(at(now + 3599));
    assert!(refused(&mfa, &u).await);

    // The lockout ends at its exact instant, but the count stays: the next failure
    // locks again at once (item 6).
    clock.set(at(now + 3600));
    let a = mfa.begin_attempt(&u).await.unwrap().into_value();
    assert_eq!(a.failures(), 21);
    drop(a);
    let s = mfa.throttle_state(&u).await.unwrap();
    assert_eq!(s.locked_until(), Some(at(now + 7200)));
    assert_eq!(n.kinds().len(), 2);
}

#[tokio::test]
async fn only_a_completed_authentication_resets_and_a_passed_factor_takes_back_one() {
    let (mfa, _, _) = service();
    let u = UserId::new("ana");
    for _ in 0..3 {
        let _ = mfa.begin_attempt(&u).await.unwrap();
    }
    // A right password before its second factor: taken back, nothing resets.
    let a = mfa.begin_attempt(&u).await.unwrap().into_value();
    assert_eq!(a.failures(), 4);
    mfa.attempt_passed(a).await.unwrap();
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 3);

    // The fifth failure sets a delay; a passed attempt that brought the count to 5
    // lifts the delay the lower count would not have set.
    let _ = mfa.begin_attempt(&u).await.unwrap();
    let a = mfa.begin_attempt(&u).await.unwrap().into_value();
    assert!(
        mfa.throttle_state(&u)
            .await
            .unwrap()
            .retry_after()
            .is_some()
    );
    mfa.attempt_passed(a).await.unwrap();
    let s = mfa.throttle_state(&u).await.unwrap();
    assert_eq!((s.failures(), s.retry_after()), (4, None));
    let a = mfa.begin_attempt(&u).await.unwrap().into_value();
    mfa.attempt_completed(a).await.unwrap();
    let s = mfa.throttle_state(&u).await.unwrap();
    assert_eq!((s.failures(), s.retry_after()), (0, None));

    // An attempt reserved before a reset takes nothing back after it.
    let stale = mfa.begin_attempt(&u).await.unwrap().into_value();
    mfa.authentication_completed(&u).await.unwrap();
    let _ = mfa.begin_attempt(&u).await.unwrap();
    mfa.attempt_passed(stale).await.unwrap();
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 1);
}

#[tokio::test]
async fn a_locked_account_refuses_even_the_right_email_code() {
    let policy = ThrottleConfig::new(
        2,
        3,
        10,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(600),
    )
    .unwrap();
    let (mfa, n, clock) = service();
    let mfa = mfa.with_throttle(policy);
    let c = crate::common::ana(&[]);
    let (t, code) = crate::common::email_code(&mfa, &c).await;
    for i in 0..3u64 {
        clock.set(at(i * 2));
        assert!(
            mfa.verify_code(c.user(), &t.id, &wrong(code.expose()))
                .await
                .is_err()
        );
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
    assert!(ThrottleConfig::new(5, 20, 101, s(30), s(900), s(3600)).is_err());
    assert_eq!(ThrottleConfig::default().hard_limit(), 100);
    assert_eq!(ThrottleConfig::default().lockout_after(), 20);
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
        let _ = m.begin_attempt(&u).await.unwrap();
    }
    assert!(refused(&b, &u).await);
    assert_eq!(a.throttle_state(&u).await.unwrap().failures(), 5);
}

// Conflicts are injected by the `testing` feature's ChaosStore.
#[cfg(feature = "testing")]
#[tokio::test]
async fn lockout_is_notified_once_across_conflicts() {
    let n = Arc::new(RecordingNotifier::new());
    let t = ThrottleConfig::new(
        1,
        2,
        3,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(60),
    )
    .unwrap();
    let c = clock();
    let mfa = Mfa::new(
        crate::common::conflicting(0),
        n.clone(),
        c.clone(),
        OrgPolicy::default(),
        key(),
    )
    .with_throttle(t);
    let u = UserId::new("ana");
    let _ = mfa.begin_attempt(&u).await.unwrap();
    // The next three saves conflict with another writer; the locking reservation is
    // retried and must notify once, after the save that counts.
    mfa.store().faults().conflict_next_saves(3);
    c.advance(Duration::from_secs(1));
    let a = mfa.begin_attempt(&u).await.unwrap();
    assert!(a.notify_error.is_none());
    assert_eq!(a.value.failures(), 2);
    assert!(
        mfa.throttle_state(&u)
            .await
            .unwrap()
            .locked_until()
            .is_some()
    );
    assert_eq!(n.kinds().len(), 1);
}

/// Item 5: a phone verification, or an email code on its own, never resets the count.
#[tokio::test]
async fn a_phone_verification_does_not_reset_the_count() {
    let (mfa, _, clock) = service();
    let c = crate::common::ana(&[]);
    let u = c.user().clone();
    for _ in 0..4 {
        let _ = mfa.begin_attempt(&u).await.unwrap();
    }
    crate::common::link_phone(&mfa, &c).await;
    let out = InMemoryDelivery::new();
    let t = mfa
        .send_code(&c, M::Sms, Purpose::PhoneVerification, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    let v = mfa.verify_code(&u, &t.id, code.expose()).await.unwrap();
    assert_eq!(v.value.purpose, Purpose::PhoneVerification);
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 4);

    // An email code for sign-in: consumed, still no reset until the facade says the
    // sign-in completed.
    clock.advance(Duration::from_secs(60));
    let t = mfa
        .send_code(&c, M::Email, Purpose::SignIn, &out)
        .await
        .unwrap();
    let code = out.last_code().unwrap();
    let _ = mfa.verify_code(&u, &t.id, code.expose()).await.unwrap();
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 4);
    mfa.authentication_completed(&u).await.unwrap();
    assert_eq!(mfa.throttle_state(&u).await.unwrap().failures(), 0);
}

/// Item 6: pacing guesses at each retry time over simulated days never gets more than
/// 100 checks; then the account stays locked until a named administrator unlocks it.
#[tokio::test]
async fn pacing_at_each_retry_time_stops_at_100_until_unlocked() {
    let (mfa, n, clock) = service();
    let u = UserId::new("ana");
    let mut granted = 0u32;
    let mut refused_count = 0u32;
    let week = T0 + 30 * 24 * 3600;
    while clock.now().as_secs() < week {
        match mfa.begin_attempt(&u).await {
            Ok(a) => {
                granted += 1;
                drop(a);
            }
            Err(Error::VerificationFailed) => refused_count += 1,
            Err(e) => panic!("{e}"),
        }
        let s = mfa.throttle_state(&u).await.unwrap();
        if s.is_locked_permanently() {
            clock.advance(Duration::from_secs(24 * 3600));
        } else {
            let next = s.retry_after().map_or(clock.now(), |t| t.max(clock.now()));
            clock.set(next);
        }
    }
    assert_eq!(granted, 100, "checked failures in 30 days of pacing");
    let s = mfa.throttle_state(&u).await.unwrap();
    assert!(s.is_locked_permanently());
    assert_eq!(s.locked_until(), None);
    assert_eq!(s.failures(), 100);
    assert!(refused_count > 0);
    let kinds = n.kinds();
    let temporary = kinds
        .iter()
        .filter(|k| matches!(k, K::LockedOut { .. }))
        .count();
    assert_eq!(temporary, 80, "one per temporary lock, failures 20..=99");
    assert_eq!(kinds.last(), Some(&K::LockedPermanently));
    assert_eq!(
        kinds.iter().filter(|k| **k == K::LockedPermanently).count(),
        1
    );

    // A completed authentication cannot lift it (none can start, but even so).
    mfa.authentication_completed(&u).await.unwrap();
    assert!(refused(&mfa, &u).await);

    // An anonymous administrator, the system or the holder cannot unlock.
    for who in [
        Actor::administrator("  "),
        Actor::System,
        Actor::AccountHolder,
    ] {
        assert!(matches!(
            mfa.unlock(&u, who).await,
            Err(Error::AnonymousAdministrator)
        ));
    }
    assert!(refused(&mfa, &u).await);

    // A named administrator can: event to the holder, everything reset.
    n.clear();
    let r = mfa
        .unlock(&u, Actor::administrator("root@corp"))
        .await
        .unwrap();
    assert!(r.notify_error.is_none());
    let events = n.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].kind,
        K::Unlocked {
            by: "root@corp".into()
        }
    );
    assert_eq!(events[0].actor, Actor::administrator("root@corp"));
    let s = mfa.throttle_state(&u).await.unwrap();
    assert_eq!(s.failures(), 0);
    assert!(!s.is_locked(clock.now()) && s.retry_after().is_none());
    let a = mfa.begin_attempt(&u).await.unwrap().into_value();
    assert_eq!(a.failures(), 1);

    // Unlocking an account with nothing to clear tells nobody.
    mfa.attempt_completed(a).await.unwrap();
    n.clear();
    let _ = mfa
        .unlock(&u, Actor::administrator("root@corp"))
        .await
        .unwrap();
    assert!(n.events().is_empty());
}

/// Item 24: a temporary lockout can be cleared too.
#[tokio::test]
async fn an_administrator_clears_a_temporary_lockout() {
    let (mfa, n, _) = service();
    let u = UserId::new("ana");
    let mfa = mfa.with_throttle(
        ThrottleConfig::new(
            1,
            2,
            100,
            Duration::from_secs(1),
            Duration::from_secs(1),
            Duration::from_secs(3600),
        )
        .unwrap(),
    );
    let _ = mfa.begin_attempt(&u).await.unwrap();
    // Delay of 1 s after the first failure.
    assert!(refused(&mfa, &u).await);
    let _ = mfa.unlock(&u, Actor::administrator("ops")).await.unwrap();
    assert_eq!(n.kinds(), [K::Unlocked { by: "ops".into() }]);
    let _ = mfa.begin_attempt(&u).await.unwrap();
}

/// Item 22: no code is sent while the account is locked, and no send budget is spent.
#[tokio::test]
async fn no_code_is_sent_while_locked() {
    let (mfa, _, clock) = service();
    let c = crate::common::ana(&[]);
    let u = c.user().clone();
    for _ in 0..20 {
        let s = mfa.throttle_state(&u).await.unwrap();
        if let Some(t) = s.retry_after() {
            clock.set(t);
        }
        let _ = mfa.begin_attempt(&u).await.unwrap();
    }
    assert!(mfa.throttle_state(&u).await.unwrap().is_locked(clock.now()));
    let out = InMemoryDelivery::new();
    for purpose in [Purpose::SignIn, Purpose::StepUp] {
        assert!(matches!(
            mfa.send_code(&c, M::Email, purpose, &out).await,
            Err(Error::VerificationFailed)
        ));
    }
    assert_eq!(out.count(), 0);
    assert_eq!(mfa.account_state(&u).await.unwrap().pending_challenges(), 0);
    // The budget is untouched: once the lock ends, five sends go through at 30 s apart.
    clock.advance(Duration::from_secs(3600));
    for _ in 0..5 {
        mfa.send_code(&c, M::Email, Purpose::SignIn, &out)
            .await
            .unwrap();
        clock.advance(Duration::from_secs(30));
    }
}

/// Item 22: a notifier error at the moment of lockout comes back to the caller.
#[tokio::test]
async fn a_notifier_error_at_lockout_is_reported() {
    let (mfa, n, clock) = service();
    let u = UserId::new("ana");
    for _ in 0..19 {
        let s = mfa.throttle_state(&u).await.unwrap();
        if let Some(t) = s.retry_after() {
            clock.set(t);
        }
        let r = mfa.begin_attempt(&u).await.unwrap();
        assert!(r.notify_error.is_none());
    }
    clock.set(mfa.throttle_state(&u).await.unwrap().retry_after().unwrap());
    n.set_failing(true);
    let r = mfa.begin_attempt(&u).await.unwrap();
    assert!(
        r.notify_error.is_some(),
        "the lockout's notifier error is reported"
    );
    assert_eq!(r.value.failures(), 20);
}

/// Item 22: when a wrong email code or recovery code locks the account, the lock
/// notification's failure is reported by the `_notified` forms.
#[tokio::test]
async fn a_notifier_error_when_a_wrong_code_locks_is_reported() {
    let t = ThrottleConfig::new(
        1,
        2,
        3,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(600),
    )
    .unwrap();
    let (mfa, n, clock) = service();
    let mfa = mfa.with_throttle(t);
    let c = crate::common::ana(&[]);
    let (ticket, code) = crate::common::email_code(&mfa, &c).await;
    let bad = wrong(code.expose());
    let first = mfa
        .verify_code_notified(c.user(), &ticket.id, &bad)
        .await
        .unwrap();
    assert!(matches!(first.value, Err(Error::VerificationFailed)));
    assert!(first.notify_error.is_none());
    clock.advance(Duration::from_secs(1));
    n.set_failing(true);
    let second = mfa
        .verify_code_notified(c.user(), &ticket.id, &bad)
        .await
        .unwrap();
    assert!(matches!(second.value, Err(Error::VerificationFailed)));
    assert!(second.notify_error.is_some(), "the lock's notifier error");
    assert_eq!(n.kinds(), [K::LockedOut { until: at(1 + 600) }]);

    // Recovery codes: the permanent lock at the third failure.
    clock.advance(Duration::from_secs(600));
    let r = mfa
        .use_recovery_code_notified(&c, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23")
        .await
        .unwrap();
    assert!(matches!(r.value, Err(Error::VerificationFailed)));
    assert!(r.notify_error.is_some());
    assert_eq!(n.kinds().last(), Some(&K::LockedPermanently));
}
