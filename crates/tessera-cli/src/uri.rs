//! `tessera uri parse|build|import`.

use serde::Serialize;
use tessera_otp::{HotpParams, KeyUri, OtpKind, TotpParams, parse_migration_uri};

use crate::Failure;
use crate::args::BuildArgs;
use crate::otp::{algorithm, read_secret};
use crate::output;

/// The JSON object of one key; the keys and their order are part of the contract.
#[derive(Serialize)]
struct KeyJson<'a> {
    kind: &'static str,
    issuer: Option<&'a str>,
    account: &'a str,
    secret: &'a str,
    algorithm: &'static str,
    digits: u8,
    period: Option<u64>,
    counter: Option<u64>,
    weak_secret: bool,
}

fn print_json(key: &KeyUri) -> Result<(), Failure> {
    let secret = key.secret().to_base32();
    let json = KeyJson {
        kind: key.kind().as_str(),
        issuer: key.issuer(),
        account: key.account(),
        secret: &secret,
        algorithm: key.algorithm().as_str(),
        digits: key.digits(),
        period: key.period(),
        counter: key.counter(),
        weak_secret: key.is_weak(),
    };
    let text = zeroize::Zeroizing::new(
        serde_json::to_string(&json)
            .map_err(|_| Failure::Input("could not write json".to_owned()))?,
    );
    output::line(&text);
    Ok(())
}

fn warn_if_weak(key: &KeyUri, which: &str) {
    if key.is_weak() {
        output::warn(&format!(
            "{which}secret is weak: {} bytes, at least 16 recommended",
            key.secret().len()
        ));
    }
}

pub(crate) fn parse(uri: &str) -> Result<(), Failure> {
    let key = KeyUri::parse(uri)?;
    warn_if_weak(&key, "");
    print_json(&key)
}

pub(crate) fn import(uri: &str) -> Result<(), Failure> {
    let keys = parse_migration_uri(uri)?;
    for (i, key) in keys.iter().enumerate() {
        warn_if_weak(key, &format!("account {}: ", i + 1));
    }
    for key in &keys {
        print_json(key)?;
    }
    Ok(())
}

pub(crate) fn build(a: &BuildArgs) -> Result<(), Failure> {
    let algorithm = algorithm(&a.key.algorithm)?;
    let secret = read_secret(&a.key.secret)?;
    let issuer = a.issuer.as_deref();
    let key = if secret.is_weak() {
        // Accepted for compatibility with providers that still hand out 80-bit secrets,
        // with every other rule of issuing kept.
        if issuer.is_some_and(|i| i.contains(':') || i.starts_with(' ')) {
            return Err(tessera_otp::Error::InvalidLabel(
                "issuer contains a colon or starts with a space",
            )
            .into());
        }
        let kind = match a.counter {
            Some(counter) => OtpKind::Hotp { counter },
            None => OtpKind::Totp { period: a.period },
        };
        let params = HotpParams::new(algorithm, a.key.digits)?;
        let key = KeyUri::from_parts(kind, &a.account, issuer, secret, params)?;
        warn_if_weak(&key, "");
        key
    } else {
        match a.counter {
            Some(counter) => KeyUri::hotp(
                &a.account,
                issuer,
                secret,
                HotpParams::new(algorithm, a.key.digits)?,
                counter,
            )?,
            None => KeyUri::totp(
                &a.account,
                issuer,
                secret,
                TotpParams::new(algorithm, a.key.digits, a.period, 0)?,
            )?,
        }
    };
    output::line(&key.to_uri());
    Ok(())
}
