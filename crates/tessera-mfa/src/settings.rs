//! Per-account MFA settings.

use crate::MfaMethod;

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
