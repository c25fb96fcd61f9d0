//! Password policy from a configuration file: an organisation's rules, kept in
//! `examples/data/password-policy.toml`, loaded into a `tessera_password::PasswordPolicy`
//! through its `serde` feature.
//!
//! Loading checks every bound the builder checks, so an invalid file is refused with a
//! clear error instead of weakening the policy; keys left out keep the secure defaults.
//! The example then validates a few passwords and prints each violation's stable code
//! (for programs and translations) and message (for people).
//!
//! Run with `cargo run -p tessera-examples --example policy_from_config`.

use std::fs;
use std::process::ExitCode;

use tessera_examples::{BoxError, check};

use tessera_password::{Context, Password, PasswordPolicy, PasswordUse};

/// The organisation's policy file, found from any working directory.
const POLICY_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/password-policy.toml");

fn main() -> ExitCode {
    tessera_examples::finish("policy_from_config", run())
}

fn run() -> Result<(), BoxError> {
    println!("== The policy in examples/data/password-policy.toml");
    let text =
        fs::read_to_string(POLICY_FILE).map_err(|e| format!("cannot read {POLICY_FILE}: {e}"))?;
    let policy: PasswordPolicy = toml::from_str(&text)?;
    println!(
        "  length {} (alone) or {} (with MFA) to {}, digits at least {}, blocklist {}, username/email {}",
        policy.min_length_for(PasswordUse::OnlyFactor),
        policy.min_length_for(PasswordUse::WithSecondFactor),
        policy.max_length(),
        policy.min_digits(),
        on_off(policy.blocklist()),
        on_off(policy.context_words()),
    );
    println!(
        "  service words {:?}, history of {} passwords",
        policy.service_words(),
        policy.history()
    );
    check(
        policy.min_length_for(PasswordUse::WithSecondFactor) == 12
            && policy.min_length_for(PasswordUse::OnlyFactor) == 15
            && policy.min_digits() == 1
            && policy.history() == 5,
        "the file's settings are loaded",
    )?;
    check(
        policy.min_uppercase() == 0 && policy.pattern().is_none(),
        "what the file leaves out keeps its default (no other composition rule, no pattern)",
    )?;

    refused_configurations()?;
    // Example Corp requires MFA: its people's passwords are checked as used beside it.
    validations(&policy.for_use(PasswordUse::WithSecondFactor))
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Configurations that would weaken or break the policy never load.
fn refused_configurations() -> Result<(), BoxError> {
    println!("\n== Configurations that are refused");
    let cases = [
        (
            "a maximum below the 64 characters NIST asks to allow",
            "max_length = 32",
            "max_length must be between 64 and 1024",
        ),
        (
            "a minimum below NIST's 8",
            "min_length = 6",
            "min_length must be between 8 and max_length",
        ),
        (
            "a misspelt key (it would leave the rule off)",
            "min_lenght = 12",
            "unknown field `min_lenght`",
        ),
        (
            "a pattern that is not a regular expression",
            "pattern = \"([a-z]\"",
            "the pattern is not a valid regular expression",
        ),
    ];
    for (what, config, expected) in cases {
        println!("  {what}: `{config}`");
        match toml::from_str::<PasswordPolicy>(config) {
            Ok(_) => return Err(format!("expected `{config}` to be refused").into()),
            Err(e) => {
                // The parser's report: where in the file, then the policy's reason.
                for line in e.to_string().lines() {
                    println!("    │ {line}");
                }
                check(
                    e.to_string().contains(expected),
                    &format!("refused: {expected}"),
                )?;
            }
        }
    }
    Ok(())
}

/// A few passwords for Ana against the loaded policy.
fn validations(policy: &PasswordPolicy) -> Result<(), BoxError> {
    let context = Context::new()
        .with_username("anasilva")
        .with_email("ana.silva@example.com");
    println!("\n== Passwords for user anasilva <ana.silva@example.com>");
    let cases: [(&str, &[&str]); 7] = [
        ("password", &["too_short", "missing_digit", "blocklisted"]),
        // A keyboard walk: passes composition rules, found in every breach corpus.
        ("1qaz2wsx3edc4rfv", &["blocklisted"]),
        ("123456789012", &["sequential"]),
        (
            "anasilva-2025-spring",
            &["contains_username", "contains_email"],
        ),
        ("ExampleCorp#2025!", &["contains_service_word"]),
        // Long and strong, refused only by the organisation's composition rule.
        ("correct horse battery staple", &["missing_digit"]),
        ("7 correct horses, battery staple", &[]),
    ];
    for (typed, expected) in cases {
        println!("  \"{typed}\"");
        let codes = match policy.validate(&Password::new(typed), &context) {
            Ok(()) => {
                println!("      accepted");
                Vec::new()
            }
            Err(violations) => {
                for v in violations.iter() {
                    println!("      {:<22} {}", v.code(), v.message());
                }
                violations.codes()
            }
        };
        if codes != expected {
            return Err(format!("\"{typed}\": expected {expected:?}, got {codes:?}").into());
        }
        println!("      ✓ as expected");
    }
    Ok(())
}
