//! Words tied to the account or the service that a password must not contain.

use crate::normalize::{fold, normalize};

/// Context words shorter than this many code points are ignored: a three-letter username such
/// as "bob" would otherwise forbid every password containing "bob".
pub const MIN_CONTEXT_WORD_LEN: usize = 4;

/// The account a password is being chosen for.
///
/// The password may not equal or contain the username or the email address's local part
/// (compared case-insensitively after NFKC). Those are also split at `.`, `_`, `-`, `+` and
/// spaces, so `john.smith@example.com` forbids `john.smith`, `john` and `smith`. Service words
/// (the product's name) live in the policy, since they are the same for every account.
///
/// ```
/// use tessera_password::Context;
/// let context = Context::new().with_username("alice").with_email("alice.liddell@example.com");
/// assert_eq!(context.username(), Some("alice"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    username: Option<String>,
    email: Option<String>,
}

impl Context {
    /// No account details: only the policy's own rules and service words apply.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the username.
    #[must_use]
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the email address; only its local part (before the last `@`) is used.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The username, if set.
    #[must_use]
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The email address, if set.
    #[must_use]
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The email's local part, if an email is set.
    #[must_use]
    pub fn email_local_part(&self) -> Option<&str> {
        self.email
            .as_deref()
            .map(|e| e.rsplit_once('@').map_or(e, |(local, _)| local))
    }
}

/// Whether `folded_password` contains `word` or one of its parts of at least
/// [`MIN_CONTEXT_WORD_LEN`] code points.
pub(crate) fn contains_word(folded_password: &str, word: &str) -> bool {
    contains_folded_word(folded_password, &fold_word(word))
}

/// The form a context word is compared in: NFKC, lowercase, trimmed.
pub(crate) fn fold_word(word: &str) -> String {
    fold(&normalize(word)).trim().to_owned()
}

/// As [`contains_word`], with the word already passed through [`fold_word`].
pub(crate) fn contains_folded_word(folded_password: &str, folded_word: &str) -> bool {
    let whole = folded_word;
    let parts = whole.split(['.', '_', '-', '+', ' ']);
    core::iter::once(whole)
        .chain(parts)
        .filter(|w| w.chars().count() >= MIN_CONTEXT_WORD_LEN)
        .any(|w| folded_password.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_part_and_parts() {
        let c = Context::new().with_email("john.smith@example.com");
        assert_eq!(c.email_local_part(), Some("john.smith"));
        assert!(contains_word("ilovesmith99", "john.smith"));
        assert!(contains_word("xxjohn.smithxx", "john.smith"));
        // The whole "bo.li" counts; its parts "bo" and "li" are too short to.
        assert!(contains_word("xbo.lix", "bo.li"));
        assert!(!contains_word("bob likes li", "bo.li"));
    }

    #[test]
    fn case_insensitive_after_nfkc() {
        assert!(contains_word("myalicepassword", "ALICE"));
        assert!(contains_word("caf\u{e9}lover", "Cafe\u{301}"));
        assert!(!contains_word("bobbobbob", "bob"));
    }
}
