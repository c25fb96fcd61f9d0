//! An account as the facade keeps it: who it is, and how it proves it with a password.

use std::fmt;

use tessera_mfa::EmailAddress;
use tessera_otp::UnixTime;
use tessera_password::PasswordHistory;
use tessera_registry::UserId;

use crate::{Error, Result};

/// Fewest characters in a username.
pub const MIN_USERNAME_LEN: usize = 3;
/// Most characters in a username.
pub const MAX_USERNAME_LEN: usize = 64;

/// Checks a username and returns its stored form: trimmed and lowercased, so that
/// `Ana` and `ana` are one account and a store needs only a plain unique key.
///
/// # Errors
/// [`Error::InvalidUsername`] for fewer than [`MIN_USERNAME_LEN`] or more than
/// [`MAX_USERNAME_LEN`] characters, whitespace, control characters, or `@` (an email
/// address is not a username: it would put the address into the authenticator label
/// and the password context twice).
pub fn canonical_username(input: &str) -> Result<String> {
    // Lowercase first: lowercasing can lengthen a name ('İ' becomes two code points),
    // and the stored form is what must fit.
    let name = input.trim().to_lowercase();
    let len = name.chars().count();
    if !(MIN_USERNAME_LEN..=MAX_USERNAME_LEN).contains(&len) {
        return Err(Error::InvalidUsername("it must have 3 to 64 characters"));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidUsername(
            "it may not contain spaces or control characters",
        ));
    }
    if name.contains('@') {
        return Err(Error::InvalidUsername("it may not contain @"));
    }
    Ok(name)
}

/// One account: its id, username, email address, password hash and history, and
/// whether an identity provider manages it.
///
/// Built by the flows ([`Accounts::create_account`](crate::Accounts::create_account)) or,
/// for a store reading what it saved, by [`Account::from_parts`]. `Debug` shows neither
/// the hash nor the history, and masks the email address.
// No `PartialEq`: it would compare password hashes in variable time.
#[derive(Clone)]
pub struct Account {
    pub(crate) id: UserId,
    pub(crate) username: String,
    pub(crate) email: EmailAddress,
    pub(crate) password_hash: Option<String>,
    pub(crate) history: PasswordHistory,
    pub(crate) identity_provider: Option<String>,
    pub(crate) created_at: UnixTime,
    pub(crate) password_changed_at: Option<UnixTime>,
}

/// What a store persisted, to rebuild an [`Account`] with [`Account::from_parts`].
#[derive(Clone)]
#[non_exhaustive]
pub struct AccountParts {
    /// The account's id.
    pub id: UserId,
    /// The username, in its stored (canonical) form.
    pub username: String,
    /// The email address.
    pub email: EmailAddress,
    /// The current password hash (PHC string); `None` for identity-provider accounts.
    pub password_hash: Option<String>,
    /// Previous hashes, newest first (the current one included when the policy keeps a
    /// history).
    pub history: PasswordHistory,
    /// The identity provider that manages the account, if any.
    pub identity_provider: Option<String>,
    /// When the account was created.
    pub created_at: UnixTime,
    /// When the password last changed.
    pub password_changed_at: Option<UnixTime>,
}

impl AccountParts {
    /// Parts with every optional field empty.
    #[must_use]
    pub fn new(id: UserId, username: String, email: EmailAddress, created_at: UnixTime) -> Self {
        Self {
            id,
            username,
            email,
            password_hash: None,
            history: PasswordHistory::new(),
            identity_provider: None,
            created_at,
            password_changed_at: None,
        }
    }
}

impl Account {
    /// Rebuilds an account from what a store kept, checking it as the flows would.
    ///
    /// # Errors
    /// [`Error::InvalidUsername`] for a username not in canonical form;
    /// [`Error::Password`] for a hash that is not a PHC string.
    pub fn from_parts(parts: AccountParts) -> Result<Self> {
        if canonical_username(&parts.username)? != parts.username {
            return Err(Error::InvalidUsername("it is not in canonical form"));
        }
        if let Some(hash) = &parts.password_hash {
            // `PasswordHistory` checks the PHC syntax; reuse it rather than parse twice.
            PasswordHistory::from_hashes([hash.as_str()])?;
        }
        Ok(Self {
            id: parts.id,
            username: parts.username,
            email: parts.email,
            password_hash: parts.password_hash,
            history: parts.history,
            identity_provider: parts.identity_provider,
            created_at: parts.created_at,
            password_changed_at: parts.password_changed_at,
        })
    }

    /// The parts to persist. The hash and history are as sensitive as password hashes
    /// are: keep them out of logs.
    #[must_use]
    pub fn to_parts(&self) -> AccountParts {
        AccountParts {
            id: self.id.clone(),
            username: self.username.clone(),
            email: self.email.clone(),
            password_hash: self.password_hash.clone(),
            history: self.history.clone(),
            identity_provider: self.identity_provider.clone(),
            created_at: self.created_at,
            password_changed_at: self.password_changed_at,
        }
    }

    /// The account's id: the same id names it in the device registry and MFA state.
    #[must_use]
    pub fn id(&self) -> &UserId {
        &self.id
    }

    /// The username (trimmed, lowercase).
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The email address.
    #[must_use]
    pub fn email(&self) -> &EmailAddress {
        &self.email
    }

    /// The current password hash (PHC string); `None` for identity-provider accounts.
    #[must_use]
    pub fn password_hash(&self) -> Option<&str> {
        self.password_hash.as_deref()
    }

    /// Previous password hashes, newest first.
    #[must_use]
    pub fn password_history(&self) -> &PasswordHistory {
        &self.history
    }

    /// The identity provider that manages the account, if any.
    #[must_use]
    pub fn identity_provider(&self) -> Option<&str> {
        self.identity_provider.as_deref()
    }

    /// Whether an identity provider manages the account (no password, no MFA here).
    #[must_use]
    pub fn is_federated(&self) -> bool {
        self.identity_provider.is_some()
    }

    /// When the account was created.
    #[must_use]
    pub fn created_at(&self) -> UnixTime {
        self.created_at
    }

    /// When the password last changed (`None`: never since creation).
    #[must_use]
    pub fn password_changed_at(&self) -> Option<UnixTime> {
        self.password_changed_at
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("history", &self.history.len())
            .field("identity_provider", &self.identity_provider)
            .field("created_at", &self.created_at)
            .field("password_changed_at", &self.password_changed_at)
            .finish()
    }
}

impl fmt::Debug for AccountParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountParts")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A fresh account id: 128 bits from the operating system, as 32 hex characters.
pub(crate) fn new_account_id() -> Result<UserId> {
    use rand::TryRng;
    let mut bytes = [0u8; 16];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| Error::Randomness)?;
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    Ok(UserId::new(id))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(canonical_username("  Ana_B ").unwrap(), "ana_b");
        let turkish = "\u{130}".repeat(40); // 40 code points, 80 once lowercased
        assert!(canonical_username(&turkish).is_err());
        for bad in [
            "ab",
            "a b c",
            "ana@example.com",
            "tab\there",
            &"x".repeat(65),
        ] {
            assert!(canonical_username(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn username_parse_never_panics_and_is_idempotent(s in "\\PC{0,80}") {
            if let Ok(name) = canonical_username(&s) {
                proptest::prop_assert_eq!(canonical_username(&name).unwrap(), name);
            }
        }
    }

    #[test]
    fn ids_are_hex_and_distinct() {
        let a = new_account_id().unwrap();
        let b = new_account_id().unwrap();
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
