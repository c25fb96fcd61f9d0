//! Issue 19: password reset (never around MFA), temporary passwords, the administrator's
//! MFA reset — each with the attack on it.

use tessera::mfa::{Purpose, SecurityEventKind};
use tessera::testing::AuditLog;
use tessera::{AdminAction, Error, MfaMethod, Password, ResetStep, SignIn};

use crate::common::{EMAIL, PASSWORD, World, signed_up};

const NEW: &str = "a brand new passphrase for ana";

fn admin() -> AdminAction {
    AdminAction::new(
        "root@example.com",
        "ticket 4711: lost phone, identity checked",
    )
    .unwrap()
}

impl World {
    /// Starts a reset for "ana" and checks the emailed code.
    async fn reset_step(&self) -> ResetStep {
        let reset = self.flows.start_password_reset("ana").await.unwrap();
        self.flows
            .verify_password_reset(reset, &self.last_code())
            .await
            .unwrap()
    }

    /// A temporary password for `user`, issued by [`admin`].
    async fn temporary(&self, user: &tessera::UserId) -> Password {
        self.flows
            .issue_temporary_password(&admin(), user)
            .await
            .unwrap()
            .into_value()
    }

    /// Signs "ana" in with `temporary`, which admits only the change.
    async fn change_required(&self, temporary: &Password) -> tessera::PasswordChangeSession {
        match self.sign_in("ana", temporary.expose()).await.unwrap() {
            SignIn::PasswordChangeRequired(session) => session,
            other => panic!("a temporary password admits only the change, got {other:?}"),
        }
    }

    async fn signs_in_with(&self, password: &str) -> bool {
        self.sign_in("ana", password).await.is_ok()
    }
}

fn pw(s: &str) -> Password {
    Password::new(s)
}

#[tokio::test]
async fn a_reset_with_mfa_off_emails_a_code_and_ends_every_session() {
    let w = World::new();
    let before = w.ana().await;
    let reset = w.flows.start_password_reset("ANA").await.unwrap();
    let sent = w.outbox.drain();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].purpose, Purpose::PasswordReset);
    assert!(
        matches!(&sent[0].destination, tessera::mfa::Destination::Email(e) if e.as_str() == EMAIL)
    );
    // 15 minutes by default.
    assert_eq!(
        reset.expires_at(),
        w.now().saturating_add(tessera::mfa::DEFAULT_RESET_TTL)
    );
    let code = sent[0].code.expose().to_owned();
    let ResetStep::NewPassword(session) =
        w.flows.verify_password_reset(reset, &code).await.unwrap()
    else {
        panic!("MFA is off: the new password comes next")
    };
    assert_eq!(session.second_factor(), None);
    // Ten minutes to choose the new password.
    assert_eq!(
        session.expires_at(),
        w.now().saturating_add(tessera::SECOND_FACTOR_TTL)
    );
    let done = w
        .flows
        .finish_password_reset(session.clone(), &pw(NEW), &pw(NEW))
        .await
        .unwrap();
    assert!(done.notify_error.is_none());
    assert!(!w.signs_in_with(PASSWORD).await);
    assert!(w.signs_in_with(NEW).await);
    assert!(matches!(
        w.flows.check_session(&before).await,
        Err(Error::SessionRevoked)
    ));
    // Used once: the same session again is refused.
    assert!(matches!(
        w.flows
            .finish_password_reset(
                session,
                &pw("yet another long passphrase"),
                &pw("yet another long passphrase")
            )
            .await,
        Err(Error::SessionRevoked)
    ));
    let kinds: Vec<_> = w.events.drain().into_iter().map(|e| e.kind).collect();
    assert!(
        kinds.contains(&SecurityEventKind::PasswordChanged),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_reset_answers_the_same_for_unknown_and_federated_accounts_and_sends_nothing() {
    let w = World::new();
    w.ana().await;
    w.flows
        .create_federated_account("fed", "fed@example.com", "okta")
        .await
        .unwrap();
    for name in ["nobody", "fed", "not a valid name!", ""] {
        let reset = w.flows.start_password_reset(name).await.unwrap();
        assert_eq!(
            reset.expires_at(),
            w.now().saturating_add(tessera::mfa::DEFAULT_RESET_TTL)
        );
        assert!(w.outbox.drain().is_empty(), "{name}");
        // No code verifies it; every one is the opaque failure.
        for code in ["000000", "123456"] {
            assert!(matches!(
                w.flows.verify_password_reset(reset.clone(), code).await,
                Err(Error::VerificationFailed)
            ));
        }
    }
}

#[tokio::test]
async fn a_reset_code_is_single_use_expires_and_counts_wrong_guesses() {
    let w = World::new();
    w.ana().await;
    let reset = w.flows.start_password_reset("ana").await.unwrap();
    let code = w.last_code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        w.flows.verify_password_reset(reset.clone(), wrong).await,
        Err(Error::VerificationFailed)
    ));
    assert!(
        w.flows
            .verify_password_reset(reset.clone(), &code)
            .await
            .is_ok()
    );
    assert!(matches!(
        w.flows.verify_password_reset(reset, &code).await,
        Err(Error::VerificationFailed)
    ));
    // A fresh one dies at its expiry instant.
    let reset = w.flows.start_password_reset("ana").await.unwrap();
    let code = w.last_code();
    w.advance(15 * 60);
    assert!(matches!(
        w.flows.verify_password_reset(reset, &code).await,
        Err(Error::VerificationFailed)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_code_raced_32_ways_is_used_once() {
    let w = World::new();
    w.ana().await;
    let reset = w.flows.start_password_reset("ana").await.unwrap();
    let code = w.last_code();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (flows, reset, code) = (w.flows.clone(), reset.clone(), code.clone());
            tokio::spawn(async move { flows.verify_password_reset(reset, &code).await })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(e) => assert!(e.is_verification_failed() || e.is_conflict(), "{e:?}"),
        }
    }
    assert_eq!(accepted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_session_raced_32_ways_sets_one_password() {
    let w = World::new();
    w.ana().await;
    let ResetStep::NewPassword(session) = w.reset_step().await else {
        panic!("MFA is off")
    };
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (flows, session) = (w.flows.clone(), session.clone());
            tokio::spawn(async move {
                let p = pw(&format!("racing passphrase number {i:02} here"));
                flows
                    .finish_password_reset(session, &p, &p)
                    .await
                    .map(|_| i)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(i) => winners.push(i),
            Err(e) => assert!(
                matches!(e, Error::SessionRevoked) || e.is_conflict(),
                "{e:?}"
            ),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = format!("racing passphrase number {:02} here", winners[0]);
    assert!(w.signs_in_with(&winner).await);
}

#[tokio::test]
async fn with_mfa_on_a_reset_needs_a_second_factor_other_than_email() {
    let w = World::new();
    let ana = w.ana().await;
    let app = w.add_app(&ana, "phone", true).await;
    let ResetStep::SecondFactor(challenge) = w.reset_step().await else {
        panic!("MFA is on: no new password without a second factor")
    };
    assert!(!challenge.available().contains(&MfaMethod::Email));
    assert_eq!(challenge.primary(), Some(MfaMethod::AuthenticatorApp));
    assert!(matches!(
        w.flows
            .start_second_factor(challenge.clone(), Some(MfaMethod::Email))
            .await,
        Err(Error::MethodNotOffered(MfaMethod::Email))
    ));
    let challenge = w.start(challenge, None).await;
    // A reset's challenge never becomes a signed-in assurance.
    w.advance(30);
    assert!(matches!(
        w.flows
            .finish_second_factor(&challenge, &app.code(w.now()))
            .await,
        Err(Error::ResetChallenge)
    ));
    assert!(matches!(
        w.flows
            .finish_reset_second_factor(&challenge, &app.wrong_code(w.now()))
            .await,
        Err(Error::VerificationFailed)
    ));
    let session = w
        .flows
        .finish_reset_second_factor(&challenge, &app.code(w.now()))
        .await
        .unwrap();
    assert_eq!(session.second_factor(), Some(MfaMethod::AuthenticatorApp));
    let done = w
        .flows
        .finish_password_reset(session, &pw(NEW), &pw(NEW))
        .await
        .unwrap();
    assert_eq!(done.value.remembered_devices_revoked, 0);
    // MFA stays on: the new password leads to the second factor.
    assert!(matches!(
        w.sign_in("ana", NEW).await.unwrap(),
        SignIn::SecondFactor(_)
    ));
}

#[tokio::test]
async fn a_sign_in_challenge_is_not_a_reset_and_a_reset_begun_without_mfa_cannot_finish_with_it() {
    let w = World::new();
    let ana = w.ana().await;
    let ResetStep::NewPassword(session) = w.reset_step().await else {
        panic!("MFA is off")
    };
    // MFA comes on (another session) before the new password is chosen.
    let app = w.add_app(&ana, "phone", true).await;
    assert!(matches!(
        w.flows
            .finish_password_reset(session, &pw(NEW), &pw(NEW))
            .await,
        Err(Error::SessionRevoked)
    ));
    assert!(w.signs_in_with(PASSWORD).await);
    // A sign-in's challenge finished at the reset's step: refused.
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    w.advance(30);
    assert!(matches!(
        w.flows
            .finish_reset_second_factor(&c, &app.code(w.now()))
            .await,
        Err(Error::VerificationFailed)
    ));
}

#[tokio::test]
async fn a_reset_may_use_a_recovery_code() {
    let w = World::new();
    let ana = w.ana().await;
    let (_app, added) = crate::common::setup_app(&w.flows, &ana, "phone", true).await;
    let codes = added.value.recovery_codes.unwrap();
    let ResetStep::SecondFactor(challenge) = w.reset_step().await else {
        panic!("MFA is on")
    };
    assert!(challenge.available().contains(&MfaMethod::RecoveryCode));
    let challenge = w.start(challenge, Some(MfaMethod::RecoveryCode)).await;
    let session = w
        .flows
        .finish_reset_second_factor(&challenge, &codes.codes()[0].formatted())
        .await
        .unwrap();
    assert_eq!(session.second_factor(), Some(MfaMethod::RecoveryCode));
}

#[tokio::test]
async fn a_temporary_password_admits_only_the_change_and_expires() {
    let log = AuditLog::install().unwrap();
    let w = World::new();
    let before = w.ana().await;
    let user = before.account().clone();
    let temporary = w.temporary(&user).await;
    assert_eq!(temporary.expose().len(), tessera::TEMPORARY_PASSWORD_LEN);
    assert!(!format!("{temporary:?}").contains(temporary.expose()));
    assert!(matches!(
        w.flows.check_session(&before).await,
        Err(Error::SessionRevoked)
    ));
    assert!(!w.signs_in_with(PASSWORD).await);
    let events = w.events.drain();
    assert!(
        events
            .iter()
            .any(|e| e.kind == SecurityEventKind::PasswordChanged
                && e.actor == tessera::mfa::Actor::administrator("root@example.com"))
    );
    assert_eq!(
        log.for_account(&user)
            .iter()
            .filter(|e| e.event == "temporary_password_issued"
                && e.actor.as_deref() == Some("root@example.com")
                && e.reason.as_deref() == Some("ticket 4711: lost phone, identity checked"))
            .count(),
        1
    );

    let session = w.change_required(&temporary).await;
    // Not the temporary password itself, nor a weak one.
    assert!(matches!(
        w.flows
            .finish_required_password_change(session.clone(), &temporary, &temporary)
            .await,
        Err(Error::PasswordRejected(_))
    ));
    assert!(matches!(
        w.flows
            .finish_required_password_change(session.clone(), &pw("password1"), &pw("password1"))
            .await,
        Err(Error::PasswordRejected(_))
    ));
    let SignIn::Complete(signed_in) = w
        .flows
        .finish_required_password_change(session.clone(), &pw(NEW), &pw(NEW))
        .await
        .unwrap()
    else {
        panic!("MFA is off: the change completes the sign-in")
    };
    w.flows.check_session(&signed_in).await.unwrap();
    // Once: the session is spent and the temporary password gone.
    assert!(matches!(
        w.flows
            .finish_required_password_change(session, &pw(NEW), &pw(NEW))
            .await,
        Err(Error::SessionRevoked)
    ));
    assert!(!w.signs_in_with(temporary.expose()).await);
    assert!(matches!(
        w.sign_in("ana", NEW).await.unwrap(),
        SignIn::Complete(_)
    ));
}

#[tokio::test]
async fn a_temporary_password_stops_working_after_24_hours() {
    let w = World::new();
    let user = w.ana().await.account().clone();
    assert_eq!(
        w.flows.account(&user).await.unwrap().lifecycle(),
        &tessera::AccountLifecycle::default()
    );
    let temporary = w.temporary(&user).await;
    assert_eq!(
        w.flows
            .account(&user)
            .await
            .unwrap()
            .lifecycle()
            .temporary_password_expires_at,
        Some(
            w.now()
                .saturating_add(std::time::Duration::from_secs(24 * 3600))
        )
    );
    w.advance(24 * 3600 - 1);
    let session = w.change_required(&temporary).await;
    w.advance(1);
    assert!(matches!(
        w.sign_in("ana", temporary.expose()).await,
        Err(Error::VerificationFailed)
    ));
    assert!(matches!(
        w.flows
            .finish_required_password_change(session, &pw(NEW), &pw(NEW))
            .await,
        Err(Error::VerificationFailed)
    ));
}

#[tokio::test]
async fn the_required_change_session_lasts_ten_minutes() {
    let w = World::new();
    let user = w.ana().await.account().clone();
    let temporary = w.temporary(&user).await;
    let session = w.change_required(&temporary).await;
    assert_eq!(session.authenticated_at(), w.now());
    let end = w.now().saturating_add(tessera::SECOND_FACTOR_TTL);
    assert_eq!(session.expires_at(), end);
    // At its end the session is over; one second before, the change goes through.
    w.advance(tessera::SECOND_FACTOR_TTL.as_secs());
    assert!(
        w.flows
            .finish_required_password_change(session, &pw(NEW), &pw(NEW))
            .await
            .is_err()
    );
    let session = w.change_required(&temporary).await;
    w.advance(tessera::SECOND_FACTOR_TTL.as_secs() - 1);
    assert!(matches!(
        w.flows
            .finish_required_password_change(session, &pw(NEW), &pw(NEW))
            .await
            .unwrap(),
        SignIn::Complete(_)
    ));
}

#[tokio::test]
async fn with_mfa_on_the_required_change_leads_to_the_second_factor() {
    let w = World::new();
    let ana = w.ana().await;
    let app = w.add_app(&ana, "phone", true).await;
    let temporary = w.temporary(ana.account()).await;
    let session = w.change_required(&temporary).await;
    let SignIn::SecondFactor(c) = w
        .flows
        .finish_required_password_change(session, &pw(NEW), &pw(NEW))
        .await
        .unwrap()
    else {
        panic!("then the second factor")
    };
    let c = w.start(c, None).await;
    w.advance(30);
    w.flows
        .finish_second_factor(&c, &app.code(w.now()))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_administrator_mfa_reset_voids_every_factor_and_requires_enrolment() {
    let log = AuditLog::install().unwrap();
    let w = World::new();
    let ana = w.ana().await;
    let (app, added) = crate::common::setup_app(&w.flows, &ana, "phone", true).await;
    let codes = added.value.recovery_codes.unwrap();
    let signed_in = w.sign_in_with_app("ana", &app).await;
    let user = ana.account().clone();
    w.events.drain();

    let by_holder = log.security_events(&user, "mfa_enabled");
    assert_eq!(by_holder.len(), 1, "{by_holder:?}");
    assert_eq!(
        (by_holder[0].by.as_deref(), by_holder[0].actor.as_deref()),
        (Some("account_holder"), None)
    );

    let reset = w.flows.admin_reset_mfa(&admin(), &user).await.unwrap();
    let by_admin = log.security_events(&user, "mfa_reset");
    assert_eq!(by_admin.len(), 1, "{by_admin:?}");
    assert_eq!(
        (by_admin[0].by.as_deref(), by_admin[0].actor.as_deref()),
        (Some("administrator"), Some("root@example.com"))
    );
    assert_eq!(reset.value.devices_removed, 1);
    assert!(matches!(
        w.flows.check_session(&signed_in).await,
        Err(Error::SessionRevoked)
    ));
    assert!(w.flows.registry().list(&user).await.unwrap().is_empty());
    assert_eq!(
        w.flows.mfa().recovery_codes_remaining(&user).await.unwrap(),
        0
    );
    let events = w.events.drain();
    assert!(events.iter().any(|e| e.kind
        == SecurityEventKind::MfaReset {
            by: "root@example.com".into()
        }));
    assert_eq!(
        log.count(
            &user,
            "mfa_reset",
            Some("ticket 4711: lost phone, identity checked")
        ),
        1
    );

    // The next sign-in may only set up a factor, though the policy does not require MFA.
    let SignIn::EnrolmentRequired(enrolment) = w.sign_in("ana", PASSWORD).await.unwrap() else {
        panic!("an MFA reset owes an enrolment")
    };
    // Finishing with nothing set up: still owed.
    assert!(matches!(
        w.flows.finish_enrolment(enrolment.clone()).await.unwrap(),
        SignIn::EnrolmentRequired(_)
    ));
    // Old recovery codes and the old app are dead.
    let _ = codes;
    let (new_app, added) = crate::common::setup_app(&w.flows, &enrolment, "new phone", true).await;
    assert!(added.value.signed_in.is_some());
    // Enrolled: the owed enrolment is cleared, the next sign-in asks for the new app.
    w.advance(30);
    let c = w.challenge("ana").await;
    let c = w.start(c, None).await;
    assert!(matches!(
        w.flows.finish_second_factor(&c, &app.code(w.now())).await,
        Err(Error::VerificationFailed)
    ));
    let signed_in = w
        .flows
        .finish_second_factor(&c, &new_app.code(w.now()))
        .await
        .unwrap();
    // Nothing is owed any more: with MFA turned off, the password alone signs in.
    let off = w.flows.disable_mfa(&signed_in, None).await.unwrap();
    assert!(!off.value.value.enabled());
    assert!(matches!(
        w.sign_in("ana", PASSWORD).await.unwrap(),
        SignIn::Complete(_)
    ));
}

#[tokio::test]
async fn administrator_actions_refuse_federated_accounts_and_unknown_ids() {
    let w = World::new();
    let fed = w
        .flows
        .create_federated_account("fed", "fed@example.com", "okta")
        .await
        .unwrap();
    assert!(matches!(
        w.flows.issue_temporary_password(&admin(), fed.id()).await,
        Err(Error::ManagedByIdentityProvider { .. })
    ));
    assert!(matches!(
        w.flows.admin_reset_mfa(&admin(), fed.id()).await,
        Err(Error::ManagedByIdentityProvider { .. })
    ));
    let nobody = tessera::UserId::new("no-such-account");
    assert!(matches!(
        w.flows.admin_reset_mfa(&admin(), &nobody).await,
        Err(Error::AccountNotFound)
    ));
    // A second account is untouched by the first one's reset.
    let bo = signed_up(&w.flows, "bob", "bob@example.com").await;
    let ana = w.ana().await;
    let reset = w
        .flows
        .admin_reset_mfa(&admin(), ana.account())
        .await
        .unwrap();
    assert_eq!(reset.value.devices_removed, 0);
    w.flows.check_session(&bo).await.unwrap();
}

/// Issue 19 item 8: a lockout reaches the audit stream as a `security_event` with its
/// kind, besides the notifier; no secret in any event.
#[tokio::test]
async fn lockouts_and_other_notices_are_audit_events() {
    use std::time::Duration;
    let log = AuditLog::install().unwrap();
    let s = Duration::from_secs;
    let throttle = tessera::mfa::ThrottleConfig::new(1, 2, 100, s(1), s(1), s(3600)).unwrap();
    let w = World::with(tessera::OrgPolicy::default(), throttle);
    let user = w.ana().await.account().clone();
    for _ in 0..2 {
        w.advance(2);
        assert!(w.sign_in("ana", "wrong wrong wrong wrong").await.is_err());
    }
    let events = log.for_account(&user);
    let locked: Vec<_> = events
        .iter()
        .filter(|e| e.event == "security_event" && e.kind.as_deref() == Some("locked_out"))
        .collect();
    assert_eq!(locked.len(), 1, "{events:?}");
    assert_eq!(locked[0].by.as_deref(), Some("system"), "{events:?}");
    // A reset asked for while the account is locked sends nothing, and says why.
    let sent = w.outbox.count();
    let _decoy = w.flows.start_password_reset("ana").await.unwrap();
    assert_eq!(w.outbox.count(), sent);
    let not_sent = log.named(&user, "password_reset_not_sent");
    assert_eq!(not_sent.len(), 1, "{not_sent:?}");
    assert_eq!(not_sent[0].reason.as_deref(), Some("throttled"));
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event == "sign_in_failed" && e.reason.as_deref() == Some("wrong_password"))
            .count(),
        2
    );
    for e in &events {
        let shown = format!("{e:?}");
        assert!(
            !shown.contains("wrong wrong") && !shown.contains(PASSWORD),
            "{shown}"
        );
    }
}

/// With email as the only second factor (recovery codes not allowed by the organisation),
/// a reset has nothing to ask for besides the inbox it already used: refused, and the
/// password is unchanged.
#[tokio::test]
async fn a_reset_with_email_as_the_only_second_factor_is_refused() {
    let policy = tessera::OrgPolicy::builder()
        .disallow(MfaMethod::RecoveryCode)
        .build()
        .unwrap();
    let w = World::with(policy, tessera::mfa::ThrottleConfig::DEFAULT);
    let ana = w.ana().await;
    let _ = w
        .flows
        .enable_mfa(&ana, Some(MfaMethod::Email))
        .await
        .unwrap();
    let reset = w.flows.start_password_reset("ana").await.unwrap();
    assert!(matches!(
        w.flows.verify_password_reset(reset, &w.last_code()).await,
        Err(Error::NoSecondFactorForReset)
    ));
    assert!(w.signs_in_with(PASSWORD).await);
}

#[test]
fn a_temporary_password_may_work_ten_minutes_to_seven_days() {
    use std::time::Duration;
    assert_eq!(
        tessera::MIN_TEMPORARY_PASSWORD_TTL,
        Duration::from_secs(600)
    );
    assert_eq!(
        tessera::MAX_TEMPORARY_PASSWORD_TTL,
        Duration::from_secs(604_800)
    );
    for (secs, ok) in [(599, false), (600, true), (604_800, true), (604_801, false)] {
        let built = crate::common::bare_builder()
            .temporary_password_ttl(Duration::from_secs(secs))
            .build_in_memory(tessera::ManualClock::new(tessera::UnixTime::EPOCH));
        assert_eq!(built.is_ok(), ok, "{secs} s");
    }
}

/// A reset kept in a session that was written to: pointed at a sign-in code's
/// challenge, the right sign-in code still does not reset the password.
#[cfg(feature = "session-state")]
#[tokio::test]
async fn a_reset_pointed_at_a_sign_in_code_is_refused() {
    let w = World::new();
    let challenge = w.ana_at_an_email_code().await;
    let ticket = serde_json::to_value(challenge.ticket().unwrap().id).unwrap();
    let code = w.last_code();
    w.advance(30);
    let reset = w.flows.start_password_reset("ana").await.unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&reset).unwrap();
    json["challenge"] = ticket;
    let edited: tessera::PasswordReset = serde_json::from_value(json).unwrap();
    assert!(matches!(
        w.flows.verify_password_reset(edited, &code).await,
        Err(Error::VerificationFailed)
    ));
    assert!(w.signs_in_with(PASSWORD).await);
}

#[tokio::test]
async fn a_reset_offers_first_the_strongest_factor_when_email_was_preferred() {
    let w = World::new();
    let ana = w.ana().await;
    let app = w.add_app(&ana, "phone", true).await;
    w.advance(30);
    let fresh = w.step_up(&ana, &app).await;
    let _ = w
        .flows
        .set_preferred_method(&fresh, MfaMethod::Email)
        .await
        .unwrap();
    let ResetStep::SecondFactor(challenge) = w.reset_step().await else {
        panic!("MFA is on: no new password without a second factor")
    };
    // Email cannot vouch for an emailed reset; the app comes first, not a recovery code.
    assert_eq!(challenge.primary(), Some(MfaMethod::AuthenticatorApp));
    assert!(!challenge.available().contains(&MfaMethod::Email));
    assert!(challenge.available().contains(&MfaMethod::RecoveryCode));
}
