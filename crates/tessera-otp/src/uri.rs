//! otpauth:// Key URIs: how a secret travels from a service to an authenticator app.
//!
//! The format is Google Authenticator's [Key URI Format]:
//! `otpauth://TYPE/LABEL?PARAMETERS`. Parsing is as tolerant as the best apps; output
//! is strict and canonical (see [`KeyUri::to_uri`]).
//!
//! [Key URI Format]: https://github.com/google/google-authenticator/wiki/Key-Uri-Format

mod encoding;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

pub(crate) use encoding::decode as decode_component;
pub(crate) use parse::split_label;

use crate::{Algorithm, Error, HotpParams, Secret, TotpParams};

/// Whether a key is time-based or counter-based, with what that kind needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OtpKind {
    /// TOTP (RFC 6238), with its period in seconds (at least 1).
    Totp {
        /// Seconds in a time step.
        period: u64,
    },
    /// HOTP (RFC 4226), with the counter the app starts from.
    Hotp {
        /// The next counter value.
        counter: u64,
    },
}

impl OtpKind {
    /// `"totp"` or `"hotp"`, as in the URI.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Totp { .. } => "totp",
            Self::Hotp { .. } => "hotp",
        }
    }
}

/// An otpauth:// Key URI: the account, the secret and the parameters an authenticator
/// app needs to produce the same codes as the service.
///
/// Build one to issue ([`KeyUri::totp`], [`KeyUri::hotp`]: strict), or parse what another
/// service or app wrote ([`KeyUri::parse`]: lenient, weak secrets reported by
/// [`is_weak`](Self::is_weak)). [`to_uri`](Self::to_uri) writes the canonical form, and
/// `KeyUri::parse(&k.to_uri()) == Ok(k)` for every value.
///
/// Every value keeps these invariants, whichever way it was made: the account name is
/// not empty, holds no `:` and does not start with a space; the issuer, when present, is
/// not empty; the canonical URI fits in [`MAX_LEN`](Self::MAX_LEN) bytes.
///
/// The URI carries the secret: `Debug` redacts it (through [`Secret`]'s `Debug`), there
/// is deliberately no `Display`, and the secret is zeroized on drop.
///
/// ```
/// use tessera_otp::{KeyUri, Secret, TotpParams};
/// let secret = Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")?;
/// let key = KeyUri::totp("alice@example.com", Some("Example Co"), secret, TotpParams::DEFAULT)?;
/// assert_eq!(
///     key.to_uri(),
///     "otpauth://totp/Example%20Co:alice%40example.com\
///      ?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example%20Co"
/// );
/// assert_eq!(KeyUri::parse(&key.to_uri())?, key);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct KeyUri {
    kind: OtpKind,
    issuer: Option<String>,
    account: String,
    secret: Secret,
    params: HotpParams,
    image: Option<String>,
}

impl KeyUri {
    /// The longest URI accepted or written, in bytes (4 KiB).
    pub const MAX_LEN: usize = 4096;

    /// A TOTP key to issue. Strict: the secret must not be [weak](Secret::is_weak), the
    /// account and issuer must not contain `:` nor start with a space, and T0 must be 0
    /// (the format cannot carry it).
    ///
    /// # Errors
    /// [`Error::SecretTooShort`] for a weak secret, [`Error::InvalidLabel`],
    /// [`Error::UnsupportedT0`], [`Error::UriTooLong`].
    pub fn totp(
        account: &str,
        issuer: Option<&str>,
        secret: Secret,
        params: TotpParams,
    ) -> Result<Self, Error> {
        if params.t0() != 0 {
            return Err(Error::UnsupportedT0);
        }
        check_issued(issuer, &secret)?;
        Self::from_parts(
            OtpKind::Totp {
                period: params.period(),
            },
            account,
            issuer,
            secret,
            params.hotp(),
        )
    }

    /// An HOTP key to issue, the app starting at `counter`. Strict as [`KeyUri::totp`].
    ///
    /// # Errors
    /// As [`KeyUri::totp`].
    pub fn hotp(
        account: &str,
        issuer: Option<&str>,
        secret: Secret,
        params: HotpParams,
        counter: u64,
    ) -> Result<Self, Error> {
        check_issued(issuer, &secret)?;
        Self::from_parts(OtpKind::Hotp { counter }, account, issuer, secret, params)
    }

    /// A key from its parts, as lenient as [`KeyUri::parse`]: weak secrets are accepted
    /// (check [`is_weak`](Self::is_weak)) and the issuer may contain `:`. Use it to
    /// re-encode keys imported from elsewhere; use [`KeyUri::totp`] or [`KeyUri::hotp`] to
    /// issue new ones.
    ///
    /// # Errors
    /// [`Error::InvalidLabel`] for an empty account, an account holding `:` or starting
    /// with a space, or an empty issuer; [`Error::InvalidPeriod`] for a TOTP period of 0;
    /// [`Error::UriTooLong`] when the URI would not fit in [`MAX_LEN`](Self::MAX_LEN).
    pub fn from_parts(
        kind: OtpKind,
        account: &str,
        issuer: Option<&str>,
        secret: Secret,
        params: HotpParams,
    ) -> Result<Self, Error> {
        if matches!(kind, OtpKind::Totp { period: 0 }) {
            return Err(Error::InvalidPeriod);
        }
        check_label(account, issuer)?;
        let key = Self {
            kind,
            issuer: issuer.map(str::to_owned),
            account: account.to_owned(),
            secret,
            params,
            image: None,
        };
        key.check_len()?;
        Ok(key)
    }

    /// The same key with an `image` parameter (a logo URL some apps show); an empty
    /// string removes it.
    ///
    /// # Errors
    /// [`Error::UriTooLong`] when the URI would not fit in [`MAX_LEN`](Self::MAX_LEN).
    pub fn with_image(mut self, image: &str) -> Result<Self, Error> {
        self.image = Some(image.to_owned()).filter(|i| !i.is_empty());
        self.check_len()?;
        Ok(self)
    }

    /// Parses an otpauth:// URI leniently, as the best authenticator apps do.
    ///
    /// - Scheme and type are case-insensitive; the `//` is required.
    /// - The label is `issuer:account` or `account`; the separator is `:` or `%3A`,
    ///   optionally followed by spaces. When the `issuer` parameter contains a colon, a
    ///   label that starts with it followed by a separator splits there. A label issuer
    ///   that differs from the `issuer` parameter (ignoring ASCII case) is refused; the
    ///   parameter's spelling is kept.
    /// - Everything is percent-decoded exactly once; malformed escapes are refused. In
    ///   parameter values `+` reads as a space, as form encoders write it; in the label it
    ///   is a plus sign.
    /// - Parameter names are lowercase; a repeated parameter is refused; unknown ones
    ///   are ignored, except `image`, which is kept. Empty `issuer`, `algorithm`,
    ///   `digits` and `period` values read as absent.
    /// - `secret` is required (lenient base32, weak secrets accepted), `counter` too for
    ///   HOTP; `algorithm` is case-insensitive; `digits` from 6 to 10; `period` at least 1.
    ///
    /// # Errors
    /// [`Error::UriTooLong`], [`Error::NotOtpauthUri`], [`Error::UnknownOtpType`],
    /// [`Error::MalformedUri`], [`Error::InvalidPercentEncoding`],
    /// [`Error::MissingParameter`], [`Error::DuplicateParameter`],
    /// [`Error::InvalidParameter`], [`Error::IssuerMismatch`], [`Error::InvalidLabel`],
    /// and the errors of [`Secret::from_base32`], [`Algorithm`]'s `FromStr` and the
    /// parameter constructors. None of them repeats the secret.
    pub fn parse(uri: &str) -> Result<Self, Error> {
        parse::parse(uri)
    }

    /// The canonical URI: strict and stable.
    ///
    /// - `otpauth://totp/` or `otpauth://hotp/`, lowercase.
    /// - Label `issuer:account` with a literal `:`; every byte outside the RFC 3986
    ///   unreserved set percent-encoded (spaces as `%20`, never `+`). An issuer that
    ///   itself contains `:` is left out of the label (it is still in the parameter), so
    ///   apps that split the label at the first colon read the account correctly.
    /// - Parameters in this order: `secret` (uppercase base32, no padding), `issuer`,
    ///   `algorithm` (uppercase), `digits`, `period`, `counter`, `image`.
    /// - `algorithm=SHA1`, `digits=6` and `period=30` are left out. Every reader assumes
    ///   them when absent: the Key URI Format defines them as the defaults, as did Google
    ///   Authenticator's own client README, and pyotp (`build_uri`) and Google's examples
    ///   leave them out too, so writing them gains nothing and lengthens the QR code.
    ///   Any other value is always written, the algorithm in uppercase: Google and
    ///   Microsoft Authenticator have been seen to read a lowercase `sha256` as SHA-1
    ///   (privacyIDEA community, "TOTP strange behavior with sha256 and Google
    ///   Authenticator"). Some apps ignore these parameters altogether, so the defaults
    ///   remain the compatible choice for issuing. `counter` is always written for HOTP.
    ///
    /// The returned string contains the secret: show it only to its owner.
    #[must_use]
    pub fn to_uri(&self) -> String {
        let secret = self.secret.to_base32();
        let mut out = String::with_capacity(64 + secret.len() + 3 * self.account.len());
        out.push_str("otpauth://");
        out.push_str(self.kind.as_str());
        out.push('/');
        if let Some(issuer) = self.issuer.as_deref().filter(|i| !i.contains(':')) {
            encoding::encode_into(&mut out, issuer);
            out.push(':');
        }
        encoding::encode_into(&mut out, &self.account);
        out.push_str("?secret=");
        out.push_str(&secret);
        if let Some(issuer) = &self.issuer {
            out.push_str("&issuer=");
            encoding::encode_into(&mut out, issuer);
        }
        if self.params.algorithm() != Algorithm::Sha1 {
            out.push_str("&algorithm=");
            out.push_str(self.params.algorithm().as_str());
        }
        if self.params.digits() != HotpParams::DEFAULT.digits() {
            out.push_str("&digits=");
            out.push_str(&self.params.digits().to_string());
        }
        match self.kind {
            OtpKind::Totp { period } if period != TotpParams::DEFAULT_PERIOD => {
                out.push_str("&period=");
                out.push_str(&period.to_string());
            }
            OtpKind::Totp { .. } => {}
            OtpKind::Hotp { counter } => {
                out.push_str("&counter=");
                out.push_str(&counter.to_string());
            }
        }
        if let Some(image) = &self.image {
            out.push_str("&image=");
            encoding::encode_into(&mut out, image);
        }
        out
    }

    /// TOTP with its period, or HOTP with its counter.
    #[must_use]
    pub const fn kind(&self) -> OtpKind {
        self.kind
    }

    /// The provider or service, if named.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The account name (often an email address).
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The shared secret.
    #[must_use]
    pub const fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The hash under HMAC.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.params.algorithm()
    }

    /// Digits in a code.
    #[must_use]
    pub const fn digits(&self) -> u8 {
        self.params.digits()
    }

    /// The TOTP period in seconds; `None` for HOTP.
    #[must_use]
    pub const fn period(&self) -> Option<u64> {
        match self.kind {
            OtpKind::Totp { period } => Some(period),
            OtpKind::Hotp { .. } => None,
        }
    }

    /// The HOTP counter; `None` for TOTP.
    #[must_use]
    pub const fn counter(&self) -> Option<u64> {
        match self.kind {
            OtpKind::Hotp { counter } => Some(counter),
            OtpKind::Totp { .. } => None,
        }
    }

    /// The `image` parameter (a logo URL), decoded, if present.
    #[must_use]
    pub fn image(&self) -> Option<&str> {
        self.image.as_deref()
    }

    /// True when the secret is shorter than this library would issue (see
    /// [`Secret::is_weak`]): accepted on import, worth a warning.
    #[must_use]
    pub fn is_weak(&self) -> bool {
        self.secret.is_weak()
    }

    /// The TOTP parameters (T0 = 0), to build a [`Totp`](crate::Totp); `None` for HOTP.
    #[must_use]
    pub fn totp_params(&self) -> Option<TotpParams> {
        match self.kind {
            OtpKind::Totp { period } => {
                TotpParams::new(self.algorithm(), u32::from(self.digits()), period, 0).ok()
            }
            OtpKind::Hotp { .. } => None,
        }
    }

    /// The hash and digits, to build a [`Hotp`](crate::Hotp) (for TOTP keys, the HOTP
    /// parameters of the same hash and digits).
    #[must_use]
    pub const fn hotp_params(&self) -> HotpParams {
        self.params
    }

    fn check_len(&self) -> Result<(), Error> {
        if self.to_uri().len() > Self::MAX_LEN {
            return Err(Error::UriTooLong { max: Self::MAX_LEN });
        }
        Ok(())
    }
}

impl fmt::Debug for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyUri")
            .field("kind", &self.kind)
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("secret", &self.secret) // Secret's Debug prints only its length.
            .field("algorithm", &self.params.algorithm())
            .field("digits", &self.params.digits())
            .field("image", &self.image)
            .finish()
    }
}

/// The label rules every [`KeyUri`] keeps, so that its URI parses back to it.
fn check_label(account: &str, issuer: Option<&str>) -> Result<(), Error> {
    if account.is_empty() {
        return Err(Error::InvalidLabel("account name is empty"));
    }
    if account.contains(':') {
        return Err(Error::InvalidLabel("account name contains a colon"));
    }
    if account.starts_with(' ') {
        return Err(Error::InvalidLabel("account name starts with a space"));
    }
    if issuer == Some("") {
        return Err(Error::InvalidLabel("issuer is empty"));
    }
    Ok(())
}

/// The stricter rules for keys this library issues.
fn check_issued(issuer: Option<&str>, secret: &Secret) -> Result<(), Error> {
    if secret.is_weak() {
        return Err(Error::SecretTooShort {
            len: secret.len(),
            min: Secret::MIN_ISSUE_LEN,
        });
    }
    if let Some(issuer) = issuer {
        if issuer.contains(':') {
            return Err(Error::InvalidLabel("issuer contains a colon"));
        }
        if issuer.starts_with(' ') {
            return Err(Error::InvalidLabel("issuer starts with a space"));
        }
    }
    Ok(())
}
