//! What the application knows about an account that this crate does not store.

use std::fmt;

use tessera_registry::{DeviceKind, UserId};

use crate::{Error, Recipient, Result};

/// Longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// An email address, checked for shape only (one `@`, no spaces or control characters).
///
/// Deliverability is the mail provider's business; this type only keeps garbage out of
/// messages and send-limit keys.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address: trimmed, at most [`MAX_EMAIL_LEN`] bytes, a non-empty local part
    /// of at most 64 bytes, one `@`, a non-empty domain, no whitespace or control
    /// characters.
    ///
    /// # Errors
    /// [`Error::InvalidEmail`] saying what is wrong.
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::InvalidEmail("it is empty"));
        }
        if s.len() > MAX_EMAIL_LEN {
            return Err(Error::InvalidEmail("it is longer than 254 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidEmail(
                "it contains spaces or control characters",
            ));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(Error::InvalidEmail("it has no @"));
        };
        if domain.contains('@') {
            return Err(Error::InvalidEmail("it has more than one @"));
        }
        if local.is_empty() || local.len() > 64 {
            return Err(Error::InvalidEmail(
                "the part before @ must have 1 to 64 characters",
            ));
        }
        if domain.is_empty() || domain.starts_with('.') || domain.ends_with('.') {
            return Err(Error::InvalidEmail("the domain after @ is not valid"));
        }
        // Domains are case-insensitive; normalising keeps send-limit keys stable.
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with most of the local part hidden, e.g. `a***@example.com`.
    #[must_use]
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        }
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> Self {
        e.0
    }
}

impl fmt::Debug for EmailAddress {
    /// Masked: addresses are personal data and have no business in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

/// Facts about an account that the application (and the device registry) own, passed
/// into every call that decides availability.
///
/// The registry exposes which device kinds are active for an account; pass them in with
/// [`AccountContext::with_active_devices`], so this crate needs no registry internals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountContext {
    user: UserId,
    email: Option<EmailAddress>,
    display_name: Option<String>,
    identity_provider: Option<String>,
    active_devices: Vec<DeviceKind>,
}

impl AccountContext {
    /// An account with no email address, no devices, not managed elsewhere.
    #[must_use]
    pub fn new(user: UserId) -> Self {
        Self {
            user,
            email: None,
            display_name: None,
            identity_provider: None,
            active_devices: Vec::new(),
        }
    }

    /// The account's email address, used for email codes.
    #[must_use]
    pub fn with_email(mut self, email: EmailAddress) -> Self {
        self.email = Some(email);
        self
    }

    /// The name security messages greet the account holder by (e.g. "Ana"). Not used
    /// for any decision.
    #[must_use]
    pub fn with_display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// The name to greet the account holder by, if given.
    #[must_use]
    pub fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// Whom security messages about this account go to.
    #[must_use]
    pub fn recipient(&self) -> Recipient {
        Recipient {
            email: self.email.clone(),
            name: self.display_name.clone(),
        }
    }

    /// Marks the account as managed by an external identity provider (e.g. a SAML or
    /// OIDC provider), which handles its MFA.
    #[must_use]
    pub fn managed_by(mut self, provider: impl Into<String>) -> Self {
        self.identity_provider = Some(provider.into());
        self
    }

    /// The kinds of the account's *active* devices in the registry (duplicates are fine).
    #[must_use]
    pub fn with_active_devices(mut self, kinds: impl IntoIterator<Item = DeviceKind>) -> Self {
        self.active_devices = kinds.into_iter().collect();
        self
    }

    /// The account.
    #[must_use]
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// The account's email address.
    #[must_use]
    pub fn email(&self) -> Option<&EmailAddress> {
        self.email.as_ref()
    }

    /// The identity provider that manages the account, if any.
    #[must_use]
    pub fn identity_provider(&self) -> Option<&str> {
        self.identity_provider.as_deref()
    }

    /// Whether an active registry device of `kind` exists.
    #[must_use]
    pub fn has_active_device(&self, kind: DeviceKind) -> bool {
        self.active_devices.contains(&kind)
    }

    /// Fails with [`Error::ManagedByIdentityProvider`] for identity-provider accounts.
    pub(crate) fn ensure_local(&self) -> Result<()> {
        match &self.identity_provider {
            Some(p) => Err(Error::ManagedByIdentityProvider {
                provider: p.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// The account an operation acts on: its id and, when the caller knows them, whom to
/// tell about it.
///
/// Operations that only need the id (sign-in attempts, code checks, unlocks, password
/// and remembered-device events) take `&impl Account`, so they accept a bare [`UserId`]
/// or an [`AccountContext`]; given a context, the [`SecurityEvent`](crate::SecurityEvent)s
/// they emit carry its [`Recipient`], so a notifier can write to the person without a
/// look-up. Implemented for both; not meant to be implemented elsewhere.
pub trait Account: Send + Sync {
    /// The account's id.
    fn user(&self) -> &UserId;

    /// Whom to tell, when known.
    fn recipient(&self) -> Option<Recipient>;
}

impl Account for UserId {
    fn user(&self) -> &UserId {
        self
    }

    fn recipient(&self) -> Option<Recipient> {
        None
    }
}

impl Account for AccountContext {
    fn user(&self) -> &UserId {
        &self.user
    }

    fn recipient(&self) -> Option<Recipient> {
        Some(AccountContext::recipient(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn length_bounds_are_inclusive() {
        // 254 bytes in all, 64 before the @: accepted; one more of either: refused.
        let local = "a".repeat(64);
        let domain = |n: usize| format!("{}.com", "d".repeat(n - 4));
        let at_max = format!("{local}@{}", domain(254 - 65));
        assert_eq!(at_max.len(), 254);
        let e = EmailAddress::parse(&at_max).unwrap();
        assert_eq!(e.to_string(), at_max);
        assert_eq!(String::from(e), at_max);
        assert!(matches!(
            EmailAddress::parse(&format!("{local}@{}", domain(254 - 64))),
            Err(Error::InvalidEmail("it is longer than 254 characters"))
        ));
        assert!(matches!(
            EmailAddress::parse(&format!("{local}a@example.com")),
            Err(Error::InvalidEmail(
                "the part before @ must have 1 to 64 characters"
            ))
        ));
        let e = EmailAddress::parse("Ana@Example.COM").unwrap();
        assert_eq!(format!("{e:?}"), "EmailAddress(A***@example.com)");
    }

    #[test]
    fn a_display_name_is_kept_as_given() {
        let c = AccountContext::new(UserId::new("ana"));
        assert_eq!(c.display_name(), None);
        assert_eq!(
            c.with_display_name("Ana Lima").display_name(),
            Some("Ana Lima")
        );
    }

    #[test]
    fn email_cases() {
        let e = EmailAddress::parse("  Ana.B@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ana.B@example.com");
        assert_eq!(e.masked(), "A***@example.com");
        assert!(!format!("{e:?}").contains("Ana"));
        for bad in [
            "",
            "no-at",
            "a@b@c",
            "@x.com",
            "a@",
            "a b@x.com",
            "a@.x",
            "a@x.",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn email_parse_never_panics_and_is_idempotent(s in "\\PC{0,300}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()).unwrap(), e);
            }
        }
    }
}
