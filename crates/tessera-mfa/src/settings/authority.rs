//! Which methods may authorise an operation on which factor.

use std::fmt;

/// How much a second factor may authorise: ordered weakest first, so
/// `Email < Sms < Aal2 < PhishingResistant`.
///
/// The rule (issue 12, item 7): a step-up with a method may remove a factor, or turn
/// MFA off, only when the method's authority is at least that of the strongest factor
/// the operation takes away; so an email code can never remove an authenticator app or
/// turn MFA off while an app exists. [`MfaMethod::authority`](crate::MfaMethod::authority)
/// ranks each method, and a refusal says why with
/// [`Unavailable::TooWeakFor`](crate::Unavailable::TooWeakFor).
///
/// The ranks, from NIST SP 800-63B-4:
/// - [`PhishingResistant`](Self::PhishingResistant): FIDO2/WebAuthn security keys,
///   bound to the site's origin (§3.2.5, phishing resistance);
/// - [`Aal2`](Self::Aal2): authenticator apps and hardware TOTP tokens (single-factor
///   OTP devices, §3.1.4) and recovery codes (look-up secrets, §3.1.2), both
///   acceptable at AAL2;
/// - [`Sms`](Self::Sms): out-of-band codes over the public telephone network, a
///   *restricted* authenticator (§3.1.3.3; SIM swap, number porting, interception);
/// - [`Email`](Self::Email): email is not an out-of-band authenticator at all in
///   SP 800-63B-4 (§3.1.3.1; also OWASP ASVS 5.0 V6.3.6), because a mailbox is usually
///   protected by a password alone. It stays usable (an organisation may exclude it with
///   [`OrgPolicyBuilder::disallow`](crate::OrgPolicyBuilder::disallow)) but authorises
///   the least.
///
/// The selection order of [`MfaMethod::ALL`](crate::MfaMethod::ALL) lists email before
/// SMS for a different question: which method to *offer first*. SMS is offered only
/// with a warning and never chosen implicitly, so email comes first there; but as a
/// proof, SP 800-63B-4 recognises SMS (restricted) and not email, so here SMS ranks
/// above email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Authority {
    /// A code sent by email.
    Email,
    /// A code sent by SMS.
    Sms,
    /// An AAL2 authenticator: TOTP app or token, recovery code.
    Aal2,
    /// A phishing-resistant authenticator: a FIDO2/WebAuthn security key.
    PhishingResistant,
}

impl Authority {
    /// Whether a factor of this authority may authorise an operation that needs
    /// `needed` (at least as strong).
    #[must_use]
    pub fn can_authorise(self, needed: Self) -> bool {
        self >= needed
    }

    /// A stable lowercase name, for APIs and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Aal2 => "aal2",
            Self::PhishingResistant => "phishing_resistant",
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Email => "an email code",
            Self::Sms => "an sms code",
            Self::Aal2 => "an authenticator app, hardware token or recovery code",
            Self::PhishingResistant => "a security key",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MfaMethod as M;

    #[test]
    fn names_and_phrases_are_stable() {
        use Authority::*;
        let table: Vec<(&str, String)> = [Email, Sms, Aal2, PhishingResistant]
            .into_iter()
            .map(|a| (a.as_str(), a.to_string()))
            .collect();
        assert_eq!(
            table,
            [
                ("email", "an email code".to_owned()),
                ("sms", "an sms code".to_owned()),
                (
                    "aal2",
                    "an authenticator app, hardware token or recovery code".to_owned()
                ),
                ("phishing_resistant", "a security key".to_owned()),
            ]
        );
        // Actors as notices and logs name them.
        assert_eq!(
            crate::Actor::AccountHolder.to_string(),
            "the account holder"
        );
        assert_eq!(
            crate::Actor::administrator("ops-7").to_string(),
            "administrator ops-7"
        );
        assert_eq!(crate::Actor::System.to_string(), "the system");
    }

    #[test]
    fn ranking() {
        use Authority::*;
        assert!(Email < Sms && Sms < Aal2 && Aal2 < PhishingResistant);
        assert_eq!(M::SecurityKey.authority(), PhishingResistant);
        for m in [M::HardwareToken, M::AuthenticatorApp, M::RecoveryCode] {
            assert_eq!(m.authority(), Aal2);
        }
        assert_eq!(M::Sms.authority(), Sms);
        assert_eq!(M::Email.authority(), Email);
        assert!(!Email.can_authorise(Aal2));
        assert!(!Sms.can_authorise(Aal2));
        assert!(Aal2.can_authorise(Aal2));
        assert!(PhishingResistant.can_authorise(Email));
        assert!(!Aal2.can_authorise(PhishingResistant));
        // Consistent with the selection order, except email and SMS (see the docs).
        for a in M::ALL {
            for b in M::ALL {
                if a.authority() > b.authority() && (a, b) != (M::Sms, M::Email) {
                    assert!(a.strength_rank() < b.strength_rank(), "{a} {b}");
                }
            }
        }
    }
}
