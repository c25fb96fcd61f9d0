//! What a person needs to add an authenticator app: the secret, as text and as a URI.

use std::fmt;

use tessera_otp::{Secret, TotpParams};
use zeroize::Zeroizing;

use crate::DeviceId;

/// A begun authenticator-app enrolment: show the secret (or the URI as a QR code) to
/// the person once, then [`activate`](crate::DeviceRegistry::activate) with codes
/// from their app before [`expires_at`](Self::expires_at).
///
/// `Debug` shows neither the secret nor the URI (which holds it).
pub struct Enrolment {
    pub(crate) device_id: DeviceId,
    pub(crate) secret: Secret,
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
        &self.secret
    }

    /// The otpauth:// Key URI carrying the secret, to render as a QR code. Show it once.
    #[must_use]
    pub fn uri(&self) -> &str {
        &self.uri
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
            .field("secret", &self.secret)
            .field("uri", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Formats the otpauth:// Key URI of a TOTP secret (Google Authenticator's Key URI
/// format): `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=…&digits=…&period=…`.
///
/// A minimal formatter kept private until `tessera_otp::KeyUri` is available.
pub(crate) fn key_uri(
    account: &str,
    issuer: Option<&str>,
    secret: &Secret,
    params: TotpParams,
) -> Zeroizing<String> {
    let mut uri = Zeroizing::new(String::from("otpauth://totp/"));
    if let Some(issuer) = issuer {
        percent_encode(&mut uri, issuer);
        uri.push(':');
    }
    percent_encode(&mut uri, account);
    uri.push_str("?secret=");
    uri.push_str(&secret.to_base32());
    if let Some(issuer) = issuer {
        uri.push_str("&issuer=");
        percent_encode(&mut uri, issuer);
    }
    uri.push_str("&algorithm=");
    uri.push_str(params.algorithm().as_str());
    uri.push_str("&digits=");
    uri.push_str(&params.digits().to_string());
    uri.push_str("&period=");
    uri.push_str(&params.period().to_string());
    uri
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn percent_encode(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_follows_the_key_uri_format() {
        let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let uri = key_uri(
            "ana@example.com",
            Some("Acme Co"),
            &secret,
            TotpParams::DEFAULT,
        );
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/Acme%20Co:ana%40example.com?secret=JBSWY3DPEHPK3PXP\
             &issuer=Acme%20Co&algorithm=SHA1&digits=6&period=30"
        );
        let bare = key_uri("ü", None, &secret, TotpParams::DEFAULT);
        assert!(bare.starts_with("otpauth://totp/%C3%BC?secret="));
    }

    #[test]
    fn debug_hides_secret_and_uri() {
        let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let e = Enrolment {
            device_id: DeviceId::from_u128(1),
            uri: key_uri("a", None, &secret, TotpParams::DEFAULT),
            secret,
            expires_at: tessera_otp::UnixTime::EPOCH,
        };
        let shown = format!("{e:?}");
        assert!(!shown.contains("JBSW"), "{shown}");
    }
}
