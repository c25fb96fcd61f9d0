//! Tessera: authentication for Rust services, as one library: accounts with passwords,
//! sign-in with a second factor, MFA devices and methods, under one name.
//!
//! This crate is the facade. It re-exports the four crates it composes, as modules
//! ([`otp`], [`password`], [`registry`], [`mfa`]) and the most used types flat, and it
//! adds what they leave to an application: accounts ([`AccountStore`]), sessions
//! ([`SessionRevoker`]), and the **account flows** ([`Accounts`]) that combine them:
//!
//! | flow | methods |
//! | --- | --- |
//! | create an account | [`create_account`](Accounts::create_account), [`create_federated_account`](Accounts::create_federated_account) |
//! | sign in | [`sign_in`](Accounts::sign_in) → [`start_second_factor`](Accounts::start_second_factor) → [`finish_second_factor`](Accounts::finish_second_factor) → [`Assurance`] |
//! | sign in, MFA required but not set up | [`SignIn::EnrolmentRequired`] → [`EnrolmentSession`] (not an [`Assurance`]) → [`start_authenticator_setup`](Accounts::start_authenticator_setup) → [`finish_authenticator_setup`](Accounts::finish_authenticator_setup) → [`Assurance`]; or the phone flows, [`enable_mfa`](Accounts::enable_mfa), [`finish_enrolment`](Accounts::finish_enrolment) |
//! | change the password | [`change_password`](Accounts::change_password) (confirmation, history; every other session ends) |
//! | sessions | [`check_session`](Accounts::check_session) on every request, [`sign_out_everywhere`](Accounts::sign_out_everywhere), [`confirm_password`](Accounts::confirm_password) |
//! | authenticator app | [`start_authenticator_setup`](Accounts::start_authenticator_setup), [`finish_authenticator_setup`](Accounts::finish_authenticator_setup); a reloaded setup page: [`resume_authenticator_setup`](Accounts::resume_authenticator_setup), [`cancel_authenticator_setup`](Accounts::cancel_authenticator_setup) |
//! | phone number | [`start_phone_verification`](Accounts::start_phone_verification), [`finish_phone_verification`](Accounts::finish_phone_verification) |
//! | MFA settings | [`enable_mfa`](Accounts::enable_mfa), [`disable_mfa`](Accounts::disable_mfa), [`set_preferred_method`](Accounts::set_preferred_method) |
//! | lost device | recovery-code sign-in, [`remove_device`](Accounts::remove_device), [`admin_remove_device`](Accounts::admin_remove_device) |
//! | MFA-protected operations | [`Assurance::require_second_factor`], [`start_step_up`](Accounts::start_step_up) |
//! | administrators | [`admin_remove_device`](Accounts::admin_remove_device), [`admin_unlock`](Accounts::admin_unlock) |
//!
//! What an attacker tries and how each attempt is defended, with the test that attacks
//! it: [`threat_model`]. Every security decision is an audit event: [`audit`].
//!
//! # Embedding it
//!
//! Everything in memory, codes printed to the console:
//!
//! ```
//! use tessera::{Accounts, ConsoleDelivery, Password, RecordingNotifier, SignIn, SystemClock};
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//!
//! let accounts = Accounts::in_memory("Example", SystemClock, RecordingNotifier::new(), ConsoleDelivery)?;
//!
//! // Sign up: the password policy reports every problem at once.
//! let weak = Password::new("password");
//! let refused = accounts.create_account("ana", "ana@example.com", &weak).await;
//! assert!(matches!(refused, Err(tessera::Error::PasswordRejected(_))));
//! let password = Password::new("correct horse battery staple");
//! accounts.create_account("ana", "ana@example.com", &password).await?;
//!
//! // Sign in: one opaque error for every failure; a second factor when MFA is on.
//! match accounts.sign_in("ana", &password, None).await? {
//!     SignIn::Complete(assurance) => println!("signed in with {:?}", assurance.factors()),
//!     SignIn::SecondFactor(challenge) => println!("ask for {:?}", challenge.primary()),
//!     // Not an `Assurance`: it may only set up a second factor.
//!     SignIn::EnrolmentRequired(_enrolling) => println!("set up a second factor first"),
//!     _ => unreachable!("a sign-in step this version does not know"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # A second factor, step by step
//!
//! Set up an authenticator app (show its otpauth:// URI as a QR code), turn MFA on, and
//! sign in with a code. The [`ManualClock`] makes every instant exact; a service passes
//! [`SystemClock`].
//!
//! ```
//! use std::time::Duration;
//! use tessera::otp::{Clock, KeyUri, TimeStep, Totp};
//! use tessera::{Accounts, InMemoryDelivery, ManualClock, MfaMethod, Password,
//!     RecordingNotifier, SecurityEventKind, SignIn, UnixTime};
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//!
//! let clock = ManualClock::new(UnixTime::from_secs(1_767_225_600));
//! let events = std::sync::Arc::new(RecordingNotifier::new());
//! let accounts = Accounts::in_memory("Example", clock.clone(), events.clone(), InMemoryDelivery::new())?;
//! let password = Password::new("correct horse battery staple");
//! accounts.create_account("ana", "ana@example.com", &password).await?;
//! let SignIn::Complete(session) = accounts.sign_in("ana", &password, None).await? else {
//!     return Err("no MFA yet: the password is enough".into());
//! };
//!
//! // Set up: the app scans the URI; activation takes two consecutive codes.
//! let enrolment = accounts.start_authenticator_setup(&session, "Phone").await?;
//! let key = KeyUri::parse(enrolment.uri())?;
//! let app = Totp::new(key.secret(), key.totp_params().ok_or("not totp")?);
//! let step = app.time_step(clock.now())?.get();
//! let first = app.generate_at_step(TimeStep::new(step - 1));
//! let second = app.generate_at_step(TimeStep::new(step));
//! let added = accounts
//!     .finish_authenticator_setup(&session, enrolment.device_id(), &[first.expose(), second.expose()], true)
//!     .await?
//!     .into_value();
//! assert!(added.settings.enabled());
//! let recovery_codes = added.recovery_codes.ok_or("first time: codes to show once")?;
//! assert_eq!(recovery_codes.codes().len(), 10);
//! assert!(events.kinds().contains(
//!     &SecurityEventKind::MfaEnabled { preferred: MfaMethod::AuthenticatorApp }));
//!
//! // Sign in: the password, then the app's code (the preferred method).
//! clock.advance(Duration::from_secs(30));
//! let SignIn::SecondFactor(challenge) = accounts.sign_in("ana", &password, None).await? else {
//!     return Err("MFA is on: a second factor is asked for".into());
//! };
//! // Ceremony state in, new state out: keep the returned challenge in the session.
//! let challenge = accounts.start_second_factor(challenge, None).await?;
//! let code = app.generate(clock.now())?;
//! let assurance = accounts.finish_second_factor(&challenge, code.expose()).await?;
//! assert_eq!(assurance.method(), Some(MfaMethod::AuthenticatorApp));
//! assert_eq!(assurance.device(), Some(enrolment.device_id()));
//!
//! // The same code again is refused, exactly like a wrong one.
//! let SignIn::SecondFactor(again) = accounts.sign_in("ana", &password, None).await? else {
//!     return Err("a second factor again".into());
//! };
//! let again = accounts.start_second_factor(again, None).await?;
//! let replay = accounts.finish_second_factor(&again, code.expose()).await;
//! assert!(matches!(replay, Err(tessera::Error::VerificationFailed)));
//!
//! // Before a sensitive operation: a second factor no older than five minutes.
//! assurance.require_second_factor(Duration::from_secs(300), clock.now())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The person may pick another available method instead
//! ([`SecondFactorChallenge::available`]): `start_second_factor(challenge,
//! Some(MfaMethod::Email))` sends an email code and returns the challenge that carries
//! its ticket, `Some(MfaMethod::RecoveryCode)` accepts one of the recovery codes (the
//! lost-device path).
//!
//! # In a web handler
//!
//! The ceremony state lives in the application's server-side session between requests,
//! by value: take it out, hand it in, put back what comes out. With any session store
//! (here a struct standing in for one; with axum, `tower-sessions`' `Session::get` and
//! `insert` are the same lines):
//!
//! ```
//! # use std::collections::HashMap;
//! use tessera::{Assurance, MfaMethod, SecondFactorChallenge};
//! # #[derive(Default)]
//! # struct Session { challenge: Option<SecondFactorChallenge>, signed_in: Option<Assurance> }
//! # type Accts = tessera::InMemoryAccounts;
//!
//! /// POST /sign-in/email: send an email code instead.
//! async fn send_email_code(accounts: &Accts, session: &mut Session) -> tessera::Result<()> {
//!     let challenge = session.challenge.clone().ok_or(tessera::Error::VerificationFailed)?;
//!     // A refused send returns early: the session keeps the challenge it had.
//!     session.challenge = Some(accounts.start_second_factor(challenge, Some(MfaMethod::Email)).await?);
//!     Ok(())
//! }
//!
//! /// POST /sign-in/code: the code the person typed.
//! async fn finish(accounts: &Accts, session: &mut Session, typed: &str) -> tessera::Result<()> {
//!     let challenge = session.challenge.as_ref().ok_or(tessera::Error::VerificationFailed)?;
//!     let assurance = accounts.finish_second_factor(challenge, typed).await?;
//!     session.challenge = None;
//!     session.signed_in = Some(assurance);
//!     Ok(())
//! }
//! ```
//!
//! # Plugging in storage, delivery and notifications
//!
//! [`Accounts`] is generic over its three stores and its clock, and holds the other
//! parts behind an `Arc` each; every part is a small trait with an in-memory
//! implementation:
//!
//! | part | trait | what to implement | set with |
//! | --- | --- | --- | --- |
//! | accounts | [`AccountStore`] | load / find by username / create / save-if-version-unchanged | [`build`](AccountsBuilder::build) |
//! | MFA devices | [`DeviceStore`] | load / save-if-version-unchanged of a user's devices | [`build`](AccountsBuilder::build) |
//! | MFA state | [`MfaStore`] | the same, for settings, challenges, throttling; and per destination | [`build`](AccountsBuilder::build) |
//! | time | [`Clock`] | the current instant ([`SystemClock`]) | [`build`](AccountsBuilder::build) |
//! | email and SMS | [`CodeDelivery`] | send one message carrying a code | [`delivery`](AccountsBuilder::delivery) |
//! | security notices | [`SecurityNotifier`] | tell the account holder what changed | [`notifier`](AccountsBuilder::notifier) |
//! | session records | [`SessionRevoker`] | delete an account's sessions (optional) | [`sessions`](AccountsBuilder::sessions) |
//! | password work | [`Offload`] | where Argon2 runs ([`Inline`], or `spawn_blocking`) | [`offload`](AccountsBuilder::offload) |
//!
//! The stores all use one shape, in the words of [`tessera_store`]: a record per
//! account with a [`Version`], and a save that writes only if the version is unchanged
//! (SQL `UPDATE … WHERE version = ?`, Redis `WATCH`, DynamoDB conditions), failing with
//! the one [`StoreError`]. That compare-and-set is what keeps a one-time code
//! single-use and the eight-device cap exact under concurrent requests. Build the flows
//! from your parts with [`Accounts::builder`]:
//!
//! ```
//! use std::sync::Arc;
//! use tessera::mfa::{CodeMessage, DeliveryError, Destination};
//! use tessera::{Accounts, CodeDelivery, InMemoryAccountStore, InMemoryDeviceStore,
//!     InMemoryStore, Keyring, OrgPolicy, RecordingNotifier, RegistryConfig, SystemClock};
//!
//! /// Your provider: an HTTP call to the mail or SMS gateway goes here.
//! struct Gateway;
//!
//! impl CodeDelivery for Gateway {
//!     async fn deliver(&self, message: &CodeMessage) -> Result<(), DeliveryError> {
//!         let _text = message.text(tessera::Clock::now(&SystemClock));
//!         match &message.destination {
//!             Destination::Email(_to) => Ok(()), // send the email
//!             Destination::Sms(_to) => Ok(()),   // send the SMS
//!             _ => Err(DeliveryError::new("unsupported destination")),
//!         }
//!     }
//! }
//!
//! // In a service: Keyring::from_env, the same keys on every instance.
//! let keyring = Arc::new(Keyring::ephemeral()?);
//! let accounts = Accounts::builder(keyring, RegistryConfig::new("Example Inc")?)
//!     .notifier(RecordingNotifier::new()) // your SecurityNotifier (mail, push, queue)
//!     .delivery(Gateway)
//!     .org_policy(OrgPolicy::builder().self_service_removal(false).build()?)
//!     .build(
//!         InMemoryAccountStore::new(), // your AccountStore
//!         InMemoryDeviceStore::new(),  // your DeviceStore
//!         InMemoryStore::new(),        // your MfaStore
//!         SystemClock,
//!     )?;
//! // A handle: clone it into every request.
//! let for_a_request = accounts.clone();
//! # let _ = for_a_request;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The rest of an account's life
//! - [`lifecycle`]: a forgotten password reset by an emailed code, which never bypasses
//!   MFA (a second factor other than email comes first when MFA is on); temporary
//!   passwords an administrator issues ([`SignIn::PasswordChangeRequired`] admits only
//!   the change); an administrator's MFA reset when every factor is lost, after which the
//!   account must enrol again. Administrators are named, with a reason ([`AdminAction`]).
//! - [`tooling`]: generated, hashed, named and revocable credentials for tools and
//!   command lines, never accepted at the interactive sign-in.
//! - [`change_requests`]: where holders may not remove factors themselves, they ask and
//!   an administrator approves or rejects.
//! - [`audit`]: the catalogue of audit events every decision emits through `tracing`.
//!
//! `examples/account_lifecycle.rs` runs all of it on a SQLite file.
//!
//! # What the application keeps
//! - The stores' records, whole, with their versions; the [`ServerKey`] outside them.
//! - Between the requests of a sign-in, the [`SecondFactorChallenge`] (replaced by the
//!   one each step returns); after it, the [`Assurance`]; for an account that must
//!   first set up a second factor, the [`EnrolmentSession`], under another key than the
//!   assurance (likewise a [`PasswordChangeSession`], a [`PasswordReset`] and a
//!   [`ResetSession`]): all server-side, in the session. The library keeps no state of its own.
//! - On every request that trusts the session, [`Accounts::check_session`]: an
//!   assurance made under an older security stamp (the password changed, the account
//!   signed out everywhere, MFA went off, a factor was removed) is refused, whatever the
//!   session store. Flows that change the stamp return the caller's renewed assurance
//!   ([`PasswordChange`], [`Renewed`], [`SignedOutEverywhere`]): keep it in place of the
//!   old one.
//! - The remember-device token ([`Accounts::remember_device`]) goes to the device, in a
//!   secure, http-only cookie.
//!
//! # Secrets at rest: what to keep secret, how to rotate
//! - One [`Keyring`] (loaded from a secrets manager, an environment variable or a file;
//!   `tessera key generate` prints a key) seals every TOTP seed in the device store
//!   (AES-256-GCM, bound to its user and device: a copied document does not
//!   open) and keys the MFA crate's code and token tags
//!   ([`ServerKey::from_keyring`](tessera_mfa::ServerKey::from_keyring)). Give the same
//!   keyring to every instance. The stores then hold nothing that signs anyone in.
//! - Peppers ([`password::Pepper`]) are separate secrets with ids: the hasher holds the
//!   current one and the retired ones ([`HasherBuilder::retired_pepper`](tessera_password::HasherBuilder::retired_pepper)); hashes are
//!   moved to the current pepper at each sign-in.
//! - To rotate the keyring: put the new key first (active), keep the old one; every
//!   seed is re-sealed when next written, and [`Accounts::reseal_page`] does the rest;
//!   MFA tags move as codes are used, expire or are regenerated. Then
//!   `keyring.retire(&old, accounts.count_sealed_with(&old).await?)` refuses, with the
//!   count, until nothing depends on the old key.
//!
//! # Password hashing in async services
//! Argon2id at OWASP's parameters takes tens of milliseconds of CPU per hash by design.
//! This crate depends on no async runtime, so the flows hand hashing to an [`Offload`]:
//! [`Inline`] (the default) runs it on the calling task, fine for tests, tools and
//! blocking-tolerant contexts; a service on tokio passes a three-line `spawn_blocking`
//! implementation with [`AccountsBuilder::offload`] (see [`Offload`]), wrapped in
//! [`Bounded`] so that at most a set number of hashes (19 MiB each) run at once. Work
//! beyond the permits is refused at once: [`Error::Busy`], the same answer for every
//! username, and not counted as the person's failed attempt.
//!
//! # Errors in a web service
//! [`Error`] answers five questions, so that mapping it to a response takes a few
//! lines: [`is_verification_failed`](Error::is_verification_failed),
//! [`is_invalid_input`](Error::is_invalid_input), [`retry_after`](Error::retry_after),
//! [`is_conflict`](Error::is_conflict) ("changed concurrently, try again"; the one name
//! in every crate) and [`is_unavailable`](Error::is_unavailable) (a store, randomness,
//! the offload failing or busy). Each variant answers at most one of them, also through
//! the wrapped registry and MFA errors; the four authorisation answers (step-up,
//! re-authentication, a revoked session) answer none, because each asks for a
//! different next step. A store backend's own error stays reachable through
//! [`source`](std::error::Error::source) for the logs; no message holds a secret.
//!
//! ```
//! use tessera::Error;
//!
//! /// The HTTP status, and the `Retry-After` seconds, of a refused request.
//! fn status(e: &Error) -> (u16, Option<u64>) {
//!     match e {
//!         _ if e.retry_after().is_some() => (429, e.retry_after().map(|d| d.as_secs())),
//!         _ if e.is_verification_failed() => (401, None),
//!         _ if e.is_invalid_input() => (422, None),
//!         _ if e.is_conflict() => (409, None),
//!         _ if e.is_unavailable() => (503, Some(1)),
//!         Error::SessionRevoked => (401, None),
//!         Error::StepUpRequired | Error::StepUpTooWeak { .. } | Error::ReauthenticationRequired => (403, None),
//!         _ => (500, None),
//!     }
//! }
//!
//! assert_eq!(status(&Error::VerificationFailed), (401, None));
//! assert_eq!(status(&Error::UsernameTaken), (422, None));
//! assert_eq!(status(&Error::Busy), (503, Some(1)));
//! assert_eq!(status(&tessera::mfa::Error::Conflict.into()), (409, None));
//! ```
//!
//! # MFA status for administrators
//!
//! [`Accounts::mfa_status_page`] lists the accounts of the store in order of id, a page
//! at a time (keyset paging over [`AccountStore::list`]), each with its [`MfaStatus`]:
//! federated or not, password set and last changed, MFA on or off and the preferred
//! factor, active apps, hardware tokens and security keys, whether SMS and email codes
//! are available, recovery codes left, when a device was last used, and whether the
//! account is locked out now. It holds no secret, phone number or email address: a
//! "security recommendations" view (accounts without a second factor, or with SMS
//! alone) and an AWS-style credential report (`tessera report mfa --database …` prints
//! it as CSV or JSON) are built from it. It lists every username: an administrator's
//! call only.
//!
//! # Security properties
//! - One opaque failure ([`Error::VerificationFailed`]) for every failed authentication,
//!   after the same password work and store round trips for known and unknown
//!   usernames; the reason goes to the [`audit`] events.
//! - Every attempt (password, code, key) is counted in the account's throttle before it
//!   is checked: a burst of any size is checked at most as often as the throttle admits
//!   (5 free failures, growing delays, an hour's lockout at 20 and again at each later
//!   failure, a lock until an administrator unlocks at 100). Only a completed sign-in or
//!   step-up resets the count.
//! - Binding a factor or changing MFA settings needs a second factor no older than
//!   [`DEFAULT_STEP_UP_MAX_AGE`] while MFA is on, or the password within
//!   [`BINDING_PASSWORD_MAX_AGE`] while it is off. A weaker method never authorises an
//!   operation on a stronger factor: an email code cannot remove an authenticator app
//!   or turn MFA off while one is active ([`mfa::Authority`]).
//! - Every change that matters sends a security notification after it is stored; put a
//!   slow notifier behind [`mfa::OutboxNotifier`] so that no answer waits for it.
//!
//! # Crate features
//! - `qr`: `Enrolment::qr` draws the enrolment URI as a QR code (SVG, PNG, terminal);
//!   enables `tessera-otp/qr` and `tessera-registry/qr`.
//! - `serde`: the store documents: `Serialize`/`Deserialize` for the device
//!   aggregates (seeds only sealed), the MFA state, the password and MFA policies read
//!   from configuration, [`SecurityStamp`], [`UserId`] and [`Version`]; enables the
//!   `serde` features of the crates below. What a custom store or a configuration
//!   file needs.
//! - `session-state` (enables `serde`): `Serialize`/`Deserialize` for the
//!   trusted-on-read session state, [`Assurance`], [`Factor`], [`EnrolmentSession`] and
//!   [`SecondFactorChallenge`], so that an application can keep them in its
//!   server-side session between requests. None holds a secret, but each is trusted as
//!   it is read back: keep them where only the server writes (never a client-side
//!   cookie). A separate feature so that turning on store documents never makes
//!   session state serializable by accident.
//! - `testing`: attack your own deployment in tests: `testing::ChaosAccountStore`
//!   (and its twins for the device and MFA stores) adds latency and fails on command,
//!   or with a `testing::Flaw` breaks a guarantee the conformance suite must catch;
//!   `testing::AuditLog` captures the audit events.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod account;
mod accounts;
mod assurance;
pub mod audit;
mod challenge;
pub mod change_requests;
pub mod design;
mod error;
pub mod lifecycle;
mod mfa_flows;
mod offload;
mod parts;
mod password_flows;
#[cfg(feature = "webauthn")]
mod security_keys;
mod session;
mod sign_in;
mod status;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod threat_model;
pub mod tooling;

pub use account::{
    Account, AccountLifecycle, AccountParts, MAX_USERNAME_LEN, MIN_USERNAME_LEN, SecurityStamp,
    canonical_username,
};
pub use accounts::{
    Accounts, AccountsBuilder, BINDING_PASSWORD_MAX_AGE, DEFAULT_STEP_UP_MAX_AGE, InMemoryAccounts,
    MAX_STEP_UP_MAX_AGE, MIN_STEP_UP_MAX_AGE, REMEMBER_WITHIN, SECOND_FACTOR_TTL,
};
pub use assurance::{Assurance, EnrolmentSession, Factor, SetupSession};
pub use challenge::{PasswordChangeSession, SecondFactorChallenge, SignIn};
pub use change_requests::{
    ChangeRequest, Decision, FactorChange, MAX_CHANGE_NOTE_LEN, MAX_KEPT_CHANGE_REQUESTS,
    MAX_PENDING_CHANGE_REQUESTS,
};
pub use error::{Error, Result};
pub use lifecycle::{
    AdminAction, DEFAULT_TEMPORARY_PASSWORD_TTL, MAX_ADMIN_ID_LEN, MAX_ADMIN_REASON_LEN,
    MAX_TEMPORARY_PASSWORD_TTL, MIN_TEMPORARY_PASSWORD_TTL, MfaReset, PasswordReset,
    PasswordResetDone, ResetSession, ResetStep, TEMPORARY_PASSWORD_LEN,
};
pub use mfa_flows::{AuthenticatorAdded, MfaEnabled, Renewed};
pub use offload::{Bounded, Inline, Offload, OffloadError};
pub use parts::{SharedDelivery, SharedNotifier, SharedOffload, SharedSessions};
pub use password_flows::{PasswordChange, SignedOutEverywhere};
pub use session::{InMemorySessionRevoker, Revocation, SessionError, SessionRevoker};
pub use status::{MAX_STATUS_PAGE, MfaStatus, MfaStatusPage};
pub use store::{AccountStore, InMemoryAccountStore};
pub use tessera_store::StoreError;
pub use tooling::{
    MAX_TOOLING_CREDENTIALS, MAX_TOOLING_NAME_LEN, NewToolingCredential, TOOLING_KEY_PURPOSE,
    TOOLING_PREFIX, ToolSignIn, ToolingCredential,
};

/// The keys that seal secrets at rest: keyring, rotation, sealed values.
pub use tessera_keyring as keyring;
/// MFA settings and rules, email/SMS codes, recovery codes, notifications.
pub use tessera_mfa as mfa;
/// One-time codes: secrets, TOTP/HOTP, codes typed by people, otpauth:// URIs, QR codes.
pub use tessera_otp as otp;
/// Password policy, validation and Argon2id hashing.
pub use tessera_password as password;
/// A user's MFA devices (at most eight) over a compare-and-set store.
pub use tessera_registry as registry;
/// FIDO security keys and passkeys: the relying party the security-key flows take.
#[cfg(feature = "webauthn")]
pub use tessera_webauthn as webauthn;

pub use tessera_keyring::{Key, KeyId, Keyring};
pub use tessera_mfa::{
    Actor, ChallengeTicket, CodeDelivery, CodeMessage, ConsoleDelivery, DeliveryError,
    EmailNotifier, InMemoryDelivery, InMemoryStore, Mfa, MfaMethod, MfaSettings, MfaStore,
    Notified, OrgPolicy, RecordingNotifier, RecoveryCodeSet, RememberToken, SecurityEvent,
    SecurityEventKind, SecurityNotifier, ServerKey, Version, Versioned,
};
pub use tessera_otp::{Clock, ManualClock, SystemClock, UnixTime};
pub use tessera_password::{HashParams, Hasher, Password, PasswordPolicy, Violation, Violations};
pub use tessera_registry::{
    DeviceId, DeviceInfo, DeviceKind, DeviceRegistry, DeviceStore, Enrolment, InMemoryDeviceStore,
    RegistryConfig, UserId,
};
