//! `RegistryConfig` in configuration files (feature `serde`): through the builder, so
//! that a file can never hold what [`RegistryConfigBuilder::build`] refuses.
//!
//! The form is flat and explicit (`pending_ttl_secs`, the window's two sides, the TOTP
//! parameters as four fields, the algorithm by its otpauth:// name), unknown fields are
//! refused (a misspelt bound must not silently fall back), and a missing field takes
//! the secure default, except `issuer`, which is required as it is by
//! [`RegistryConfig::builder`].

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tessera_otp::{Algorithm, TotpParams, Window};

use crate::{ActivationPolicy, Error, RegistryConfig};

/// The window as its two sides.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFields {
    past: u32,
    future: u32,
}

/// TOTP parameters as four fields; the algorithm as `SHA1`, `SHA256` or `SHA512`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TotpFields {
    algorithm: String,
    digits: u32,
    period: u64,
    t0: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Fields {
    max_devices: usize,
    pending_ttl_secs: u64,
    activation: ActivationPolicy,
    window: WindowFields,
    resync_range: u32,
    max_attempts: u32,
    /// `None` only when the file has no issuer, which is refused.
    issuer: Option<String>,
    totp: TotpFields,
}

impl Default for Fields {
    /// The secure defaults, and no issuer: a file must name one.
    fn default() -> Self {
        Self {
            issuer: None,
            ..Self::from(&RegistryConfig::DEFAULTS)
        }
    }
}

impl From<&RegistryConfig> for Fields {
    fn from(c: &RegistryConfig) -> Self {
        let p = c.totp_params();
        Self {
            max_devices: c.max_devices(),
            pending_ttl_secs: c.pending_ttl().as_secs(),
            activation: c.activation(),
            window: WindowFields {
                past: c.window().past(),
                future: c.window().future(),
            },
            resync_range: c.resync_range(),
            max_attempts: c.max_attempts(),
            issuer: Some(c.issuer().to_owned()),
            totp: TotpFields {
                algorithm: p.algorithm().as_str().to_owned(),
                digits: u32::from(p.digits()),
                period: p.period(),
                t0: p.t0(),
            },
        }
    }
}

impl TryFrom<Fields> for RegistryConfig {
    type Error = Error;

    fn try_from(f: Fields) -> Result<Self, Error> {
        let algorithm: Algorithm = f.totp.algorithm.parse()?;
        let params = TotpParams::new(algorithm, f.totp.digits, f.totp.period, f.totp.t0)?;
        let window = Window::new(f.window.past, f.window.future)?;
        // A missing issuer reaches the builder as an empty one, which it refuses with
        // the one message ("issuer is required").
        RegistryConfig::builder(f.issuer.unwrap_or_default())
            .max_devices(f.max_devices)
            .pending_ttl(Duration::from_secs(f.pending_ttl_secs))
            .activation(f.activation)
            .window(window)
            .resync_range(f.resync_range)
            .max_attempts(f.max_attempts)
            .totp_params(params)
            .build()
    }
}

impl Serialize for RegistryConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Fields::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for RegistryConfig {
    /// Deserializes through [`RegistryConfig::builder`]: out-of-bounds values are
    /// refused with the builder's message.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = Fields::deserialize(d)?;
        Self::try_from(fields).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn with(field: &str, value: Value) -> Result<RegistryConfig, serde_json::Error> {
        let mut doc = serde_json::to_value(RegistryConfig::new("Acme").unwrap()).unwrap();
        let mut at = &mut doc;
        let mut parts = field.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                at[part] = value.clone();
            } else {
                at = &mut at[part];
            }
        }
        serde_json::from_value(doc)
    }

    #[test]
    fn the_default_round_trips_and_reads_as_documented() {
        let acme = RegistryConfig::new("Acme").unwrap();
        let json = serde_json::to_value(&acme).unwrap();
        assert_eq!(
            json,
            json!({
                "max_devices": 8,
                "pending_ttl_secs": 600,
                "activation": "two_consecutive_codes",
                "window": { "past": 1, "future": 1 },
                "resync_range": 10,
                "max_attempts": 5,
                "issuer": "Acme",
                "totp": { "algorithm": "SHA1", "digits": 6, "period": 30, "t0": 0 }
            })
        );
        let back: RegistryConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, acme);
        // Missing fields take the secure defaults, all but the issuer.
        let only_issuer: RegistryConfig = serde_json::from_str(r#"{"issuer":"Acme"}"#).unwrap();
        assert_eq!(only_issuer, acme);
        let custom = RegistryConfig::builder("Acme")
            .activation(ActivationPolicy::OneCode)
            .totp_params(
                TotpParams::builder()
                    .algorithm(Algorithm::Sha256)
                    .period(60)
                    .digits(8)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let back: RegistryConfig =
            serde_json::from_str(&serde_json::to_string(&custom).unwrap()).unwrap();
        assert_eq!(back, custom);
    }

    /// Issue 12 item 14: every bound the builder enforces, enforced by serde too, just
    /// inside accepted and just outside refused.
    #[test]
    fn deserialization_refuses_what_the_builder_refuses() {
        let cases: [(&str, Value, Value); 12] = [
            ("max_devices", json!(1), json!(0)),
            ("max_devices", json!(8), json!(9)),
            ("pending_ttl_secs", json!(60), json!(59)),
            ("pending_ttl_secs", json!(86_400), json!(86_401)),
            ("window.past", json!(3), json!(4)),
            ("window.future", json!(3), json!(4)),
            ("resync_range", json!(1), json!(0)),
            ("resync_range", json!(100), json!(101)),
            ("max_attempts", json!(1), json!(0)),
            ("max_attempts", json!(100), json!(101)),
            ("totp.period", json!(15), json!(14)),
            ("totp.period", json!(120), json!(121)),
        ];
        for (field, inside, outside) in cases {
            assert!(with(field, inside.clone()).is_ok(), "{field} = {inside}");
            let err = with(field, outside.clone()).unwrap_err().to_string();
            assert!(
                err.contains("invalid registry configuration"),
                "{field} = {outside}: {err}"
            );
        }
        assert!(with("issuer", json!("é".repeat(128))).is_ok());
        assert!(with("issuer", json!("é".repeat(129))).is_err());
        assert!(with("issuer", json!("")).is_err());
        assert!(with("issuer", json!(null)).is_err());
        // Issue 13 item 8: a file without an issuer is refused, saying so.
        let err = serde_json::from_str::<RegistryConfig>("{}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("issuer is required"), "{err}");
        assert!(with("issuer", json!("a:b")).is_err());
        assert!(with("totp.t0", json!(1)).is_err());
        assert!(with("totp.digits", json!(5)).is_err());
        assert!(with("totp.digits", json!(11)).is_err());
        assert!(with("totp.algorithm", json!("MD5")).is_err());
        assert!(with("window.past", json!(50)).is_err());
        assert!(with("activation", json!("one_code")).is_ok());
        assert!(with("activation", json!("none")).is_err());
    }

    proptest::proptest! {
        /// Deserializing accepts exactly what the builder accepts, and what it accepts
        /// round-trips unchanged.
        #[test]
        fn serde_accepts_exactly_what_the_builder_accepts(
            max_devices in 0usize..12,
            ttl in proptest::prop_oneof![0u64..200, 86_300u64..86_500],
            one_code in proptest::bool::ANY,
            past in 0u32..6,
            future in 0u32..6,
            resync_range in proptest::prop_oneof![0u32..3, 98u32..1100],
            max_attempts in proptest::prop_oneof![0u32..3, 98u32..103],
            issuer in proptest::option::of("[a-z:]{0,3}"),
            algorithm in 0usize..3,
            digits in 4u32..12,
            period in proptest::prop_oneof![0u64..20, 110u64..130],
            t0 in 0u64..2,
        ) {
            let policy = if one_code { ActivationPolicy::OneCode } else { ActivationPolicy::TwoConsecutiveCodes };
            let name = ["SHA1", "SHA256", "SHA512"][algorithm];
            let doc = json!({
                "max_devices": max_devices,
                "pending_ttl_secs": ttl,
                "activation": policy,
                "window": { "past": past, "future": future },
                "resync_range": resync_range,
                "max_attempts": max_attempts,
                "issuer": issuer,
                "totp": { "algorithm": name, "digits": digits, "period": period, "t0": t0 },
            });
            let built = (|| {
                let params = TotpParams::new(name.parse().ok()?, digits, period, t0).ok()?;
                RegistryConfig::builder(issuer.clone()?)
                    .max_devices(max_devices)
                    .pending_ttl(Duration::from_secs(ttl))
                    .activation(policy)
                    .window(Window::new(past, future).ok()?)
                    .resync_range(resync_range)
                    .max_attempts(max_attempts)
                    .totp_params(params)
                    .build()
                    .ok()
            })();
            let read = serde_json::from_value::<RegistryConfig>(doc).ok();
            proptest::prop_assert_eq!(&read, &built);
            if let Some(config) = read {
                let again: RegistryConfig =
                    serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
                proptest::prop_assert_eq!(again, config);
            }
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<RegistryConfig>(r#"{"windw": {"past": 9, "future": 9}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
