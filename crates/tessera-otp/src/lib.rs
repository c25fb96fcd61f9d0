//! HOTP ([RFC 4226]) and TOTP ([RFC 6238]) one-time codes, done carefully.
//!
//! - [`Secret`]: generated from a CSPRNG (160 bits by default), imported leniently from
//!   base32 as authenticator apps write it, zeroized on drop, never printed.
//! - [`Code`]: what a person typed (`"123 456"`, `"１２３４５６"`), parsed or refused with a
//!   clear [`Error`].
//! - [`Totp`] and [`Hotp`]: generation and verification with the HMAC key state prepared
//!   once (two compression-function calls per code); verification is constant time,
//!   allocation-free and checks the current step first.
//! - Replay protection by default: [`Totp::verify`] takes the device's last used step as
//!   a required argument and refuses every step at or before it; [`Hotp::verify`] takes
//!   the next expected counter and returns the one to store. The replayable form has its
//!   own name, [`Totp::verify_allowing_replay`], and is never for sign-in.
//! - Resynchronisation from two consecutive codes ([`Totp::resync`], [`Hotp::resync`]).
//! - [`Clock`]: where the time comes from, so every rule can be tested at exact instants.
//! - [`KeyUri`]: otpauth:// Key URIs, how a secret reaches an authenticator app.
//!   [`KeyUri::parse`] is as lenient as the best apps (and reports weak secrets);
//!   [`KeyUri::totp`] and [`KeyUri::hotp`] are strict, and [`KeyUri::to_uri`] writes one
//!   canonical form that every app reads the same. [`parse_migration_uri`] imports
//!   Google Authenticator's `otpauth-migration://` export; with the `qr` feature,
//!   `QrCode` draws a URI as SVG, PNG or Unicode text for a terminal.
//!
//! This crate keeps no state: verification hands back the matched [`TimeStep`] (and
//! resync a [`Drift`]), and **the caller must persist it** and pass it to the next
//! verification, or a code can be replayed. `tessera-registry` does that for a user's
//! devices.
//!
//! ```
//! use tessera_otp::{Code, Secret, Totp, TotpParams, UnixTime, VerifyOptions};
//!
//! // Enrolment: issue a secret and show it to the person (as a URI or QR code).
//! let secret = Secret::generate();
//! let totp = Totp::new(&secret, TotpParams::DEFAULT);
//!
//! // Sign-in: parse what the person typed, verify, store the step.
//! let now = UnixTime::from_secs(1_700_000_000);
//! let typed = totp.generate(now)?.expose().to_owned(); // stands in for a person
//! let code = Code::parse(&typed, TotpParams::DEFAULT.digits())?;
//! let last_used = None; // a device that has never verified a code
//! let step = totp.verify(&code, now, last_used, VerifyOptions::new())?;
//! // Store `step` as the device's last used step.
//!
//! // The same code again, a moment later: refused, because its step is used.
//! let later = UnixTime::from_secs(1_700_000_010);
//! assert!(totp.verify(&code, later, Some(step), VerifyOptions::new()).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Decisions
//! - **Replay protection is not optional.** [`Totp::verify`] has no default for the last
//!   used step: the caller passes `None` only for a key that has never verified a code,
//!   and must store the step it returns. [`Totp::verify_allowing_replay`] is the one
//!   stateless form, named for what it allows; it is never for sign-in or step-up.
//!   [`Hotp::verify`] returns the counter to store (one past the match), so feeding its
//!   result back is all it takes; a code at counter `u64::MAX` is refused, since no
//!   counter could follow it.
//! - **Two compressions per code.** The HMAC key's inner and outer chaining states are
//!   computed once, in [`Totp::new`]/[`Hotp::new`]; each candidate step then costs one
//!   compression over the counter block and one over the inner digest's block, through
//!   the `sha1`/`sha2` crates' safe block-level functions (which use the CPU's SHA
//!   extensions where present). A ±1 window costs at most six compressions on a miss, two
//!   when the current step matches. The prepared states are wiped on drop.
//! - **Constant time where it matters.** Every candidate of a failed verification is
//!   computed and compared with `subtle`; a success returns at the first acceptable
//!   step, which reveals only which step matched. The code is compared as a number, never
//!   as text. Verification allocates nothing (tested with a counting allocator).
//!
//! # Crate features
//! - `serde`: `Serialize`/`Deserialize` for the configuration and value types (never
//!   for secrets or codes).
//! - `qr`: render otpauth:// URIs as QR codes (SVG, PNG, terminal).
//!
//! [RFC 4226]: https://www.rfc-editor.org/rfc/rfc4226
//! [RFC 6238]: https://www.rfc-editor.org/rfc/rfc6238

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
mod base32;
mod clock;
mod code;
mod error;
mod hotp;
mod key;
mod migration;
mod params;
#[cfg(feature = "qr")]
mod qr;
mod secret;
mod soft;
mod step;
mod totp;
mod uri;

pub use algorithm::Algorithm;
pub use clock::{Clock, ManualClock, SystemClock, UnixTime};
pub use code::Code;
pub use error::Error;
pub use hotp::Hotp;
pub use migration::{MigrationPayload, parse_migration_uri};
pub use params::{HotpParams, MAX_DIGITS, MIN_DIGITS, TotpParams, TotpParamsBuilder};
#[cfg(feature = "qr")]
pub use qr::QrCode;
pub use secret::Secret;
pub use soft::SoftAuthenticator;
pub use step::{Drift, Rejected, Resync, TimeStep, VerifyOptions, Window};
pub use totp::Totp;
pub use uri::{KeyUri, OtpKind};
