//! The shared secret behind HOTP and TOTP.

use std::fmt;

use rand::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, base32};

/// An HOTP/TOTP shared secret: the HMAC key.
///
/// Zeroized on drop; `Debug` shows only the length; equality is constant time.
/// Two rules apply, one for secrets this library issues and one for secrets it imports:
///
/// - **Issued** ([`Secret::generate`], [`Secret::generate_len`]): from a CSPRNG,
///   [`DEFAULT_LEN`](Self::DEFAULT_LEN) (20) bytes by default and never fewer than
///   [`MIN_ISSUE_LEN`](Self::MIN_ISSUE_LEN) (16), as RFC 4226 §4 requires 128 bits and
///   recommends 160.
/// - **Imported** ([`Secret::from_base32`], [`Secret::from_bytes`]): at least
///   [`MIN_LEN`](Self::MIN_LEN) (10) bytes, because real providers still hand out 80-bit
///   secrets; those below 16 bytes report [`is_weak`](Self::is_weak).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret {
    bytes: Vec<u8>,
}

impl Secret {
    /// Bytes in a generated secret unless told otherwise: 160 bits (RFC 4226 §4).
    pub const DEFAULT_LEN: usize = 20;
    /// The fewest bytes this library issues: 128 bits (RFC 4226 §4, R6).
    pub const MIN_ISSUE_LEN: usize = 16;
    /// The fewest bytes accepted on import (80 bits); shorter secrets are refused.
    pub const MIN_LEN: usize = 10;
    /// The most bytes accepted: well beyond SHA-512's block, bounded against abuse.
    pub const MAX_LEN: usize = 256;

    /// A new random secret of [`DEFAULT_LEN`](Self::DEFAULT_LEN) bytes from the thread CSPRNG.
    #[must_use]
    pub fn generate() -> Self {
        Self::generate_from(&mut rand::rng(), Self::DEFAULT_LEN)
    }

    /// A new random secret of `len` bytes, from [`MIN_ISSUE_LEN`](Self::MIN_ISSUE_LEN) to
    /// [`MAX_LEN`](Self::MAX_LEN).
    ///
    /// # Errors
    /// [`Error::SecretTooShort`] or [`Error::SecretTooLong`] outside those bounds.
    pub fn generate_len(len: usize) -> Result<Self, Error> {
        Self::check_len(len, Self::MIN_ISSUE_LEN)?;
        Ok(Self::generate_from(&mut rand::rng(), len))
    }

    /// A new secret of `len` bytes from the given cryptographic RNG (for deterministic tests).
    ///
    /// `len` is clamped to [`MIN_ISSUE_LEN`](Self::MIN_ISSUE_LEN)..=[`MAX_LEN`](Self::MAX_LEN).
    #[must_use]
    pub fn generate_from<R: CryptoRng + ?Sized>(rng: &mut R, len: usize) -> Self {
        let mut bytes = vec![0; len.clamp(Self::MIN_ISSUE_LEN, Self::MAX_LEN)];
        rng.fill_bytes(&mut bytes);
        Self { bytes }
    }

    /// Imports raw bytes: [`MIN_LEN`](Self::MIN_LEN) to [`MAX_LEN`](Self::MAX_LEN).
    ///
    /// # Errors
    /// [`Error::SecretTooShort`] or [`Error::SecretTooLong`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Self::check_len(bytes.len(), Self::MIN_LEN)?;
        Ok(Self {
            bytes: bytes.to_vec(),
        })
    }

    /// Imports base32 text leniently, as authenticator apps do.
    ///
    /// Case-insensitive; spaces, tabs, hyphens and `=` padding are ignored; trailing bits
    /// that do not fill a byte are dropped. The result must then hold
    /// [`MIN_LEN`](Self::MIN_LEN) to [`MAX_LEN`](Self::MAX_LEN) bytes.
    ///
    /// ```
    /// use tessera_otp::Secret;
    /// let secret = Secret::from_base32("jbsw y3dp-ehpk 3pxp jbsw y3dp ehpk 3pxp")?;
    /// assert_eq!(secret.to_base32().as_str(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    /// assert!(!secret.is_weak());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidBase32`] for a character outside the alphabet (its position, never
    /// the character), [`Error::EmptySecret`] for input with no whole byte, and the length
    /// errors of [`from_bytes`](Self::from_bytes).
    pub fn from_base32(text: &str) -> Result<Self, Error> {
        let bytes = base32::decode_lenient(text)?;
        Self::from_bytes(&bytes)
    }

    /// The canonical text form: uppercase base32 without padding.
    #[must_use]
    pub fn to_base32(&self) -> Zeroizing<String> {
        base32::encode(&self.bytes)
    }

    /// The raw key bytes. Handle with care: this is the secret itself.
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: an empty secret cannot be built.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// True for an imported secret shorter than [`MIN_ISSUE_LEN`](Self::MIN_ISSUE_LEN):
    /// accepted for compatibility, below what RFC 4226 §4 requires.
    #[must_use]
    pub fn is_weak(&self) -> bool {
        self.bytes.len() < Self::MIN_ISSUE_LEN
    }

    fn check_len(len: usize, min: usize) -> Result<(), Error> {
        if len < min {
            Err(Error::SecretTooShort { len, min })
        } else if len > Self::MAX_LEN {
            Err(Error::SecretTooLong { max: Self::MAX_LEN })
        } else {
            Ok(())
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([REDACTED; {} bytes])", self.bytes.len())
    }
}

impl ConstantTimeEq for Secret {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        // Lengths are not secret; the bytes are compared without early exit.
        self.bytes.ct_eq(&other.bytes)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_secrets_are_long_random_and_distinct() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_eq!(a.len(), Secret::DEFAULT_LEN);
        assert_ne!(a, b);
        assert!(!a.is_weak());
        assert_eq!(
            Secret::generate_len(15).unwrap_err(),
            Error::SecretTooShort { len: 15, min: 16 }
        );
        assert_eq!(Secret::generate_len(64).unwrap().len(), 64);
        assert!(Secret::generate_len(257).is_err());
    }

    #[test]
    fn import_bounds_and_weakness() {
        assert!(Secret::from_bytes(&[1; 9]).is_err());
        let weak = Secret::from_bytes(&[1; 10]).unwrap();
        assert!(weak.is_weak());
        assert!(!Secret::from_bytes(&[1; 16]).unwrap().is_weak());
        // 80-bit secret as some providers still issue it: 16 base32 characters.
        let s = Secret::from_base32("GEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(s.len(), 10);
        assert!(s.is_weak());
    }

    #[test]
    fn length_bounds_are_exact() {
        // Issued: 128 bits accepted, one byte less refused (RFC 4226 §4, R6).
        assert_eq!(Secret::generate_len(16).unwrap().len(), 16);
        assert!(!Secret::generate_len(16).unwrap().is_weak());
        // Imported: 80 bits accepted and weak, 15 bytes still weak, 256 the most.
        assert_eq!(
            Secret::from_bytes(&[1; 9]).unwrap_err(),
            Error::SecretTooShort { len: 9, min: 10 }
        );
        assert!(Secret::from_bytes(&[1; 15]).unwrap().is_weak());
        let longest = Secret::from_bytes(&[7; 256]).unwrap();
        assert_eq!(longest.expose_bytes(), &[7; 256][..]);
        assert!(!longest.is_empty());
        assert_eq!(
            Secret::from_bytes(&[1; 257]).unwrap_err(),
            Error::SecretTooLong { max: 256 }
        );
        assert_eq!(Secret::generate_len(256).unwrap().len(), 256);
        // Same length, one byte apart: different secrets.
        let mut bytes = [3u8; 20];
        let a = Secret::from_bytes(&bytes).unwrap();
        bytes[19] = 4;
        assert!(a != Secret::from_bytes(&bytes).unwrap());
        assert!(a == Secret::from_bytes(&[3; 20]).unwrap());
    }

    #[test]
    fn debug_and_errors_never_show_the_secret() {
        let s = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret([REDACTED; 10 bytes])");
        let err = Secret::from_base32("JBSWY3DPEHPK3PX!").unwrap_err();
        assert!(!err.to_string().contains("JBSW"));
    }

    proptest! {
        #[test]
        fn base32_round_trip(bytes in proptest::collection::vec(any::<u8>(), 10..=256)) {
            let s = Secret::from_bytes(&bytes).unwrap();
            let text = s.to_base32();
            prop_assert!(text.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
            prop_assert_eq!(Secret::from_base32(&text).unwrap(), s);
        }

        #[test]
        fn import_never_panics(text in "\\PC{0,300}") {
            let _ = Secret::from_base32(&text);
        }
    }
}
