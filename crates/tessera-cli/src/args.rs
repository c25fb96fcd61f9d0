//! The command line, as clap reads it. Names, flags and JSON keys are a contract.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// One-time codes, secrets, otpauth:// URIs and QR codes, for people and scripts.
///
/// Stdout carries only the result; warnings go to stderr. Exit status 2 means the input
/// was wrong (the one-line error on stderr says how, never repeating a secret).
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the TOTP code at a time (default now), or the HOTP code at a counter.
    Code(CodeArgs),
    /// Verify a TOTP code: exit 0 and print the matched step, exit 1 and print `rejected`.
    Verify(VerifyArgs),
    /// Print a new random base32 secret.
    Secret(SecretArgs),
    /// Parse, build or import otpauth:// URIs.
    #[command(subcommand)]
    Uri(UriCommand),
    /// Draw an otpauth:// URI as a QR code: in the terminal, or to an SVG or PNG file.
    Qr(QrArgs),
    /// Check a password against the policy, hash it, or verify it against a hash; the
    /// password is read from stdin (one line, its line ending removed).
    #[command(subcommand)]
    Password(PasswordCommand),
    /// Keys for the keyring that seals secrets at rest.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Reports for administrators, read from a Tessera database.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
    /// Every account's MFA state, as an AWS-style credential report: one row per
    /// account in order of id, with a header row (CSV, RFC 4180) or as a JSON array.
    ///
    /// Columns: user, user_id, identity_provider, password_enabled,
    /// password_last_changed, user_creation_time, mfa_active, mfa_preferred,
    /// authenticator_apps, hardware_tokens, security_keys, sms_available,
    /// email_available, recovery_codes_left, mfa_devices, mfa_last_used, locked,
    /// locked_until, temporary_password, enrolment_required, tooling_credentials,
    /// pending_change_requests. Times are ISO 8601 UTC; an absent value is N/A in CSV and null in
    /// JSON. SMS and email availability follow the default organisation policy. A
    /// text field that begins with =, +, -, @, a tab or a carriage return is prefixed
    /// with ' in CSV, so that a spreadsheet does not run it as a formula.
    ///
    /// Reads only: no migration is run and no file is created; no key is needed (the
    /// report holds no secret).
    Mfa(ReportMfaArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ReportMfaArgs {
    /// A SQLite database file (a path, or sqlite:<path>) or a PostgreSQL URL
    /// (postgres://…), migrated by tessera-sqlx.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) database: String,
    /// csv or json.
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = ["csv", "json"])]
    pub(crate) format: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Print a new random 256-bit key as one `id=key` line (base64), the form the
    /// keyring reads: put it first in the keyring's text to make it the active key.
    Generate(KeyGenerateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeyGenerateArgs {
    /// The key's id (letters, digits, '_' and '-'; default: today's year and month,
    /// e.g. 2026-11).
    #[arg(long, value_name = "ID")]
    pub(crate) id: Option<String>,
}

/// A key's secret and the shape of its codes, shared by `code`, `verify` and `uri build`.
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// The shared secret in base32 (`-` reads it from the first line of stdin).
    #[arg(long, value_name = "B32", allow_hyphen_values = true)]
    pub(crate) secret: String,
    /// SHA1, SHA256 or SHA512.
    #[arg(long, value_name = "ALG", default_value = "SHA1")]
    pub(crate) algorithm: String,
    /// Digits in a code, 6 to 10.
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub(crate) digits: u32,
}

/// The key and TOTP parameters shared by `code` and `verify`.
#[derive(Debug, Args)]
pub(crate) struct OtpArgs {
    #[command(flatten)]
    pub(crate) key: KeyArgs,
    /// TOTP period in seconds.
    #[arg(long, value_name = "S", default_value_t = 30)]
    pub(crate) period: u64,
    /// TOTP start time T0, Unix seconds.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub(crate) t0: u64,
}

#[derive(Debug, Args)]
pub(crate) struct CodeArgs {
    #[command(flatten)]
    pub(crate) otp: OtpArgs,
    /// The instant, Unix seconds (default: now).
    #[arg(long, value_name = "UNIX", conflicts_with = "counter")]
    pub(crate) time: Option<u64>,
    /// Print the HOTP code at this counter instead of a TOTP code.
    #[arg(long, value_name = "N")]
    pub(crate) counter: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) otp: OtpArgs,
    /// The code as typed (spaces and hyphens are ignored).
    #[arg(long, value_name = "CODE", allow_hyphen_values = true)]
    pub(crate) code: String,
    /// The instant, Unix seconds (default: now).
    #[arg(long, value_name = "UNIX")]
    pub(crate) time: Option<u64>,
    /// Steps accepted before and after the current one.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) window: u32,
    /// The last step this device used: it and every earlier step are refused.
    #[arg(long, value_name = "N")]
    pub(crate) last_step: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct SecretArgs {
    /// Bytes of randomness, 16 to 256.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub(crate) bytes: usize,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UriCommand {
    /// Print a URI's fields as one JSON object.
    Parse {
        /// The otpauth:// URI.
        uri: String,
    },
    /// Print the canonical otpauth:// URI of a key.
    Build(BuildArgs),
    /// Print each account of a Google Authenticator export as one JSON object per line.
    Import {
        /// The otpauth-migration://offline?data=… URI.
        uri: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// The account name, often an email address.
    #[arg(long, value_name = "A", allow_hyphen_values = true)]
    pub(crate) account: String,
    /// The provider or service.
    #[arg(long, value_name = "I", allow_hyphen_values = true)]
    pub(crate) issuer: Option<String>,
    #[command(flatten)]
    pub(crate) key: KeyArgs,
    /// TOTP period in seconds.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 30,
        conflicts_with = "counter"
    )]
    pub(crate) period: u64,
    /// Build an HOTP URI starting at this counter.
    #[arg(long, value_name = "N")]
    pub(crate) counter: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct QrArgs {
    /// The otpauth:// URI, encoded exactly as given.
    pub(crate) uri: String,
    /// Write an SVG file instead of drawing in the terminal. It holds the secret: it is
    /// created readable by you only (mode 0600), and an existing file that others may
    /// access is refused.
    #[arg(long, value_name = "FILE", conflicts_with = "png")]
    pub(crate) svg: Option<PathBuf>,
    /// Write a PNG file instead of drawing in the terminal (mode 0600, as for --svg).
    #[arg(long, value_name = "FILE")]
    pub(crate) png: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PasswordCommand {
    /// Check the password against the policy (NIST SP 800-63B defaults): print
    /// `{"ok": bool, "violations": [...]}`, exit 0 when ok and 1 otherwise.
    Check(CheckArgs),
    /// Print the password's argon2id PHC string (the policy is not applied).
    Hash,
    /// Exit 0 when the password matches the PHC string, 1 when it does not.
    Verify(VerifyHashArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Minimum length in code points (default 15 for a password that is the only
    /// factor, 8 with --with-mfa; NIST SP 800-63B-4).
    #[arg(long, value_name = "N")]
    pub(crate) min_length: Option<usize>,
    /// Check the password as one used beside a second factor (8 characters by default).
    #[arg(long)]
    pub(crate) with_mfa: bool,
    /// Maximum length in code points (default 128).
    #[arg(long, value_name = "N")]
    pub(crate) max_length: Option<usize>,
    /// The account's username, which the password must not contain.
    #[arg(long, value_name = "U", allow_hyphen_values = true)]
    pub(crate) username: Option<String>,
    /// The account's email address, which the password must not contain.
    #[arg(long, value_name = "E", allow_hyphen_values = true)]
    pub(crate) email: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyHashArgs {
    /// The stored PHC string (`$argon2id$v=19$...`).
    #[arg(long, value_name = "PHC", allow_hyphen_values = true)]
    pub(crate) hash: String,
}
