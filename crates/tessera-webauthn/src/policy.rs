//! The organisation's minimum credential (kanidm's idea): which second factors count.

use tessera_registry::{Device, DeviceKind, SecurityKey};
use webauthn_rs::prelude::{Credential, ParsedAttestationData};

/// How strongly a registered security key is bound to hardware, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum KeyClass {
    /// Backup eligible: a passkey a provider may sync to other devices.
    Synced,
    /// Not backup eligible: the private key stays in one authenticator.
    DeviceBound,
    /// Device bound, and its attestation chained to a configured root when it
    /// registered: the model is known.
    Attested,
}

impl KeyClass {
    /// The class of a stored key, from its flags and its registration's attestation.
    #[must_use]
    pub fn of(key: &SecurityKey) -> Self {
        if key.flags().backup_eligible {
            return Self::Synced;
        }
        let attested = key
            .relying_party_record()
            .and_then(|r| serde_json::from_str::<Credential>(r).ok())
            .is_some_and(|c| {
                matches!(
                    c.attestation.data,
                    ParsedAttestationData::Basic(_) | ParsedAttestationData::AttCa(_)
                )
            });
        if attested {
            Self::Attested
        } else {
            Self::DeviceBound
        }
    }
}

/// The weakest second factor an organisation accepts: set it in the organisation's
/// policy and let the facade show the methods below it as unavailable, with this as
/// the reason.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MinimumCredential {
    /// Any active MFA device (authenticator app, hardware token, security key).
    #[default]
    AnyDevice,
    /// A security key or passkey (phishing resistant); synced passkeys count.
    SecurityKey,
    /// A security key whose private key cannot leave it ([`KeyClass::DeviceBound`]).
    DeviceBoundKey,
    /// A device-bound key of an attested, allowed model ([`KeyClass::Attested`]).
    AttestedKey,
}

impl MinimumCredential {
    /// Whether `device` (active or not: the caller filters) meets the minimum.
    #[must_use]
    pub fn is_met_by(self, device: &Device) -> bool {
        match (self, device.kind(), device.security_key()) {
            (Self::AnyDevice, _, _) => true,
            (_, DeviceKind::SecurityKey, Some(key)) => {
                let class = KeyClass::of(key);
                match self {
                    Self::SecurityKey => true,
                    Self::DeviceBoundKey => class >= KeyClass::DeviceBound,
                    Self::AttestedKey => class >= KeyClass::Attested,
                    Self::AnyDevice => true,
                }
            }
            _ => false,
        }
    }

    /// Whether a device of `kind` can meet the minimum at all (for availability: an
    /// authenticator app never meets [`MinimumCredential::SecurityKey`]).
    #[must_use]
    pub fn admits_kind(self, kind: DeviceKind) -> bool {
        self == Self::AnyDevice || kind == DeviceKind::SecurityKey
    }
}

#[cfg(test)]
mod tests {
    use tessera_otp::UnixTime;
    use tessera_registry::{Credential, DeviceId, DeviceName, DeviceState, KeyFlags};

    use super::*;

    fn key_device(flags: KeyFlags) -> Device {
        let key = SecurityKey::new(b"id", b"pk", 0, [0; 16])
            .unwrap()
            .with_flags(flags);
        Device::from_parts(
            DeviceId::from_u128(1),
            DeviceName::new("Key").unwrap(),
            DeviceKind::SecurityKey,
            DeviceState::Active,
            UnixTime::from_secs(0),
            None,
            None,
            Credential::SecurityKey(key),
        )
    }

    #[test]
    fn synced_passkeys_meet_security_key_but_not_device_bound() {
        let synced = key_device(KeyFlags::new(true, true, true));
        let bound = key_device(KeyFlags::new(false, false, false));
        assert_eq!(
            KeyClass::of(synced.security_key().unwrap()),
            KeyClass::Synced
        );
        assert_eq!(
            KeyClass::of(bound.security_key().unwrap()),
            KeyClass::DeviceBound
        );
        for m in [MinimumCredential::AnyDevice, MinimumCredential::SecurityKey] {
            assert!(m.is_met_by(&synced) && m.is_met_by(&bound));
        }
        assert!(!MinimumCredential::DeviceBoundKey.is_met_by(&synced));
        assert!(MinimumCredential::DeviceBoundKey.is_met_by(&bound));
        // Without a relying-party record there is no attestation to go by.
        assert!(!MinimumCredential::AttestedKey.is_met_by(&bound));
    }

    /// An authenticator app meets "any device", and no key minimum.
    #[test]
    fn an_authenticator_app_meets_only_any_device() {
        let ring = tessera_keyring::Keyring::ephemeral().unwrap();
        let sealed = ring
            .seal(&tessera_keyring::Binding::new("test"), b"seed")
            .unwrap();
        let app = Device::from_parts(
            DeviceId::from_u128(2),
            DeviceName::new("Phone").unwrap(),
            DeviceKind::AuthenticatorApp,
            DeviceState::Active,
            UnixTime::from_secs(0),
            None,
            None,
            Credential::Totp(tessera_registry::TotpCredential::from_parts(
                sealed,
                tessera_otp::TotpParams::DEFAULT,
                None,
                None,
                tessera_otp::Drift::default(),
            )),
        );
        assert!(MinimumCredential::AnyDevice.is_met_by(&app));
        for m in [
            MinimumCredential::SecurityKey,
            MinimumCredential::DeviceBoundKey,
            MinimumCredential::AttestedKey,
        ] {
            assert!(!m.is_met_by(&app), "{m:?}");
        }
    }

    #[test]
    fn only_any_device_admits_authenticator_apps() {
        assert!(MinimumCredential::AnyDevice.admits_kind(DeviceKind::AuthenticatorApp));
        for m in [
            MinimumCredential::SecurityKey,
            MinimumCredential::DeviceBoundKey,
            MinimumCredential::AttestedKey,
        ] {
            assert!(!m.admits_kind(DeviceKind::AuthenticatorApp));
            assert!(!m.admits_kind(DeviceKind::HardwareToken));
            assert!(m.admits_kind(DeviceKind::SecurityKey));
        }
    }
}
