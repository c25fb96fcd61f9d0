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

/// Checks a username and returns its stored form, under a username profile in the spirit
/// of RFC 8265's `UsernameCaseMapped` (PRECIS): NFKC, then lowercase, then the rules below,
/// so that `Ana`, `ANA` and full-width `Ａｎａ` are one account and a store needs only a
/// plain unique key.
///
/// Refused, because each lets one name pass for another next to `admin`:
/// - invisible and format characters (U+200B zero width space, U+00AD soft hyphen, bidi
///   controls, variation selectors, …): only letters, digits and `.` `_` `-` are allowed;
/// - names that mix Latin, Cyrillic and Greek letters (`аdmin` with a Cyrillic `а`),
///   Unicode TR39's "single script" restriction for identifiers;
/// - Cyrillic or Greek names made only of letters that look Latin (`асе`), TR39's
///   whole-script confusables, from a small table of the look-alikes of `confusables.txt`.
///
/// # Errors
/// [`Error::InvalidUsername`] for fewer than [`MIN_USERNAME_LEN`] or more than
/// [`MAX_USERNAME_LEN`] characters, any character outside the profile, `@` (an email
/// address is not a username: it would put the address into the authenticator label
/// and the password context twice), or a look-alike name.
pub fn canonical_username(input: &str) -> Result<String> {
    use unicode_normalization::UnicodeNormalization;
    // NFKC folds compatibility forms (full-width letters, ligatures) onto their plain
    // letters; lowercasing after it can lengthen a name ('İ' becomes two code points),
    // and NFKC once more keeps the result stable. The stored form is what must fit.
    let name: String = input.trim().nfkc().collect::<String>().to_lowercase();
    let name: String = name.nfkc().collect();
    let len = name.chars().count();
    if !(MIN_USERNAME_LEN..=MAX_USERNAME_LEN).contains(&len) {
        return Err(Error::InvalidUsername("it must have 3 to 64 characters"));
    }
    if name.contains('@') {
        return Err(Error::InvalidUsername("it may not contain @"));
    }
    if name
        .chars()
        .any(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(Error::InvalidUsername(
            "it may contain only letters, digits, '.', '_' and '-'",
        ));
    }
    if looks_like_another_script(&name) {
        return Err(Error::InvalidUsername(
            "it mixes scripts or imitates Latin letters",
        ));
    }
    Ok(name)
}

/// The letters' script, for the three scripts whose letters look alike.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
}

fn script(c: char) -> Option<Script> {
    match u32::from(c) {
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f | 0x1e00..=0x1eff => Some(Script::Latin),
        0x370..=0x3ff | 0x1f00..=0x1fff => Some(Script::Greek),
        0x400..=0x52f | 0x1c80..=0x1c8f | 0x2de0..=0x2dff | 0xa640..=0xa69f => {
            Some(Script::Cyrillic)
        }
        _ => None,
    }
}

/// Lowercase Cyrillic and Greek letters that render like a Latin letter (from Unicode's
/// `confusables.txt`, the entries whose target is one ASCII letter).
const LATIN_LOOKALIKES: &str = "аеорсухіјѕһԁԛԝӏәɡαοριυνκτχϲϳεηϰ";

/// Whether a name mixes Latin, Greek and Cyrillic letters, or is Greek or Cyrillic made
/// only of Latin look-alikes.
fn looks_like_another_script(name: &str) -> bool {
    let mut seen: Option<Script> = None;
    for s in name.chars().filter_map(script) {
        match seen {
            None => seen = Some(s),
            Some(first) if first != s => return true,
            Some(_) => {}
        }
    }
    match seen {
        Some(Script::Greek | Script::Cyrillic) => name
            .chars()
            .filter(|c| script(*c).is_some())
            .all(|c| LATIN_LOOKALIKES.contains(c)),
        _ => false,
    }
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
    pub(crate) stamp: SecurityStamp,
    pub(crate) password_long_enough_alone: bool,
    pub(crate) lifecycle: AccountLifecycle,
}

/// Where an account is in its life beyond its password: a temporary password that must
/// be changed, a second factor to set up again after an administrator's MFA reset.
///
/// Stores keep it as they keep the rest of [`AccountParts`] (with the `serde` feature
/// it serializes; every field defaults, so documents written before it read as an
/// account with nothing pending).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct AccountLifecycle {
    /// When the current password is a temporary one an administrator issued: the
    /// instant it stops working. Sign-in with it admits only the change of password.
    pub temporary_password_expires_at: Option<UnixTime>,
    /// An administrator reset the account's MFA: the next sign-in must set up a second
    /// factor before anything else, whatever the organisation's policy.
    pub enrolment_required: bool,
    /// Credentials for tools and command lines (see [`crate::tooling`]), oldest first.
    pub tooling_credentials: Vec<crate::ToolingCredential>,
    /// Changes of factors the holder asked for (see [`crate::change_requests`]).
    pub change_requests: Vec<crate::ChangeRequest>,
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
    /// The security stamp (see [`SecurityStamp`]).
    pub stamp: SecurityStamp,
    /// Whether the current password is long enough to be the only factor (NIST SP
    /// 800-63B-4: 15 characters by default), recorded when it was set: turning MFA off
    /// with a shorter one needs a new password.
    pub password_long_enough_alone: bool,
    /// A temporary password, an enrolment owed (see [`AccountLifecycle`]).
    pub lifecycle: AccountLifecycle,
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
            stamp: SecurityStamp::INITIAL,
            password_long_enough_alone: false,
            lifecycle: AccountLifecycle::default(),
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
            stamp: parts.stamp,
            password_long_enough_alone: parts.password_long_enough_alone,
            lifecycle: parts.lifecycle,
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
            stamp: self.stamp,
            password_long_enough_alone: self.password_long_enough_alone,
            lifecycle: self.lifecycle.clone(),
        }
    }

    /// A temporary password, an enrolment owed.
    #[must_use]
    pub fn lifecycle(&self) -> &AccountLifecycle {
        &self.lifecycle
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

    /// The security stamp: every [`Assurance`](crate::Assurance) made under an older one
    /// is no longer valid.
    #[must_use]
    pub fn security_stamp(&self) -> SecurityStamp {
        self.stamp
    }

    /// Whether the current password is long enough to be the account's only factor.
    #[must_use]
    pub fn password_long_enough_alone(&self) -> bool {
        self.password_long_enough_alone
    }
}

/// A number that changes whenever an account's sessions must end: a password change or
/// reset, "sign out everywhere", MFA turned off, a factor removed.
///
/// Every [`Assurance`](crate::Assurance) carries the stamp it was made under, and
/// [`Accounts::check_session`](crate::Accounts::check_session) compares it with the
/// account's: so revocation works with any session store, with no index from accounts
/// to sessions (ASP.NET Identity's security stamp is the model). It is not a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct SecurityStamp(u64);

impl SecurityStamp {
    /// The stamp of a new account.
    pub const INITIAL: Self = Self(0);

    /// Wraps a stamp a store kept.
    #[must_use]
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The number, for a store to keep.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The next stamp.
    #[must_use]
    pub(crate) const fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
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
            .field("stamp", &self.stamp)
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
    Ok(UserId::new(hex(random_bytes::<16>()?.as_ref())))
}

/// `N` bytes from the operating system's generator, zeroized on drop (tokens, ids,
/// generated secrets).
pub(crate) fn random_bytes<const N: usize>() -> Result<zeroize::Zeroizing<[u8; N]>> {
    use rand::TryRng;
    let mut bytes = zeroize::Zeroizing::new([0u8; N]);
    rand::rngs::SysRng
        .try_fill_bytes(bytes.as_mut())
        .map_err(|_| Error::Randomness)?;
    Ok(bytes)
}

/// `text` trimmed, when it has `min..=max` characters and no control character (a
/// name or a note a person typed, bound for logs, emails and pages).
pub(crate) fn clean_text(text: &str, min: usize, max: usize) -> Option<&str> {
    let text = text.trim();
    let len = text.chars().count();
    ((min..=max).contains(&len) && !text.chars().any(char::is_control)).then_some(text)
}

/// A random id of 16 hex digits (tooling credentials, change requests).
pub(crate) fn random_hex_id() -> Result<String> {
    Ok(hex(random_bytes::<8>()?.as_ref()))
}

/// `prefix` and `N` letters of a 32-letter `alphabet`, 5 random bits each (generated
/// secrets), built in place so that no copy of the secret is left behind unzeroized:
/// hand the text straight to a [`Password`](tessera_password::Password).
pub(crate) fn random_letters<const N: usize>(prefix: &str, alphabet: &[u8; 32]) -> Result<String> {
    let bytes = random_bytes::<N>()?;
    let mut text = String::with_capacity(prefix.len() + N);
    text.push_str(prefix);
    text.extend(
        bytes
            .iter()
            .map(|b| char::from(alphabet[usize::from(b & 31)])),
    );
    Ok(text)
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// An account is whom the MFA crate's security events are about and go to: its id, and
/// its email address as the recipient, so a notifier can write without looking it up.
impl tessera_mfa::Account for Account {
    fn user(&self) -> &UserId {
        &self.id
    }

    fn recipient(&self) -> Option<tessera_mfa::Recipient> {
        Some(
            tessera_mfa::AccountContext::new(self.id.clone())
                .with_email(self.email.clone())
                .recipient(),
        )
    }
}

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

    /// Issue "Security hardening" item 17: names that pass for `admin` are refused or
    /// fold onto it (and then collide with the real one as a taken username).
    #[test]
    fn look_alike_usernames() {
        // Full-width letters and compatibility forms fold onto the plain name.
        assert_eq!(canonical_username("ａｄｍｉｎ").unwrap(), "admin");
        assert_eq!(canonical_username("ADMIN").unwrap(), "admin");
        for bad in [
            "\u{430}dmin",           // Cyrillic а + Latin dmin: mixed scripts
            "adm\u{456}n",           // Cyrillic і
            "adm\u{3b9}n",           // Greek ι
            "ad\u{200b}min",         // zero width space
            "ad\u{ad}min",           // soft hyphen
            "admin\u{feff}",         // byte order mark
            "ad\u{202e}nim",         // right-to-left override
            "ad\u{fe0f}min",         // variation selector
            "\u{430}\u{441}\u{435}", // "асе", Cyrillic letters that all look Latin
            "ivan\u{434}",           // Latin and a Cyrillic д that looks like no Latin letter
            "alex\u{3bb}",           // Latin and a Greek λ
            "\u{1e0d}\u{434}",       // Latin ḍ (Latin Extended Additional) and Cyrillic д
            "\u{e9}\u{3bb}",         // Latin é (Latin-1) and Greek λ
            "ad min",
            "admin!",
        ] {
            assert!(canonical_username(bad).is_err(), "{bad:?} accepted");
        }
        // Real names in one script stay welcome.
        for good in [
            "иван",
            "δημήτρης",
            "josé",
            "zoë-o'",
            "山田太郎",
            "ana.lima_2",
        ] {
            let ok = canonical_username(good);
            if good.contains('\'') {
                assert!(ok.is_err());
            } else {
                assert!(ok.is_ok(), "{good:?} refused: {ok:?}");
            }
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
