//! The password policy: NIST SP 800-63B defaults and the organisation's rules on top.

use regex::Regex;

use crate::Error;
use crate::context::fold_word;

/// Lowest minimum length a policy accepts: NIST SP 800-63B §5.1.1.2 requires at least 8.
pub const MIN_MIN_LENGTH: usize = 8;
/// Minimum length of [`PasswordPolicy::DEFAULT`].
pub const DEFAULT_MIN_LENGTH: usize = 8;
/// Minimum length of [`PasswordPolicy::PASSWORD_ONLY`]: NIST SP 800-63B rev. 4 asks for 15
/// when the password is the only factor.
pub const PASSWORD_ONLY_MIN_LENGTH: usize = 15;
/// Lowest maximum length a policy accepts: NIST SP 800-63B asks verifiers to allow at least 64.
pub const MIN_MAX_LENGTH: usize = 64;
/// Maximum length of [`PasswordPolicy::DEFAULT`].
pub const DEFAULT_MAX_LENGTH: usize = 128;
/// Highest maximum length a policy accepts; with at most four bytes a code point it keeps every
/// acceptable password within [`crate::MAX_PASSWORD_BYTES`].
pub const MAX_MAX_LENGTH: usize = 1024;
/// Most previous passwords a policy can remember (as OWASP ASVS and AWS IAM do).
pub const MAX_HISTORY: usize = 24;
/// Most service words a policy can hold.
pub const MAX_SERVICE_WORDS: usize = 64;
/// Longest regular expression a policy accepts, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;
/// Highest zxcvbn score (its scale is 0 to 4).
#[cfg(feature = "zxcvbn")]
pub const MAX_ZXCVBN_SCORE: u8 = 4;

/// A validated password policy.
///
/// The defaults follow NIST SP 800-63B §5.1.1.2: at least 8 and at most 128 code points
/// (after NFKC, never truncated), every printable character including spaces, no composition
/// rules, the built-in blocklist, and context words. Organisation rules (character classes, a
/// regular expression, history, a zxcvbn score) are off until set with the
/// [builder](PasswordPolicy::builder).
///
/// ```
/// use tessera_password::{Context, Password, PasswordPolicy};
///
/// let policy = PasswordPolicy::builder()
///     .min_length(12)
///     .service_word("tessera")
///     .history(5)
///     .build()?;
/// let err = policy
///     .validate(&Password::new("tessera2024"), &Context::new())
///     .unwrap_err();
/// assert_eq!(err.codes(), ["too_short", "contains_service_word"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "PasswordPolicyBuilder", into = "PasswordPolicyBuilder")
)]
pub struct PasswordPolicy {
    pub(crate) min_length: usize,
    pub(crate) max_length: usize,
    pub(crate) min_digits: usize,
    pub(crate) min_lowercase: usize,
    pub(crate) min_uppercase: usize,
    pub(crate) min_special: usize,
    pub(crate) pattern: Option<Regex>,
    pub(crate) blocklist: bool,
    pub(crate) context_words: bool,
    pub(crate) service_words: Vec<String>,
    /// `service_words` NFKC-normalised, lowercased and trimmed once, at build time.
    pub(crate) service_words_folded: Vec<String>,
    pub(crate) history: usize,
    #[cfg(feature = "zxcvbn")]
    pub(crate) min_zxcvbn_score: Option<u8>,
}

impl PasswordPolicy {
    /// NIST SP 800-63B defaults for a password used with a second factor: 8 to 128 code points,
    /// blocklist and context words on, no composition rules, no history.
    pub const DEFAULT: Self = Self {
        min_length: DEFAULT_MIN_LENGTH,
        max_length: DEFAULT_MAX_LENGTH,
        min_digits: 0,
        min_lowercase: 0,
        min_uppercase: 0,
        min_special: 0,
        pattern: None,
        blocklist: true,
        context_words: true,
        service_words: Vec::new(),
        service_words_folded: Vec::new(),
        history: 0,
        #[cfg(feature = "zxcvbn")]
        min_zxcvbn_score: None,
    };

    /// The preset for accounts where the password is the only factor: as [`DEFAULT`] with a
    /// minimum of 15 code points (NIST SP 800-63B rev. 4, §3.1.1.2).
    ///
    /// [`DEFAULT`]: PasswordPolicy::DEFAULT
    pub const PASSWORD_ONLY: Self = Self {
        min_length: PASSWORD_ONLY_MIN_LENGTH,
        max_length: DEFAULT_MAX_LENGTH,
        min_digits: 0,
        min_lowercase: 0,
        min_uppercase: 0,
        min_special: 0,
        pattern: None,
        blocklist: true,
        context_words: true,
        service_words: Vec::new(),
        service_words_folded: Vec::new(),
        history: 0,
        #[cfg(feature = "zxcvbn")]
        min_zxcvbn_score: None,
    };

    /// The [`PASSWORD_ONLY`](PasswordPolicy::PASSWORD_ONLY) preset.
    #[must_use]
    pub fn password_only() -> Self {
        Self::PASSWORD_ONLY
    }

    /// A builder starting from [`PasswordPolicy::DEFAULT`].
    #[must_use]
    pub fn builder() -> PasswordPolicyBuilder {
        PasswordPolicyBuilder::new()
    }

    /// Minimum length in code points.
    #[must_use]
    pub const fn min_length(&self) -> usize {
        self.min_length
    }

    /// Maximum length in code points.
    #[must_use]
    pub const fn max_length(&self) -> usize {
        self.max_length
    }

    /// Minimum number of digits (0: no rule).
    #[must_use]
    pub const fn min_digits(&self) -> usize {
        self.min_digits
    }

    /// Minimum number of lowercase letters (0: no rule).
    #[must_use]
    pub const fn min_lowercase(&self) -> usize {
        self.min_lowercase
    }

    /// Minimum number of uppercase letters (0: no rule).
    #[must_use]
    pub const fn min_uppercase(&self) -> usize {
        self.min_uppercase
    }

    /// Minimum number of special characters, i.e. neither letter nor digit (0: no rule).
    #[must_use]
    pub const fn min_special(&self) -> usize {
        self.min_special
    }

    /// The regular expression the password must match, if any.
    #[must_use]
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_ref().map(Regex::as_str)
    }

    /// Whether the built-in blocklist and the pattern checks (repeats, sequences, keyboard
    /// runs) apply.
    #[must_use]
    pub const fn blocklist(&self) -> bool {
        self.blocklist
    }

    /// Whether the username, email local part and service words are refused.
    #[must_use]
    pub const fn context_words(&self) -> bool {
        self.context_words
    }

    /// Words of the service (its name, the organisation's) that passwords may not contain.
    #[must_use]
    pub fn service_words(&self) -> &[String] {
        &self.service_words
    }

    /// How many previous passwords may not be reused (0: no rule).
    #[must_use]
    pub const fn history(&self) -> usize {
        self.history
    }

    /// The minimum zxcvbn score (0 to 4), if set.
    #[cfg(feature = "zxcvbn")]
    #[must_use]
    pub const fn min_zxcvbn_score(&self) -> Option<u8> {
        self.min_zxcvbn_score
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Builds a [`PasswordPolicy`]; [`build`](PasswordPolicyBuilder::build) checks every bound.
///
/// With the `serde` feature this is also the policy's serialised form: every field optional,
/// unknown fields refused, the same checks on deserialisation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct PasswordPolicyBuilder {
    min_length: usize,
    max_length: usize,
    min_digits: usize,
    min_lowercase: usize,
    min_uppercase: usize,
    min_special: usize,
    pattern: Option<String>,
    blocklist: bool,
    context_words: bool,
    service_words: Vec<String>,
    history: usize,
    #[cfg(feature = "zxcvbn")]
    min_zxcvbn_score: Option<u8>,
}

impl Default for PasswordPolicyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordPolicyBuilder {
    /// Starts from [`PasswordPolicy::DEFAULT`].
    #[must_use]
    pub fn new() -> Self {
        Self::from(PasswordPolicy::DEFAULT)
    }

    /// Minimum length in code points, from [`MIN_MIN_LENGTH`] to the maximum length.
    pub fn min_length(&mut self, n: usize) -> &mut Self {
        self.min_length = n;
        self
    }

    /// Maximum length in code points, from [`MIN_MAX_LENGTH`] to [`MAX_MAX_LENGTH`].
    pub fn max_length(&mut self, n: usize) -> &mut Self {
        self.max_length = n;
        self
    }

    /// Requires at least `n` digits (Unicode numeric characters).
    pub fn min_digits(&mut self, n: usize) -> &mut Self {
        self.min_digits = n;
        self
    }

    /// Requires at least `n` lowercase letters.
    pub fn min_lowercase(&mut self, n: usize) -> &mut Self {
        self.min_lowercase = n;
        self
    }

    /// Requires at least `n` uppercase letters.
    pub fn min_uppercase(&mut self, n: usize) -> &mut Self {
        self.min_uppercase = n;
        self
    }

    /// Requires at least `n` special characters: anything that is neither a letter nor a
    /// digit, spaces included (as Keycloak counts them).
    pub fn min_special(&mut self, n: usize) -> &mut Self {
        self.min_special = n;
        self
    }

    /// Requires the (NFKC-normalised) password to match this regular expression, as Keycloak's
    /// "Regular Expression" policy does. Use anchors (`^…$`) to constrain the whole password.
    pub fn pattern(&mut self, regex: impl Into<String>) -> &mut Self {
        self.pattern = Some(regex.into());
        self
    }

    /// Turns the built-in blocklist and the repeat/sequence/keyboard-run checks on or off.
    pub fn blocklist(&mut self, on: bool) -> &mut Self {
        self.blocklist = on;
        self
    }

    /// Turns the username, email and service-word checks on or off.
    pub fn context_words(&mut self, on: bool) -> &mut Self {
        self.context_words = on;
        self
    }

    /// Adds a word of the service (its name, the organisation's) that passwords may not
    /// contain; words under [`crate::MIN_CONTEXT_WORD_LEN`] code points are ignored.
    pub fn service_word(&mut self, word: impl Into<String>) -> &mut Self {
        self.service_words.push(word.into());
        self
    }

    /// Refuses the last `n` passwords, up to [`MAX_HISTORY`] (0 turns the rule off).
    pub fn history(&mut self, n: usize) -> &mut Self {
        self.history = n;
        self
    }

    /// Requires a zxcvbn score of at least `score` (0 to 4), as Authelia offers.
    #[cfg(feature = "zxcvbn")]
    pub fn min_zxcvbn_score(&mut self, score: u8) -> &mut Self {
        self.min_zxcvbn_score = Some(score);
        self
    }

    /// Checks every bound and compiles the pattern.
    ///
    /// # Errors
    /// [`Error::InvalidPolicy`] naming the setting out of bounds, or [`Error::InvalidPattern`].
    pub fn build(&self) -> Result<PasswordPolicy, Error> {
        if !(MIN_MAX_LENGTH..=MAX_MAX_LENGTH).contains(&self.max_length) {
            return Err(Error::InvalidPolicy(
                "max_length must be between 64 and 1024",
            ));
        }
        if !(MIN_MIN_LENGTH..=self.max_length).contains(&self.min_length) {
            return Err(Error::InvalidPolicy(
                "min_length must be between 8 and max_length",
            ));
        }
        let classes = [
            self.min_digits,
            self.min_lowercase,
            self.min_uppercase,
            self.min_special,
        ];
        if classes
            .iter()
            .try_fold(0usize, |acc, n| acc.checked_add(*n))
            .is_none_or(|sum| sum > self.max_length)
        {
            return Err(Error::InvalidPolicy(
                "character class minimums must add up to at most max_length",
            ));
        }
        if self.history > MAX_HISTORY {
            return Err(Error::InvalidPolicy("history must be at most 24"));
        }
        if self.service_words.len() > MAX_SERVICE_WORDS {
            return Err(Error::InvalidPolicy("at most 64 service words"));
        }
        if self.service_words.iter().any(|w| w.len() > MAX_MAX_LENGTH) {
            return Err(Error::InvalidPolicy(
                "service words must be at most 1024 bytes",
            ));
        }
        #[cfg(feature = "zxcvbn")]
        if self.min_zxcvbn_score.is_some_and(|s| s > MAX_ZXCVBN_SCORE) {
            return Err(Error::InvalidPolicy(
                "min_zxcvbn_score must be between 0 and 4",
            ));
        }
        let pattern = match &self.pattern {
            None => None,
            Some(p) if p.len() > MAX_PATTERN_LEN => {
                return Err(Error::InvalidPolicy("pattern must be at most 1024 bytes"));
            }
            // A size limit keeps a hostile configuration from compiling a huge automaton.
            Some(p) => Some(
                regex::RegexBuilder::new(p)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|_| Error::InvalidPattern)?,
            ),
        };
        Ok(PasswordPolicy {
            min_length: self.min_length,
            max_length: self.max_length,
            min_digits: self.min_digits,
            min_lowercase: self.min_lowercase,
            min_uppercase: self.min_uppercase,
            min_special: self.min_special,
            pattern,
            blocklist: self.blocklist,
            context_words: self.context_words,
            service_words: self.service_words.clone(),
            service_words_folded: self.service_words.iter().map(|w| fold_word(w)).collect(),
            history: self.history,
            #[cfg(feature = "zxcvbn")]
            min_zxcvbn_score: self.min_zxcvbn_score,
        })
    }
}

impl From<PasswordPolicy> for PasswordPolicyBuilder {
    fn from(p: PasswordPolicy) -> Self {
        Self {
            min_length: p.min_length,
            max_length: p.max_length,
            min_digits: p.min_digits,
            min_lowercase: p.min_lowercase,
            min_uppercase: p.min_uppercase,
            min_special: p.min_special,
            pattern: p.pattern.map(|r| r.as_str().to_owned()),
            blocklist: p.blocklist,
            context_words: p.context_words,
            service_words: p.service_words,
            history: p.history,
            #[cfg(feature = "zxcvbn")]
            min_zxcvbn_score: p.min_zxcvbn_score,
        }
    }
}

impl TryFrom<PasswordPolicyBuilder> for PasswordPolicy {
    type Error = Error;
    fn try_from(b: PasswordPolicyBuilder) -> Result<Self, Error> {
        b.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_nist() {
        let p = PasswordPolicy::default();
        assert_eq!((p.min_length(), p.max_length()), (8, 128));
        assert!(p.blocklist() && p.context_words());
        assert_eq!(
            p.min_digits() + p.min_lowercase() + p.min_uppercase() + p.min_special(),
            0
        );
        assert_eq!(p.history(), 0);
        assert_eq!(PasswordPolicy::password_only().min_length(), 15);
        assert!(PasswordPolicyBuilder::new().build().is_ok());
    }

    #[test]
    fn bounds_are_enforced() {
        assert!(PasswordPolicy::builder().min_length(7).build().is_err());
        assert!(PasswordPolicy::builder().max_length(63).build().is_err());
        assert!(PasswordPolicy::builder().max_length(64).build().is_ok());
        assert!(PasswordPolicy::builder().max_length(1025).build().is_err());
        assert!(PasswordPolicy::builder().min_length(129).build().is_err());
        assert!(PasswordPolicy::builder().history(25).build().is_err());
        assert!(PasswordPolicy::builder().history(24).build().is_ok());
        assert!(
            PasswordPolicy::builder()
                .min_digits(usize::MAX)
                .min_special(2)
                .build()
                .is_err()
        );
        assert_eq!(
            PasswordPolicy::builder().pattern("(").build().err(),
            Some(Error::InvalidPattern)
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_round_trip_validates() {
        let policy = PasswordPolicy::builder()
            .min_length(12)
            .pattern("^[^x]*$")
            .build()
            .unwrap_or_default();
        let json = serde_json::to_string(&policy).unwrap_or_default();
        let back: PasswordPolicy = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back.min_length(), 12);
        assert_eq!(back.pattern(), Some("^[^x]*$"));
        assert!(serde_json::from_str::<PasswordPolicy>(r#"{"min_length": 4}"#).is_err());
        assert!(serde_json::from_str::<PasswordPolicy>(r#"{"typo": 4}"#).is_err());
        let partial: PasswordPolicy = serde_json::from_str(r#"{"history": 5}"#).unwrap_or_default();
        assert_eq!(partial.history(), 5);
    }
}
