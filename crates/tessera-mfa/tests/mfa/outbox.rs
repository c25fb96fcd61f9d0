//! Item 12 of issue 12: notifications never sit on the answer's path when they go
//! through an `OutboxNotifier`; every event is delivered once, in order.

use std::sync::{Arc, Mutex};

use crate::common::clock;
use tessera_mfa::{
    Actor, MfaMethod as M, NotifyError, OrgPolicy, OutboxNotifier, SecurityEvent,
    SecurityEventKind as K, SecurityNotifier,
};
use tessera_registry::UserId;
use tokio::sync::Semaphore;

/// A notifier that blocks each delivery until the test releases it.
struct Gated {
    gate: Semaphore,
    delivered: Mutex<Vec<SecurityEvent>>,
}

impl SecurityNotifier for Gated {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        self.gate.acquire().await.unwrap().forget();
        self.delivered.lock().unwrap().push(event.clone());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_reuse_report_returns_before_delivery_and_every_event_arrives_once_in_order() {
    let (notifier, outbox) = OutboxNotifier::new(64).unwrap();
    let mfa = crate::common::mfa_with(notifier, clock(), OrgPolicy::default());
    let mailer = Arc::new(Gated {
        gate: Semaphore::new(0),
        delivered: Mutex::new(Vec::new()),
    });
    let drain = {
        let mailer = mailer.clone();
        tokio::spawn(async move {
            while let Some(e) = outbox.recv().await {
                mailer.notify(&e).await.unwrap();
            }
        })
    };

    let u = UserId::new("ana");
    let methods = [M::AuthenticatorApp, M::HardwareToken, M::Sms, M::Email];
    for m in methods {
        // Returns although the mailer cannot deliver anything yet.
        assert!(
            mfa.report_code_reuse(&u, m, Actor::AccountHolder)
                .await
                .is_none()
        );
    }
    let _ = mfa.unlock(&u, Actor::administrator("ops")).await.unwrap(); // nothing to unlock
    assert!(
        mailer.delivered.lock().unwrap().is_empty(),
        "nothing delivered yet"
    );

    // Release the mailer; close the outbox by dropping the service (its notifier).
    mailer.gate.add_permits(methods.len());
    drop(mfa);
    drain.await.unwrap();
    let delivered: Vec<_> = mailer
        .delivered
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.kind.clone())
        .collect();
    let expected: Vec<_> = methods
        .iter()
        .map(|&method| K::CodeReuseDetected { method })
        .collect();
    assert_eq!(delivered, expected, "each once, in order");
}

#[tokio::test]
async fn a_full_outbox_reports_instead_of_blocking() {
    let (notifier, outbox) = OutboxNotifier::new(2).unwrap();
    let mfa = crate::common::mfa_with(notifier, clock(), OrgPolicy::default());
    let u = UserId::new("ana");
    for _ in 0..2 {
        assert!(
            mfa.report_code_reuse(&u, M::Email, Actor::AccountHolder)
                .await
                .is_none()
        );
    }
    assert!(
        mfa.report_code_reuse(&u, M::Sms, Actor::AccountHolder)
            .await
            .is_some(),
        "the third event does not fit and is reported"
    );
    assert_eq!(outbox.len(), 2);
    assert!(outbox.try_recv().is_some());
    assert!(
        mfa.report_code_reuse(&u, M::Sms, Actor::AccountHolder)
            .await
            .is_none()
    );
    assert!(OutboxNotifier::new(0).is_err());
    drop(mfa);
    assert!(outbox.recv().await.is_some());
    assert!(outbox.recv().await.is_some());
    assert!(
        outbox.recv().await.is_none(),
        "closed once the notifier is gone"
    );
}

/// A slow mailer (20 ms a message) awaited directly, against the same mailer behind an
/// outbox: the figure is printed, not asserted (timing depends on the machine); the
/// assertion is on order: the outbox answer comes back before delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_outbox_takes_the_mailer_off_the_answer_path() {
    struct Slow;
    impl SecurityNotifier for Slow {
        async fn notify(&self, _: &SecurityEvent) -> Result<(), NotifyError> {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok(())
        }
    }
    let u = UserId::new("ana");
    let direct = crate::common::mfa_with(Slow, clock(), OrgPolicy::default());
    let t = std::time::Instant::now();
    let _ = direct
        .report_code_reuse(&u, M::AuthenticatorApp, Actor::AccountHolder)
        .await;
    let slow = t.elapsed();
    let (notifier, outbox) = OutboxNotifier::new(8).unwrap();
    let queued = crate::common::mfa_with(notifier, clock(), OrgPolicy::default());
    let t = std::time::Instant::now();
    let _ = queued
        .report_code_reuse(&u, M::AuthenticatorApp, Actor::AccountHolder)
        .await;
    let fast = t.elapsed();
    assert_eq!(outbox.len(), 1, "queued, not delivered");
    println!("code reuse report: slow mailer awaited {slow:?}, through the outbox {fast:?}");
}

fn event() -> SecurityEvent {
    SecurityEvent::new(
        UserId::new("ana"),
        tessera_otp::UnixTime::from_secs(1_700_000_000),
        Actor::System,
        K::MfaDisabled,
    )
}

/// A receiver waiting on an empty outbox wakes for the next event, and then for the end
/// (the last handle dropped, clones included), on a multi-thread runtime. The waits are
/// bounded only to turn a lost wake-up into a failure instead of a hung test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_receiver_wakes_for_an_event_and_for_the_end() {
    use std::time::Duration;
    let bound = Duration::from_secs(30);
    let (notifier, outbox) = OutboxNotifier::new(8).unwrap();
    let outbox = Arc::new(outbox);
    assert!(outbox.is_empty());
    let clone = notifier.clone();
    let waiting = {
        let outbox = outbox.clone();
        tokio::spawn(async move { outbox.recv().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await; // let it wait
    clone.notify(&event()).await.unwrap();
    let got = tokio::time::timeout(bound, waiting).await.unwrap().unwrap();
    assert_eq!(got.map(|e| e.kind), Some(K::MfaDisabled));
    // The original dropped: the clone still sends, so the outbox is not over.
    drop(notifier);
    clone.notify(&event()).await.unwrap();
    assert!(!outbox.is_empty());
    assert_eq!(outbox.len(), 1);
    assert!(outbox.recv().await.is_some());
    assert!(outbox.is_empty());
    let waiting = {
        let outbox = outbox.clone();
        tokio::spawn(async move { outbox.recv().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(clone);
    let end = tokio::time::timeout(bound, waiting).await.unwrap().unwrap();
    assert!(
        end.is_none(),
        "every handle dropped and nothing queued: the end"
    );
}
