//! Remembered devices: a token that lets sign-in skip the second factor on one device.

mod change;
mod flow;

use std::fmt;
use std::time::Duration;

use tessera_keyring::KeyId;
use tessera_otp::UnixTime;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codes::secret::{HeldSecret, Tag};
use crate::{Error, Result};

/// Default lifetime of a remembered device.
pub const DEFAULT_REMEMBER_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Longest lifetime of a remembered device.
pub const MAX_REMEMBER_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// Shortest lifetime of a remembered device.
pub const MIN_REMEMBER_TTL: Duration = Duration::from_secs(3600);
/// Most remembered devices per account; a new one pushes out the oldest.
pub const MAX_REMEMBERED_DEVICES: usize = 20;
/// Longest label kept, in characters.
pub const MAX_DEVICE_LABEL_CHARS: usize = 64;

const DOMAIN: &str = "tessera-mfa/remember-device/v1";

/// A remember-device token: 256 random bits, given to the device once (e.g. in a
/// cookie) as 43 base64url characters. Zeroized on drop; `Debug` redacts it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RememberToken([u8; 32]);

impl RememberToken {
    pub(crate) fn generate() -> Result<Self> {
        let mut b = [0u8; 32];
        crate::codes::secret::fill_random(&mut b)?;
        Ok(Self(b))
    }

    /// Parses the token as the device presented it.
    ///
    /// # Errors
    /// [`Error::InvalidToken`] unless it is 43 base64url characters for 32 bytes.
    pub fn parse(input: &str) -> Result<Self> {
        let input = input.trim();
        if input.len() != 43 {
            return Err(Error::InvalidToken);
        }
        let bytes = Zeroizing::new(
            data_encoding::BASE64URL_NOPAD
                .decode(input.as_bytes())
                .map_err(|_| Error::InvalidToken)?,
        );
        let mut b = [0u8; 32];
        if bytes.len() != b.len() {
            return Err(Error::InvalidToken);
        }
        b.copy_from_slice(&bytes);
        Ok(Self(b))
    }

    /// The token as 43 base64url characters, to hand to the device.
    #[must_use]
    pub fn encode(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(&self.0))
    }
}

impl HeldSecret for RememberToken {
    const DOMAIN: &'static str = DOMAIN;

    fn secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for RememberToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RememberToken(<redacted>)")
    }
}

/// A remembered device's identifier, for listing and revoking (not a secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RememberedDeviceId(u64);

impl RememberedDeviceId {
    pub(crate) fn generate() -> Result<Self> {
        let mut b = [0u8; 8];
        crate::codes::secret::fill_random(&mut b)?;
        Ok(Self(u64::from_be_bytes(b)))
    }

    /// Parses the 16 hex characters of [`Display`](fmt::Display).
    ///
    /// # Errors
    /// [`Error::UnknownRememberedDevice`] for anything else.
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim();
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::UnknownRememberedDevice);
        }
        u64::from_str_radix(s, 16)
            .map(Self)
            .map_err(|_| Error::UnknownRememberedDevice)
    }
}

impl fmt::Display for RememberedDeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A remembered device as stored: the token only as a keyed hash.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RememberedDevice {
    pub(crate) id: RememberedDeviceId,
    pub(crate) tag: Tag,
    /// The id of the server key the tag was made with. State stored before tags named
    /// their key has no such field and reads as
    /// [`SINGLE_SERVER_KEY_ID`](crate::SINGLE_SERVER_KEY_ID).
    #[cfg_attr(
        feature = "serde",
        serde(default = "crate::codes::secret::single_key_id")
    )]
    pub(crate) key_id: KeyId,
    pub(crate) label: String,
    pub(crate) created_at: UnixTime,
    pub(crate) expires_at: UnixTime,
}

impl RememberedDevice {
    /// Its identifier.
    #[must_use]
    pub fn id(&self) -> RememberedDeviceId {
        self.id
    }

    /// The id of the server key its token's tag was made with (see
    /// [`Mfa::count_tags_with`](crate::Mfa::count_tags_with)).
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The label the application gave it (e.g. "Firefox on Linux").
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// When it was remembered.
    #[must_use]
    pub fn created_at(&self) -> UnixTime {
        self.created_at
    }

    /// When it stops skipping the second factor.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
}

/// Cleans a label: control characters dropped, at most [`MAX_DEVICE_LABEL_CHARS`].
pub(crate) fn clean_label(label: &str) -> String {
    label
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DEVICE_LABEL_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn token_round_trip_and_redaction() {
        let t = RememberToken::generate().unwrap();
        let s = t.encode();
        assert_eq!(s.len(), 43);
        assert_eq!(RememberToken::parse(&s).unwrap(), t);
        assert_eq!(format!("{t:?}"), "RememberToken(<redacted>)");
        assert!(RememberToken::parse(&s[..42]).is_err());
        assert!(RememberToken::parse(&format!("{}=", &s[..42])).is_err());
    }

    #[test]
    fn labels_are_cleaned() {
        assert_eq!(clean_label(" Firefox\n on Linux "), "Firefox on Linux");
        assert_eq!(clean_label(&"x".repeat(100)).len(), MAX_DEVICE_LABEL_CHARS);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,100}") {
            let _ = RememberToken::parse(&s);
            let _ = RememberedDeviceId::parse(&s);
        }

        #[test]
        fn id_round_trips(n in any::<u64>()) {
            let id = RememberedDeviceId(n);
            prop_assert_eq!(RememberedDeviceId::parse(&id.to_string()).unwrap(), id);
        }
    }
}
