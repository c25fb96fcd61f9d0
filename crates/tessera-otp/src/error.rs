//! The one error type of this crate.

/// What was wrong with a configuration, a secret, a code, an instant or a URI.
///
/// Messages say what was wrong with the input and never repeat a secret or a code.
/// A code that is well formed but does not verify is not an `Error`: see
/// [`Rejected`](crate::Rejected).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The number of digits is outside 6..=10.
    #[error("number of digits must be from 6 to 10, got {0}")]
    InvalidDigits(u32),
    /// The period is zero.
    #[error("period must be at least 1 second")]
    InvalidPeriod,
    /// A verification window is larger than the bound.
    #[error("verification window may span at most {max} steps on each side")]
    InvalidWindow {
        /// The largest allowed number of steps on one side.
        max: u32,
    },
    /// The algorithm name is not one of SHA1, SHA256, SHA512.
    #[error("unknown algorithm: expected SHA1, SHA256 or SHA512")]
    UnknownAlgorithm,
    /// The secret has fewer bytes than allowed.
    #[error("secret is too short: {len} bytes, at least {min} required")]
    SecretTooShort {
        /// Bytes given.
        len: usize,
        /// Bytes required.
        min: usize,
    },
    /// The secret has more bytes than allowed.
    #[error("secret is too long: at most {max} bytes")]
    SecretTooLong {
        /// The largest allowed number of bytes.
        max: usize,
    },
    /// The secret text holds a character that is not base32.
    #[error("secret is not valid base32: unexpected character at position {position}")]
    InvalidBase32 {
        /// Zero-based character position in the input.
        position: usize,
    },
    /// The secret text is empty or too short to decode to a single byte.
    #[error("secret is empty or decodes to no whole byte")]
    EmptySecret,
    /// The code is empty (after removing spaces and hyphens).
    #[error("code is empty")]
    EmptyCode,
    /// The code has the wrong number of digits.
    #[error("code must have {expected} digits, got {found}")]
    CodeLength {
        /// Digits the configuration asks for.
        expected: u8,
        /// Digits found in the input.
        found: usize,
    },
    /// The code holds something other than digits, spaces and hyphens.
    #[error("code may contain only digits, spaces and hyphens")]
    CodeNotDigits,
    /// The code input is longer than any code could be.
    #[error("code input is too long")]
    CodeTooLong,
    /// The instant is before the configured T0.
    #[error("instant is before the configured T0")]
    BeforeT0,
    /// A counter or time step would leave the range of a 64-bit counter.
    #[error("counter or time step out of range")]
    CounterOverflow,
    /// Two codes given for resynchronisation are not from consecutive steps in range.
    #[error("codes do not match two consecutive steps within the search range")]
    ResyncFailed,
    /// The URI is longer than [`KeyUri::MAX_LEN`](crate::KeyUri::MAX_LEN) bytes (or the
    /// export URI longer than its own bound).
    #[error("uri is too long: at most {max} bytes")]
    UriTooLong {
        /// The largest allowed length in bytes.
        max: usize,
    },
    /// The text is not an `otpauth://` URI (wrong scheme, or `//` missing).
    #[error("not an otpauth:// uri")]
    NotOtpauthUri,
    /// The OTP type is neither `totp` nor `hotp`.
    #[error("otp type must be totp or hotp")]
    UnknownOtpType,
    /// The URI is not shaped `otpauth://TYPE/LABEL?PARAMETERS`.
    #[error("malformed otpauth uri: {0}")]
    MalformedUri(&'static str),
    /// A `%` is not followed by two hex digits, or the decoded text is not UTF-8.
    #[error("malformed percent-encoding in uri")]
    InvalidPercentEncoding,
    /// A required URI parameter (`secret`, or `counter` for HOTP) is missing or empty.
    #[error("missing required parameter: {0}")]
    MissingParameter(&'static str),
    /// A URI parameter appears more than once (names outside the format read `unknown`).
    #[error("parameter appears more than once: {0}")]
    DuplicateParameter(&'static str),
    /// A URI parameter's value is not what the format allows (digits, period, counter).
    #[error("invalid value for parameter: {0}")]
    InvalidParameter(&'static str),
    /// The issuer in the label and the `issuer` parameter differ.
    #[error("issuer in the label differs from the issuer parameter")]
    IssuerMismatch,
    /// The issuer or account name cannot be carried in a key URI as given.
    #[error("invalid label: {0}")]
    InvalidLabel(&'static str),
    /// A key URI has no way to carry a T0 other than 0.
    #[error("key uris cannot carry a t0 other than 0")]
    UnsupportedT0,
    /// An authenticator export (`otpauth-migration://`) is malformed or unsupported.
    #[error("invalid authenticator export: {0}")]
    InvalidMigration(&'static str),
    /// The text does not fit in a QR code, or the image could not be written.
    #[error("qr code rendering failed: {0}")]
    QrCode(&'static str),
}
