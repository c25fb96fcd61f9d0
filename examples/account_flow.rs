//! The main example: one account's whole life through the `tessera` facade, every step
//! checked.
//!
//! Run it with `cargo run -p tessera-examples --example account_flow`. It uses the
//! in-memory stores, a manual clock that the narrative moves forward (so the run is
//! deterministic and fast), an "outbox" that prints each email code as a console
//! delivery would and lets the example read it back, and an "inbox" that prints each
//! security notification the account holder would receive. It exits 0 only if every
//! step behaved as expected.

use std::process::ExitCode;
use std::sync::Arc;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tessera_sqlx::{SqlAccountStore, SqlDeviceStore, SqlMfaStore, SqlStores};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use tessera::mfa::{
    CodeMessage, DeliveryError, Destination, NotifyError, SecurityEmail, SecurityEvent,
};
use tessera::otp::{QrCode, SoftAuthenticator};
use tessera::webauthn::{InMemoryCeremonyLedger, InMemoryCredentialIndex, RelyingParty};
use tessera::{
    Accounts, Assurance, Clock, CodeDelivery, Error, Factor, InMemoryDelivery,
    InMemorySessionRevoker, ManualClock, MfaMethod, Password, PasswordPolicy, RecordingNotifier,
    SecurityEventKind, SecurityNotifier, SignIn, UnixTime,
};

type Failure = Box<dyn std::error::Error>;
type Outcome<T = ()> = Result<T, Failure>;

/// How many expectations were checked.
static CHECKS: AtomicUsize = AtomicUsize::new(0);

/// Checks one expectation: the example fails (exit code 1) with `what` unless `cond`.
fn expect(cond: bool, what: &str) -> Outcome {
    CHECKS.fetch_add(1, Ordering::Relaxed);
    if cond {
        println!("  ✓ {what}");
        Ok(())
    } else {
        Err(format!("expectation failed: {what}").into())
    }
}

fn heading(title: &str) {
    println!("\n== {title} ==");
}

/// The email and SMS provider of this example: prints each message as a console
/// delivery would, and keeps it so the example can "read the email".
struct Outbox {
    sent: InMemoryDelivery,
    clock: ManualClock,
}

impl CodeDelivery for Outbox {
    async fn deliver(&self, message: &CodeMessage) -> Result<(), DeliveryError> {
        let to = match &message.destination {
            Destination::Email(e) => format!("email to {}", e.masked()),
            Destination::Sms(p) => format!("sms to {}", p.masked()),
            _ => "message".to_owned(),
        };
        println!("  [{to}] {}", message.text(self.clock.now()));
        self.sent.deliver(message).await
    }
}

impl Outbox {
    fn last_code(&self) -> Outcome<String> {
        let code = self.sent.last_code().ok_or("no code was delivered")?;
        Ok(code.expose().to_owned())
    }
}

/// The account holder's mailbox for security notifications: prints each one as the
/// email they would get (subject and first line) and records the events.
#[derive(Default)]
struct Inbox {
    recorded: RecordingNotifier,
}

impl SecurityNotifier for Inbox {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        let email = SecurityEmail::render(event);
        let what = email.body.lines().nth(2).unwrap_or_default();
        println!("  [notification] {}: {what}", email.subject);
        self.recorded.notify(event).await
    }
}

impl Inbox {
    /// Whether an event of this kind arrived since the last call, then forgets them.
    fn received(&self, kind: &SecurityEventKind) -> bool {
        let seen = self.recorded.kinds().contains(kind);
        self.recorded.clear();
        seen
    }
}

/// Ana's authenticator app, simulated by the library's `SoftAuthenticator`: it scanned
/// the QR code, and may run its own clock behind (or ahead of) the server's.
struct AuthenticatorApp(SoftAuthenticator);

impl AuthenticatorApp {
    fn scan(uri: &str) -> Outcome<Self> {
        Ok(Self(SoftAuthenticator::scan(uri)?))
    }

    /// The code on the app's screen now.
    fn code(&self, now: UnixTime) -> Outcome<String> {
        Ok(self.0.code(now)?.expose().to_owned())
    }

    /// The previous code and the current one, as two-code activation asks.
    fn two_codes(&self, now: UnixTime) -> Outcome<[String; 2]> {
        Ok(self.0.two_codes(now)?.map(|c| c.expose().to_owned()))
    }
}

type Flows = Accounts<SqlAccountStore, SqlDeviceStore, SqlMfaStore, ManualClock>;

const START: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const ORIGIN: &str = "https://login.example.com";

fn origin() -> tessera::webauthn::Url {
    // A constant that parses: checked by the example's own run.
    ORIGIN
        .parse()
        .unwrap_or_else(|_| unreachable!("a valid URL"))
}
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "violet tractor lemonade sunrise";

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("could not start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => {
            println!(
                "\nAll {} checks passed: every step behaved as expected.",
                CHECKS.load(Ordering::Relaxed)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nFAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where the example keeps its state: a fresh SQLite file by default (its path is
/// printed, and it is left in place to look inside with `sqlite3`), or a fresh database
/// on the PostgreSQL server whose URL is the first argument.
async fn open_stores() -> Outcome<SqlStores> {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    match std::env::args().nth(1) {
        Some(url) if url.starts_with("postgres") => {
            // A database of its own on that server, so a second run starts afresh too.
            let server: PgConnectOptions = url.parse()?;
            let name = format!("tessera_account_flow_{nonce}");
            let mut admin = PgConnection::connect_with(&server).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            println!("PostgreSQL database: {name} (left in place)");
            let pool = PgPool::connect_with(server.database(&name)).await?;
            Ok(SqlStores::new(pool).await?)
        }
        Some(other) => Err(format!("expected a postgres:// URL, got {other:?}").into()),
        None => {
            let path = std::env::temp_dir().join(format!("tessera-account-flow-{nonce}.sqlite"));
            println!(
                "SQLite database: {} (left in place: sqlite3 it and .tables)",
                path.display()
            );
            Ok(SqlStores::open_sqlite(&path).await?)
        }
    }
}

async fn run() -> Outcome {
    let clock = ManualClock::new(UnixTime::from_secs(START));
    let stores = open_stores().await?;
    // The application keeps handles on its outbox and inbox; the flows share them.
    let outbox = Arc::new(Outbox {
        sent: InMemoryDelivery::new(),
        clock: clock.clone(),
    });
    let inbox = Arc::new(Inbox::default());
    let sessions = Arc::new(InMemorySessionRevoker::new());
    // The organisation remembers the last three passwords (NIST's defaults otherwise).
    let policy = PasswordPolicy::builder().history(3).build()?;
    let flows: Flows = Accounts::in_memory_builder("Tessera example")?
        .notifier(Arc::clone(&inbox))
        .delivery(Arc::clone(&outbox))
        .sessions(Arc::clone(&sessions))
        .password_policy(policy)
        .build(stores.accounts, stores.devices, stores.mfa, clock.clone())?;
    // The site's WebAuthn relying party (its id and origin), for security keys.
    let rp = RelyingParty::builder("example.com", ORIGIN)
        .name("Example")
        .build(
            Arc::new(tessera::Keyring::ephemeral()?),
            clock.clone(),
            InMemoryCeremonyLedger::new(),
            InMemoryCredentialIndex::new(),
        )?;
    let mut security_key = SoftPasskey::new(true);

    heading("1. Create an account");
    let weak = Password::new("analima");
    println!("  Ana tries the password \"analima\"");
    let violations = match flows
        .create_account("analima", "ana.lima@example.com", &weak)
        .await
    {
        Err(Error::PasswordRejected(v)) => v,
        other => return Err(format!("expected a rejected password, got {other:?}").into()),
    };
    for v in &violations {
        println!("    - {}: {}", v.code(), v.message());
    }
    expect(
        violations.codes() == ["too_short", "contains_username", "contains_email"],
        "the weak password is rejected with every violation (too short, username, email)",
    )?;
    let account = flows
        .create_account("analima", "ana.lima@example.com", &Password::new(PASSWORD))
        .await?;
    println!(
        "  Ana chooses a passphrase; account {} created",
        account.id()
    );
    expect(
        account
            .password_hash()
            .is_some_and(|h| h.starts_with("$argon2id$")),
        "the password is stored as an Argon2id PHC hash",
    )?;
    let taken = flows
        .create_account("AnaLima", "someone@example.com", &Password::new(PASSWORD))
        .await;
    expect(
        matches!(taken, Err(Error::UsernameTaken)),
        "the same username in other letter case is taken",
    )?;

    heading("2. Sign in with the password (no MFA yet)");
    let signed_in = sign_in_complete(&flows, PASSWORD).await?;
    expect(
        signed_in.factors() == [Factor::Password],
        "signed in with one factor: the password",
    )?;
    sessions.open(account.id(), clock.now());
    sessions.open(account.id(), clock.now());
    println!("  Ana is signed in on her laptop and her phone (2 sessions)");
    let wrong = flows
        .sign_in("analima", &Password::new("not my password"), None)
        .await;
    let unknown = flows
        .sign_in("nobody", &Password::new(PASSWORD), None)
        .await;
    expect(
        matches!(wrong, Err(Error::VerificationFailed))
            && matches!(unknown, Err(Error::VerificationFailed)),
        "a wrong password and an unknown username fail the same way",
    )?;

    heading("3. Change the password (confirmation, history, sign out everywhere)");
    let current = Password::new(PASSWORD);
    let new = Password::new(NEW_PASSWORD);
    let typo = Password::new("violet tractor lemonade sunrse");
    let mismatch = flows
        .change_password(&signed_in, &current, &new, &typo)
        .await;
    expect(
        matches!(&mismatch, Err(Error::PasswordRejected(v)) if v.codes() == ["confirmation_mismatch"]),
        "a confirmation that differs is refused (confirmation_mismatch)",
    )?;
    let reuse = flows
        .change_password(&signed_in, &current, &current, &current)
        .await;
    expect(
        matches!(&reuse, Err(Error::PasswordRejected(v)) if v.codes() == ["same_as_current"]),
        "the current password cannot be chosen again (same_as_current)",
    )?;
    let change = flows
        .change_password(&signed_in, &current, &new, &new)
        .await?
        .into_value();
    println!(
        "  password changed; the security stamp moved on to {}",
        change.assurance.security_stamp().get()
    );
    expect(
        matches!(
            flows.check_session(&signed_in).await,
            Err(Error::SessionRevoked)
        ) && flows.check_session(&change.assurance).await.is_ok(),
        "every other session of the account ended; this one continues renewed",
    )?;
    expect(
        inbox.received(&SecurityEventKind::PasswordChanged),
        "Ana got the \"account information changed\" notification",
    )?;
    let old = flows.sign_in("analima", &current, None).await;
    expect(
        matches!(old, Err(Error::VerificationFailed)),
        "the old password no longer signs in",
    )?;
    let session = sign_in_complete(&flows, NEW_PASSWORD).await?;

    heading("4. Set up an authenticator app");
    let enrolment = flows.start_authenticator_setup(&session, "Phone").await?;
    println!("  Scan this QR code with an authenticator app:");
    for line in QrCode::new(enrolment.uri())?.to_terminal().lines() {
        println!("    {line}");
    }
    let key = enrolment.key_uri();
    println!(
        "  (issuer {:?}, account {:?}; the secret is shown once, never logged)",
        key.issuer().unwrap_or_default(),
        key.account()
    );
    let phone = AuthenticatorApp::scan(enrolment.uri())?;
    // Ana reloads the page before typing the codes: the same enrolment comes back.
    let reloaded = flows.start_authenticator_setup(&session, "Phone").await?;
    expect(
        reloaded.device_id() == enrolment.device_id() && reloaded.uri() == enrolment.uri(),
        "reloading the setup page shows the same secret again (no \"name taken\")",
    )?;
    let [first, second] = phone.two_codes(clock.now())?;
    println!("  the app shows two consecutive codes; Ana types both");
    let added = flows
        .finish_authenticator_setup(&session, enrolment.device_id(), &[&first, &second], false)
        .await?
        .into_value();
    expect(
        added.device.kind == tessera::DeviceKind::AuthenticatorApp,
        "the authenticator app is active",
    )?;
    expect(
        inbox.received(&SecurityEventKind::DeviceAdded {
            method: MfaMethod::AuthenticatorApp,
        }),
        "Ana was told a device was added",
    )?;

    heading("5. Enable MFA");
    let enabled = flows.enable_mfa(&session, None).await?.into_value();
    expect(
        enabled.settings.enabled()
            && enabled.settings.preferred() == Some(MfaMethod::AuthenticatorApp),
        "MFA is on, with the authenticator app preferred",
    )?;
    expect(
        inbox.received(&SecurityEventKind::MfaEnabled {
            preferred: MfaMethod::AuthenticatorApp,
        }),
        "Ana got the \"multi-factor authentication was turned on\" notification",
    )?;
    let recovery = enabled
        .recovery_codes
        .ok_or("no recovery codes were generated")?;
    println!(
        "  {} recovery codes to keep somewhere safe, e.g. {}",
        recovery.codes().len(),
        recovery
            .codes()
            .first()
            .ok_or("empty set")?
            .formatted()
            .as_str()
    );

    heading("6. Sign in with the authenticator app (TOTP)");
    clock.advance(Duration::from_secs(30));
    let challenge = sign_in_challenge(&flows, NEW_PASSWORD).await?;
    expect(
        challenge.primary() == Some(MfaMethod::AuthenticatorApp),
        "the password is right; the app's code is asked for first",
    )?;
    println!(
        "  other ways offered: {:?}",
        challenge
            .available()
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
    );
    let challenge = flows.start_second_factor(challenge, None).await?;
    let code = phone.code(clock.now())?;
    let assurance = flows.finish_second_factor(&challenge, &code).await?;
    print_assurance(&assurance);
    expect(
        assurance.method() == Some(MfaMethod::AuthenticatorApp)
            && assurance.device() == Some(enrolment.device_id()),
        "signed in with two factors; the phone's code matched",
    )?;

    heading("7. A replayed code is refused");
    clock.advance(Duration::from_secs(5));
    let challenge = sign_in_challenge(&flows, NEW_PASSWORD).await?;
    let challenge = flows.start_second_factor(challenge, None).await?;
    println!("  someone types the code that was just used, within its 30 seconds");
    let replay = flows.finish_second_factor(&challenge, &code).await;
    expect(
        matches!(replay, Err(Error::VerificationFailed)),
        "the replayed code is refused with the same opaque failure as a wrong one",
    )?;
    expect(
        inbox.received(&SecurityEventKind::CodeReuseDetected {
            method: MfaMethod::AuthenticatorApp,
        }),
        "Ana was warned that a code was used again",
    )?;

    heading("8. Fall back to an email code");
    println!("  Ana picks \"email me a code\" instead");
    let challenge = flows
        .start_second_factor(challenge, Some(MfaMethod::Email))
        .await?;
    let ticket = challenge.ticket().ok_or("no email challenge")?;
    println!("  code sent to {}", ticket.destination_hint);
    let emailed = outbox.last_code()?;
    let assurance = flows.finish_second_factor(&challenge, &emailed).await?;
    print_assurance(&assurance);
    expect(
        assurance.method() == Some(MfaMethod::Email),
        "signed in with the emailed code",
    )?;
    let again = flows.finish_second_factor(&challenge, &emailed).await;
    expect(
        matches!(again, Err(Error::VerificationFailed)),
        "the emailed code works only once",
    )?;

    heading("9. Register devices up to eight, a security key among them; the ninth is refused");
    let weak = flows
        .start_authenticator_setup(&assurance, "Tablet 2")
        .await;
    expect(
        matches!(weak, Err(Error::StepUpTooWeak { .. })),
        "an email code cannot add a device to an account with an authenticator app",
    )?;
    clock.advance(Duration::from_secs(30));
    let step_up = flows.start_step_up(&assurance).await?;
    let step_up = flows
        .start_second_factor(step_up, Some(MfaMethod::AuthenticatorApp))
        .await?;
    let assurance = flows
        .finish_second_factor(&step_up, &phone.code(clock.now())?)
        .await?;
    println!("  stepped up with the phone's authenticator app");
    let mut apps = Vec::new();
    for n in 2..=7 {
        let enrolment = flows
            .start_authenticator_setup(&assurance, &format!("Tablet {n}"))
            .await?;
        let app = AuthenticatorApp::scan(enrolment.uri())?;
        let [a, b] = app.two_codes(clock.now())?;
        flows
            .finish_authenticator_setup(&assurance, enrolment.device_id(), &[&a, &b], false)
            .await?
            .into_value();
        apps.push((enrolment.device_id(), app));
    }
    // The eighth: a FIDO security key. The browser's navigator.credentials.create() is
    // played by a software passkey; the options and the response travel as JSON.
    let (options, ceremony) = flows.start_security_key_setup(&assurance, &rp).await?;
    let response = security_key
        .do_registration(origin(), options)
        .map_err(|e| format!("the passkey refused: {e:?}"))?;
    let key = flows
        .finish_security_key_setup(
            &assurance,
            &rp,
            ceremony,
            &serde_json::to_string(&response)?,
            "Blue key",
            false,
        )
        .await?
        .into_value();
    expect(
        key.device.kind == tessera::DeviceKind::SecurityKey,
        "a security key is registered (WebAuthn, verified by webauthn-rs)",
    )?;
    let devices = flows.devices(&assurance).await?;
    println!(
        "  Ana's devices: {}",
        devices
            .iter()
            .map(|d| d.name.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    expect(devices.len() == 8, "eight devices are registered")?;
    let ninth = flows
        .start_authenticator_setup(&assurance, "Tablet 9")
        .await;
    if let Err(e) = &ninth {
        println!("  the ninth: {e}");
    }
    expect(
        matches!(
            ninth,
            Err(Error::Registry(tessera::registry::Error::TooManyDevices {
                max: 8
            }))
        ),
        "the ninth device is refused with a clear error",
    )?;
    expect(
        flows.devices(&assurance).await?.len() == 8,
        "nothing was lost: still eight devices",
    )?;
    inbox.recorded.clear();

    heading("10. Sign in with the security key");
    clock.advance(Duration::from_secs(30));
    let challenge = sign_in_challenge(&flows, NEW_PASSWORD).await?;
    expect(
        challenge.available().contains(&MfaMethod::SecurityKey),
        "the security key is offered at sign-in",
    )?;
    let (options, ceremony) = flows.start_security_key(&challenge, &rp).await?;
    let response = security_key
        .do_authentication(origin(), options)
        .map_err(|e| format!("the passkey refused: {e:?}"))?;
    let json = serde_json::to_string(&response)?;
    let with_key = flows
        .finish_security_key(&challenge, &rp, ceremony, &json)
        .await?;
    print_assurance(&with_key);
    expect(
        with_key.method() == Some(MfaMethod::SecurityKey),
        "signed in with the security key",
    )?;
    let again = sign_in_challenge(&flows, NEW_PASSWORD).await?;
    let (_, fresh) = flows.start_security_key(&again, &rp).await?;
    expect(
        matches!(
            flows.finish_security_key(&again, &rp, fresh, &json).await,
            Err(Error::VerificationFailed)
        ),
        "a replayed assertion is refused",
    )?;
    // Removing a device is MFA-protected; the key's own fresh sign-in is strong enough.
    let renewed = flows
        .remove_device(&with_key, key.device.id)
        .await?
        .into_value();
    println!(
        "  Ana removes \"{}\" (she lends it to a colleague)",
        renewed.value.name
    );
    // The removal moved the security stamp on: this session carries on with the
    // renewed assurance; every other session has ended.
    let assurance = renewed.assurance;
    expect(
        flows.devices(&assurance).await?.len() == 7,
        "the key is removed: seven devices",
    )?;
    inbox.recorded.clear();

    heading("11. Resync a drifted device");
    let (drifted_id, drifted) = apps.pop().ok_or("no device to drift")?;
    // Weeks pass (ten minutes of this narrative); the tablet's clock now runs four
    // minutes slow.
    clock.advance(Duration::from_secs(10 * 60));
    let drifted = AuthenticatorApp(drifted.0.with_skew(-4 * 60));
    let challenge = sign_in_challenge(&flows, NEW_PASSWORD).await?;
    let challenge = flows.start_second_factor(challenge, None).await?;
    let late = flows
        .finish_second_factor(&challenge, &drifted.code(clock.now())?)
        .await;
    expect(
        matches!(late, Err(Error::VerificationFailed)),
        "a code from a clock four minutes slow is outside the window",
    )?;
    let [a, b] = drifted.two_codes(clock.now())?;
    let drift = flows.resync_device(&assurance, drifted_id, &a, &b).await?;
    println!(
        "  resynchronised from two consecutive codes: drift {} steps",
        drift.steps()
    );
    expect(
        drift.steps() == -8,
        "the drift is 8 steps (4 minutes) behind",
    )?;
    clock.advance(Duration::from_secs(30));
    let after = flows
        .finish_second_factor(&challenge, &drifted.code(clock.now())?)
        .await?;
    expect(
        after.device() == Some(drifted_id),
        "the drifted device signs in again after resync",
    )?;

    heading("12. Lose a device and recover with a recovery code");
    println!("  Ana's phone is lost; she signs in with a recovery code");
    clock.advance(Duration::from_secs(60));
    let challenge = sign_in_challenge(&flows, NEW_PASSWORD).await?;
    let challenge = flows
        .start_second_factor(challenge, Some(MfaMethod::RecoveryCode))
        .await?;
    let typed = recovery.codes().first().ok_or("empty set")?.formatted();
    let recovered = flows.finish_second_factor(&challenge, &typed).await?;
    print_assurance(&recovered);
    expect(
        recovered.method() == Some(MfaMethod::RecoveryCode),
        "signed in with a recovery code",
    )?;
    expect(
        inbox.received(&SecurityEventKind::RecoveryCodeUsed { remaining: 9 }),
        "Ana was told a recovery code was used (9 remain)",
    )?;
    let removed = flows
        .remove_device(&recovered, enrolment.device_id())
        .await?
        .into_value();
    let recovered = removed.assurance;
    let removed = removed.value;
    println!("  removed the lost device \"{}\"", removed.name);
    expect(
        inbox.received(&SecurityEventKind::DeviceRemoved {
            method: MfaMethod::AuthenticatorApp,
        }),
        "Ana was told the device was removed",
    )?;
    let replacement = flows
        .start_authenticator_setup(&recovered, "New phone")
        .await?;
    let new_phone = AuthenticatorApp::scan(replacement.uri())?;
    let [a, b] = new_phone.two_codes(clock.now())?;
    flows
        .finish_authenticator_setup(&recovered, replacement.device_id(), &[&a, &b], false)
        .await?
        .into_value();
    expect(
        flows.devices(&recovered).await?.len() == 7,
        "the new phone took the freed slot",
    )?;
    let reused = {
        clock.advance(Duration::from_secs(30));
        let challenge = sign_in_challenge(&flows, NEW_PASSWORD).await?;
        let challenge = flows
            .start_second_factor(challenge, Some(MfaMethod::RecoveryCode))
            .await?;
        flows.finish_second_factor(&challenge, &typed).await
    };
    expect(
        matches!(reused, Err(Error::VerificationFailed)),
        "a recovery code works only once",
    )?;

    heading("13. Disable MFA (an MFA-protected operation)");
    clock.advance(Duration::from_secs(15 * 60));
    let stale = flows.disable_mfa(&recovered, None).await;
    expect(
        matches!(stale, Err(Error::StepUpRequired)),
        "fifteen minutes later the second factor is too old: step-up required",
    )?;
    let step_up = flows.start_step_up(&recovered).await?;
    let step_up = flows.start_second_factor(step_up, None).await?;
    let fresh = flows
        .finish_second_factor(&step_up, &new_phone.code(clock.now())?)
        .await?;
    expect(
        fresh
            .require_second_factor(flows.step_up_max_age(), clock.now())
            .is_ok(),
        "a step-up with the new phone gives a fresh second factor",
    )?;
    let settings = flows.disable_mfa(&fresh, None).await?.into_value().value;
    expect(!settings.enabled(), "MFA is off")?;
    expect(
        inbox.received(&SecurityEventKind::MfaDisabled),
        "Ana got the \"multi-factor authentication was turned off\" notification",
    )?;
    let last = sign_in_complete(&flows, NEW_PASSWORD).await?;
    expect(
        last.factors() == [Factor::Password],
        "sign-in asks for the password only again",
    )?;
    Ok(())
}

/// Signs Ana in where no second factor is expected.
async fn sign_in_complete(flows: &Flows, password: &str) -> Outcome<Assurance> {
    match flows
        .sign_in("analima", &Password::new(password), None)
        .await?
    {
        SignIn::Complete(a) => Ok(a),
        other => Err(format!("expected a complete sign-in, got {other:?}").into()),
    }
}

/// Signs Ana in where a second factor is expected.
async fn sign_in_challenge(
    flows: &Flows,
    password: &str,
) -> Outcome<tessera::SecondFactorChallenge> {
    match flows
        .sign_in("analima", &Password::new(password), None)
        .await?
    {
        SignIn::SecondFactor(c) => Ok(c),
        other => Err(format!("expected a second factor, got {other:?}").into()),
    }
}

fn print_assurance(a: &Assurance) {
    println!(
        "  assurance: factors {:?}, method {}, device {}, at {}",
        a.factors(),
        a.method().map_or("none", |m| m.as_str()),
        a.device()
            .map_or_else(|| "none".to_owned(), |d| d.to_string()),
        a.second_factor_at().map_or(0, UnixTime::as_secs)
    );
}
