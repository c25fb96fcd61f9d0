//! What a person needs to add an authenticator app: the secret, as text and as a URI.

use std::fmt;

use tessera_otp::{KeyUri, Secret};
use zeroize::Zeroizing;

use crate::DeviceId;

/// A started authenticator-app enrolment: show the secret (or the URI as a QR code) to
/// the person, then [`activate`](crate::DeviceRegistry::finish_enrolment) with codes from
/// their app before [`expires_at`](Self::expires_at). Until then the same enrolment
/// can be shown again ([`resume_enrolment`](crate::DeviceRegistry::resume_enrolment))
/// or dropped ([`cancel_enrolment`](crate::DeviceRegistry::cancel_enrolment)).
///
/// `Debug` shows neither the secret nor the URI (which holds it); both are zeroized
/// on drop.
///
/// `#[must_use]`: the value is the only place the fresh secret is shown; an enrolment
/// started and dropped unshown holds a slot until it expires or is cancelled. Under
/// `#![deny(unused_must_use)]` dropping one does not compile:
///
/// ```compile_fail
/// # #![deny(unused_must_use)]
/// # use tessera_otp::ManualClock;
/// # use tessera_registry::{DeviceRegistry, Error, InMemoryDeviceStore, UserId};
/// # async fn f(registry: DeviceRegistry<InMemoryDeviceStore, ManualClock>) -> Result<(), Error> {
/// registry.start_enrolment(&UserId::new("ana"), "Phone", "ana@example.com").await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "show the secret or URI to the person, or cancel the enrolment"]
pub struct Enrolment {
    pub(crate) device_id: DeviceId,
    pub(crate) key: KeyUri,
    pub(crate) uri: Zeroizing<String>,
    pub(crate) expires_at: tessera_otp::UnixTime,
}

impl Enrolment {
    /// The new pending device.
    #[must_use]
    pub const fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// The device's fresh secret, for manual entry (`to_base32()`). Show it once.
    #[must_use]
    pub fn secret(&self) -> &Secret {
        self.key.secret()
    }

    /// The key as an otpauth:// Key URI value (account, issuer, secret, parameters).
    #[must_use]
    pub const fn key_uri(&self) -> &KeyUri {
        &self.key
    }

    /// The otpauth:// Key URI carrying the secret, to render as a QR code. Show it once.
    #[must_use]
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The URI as a QR code, to draw as SVG, PNG or terminal text (feature `qr`).
    ///
    /// Rendered on each call, so enrolments that are never shown as QR cost nothing.
    ///
    /// # Errors
    /// [`Error::Otp`](crate::Error::Otp) when the URI does not fit in a QR code (a very
    /// long account label).
    #[cfg(feature = "qr")]
    pub fn qr(&self) -> Result<tessera_otp::QrCode, crate::Error> {
        Ok(tessera_otp::QrCode::new(&self.uri)?)
    }

    /// From this instant on the enrolment can no longer be activated.
    #[must_use]
    pub const fn expires_at(&self) -> tessera_otp::UnixTime {
        self.expires_at
    }
}

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrolment")
            .field("device_id", &self.device_id)
            .field("secret", self.secret())
            .field("uri", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_otp::TotpParams;

    #[test]
    fn debug_hides_secret_and_uri() {
        let secret = Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
        let key = KeyUri::totp("a", Some("Acme"), secret, TotpParams::DEFAULT).unwrap();
        let e = Enrolment {
            device_id: DeviceId::from_u128(1),
            uri: Zeroizing::new(key.to_uri()),
            key,
            expires_at: tessera_otp::UnixTime::EPOCH,
        };
        assert!(e.uri().contains("JBSW"));
        let shown = format!("{e:?}");
        assert!(!shown.contains("JBSW"), "{shown}");
        // What it does show: the device id, the uri as redacted, the expiry.
        assert!(
            shown.starts_with("Enrolment { device_id: DeviceId("),
            "{shown}"
        );
        assert!(shown.contains("uri: \"[REDACTED]\""), "{shown}");
        assert!(shown.contains("expires_at: "), "{shown}");
    }
}
