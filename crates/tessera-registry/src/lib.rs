//! A user's MFA devices, at most eight of any mix, over a pluggable compare-and-set
//! store: the model is AWS IAM's MFA devices.
//!
//! - Kinds ([`DeviceKind`]): authenticator apps (virtual TOTP, each with its own fresh
//!   secret), hardware TOTP tokens (serial number, secret imported by an administrator)
//!   and FIDO security keys (checked through an [`AssertionVerifier`] the application
//!   implements, e.g. with webauthn-rs).
//! - Lifecycle ([`DeviceRegistry`]): start an enrolment ([`Enrolment`]: secret and
//!   otpauth:// URI), finish it (the device becomes active) with one or two consecutive codes
//!   ([`ActivationPolicy`]) before it expires (a reloaded enrolment page is resumed
//!   with the same secret, [`DeviceRegistry::resume_enrolment`], or dropped at once,
//!   [`DeviceRegistry::cancel_enrolment`]; an app that ignores a SHA-256/512
//!   key's algorithm and computes SHA-1 is refused as
//!   [`Error::AppIgnoresAlgorithm`], never accepted), check codes against all active
//!   devices ([`Verified`] says which matched; a refusal can also say, for the
//!   account holder's notification, that the code was a replay: [`Rejection`]),
//!   resync, rename, remove, list, and [`MfaStatus`] in one call.
//! - Configuration ([`RegistryConfig`]): bounded settings whose defaults are the secure
//!   choice, and the issuer, the service name authenticator apps show, which has no
//!   default: [`RegistryConfig::new`] and [`RegistryConfig::builder`] take it, so that no
//!   service's entries carry another's (or a library's) name.
//! - Storage ([`DeviceStore`]): the user's devices are one versioned aggregate
//!   (a [`Versioned`] list of [`Device`]s); every operation is load → pure change → save-if-unchanged,
//!   retried a bounded number of times. That makes the device cap and the
//!   at-most-once use of every code hold under concurrent requests.
//!   [`InMemoryDeviceStore`] ships here.
//! - Seeds sealed at rest: every TOTP seed is sealed with the registry's
//!   [`Keyring`] the moment it is enrolled; stores, the
//!   `serde` form and `Debug` see only the sealed value. See "Secrets at rest" below.
//!
//! # Secrets at rest: what to keep secret, how to rotate
//!
//! [`DeviceRegistry::new`] takes an `Arc<Keyring>`; there is no registry without one.
//! Each seed is sealed (AES-256-GCM) with the keyring's active key, bound to
//! the purpose `"tessera-registry/totp-seed"`, the user id and the device id, so a
//! seed copied to another user's or device's record does not open. The only moment a
//! seed is shown in the clear is a pending enrolment's [`Enrolment::secret`] and
//! [`Enrolment::uri`] (at its start, and again when it is resumed, until it is
//! activated); there is no accessor on a stored device.
//!
//! - **Keep secret:** the keyring's keys. The stored documents are no longer secret
//!   in the way seeds are (they still say who has which devices; protect them as
//!   account data).
//! - **Opening** happens in memory for the one operation that needs a seed
//!   (verification, activation, resync, resuming an enrolment, the duplicate-token
//!   check) and the opened
//!   seed is wiped when the operation ends.
//! - **A seed that does not open** (its key is not loaded, or the value was tampered
//!   with or moved) is [`Error::SealedSecret`] and nothing stored changes. In a
//!   sign-in check such a device is skipped, so the user's other devices still verify;
//!   the error is returned only when no device matched the code (a wrong code on an
//!   account with an unopenable device therefore reads as `SealedSecret`, not
//!   `Rejected`: it tells the caller about the server's keys, nothing about the
//!   code). Never a panic.
//! - **Rotation:** add the new key to the keyring of every instance and activate it
//!   (`Keyring::add`, `Keyring::activate`, or list it first in the keyring text).
//!   From then on every save re-seals the user's stale seeds in the same
//!   compare-and-set write (re-seal on write). To finish without waiting for every
//!   user to sign in, run [`DeviceRegistry::reseal_page`] from `None` until its
//!   cursor is `None` (resumable, safe beside live traffic), then pass
//!   [`DeviceRegistry::count_sealed_with`] for the old key to `Keyring::retire`,
//!   which refuses while the count is not zero.
//!
//! The `examples/custom_storage.rs` program shows a JSON-file store holding only
//! sealed seeds, and a whole rotation.
//!
//! # One device, one user
//!
//! A hardware token and a seed belong to one user (AWS: "each virtual MFA device
//! assigned to a user must be unique … a user can't type a code from another user's
//! device"). Adding a hardware token claims its serial number (ASCII case folded) and
//! its seed, and finishing an app's enrolment claims the app's seed, in the store
//! ([`DeviceStore::claim_fingerprint`]), before the device is stored active; removing
//! the device releases them. A second user is refused with
//! [`Error::DeviceBelongsToAnotherUser`]; the store's atomic claim makes that hold
//! under concurrent enrolments on any number of servers.
//!
//! - **Never the seed:** a claim holds a [`DeviceFingerprint`], HMAC-SHA-256 under a
//!   key derived from the keyring for [`FINGERPRINT_PURPOSE`], over `"serial"` or
//!   `"seed"` and the value. Without the keyring a fingerprint tests nothing.
//! - **Enumeration:** the refusal comes only after the device's codes verified (a dry
//!   run of the change precedes the claim), so it tells nothing to someone who knows
//!   a serial but lacks the token. Whoever sees it holds a seed another account uses:
//!   a leaked or shared seed worth an administrator's attention. It never says which
//!   user.
//! - **Rotation:** claims are made under every key the keyring holds, so a device
//!   claimed before a new key was added stays claimed after. Once an old key is
//!   retired, its claims no longer match: run
//!   [`DeviceRegistry::claim_existing_devices`] for every user (as for
//!   [`reseal_page`](DeviceRegistry::reseal_page)) after adding a key.
//! - **Devices stored before this existed** have no claim; the same pass adds them
//!   (and reports devices two users already share, for an administrator to settle).
//! - **Best effort releases:** a claim whose operation then fails is released, unless
//!   a device the user now has needs it; a release that fails leaves a claim without
//!   a device, which refuses that device to other users until it is released.
//! - **Security keys** are not claimed here: a WebAuthn credential id is unique by
//!   construction, and `tessera-webauthn` checks it per user.
//!
//! # Signing in: use the facade, not this crate
//!
//! The registry has **no rate limit**. Its code checks are named for it
//! ([`DeviceRegistry::verify_unthrottled`],
//! [`verify_unthrottled_reporting_reuse`](DeviceRegistry::verify_unthrottled_reporting_reuse),
//! [`verify_assertion_unthrottled`](DeviceRegistry::verify_assertion_unthrottled)):
//! called in a loop they check a million six-digit guesses in under a second. The
//! sign-in and step-up check is the `tessera` facade's
//! (`Accounts::finish_second_factor`, `Accounts::finish_with_security_key`,
//! `Accounts::start_step_up`): it counts every attempt in the MFA throttle
//! (`tessera_mfa`) *before* the registry checks the code, and refuses without
//! checking when the attempt cannot be counted. An application that calls the
//! registry directly must do the same: count first, then check.
//!
//! There is deliberately no method called plain `verify`, so that nobody reaches for
//! the unthrottled check by accident:
//!
//! ```compile_fail
//! # use tessera_otp::{ManualClock, UnixTime};
//! # use tessera_registry::{DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId};
//! # async fn f() {
//! let registry = DeviceRegistry::new(
//!     InMemoryDeviceStore::new(),
//!     ManualClock::new(UnixTime::from_secs(0)),
//!     RegistryConfig::new("Example Inc").unwrap(),
//!     std::sync::Arc::new(tessera_keyring::Keyring::ephemeral().unwrap()),
//! );
//! let _ = registry.verify(&UserId::new("ana"), "123456").await;
//! # }
//! ```
//!
//! ```
//! use tessera_otp::{Clock, ManualClock, Totp, UnixTime};
//! use tessera_registry::{DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId};
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     use std::task::{Context, Poll, Waker};
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
//! #             return v;
//! #         }
//! #     }
//! # }
//! # block_on(async {
//! let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
//! // In production the keyring is loaded (Keyring::from_env, from_file) and shared.
//! let keyring = std::sync::Arc::new(tessera_keyring::Keyring::ephemeral()?);
//! let registry = DeviceRegistry::new(
//!     InMemoryDeviceStore::new(),
//!     clock.clone(),
//!     RegistryConfig::new("Example Inc")?,
//!     keyring,
//! );
//! let ana = UserId::new("ana");
//!
//! let enrolment = registry.start_enrolment(&ana, "Phone", "ana@example.com").await?;
//! // The person scans enrolment.uri() and types two consecutive codes (AWS's rule).
//! let app = Totp::new(enrolment.secret(), Default::default());
//! let step = app.time_step(clock.now())?;
//! let first = app.generate_at_step(tessera_otp::TimeStep::new(step.get() - 1));
//! let second = app.generate_at_step(step);
//! registry.finish_enrolment(&ana, enrolment.device_id(), &[first.expose(), second.expose()]).await?;
//!
//! let status = registry.mfa_status(&ana).await?;
//! assert!(status.is_enabled());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # .map_err(|e| e.to_string())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//! - `testing`: `testing::run_conformance`, the test suite every
//!   [`DeviceStore`] implementation should pass, and `testing::ChaosDeviceStore`
//!   with `testing::Faults`, which add latency and failures to any store so that
//!   the races and failures of the registry's own tests can be run against yours.
//! - `serde`: `Serialize`/`Deserialize` for the stored aggregate (a list of
//!   [`Device`] and their parts), [`DeviceKind`] and [`UserId`] (as its bare string),
//!   for stores that keep a user's devices as one document. TOTP seeds appear in it
//!   only sealed (`tsk1.<key id>.<nonce>.<ciphertext>`), never in the clear.
//!   Deserialization validates every field as the constructors do. [`RegistryConfig`] and [`ActivationPolicy`] too, for
//!   configuration files: a `RegistryConfig` deserializes through its builder, so a
//!   file can never hold a bound the builder refuses (missing fields take the
//!   defaults, unknown fields are refused).
//! - `qr`: `Enrolment::qr`, the enrolment's otpauth:// URI as a QR code (SVG, PNG,
//!   terminal).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod change;
mod config;
#[cfg(feature = "serde")]
mod config_serde;
mod device;
mod enrolment;
mod error;
mod fido;
mod fingerprint;
mod id;
mod kind;
mod memory;
mod outcome;
mod registry;
mod rejection;
mod reseal;
mod seal;
#[cfg(feature = "serde")]
mod serde_impl;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use change::HardwareToken;
pub use config::{ActivationPolicy, RegistryConfig, RegistryConfigBuilder};
pub use device::{
    Credential, Device, DeviceInfo, DeviceState, DeviceStatus, KeyFlags, SecurityKey,
    TotpCredential,
};
pub use enrolment::Enrolment;
pub use error::Error;
pub use fido::AssertionVerifier;
pub use fingerprint::{DeviceFingerprint, FINGERPRINT_LEN, FINGERPRINT_PURPOSE, FingerprintClaim};
pub use id::{DeviceId, DeviceName};
pub use kind::DeviceKind;
pub use memory::InMemoryDeviceStore;
pub use outcome::{AssertionVerified, MfaStatus, Verified};
pub use registry::{DeviceRegistry, MAX_ACCOUNT_LABEL_LEN};
pub use rejection::{CodeReuse, Rejection};
pub use reseal::{ResealPage, UnopenedSeed};
pub use store::DeviceStore;
/// The keyring types the registry's API takes and returns, re-exported so that one
/// dependency is enough.
pub use tessera_keyring::{Key, KeyId, Keyring, Sealed};
pub use tessera_store::{StoreError, UserId, Version, Versioned};

/// Runs a future to completion on this thread, for the unit tests: the registry's
/// futures wait only on their store (and the chaos store's timer thread, which wakes
/// them), so polling in a loop needs no runtime.
#[cfg(test)]
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            return v;
        }
        std::thread::yield_now();
    }
}
