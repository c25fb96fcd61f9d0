//! The `tessera` command: one-time codes, verification, secrets, otpauth:// URIs, QR
//! codes (in the manner of oathtool), password checks and hashes, and the MFA report
//! of a Tessera database for administrators.
//!
//! Exit status: 0 success; 1 a well-formed code that did not verify, a password that
//! breaks the policy or does not match its hash; 2 bad input of any kind, with a
//! one-line error on stderr that never repeats a secret or a password.

#![forbid(unsafe_code)]

mod args;
mod csv;
mod key;
mod otp;
mod output;
mod password;
mod private_file;
mod qr;
mod report;
mod uri;

use std::process::ExitCode;

use clap::Parser as _;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use args::{Cli, Command, KeyCommand, PasswordCommand, ReportCommand, UriCommand};

/// Why a command did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The input was wrong: exit 2 with this one-line message.
    Input(String),
    /// A well-formed code did not verify: exit 1.
    Rejected,
    /// A negative answer already printed (or needing no output): exit with this status.
    Silent(u8),
}

impl From<tessera_otp::Error> for Failure {
    fn from(e: tessera_otp::Error) -> Self {
        // The library's messages never contain secrets or codes.
        Self::Input(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        Command::Code(a) => otp::code(&a),
        Command::Verify(a) => otp::verify(&a),
        Command::Secret(a) => otp::secret(&a),
        Command::Uri(UriCommand::Parse { uri }) => uri::parse(&uri),
        Command::Uri(UriCommand::Build(a)) => uri::build(&a),
        Command::Uri(UriCommand::Import { uri }) => uri::import(&uri),
        Command::Qr(a) => qr::qr(&a),
        Command::Password(PasswordCommand::Check(a)) => password::check(&a),
        Command::Password(PasswordCommand::Hash) => password::hash(),
        Command::Password(PasswordCommand::Verify(a)) => password::verify(&a),
        Command::Key(KeyCommand::Generate(a)) => key::generate(&a),
        Command::Report(ReportCommand::Mfa(a)) => report::mfa(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Rejected) => {
            output::line("rejected");
            ExitCode::from(1)
        }
        Err(Failure::Silent(status)) => ExitCode::from(status),
        Err(Failure::Input(message)) => {
            output::error(&message);
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout with status 0; anything else is one line on stderr and
/// status 2. clap's own messages are not used because they quote the offending value,
/// which may be a secret typed in the wrong place.
fn usage_error(e: &clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    let flag = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        _ => None,
    };
    let message = match (e.kind(), flag) {
        (ErrorKind::InvalidValue | ErrorKind::ValueValidation, Some(flag)) => {
            format!("invalid value for {flag}")
        }
        (ErrorKind::MissingRequiredArgument, Some(flags)) => {
            format!("missing required argument: {flags}")
        }
        (ErrorKind::ArgumentConflict, Some(flag)) => {
            format!("{flag} cannot be used with one of the other arguments given")
        }
        // The unexpected text itself is not shown: it may be a misplaced secret.
        (ErrorKind::UnknownArgument, _) => "unexpected argument".to_owned(),
        (ErrorKind::InvalidSubcommand, _) => "unknown command".to_owned(),
        (kind, _) => kind.to_string(),
    };
    output::error(&format!("{message} (see tessera --help)"));
    ExitCode::from(2)
}
