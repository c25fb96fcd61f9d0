//! `tessera password check|hash|verify`: the password is read from stdin, never from
//! the command line (where the process list and shell history would keep it).

use std::io::Read as _;

use serde::Serialize;
use tessera_password::{Context, HashParams, Hasher, Password, PasswordPolicy, PasswordUse};
use zeroize::Zeroizing;

use crate::Failure;
use crate::args::{CheckArgs, VerifyHashArgs};
use crate::output;

/// The longest stdin read, in bytes: far beyond any password the policy or the hasher
/// accepts, so they refuse it with their own clear error, yet bounded.
const MAX_INPUT: u64 = 64 * 1024;

/// One line from stdin with exactly its line ending (`\n` or `\r\n`) removed; every
/// other character, spaces included, is part of the password.
fn read_password() -> Result<Password, Failure> {
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_INPUT)
        .read_to_end(&mut bytes)
        .map_err(|_| Failure::Input("could not read the password from stdin".to_owned()))?;
    let line = match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => bytes.get(..end).unwrap_or_default(),
        None => &bytes[..],
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = std::str::from_utf8(line)
        .map_err(|_| Failure::Input("the password is not valid utf-8".to_owned()))?;
    Ok(Password::new(text))
}

#[derive(Serialize)]
struct ViolationJson {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct CheckJson {
    ok: bool,
    violations: Vec<ViolationJson>,
}

fn password_error(e: &tessera_password::Error) -> Failure {
    // The crate's messages never contain a password or a hash.
    Failure::Input(e.to_string())
}

pub(crate) fn check(a: &CheckArgs) -> Result<(), Failure> {
    let mut builder = PasswordPolicy::builder();
    if let Some(n) = a.min_length {
        // The one minimum asked for applies whatever the password's use.
        builder.min_length_everywhere(n);
    }
    if let Some(n) = a.max_length {
        builder.max_length(n);
    }
    let use_ = if a.with_mfa {
        PasswordUse::WithSecondFactor
    } else {
        PasswordUse::OnlyFactor
    };
    let policy = builder
        .build()
        .map_err(|e| password_error(&e))?
        .for_use(use_);
    let mut context = Context::new();
    if let Some(u) = &a.username {
        context = context.with_username(u.as_str());
    }
    if let Some(e) = &a.email {
        context = context.with_email(e.as_str());
    }
    let password = read_password()?;
    let violations: Vec<ViolationJson> = match policy.validate(&password, &context) {
        Ok(()) => Vec::new(),
        Err(v) => v
            .iter()
            .map(|v| ViolationJson {
                code: v.code(),
                message: v.message(),
            })
            .collect(),
    };
    let ok = violations.is_empty();
    let json = serde_json::to_string(&CheckJson { ok, violations })
        .map_err(|_| Failure::Input("could not write json".to_owned()))?;
    output::line(&json);
    if ok { Ok(()) } else { Err(Failure::Silent(1)) }
}

pub(crate) fn hash() -> Result<(), Failure> {
    let password = read_password()?;
    let phc = Hasher::new(HashParams::DEFAULT)
        .hash(&password)
        .map_err(|e| password_error(&e))?;
    output::line(&phc);
    Ok(())
}

pub(crate) fn verify(a: &VerifyHashArgs) -> Result<(), Failure> {
    let password = read_password()?;
    match Hasher::new(HashParams::DEFAULT).verify(&password, &a.hash) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Failure::Silent(1)),
        Err(e) => Err(password_error(&e)),
    }
}
