//! Words tied to the account or the service that a password must not contain.

use crate::normalize::normalize;
use crate::weak::{Candidates, skeleton};

/// Context words (and parts of them) shorter than this many code points are ignored: one or two
/// letters say nothing about the account.
pub const MIN_CONTEXT_WORD_LEN: usize = 3;

/// Context words of at least this many code points are refused anywhere in the password.
/// Shorter ones (a three-letter username such as "ana") are refused only when the password is
/// the word itself behind decorations, repetition or leetspeak (`ana2024!ana2024!`,
/// `@na123456789`), so "ana" does not forbid "bananas in pyjamas".
pub const MIN_CONTEXT_SUBSTRING_LEN: usize = 4;

/// The account a password is being chosen for.
///
/// The password may not equal or contain the username or the email address's local part
/// (compared case-insensitively after NFKC, on the look-alike skeleton, with decorations and
/// leetspeak undone as for the blocklist). Those are also split at `.`, `_`, `-`, `+` and
/// spaces, so `john.smith@example.com` forbids `john.smith`, `john` and `smith`. Words of
/// [`MIN_CONTEXT_WORD_LEN`] (3) code points count too, but only as the whole password behind
/// decorations; see [`MIN_CONTEXT_SUBSTRING_LEN`]. Service words (the product's name) live in
/// the policy, since they are the same for every account.
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

/// Whether the password (as its [`Candidates`]) contains `word` or one of its parts.
pub(crate) fn contains_word(candidates: &Candidates, word: &str) -> bool {
    contains_folded_word(candidates, &fold_word(word))
}

/// The form a context word is compared in: NFKC, then its look-alike skeleton (lowercase,
/// trimmed).
pub(crate) fn fold_word(word: &str) -> String {
    skeleton(&normalize(word)).as_str().to_owned()
}

/// As [`contains_word`], with the word already passed through [`fold_word`].
pub(crate) fn contains_folded_word(candidates: &Candidates, folded_word: &str) -> bool {
    let whole = folded_word;
    let parts = whole.split(['.', '_', '-', '+', ' ']);
    core::iter::once(whole).chain(parts).any(|w| {
        let len = w.chars().count();
        if len >= MIN_CONTEXT_SUBSTRING_LEN {
            candidates.all().any(|c| c.contains(w))
        } else if len >= MIN_CONTEXT_WORD_LEN {
            candidates.all().any(|c| c == w)
        } else {
            false
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(password: &str, word: &str) -> bool {
        contains_word(&Candidates::of(&normalize(password)), word)
    }

    #[test]
    fn getters_return_what_was_set() {
        let none = Context::new();
        assert_eq!((none.username(), none.email()), (None, None));
        assert_eq!(none.email_local_part(), None);
        let c = Context::new()
            .with_username("alice")
            .with_email("alice@example.com");
        assert_eq!(c.username(), Some("alice"));
        assert_eq!(c.email(), Some("alice@example.com"));
        // No `@`: the whole address is the local part.
        let bare = Context::new().with_email("alice");
        assert_eq!(bare.email_local_part(), Some("alice"));
    }

    #[test]
    fn local_part_and_parts() {
        let c = Context::new().with_email("john.smith@example.com");
        assert_eq!(c.email_local_part(), Some("john.smith"));
        assert!(contains("ilovesmith99", "john.smith"));
        assert!(contains("xxjohn.smithxx", "john.smith"));
        // The whole "bo.li" counts; its parts "bo" and "li" are too short to.
        assert!(contains("xbo.lix", "bo.li"));
        assert!(!contains("bob likes li", "bo.li"));
    }

    #[test]
    fn case_insensitive_after_nfkc_and_look_alikes() {
        assert!(contains("myalicepassword", "ALICE"));
        assert!(contains("caf\u{e9}lover", "Cafe\u{301}"));
        assert!(contains("my\u{430}lice!", "alice"));
        assert!(contains("my@l1ce!", "alice"));
    }

    // Issue 12 item 13: short usernames were ignored altogether.
    #[test]
    fn three_letter_words_count_as_the_whole_password() {
        for weak in [
            "ana2024!ana2024!",
            "ana",
            "ANA!!!!",
            "2024ana",
            "@na123456789",
            "\u{430}n\u{430}12345678",
            "bobbobbob",
        ] {
            let word = if weak.starts_with('b') { "bob" } else { "ana" };
            assert!(contains(weak, word), "{weak}");
        }
        for fine in [
            "bananas in pyjamas",
            "bobsled champion",
            "ana and bob went out",
        ] {
            assert!(!contains(fine, "ana") && !contains(fine, "bob"), "{fine}");
        }
        // Two letters say nothing.
        assert!(!contains("al2024!al2024!", "al"));
    }
}
