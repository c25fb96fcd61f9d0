//! Google Authenticator's export format: `otpauth-migration://offline?data=…`.
//!
//! `data` is base64 of a protobuf message. Its schema is not published by Google but is
//! well known from the app's export QR codes:
//!
//! ```text
//! message MigrationPayload {
//!   repeated OtpParameters otp_parameters = 1;
//!   int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
//! }
//! message OtpParameters {
//!   bytes secret = 1; string name = 2; string issuer = 3;
//!   Algorithm algorithm = 4;  // 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//!   DigitCount digits = 5;    // 0 unspecified, 1 six, 2 eight
//!   OtpType type = 6;         // 0 unspecified, 1 HOTP, 2 TOTP
//!   int64 counter = 7;
//! }
//! ```
//!
//! The decoder below is written by hand for exactly these two messages: bounded, no
//! recursion beyond one level, every malformed input refused, no panic.

mod wire;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use crate::uri::{decode_component, split_label};
use crate::{Algorithm, Error, HotpParams, KeyUri, OtpKind, Secret, TotpParams};
use wire::{Field, Reader};

/// One export QR code: some of the accounts, and where they sit in the whole export.
///
/// Google Authenticator splits a large export over several QR codes (a batch); each
/// carries the same [`batch_id`](Self::batch_id), its [`batch_index`](Self::batch_index)
/// and the [`batch_size`](Self::batch_size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationPayload {
    accounts: Vec<KeyUri>,
    version: i32,
    batch_size: i32,
    batch_index: i32,
    batch_id: i32,
}

impl MigrationPayload {
    /// The longest export URI accepted, in bytes (16 KiB: far beyond what one QR code
    /// holds).
    pub const MAX_URI_LEN: usize = 16 * 1024;
    /// The most accounts accepted in one payload.
    pub const MAX_ACCOUNTS: usize = 1000;

    /// Parses an `otpauth-migration://offline?data=…` URI (scheme and host
    /// case-insensitive; `data` percent-decoded, then base64 with or without padding).
    ///
    /// # Errors
    /// [`Error::UriTooLong`], [`Error::InvalidPercentEncoding`], and
    /// [`Error::InvalidMigration`] for everything else that is wrong, including an MD5
    /// account or an enum value outside the schema; the errors of [`KeyUri::from_parts`]
    /// for an account whose name cannot be carried in a key URI.
    pub fn parse_uri(uri: &str) -> Result<Self, Error> {
        if uri.len() > Self::MAX_URI_LEN {
            return Err(Error::UriTooLong {
                max: Self::MAX_URI_LEN,
            });
        }
        let uri = uri.trim_matches(|c: char| c.is_ascii_whitespace());
        let rest = strip_prefix_ignore_case(uri, "otpauth-migration://offline").ok_or(
            Error::InvalidMigration("not an otpauth-migration://offline uri"),
        )?;
        let query = rest
            .strip_prefix('?')
            .or_else(|| rest.strip_prefix("/?"))
            .ok_or(Error::InvalidMigration("the data parameter is missing"))?;
        let mut data = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if name == "data" {
                if data.is_some() {
                    return Err(Error::DuplicateParameter("data"));
                }
                data = Some(value);
            }
        }
        let data = data.ok_or(Error::InvalidMigration("the data parameter is missing"))?;
        // '+' is a base64 character here, never a space.
        let text = decode_component(data, false)?;
        let text: Zeroizing<String> =
            Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let bytes = base64_decode(&text)?;
        Self::decode(&bytes)
    }

    /// Decodes the protobuf bytes of a `MigrationPayload`.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] for malformed or unsupported content.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let mut payload = Self {
            accounts: Vec::new(),
            version: 0,
            batch_size: 0,
            batch_index: 0,
            batch_id: 0,
        };
        let mut reader = Reader::new(bytes);
        while let Some(field) = reader.next_field()? {
            match field {
                Field::Bytes(1, message) => {
                    if payload.accounts.len() >= Self::MAX_ACCOUNTS {
                        return Err(Error::InvalidMigration("too many accounts"));
                    }
                    payload.accounts.push(decode_account(message)?);
                }
                Field::Varint(2, v) => payload.version = int32(v)?,
                Field::Varint(3, v) => payload.batch_size = int32(v)?,
                Field::Varint(4, v) => payload.batch_index = int32(v)?,
                Field::Varint(5, v) => payload.batch_id = int32(v)?,
                Field::Bytes(2..=5, _) | Field::Varint(1, _) | Field::Fixed(1..=5) => {
                    return Err(Error::InvalidMigration("a field has the wrong wire type"));
                }
                _ => {} // Unknown fields are skipped, as protobuf readers do.
            }
        }
        Ok(payload)
    }

    /// The accounts in this payload, in order.
    #[must_use]
    pub fn accounts(&self) -> &[KeyUri] {
        &self.accounts
    }

    /// The accounts, by value.
    #[must_use]
    pub fn into_accounts(self) -> Vec<KeyUri> {
        self.accounts
    }

    /// The format version the exporting app wrote (1 in current exports).
    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    /// How many QR codes the whole export spans.
    #[must_use]
    pub const fn batch_size(&self) -> i32 {
        self.batch_size
    }

    /// This QR code's position in the export, from 0.
    #[must_use]
    pub const fn batch_index(&self) -> i32 {
        self.batch_index
    }

    /// The identifier shared by all QR codes of one export.
    #[must_use]
    pub const fn batch_id(&self) -> i32 {
        self.batch_id
    }
}

/// The accounts of an `otpauth-migration://offline?data=…` URI; see
/// [`MigrationPayload::parse_uri`] for the batch fields.
///
/// # Errors
/// As [`MigrationPayload::parse_uri`].
pub fn parse_migration_uri(uri: &str) -> Result<Vec<KeyUri>, Error> {
    MigrationPayload::parse_uri(uri).map(MigrationPayload::into_accounts)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

fn base64_decode(text: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine
        .decode(text)
        .map(Zeroizing::new)
        .map_err(|_| Error::InvalidMigration("the data parameter is not valid base64"))
}

/// An `int32` field: protobuf writes negative values as ten-byte varints of the
/// sign-extended 64-bit value.
fn int32(v: u64) -> Result<i32, Error> {
    // Reinterpreting the bits as two's complement is the protobuf rule for int32/int64.
    #[allow(clippy::cast_possible_wrap)]
    let signed = v as i64;
    i32::try_from(signed).map_err(|_| Error::InvalidMigration("an int32 field is out of range"))
}

#[derive(Default)]
struct RawAccount<'a> {
    secret: Option<&'a [u8]>,
    name: Option<&'a [u8]>,
    issuer: Option<&'a [u8]>,
    algorithm: Option<u64>,
    digits: Option<u64>,
    kind: Option<u64>,
    counter: Option<u64>,
}

fn once<T>(slot: &mut Option<T>, value: T) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::InvalidMigration("an account field appears twice"));
    }
    *slot = Some(value);
    Ok(())
}

fn decode_account(message: &[u8]) -> Result<KeyUri, Error> {
    let mut raw = RawAccount::default();
    let mut reader = Reader::new(message);
    while let Some(field) = reader.next_field()? {
        match field {
            Field::Bytes(1, v) => once(&mut raw.secret, v)?,
            Field::Bytes(2, v) => once(&mut raw.name, v)?,
            Field::Bytes(3, v) => once(&mut raw.issuer, v)?,
            Field::Varint(4, v) => once(&mut raw.algorithm, v)?,
            Field::Varint(5, v) => once(&mut raw.digits, v)?,
            Field::Varint(6, v) => once(&mut raw.kind, v)?,
            Field::Varint(7, v) => once(&mut raw.counter, v)?,
            Field::Bytes(4..=7, _) | Field::Varint(1..=3, _) | Field::Fixed(1..=7) => {
                return Err(Error::InvalidMigration("a field has the wrong wire type"));
            }
            _ => {}
        }
    }
    let secret = Secret::from_bytes(
        raw.secret
            .ok_or(Error::InvalidMigration("an account has no secret"))?,
    )?;
    let name = text(raw.name)?;
    let issuer = Some(text(raw.issuer)?).filter(|i| !i.is_empty());
    let algorithm = match raw.algorithm.unwrap_or(0) {
        0 | 1 => Algorithm::Sha1, // unspecified reads as the Key URI Format's default
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        4 => return Err(Error::InvalidMigration("md5 accounts are not supported")),
        _ => return Err(Error::InvalidMigration("unknown algorithm value")),
    };
    let digits = match raw.digits.unwrap_or(0) {
        0 | 1 => 6,
        2 => 8,
        _ => return Err(Error::InvalidMigration("unknown digit count value")),
    };
    let kind = match raw.kind.unwrap_or(0) {
        // A wrong guess would give wrong codes without a word, so no default here.
        0 => return Err(Error::InvalidMigration("an account has no otp type")),
        1 => {
            let counter = raw.counter.unwrap_or(0);
            // int64 on the wire; a negative counter is meaningless.
            if i64::try_from(counter).is_err() {
                return Err(Error::InvalidMigration("the counter is negative"));
            }
            OtpKind::Hotp { counter }
        }
        2 => OtpKind::Totp {
            period: TotpParams::DEFAULT_PERIOD,
        },
        _ => return Err(Error::InvalidMigration("unknown otp type value")),
    };
    // The app often stores "Issuer:account" as the name: split it as a label.
    let (label_issuer, account) = split_label(name, issuer);
    let issuer = match (label_issuer, issuer) {
        (Some(l), Some(p)) if !l.eq_ignore_ascii_case(p) => return Err(Error::IssuerMismatch),
        (_, Some(p)) => Some(p),
        (l, None) => l,
    };
    KeyUri::from_parts(
        kind,
        account,
        issuer,
        secret,
        HotpParams::new(algorithm, digits)?,
    )
}

fn text(bytes: Option<&[u8]>) -> Result<&str, Error> {
    std::str::from_utf8(bytes.unwrap_or_default())
        .map_err(|_| Error::InvalidMigration("a name or issuer is not utf-8"))
}

#[cfg(test)]
mod tests;
