//! Reading otpauth:// URIs, leniently and without panicking on any input.

use zeroize::Zeroizing;

use super::encoding::decode;
use super::{KeyUri, OtpKind};
use crate::{Algorithm, Error, HotpParams, Secret};

/// The parameters the format defines, plus `image`, which is kept.
const KNOWN: [&str; 7] = [
    "secret",
    "issuer",
    "algorithm",
    "digits",
    "period",
    "counter",
    "image",
];

/// At most this many parameters are looked at; a URI of 4 KiB cannot hold many more
/// meaningful ones, and it bounds the duplicate check.
const MAX_PARAMS: usize = 64;

#[derive(Default)]
struct Params {
    secret: Option<Zeroizing<String>>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<String>,
    period: Option<String>,
    counter: Option<String>,
    image: Option<String>,
}

pub(super) fn parse(uri: &str) -> Result<KeyUri, Error> {
    if uri.len() > KeyUri::MAX_LEN {
        return Err(Error::UriTooLong {
            max: KeyUri::MAX_LEN,
        });
    }
    let uri = uri.trim_matches(|c: char| c.is_ascii_whitespace());
    let rest = strip_prefix_ignore_case(uri, "otpauth:").ok_or(Error::NotOtpauthUri)?;
    let rest = rest.strip_prefix("//").ok_or(Error::NotOtpauthUri)?;
    // A fragment has no meaning here; nothing after '#' is read.
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind_text, raw_label) = path
        .split_once('/')
        .ok_or(Error::MalformedUri("the label is missing"))?;
    let is_totp = if kind_text.eq_ignore_ascii_case("totp") {
        true
    } else if kind_text.eq_ignore_ascii_case("hotp") {
        false
    } else {
        return Err(Error::UnknownOtpType);
    };

    let params = read_params(query)?;
    let label = decode(raw_label, false)?;
    let (label_issuer, account) = split_label(&label, params.issuer.as_deref());
    let issuer = match (label_issuer, params.issuer.as_deref()) {
        (Some(l), Some(p)) if !l.eq_ignore_ascii_case(p) => return Err(Error::IssuerMismatch),
        (_, Some(p)) => Some(p),
        (l, None) => l,
    };

    let secret_text = params
        .secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingParameter("secret"))?;
    let secret = Secret::from_base32(secret_text)?;

    let algorithm = match params.algorithm.as_deref() {
        Some(text) => text.parse()?,
        None => Algorithm::Sha1,
    };
    let digits = match params.digits.as_deref() {
        Some(text) => {
            let n = number(text, "digits")?;
            u32::try_from(n).map_err(|_| Error::InvalidDigits(u32::MAX))?
        }
        None => u32::from(HotpParams::DEFAULT.digits()),
    };
    let hotp_params = HotpParams::new(algorithm, digits)?;

    let kind = if is_totp {
        let period = match params.period.as_deref() {
            Some(text) => number(text, "period")?,
            None => crate::TotpParams::DEFAULT_PERIOD,
        };
        if period == 0 {
            return Err(Error::InvalidPeriod);
        }
        OtpKind::Totp { period }
    } else {
        let text = params
            .counter
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(Error::MissingParameter("counter"))?;
        OtpKind::Hotp {
            counter: number(text, "counter")?,
        }
    };

    let key = KeyUri::from_parts(kind, account, issuer, secret, hotp_params)?;
    match params.image {
        Some(image) => key.with_image(&image),
        None => Ok(key),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

fn read_params(query: &str) -> Result<Params, Error> {
    let mut params = Params::default();
    let mut seen = [false; KNOWN.len()];
    let mut seen_unknown: Vec<Zeroizing<String>> = Vec::new();
    for (index, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        if index >= MAX_PARAMS {
            return Err(Error::MalformedUri("too many parameters"));
        }
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(raw_name, true)?;
        let value = decode(raw_value, true)?;
        let Some(position) = KNOWN.iter().position(|k| *k == name.as_str()) else {
            if seen_unknown.iter().any(|n| n.as_str() == name.as_str()) {
                return Err(Error::DuplicateParameter("unknown"));
            }
            seen_unknown.push(name);
            continue;
        };
        let known = KNOWN.get(position).copied().unwrap_or("unknown");
        match seen.get_mut(position) {
            Some(true) => return Err(Error::DuplicateParameter(known)),
            Some(flag) => *flag = true,
            None => {}
        }
        // Empty optional values read as absent (as pyotp and most apps do); they still
        // count as seen, so `digits=&digits=8` is a duplicate.
        let optional = Some(value.as_str().to_owned()).filter(|v| !v.is_empty());
        match known {
            "secret" => params.secret = Some(value),
            "issuer" => params.issuer = optional,
            "algorithm" => params.algorithm = optional,
            "digits" => params.digits = optional,
            "period" => params.period = optional,
            "counter" => params.counter = optional,
            _ => params.image = optional,
        }
    }
    Ok(params)
}

/// A decimal number of ASCII digits only (no sign, no spaces), within `u64`.
fn number(text: &str, name: &'static str) -> Result<u64, Error> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidParameter(name));
    }
    text.parse().map_err(|_| Error::InvalidParameter(name))
}

/// Splits a decoded label into (issuer, account).
///
/// When the `issuer` parameter contains a colon and the label starts with it (ignoring
/// ASCII case) followed by `:`, the label splits after it; otherwise at the first `:`.
/// Spaces after the separator are skipped.
pub(crate) fn split_label<'a>(
    label: &'a str,
    issuer_param: Option<&str>,
) -> (Option<&'a str>, &'a str) {
    let by_param = issuer_param
        .filter(|p| p.contains(':'))
        .and_then(|p| {
            let head = label.get(..p.len())?;
            let tail = label.get(p.len()..)?;
            (head.eq_ignore_ascii_case(p) && tail.starts_with(':')).then_some((head, tail))
        })
        .map(|(head, tail)| (head, tail.get(1..).unwrap_or_default()));
    let (issuer, account) = match by_param.or_else(|| label.split_once(':')) {
        Some((issuer, account)) => (Some(issuer).filter(|i| !i.is_empty()), account),
        None => (None, label),
    };
    (issuer, account.trim_start_matches(' '))
}
