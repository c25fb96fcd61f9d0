//! The HMAC hash functions RFC 6238 allows.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The hash function under HMAC: SHA-1 (RFC 4226), SHA-256 or SHA-512 (RFC 6238 §1.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA-1: what every authenticator app supports, and the default.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name used in otpauth:// URIs and by oathtool: `SHA1`, `SHA256`, `SHA512`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// The secret length RFC 6238 Appendix B uses with this hash (its output size).
    #[must_use]
    pub const fn recommended_secret_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Case-insensitive; `SHA-256` with a hyphen is read too.
    fn from_str(s: &str) -> Result<Self, Error> {
        const NAMES: [(&str, &str, Algorithm); 3] = [
            ("SHA1", "SHA-1", Algorithm::Sha1),
            ("SHA256", "SHA-256", Algorithm::Sha256),
            ("SHA512", "SHA-512", Algorithm::Sha512),
        ];
        NAMES
            .iter()
            .find(|(a, b, _)| s.eq_ignore_ascii_case(a) || s.eq_ignore_ascii_case(b))
            .map(|&(_, _, alg)| alg)
            .ok_or(Error::UnknownAlgorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_case_insensitively() {
        assert_eq!("sha256".parse(), Ok(Algorithm::Sha256));
        assert_eq!("SHA-512".parse(), Ok(Algorithm::Sha512));
        assert_eq!("Sha1".parse(), Ok(Algorithm::Sha1));
        assert_eq!("md5".parse::<Algorithm>(), Err(Error::UnknownAlgorithm));
        assert_eq!("".parse::<Algorithm>(), Err(Error::UnknownAlgorithm));
    }

    #[test]
    fn display_round_trips() {
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(alg.to_string().parse(), Ok(alg));
        }
    }

    #[test]
    fn recommended_secret_lengths_are_the_hash_output_sizes() {
        // RFC 6238 Appendix B: the test seeds are 20, 32 and 64 bytes, one hash output each.
        assert_eq!(Algorithm::Sha1.recommended_secret_len(), 20);
        assert_eq!(Algorithm::Sha256.recommended_secret_len(), 32);
        assert_eq!(Algorithm::Sha512.recommended_secret_len(), 64);
    }
}
