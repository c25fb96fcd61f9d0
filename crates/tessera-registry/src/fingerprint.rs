//! Keyed fingerprints of devices, so that one hardware token or one imported seed
//! belongs to one user across the whole store (AWS: "each virtual MFA device assigned
//! to a user must be unique").
//!
//! A fingerprint is HMAC-SHA-256 under a key derived from the registry's keyring for
//! [`FINGERPRINT_PURPOSE`], over a domain-separated input: `"serial"` and a hardware
//! token's serial number, or `"seed"` and a TOTP secret's bytes. The key makes it
//! useless to anyone without the keyring: a store holding fingerprints cannot test a
//! guessed seed or serial against them, and never holds the seed itself.

use std::fmt;

use data_encoding::{HEXLOWER, HEXLOWER_PERMISSIVE};

use hmac::{KeyInit, Mac};
use tessera_keyring::Keyring;
use tessera_otp::Secret;

use crate::Error;

/// The purpose the fingerprint key is derived for ([`Keyring::derive`]).
pub const FINGERPRINT_PURPOSE: &str = "tessera-registry/device-fingerprint/v1";

/// Bytes in a fingerprint (an HMAC-SHA-256 tag).
pub const FINGERPRINT_LEN: usize = 32;

/// How many bytes of a fingerprint `Debug` shows: enough to tell two apart in a log.
const DEBUG_PREFIX: usize = 4;

/// A keyed fingerprint of a device (a hardware token's serial, or a TOTP seed), the key
/// of a store's uniqueness claim ([`DeviceStore::claim_fingerprint`](crate::DeviceStore::claim_fingerprint)).
///
/// Not a secret in the way a seed is (without the keyring it reveals nothing, and it
/// cannot be turned back into the seed), but it is an identifier of a device: `Debug`
/// shows only its first four bytes. [`to_hex`](Self::to_hex) and
/// [`from_hex`](Self::from_hex) give the full value, for stores that keep it as text.
///
/// Equality is a plain comparison: a fingerprint is a lookup key, never checked as a
/// proof of anything, so there is no timing to protect.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceFingerprint([u8; FINGERPRINT_LEN]);

impl DeviceFingerprint {
    /// A fingerprint from its bytes, as a store read them back.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; FINGERPRINT_LEN]) -> Self {
        Self(bytes)
    }

    /// The fingerprint's bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; FINGERPRINT_LEN] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    #[must_use]
    pub fn to_hex(&self) -> String {
        HEXLOWER.encode(&self.0)
    }

    /// Parses 64 hex digits (either case).
    ///
    /// # Errors
    /// [`Error::InvalidDevice`] for any other text.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        HEXLOWER_PERMISSIVE
            .decode(text.as_bytes())
            .ok()
            .and_then(|bytes| <[u8; FINGERPRINT_LEN]>::try_from(bytes).ok())
            .map(Self)
            .ok_or(Error::InvalidDevice(
                "a device fingerprint is 64 hex digits",
            ))
    }
}

impl fmt::Debug for DeviceFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DeviceFingerprint({}…)",
            HEXLOWER.encode(&self.0[..DEBUG_PREFIX])
        )
    }
}

/// What [`DeviceStore::claim_fingerprint`](crate::DeviceStore::claim_fingerprint) found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FingerprintClaim {
    /// The fingerprint was unclaimed: the claim is now the user's.
    New,
    /// The user already held it (the same user enrolling the same device again, or
    /// racing itself): nothing changed. The registry does not release such a claim
    /// when its own operation then fails, so that the user's existing device keeps it.
    AlreadyHeld,
}

/// What identifies a device across users.
#[derive(Clone, Copy)]
pub(crate) enum Material<'a> {
    /// A hardware token's serial number (as [`HardwareToken`](crate::HardwareToken)
    /// keeps it: trimmed). ASCII case is folded: vendors print serials in one case,
    /// and "galt-0001" typed by one administrator is the token "GALT-0001" another
    /// imported.
    Serial(&'a str),
    /// A TOTP secret's bytes (an app's seed, or one an administrator imported).
    Seed(&'a Secret),
}

/// The fingerprints of `material` under every key of `keyring`, in the keyring's order.
///
/// One per key, so that a claim made before a key rotation still refuses the device
/// after it: the old key stays in the keyring while its seeds are re-sealed, and a
/// device's claims are made under every key loaded at the time.
pub(crate) fn fingerprints(
    keyring: &Keyring,
    material: Material<'_>,
) -> Result<Vec<DeviceFingerprint>, Error> {
    keyring
        .ids()
        .map(|id| {
            let key = keyring
                .derive(id, FINGERPRINT_PURPOSE)
                .map_err(Error::SealedSecret)?;
            let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(key.as_slice())
                .map_err(|_| Error::SealedSecret(tessera_keyring::Error::OpenFailed))?;
            // Length-prefixed label and value: no serial can be made to read as a seed.
            let mut field = |bytes: &[u8]| {
                mac.update(&(bytes.len() as u64).to_be_bytes());
                mac.update(bytes);
            };
            match material {
                Material::Serial(serial) => {
                    field(b"serial");
                    field(serial.to_ascii_uppercase().as_bytes());
                }
                Material::Seed(secret) => {
                    field(b"seed");
                    field(secret.expose_bytes());
                }
            }
            Ok(DeviceFingerprint(mac.finalize().into_bytes().into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_keyring::{Key, KeyId};

    fn ring(id: &str) -> Keyring {
        Keyring::new(KeyId::parse(id).unwrap(), Key::generate().unwrap())
    }

    #[test]
    fn fingerprints_are_keyed_separated_and_stable() {
        let r = ring("k1");
        let secret = Secret::from_bytes(&[7; 20]).unwrap();
        let seed = fingerprints(&r, Material::Seed(&secret)).unwrap();
        assert_eq!(seed.len(), 1);
        assert_eq!(seed, fingerprints(&r, Material::Seed(&secret)).unwrap());
        // Another keyring gives another fingerprint: the key is what makes it useless
        // to a reader of the store.
        assert_ne!(
            seed,
            fingerprints(&ring("k1"), Material::Seed(&secret)).unwrap()
        );
        // A serial whose bytes are the seed's is another device.
        let same_bytes = String::from_utf8(vec![7; 20]).unwrap();
        assert_ne!(
            seed,
            fingerprints(&r, Material::Serial(&same_bytes)).unwrap()
        );
        // Serials fold ASCII case.
        assert_eq!(
            fingerprints(&r, Material::Serial("galt-0001")).unwrap(),
            fingerprints(&r, Material::Serial("GALT-0001")).unwrap()
        );
    }

    #[test]
    fn one_fingerprint_per_key_in_the_keyring() {
        let mut r = ring("k1");
        r.add(KeyId::parse("k2").unwrap(), Key::generate().unwrap())
            .unwrap();
        let fps = fingerprints(&r, Material::Serial("S-1")).unwrap();
        assert_eq!(fps.len(), 2);
        assert_ne!(fps[0], fps[1]);
    }

    #[test]
    fn debug_shows_a_prefix_and_hex_round_trips() {
        let fp = DeviceFingerprint::from_bytes([0xab; 32]);
        assert_eq!(format!("{fp:?}"), "DeviceFingerprint(abababab…)");
        assert_eq!(fp.to_hex().len(), 64);
        assert_eq!(DeviceFingerprint::from_hex(&fp.to_hex()).unwrap(), fp);
        assert_eq!(DeviceFingerprint::from_hex(&"AB".repeat(32)).unwrap(), fp);
        for bad in [
            "",
            "ab",
            &"zz".repeat(32),
            &"a".repeat(65),
            "é".repeat(32).as_str(),
        ] {
            assert!(DeviceFingerprint::from_hex(bad).is_err(), "{bad:?}");
        }
    }
}
