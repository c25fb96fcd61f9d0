//! Issue 13, item 8: security events carry whom to tell, and times render for people.

use std::sync::Arc;

use crate::common::{T0, clock};
use tessera_mfa::{
    AccountContext, Actor, EmailAddress, EmailNotifier, OrgPolicy, RecordingNotifier,
    ThrottleConfig,
};
use tessera_registry::DeviceKind;

fn ana() -> AccountContext {
    crate::common::ana(&[DeviceKind::AuthenticatorApp]).with_display_name("Ana")
}

#[tokio::test]
async fn events_of_an_operation_given_a_context_carry_its_recipient() {
    let n = Arc::new(RecordingNotifier::new());
    let mfa = crate::common::mfa_with(n.clone(), clock(), OrgPolicy::default());
    let ctx = ana();
    let _ = mfa.enable(&ctx, None, Actor::AccountHolder).await.unwrap();
    // The operations that take an `Account` accept the context as well as a user id.
    let _ = mfa
        .password_changed(&ctx, Actor::AccountHolder)
        .await
        .unwrap();
    let _ = mfa
        .password_changed(ctx.user(), Actor::AccountHolder)
        .await
        .unwrap();
    let events = n.events();
    assert_eq!(events.len(), 3);
    for e in &events[..2] {
        let r = e.recipient.as_ref().expect("a context names the recipient");
        assert_eq!(
            r.email.as_ref().map(EmailAddress::as_str),
            Some("ana@example.com")
        );
        assert_eq!(r.name.as_deref(), Some("Ana"));
        assert_eq!(e.at.as_secs(), T0);
    }
    assert_eq!(events[2].recipient, None, "a bare user id names nobody");
}

#[tokio::test]
async fn a_lockout_email_names_the_person_and_the_time_in_utc() {
    let n = Arc::new(EmailNotifier::quiet());
    let throttle = ThrottleConfig::new(
        1,
        2,
        3,
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(600),
    )
    .unwrap();
    let c = clock();
    let mfa =
        crate::common::mfa_with(n.clone(), c.clone(), OrgPolicy::default()).with_throttle(throttle);
    let ctx = ana();
    drop(mfa.begin_attempt(&ctx).await.unwrap().into_value());
    c.advance(std::time::Duration::from_secs(1));
    drop(mfa.begin_attempt(&ctx).await.unwrap().into_value());
    let sent = n.sent();
    assert_eq!(sent.len(), 1);
    let email = &sent[0];
    assert_eq!(
        email.to.as_ref().map(EmailAddress::as_str),
        Some("ana@example.com")
    );
    // T0 + 1 s is 2023-11-14 22:13:21 UTC; the lock lasts 10 minutes.
    let lines: Vec<&str> = email.body.lines().collect();
    assert_eq!(lines[0], "Hello Ana,");
    assert_eq!(
        lines[2],
        "Too many failed sign-in attempts. Sign-in is locked until 2023-11-14 22:23 UTC."
    );
    assert_eq!(
        lines[4],
        "This change was made automatically on 2023-11-14 22:13 UTC."
    );
    assert!(!email.body.contains("Unix"), "{}", email.body);
}
