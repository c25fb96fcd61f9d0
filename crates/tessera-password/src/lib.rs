//! Password policy and argon2id password hashing for Rust services.
//!
//! - **Policy** ([`PasswordPolicy`]): NIST SP 800-63B-4 §3.1.1.2 defaults (at least 15 code
//!   points when the password is the only factor, 8 with a second factor, see [`PasswordUse`];
//!   at most 128 after NFKC, never truncated, every printable character allowed, no
//!   composition rules, a blocklist of common passwords that sees through look-alike letters,
//!   padding and decorations, no username or email in the password) with the organisation
//!   rules that Keycloak and AWS IAM offer on top (character classes, a regular expression, no
//!   reuse of the last N passwords) and, behind a feature, a minimum zxcvbn score.
//! - **Validation** reports every broken rule as a [`Violation`] with a stable snake_case code,
//!   its limit and an English message; a password change also checks the confirmation field
//!   and the history, and always refuses the current password.
//! - **Hashing** ([`Hasher`]): Argon2id PHC strings at OWASP's parameters (m = 19 MiB, t = 2,
//!   p = 1), an optional [`Pepper`] with retired ones for rotation ([`Hasher::builder`]),
//!   constant-time verification of current and legacy Argon2 hashes, [`Hasher::needs_rehash`],
//!   and RustCrypto's `password-hash` traits.
//!
//! Configuration has one shape, `argon2::ParamsBuilder`'s: [`PasswordPolicy::builder`] and
//! [`Hasher::builder`] return builders whose setters take and return `&mut Self` and whose
//! `build(&self)` validates. [`Context`] is not configuration but the facts of one check (a
//! username, an email), so it is built by value with `with_*`.
//!
//! ```
//! use tessera_password::{Context, HashParams, Hasher, Password, PasswordPolicy};
//!
//! let policy = PasswordPolicy::default();
//! let context = Context::new().with_username("alice").with_email("alice@example.com");
//!
//! let weak = Password::new("alice123");
//! let err = policy.validate(&weak, &context).unwrap_err();
//! assert_eq!(
//!     err.codes(),
//!     ["too_short", "blocklisted", "contains_username", "contains_email"]
//! );
//! assert_eq!(err.as_slice()[2].message(), "Do not use your username in the password.");
//!
//! let good = Password::new("correct horse battery staple");
//! policy.validate(&good, &context)?;
//!
//! let hasher = Hasher::new(HashParams::DEFAULT);
//! let stored = hasher.hash(&good)?; // "$argon2id$v=19$m=19456,t=2,p=1$…"
//! assert!(hasher.verify(&good, &stored)?);
//! assert!(!hasher.needs_rehash(&stored)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Normalisation
//!
//! Every check and the hash itself work on the NFKC form of the password (see NIST SP
//! 800-63B §5.1.1.2), so a precomposed "é" and "e" + combining accent are one password.
//! Length is counted in code points of that form, leaving out invisible characters (zero-width
//! spaces and joiners, soft hyphens, variation selectors), which would otherwise pad a short
//! password past the minimum; they stay part of the hashed password.
//!
//! Blocklist, pattern and context checks look at the password's *candidate forms* instead of
//! the password as typed, because `"password "`, `"pаssword"` (Cyrillic а), `P@ssw0rd!`,
//! `Summer2024!` and `passwordpassword` are all as weak as the entry underneath:
//!
//! 1. its **skeleton**: invisible characters removed, Cyrillic, Greek, Armenian and other
//!    letters that look like Latin ones mapped to them (a hand-picked subset of the Unicode
//!    TR39 confusables data), diacritics dropped, lowercased, outer spaces trimmed;
//! 2. the skeleton without leading and trailing **decorations** (digits, punctuation, spaces);
//! 3. those with **leetspeak** undone (`@`→a, `0`→o, `3`→e, `$`→s, `1`→i or l, …);
//! 4. the **unit** of a password wholly made of one repeated unit, and its forms. A repetition
//!    whose unit is shorter than the minimum length is refused as `repeated`.
//!
//! Only whole forms are compared with lists, never substrings, so passphrases that contain a
//! common word stay accepted. Seasons, months, weekdays and default account names
//! (`Autumn2024!`, `administrator1!`) are refused with the list. Context words of three code
//! points (a username such as "ana") count when the password is that word behind
//! decorations; longer ones anywhere in it ([`MIN_CONTEXT_SUBSTRING_LEN`]).
//!
//! # Length and the second factor
//!
//! NIST SP 800-63B-4 §3.1.1.2 asks for 15 characters when the password is the only factor and
//! 8 alongside a second factor. [`PasswordPolicy::validate`] on the default policy applies 15:
//! without knowing whether MFA is on, that is the rule safe for both. The facade narrows it
//! with [`PasswordPolicy::for_use`] and records [`PasswordPolicy::meets_min_length`] for
//! [`PasswordUse::OnlyFactor`] when a password is set, so that turning MFA off on an account
//! whose password is too short for password-only use asks for a new password first.
//! An organisation accepts 8 everywhere (the Amplify default) only by saying so:
//! `PasswordPolicy::builder().min_length_everywhere(8)`.
//!
//! # Changing the password
//!
//! [`PasswordPolicy::validate_change`] refuses the current password (`same_as_current`, the
//! first entry of the history it is given) whatever the history depth, and, with a history,
//! the last N (`reused`).
//!
//! # The blocklist
//!
//! The built-in list ([`BuiltinBlocklist`]) is the 30,000-entry `PASSWORDS` frequency list of
//! the `zxcvbn` crate 3.1.1 (MIT licence, © 2016 Joshua Holmer), which is Dropbox's zxcvbn list
//! (MIT licence, © 2012-2016 Dan Wheeler and Dropbox, Inc.), a frequency count of Mark
//! Burnett's public corpus of ten million breached passwords. It is shipped NFKC-normalised,
//! lowercased and sorted (241,950 bytes, `data/common-passwords.txt`, with provenance and the
//! licence text in `data/README.md`) and searched in place by binary search: no start-up
//! work, no heap, about 0.25 µs a lookup (criterion, `password_blocklist/builtin`) against
//! about 0.03 µs for a `HashSet` of the same entries that would cost ~1 MiB of heap and a build
//! at start-up. A whole default validation, candidate forms included, takes a few
//! microseconds (criterion, `password_validate`). Besides the list,
//! a password that is wholly one repeated unit, one sequence or one keyboard-row run is
//! refused. Applications add their own list or a breached-password service through the
//! [`Blocklist`] trait and [`PasswordPolicy::validate_with`].
//!
//! # Async services
//!
//! Nothing here does I/O or blocks on anything but the CPU, but [`Hasher::hash`],
//! [`Hasher::verify`] and the history check of [`PasswordPolicy::validate_change`] take tens of
//! milliseconds by design. Call them with `tokio::task::spawn_blocking` (or your runtime's
//! equivalent, or a dedicated thread pool), never directly on an executor thread:
//!
//! ```no_run
//! # async fn login(hasher: tessera_password::Hasher, password: tessera_password::Password, stored: String)
//! #     -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
//! let ok = tokio::task::spawn_blocking(move || hasher.verify(&password, &stored)).await??;
//! # Ok(ok) }
//! ```
//!
//! # Crate features
//!
//! - `serde`: serialises [`Violation`]s (`{"code", "params", "message"}`) and
//!   (de)serialises [`PasswordPolicy`] and [`HashParams`] with the same bounds checks, so
//!   organisations can keep policies in configuration files.
//! - `zxcvbn`: `PasswordPolicyBuilder::min_zxcvbn_score`, a minimum strength estimate
//!   (`too_weak`), as Authelia offers. Off by default: it pulls in the `zxcvbn` crate.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blocklist;
mod context;
mod error;
mod hash;
mod hash_params;
mod history;
mod normalize;
mod password;
mod password_use;
mod policy;
mod validate;
mod violation;
mod weak;

pub use blocklist::{Blocklist, BuiltinBlocklist, NoBlocklist};
pub use context::{Context, MIN_CONTEXT_SUBSTRING_LEN, MIN_CONTEXT_WORD_LEN};
pub use error::Error;
pub use hash::{Hasher, HasherBuilder, MAX_PASSWORD_BYTES};
pub use hash_params::{HashParams, Pepper};
pub use history::PasswordHistory;
pub use normalize::{normalize, normalized_len};
pub use password::Password;
pub use password_use::PasswordUse;
#[cfg(feature = "zxcvbn")]
pub use policy::MAX_ZXCVBN_SCORE;
pub use policy::{
    DEFAULT_MAX_LENGTH, DEFAULT_MIN_LENGTH, DEFAULT_MIN_LENGTH_WITH_SECOND_FACTOR, MAX_HISTORY,
    MAX_MAX_LENGTH, MAX_PATTERN_LEN, MAX_SERVICE_WORDS, MIN_MAX_LENGTH, MIN_MIN_LENGTH,
    PASSWORD_ONLY_MIN_LENGTH, PasswordPolicy, PasswordPolicyBuilder,
};
pub use violation::{Violation, Violations};

/// RustCrypto's `password-hash` crate, re-exported for its traits and PHC types.
pub use password_hash;
