//! Per-account MFA settings.

mod actor;
mod authority;
mod availability;
mod change;
mod context;
mod flow;
mod method;
mod policy;

pub use actor::Actor;
pub use authority::Authority;
pub use availability::{Availability, AvailabilityTable, MethodStatus, Unavailable};
pub use context::{Account, AccountContext, EmailAddress, MAX_EMAIL_LEN};

pub use flow::{Enabled, SignInPlan};
pub use method::MfaMethod;
pub use policy::{OrgPolicy, OrgPolicyBuilder};

/// An account's MFA settings: whether MFA is on, and the method offered first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MfaSettings {
    pub(crate) enabled: bool,
    pub(crate) preferred: Option<MfaMethod>,
}

impl MfaSettings {
    /// Whether sign-in asks for a second factor.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The method offered first at sign-in. `None` when MFA is off, or when no method
    /// other than recovery codes is left (the account holder was told).
    #[must_use]
    pub fn preferred(&self) -> Option<MfaMethod> {
        self.preferred
    }
}
