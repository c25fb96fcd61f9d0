//! # Design: the map of the workspace
//!
//! What each crate owns, which way dependencies point, and the invariants every change
//! keeps. Where this page is silent, the crates' own docs say what was decided.
//!
//!
//! Tessera is a Cargo workspace of reusable authentication libraries for Rust services:
//! RFC 6238 TOTP, password policy validation and hashing, MFA method selection, and an
//! MFA device registry of up to eight devices per user. Applications embed the crates and
//! plug in their own storage, delivery (email, SMS) and notifications through traits.
//!
//! This page is the map. It says what each crate owns, which way dependencies point, and
//! the invariants that every change must keep. Where it is silent, build what a user of
//! such a library would expect, and write the decision down here.
//!
//! ### What users do with it
//! - Embed it in a Rust web service: enrol an authenticator app (otpauth:// URI and QR code),
//!   verify codes at sign-in, manage up to eight MFA devices, send email/SMS codes through
//!   their own provider, enforce a password policy, hash and verify passwords.
//! - Run the examples to see a whole account's flows end to end.
//! - Benchmark TOTP verification against the crates they would otherwise pick.
//! - Fuzz every parser of untrusted input (codes, secrets, URIs, PHC strings).
//!
//! ### Crates and the way they depend
//!
//! ```text
//! tessera-cli ──► tessera ──► tessera-mfa ──► tessera-registry ──► tessera-otp
//!                    │              │                 │
//!                    │              ├────────┬────────┤
//!                    │              ▼        ▼        ▼
//!                    │      tessera-store   tessera-keyring
//!                    └──────► tessera-password
//! ```
//!
//! | crate | owns | I/O |
//! | --- | --- | --- |
//! | `tessera-otp` | HOTP (RFC 4226) and TOTP (RFC 6238): SHA-1/256/512, 6–10 digits, period, T0; `Secret` (generation, lenient base32 import, strict issue policy); parsing what a person typed as a code; verification with a window that returns the matched time step and refuses steps at or before the last one used; resynchronisation from two consecutive codes; otpauth:// Key URI parse and format; QR rendering behind a feature | none, sync, no async |
//! | `tessera-store` | the store vocabulary: `UserId`, `Version`/`Versioned`, the one `StoreError` (conflict, duplicate, backend keeping its source); every store trait (accounts, devices, MFA state) loads a versioned aggregate and saves it only if the version is unchanged | none |
//! | `tessera-keyring` | the keys that seal secrets at rest: keys with ids, one active, AES-256-GCM values bound to their purpose and owner, rotation and guarded retirement, derived MAC keys | none, sync |
//! | `tessera-password` | password policy (NIST SP 800-63B defaults, organisation rules on top), validation that reports every violation with a stable code, blocklist and context words, confirmation match, history; argon2id hashing in PHC strings, pepper, rehash detection | none, sync |
//! | `tessera-registry` | a user's MFA devices (authenticator app, hardware TOTP token, FIDO security key), at most eight, any mix; enrolment, activation with codes, naming, listing and status, deactivation, resync, verification of a code against the user's active devices; the `DeviceStore` trait and an in-memory store | async traits |
//! | `tessera-mfa` | per-account MFA settings (enabled, preferred method), which methods are available and why not, selection and fallback, organisation policy (allowed methods, required MFA, self-service removal), email/SMS one-time codes, phone number verification, recovery codes, remembered devices, throttling and lockout, security notifications; the delivery, notification and state-store traits with in-memory implementations | async traits |
//! | `tessera` | the facade an application uses: re-exports, and the account flows that combine the crates (sign-in with a second factor, change password with optional sign-out everywhere, enable/disable MFA, set up an authenticator app), plus an assurance record (which factors, when) for MFA-protected operations | async |
//! | `tessera-cli` | the `tessera` command: codes, verification, secrets, URIs, QR codes, password checks and hashes | process |
//!
//! Rules of direction: arrows point one way only. `tessera-otp` and `tessera-password`
//! know nothing of storage, async or each other. No library crate depends on an async
//! runtime; tests and examples may use one.
//!
//! #### Adapters (the second milestone)
//! Real parts plug in as adapter crates beside the core, each depending on the core and
//! never the other way (as `jiff-sqlx` sits beside `jiff`, `rustls-ring` beside `rustls`).
//! An adapter may depend on a runtime and may need a newer compiler; the core may not.
//!
//! | crate | owns |
//! | --- | --- |
//! | `tessera-sqlx` | every store trait on SQLite (the embedded default) and PostgreSQL (many instances), embedded migrations, passing the same conformance suites as the in-memory stores |
//! | `tessera-webauthn` | FIDO security keys and passkeys on webauthn-rs: registration and authentication ceremonies feeding the registry and the facade |
//! | `tessera-axum` | extractors, error responses, session glue and a bounded blocking offload for axum services; the Credentials web application as its example, tested in headless Chromium |
//!
//! A small shared vocabulary (user ids, versions, the one store error) may sit below the
//! crates that need it, so every store trait has the same shape.
//!
//! ### Pluggable parts
//! Small traits, `Send + Sync`, async where they do I/O (native `async fn` in traits,
//! futures `Send`), each with an in-memory implementation shipped for tests, examples and
//! small applications:
//! - `Clock` — the current time; every time rule is tested at exact instants.
//! - `DeviceStore` — a user's devices. Recommended shape: the user's devices are one
//!   aggregate with a version; `load` returns it, `save` writes it only if the version is
//!   unchanged (compare-and-set). Every registry operation is load → pure change →
//!   conditional save, retried a bounded number of times on conflict. That makes the
//!   eight-device cap and replay prevention atomic on any store that can compare-and-set
//!   one row (SQL `UPDATE … WHERE version = ?`, Redis `WATCH`, DynamoDB conditions).
//! - `CodeDelivery` — sends an email or SMS message carrying a one-time code.
//! - `SecurityNotifier` — tells the account holder about security events (password changed,
//!   MFA enabled or disabled, device added or removed, code reuse seen, lockout).
//! - State stores for MFA settings, pending challenges and throttling, in the same
//!   versioned style.
//!
//! ### Invariants
//! 1. A one-time code is accepted at most once: a TOTP time step at or before a device's
//!    last used step is refused, also when two requests race (the conditional save decides).
//! 2. Verification failure is one opaque outcome: wrong, reused, expired and "from another
//!    device" look the same to the caller of the sign-in path. Details go to logs/events,
//!    never secrets.
//! 3. Secrets, codes and passwords are never printed: redacted `Debug`, zeroized on drop,
//!    never in error messages.
//! 4. Comparisons of codes and hashes are constant time (`subtle`).
//! 5. Every input a person or a peer controls is parsed into a type or refused with a clear
//!    error; no panic on any input (fuzzed).
//! 6. Defaults are the secure choice: 160-bit secrets, SHA-1/6 digits/30 s for
//!    compatibility with authenticator apps, window ±1, argon2id at OWASP parameters or
//!    stronger, email/SMS codes of at least six random digits that expire in ten minutes
//!    at most, lockout on by default.
//! 7. A user never has more than eight devices; a ninth enrolment is refused with a clear
//!    error and nothing is lost.
//! 8. No code or password is checked unless its attempt is already counted: contention or a
//!    store failure refuses without checking. Consecutive failures never exceed the hard
//!    limit (at most 100), across lockouts; only a completed sign-in or step-up resets them.
//! 9. Binding a factor or changing MFA settings needs fresh authentication: a second factor
//!    within the step-up age while MFA is on, a password within 20 minutes otherwise.
//! 10. Secrets are sealed at rest (AEAD, key ids, bound to their owner): no store, serde
//!     output or log ever sees a seed, server key or pepper in the clear.
//! 11. An account's security stamp changes with its password, its factors, MFA on/off and
//!     "sign out everywhere"; an assurance made under an older stamp is no longer valid.
//!
//! ### Layout
//! ```text
//! Cargo.toml        virtual workspace root
//! crates/<name>/    one folder per crate above
//! examples/         runnable programs (a workspace member); the account flow end to end,
//!                   on SQLite by default
//! benches/          criterion benchmarks, against peer crates in the same run
//! fuzz/             cargo-fuzz targets, outside the workspace
//! ```
