//! Who owns devices, and what kinds of device there are.

use std::fmt;

/// The kind of an MFA device, as AWS IAM distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DeviceKind {
    /// A TOTP authenticator app on a phone or computer (a "virtual" MFA device).
    AuthenticatorApp,
    /// A hardware TOTP token with a serial number; its secret is imported by an administrator.
    HardwareToken,
    /// A FIDO2/WebAuthn security key.
    SecurityKey,
}

impl DeviceKind {
    /// A stable lowercase name, for logs and storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthenticatorApp => "authenticator_app",
            Self::HardwareToken => "hardware_token",
            Self::SecurityKey => "security_key",
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stable names stores and logs keep: changing one breaks stored records.
    #[test]
    fn each_kind_has_its_stable_name() {
        for (kind, name) in [
            (DeviceKind::AuthenticatorApp, "authenticator_app"),
            (DeviceKind::HardwareToken, "hardware_token"),
            (DeviceKind::SecurityKey, "security_key"),
        ] {
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.to_string(), name);
        }
    }
}
