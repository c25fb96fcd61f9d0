//! The MFA status report for administrators (issue 19 item 6): keyset paging over
//! every account exactly once, and each account's factors, last use and lockout.

use std::collections::HashSet;
use std::time::Duration;

use tessera::mfa::{EmailAddress, ThrottleConfig};
use tessera::registry::SecurityKey;
use tessera::{
    Account, AccountParts, AccountStore, MAX_STATUS_PAGE, MfaMethod, MfaStatus, OrgPolicy,
    Password, SignIn, UnixTime, UserId,
};

use crate::common::{PASSWORD, World, setup_app};

async fn status_of(w: &World, username: &str) -> MfaStatus {
    let account = w
        .flows
        .account_store()
        .find_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .value;
    w.flows.mfa_status_of(&account).await.unwrap()
}

/// 2,500 accounts, stored out of order, in pages of 100: each exactly once, in id
/// order, 25 full pages and then an empty one that ends the walk.
#[tokio::test]
async fn paging_lists_every_account_exactly_once_in_order() {
    let w = World::new();
    let store = w.flows.account_store();
    let mut ids: Vec<String> = (0..2_500)
        .map(|i| format!("acct-{:05}", (i * 7_919) % 10_007))
        .collect();
    for id in &ids {
        let email = EmailAddress::parse(&format!("{id}@example.com")).unwrap();
        let parts = AccountParts::new(
            UserId::new(id.clone()),
            id.clone(),
            email,
            UnixTime::from_secs(1),
        );
        let account = Account::from_parts(parts).unwrap();
        store.create(&account).await.unwrap();
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut cursor: Option<UserId> = None;
    let mut pages = 0;
    loop {
        let page = w.flows.mfa_status_page(cursor.as_ref(), 100).await.unwrap();
        pages += 1;
        assert!(page.accounts.len() <= 100);
        seen.extend(page.accounts.iter().map(|s| s.account.as_str().to_owned()));
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), page.accounts.last().map(|s| &s.account));
                cursor = Some(next);
            }
            None => break,
        }
        assert!(pages <= 100, "the walk ends");
    }
    assert_eq!(pages, 26, "25 full pages, then an empty last one");
    assert_eq!(seen.len(), 2_500);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        2_500,
        "each once"
    );
    assert_eq!(seen, ids, "in id order");

    // A limit of 0 is one account, and a huge one is capped.
    assert_eq!(
        w.flows
            .mfa_status_page(None, 0)
            .await
            .unwrap()
            .accounts
            .len(),
        1
    );
    let big = w.flows.mfa_status_page(None, usize::MAX).await.unwrap();
    assert_eq!(big.accounts.len(), MAX_STATUS_PAGE);
    assert!(big.next.is_some());
}

#[tokio::test]
async fn an_account_without_mfa_shows_it_off() {
    let w = World::new();
    w.ana().await;
    let s = status_of(&w, "ana").await;
    assert!(!s.mfa_enabled);
    assert_eq!(s.preferred, None);
    assert_eq!((s.device_count(), s.recovery_codes_left), (0, 0));
    assert!(!s.is_federated() && s.password_enabled && !s.locked);
    assert_eq!(s.password_changed_at, None, "never changed since sign-up");
    assert_eq!(s.last_used_at, None);
    assert!(!s.sms);
    // Email codes are available under the default policy: the only "factor" it has.
    assert_eq!(
        s.factors(),
        [MfaMethod::Email]
            .into_iter()
            .filter(|_| s.email)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn an_account_with_an_app_shows_it_and_its_last_use() {
    let w = World::new();
    let ana = w.ana().await;
    let (app, _) = setup_app(&w.flows, &ana, "Phone", true).await;
    let s = status_of(&w, "ana").await;
    assert!(s.mfa_enabled);
    assert_eq!(s.preferred, Some(MfaMethod::AuthenticatorApp));
    assert_eq!(
        (s.authenticator_apps, s.hardware_tokens, s.security_keys),
        (1, 0, 0)
    );
    assert_eq!(s.recovery_codes_left, 10);
    assert!(
        s.factors()
            .starts_with(&[MfaMethod::AuthenticatorApp, MfaMethod::RecoveryCode])
    );
    w.sign_in_with_app("ana", &app).await;
    let s = status_of(&w, "ana").await;
    assert_eq!(s.last_used_at, Some(w.now()));
}

#[tokio::test]
async fn an_account_with_an_app_and_a_security_key_shows_both() {
    let w = World::new();
    let ana = w.ana().await;
    let _ = setup_app(&w.flows, &ana, "Phone", true).await;
    let key = SecurityKey::new(&[1; 32], &[2; 77], 0, [0; 16]).unwrap();
    w.flows
        .registry()
        .register_security_key(ana.account(), "Blue key", &key)
        .await
        .unwrap();
    let s = status_of(&w, "ana").await;
    assert_eq!(
        (s.authenticator_apps, s.security_keys, s.device_count()),
        (1, 1, 2)
    );
    assert_eq!(
        s.factors()[..3],
        [
            MfaMethod::SecurityKey,
            MfaMethod::AuthenticatorApp,
            MfaMethod::RecoveryCode
        ]
    );
}

#[tokio::test]
async fn a_locked_account_shows_locked_until_when() {
    let secs = Duration::from_secs;
    let throttle = ThrottleConfig::new(1, 3, 100, secs(1), secs(1), secs(3600)).unwrap();
    let w = World::with(OrgPolicy::default(), throttle);
    let ana = w.ana().await;
    let (app, _) = setup_app(&w.flows, &ana, "Phone", true).await;
    w.advance(30);
    let Ok(SignIn::SecondFactor(c)) = w.flows.sign_in("ana", &Password::new(PASSWORD), None).await
    else {
        panic!("expected a second factor");
    };
    let c = w
        .flows
        .start_second_factor(c, Some(MfaMethod::AuthenticatorApp))
        .await
        .unwrap();
    let wrong = app.wrong_code(w.now());
    for _ in 0..3 {
        w.clock.advance(secs(2));
        let _ = w.flows.finish_second_factor(&c, &wrong).await;
    }
    let s = status_of(&w, "ana").await;
    assert!(s.locked);
    let until = s.locked_until.expect("a timed lockout");
    assert!(until > w.now());
    w.clock.advance(secs(3601));
    let s = status_of(&w, "ana").await;
    assert!(!s.locked && s.locked_until.is_none(), "{s:?}");
}

#[tokio::test]
async fn a_federated_account_shows_its_provider_and_no_password() {
    let w = World::new();
    w.flows
        .create_federated_account("fed_user", "fed@example.com", "Okta")
        .await
        .unwrap();
    let s = status_of(&w, "fed_user").await;
    assert!(s.is_federated());
    assert_eq!(s.identity_provider.as_deref(), Some("Okta"));
    assert!(!s.password_enabled);
    assert!(!s.mfa_enabled);
    // No secret and no address in it.
    let shown = format!("{s:?}");
    assert!(!shown.contains("fed@example.com"), "{shown}");
}

/// Ana's temporary password, owed enrolment, tooling credentials and pending requests.
async fn lifecycle_of(w: &World) -> (bool, bool, usize, usize) {
    let s = status_of(w, "ana").await;
    (
        s.temporary_password,
        s.enrolment_required,
        s.tooling_credentials,
        s.pending_change_requests,
    )
}

/// The lifecycle's state shows too: a temporary password, an owed enrolment, tooling
/// credentials, pending change requests.
#[tokio::test]
async fn the_lifecycle_shows_in_the_status() {
    let w = World::new();
    let ana = w.ana().await;
    assert_eq!(lifecycle_of(&w).await, (false, false, 0, 0));
    let _ = w.flows.create_tooling_credential(&ana, "ci").await.unwrap();
    let _ = w
        .flows
        .request_factor_change(&ana, tessera::FactorChange::ResetMfa, "")
        .await
        .unwrap();
    let admin = tessera::AdminAction::new("root", "support call").unwrap();
    let _ = w
        .flows
        .issue_temporary_password(&admin, ana.account())
        .await
        .unwrap();
    let _ = w
        .flows
        .admin_reset_mfa(&admin, ana.account())
        .await
        .unwrap();
    assert_eq!(lifecycle_of(&w).await, (true, true, 1, 1));
}
