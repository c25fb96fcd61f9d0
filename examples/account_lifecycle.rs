//! An account's life beyond sign-in, on a fresh SQLite file, every step checked: a
//! forgotten password reset by email that still asks for the second factor, a temporary
//! password an administrator issues, a tooling credential for a command line, a removal
//! the organisation routes through a change request, an administrator's MFA reset after
//! every factor is lost, and the audit events all of it leaves.
//!
//! Run it with `cargo run -p tessera-examples --example account_lifecycle`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tessera::mfa::SecurityEventKind;
use tessera::otp::SoftAuthenticator;
use tessera::testing::AuditLog;
use tessera::{
    Accounts, AdminAction, Assurance, Clock, FactorChange, InMemoryDelivery, ManualClock,
    MfaMethod, OrgPolicy, Password, RecordingNotifier, ResetStep, SignIn, UnixTime,
};
use tessera_examples::{BoxError, check, finish};
use tessera_sqlx::SqlStores;

const PASSWORD: &str = "correct horse battery staple";

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let outcome = match runtime {
        Ok(rt) => rt.block_on(run()),
        Err(e) => Err(e.into()),
    };
    finish("account_lifecycle", outcome)
}

fn heading(title: &str) {
    println!("\n== {title} ==");
}

fn pw(s: &str) -> Password {
    Password::new(s)
}

async fn run() -> Result<(), BoxError> {
    let audit = AuditLog::install().ok_or("another tracing subscriber is installed")?;
    let path = std::env::temp_dir().join(format!(
        "tessera-account-lifecycle-{}.sqlite",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos()
    ));
    println!("SQLite database: {}", path.display());
    let stores = SqlStores::open_sqlite(&path).await?;
    let clock = ManualClock::new(UnixTime::from_secs(1_767_225_600));
    let outbox = Arc::new(InMemoryDelivery::new());
    let inbox = Arc::new(RecordingNotifier::new());
    // This organisation does not let people remove a factor themselves.
    let policy = OrgPolicy::builder().self_service_removal(false).build()?;
    let flows = Accounts::in_memory_builder("Lifecycle example")?
        .notifier(Arc::clone(&inbox))
        .delivery(Arc::clone(&outbox))
        .org_policy(policy)
        .build(stores.accounts, stores.devices, stores.mfa, clock.clone())?;
    let code = || -> Result<String, BoxError> {
        Ok(outbox
            .last_code()
            .ok_or("no code was sent")?
            .expose()
            .to_owned())
    };
    let admin = AdminAction::new("helpdesk-7", "ticket 4711, identity checked by video")?;

    heading("Ana signs up and turns MFA on with an authenticator app");
    flows
        .create_account("ana", "ana@example.com", &pw(PASSWORD))
        .await?;
    let SignIn::Complete(ana) = flows.sign_in("ana", &pw(PASSWORD), None).await? else {
        return Err("expected a complete sign-in".into());
    };
    let enrolment = flows.start_authenticator_setup(&ana, "Work phone").await?;
    let app = SoftAuthenticator::scan(enrolment.uri())?;
    let [a, b] = app.two_codes(clock.now())?.map(|c| c.expose().to_owned());
    let added = flows
        .finish_authenticator_setup(&ana, enrolment.device_id(), &[&a, &b], true)
        .await?
        .into_value();
    check(added.settings.enabled(), "MFA is on")?;

    heading("1. She forgets her password");
    let reset = flows.start_password_reset("ana").await?;
    println!("  a reset code went to her inbox");
    let unknown = flows.start_password_reset("nobody").await?;
    check(
        unknown.expires_at() == reset.expires_at(),
        "a username nobody has gets the same answer (and nothing is sent)",
    )?;
    let ResetStep::SecondFactor(challenge) = flows.verify_password_reset(reset, &code()?).await?
    else {
        return Err("with MFA on the reset must ask for a second factor".into());
    };
    check(
        !challenge.available().contains(&MfaMethod::Email),
        "the reset asks for a second factor other than the email it used",
    )?;
    let challenge = flows.start_second_factor(challenge, None).await?;
    clock.advance(Duration::from_secs(30));
    let session = flows
        .finish_reset_second_factor(&challenge, app.code(clock.now())?.expose())
        .await?;
    let new = pw("violet tractor lemonade sunrise");
    let _ = flows.finish_password_reset(session, &new, &new).await?;
    check(
        flows.check_session(&ana).await.is_err(),
        "the reset ended her old sessions",
    )?;
    check(
        flows.sign_in("ana", &pw(PASSWORD), None).await.is_err(),
        "the old password no longer works",
    )?;

    heading("2. An administrator issues a temporary password");
    let temporary = flows
        .issue_temporary_password(&admin, ana.account())
        .await?
        .into_value();
    let SignIn::PasswordChangeRequired(change) = flows.sign_in("ana", &temporary, None).await?
    else {
        return Err("a temporary password admits only the change".into());
    };
    let chosen = pw("marble orchard quietly humming");
    let next = flows
        .finish_required_password_change(change, &chosen, &chosen)
        .await?;
    check(
        matches!(next, SignIn::SecondFactor(_)),
        "after the change the sign-in goes on to the second factor",
    )?;
    clock.advance(Duration::from_secs(30));
    let SignIn::SecondFactor(c) = next else {
        return Err("expected the second factor".into());
    };
    let c = flows.start_second_factor(c, None).await?;
    let ana: Assurance = flows
        .finish_second_factor(&c, app.code(clock.now())?.expose())
        .await?;

    heading("3. A tooling credential for her command line");
    let tool = flows
        .create_tooling_credential(&ana, "laptop cli")
        .await?
        .into_value();
    println!("  shown once: {}…", &tool.secret.expose()[..8]);
    check(
        flows.authenticate_tool("ana", &tool.secret).await.is_ok(),
        "the tool authenticates with it",
    )?;
    check(
        flows.sign_in("ana", &tool.secret, None).await.is_err(),
        "the interactive sign-in refuses it",
    )?;

    heading("4. Removing a device goes through a change request");
    let device = enrolment.device_id();
    check(
        flows.remove_device(&ana, device).await.is_err(),
        "she may not remove it herself",
    )?;
    let request = flows
        .request_factor_change(&ana, FactorChange::RemoveDevice { device }, "phone stolen")
        .await?
        .into_value();
    let decided = flows
        .approve_change_request(&admin, ana.account(), request.id())
        .await?
        .into_value();
    check(
        decided.decision().is_some_and(|d| d.approved),
        "an administrator approved it; the device is gone",
    )?;

    heading("5. Every factor lost: the administrator resets her MFA");
    let reset = flows
        .admin_reset_mfa(&admin, ana.account())
        .await?
        .into_value();
    println!("  {} device(s) removed", reset.devices_removed);
    check(
        matches!(
            flows.sign_in("ana", &chosen, None).await?,
            SignIn::EnrolmentRequired(_)
        ),
        "her next sign-in may only set up a new second factor",
    )?;

    heading("What she was told, and what the audit stream saw");
    for e in inbox.drain() {
        println!("  notice: {}", tessera::audit::security_event_kind(&e.kind));
    }
    let events = audit.for_account(ana.account());
    for name in [
        "password_reset",
        "temporary_password_issued",
        "tooling_credential_created",
        "factor_change_approved",
        "mfa_reset",
    ] {
        check(
            events.iter().any(|e| e.event == name),
            &format!("audit event {name}"),
        )?;
    }
    check(
        events.iter().any(|e| {
            e.event == "security_event"
                && e.kind.as_deref()
                    == Some(tessera::audit::security_event_kind(
                        &SecurityEventKind::MfaReset { by: String::new() },
                    ))
        }),
        "the MFA reset notice is an audit event too",
    )?;
    Ok(())
}
