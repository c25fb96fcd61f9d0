//! # Threat model
//!
//! What an attacker tries against an application built on Tessera, the defence, and the
//! test that attacks it. Every test named here runs in `cargo test --workspace
//! --all-features`; the races run on a multi-thread runtime with stores that add
//! 0.2–2 ms of latency per call and fail on command (the `testing` features, so you can
//! run the same attacks against your own stores).
//!
//! The attacker may: send any number of concurrent requests, know or guess usernames,
//! know the password (phished or reused), hold a session cookie (stolen, or an old one
//! of their own), read email (a mailbox protected by a password alone), swap a SIM,
//! replay anything seen on the wire, make the stores slow or fail at the worst moment.
//! Out of scope: an attacker who can write the application's database or its session
//! store (they can mint any assurance; keep sessions server-side), and the application's
//! own pages (CSRF and cookie flags are the web adapter's business).
//!
//! ## Guessing codes and passwords
//!
//! | attack | defence | test |
//! | --- | --- | --- |
//! | A burst of 64, 256 or 1,024 concurrent wrong TOTP codes, a right one last | Every attempt is counted in the account's throttle (one conditional save) **before** the registry checks anything; contention or a failing store refuses without checking. At most 5 checks before the delay | `tests/tessera/attacks.rs`: `bursts_of_wrong_codes_are_checked_at_most_the_throttle_allows`; `tessera-mfa/tests/throttle.rs` (reservation bursts) |
//! | A burst of 256 wrong passwords | The same reservation before the password check; refused attempts still do dummy password work | `bursts_of_wrong_passwords_are_checked_at_most_the_throttle_allows` |
//! | Break the throttle store so failures are not counted | A failed reservation is a refusal, nothing is checked | `a_failing_throttle_store_refuses_without_checking` |
//! | Pace guesses at each retry time for days | Failures count across lockouts; each one past 20 locks again for an hour; at 100 (NIST SP 800-63B §5.2.2) the account stays locked until an administrator unlocks it | `tessera-mfa/tests/throttle.rs` (pacing over simulated days) |
//! | Reset the count with a cheap success (a phone verification) | Only a completed sign-in or step-up resets it | `tessera-mfa/tests/throttle.rs` |
//! | Unthrottled verification reached by mistake | The registry's checks are named `verify_unthrottled*` and warn in their docs; the facade's sign-in is the documented path | `tessera-registry` docs |
//! | Replay a seen code | The registry refuses a step at or before the device's last used step, decided by the conditional save; `Totp::verify` needs the last used step | `tessera-registry/tests/concurrency.rs`, `tessera-otp/tests/otp/verify.rs` |
//!
//! ## Telling accounts apart
//!
//! | attack | defence | test |
//! | --- | --- | --- |
//! | A 5 KiB password, a failing store, contention, a retired pepper: a different error for a real account | Every failure of the sign-in path is the one `VerificationFailed`, counted; the reason goes to the audit events ([`crate::audit`]) | `no_failure_of_the_sign_in_path_tells_an_account_exists`, `a_retired_pepper_is_the_opaque_failure` |
//! | Time the store round trips | Unknown usernames are throttled in 4,096 shared buckets, through the same calls as a real account | `unknown_and_known_accounts_cost_the_same_store_work` |
//! | A replayed code answers slower (the reuse notification awaited) | The reuse report does no store I/O; put slow notifiers behind `OutboxNotifier`, a bounded queue drained off the answer's path | `tessera-mfa` outbox tests |
//! | Look-alike usernames (`аdmin`, `ａｄｍｉｎ`, `ad\u{200b}min`) | NFKC and case mapping, letters, digits and `._-` only, no mixed Latin/Greek/Cyrillic, no whole-script look-alikes | `account::tests::look_alike_usernames` |
//!
//! ## Taking over with a partial foothold
//!
//! | attack | defence | test |
//! | --- | --- | --- |
//! | A remembered-device or week-old session binds a new authenticator, then uses it to remove the owner's | Binding a factor or changing MFA settings needs a second factor within the step-up age (MFA on) or a password within 20 minutes (MFA off, NIST SP 800-63B-4 §6.1.2.1) | `binding_needs_fresh_authentication` |
//! | An email code (weaker) removes the app or turns MFA off | Methods rank `Email < Sms < Aal2 < PhishingResistant`; a step-up authorises only operations on factors no stronger than itself | `a_weaker_factor_never_removes_a_stronger_one` |
//! | A person who still has to enrol (the organisation requires MFA) is treated as signed in by an extractor that only checks "has a session" | `SignIn::EnrolmentRequired` carries an `EnrolmentSession`, a different type from `Assurance`: it passes neither `check_session` nor `require_second_factor` (compile-fail doctests) and never deserializes as one; only the setup flows take it | `tests/tessera/sign_in.rs`: `an_enrolment_session_ends_in_a_full_sign_in_with_the_new_app`; `tests/tessera/session_serde.rs` |
//! | A recovery code minted while MFA was off completes the second factor later | Turning MFA on always issues a fresh set and voids the old; no codes while MFA is off | `tessera-mfa/tests/recovery_and_remembered.rs` |
//! | Sessions outlive "sign out everywhere" or a password change; sign-ins with the old password finish after the change | The security stamp moves on in the same save as the new hash; sign-in re-checks it after the password work; `check_session` rejects assurances made under an older stamp | `sessions_do_not_survive_a_password_change` |
//! | A half-done password change (MFA store fails after the hash is saved) | Remembered devices are forgotten first, then hash and stamp in one save, then the notification with retries; a failure before the save changes nothing else, after it is reported in `notify_error` | `tests/tessera/passwords.rs` |
//! | Weak passwords through normalisation gaps (`password `, `pаssword`, `Password1!`, `passwordpassword`) | Trim, confusables skeleton, common affixes and repeated halves stripped before the blocklist; 15 characters when the password is the only factor | `tessera-password` weak-password table |
//!
//! ## Stealing the database
//!
//! | attack | defence | test |
//! | --- | --- | --- |
//! | Read the device store (a backup, a replica, an injection) and mint codes | Seeds are sealed (AES-256-GCM) under a keyring kept outside the database; no store, serde output or log holds one | `secrets_at_rest_are_sealed_and_keys_rotate`; `tessera-registry/tests/sealed.rs` |
//! | Copy a victim's sealed seed into the attacker's own record (or another device's) | The associated data binds each seed to its user and device: it does not open elsewhere, and nothing stored changes | `tessera-registry/tests/sealed.rs`; `tessera-keyring/tests/keyring/main.rs` |
//! | Tamper with a sealed value, its nonce or its key id | Authenticated encryption: one `OpenFailed`, never a panic (fuzzed: `sealed_value`) | `any_flipped_bit_is_refused` |
//! | Retire a key that still seals something, losing the seeds | `Keyring::retire` refuses with the count from `Accounts::count_sealed_with` | `secrets_at_rest_are_sealed_and_keys_rotate` |
//! | Offline guessing of password hashes | Argon2id with a pepper kept outside the database; peppers rotate with ids | `peppers_rotate_with_rehash_on_sign_in` |
//!
//! ## Configuration that weakens the defaults
//!
//! Every configuration type refuses out-of-bound values on deserialise as its
//! constructor does (a throttle that never locks, a year-long email code, a TOTP window
//! of ±50): tests in each crate at each boundary.
