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
}
