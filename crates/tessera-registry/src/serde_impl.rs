//! Serialization of the stored aggregate (feature `serde`), for stores that keep a
//! user's devices as one document.
//!
//! **The serialized form contains every TOTP secret in base32.** It is exactly as
//! sensitive as the secrets themselves: encrypt it at rest, never log it, and keep it
//! out of error reports. Deserialization validates every field (names, secrets,
//! parameters, ids) as the constructors do.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tessera_otp::{Algorithm, Secret, TotpParams};
use zeroize::Zeroizing;

use crate::{DeviceId, DeviceName, Error};

impl From<DeviceId> for String {
    fn from(id: DeviceId) -> Self {
        id.to_string()
    }
}

impl TryFrom<String> for DeviceId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::parse(&s)
    }
}

impl From<DeviceName> for String {
    fn from(name: DeviceName) -> Self {
        name.0
    }
}

impl TryFrom<String> for DeviceName {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::new(&s)
    }
}

/// A TOTP secret as canonical base32 text, deliberately: see the module docs.
pub(crate) mod secret_base32 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&secret.to_base32())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        Secret::from_base32(&text).map_err(serde::de::Error::custom)
    }
}

/// TOTP parameters as their four fields, validated on the way in.
pub(crate) mod totp_params {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Fields {
        algorithm: Algorithm,
        digits: u32,
        period: u64,
        t0: u64,
    }

    pub(crate) fn serialize<S: Serializer>(p: &TotpParams, s: S) -> Result<S::Ok, S::Error> {
        Fields {
            algorithm: p.algorithm(),
            digits: u32::from(p.digits()),
            period: p.period(),
            t0: p.t0(),
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TotpParams, D::Error> {
        let f = Fields::deserialize(d)?;
        TotpParams::new(f.algorithm, f.digits, f.period, f.t0).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use tessera_otp::{Drift, TimeStep, UnixTime};

    use crate::{
        Credential, Device, DeviceId, DeviceKind, DeviceName, DeviceState, SecurityKey,
        TotpCredential, UserDevices,
    };

    fn aggregate() -> UserDevices {
        let params = TotpParams::new(Algorithm::Sha256, 8, 60, 0).unwrap();
        let token = Device::from_parts(
            DeviceId::from_u128(0xabc),
            DeviceName::new("Token «1»").unwrap(),
            DeviceKind::HardwareToken,
            DeviceState::Active,
            UnixTime::from_secs(1),
            Some(UnixTime::from_secs(2)),
            Some(UnixTime::from_secs(3)),
            Credential::Totp(TotpCredential::from_parts(
                Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap(),
                params,
                Some("SN-1".into()),
                Some(TimeStep::new(99)),
                Drift::from_steps(-2),
            )),
        );
        let key = Device::from_parts(
            DeviceId::random(),
            DeviceName::new("Key").unwrap(),
            DeviceKind::SecurityKey,
            DeviceState::Pending {
                expires_at: UnixTime::from_secs(600),
            },
            UnixTime::EPOCH,
            None,
            None,
            Credential::SecurityKey(SecurityKey::new(b"id", b"pk", 7, [3; 16]).unwrap()),
        );
        UserDevices {
            version: 42,
            devices: vec![token, key],
        }
    }

    use super::*;

    #[test]
    fn the_aggregate_round_trips_through_json() {
        let original = aggregate();
        let json = serde_json::to_string(&original).unwrap();
        // The secret is there, deliberately, in base32.
        assert!(
            json.contains("\"secret\":\"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\""),
            "{json}"
        );
        assert!(json.contains("\"kind\":\"hardware_token\""), "{json}");
        assert!(
            json.contains("\"id\":\"00000000000000000000000000000abc\""),
            "{json}"
        );
        let back: UserDevices = serde_json::from_str(&json).unwrap();
        assert_eq!(back.version, 42);
        assert_eq!(back.devices, original.devices);
    }

    proptest::proptest! {
        #[test]
        fn user_ids_are_bare_strings_and_round_trip(id in "\\PC{0,40}") {
            let user = crate::UserId::new(id.clone());
            let json = serde_json::to_string(&user).unwrap();
            proptest::prop_assert_eq!(&json, &serde_json::to_string(&id).unwrap());
            let back: crate::UserId = serde_json::from_str(&json).unwrap();
            proptest::prop_assert_eq!(back, user);
        }
    }

    #[test]
    fn invalid_documents_are_refused() {
        let json = serde_json::to_string(&aggregate()).unwrap();
        for (from, to) in [
            ("\"Token «1»\"", "\"  \""),
            ("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "JBSW!"),
            ("\"digits\":8", "\"digits\":11"),
            ("\"period\":60", "\"period\":0"),
            ("00000000000000000000000000000abc", "xyz"),
        ] {
            assert!(json.contains(from), "{from}");
            let bad = json.replace(from, to);
            assert!(serde_json::from_str::<UserDevices>(&bad).is_err(), "{to}");
        }
    }
}
