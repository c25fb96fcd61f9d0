//! Organisation policy: allowed methods, required MFA, self-service removal, defaults.

use std::collections::{BTreeMap, BTreeSet};

use tessera_registry::UserId;

use crate::{Actor, Authority, Error, MfaMethod, Result};

/// An organisation's rules for second factors.
///
/// Build one with [`OrgPolicy::builder`]; [`OrgPolicy::default`] allows every method,
/// does not require MFA, lets people manage their own devices and shows the SMS warning.
/// To exclude email as a second factor (it is not an authenticator in NIST SP
/// 800-63B-4), `.disallow(MfaMethod::Email)`.
///
/// With the `serde` feature it deserializes through [`OrgPolicyBuilder::build`], so a
/// configuration file cannot make SMS the default or allow nothing but recovery codes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "OrgPolicyRaw"))]
pub struct OrgPolicy {
    allowed: BTreeSet<MfaMethod>,
    required_for_all: bool,
    required_overrides: BTreeMap<UserId, bool>,
    self_service_removal: bool,
    default_method: Option<MfaMethod>,
    sms_warning: bool,
    minimum_authority: Option<Authority>,
}

/// The unvalidated shape [`OrgPolicy`] deserializes from.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct OrgPolicyRaw {
    allowed: BTreeSet<MfaMethod>,
    required_for_all: bool,
    required_overrides: BTreeMap<UserId, bool>,
    self_service_removal: bool,
    default_method: Option<MfaMethod>,
    sms_warning: bool,
    #[serde(default)]
    minimum_authority: Option<Authority>,
}

#[cfg(feature = "serde")]
impl TryFrom<OrgPolicyRaw> for OrgPolicy {
    type Error = Error;
    fn try_from(r: OrgPolicyRaw) -> Result<Self> {
        OrgPolicyBuilder(Self {
            allowed: r.allowed,
            required_for_all: r.required_for_all,
            required_overrides: r.required_overrides,
            self_service_removal: r.self_service_removal,
            default_method: r.default_method,
            sms_warning: r.sms_warning,
            minimum_authority: r.minimum_authority,
        })
        .build()
    }
}

impl Default for OrgPolicy {
    fn default() -> Self {
        Self {
            allowed: MfaMethod::ALL.into_iter().collect(),
            required_for_all: false,
            required_overrides: BTreeMap::new(),
            self_service_removal: true,
            default_method: None,
            sms_warning: true,
            minimum_authority: None,
        }
    }
}

impl OrgPolicy {
    /// A builder starting from [`OrgPolicy::default`].
    pub fn builder() -> OrgPolicyBuilder {
        OrgPolicyBuilder(Self::default())
    }

    /// Whether the organisation lets accounts use `method`.
    #[must_use]
    pub fn allows(&self, method: MfaMethod) -> bool {
        self.allowed.contains(&method)
    }

    /// The weakest second factor the organisation accepts (kanidm's "minimum
    /// credential type"): with [`Authority::PhishingResistant`], a security key is
    /// required. Weaker methods are unavailable, with
    /// [`Unavailable::BelowOrganisationMinimum`](crate::Unavailable::BelowOrganisationMinimum)
    /// as the reason, for sign-in, step-up and binding alike. Recovery codes stay
    /// available: they are the lost-key path, one use each, and an organisation that
    /// wants none disallows them.
    #[must_use]
    pub fn minimum_authority(&self) -> Option<Authority> {
        self.minimum_authority
    }

    /// Why the policy refuses `method`, if it does: not allowed, or below the
    /// organisation's minimum.
    #[must_use]
    pub fn refusal(&self, method: MfaMethod) -> Option<crate::Unavailable> {
        if !self.allows(method) {
            return Some(crate::Unavailable::DisabledByPolicy);
        }
        match self.minimum_authority {
            Some(needed) if method != MfaMethod::RecoveryCode && method.authority() < needed => {
                Some(crate::Unavailable::BelowOrganisationMinimum { needed })
            }
            _ => None,
        }
    }

    /// Fails with [`Error::MethodUnavailable`] unless the policy accepts `method`
    /// (allowed, and at least the organisation's minimum).
    pub(crate) fn ensure_allowed(&self, method: MfaMethod) -> Result<()> {
        match self.refusal(method) {
            None => Ok(()),
            Some(reason) => Err(Error::MethodUnavailable { method, reason }),
        }
    }

    /// Whether `user` must have MFA enabled (the per-account override wins over the rule
    /// for everyone).
    #[must_use]
    pub fn requires_mfa(&self, user: &UserId) -> bool {
        self.required_overrides
            .get(user)
            .copied()
            .unwrap_or(self.required_for_all)
    }

    /// Whether people may remove or replace their own devices.
    #[must_use]
    pub fn self_service_removal(&self) -> bool {
        self.self_service_removal
    }

    /// The organisation's preferred method for new enrolments, if any.
    #[must_use]
    pub fn default_method(&self) -> Option<MfaMethod> {
        self.default_method
    }

    /// Whether a UI should warn when it offers SMS (restricted by NIST SP 800-63B).
    #[must_use]
    pub fn sms_warning(&self) -> bool {
        self.sms_warning
    }

    /// Decides whether `actor` may remove or replace one of an account's devices.
    ///
    /// The facade calls this before asking the registry to remove a device. When the
    /// policy forbids self-service removal, only an [`Actor::Administrator`] that names
    /// itself may do it; the service itself ([`Actor::System`]) may not either, so that
    /// every removal under such a policy is attributable to a person.
    ///
    /// # Errors
    /// [`Error::SelfServiceRemovalForbidden`] for the account holder (or the system) when
    /// the policy forbids it, [`Error::AnonymousAdministrator`] for an administrator with
    /// an empty identifier.
    pub fn authorize_device_removal(&self, actor: &Actor) -> Result<()> {
        match actor {
            Actor::Administrator { id } if id.trim().is_empty() => {
                Err(Error::AnonymousAdministrator)
            }
            Actor::Administrator { .. } => Ok(()),
            _ if self.self_service_removal => Ok(()),
            _ => Err(Error::SelfServiceRemovalForbidden),
        }
    }
}

/// Builds a validated [`OrgPolicy`].
#[derive(Clone, Debug)]
pub struct OrgPolicyBuilder(OrgPolicy);

impl OrgPolicyBuilder {
    /// Allows exactly these methods.
    pub fn allowed_methods(&mut self, methods: impl IntoIterator<Item = MfaMethod>) -> &mut Self {
        self.0.allowed = methods.into_iter().collect();
        self
    }

    /// Disallows one method (e.g. SMS, or email as a second factor).
    pub fn disallow(&mut self, method: MfaMethod) -> &mut Self {
        self.0.allowed.remove(&method);
        self
    }

    /// Requires MFA for every account.
    pub fn require_mfa(&mut self, required: bool) -> &mut Self {
        self.0.required_for_all = required;
        self
    }

    /// Requires MFA for one account (`true`) or exempts it (`false`), whatever the rule
    /// for everyone says.
    pub fn require_mfa_for(&mut self, user: UserId, required: bool) -> &mut Self {
        self.0.required_overrides.insert(user, required);
        self
    }

    /// Whether people may remove or replace their own devices (default: yes).
    pub fn self_service_removal(&mut self, allowed: bool) -> &mut Self {
        self.0.self_service_removal = allowed;
        self
    }

    /// The preferred method for new enrolments.
    pub fn default_method(&mut self, method: Option<MfaMethod>) -> &mut Self {
        self.0.default_method = method;
        self
    }

    /// Whether a UI should warn when it offers SMS (default: yes).
    pub fn sms_warning(&mut self, warn: bool) -> &mut Self {
        self.0.sms_warning = warn;
        self
    }

    /// The weakest second factor the organisation accepts (default: none):
    /// [`Authority::PhishingResistant`] requires a security key. See
    /// [`OrgPolicy::minimum_authority`].
    pub fn minimum_authority(&mut self, minimum: Option<Authority>) -> &mut Self {
        self.0.minimum_authority = minimum;
        self
    }

    /// Validates and returns the policy.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when no method other than recovery codes is allowed, when
    /// the default method is not allowed, or when it is SMS or recovery codes (SMS may be
    /// offered but is never the default; recovery codes are never preferred).
    pub fn build(&self) -> Result<OrgPolicy> {
        let p = self.0.clone();
        if !p.allowed.iter().any(|m| m.is_preferable()) {
            return Err(Error::InvalidConfig(
                "the policy must allow at least one method other than recovery codes",
            ));
        }
        if let Some(m) = p.default_method {
            if !p.allowed.contains(&m) {
                return Err(Error::InvalidConfig(
                    "the default method must be an allowed method",
                ));
            }
            if m == MfaMethod::Sms {
                return Err(Error::InvalidConfig(
                    "sms may be offered but is never the default",
                ));
            }
            if !m.is_preferable() {
                return Err(Error::InvalidConfig(
                    "recovery codes cannot be the default method",
                ));
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbids_self_service_removal_but_allows_named_admins() {
        let p = OrgPolicy::builder()
            .self_service_removal(false)
            .build()
            .unwrap();
        assert!(matches!(
            p.authorize_device_removal(&Actor::AccountHolder),
            Err(Error::SelfServiceRemovalForbidden)
        ));
        assert!(matches!(
            p.authorize_device_removal(&Actor::System),
            Err(Error::SelfServiceRemovalForbidden)
        ));
        assert!(matches!(
            p.authorize_device_removal(&Actor::administrator("  ")),
            Err(Error::AnonymousAdministrator)
        ));
        p.authorize_device_removal(&Actor::administrator("alice@ops"))
            .unwrap();
        let msg = Error::SelfServiceRemovalForbidden.to_string();
        assert!(msg.contains("administrator"), "{msg}");
    }

    #[test]
    fn the_getters_say_what_was_built() {
        let p = OrgPolicy::default();
        assert!(p.self_service_removal());
        assert_eq!(p.minimum_authority(), None);
        let p = OrgPolicy::builder()
            .self_service_removal(false)
            .minimum_authority(Some(Authority::PhishingResistant))
            .build()
            .unwrap();
        assert!(!p.self_service_removal());
        assert_eq!(p.minimum_authority(), Some(Authority::PhishingResistant));
    }

    #[test]
    fn default_policy_allows_self_service() {
        let p = OrgPolicy::default();
        p.authorize_device_removal(&Actor::AccountHolder).unwrap();
        assert!(MfaMethod::ALL.iter().all(|m| p.allows(*m)));
        assert!(!p.requires_mfa(&UserId::new("u")));
    }

    #[test]
    fn per_account_override_wins() {
        let p = OrgPolicy::builder()
            .require_mfa(true)
            .require_mfa_for(UserId::new("exempt"), false)
            .build()
            .unwrap();
        assert!(p.requires_mfa(&UserId::new("anyone")));
        assert!(!p.requires_mfa(&UserId::new("exempt")));
        let p = OrgPolicy::builder()
            .require_mfa_for(UserId::new("vip"), true)
            .build()
            .unwrap();
        assert!(p.requires_mfa(&UserId::new("vip")));
        assert!(!p.requires_mfa(&UserId::new("anyone")));
    }

    #[test]
    fn builder_refuses_bad_defaults() {
        for m in [MfaMethod::Sms, MfaMethod::RecoveryCode] {
            assert!(
                OrgPolicy::builder()
                    .default_method(Some(m))
                    .build()
                    .is_err()
            );
        }
        assert!(
            OrgPolicy::builder()
                .disallow(MfaMethod::Email)
                .default_method(Some(MfaMethod::Email))
                .build()
                .is_err()
        );
        assert!(
            OrgPolicy::builder()
                .allowed_methods([MfaMethod::RecoveryCode])
                .build()
                .is_err()
        );
        OrgPolicy::builder()
            .default_method(Some(MfaMethod::AuthenticatorApp))
            .build()
            .unwrap();
    }

    #[cfg(feature = "serde")]
    mod serde_bounds {
        use super::*;
        use proptest::prelude::*;

        #[test]
        fn invalid_policies_are_refused_by_serde() {
            let ok = serde_json::to_value(OrgPolicy::default()).unwrap();
            let mut sms_default = ok.clone();
            sms_default["default_method"] = "sms".into();
            let mut only_codes = ok.clone();
            only_codes["allowed"] = serde_json::json!(["recovery_code"]);
            let mut disallowed_default = ok.clone();
            disallowed_default["allowed"] = serde_json::json!(["authenticator_app"]);
            disallowed_default["default_method"] = "email".into();
            for bad in [sms_default, only_codes, disallowed_default] {
                assert!(
                    serde_json::from_value::<OrgPolicy>(bad.clone()).is_err(),
                    "{bad}"
                );
            }
            assert_eq!(
                serde_json::from_value::<OrgPolicy>(ok).unwrap(),
                OrgPolicy::default()
            );
        }

        fn method() -> impl Strategy<Value = MfaMethod> {
            proptest::sample::select(MfaMethod::ALL.to_vec())
        }

        proptest! {
            #[test]
            fn serde_accepts_exactly_what_the_builder_accepts(
                allowed in proptest::collection::btree_set(method(), 0..6),
                default in proptest::option::of(method()),
                required in any::<bool>(),
                removal in any::<bool>(),
                warn in any::<bool>(),
                overrides in proptest::collection::btree_map("[a-z]{1,8}", any::<bool>(), 0..4),
                minimum in proptest::option::of(proptest::sample::select(vec![
                    Authority::Email, Authority::Sms, Authority::Aal2, Authority::PhishingResistant,
                ])),
            ) {
                let mut b = OrgPolicy::builder();
                b.allowed_methods(allowed)
                    .default_method(default)
                    .require_mfa(required)
                    .self_service_removal(removal)
                    .sms_warning(warn)
                    .minimum_authority(minimum);
                for (u, r) in overrides {
                    b.require_mfa_for(UserId::new(u), r);
                }
                let raw = b.0.clone();
                let json = serde_json::to_string(&raw).unwrap();
                let parsed = serde_json::from_str::<OrgPolicy>(&json);
                match b.build() {
                    Ok(p) => prop_assert_eq!(parsed.unwrap(), p),
                    Err(_) => prop_assert!(parsed.is_err()),
                }
            }
        }
    }
}
