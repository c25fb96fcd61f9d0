//! Serialization of the stored aggregate (feature `serde`), for stores that keep a
//! user's devices as one document.
//!
//! TOTP seeds appear only sealed, as `tsk1.<key id>.<nonce>.<ciphertext>` text: the
//! serialized form never holds a seed in the clear. Deserialization validates every
//! field (names, sealed values' shape, parameters, ids) as the constructors do; a
//! sealed seed is only opened, and so authenticated, when the registry uses it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tessera_otp::{Algorithm, TotpParams};

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

    use tessera_keyring::Keyring;
    use tessera_otp::Secret;

    use crate::seal::Seeds;
    use crate::{
        Credential, Device, DeviceId, DeviceKind, DeviceName, DeviceState, SecurityKey,
        TotpCredential, UserId,
    };

    const SEED_BASE32: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    static KEYRING: std::sync::LazyLock<Keyring> =
        std::sync::LazyLock::new(|| Keyring::ephemeral().unwrap());
    static ANA: std::sync::LazyLock<UserId> = std::sync::LazyLock::new(|| UserId::new("ana"));

    fn seeds() -> Seeds<'static> {
        Seeds::new(&KEYRING, &ANA)
    }

    fn seed() -> Secret {
        Secret::from_base32(SEED_BASE32).unwrap()
    }

    fn aggregate() -> Vec<Device> {
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
                seeds().seal(DeviceId::from_u128(0xabc), &seed()).unwrap(),
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
        vec![token, key]
    }

    use super::*;

    #[test]
    fn the_aggregate_round_trips_through_json() {
        let original = aggregate();
        let json = serde_json::to_string(&original).unwrap();
        // The seed is there only sealed, with the id of the key that sealed it.
        assert!(!json.contains(SEED_BASE32), "{json}");
        assert!(json.contains("\"sealed\":\"tsk1.ephemeral."), "{json}");
        assert!(json.contains("\"kind\":\"hardware_token\""), "{json}");
        assert!(
            json.contains("\"id\":\"00000000000000000000000000000abc\""),
            "{json}"
        );
        let back: Vec<Device> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, original);
        // And it still opens, for the same user and device only.
        let sealed = back[0].totp().unwrap().sealed_secret();
        let opened = seeds().open(DeviceId::from_u128(0xabc), sealed).unwrap();
        assert_eq!(opened, seed());
        assert!(seeds().open(DeviceId::from_u128(0xabd), sealed).is_err());
    }

    proptest::proptest! {
        // Many random seeds: neither their base32 nor their raw bytes (as hex, or as
        // a JSON array of numbers) ever appear in the serialized aggregate.
        #[test]
        fn no_seed_in_the_clear_in_the_json(bytes in proptest::collection::vec(proptest::num::u8::ANY, 16..=64)) {
            let secret = Secret::from_bytes(&bytes).unwrap();
            let id = DeviceId::random();
            let device = Device::from_parts(
                id,
                DeviceName::new("Phone").unwrap(),
                DeviceKind::AuthenticatorApp,
                DeviceState::Active,
                UnixTime::EPOCH,
                None,
                None,
                Credential::Totp(TotpCredential::from_parts(
                    seeds().seal(id, &secret).unwrap(),
                    TotpParams::DEFAULT,
                    None,
                    None,
                    Drift::ZERO,
                )),
            );
            let json = serde_json::to_string(&vec![device.clone()]).unwrap();
            let base32 = secret.to_base32();
            proptest::prop_assert!(!json.contains(base32.as_str()));
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            proptest::prop_assert!(!json.to_lowercase().contains(&hex));
            let array = serde_json::to_string(&bytes).unwrap();
            proptest::prop_assert!(!json.contains(array.trim_matches(['[', ']'])));
            // Nor in Debug output.
            let debug = format!("{device:?}");
            proptest::prop_assert!(!debug.contains(base32.as_str()));
            proptest::prop_assert!(!debug.to_lowercase().contains(&hex));
            // The raw bytes are not a substring of the serialized bytes either.
            proptest::prop_assert!(!json.as_bytes().windows(bytes.len()).any(|w| w == bytes.as_slice()));
        }
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

    /// The fuzz seed `registry_input/document-pending-app`: a document as a store
    /// hands it back, with a sealed seed, reads and prints back to itself.
    #[test]
    fn a_stored_document_with_a_sealed_seed_reads_back() {
        let json = r#"[{"id":"70e879da7e03c1e06d92bd5dc06667f1","name":"Phone","kind":"authenticator_app","state":{"pending":{"expires_at":1700000600}},"created_at":1700000000,"activated_at":null,"last_used_at":null,"credential":{"totp":{"sealed":"tsk1.2026-05.AAECAwQFBgcICQoL.ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaH","params":{"algorithm":"Sha1","digits":6,"period":30,"t0":0},"serial":null,"last_used_step":null,"drift":0}}}]"#;
        let doc: Vec<Device> = serde_json::from_str(json).unwrap();
        let sealed = doc[0].totp().unwrap().sealed_secret();
        assert_eq!(sealed.key_id().as_str(), "2026-05");
        // It is not this keyring's: it does not open, and says which key it needs.
        assert!(matches!(
            seeds().open(doc[0].id(), sealed),
            Err(Error::SealedSecret(tessera_keyring::Error::UnknownKey(_)))
        ));
        let again: Vec<Device> =
            serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();
        assert_eq!(again, doc);
    }

    #[test]
    fn invalid_documents_are_refused() {
        let json = serde_json::to_string(&aggregate()).unwrap();
        for (from, to) in [
            ("\"Token «1»\"", "\"  \""),
            ("\"tsk1.", "\"tsk9."),
            ("\"tsk1.ephemeral.", "\"JBSWY3DPEHPK3PXP"),
            ("\"digits\":8", "\"digits\":11"),
            ("\"period\":60", "\"period\":0"),
            ("00000000000000000000000000000abc", "xyz"),
        ] {
            assert!(json.contains(from), "{from}");
            let bad = json.replace(from, to);
            assert!(serde_json::from_str::<Vec<Device>>(&bad).is_err(), "{to}");
        }
    }
}
