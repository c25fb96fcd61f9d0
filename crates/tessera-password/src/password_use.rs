//! What a password protects on its own: the length rule of NIST SP 800-63B-4 depends on it.

/// Whether the password is the account's only authentication factor.
///
/// NIST SP 800-63B-4 §3.1.1.2 asks for at least 15 characters when a password is the only
/// factor, and at least 8 when it is used together with a second factor (an authenticator app,
/// a security key, a code sent to a verified phone). [`crate::PasswordPolicy::min_length_for`]
/// gives the minimum for each, and [`crate::PasswordPolicy::for_use`] the policy to validate
/// with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum PasswordUse {
    /// The password alone signs the account in (no MFA). The default: the secure assumption
    /// when the caller does not say.
    #[default]
    OnlyFactor,
    /// The password is one of two factors (MFA is on for the account).
    WithSecondFactor,
}
