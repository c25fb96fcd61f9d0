//! The second-factor methods and their strength order.

use std::fmt;

use tessera_registry::DeviceKind;

/// A way to prove the second factor.
///
/// The variants are declared in **strength order**, strongest first, and [`MfaMethod::ALL`]
/// lists them in that order. The order decides the default preferred method and the
/// fallback when the preferred method stops being available:
///
/// 1. [`SecurityKey`](Self::SecurityKey): FIDO2/WebAuthn is bound to the site's origin, so
///    it is the only method here that resists phishing (NIST SP 800-63B §5.2.5).
/// 2. [`HardwareToken`](Self::HardwareToken): a TOTP code like an app's, but the seed lives
///    in a dedicated device that cannot export it, sync it to a cloud backup or share a
///    phone with malware. Both TOTP kinds are AAL2 OTP devices; the token ranks first only
///    because its secret is harder to copy.
/// 3. [`AuthenticatorApp`](Self::AuthenticatorApp): TOTP on a general-purpose device.
/// 4. [`RecoveryCode`](Self::RecoveryCode): a look-up secret (§5.1.2), strong as a secret
///    but single use and meant for when the other methods are lost. It is a fallback and is
///    **never** chosen as the preferred method ([`MfaMethod::is_preferable`]).
/// 5. [`Email`](Self::Email): a code sent by email. SP 800-63B rev. 4 does not accept email
///    as an out-of-band authenticator, because a mailbox is usually protected by a password
///    alone.
/// 6. [`Sms`](Self::Sms): a code sent by SMS, last of all: SP 800-63B treats the public
///    telephone network as a *restricted* authenticator (SIM swap, number porting,
///    interception), and some providers no longer offer it at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MfaMethod {
    /// A FIDO2/WebAuthn security key in the device registry.
    SecurityKey,
    /// A hardware TOTP token in the device registry.
    HardwareToken,
    /// A TOTP authenticator app in the device registry.
    AuthenticatorApp,
    /// A single-use recovery code.
    RecoveryCode,
    /// A one-time code sent to the account's email address.
    Email,
    /// A one-time code sent by SMS to the account's verified phone number.
    Sms,
}

impl MfaMethod {
    /// Every method, strongest first.
    pub const ALL: [Self; 6] = [
        Self::SecurityKey,
        Self::HardwareToken,
        Self::AuthenticatorApp,
        Self::RecoveryCode,
        Self::Email,
        Self::Sms,
    ];

    /// Position in the strength order: 0 is the strongest.
    #[must_use]
    pub const fn strength_rank(self) -> u8 {
        match self {
            Self::SecurityKey => 0,
            Self::HardwareToken => 1,
            Self::AuthenticatorApp => 2,
            Self::RecoveryCode => 3,
            Self::Email => 4,
            Self::Sms => 5,
        }
    }

    /// How much a step-up with this method may authorise (see [`Authority`]).
    ///
    /// [`Authority`]: crate::Authority
    #[must_use]
    pub const fn authority(self) -> crate::Authority {
        match self {
            Self::SecurityKey => crate::Authority::PhishingResistant,
            Self::HardwareToken | Self::AuthenticatorApp | Self::RecoveryCode => {
                crate::Authority::Aal2
            }
            Self::Sms => crate::Authority::Sms,
            Self::Email => crate::Authority::Email,
        }
    }

    /// Whether the method may be an account's preferred method.
    ///
    /// Recovery codes are a fallback for lost devices, never the method offered first.
    #[must_use]
    pub const fn is_preferable(self) -> bool {
        !matches!(self, Self::RecoveryCode)
    }

    /// Whether the method is a device kept in the device registry.
    #[must_use]
    pub const fn device_kind(self) -> Option<DeviceKind> {
        match self {
            Self::SecurityKey => Some(DeviceKind::SecurityKey),
            Self::HardwareToken => Some(DeviceKind::HardwareToken),
            Self::AuthenticatorApp => Some(DeviceKind::AuthenticatorApp),
            Self::RecoveryCode | Self::Email | Self::Sms => None,
        }
    }

    /// The method a registry device of `kind` provides.
    #[must_use]
    pub fn from_device_kind(kind: DeviceKind) -> Self {
        match kind {
            DeviceKind::SecurityKey => Self::SecurityKey,
            DeviceKind::HardwareToken => Self::HardwareToken,
            // `DeviceKind` is non-exhaustive; every kind the registry knows today is a
            // TOTP or FIDO device, and an unknown future kind is treated as the weakest
            // device method rather than dropped.
            _ => Self::AuthenticatorApp,
        }
    }

    /// A stable lowercase name, for logs and storage.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SecurityKey => "security_key",
            Self::HardwareToken => "hardware_token",
            Self::AuthenticatorApp => "authenticator_app",
            Self::RecoveryCode => "recovery_code",
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// A name for people, as a UI or an email would show it.
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::SecurityKey => "security key",
            Self::HardwareToken => "hardware token",
            Self::AuthenticatorApp => "authenticator app",
            Self::RecoveryCode => "recovery code",
            Self::Email => "email code",
            Self::Sms => "text message (SMS) code",
        }
    }
}

impl fmt::Display for MfaMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_names_are_what_display_shows() {
        let names: Vec<String> = MfaMethod::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "security_key",
                "hardware_token",
                "authenticator_app",
                "recovery_code",
                "email",
                "sms"
            ]
        );
        assert!(MfaMethod::ALL.iter().all(|m| m.as_str() == m.to_string()));
    }

    #[test]
    fn all_is_in_strength_order_and_matches_rank() {
        for (i, m) in MfaMethod::ALL.iter().enumerate() {
            assert_eq!(usize::from(m.strength_rank()), i);
        }
        let mut sorted = MfaMethod::ALL;
        sorted.sort();
        assert_eq!(sorted, MfaMethod::ALL, "Ord follows strength order");
        assert_eq!(MfaMethod::ALL[0], MfaMethod::SecurityKey);
        assert_eq!(MfaMethod::ALL[5], MfaMethod::Sms);
    }

    #[test]
    fn device_kinds_round_trip() {
        for kind in [
            DeviceKind::SecurityKey,
            DeviceKind::HardwareToken,
            DeviceKind::AuthenticatorApp,
        ] {
            assert_eq!(MfaMethod::from_device_kind(kind).device_kind(), Some(kind));
        }
        assert!(!MfaMethod::RecoveryCode.is_preferable());
        assert!(MfaMethod::Sms.is_preferable());
    }
}
