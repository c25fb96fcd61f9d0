//! A sealed value and its text form.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE64URL_NOPAD;

use crate::{Error, KeyId, Result};

/// Bytes in an AES-GCM nonce: 96 random bits per value. NIST SP 800-38D §8.3 allows
/// 2^32 random nonces per key; a keyring seals once per enrolment and re-seal, and keys
/// rotate long before that.
pub const NONCE_LEN: usize = 12;
/// Bytes of the authentication tag at the end of every ciphertext.
pub const TAG_LEN: usize = 16;
/// The longest sealed value's text form accepted, in bytes (a TOTP seed of 64 bytes
/// takes about 150).
pub const MAX_SEALED_LEN: usize = 4096;
/// The version prefix of the text form.
pub const SEALED_PREFIX: &str = "tsk1";

/// A secret sealed by a [`Keyring`](crate::Keyring): the id of the key, the nonce, and
/// the ciphertext with its tag. Not secret itself; it opens only with the key, for the
/// same purpose and owner it was sealed for.
///
/// Its text form is `tsk1.<key id>.<nonce>.<ciphertext>`, the last two in unpadded
/// URL-safe base64: what a store keeps (and what the `serde` feature writes).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub(crate) key_id: KeyId,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) ciphertext: Vec<u8>,
}

impl Sealed {
    /// The id of the key that sealed it.
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// Parses the text form.
    ///
    /// # Errors
    /// [`Error::Malformed`] for anything but `tsk1.<key id>.<nonce>.<ciphertext>` with a
    /// 12-byte nonce and a ciphertext at least as long as its tag, at most
    /// [`MAX_SEALED_LEN`] bytes in all.
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_SEALED_LEN {
            return Err(Error::Malformed("too long"));
        }
        let mut parts = text.split('.');
        let (Some(prefix), Some(id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(Error::Malformed("expected four dot-separated parts"));
        };
        if prefix != SEALED_PREFIX {
            return Err(Error::Malformed("unknown version"));
        }
        let key_id = KeyId::parse(id).map_err(|_| Error::Malformed("invalid key id"))?;
        let nonce = BASE64URL_NOPAD
            .decode(nonce.as_bytes())
            .map_err(|_| Error::Malformed("the nonce is not base64url"))?
            .try_into()
            .map_err(|_| Error::Malformed("the nonce is not 12 bytes"))?;
        let ciphertext = BASE64URL_NOPAD
            .decode(ciphertext.as_bytes())
            .map_err(|_| Error::Malformed("the ciphertext is not base64url"))?;
        if ciphertext.len() < TAG_LEN {
            return Err(Error::Malformed("the ciphertext is shorter than its tag"));
        }
        Ok(Self {
            key_id,
            nonce,
            ciphertext,
        })
    }
}

impl fmt::Display for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SEALED_PREFIX}.{}.{}.{}",
            self.key_id,
            BASE64URL_NOPAD.encode(&self.nonce),
            BASE64URL_NOPAD.encode(&self.ciphertext)
        )
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

impl FromStr for Sealed {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Sealed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Sealed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Parsing never panics, and what parses prints back to the same text.
        #[test]
        fn parse_never_panics_and_round_trips(s in "\\PC{0,200}") {
            if let Ok(v) = Sealed::parse(&s) {
                prop_assert_eq!(v.to_string(), s);
            }
        }

        /// Every well-formed value round trips through its text form.
        #[test]
        fn text_form_round_trips(
            id in "[A-Za-z0-9_-]{1,32}",
            nonce in proptest::array::uniform12(any::<u8>()),
            ciphertext in proptest::collection::vec(any::<u8>(), 16..300),
        ) {
            let v = Sealed { key_id: KeyId::parse(&id).unwrap(), nonce, ciphertext };
            prop_assert_eq!(Sealed::parse(&v.to_string()).unwrap(), v);
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        let good = Sealed {
            key_id: KeyId::parse("k1").unwrap(),
            nonce: [7; NONCE_LEN],
            ciphertext: vec![1; 20],
        }
        .to_string();
        assert!(Sealed::parse(&good).is_ok());
        let nonce = BASE64URL_NOPAD.encode(&[7; NONCE_LEN]);
        let short_nonce = BASE64URL_NOPAD.encode(&[7; 8]);
        let ct = BASE64URL_NOPAD.encode(&[1; 20]);
        for bad in [
            String::new(),
            format!("tsk2.k1.{nonce}.{ct}"),
            format!("tsk1.k.1.{nonce}.{ct}"),
            format!("tsk1..{nonce}.{ct}"),
            format!("tsk1.k1.{short_nonce}.{ct}"),
            format!("tsk1.k1.{nonce}.{}", BASE64URL_NOPAD.encode(&[1; 15])),
            format!("tsk1.k1.{nonce}.{ct}="),
            format!("tsk1.k1.{nonce}.{ct}.x"),
            format!("tsk1.k1.{nonce}.{}", "A".repeat(MAX_SEALED_LEN)),
        ] {
            assert!(
                matches!(Sealed::parse(&bad), Err(Error::Malformed(_))),
                "{bad}"
            );
        }
    }

    /// The length limit is inclusive: a well-formed value of exactly
    /// [`MAX_SEALED_LEN`] bytes parses, one byte more does not.
    #[test]
    fn longest_value_is_accepted() {
        let sealed_of = |len: usize| Sealed {
            key_id: KeyId::parse("k1").unwrap(),
            nonce: [7; NONCE_LEN],
            ciphertext: vec![1; len],
        };
        let at_limit = (TAG_LEN..4096)
            .map(|len| sealed_of(len).to_string())
            .find(|text| text.len() == MAX_SEALED_LEN)
            .unwrap();
        assert!(Sealed::parse(&at_limit).is_ok());
        let over = format!("{at_limit}A");
        assert_eq!(Sealed::parse(&over), Err(Error::Malformed("too long")));
    }
}
