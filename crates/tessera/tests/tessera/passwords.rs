//! Creating accounts and changing passwords end to end.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.

use crate::common::{EMAIL, PASSWORD, World};
use tessera::mfa::ThrottleConfig;
use tessera::{
    AccountStore, Error, MfaMethod, OrgPolicy, Password, PasswordPolicy, SecurityEventKind as K,
    SessionRevoker, SignIn,
};

const NEW: &str = "violet tractor lemonade sunrise";

#[tokio::test]
async fn create_account_reports_every_violation_and_stores_a_phc_hash() {
    let w = World::new();
    let codes = rejected(
        w.flows
            .create_account("analima", "ana.lima@example.com", &Password::new("analima"))
            .await,
    );
    assert_eq!(codes, ["too_short", "contains_username", "contains_email"]);
    assert!(w.flows.account_store().is_empty(), "nothing stored");

    let account = w
        .flows
        .create_account(
            "  AnaLima ",
            "ana.lima@Example.COM",
            &Password::new(PASSWORD),
        )
        .await
        .unwrap();
    assert_eq!(account.username(), "analima");
    assert_eq!(w.flows.account_store().len(), 1);
    assert!(!w.flows.account_store().is_empty());
    assert_eq!(account.email().as_str(), "ana.lima@example.com");
    assert!(
        account
            .password_hash()
            .unwrap()
            .starts_with("$argon2id$v=19$")
    );
    assert!(!account.is_federated());
    assert_eq!(account.identity_provider(), None);
    assert_eq!(account.created_at(), w.now());
    // 28 characters: enough to be the only factor (NIST's 15).
    assert!(account.password_long_enough_alone());
    assert_eq!(account.security_stamp().get(), 0);
    let shown = format!("{account:?}");
    assert!(
        !shown.contains("argon2") && !shown.contains("ana.lima"),
        "{shown}"
    );
    assert!(
        shown.starts_with("Account {")
            && shown.contains("\"analima\"")
            && shown.contains("<redacted>"),
        "{shown}"
    );
    let parts = format!("{:?}", account.to_parts());
    assert!(
        parts.starts_with("AccountParts {") && parts.contains("\"analima\""),
        "{parts}"
    );
    assert!(
        !parts.contains("argon2") && !parts.contains("ana.lima"),
        "{parts}"
    );
    assert_eq!(
        w.flows.account(account.id()).await.unwrap().id(),
        account.id()
    );

    assert!(matches!(
        w.flows
            .create_account("ANALIMA", "other@example.com", &Password::new(PASSWORD))
            .await,
        Err(Error::UsernameTaken)
    ));
    assert!(matches!(
        w.flows
            .create_account("a b", EMAIL, &Password::new(PASSWORD))
            .await,
        Err(Error::InvalidUsername(_))
    ));
    assert!(matches!(
        w.flows
            .create_account("someone", "no-at-sign", &Password::new(PASSWORD))
            .await,
        Err(Error::Mfa(tessera::mfa::Error::InvalidEmail(_)))
    ));
}

#[tokio::test]
async fn the_store_is_compare_and_set() {
    let w = World::new();
    let ana = w.ana().await;
    let store = w.flows.account_store();
    let loaded = store.load(ana.account()).await.unwrap().unwrap();
    let v2 = store.save(&loaded).await.unwrap();
    assert!(v2 > loaded.version);
    assert!(matches!(
        store.save(&loaded).await,
        Err(tessera::StoreError::Conflict)
    ));
    assert!(matches!(
        store.create(&loaded.value).await,
        Err(tessera::StoreError::Duplicate)
    ));
    let by_name = store.find_by_username("ana").await.unwrap().unwrap();
    assert_eq!(by_name.version, v2);
    // What a store persists rebuilds the same account.
    let parts = loaded.value.to_parts();
    let rebuilt = tessera::Account::from_parts(parts).unwrap();
    assert_eq!(rebuilt.id(), loaded.value.id());
    assert_eq!(rebuilt.password_hash(), loaded.value.password_hash());
    let mut bad = loaded.value.to_parts();
    bad.username = "Not Canonical".into();
    assert!(tessera::Account::from_parts(bad).is_err());
}

#[tokio::test]
async fn change_password_ends_other_sessions_and_forgets_remembered_devices() {
    let w = World::new();
    let ana = w.ana().await;
    let _app = w.add_app(&ana, "Phone", true).await;
    w.advance(30);
    // A remembered device and an older session, which the change must end.
    let c = w.challenge("ana").await;
    let c = w.start(c, Some(MfaMethod::Email)).await;
    let a = w.finish_with_last_code(&c).await;
    let token = w.flows.remember_device(&a, "laptop").await.unwrap();
    w.events.clear();

    let (cur, new) = (Password::new(PASSWORD), Password::new(NEW));
    let change = w.flows.change_password(&a, &cur, &new, &new).await.unwrap();
    assert!(change.notify_error.is_none());
    assert_eq!(change.value.remembered_devices_revoked, 1);
    assert_eq!(
        w.events.kinds(),
        [K::RememberedDevicesRevoked, K::PasswordChanged]
    );
    let stored = w.flows.account(a.account()).await.unwrap();
    assert_eq!(stored.password_changed_at(), Some(w.now()));
    // Every older session ended; this one continues with the renewed assurance.
    for old in [&ana, &a] {
        assert!(matches!(
            w.flows.check_session(old).await,
            Err(Error::SessionRevoked)
        ));
    }
    w.flows
        .check_session(&change.value.assurance)
        .await
        .unwrap();
    assert_eq!(
        change.value.assurance.security_stamp(),
        stored.security_stamp()
    );

    // The old password fails, the new one works, the remembered device no longer skips.
    assert!(matches!(
        w.sign_in("ana", PASSWORD).await,
        Err(Error::VerificationFailed)
    ));
    let again = w.flows.sign_in("ana", &new, Some(&token)).await.unwrap();
    assert!(matches!(again, SignIn::SecondFactor(_)));
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session() {
    let w = World::new();
    let ana = w.ana().await;
    let other = match w.sign_in("ana", PASSWORD).await.unwrap() {
        SignIn::Complete(a) => a,
        s => panic!("{s:?}"),
    };
    w.sessions.open(ana.account(), w.now());
    w.sessions.open(ana.account(), w.now());
    let out = w
        .flows
        .sign_out_everywhere(&ana)
        .await
        .unwrap()
        .into_value();
    assert_eq!(out.sessions_deleted, Some(2));
    assert_eq!(w.sessions.open_sessions(ana.account()), 0);
    for old in [&ana, &other] {
        assert!(matches!(
            w.flows.check_session(old).await,
            Err(Error::SessionRevoked)
        ));
        // A stale session can change nothing.
        assert!(matches!(
            w.flows.start_authenticator_setup(old, "Phone").await,
            Err(Error::SessionRevoked)
        ));
    }
    w.flows.check_session(&out.assurance).await.unwrap();
    // The stamp a store keeps moved on by one.
    assert_eq!(
        w.flows
            .account(ana.account())
            .await
            .unwrap()
            .security_stamp()
            .get(),
        1
    );
}

#[tokio::test]
async fn without_session_records_sign_out_everywhere_deletes_none_and_still_ends_them() {
    // Built with no session store: the stamp alone ends the sessions, and the count of
    // deleted records is an honest zero.
    let flows = crate::common::bare_builder()
        .build_in_memory(tessera::ManualClock::new(tessera::UnixTime::from_secs(
            crate::common::T0,
        )))
        .unwrap();
    let ana = crate::common::signed_up(&flows, "ana", EMAIL).await;
    let out = flows.sign_out_everywhere(&ana).await.unwrap().into_value();
    assert_eq!(out.sessions_deleted, Some(0));
    assert!(matches!(
        flows.check_session(&ana).await,
        Err(Error::SessionRevoked)
    ));
}

#[tokio::test]
async fn changing_to_the_same_password_is_refused_by_default() {
    let w = World::new();
    let ana = w.ana().await;
    let cur = Password::new(PASSWORD);
    let codes = rejected(w.flows.change_password(&ana, &cur, &cur, &cur).await);
    assert_eq!(codes, ["same_as_current"]);
}

#[tokio::test]
async fn change_password_refusals() {
    let w = World::new();
    let ana = w.ana().await;
    let (cur, new) = (Password::new(PASSWORD), Password::new(NEW));
    // The current password is required, and a wrong one is the opaque failure.
    assert!(matches!(
        w.flows
            .change_password(&ana, &Password::new("guess"), &new, &new)
            .await,
        Err(Error::VerificationFailed)
    ));
    // Policy and confirmation problems are listed together.
    let short = Password::new("ana");
    let codes = rejected(w.flows.change_password(&ana, &cur, &short, &new).await);
    // "ana" is also the username (short usernames count as context words too).
    assert_eq!(
        codes,
        [
            "too_short",
            "contains_username",
            "contains_email",
            "confirmation_mismatch"
        ]
    );
    assert!(w.events.kinds().is_empty(), "nothing changed, nobody told");
    assert_eq!(
        w.flows
            .account(ana.account())
            .await
            .unwrap()
            .password_changed_at(),
        None
    );
}

#[tokio::test]
async fn history_refuses_recent_passwords() {
    let w = World::new();
    let policy = PasswordPolicy::builder().history(2).build().unwrap();
    let w = World {
        flows: w.flows.with_password_policy(policy),
        ..w
    };
    assert_eq!(w.flows.password_policy().history(), 2);
    assert_ne!(PasswordPolicy::default().history(), 2);
    let ana = w.ana().await;
    let (p1, p2) = (Password::new(PASSWORD), Password::new(NEW));
    assert_eq!(
        rejected(w.flows.change_password(&ana, &p1, &p1, &p1).await),
        ["same_as_current"]
    );
    let ana = w
        .flows
        .change_password(&ana, &p1, &p2, &p2)
        .await
        .unwrap()
        .into_value()
        .assurance;
    assert_eq!(
        rejected(w.flows.change_password(&ana, &p2, &p1, &p1).await),
        ["reused"]
    );
    assert_eq!(
        w.flows
            .account(ana.account())
            .await
            .unwrap()
            .password_history()
            .len(),
        2
    );
}

#[tokio::test]
async fn identity_provider_accounts_have_no_password_here() {
    let w = World::with(OrgPolicy::default(), ThrottleConfig::DEFAULT);
    let fed = w
        .flows
        .create_federated_account("fed_user", "fed@example.com", "Okta")
        .await
        .unwrap();
    assert!(fed.is_federated());
    assert_eq!(fed.identity_provider(), Some("Okta"));
    assert_eq!(fed.password_hash(), None);
    assert!(matches!(
        w.sign_in("fed_user", "").await,
        Err(Error::VerificationFailed)
    ));
    assert_eq!(w.sessions.revoke_all(fed.id()).await.unwrap(), 0);
}

#[tokio::test]
async fn a_history_turned_on_later_still_refuses_the_current_password() {
    let w = World::new();
    let ana = w.ana().await;
    assert!(
        w.flows
            .account(ana.account())
            .await
            .unwrap()
            .password_history()
            .is_empty()
    );
    let policy = PasswordPolicy::builder().history(5).build().unwrap();
    let w = World {
        flows: w.flows.with_password_policy(policy),
        ..w
    };
    let cur = Password::new(PASSWORD);
    assert_eq!(
        rejected(w.flows.change_password(&ana, &cur, &cur, &cur).await),
        ["same_as_current"]
    );
}

#[tokio::test]
async fn sign_in_upgrades_a_hash_made_with_weaker_parameters() {
    let w = World::new();
    let ana = w.ana().await;
    let before = w.flows.account(ana.account()).await.unwrap();
    assert!(before.password_hash().unwrap().contains("m=19456,t=2,p=1"));
    let stronger = tessera::Hasher::new(tessera::HashParams::new(19 * 1024, 3, 1).unwrap());
    let w = World {
        flows: w.flows.with_hasher(stronger),
        ..w
    };
    assert!(matches!(
        w.sign_in("ana", PASSWORD).await.unwrap(),
        SignIn::Complete(_)
    ));
    let after = w.flows.account(ana.account()).await.unwrap();
    assert!(after.password_hash().unwrap().contains("m=19456,t=3,p=1"));
    assert!(matches!(
        w.sign_in("ana", PASSWORD).await.unwrap(),
        SignIn::Complete(_)
    ));
}

/// The account store conformance suite, against the in-memory store and through the
/// chaos wrapper (latency on every call), on a multi-thread runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_account_stores_pass_the_conformance_suite() {
    use tessera::testing::{ChaosAccountStore, Faults, run_account_store_conformance};
    let memory = tessera::InMemoryAccountStore::new();
    run_account_store_conformance(&memory).await;
    run_account_store_conformance(&memory).await; // again, over its own earlier data
    let faults = Faults::new();
    faults.set_latency(
        std::time::Duration::from_micros(100),
        std::time::Duration::from_millis(1),
    );
    let chaos = ChaosAccountStore::new(tessera::InMemoryAccountStore::new(), faults);
    run_account_store_conformance(&chaos).await;
}

/// A store that ignores the expected version (last write wins) or forgets a field: the
/// suite must notice.
#[tokio::test]
#[should_panic(expected = "expected Conflict")]
async fn the_conformance_suite_catches_a_store_without_compare_and_set() {
    use tessera::testing::{ChaosAccountStore, Flaw, run_account_store_conformance};
    let lax = ChaosAccountStore::flawed(tessera::InMemoryAccountStore::new(), Flaw::LastWriteWins);
    run_account_store_conformance(&lax).await;
}

#[tokio::test]
#[should_panic(expected = "must read back")]
async fn the_conformance_suite_catches_a_store_that_forgets_the_lifecycle() {
    use tessera::testing::{ChaosAccountStore, Flaw, run_account_store_conformance};
    let lossy =
        ChaosAccountStore::flawed(tessera::InMemoryAccountStore::new(), Flaw::ForgetsLifecycle);
    run_account_store_conformance(&lossy).await;
}

/// Issue 13, item 8: the security events of the flows carry whom to tell (the account's
/// address), so a notifier can write the email without a lookup: the password change,
/// "sign out everywhere", and a lockout reached through wrong passwords.
#[tokio::test]
async fn security_events_carry_the_account_s_address() {
    let w = World::new();
    let ana = w.ana().await;
    let new = Password::new("violet tractor lemonade sunrise");
    let ana = w
        .flows
        .change_password(&ana, &Password::new(PASSWORD), &new, &new)
        .await
        .unwrap()
        .into_value()
        .assurance;
    let _ = w.flows.sign_out_everywhere(&ana).await.unwrap();
    for _ in 0..25 {
        w.advance(3_600);
        let _ = w.sign_in("ana", "wrong wrong wrong wrong").await;
    }
    let events = w.events.events();
    assert!(events.len() >= 3, "{events:?}");
    for e in &events {
        let to = e.recipient.as_ref().and_then(|r| r.email.as_ref());
        assert_eq!(to.map(|a| a.as_str()), Some(EMAIL), "{e:?}");
    }
    let kinds = w.events.kinds();
    assert!(
        kinds.contains(&tessera::SecurityEventKind::PasswordChanged),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|k| matches!(k, tessera::SecurityEventKind::LockedOut { .. })),
        "the lockout notice is among them: {kinds:?}"
    );
}

/// The violation codes of a password the flows rejected.
fn rejected<T: std::fmt::Debug>(result: tessera::Result<T>) -> Vec<&'static str> {
    match result {
        Err(Error::PasswordRejected(v)) => v.codes(),
        other => panic!("expected violations, got {other:?}"),
    }
}

#[tokio::test]
async fn confirming_the_password_renews_its_time_and_keeps_the_factors() {
    let w = World::new();
    let ana = w.ana().await;
    w.advance(60);
    let renewed = w
        .flows
        .confirm_password(&ana, &Password::new(PASSWORD))
        .await
        .unwrap();
    assert_eq!(renewed.authenticated_at(), w.now());
    assert_eq!(
        renewed.factors(),
        [tessera::Factor::Password],
        "listed once"
    );
    assert!(matches!(
        w.flows
            .confirm_password(&ana, &Password::new("not the password"))
            .await,
        Err(Error::VerificationFailed)
    ));
}
