//! Keys and their ids.

use std::fmt;

use data_encoding::{BASE64, BASE64_NOPAD, BASE64URL, BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Bytes in a key: 256-bit keys for AES-256-GCM.
pub const KEY_LEN: usize = 32;
/// Most characters in a key id.
pub const MAX_KEY_ID_LEN: usize = 32;

/// A key's name in the keyring and in every value it seals, e.g. `2026-11`.
///
/// 1 to [`MAX_KEY_ID_LEN`] characters of `A–Z a–z 0–9 _ -`, so it can stand in a
/// sealed value's text form and in a log line as it is. Not a secret.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// Checks an id.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`].
    pub fn parse(input: &str) -> Result<Self> {
        let ok = (1..=MAX_KEY_ID_LEN).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(Error::InvalidKeyId)
        }
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A 256-bit key: wiped on drop, never printed.
///
/// Loads from bytes, hex or base64 (standard or URL-safe, padded or not), from an
/// environment variable or a file; [`Key::generate`] makes a new one and
/// [`Key::to_base64`] writes it in the form the loaders read.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; KEY_LEN]>);

impl Key {
    /// A key from exactly [`KEY_LEN`] bytes.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for another length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let array: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| Error::InvalidKey("a key is exactly 32 bytes"))?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// A key from its text: 64 hex digits, or base64 of 32 bytes (surrounding white
    /// space ignored).
    ///
    /// # Errors
    /// [`Error::InvalidKey`].
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.len() == 2 * KEY_LEN
            && let Ok(bytes) = HEXLOWER_PERMISSIVE.decode(text.as_bytes())
        {
            let bytes = Zeroizing::new(bytes);
            return Self::from_bytes(&bytes);
        }
        for encoding in [&BASE64, &BASE64_NOPAD, &BASE64URL, &BASE64URL_NOPAD] {
            if let Ok(bytes) = encoding.decode(text.as_bytes()) {
                let bytes = Zeroizing::new(bytes);
                return Self::from_bytes(&bytes);
            }
        }
        Err(Error::InvalidKey(
            "expected 64 hex digits or the base64 of 32 bytes",
        ))
    }

    /// The key in the environment variable `name`.
    ///
    /// # Errors
    /// [`Error::Source`] when it is unset or not Unicode; [`Error::InvalidKey`].
    pub fn from_env(name: &str) -> Result<Self> {
        Self::parse(&read_env(name)?)
    }

    /// The key in the file at `path` (its only content, white space around ignored).
    ///
    /// # Errors
    /// [`Error::Source`] when it cannot be read; [`Error::InvalidKey`].
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        Self::parse(&read_file(path)?)
    }

    /// A new key from the operating system's generator.
    ///
    /// # Errors
    /// [`Error::Randomness`].
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        crate::fill_random(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// The key as standard base64, the form [`Key::parse`] reads: for `tessera key
    /// generate` and a secrets manager, never for a log.
    #[must_use]
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.0.as_ref()))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// The text of the environment variable `name`, wiped when dropped; the error names the
/// variable, never its value.
pub(crate) fn read_env(name: &str) -> Result<Zeroizing<String>> {
    std::env::var(name)
        .map(Zeroizing::new)
        .map_err(|_| Error::Source(format!("${name}")))
}

/// The text of the file at `path`, wiped when dropped; the error names the file.
pub(crate) fn read_file(path: &std::path::Path) -> Result<Zeroizing<String>> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|_| Error::Source(path.display().to_string()))
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids() {
        for good in ["k1", "2026-11", "A_b-9", &"x".repeat(32)] {
            assert_eq!(KeyId::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", " k", "k.1", "k/1", "ключ", &"x".repeat(33)] {
            assert_eq!(KeyId::parse(bad), Err(Error::InvalidKeyId), "{bad:?}");
        }
    }

    #[test]
    fn keys_load_from_hex_and_base64_and_check_their_length() {
        let bytes: Vec<u8> = (0u8..32).collect();
        let hex = data_encoding::HEXUPPER.encode(&bytes);
        for text in [
            hex.clone(),
            hex.to_lowercase(),
            BASE64.encode(&bytes),
            BASE64_NOPAD.encode(&bytes),
            BASE64URL.encode(&bytes),
            format!("  {}\n", BASE64.encode(&bytes)),
        ] {
            assert_eq!(
                Key::parse(&text).unwrap().bytes().as_slice(),
                bytes,
                "{text}"
            );
        }
        for bad in [
            String::new(),
            BASE64.encode(&bytes[..31]),
            BASE64.encode(&[bytes.as_slice(), &[0]].concat()),
            "zz".repeat(32),
            "not a key".to_owned(),
        ] {
            assert!(
                matches!(Key::parse(&bad), Err(Error::InvalidKey(_))),
                "{bad}"
            );
        }
        assert!(Key::from_bytes(&[0; 16]).is_err());
    }

    #[test]
    fn keys_never_print() {
        let k = Key::from_bytes(&[0xab; 32]).unwrap();
        let shown = format!("{k:?}");
        assert_eq!(shown, "Key(<redacted>)");
        assert!(!shown.contains("ab"));
        assert_eq!(Key::parse(&k.to_base64()).unwrap().bytes(), k.bytes());
    }

    #[test]
    fn keys_load_from_files_and_the_environment() {
        let dir = std::env::temp_dir().join(format!("tessera-keyring-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        let k = Key::generate().unwrap();
        std::fs::write(&path, format!("{}\n", k.to_base64().as_str())).unwrap();
        assert_eq!(Key::from_file(&path).unwrap().bytes(), k.bytes());
        let missing = Key::from_file(&dir.join("missing"));
        assert!(matches!(missing, Err(Error::Source(_))));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            Key::from_env("TESSERA_KEYRING_TEST_SURELY_UNSET"),
            Err(Error::Source(_))
        ));
    }
}
