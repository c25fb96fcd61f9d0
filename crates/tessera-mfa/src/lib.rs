//! MFA settings, method availability and selection, organisation policy, email/SMS codes,
//! recovery codes, remembered devices, throttling and security notifications.
//!
//! This crate holds the product rules of a second factor around the device registry
//! (`tessera-registry`): which methods an account can use and why not, which one is
//! offered first and what replaces it when it goes away, what the organisation allows,
//! and who is told about every change.
//!
//! Everything runs through [`Mfa`], generic over three small traits: an [`MfaStore`]
//! (versioned, compare-and-set; [`InMemoryStore`] ships), a [`SecurityNotifier`]
//! ([`RecordingNotifier`], [`EmailNotifier`] ship) and a [`tessera_otp::Clock`].
//! Device facts come in through [`AccountContext`], so this crate needs no registry
//! internals.
//!
//! # What it covers
//! - **Settings and selection**: [`Mfa::enable`], [`Mfa::disable`],
//!   [`Mfa::set_preferred`], [`Mfa::availability`] (every method with
//!   [`Availability::Available`] or an [`Unavailable`] reason), [`Mfa::sign_in_plan`],
//!   and the fallback when the preferred method goes ([`Mfa::device_removed`],
//!   [`Mfa::reconcile`]).
//! - **Organisation policy** ([`OrgPolicy`]): allowed methods, required MFA (for all or
//!   per account), self-service removal ([`Mfa::authorize_device_removal`], which the
//!   facade calls before the registry's `remove`), the default method, the SMS warning.
//! - **Email and SMS codes**: [`Mfa::send_code`] through a [`CodeDelivery`]
//!   ([`ConsoleDelivery`], [`InMemoryDelivery`] ship), [`Mfa::verify_code`]; phone
//!   numbers ([`Mfa::link_phone`], verified with an SMS code).
//! - **Recovery codes** ([`Mfa::regenerate_recovery_codes`], [`Mfa::use_recovery_code`]),
//!   **remembered devices** ([`Mfa::remember_device`], [`Mfa::is_remembered`],
//!   [`Mfa::revoke_all_remembered_devices`]) and **throttling** (see below).
//! - **Notifications**: every change emits one [`SecurityEvent`] after it is stored;
//!   a failing notifier comes back in [`Notified::notify_error`], the change stays.
//!   An event carries its [`Recipient`] (address and name) when the operation was given
//!   an [`AccountContext`]: the operations that need only an id take any [`Account`],
//!   a bare [`UserId`] or a context, so pass the context where you have one. Times in
//!   messages are [`UtcTime`] (`2023-11-14 22:13 UTC`), never raw Unix seconds.
//!   [`RecordingNotifier`], [`EmailNotifier`] and [`InMemoryDelivery`] keep the newest
//!   [`DEFAULT_RECORD_CAPACITY`] messages (the oldest dropped and counted), so a
//!   service that keeps one runs in bounded memory; [`OutboxNotifier`] refuses, never
//!   drops, when its queue is full.
//!   The notifier is awaited on the answer's path, so a service should give [`Mfa`] an
//!   [`OutboxNotifier`] (a bounded in-memory queue, never blocking) and drain its
//!   [`Outbox`] into the real mailer in a background task: then a replayed code
//!   ([`Mfa::report_code_reuse`], which does no store I/O) is answered as fast as a
//!   wrong one.
//!
//! # What the application must keep
//! - The keyring ([`tessera_keyring::Keyring`]) the [`ServerKey`] is derived from
//!   ([`ServerKey::from_keyring`]), outside the state store, the same for every
//!   instance. Codes, recovery codes and remember tokens are stored only as
//!   HMAC-SHA-256 tags under it, each naming the id of the key that made it; no key is
//!   ever part of the stored state, its serde form or a `Debug` output.
//!   [`ServerKey::generate`] is for tests and single-process tools: what it tagged dies
//!   with the process.
//! - The [`AccountState`] and [`DestinationState`] aggregates, whole, with their
//!   versions (see [`MfaStore`]).
//!
//! # Defaults
//! | setting | default | bounds |
//! | --- | --- | --- |
//! | email/SMS code | 6 digits, 5 minutes, 5 attempts | 6–10 digits, 1–10 minutes, 1–10 attempts |
//! | send limits | 5 per account and 5 per destination in 15 minutes, 30 s apart | 1–100 per 1 min–1 day window |
//! | recovery codes | 10 codes of 24 symbols (≈117.8 bits) | 1–32 codes |
//! | remembered device | 30 days | 1 hour–365 days, at most 20 per account |
//! | throttling | 5 free failures, then 30 s doubling to 15 min; 1-hour lockout at 20 failures and again at each one after; locked until an administrator unlocks at 100 | hard limit ≤ 100 |
//! | store retries | 32 rounds | 1–64 |
//!
//! # Rotating the server key
//! 1. Add a key to the keyring text *first* (so it is active) and keep the old one after
//!    it; restart or reload every instance ([`ServerKey::from_keyring`]). New challenges,
//!    recovery sets and remembered devices are tagged with the new key; those made under
//!    the old one keep verifying while it stays loaded. During a rolling restart an
//!    instance still on the old keyring refuses what the new key tagged (opaquely, like
//!    a wrong code), so roll out quickly, or add the new key as a non-active second
//!    entry everywhere first and activate it in a second roll-out.
//! 2. Tags cannot be re-keyed (the codes are not stored). Instead
//!    [`Mfa::count_tags_with`] counts what still depends on the old key, over every
//!    account ([`MfaStore::list_accounts`]): live challenges (minutes), unused recovery
//!    codes (until used or regenerated) and unexpired remembered devices (their
//!    lifetime, 30 days by default). [`Mfa::prune_expired`] drops the dead ones.
//! 3. [`tessera_keyring::Keyring::retire`] the old key with that count; it refuses
//!    while the count is not zero. Retiring early is safe but not free: whatever the
//!    key still tagged is refused like a wrong code from then on, and comes back if the
//!    key is loaded again.
//!
//! State stored before tags named their key reads as [`SINGLE_SERVER_KEY_ID`], the id
//! [`ServerKey::from_bytes`] gives its key; a deployment moving from a key given as
//! bytes to a keyring keeps it for checking with [`ServerKey::with_previous_key`].
//!
//! # Throttling: every attempt is counted before it is checked
//! Failed attempts are counted per account across every factor, in the account's
//! aggregate. [`Mfa::begin_attempt`] admits an attempt *and* counts it as a failure in
//! one conditional save, and hands out an [`Attempt`]; only then may the caller check a
//! password, a TOTP code or a security key. The caller reports a right factor with
//! [`Mfa::attempt_passed`] (takes the provisional failure back) or
//! [`Mfa::attempt_completed`] (the sign-in or step-up is complete: the count resets);
//! dropping the attempt leaves the failure counted. A conflict or a failing store
//! refuses *without* a check. Email, SMS and recovery codes are admitted, checked and
//! counted in one conditional save by [`Mfa::verify_code`] and
//! [`Mfa::use_recovery_code`]; their success does not reset the count either: the
//! application calls [`Mfa::authentication_completed`] when the sign-in or step-up is
//! complete. So a burst of any size gets at most the configured number of checks (5 by
//! default) before the first delay, and NIST SP 800-63B §5.2.2's cap of 100 consecutive
//! failures holds across lockouts: at [`ThrottleConfig::hard_limit`] the account stays
//! locked until a named administrator calls [`Mfa::unlock`]. See [`ThrottleConfig`].
//!
//! # How the crate is laid out
//! By concept, each type beside its rules: `settings/` (settings, availability, methods,
//! policy, authority, the account context), `codes/` (email/SMS challenges, delivery,
//! send limits, phone numbers, the server key), `recovery/`, `remembered/`,
//! `throttle/`, `notify/`, and `store.rs`/`state.rs` for the stored aggregates. In each
//! concept folder, `change.rs` holds the pure state changes (methods on
//! [`AccountState`], taking the instant and the configuration, tested without a store
//! or a runtime) and `flow.rs` the [`Mfa`] operations, each one load → change →
//! conditional save.
//!
//! # Recovery code storage (NIST SP 800-63B §5.1.2)
//! §5.1.2.2 accepts look-up secrets of at least 112 bits stored under an approved
//! one-way function; only shorter ones need a salted password hash. Each
//! [`RecoveryCode`] is 24 symbols drawn uniformly from a 30-symbol alphabet
//! (24 × log2 30 ≈ 117.8 bits) and is stored as HMAC-SHA-256 under the server key, bound
//! to the account. Without the key, a copy of the store admits no offline guessing; with
//! it, 2^117 guesses remain out of reach. A password hash (argon2id at OWASP parameters,
//! about 20 ms and 19 MiB per candidate, times every unused code per attempt) would add
//! a denial-of-service surface and no security, so the fast keyed hash is the choice.
//!
//! # Method strength
//! [`MfaMethod::ALL`] lists the methods strongest first: security key, hardware token,
//! authenticator app, recovery code (never preferred), email, SMS. See [`MfaMethod`].
//!
//! What a step-up with a method may *authorise* is a separate ranking,
//! [`Authority`] (`Email < Sms < Aal2 < PhishingResistant`, from NIST SP 800-63B-4):
//! a weaker factor never removes a stronger one or turns MFA off while a stronger one
//! exists. [`AvailabilityTable::authorising`] marks the methods too weak for an
//! operation with [`Unavailable::TooWeakFor`]; an organisation can exclude email as a
//! second factor altogether with [`OrgPolicyBuilder::disallow`].
//!
//! # Example
//! ```
//! use tessera_mfa::{AccountContext, Actor, InMemoryStore, Mfa, MfaMethod, OrgPolicy,
//!     RecordingNotifier, SecurityEventKind, ServerKey, Unavailable};
//! use tessera_otp::{ManualClock, UnixTime};
//! use tessera_registry::{DeviceKind, UserId};
//!
//! # tokio_test_block_on(async {
//! let mfa = Mfa::new(
//!     InMemoryStore::new(),
//!     RecordingNotifier::new(),
//!     ManualClock::new(UnixTime::from_secs(1_700_000_000)),
//!     OrgPolicy::builder().disallow(MfaMethod::Sms).build()?,
//!     ServerKey::generate()?, // in a service: ServerKey::from_keyring(&keyring)?
//! );
//! let ctx = AccountContext::new(UserId::new("ana"))
//!     .with_active_devices([DeviceKind::AuthenticatorApp]);
//!
//! let table = mfa.availability(&ctx).await?;
//! assert!(table.is_available(MfaMethod::AuthenticatorApp));
//! assert_eq!(table.get(MfaMethod::Sms).reason(), Some(Unavailable::DisabledByPolicy));
//!
//! let enabled = mfa.enable(&ctx, None, Actor::AccountHolder).await?.into_value();
//! assert_eq!(enabled.settings.preferred(), Some(MfaMethod::AuthenticatorApp));
//! // Turning MFA on issues a fresh set of recovery codes, to show once.
//! assert_eq!(enabled.recovery_codes.map(|s| s.codes().len()), Some(10));
//! assert_eq!(
//!     mfa.notifier().kinds(),
//!     [SecurityEventKind::MfaEnabled { preferred: MfaMethod::AuthenticatorApp }]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```
//!
//! # Crate features
//! - `serde`: serialize the stored state ([`AccountState`], [`DestinationState`]) and
//!   the value types in it, for stores that keep documents; the configuration types
//!   ([`ThrottleConfig`], [`ChallengeConfig`], [`SendLimits`], [`OrgPolicy`]), which
//!   deserialize through their validating constructors; and the values a caller
//!   keeps between requests ([`ChallengeTicket`], [`Verified`]), which hold nothing
//!   secret.
//! - `testing`: `testing::run_conformance`, the suite every [`MfaStore`] must pass
//!   (compare-and-set, exact round trips, isolation, paging; run it from your store's
//!   tests), and `testing::ChaosStore`, an [`MfaStore`] wrapper that adds latency and
//!   injects store failures (`testing::Faults`), to run the burst and fault tests of
//!   this crate against your own store.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod codes;
mod error;
mod notify;
mod recovery;
mod remembered;
mod service;
mod settings;
mod state;
mod store;
mod throttle;

#[cfg(feature = "testing")]
pub mod testing;

pub use codes::{
    ChallengeConfig, ChallengeId, ChallengeTicket, CodeDelivery, CodeMessage, ConsoleDelivery,
    DEFAULT_RESET_TTL, DeliveryError, Destination, InMemoryDelivery, MAX_CHALLENGE_ATTEMPTS,
    MAX_CHALLENGE_TTL, MAX_CODE_DIGITS, MAX_CODE_INPUT_LEN, MAX_PENDING_CHALLENGES,
    MAX_PHONE_DIGITS, MAX_PHONE_INPUT_LEN, MAX_RESEND_INTERVAL, MAX_RESET_TTL, MAX_SCAN_PAGE,
    MAX_SEND_WINDOW, MAX_SENDS_PER_WINDOW, MAX_SERVER_KEY_LEN, MIN_CHALLENGE_ATTEMPTS,
    MIN_CHALLENGE_TTL, MIN_CODE_DIGITS, MIN_PHONE_DIGITS, MIN_SEND_WINDOW, MIN_SERVER_KEY_LEN,
    OneTimeCode, PhoneNumber, Purpose, SERVER_KEY_PURPOSE, SINGLE_SERVER_KEY_ID, Scan, SendLimits,
    ServerKey, Verified,
};
pub use error::{Error, Result};
pub use notify::{
    DEFAULT_OUTBOX_CAPACITY, DEFAULT_RECORD_CAPACITY, EmailNotifier, MAX_OUTBOX_CAPACITY,
    MAX_RECORD_CAPACITY, NoNotifier, Notified, NotifyError, Outbox, OutboxNotifier, Recipient,
    RecordingNotifier, SecurityEmail, SecurityEvent, SecurityEventKind, SecurityNotifier, UtcTime,
};
pub use recovery::{
    DEFAULT_RECOVERY_CODES, MAX_RECOVERY_CODES, MAX_RECOVERY_INPUT_LEN, MIN_RECOVERY_CODES,
    RECOVERY_ALPHABET, RECOVERY_CODE_LEN, RECOVERY_GROUP_LEN, RecoveryCode, RecoveryCodeSet,
};
pub use remembered::{
    DEFAULT_REMEMBER_TTL, MAX_DEVICE_LABEL_CHARS, MAX_REMEMBER_TTL, MAX_REMEMBERED_DEVICES,
    MIN_REMEMBER_TTL, RememberToken, RememberedDevice, RememberedDeviceId,
};
pub use service::{DEFAULT_STORE_ATTEMPTS, MAX_STORE_ATTEMPTS, MIN_STORE_ATTEMPTS, Mfa};
pub use settings::{
    Account, AccountContext, Actor, Authority, Availability, AvailabilityTable, EmailAddress,
    Enabled, MAX_EMAIL_LEN, MethodStatus, MfaMethod, MfaSettings, OrgPolicy, OrgPolicyBuilder,
    SignInPlan, Unavailable,
};
pub use state::{AccountState, PhoneLink};
pub use store::{DestinationKey, DestinationState, InMemoryStore, MfaStore};
pub use tessera_store::{StoreError, UserId, Version, Versioned};
pub use throttle::{
    Attempt, MAX_DELAY, MAX_HARD_LIMIT, MAX_LOCKOUT, MIN_LOCKOUT, ThrottleConfig, ThrottleState,
};
