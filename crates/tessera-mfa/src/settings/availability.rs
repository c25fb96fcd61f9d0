//! Which methods an account can use now, and why not.

use std::fmt;

use crate::{AccountContext, AccountState, Authority, MfaMethod, OrgPolicy};

/// Why a method cannot be used, in terms a UI can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Unavailable {
    /// Not set up: no active device of that kind, no email address, no phone number, or
    /// no recovery codes ever generated.
    NotConfigured,
    /// A phone number is linked but not verified yet.
    PhoneNotVerified,
    /// The organisation's policy does not allow the method.
    DisabledByPolicy,
    /// The account's identity provider handles MFA.
    ManagedByIdentityProvider,
    /// Every recovery code has been used.
    NoCodesLeft,
    /// The organisation accepts no second factor weaker than `needed` (e.g. "a
    /// security key is required": [`Authority::PhishingResistant`]); see
    /// [`OrgPolicy::minimum_authority`].
    BelowOrganisationMinimum {
        /// The weakest authority the organisation accepts.
        needed: Authority,
    },
    /// The method is set up but too weak to authorise this operation (e.g. an email
    /// code cannot remove an authenticator app); see [`Authority`].
    TooWeakFor {
        /// The authority the operation needs.
        needed: Authority,
    },
}

impl Unavailable {
    /// A stable lowercase name, for APIs and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::PhoneNotVerified => "phone_not_verified",
            Self::DisabledByPolicy => "disabled_by_policy",
            Self::ManagedByIdentityProvider => "managed_by_identity_provider",
            Self::NoCodesLeft => "no_codes_left",
            Self::TooWeakFor { .. } => "too_weak",
            Self::BelowOrganisationMinimum { .. } => "below_organisation_minimum",
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotConfigured => "not configured",
            Self::PhoneNotVerified => "phone number not verified",
            Self::DisabledByPolicy => "disabled by the organisation's policy",
            Self::ManagedByIdentityProvider => "managed by the identity provider",
            Self::NoCodesLeft => "no recovery codes left",
            Self::TooWeakFor { needed } => {
                return write!(f, "too weak for this operation, which needs {needed}");
            }
            Self::BelowOrganisationMinimum { needed } => {
                return write!(f, "below the organisation's minimum, {needed}");
            }
        })
    }
}

/// Whether one method can be used now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Availability {
    /// The method can be used.
    Available,
    /// The method cannot be used, and why.
    Unavailable(Unavailable),
}

impl Availability {
    /// Whether the method can be used.
    #[must_use]
    pub const fn is_available(self) -> bool {
        matches!(self, Self::Available)
    }

    /// Why not, when unavailable.
    #[must_use]
    pub const fn reason(self) -> Option<Unavailable> {
        match self {
            Self::Available => None,
            Self::Unavailable(r) => Some(r),
        }
    }
}

/// One row of the availability table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MethodStatus {
    /// The method.
    pub method: MfaMethod,
    /// Whether it can be used, or why not.
    pub availability: Availability,
    /// Whether a UI offering it should warn that it is a weak, restricted method (SMS when
    /// the policy's SMS warning flag is on).
    pub warn: bool,
}

/// Every method with its availability, strongest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailabilityTable {
    rows: Vec<MethodStatus>,
}

impl AvailabilityTable {
    /// Decides availability from the account's context, its stored state and the policy.
    ///
    /// The reasons are checked in this order, the first that applies wins:
    /// identity provider, then policy, then the method's own set-up.
    #[must_use]
    pub fn compute(ctx: &AccountContext, state: &AccountState, policy: &OrgPolicy) -> Self {
        let rows = MfaMethod::ALL
            .into_iter()
            .map(|method| MethodStatus {
                method,
                availability: Self::decide(method, ctx, state, policy),
                warn: method == MfaMethod::Sms && policy.sms_warning(),
            })
            .collect();
        Self { rows }
    }

    fn decide(
        method: MfaMethod,
        ctx: &AccountContext,
        state: &AccountState,
        policy: &OrgPolicy,
    ) -> Availability {
        use Availability::{Available, Unavailable as No};
        if ctx.identity_provider().is_some() {
            return No(Unavailable::ManagedByIdentityProvider);
        }
        if let Some(reason) = policy.refusal(method) {
            return No(reason);
        }
        if let Some(kind) = method.device_kind() {
            return if ctx.has_active_device(kind) {
                Available
            } else {
                No(Unavailable::NotConfigured)
            };
        }
        match method {
            MfaMethod::Email if ctx.email().is_some() => Available,
            MfaMethod::Sms => match state.phone() {
                None => No(Unavailable::NotConfigured),
                Some(p) if !p.is_verified() => No(Unavailable::PhoneNotVerified),
                Some(_) => Available,
            },
            MfaMethod::RecoveryCode => {
                if state.recovery.generated_at.is_none() {
                    No(Unavailable::NotConfigured)
                } else if state.recovery.remaining() == 0 {
                    No(Unavailable::NoCodesLeft)
                } else {
                    Available
                }
            }
            _ => No(Unavailable::NotConfigured),
        }
    }

    /// Every row, strongest method first.
    #[must_use]
    pub fn rows(&self) -> &[MethodStatus] {
        &self.rows
    }

    /// The availability of `method`.
    #[must_use]
    pub fn get(&self, method: MfaMethod) -> Availability {
        self.rows
            .iter()
            .find(|r| r.method == method)
            .map_or(Availability::Unavailable(Unavailable::NotConfigured), |r| {
                r.availability
            })
    }

    /// Whether `method` is available.
    #[must_use]
    pub fn is_available(&self, method: MfaMethod) -> bool {
        self.get(method).is_available()
    }

    /// The available methods, strongest first (recovery codes included).
    pub fn available(&self) -> impl Iterator<Item = MfaMethod> + '_ {
        self.rows
            .iter()
            .filter(|r| r.availability.is_available())
            .map(|r| r.method)
    }

    /// The strongest available method that may be chosen *implicitly* as the preferred
    /// one: never recovery codes, and never a method offered with a warning (SMS while
    /// the policy's SMS warning flag is on; the account holder may still choose it
    /// explicitly).
    #[must_use]
    pub fn strongest_preferable(&self) -> Option<MfaMethod> {
        self.rows
            .iter()
            .find(|r| r.availability.is_available() && r.method.is_preferable() && !r.warn)
            .map(|r| r.method)
    }

    /// The highest authority among the available methods (recovery codes included):
    /// what turning MFA off needs, since it takes every factor away.
    #[must_use]
    pub fn strongest_authority(&self) -> Option<Authority> {
        self.available().map(MfaMethod::authority).max()
    }

    /// The same table for an operation that needs `needed`: every available method too
    /// weak for it becomes [`Unavailable::TooWeakFor`], so a step-up screen offers only
    /// the methods that can authorise it, and says why the others cannot.
    #[must_use]
    pub fn authorising(&self, needed: Authority) -> Self {
        let rows = self
            .rows
            .iter()
            .map(|r| MethodStatus {
                availability: match r.availability {
                    Availability::Available if !r.method.authority().can_authorise(needed) => {
                        Availability::Unavailable(Unavailable::TooWeakFor { needed })
                    }
                    other => other,
                },
                ..*r
            })
            .collect();
        Self { rows }
    }

    /// Whether any available method may be preferred (explicitly, SMS included).
    #[must_use]
    pub fn any_preferable(&self) -> bool {
        self.available().any(MfaMethod::is_preferable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_as_a_phrase() {
        use Unavailable::*;
        let needed = Authority::PhishingResistant;
        let phrases: Vec<String> = [
            NotConfigured,
            PhoneNotVerified,
            DisabledByPolicy,
            ManagedByIdentityProvider,
            NoCodesLeft,
            TooWeakFor { needed },
            BelowOrganisationMinimum { needed },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            phrases,
            [
                "not configured",
                "phone number not verified",
                "disabled by the organisation's policy",
                "managed by the identity provider",
                "no recovery codes left",
                "too weak for this operation, which needs a security key",
                "below the organisation's minimum, a security key",
            ]
        );
    }
    use crate::state::PhoneLink;
    use crate::{MfaMethod as M, PhoneNumber};
    use tessera_otp::UnixTime;
    use tessera_registry::{DeviceKind, UserId};

    fn row(t: &AvailabilityTable) -> Vec<Option<Unavailable>> {
        M::ALL.iter().map(|m| t.get(*m).reason()).collect()
    }

    #[test]
    fn table_case_by_case() {
        use Unavailable::*;
        let policy = OrgPolicy::default();
        let bare = AccountContext::new(UserId::new("u"));
        let mut state = AccountState::default();

        // Nothing set up: every method is "not configured".
        let t = AvailabilityTable::compute(&bare, &state, &policy);
        assert_eq!(row(&t), vec![Some(NotConfigured); 6]);
        assert_eq!(t.strongest_preferable(), None);

        // Devices: available only with an active device of that kind.
        let ctx = bare
            .clone()
            .with_active_devices([DeviceKind::HardwareToken, DeviceKind::HardwareToken]);
        let t = AvailabilityTable::compute(&ctx, &state, &policy);
        assert_eq!(t.get(M::HardwareToken), Availability::Available);
        assert_eq!(t.get(M::SecurityKey).reason(), Some(NotConfigured));
        assert_eq!(t.get(M::AuthenticatorApp).reason(), Some(NotConfigured));

        // Email: when the account has an address.
        let ctx = bare
            .clone()
            .with_email(crate::EmailAddress::parse("a@example.com").unwrap());
        assert!(AvailabilityTable::compute(&ctx, &state, &policy).is_available(M::Email));

        // SMS: linked but unverified, then verified.
        state.phone = Some(PhoneLink {
            number: PhoneNumber::parse("+14155552671").unwrap(),
            verified_at: None,
        });
        let t = AvailabilityTable::compute(&bare, &state, &policy);
        assert_eq!(t.get(M::Sms).reason(), Some(PhoneNotVerified));
        state.phone = state.phone.take().map(|mut p| {
            p.verified_at = Some(UnixTime::from_secs(1));
            p
        });
        let t = AvailabilityTable::compute(&bare, &state, &policy);
        assert!(t.is_available(M::Sms));
        assert!(t.rows().iter().find(|r| r.method == M::Sms).unwrap().warn);

        // Recovery codes: some left, then none left.
        state.recovery.generated_at = Some(UnixTime::from_secs(1));
        state.recovery.unused = vec![[0; 32]];
        assert!(AvailabilityTable::compute(&bare, &state, &policy).is_available(M::RecoveryCode));
        state.recovery.unused.clear();
        let t = AvailabilityTable::compute(&bare, &state, &policy);
        assert_eq!(t.get(M::RecoveryCode).reason(), Some(NoCodesLeft));

        // Policy: disallowed methods say so, even when configured.
        let strict = OrgPolicy::builder()
            .disallow(M::Sms)
            .disallow(M::Email)
            .build()
            .unwrap();
        let full = bare
            .clone()
            .with_email(crate::EmailAddress::parse("a@example.com").unwrap())
            .with_active_devices([DeviceKind::SecurityKey]);
        let t = AvailabilityTable::compute(&full, &state, &strict);
        assert_eq!(t.get(M::Sms).reason(), Some(DisabledByPolicy));
        assert_eq!(t.get(M::Email).reason(), Some(DisabledByPolicy));
        assert!(t.is_available(M::SecurityKey));

        // "A security key is required": every weaker method says so, configured or
        // not; the key and the recovery codes stay.
        let keys_only = OrgPolicy::builder()
            .minimum_authority(Some(Authority::PhishingResistant))
            .build()
            .unwrap();
        let everything = full
            .clone()
            .with_active_devices([DeviceKind::AuthenticatorApp, DeviceKind::SecurityKey]);
        state.recovery.unused = vec![[0; 32]];
        let t = AvailabilityTable::compute(&everything, &state, &keys_only);
        let minimum = BelowOrganisationMinimum {
            needed: Authority::PhishingResistant,
        };
        let below = Some(minimum);
        for m in [M::AuthenticatorApp, M::HardwareToken, M::Email, M::Sms] {
            assert_eq!(t.get(m).reason(), below, "{m:?}");
        }
        assert!(t.is_available(M::SecurityKey));
        assert!(t.is_available(M::RecoveryCode));
        assert_eq!(minimum.as_str(), "below_organisation_minimum");
        // An AAL2 minimum keeps apps and tokens, not email or SMS.
        let aal2 = OrgPolicy::builder()
            .minimum_authority(Some(Authority::Aal2))
            .build()
            .unwrap();
        let t = AvailabilityTable::compute(&everything, &state, &aal2);
        assert!(t.is_available(M::AuthenticatorApp));
        assert!(
            t.get(M::Email)
                .reason()
                .is_some_and(|r| r.as_str() == "below_organisation_minimum")
        );

        // Identity provider: every method, whatever is configured.
        let idp = full.managed_by("Okta");
        let t = AvailabilityTable::compute(&idp, &state, &policy);
        assert_eq!(row(&t), vec![Some(ManagedByIdentityProvider); 6]);
    }

    #[test]
    fn strongest_preferable_skips_recovery_codes() {
        let mut state = AccountState::default();
        state.recovery.generated_at = Some(UnixTime::from_secs(1));
        state.recovery.unused = vec![[0; 32]];
        let ctx = AccountContext::new(UserId::new("u"))
            .with_email(crate::EmailAddress::parse("a@example.com").unwrap());
        let t = AvailabilityTable::compute(&ctx, &state, &OrgPolicy::default());
        assert_eq!(
            t.available().collect::<Vec<_>>(),
            [M::RecoveryCode, M::Email]
        );
        assert_eq!(t.strongest_preferable(), Some(M::Email));
    }
}
