//! The server key that turns codes and tokens into keyed hashes, and the random source.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use rand::TryRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Result};

/// Shortest server key accepted, in bytes (256 bits, the HMAC-SHA-256 output size).
pub const MIN_SERVER_KEY_LEN: usize = 32;
/// Longest server key accepted, in bytes (one SHA-256 block; longer keys are hashed
/// down by HMAC anyway).
pub const MAX_SERVER_KEY_LEN: usize = 64;

/// A keyed hash as stored: HMAC-SHA-256.
pub(crate) type Tag = [u8; 32];

/// The server's secret key for the keyed hashes of one-time codes, recovery codes and
/// remember-device tokens.
///
/// Stored values are HMAC-SHA-256 tags under this key, so a copy of the state store alone
/// does not let anyone check guesses offline. Keep it outside the store (a secrets
/// manager, an environment variable); every instance that shares a store must share the
/// key. Changing it voids outstanding challenges, recovery codes and remembered devices.
///
/// Zeroized on drop; `Debug` prints a redaction.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ServerKey {
    bytes: Vec<u8>,
}

impl ServerKey {
    /// Wraps key material of [`MIN_SERVER_KEY_LEN`]..=[`MAX_SERVER_KEY_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a key of another length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if !(MIN_SERVER_KEY_LEN..=MAX_SERVER_KEY_LEN).contains(&bytes.len()) {
            return Err(Error::InvalidConfig(
                "the server key must be 32 to 64 bytes",
            ));
        }
        Ok(Self {
            bytes: bytes.to_vec(),
        })
    }

    /// A fresh random 256-bit key from the operating system.
    ///
    /// # Errors
    /// [`Error::Randomness`] when the operating system's generator fails.
    pub fn generate() -> Result<Self> {
        let mut bytes = vec![0u8; MIN_SERVER_KEY_LEN];
        fill_random(&mut bytes)?;
        Ok(Self { bytes })
    }

    /// HMAC-SHA-256 over a domain label and length-prefixed parts, so that no two
    /// different inputs (or uses) produce the same message.
    pub(crate) fn tag(&self, domain: &str, parts: &[&[u8]]) -> Result<Tag> {
        // HMAC takes keys of any length, so this cannot fail for a checked key; the error
        // is still propagated rather than unwrapped.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.bytes)
            .map_err(|_| Error::InvalidConfig("the server key must be 32 to 64 bytes"))?;
        Mac::update(&mut mac, &(domain.len() as u64).to_be_bytes());
        Mac::update(&mut mac, domain.as_bytes());
        for p in parts {
            Mac::update(&mut mac, &(p.len() as u64).to_be_bytes());
            Mac::update(&mut mac, p);
        }
        Ok(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(<redacted>)")
    }
}

/// Constant-time equality of two tags.
pub(crate) fn tags_equal(a: &Tag, b: &Tag) -> bool {
    bool::from(a.ct_eq(b))
}

/// The index of the first tag in `tags` equal to `tag`, comparing against every entry
/// (no early exit), in constant time per entry.
pub(crate) fn find_tag<'a>(tags: impl IntoIterator<Item = &'a Tag>, tag: &Tag) -> Option<usize> {
    let mut found = None;
    for (i, t) in tags.into_iter().enumerate() {
        let eq = tags_equal(t, tag);
        if eq && found.is_none() {
            found = Some(i);
        }
    }
    found
}

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    rand::rngs::SysRng
        .try_fill_bytes(buf)
        .map_err(|_| Error::Randomness)
}

/// `n` uniformly random characters of `alphabet` (at most 256 symbols), by rejection
/// sampling of random bytes, so no symbol is more likely than another.
pub(crate) fn random_symbols(alphabet: &[u8], n: usize) -> Result<zeroize::Zeroizing<String>> {
    let len = alphabet.len().clamp(1, 256);
    // Accept bytes below the largest multiple of `len`; reject the rest.
    let limit = 256 - (256 % len);
    let mut out = zeroize::Zeroizing::new(String::with_capacity(n));
    let mut pool = zeroize::Zeroizing::new([0u8; 64]);
    while out.len() < n {
        fill_random(&mut pool[..])?;
        for &b in pool.iter() {
            if usize::from(b) < limit
                && out.len() < n
                && let Some(&c) = alphabet.get(usize::from(b) % len)
            {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_bounds_and_redaction() {
        assert!(ServerKey::from_bytes(&[7; 31]).is_err());
        assert!(ServerKey::from_bytes(&[7; 65]).is_err());
        let k = ServerKey::from_bytes(&[7; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "ServerKey(<redacted>)");
        assert!(ServerKey::generate().is_ok());
    }

    #[test]
    fn tag_is_hmac_sha256_over_length_prefixed_parts() {
        // The framing spelled out, checked against the hmac crate itself (whose own
        // RFC 4231 vectors cover the primitive).
        let k = ServerKey::from_bytes(&[0x0b; 32]).unwrap();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 32]).unwrap();
        Mac::update(&mut mac, &1u64.to_be_bytes());
        Mac::update(&mut mac, b"d");
        Mac::update(&mut mac, &2u64.to_be_bytes());
        Mac::update(&mut mac, b"ab");
        let want: Tag = mac.finalize().into_bytes().into();
        assert_eq!(k.tag("d", &[b"ab"]).unwrap(), want);
        // Framing: moving a byte between parts, or changing the domain, changes the tag.
        assert_ne!(k.tag("d", &[b"a", b"b"]).unwrap(), want);
        assert_ne!(k.tag("e", &[b"ab"]).unwrap(), want);
    }

    #[test]
    fn find_tag_finds_first_match() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        assert_eq!(find_tag([&a, &b, &b], &b), Some(1));
        assert_eq!(find_tag([&a], &b), None);
    }

    #[test]
    fn random_symbols_uses_only_the_alphabet() {
        let s = random_symbols(b"0123456789", 1000).unwrap();
        assert_eq!(s.len(), 1000);
        assert!(s.bytes().all(|b| b.is_ascii_digit()));
        // Every digit shows up in 1000 draws (fails with probability < 1e-40).
        for d in b'0'..=b'9' {
            assert!(s.bytes().any(|b| b == d));
        }
    }
}
