//! The password policy: NIST SP 800-63B defaults and the organisation's rules on top.

use regex::Regex;

use crate::context::fold_word;
use crate::{Error, Password, PasswordUse};

/// Lowest minimum length a policy accepts: NIST SP 800-63B-4 §3.1.1.2 requires at least 8.
pub const MIN_MIN_LENGTH: usize = 8;
/// Minimum length [`PasswordPolicy::DEFAULT`] applies in plain
/// [`validate`](PasswordPolicy::validate): the password-only rule, 15.
pub const DEFAULT_MIN_LENGTH: usize = PASSWORD_ONLY_MIN_LENGTH;
/// Default minimum length when the password is used with a second factor: NIST SP 800-63B-4
/// §3.1.1.2 asks for at least 8.
pub const DEFAULT_MIN_LENGTH_WITH_SECOND_FACTOR: usize = 8;
/// Default minimum length when the password is the only factor: NIST SP 800-63B-4 §3.1.1.2
/// asks for at least 15.
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
/// The defaults follow NIST SP 800-63B-4 §3.1.1.2: at least 15 code points when the password is
/// the only factor and 8 when it is used with a second factor, at most 128 (after NFKC, never
/// truncated), every printable character including spaces, no composition rules, the built-in
/// blocklist, and context words. Organisation rules (character classes, a regular expression,
/// history, a zxcvbn score) are off until set with the [builder](PasswordPolicy::builder).
///
/// # Length and the second factor
///
/// A policy holds both minimums ([`min_length_for`](PasswordPolicy::min_length_for)) and the
/// [`PasswordUse`] its own checks apply ([`for_use`](PasswordPolicy::for_use) makes a copy for
/// another use). Plain [`validate`](PasswordPolicy::validate) on a policy nobody narrowed
/// applies the password-only minimum, 15: a caller that does not say whether MFA is on gets
/// the rule that is safe either way. The only-factor minimum is never below the
/// with-second-factor one. An organisation that wants 8 for every account (the Amplify
/// default) says so with
/// [`min_length_everywhere(8)`](PasswordPolicyBuilder::min_length_everywhere); a plain
/// [`min_length`](PasswordPolicyBuilder::min_length) below 15 lowers only the
/// with-second-factor minimum. When MFA is turned off on an account, check
/// [`meets_min_length`](PasswordPolicy::meets_min_length) for [`PasswordUse::OnlyFactor`] (or
/// the record of it kept when the password was set) and require a new password if it fails.
///
/// ```
/// use tessera_password::{Context, Password, PasswordPolicy, PasswordUse};
///
/// let policy = PasswordPolicy::builder()
///     .min_length(12)
///     .service_word("tessera")
///     .history(5)
///     .build()?;
/// assert_eq!(policy.min_length_for(PasswordUse::OnlyFactor), 15);
/// assert_eq!(policy.min_length_for(PasswordUse::WithSecondFactor), 12);
/// let err = policy
///     .for_use(PasswordUse::WithSecondFactor)
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
    pub(crate) min_length_only_factor: usize,
    pub(crate) min_length_with_second_factor: usize,
    pub(crate) password_use: PasswordUse,
    pub(crate) max_length: usize,
    pub(crate) min_digits: usize,
    pub(crate) min_lowercase: usize,
    pub(crate) min_uppercase: usize,
    pub(crate) min_special: usize,
    pub(crate) pattern: Option<Regex>,
    pub(crate) blocklist: bool,
    pub(crate) context_words: bool,
    pub(crate) service_words: Vec<String>,
    /// `service_words` in the form context words are compared in (NFKC, look-alike skeleton,
    /// lowercase, trimmed), computed once at build time.
    pub(crate) service_words_folded: Vec<String>,
    pub(crate) history: usize,
    #[cfg(feature = "zxcvbn")]
    pub(crate) min_zxcvbn_score: Option<u8>,
}

impl PasswordPolicy {
    /// NIST SP 800-63B-4 defaults: at least 15 code points for a password that is the only
    /// factor (what plain [`validate`](PasswordPolicy::validate) applies) and 8 with a second
    /// factor, at most 128, blocklist and context words on, no composition rules, no history.
    pub const DEFAULT: Self = Self {
        min_length_only_factor: PASSWORD_ONLY_MIN_LENGTH,
        min_length_with_second_factor: DEFAULT_MIN_LENGTH_WITH_SECOND_FACTOR,
        password_use: PasswordUse::OnlyFactor,
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

    /// The preset for accounts where the password is the only factor: the same as
    /// [`DEFAULT`], whose own checks already apply the 15-code-point minimum (NIST SP
    /// 800-63B-4 §3.1.1.2). Kept so code written against it keeps its meaning.
    ///
    /// [`DEFAULT`]: PasswordPolicy::DEFAULT
    pub const PASSWORD_ONLY: Self = Self::DEFAULT;

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

    /// Minimum length in code points that this policy's own checks apply: the minimum for its
    /// [`password_use`](PasswordPolicy::password_use) (the password-only minimum unless
    /// narrowed with [`for_use`](PasswordPolicy::for_use)).
    #[must_use]
    pub const fn min_length(&self) -> usize {
        self.min_length_for(self.password_use)
    }

    /// Minimum length in code points for a password used this way: 15 and 8 by default (NIST
    /// SP 800-63B-4 §3.1.1.2).
    #[must_use]
    pub const fn min_length_for(&self, use_: PasswordUse) -> usize {
        match use_ {
            PasswordUse::WithSecondFactor => self.min_length_with_second_factor,
            PasswordUse::OnlyFactor => self.min_length_only_factor,
        }
    }

    /// The use whose minimum length this policy's own checks apply.
    #[must_use]
    pub const fn password_use(&self) -> PasswordUse {
        self.password_use
    }

    /// A copy of this policy whose checks ([`validate`](PasswordPolicy::validate),
    /// [`validate_with`](PasswordPolicy::validate_with),
    /// [`validate_change`](PasswordPolicy::validate_change)) apply the minimum length for
    /// `use_`; every other rule is the same.
    ///
    /// ```
    /// use tessera_password::{Context, Password, PasswordPolicy, PasswordUse};
    ///
    /// let policy = PasswordPolicy::default();
    /// let password = Password::new("violet ink");
    /// assert!(policy.validate(&password, &Context::new()).is_err()); // 10 < 15
    /// let with_mfa = policy.for_use(PasswordUse::WithSecondFactor);
    /// assert!(with_mfa.validate(&password, &Context::new()).is_ok()); // 10 >= 8
    /// ```
    #[must_use]
    pub fn for_use(&self, use_: PasswordUse) -> Self {
        Self {
            password_use: use_,
            ..self.clone()
        }
    }

    /// Whether `password` is long enough for `use_`, counted exactly as validation counts it
    /// (code points after NFKC, invisible characters not counted).
    ///
    /// Record this for [`PasswordUse::OnlyFactor`] when a password is set on an account with
    /// MFA on: if it is false, turning MFA off must require a new password first.
    #[must_use]
    pub fn meets_min_length(&self, password: &Password, use_: PasswordUse) -> bool {
        // Over the byte bound validation reports `too_long` only: such a password holds more
        // code points than any minimum.
        password.len_bytes() > crate::MAX_PASSWORD_BYTES
            || crate::normalized_len(password.expose()) >= self.min_length_for(use_)
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
    /// The floor for every use (and the with-second-factor minimum).
    min_length: usize,
    /// The password-only minimum when set explicitly; otherwise the larger of `min_length` and
    /// [`PASSWORD_ONLY_MIN_LENGTH`].
    min_length_only_factor: Option<usize>,
    password_use: PasswordUse,
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

    /// Minimum length in code points for every use, from [`MIN_MIN_LENGTH`] to the maximum
    /// length. The password-only minimum stays at least [`PASSWORD_ONLY_MIN_LENGTH`] unless
    /// set with [`min_length_only_factor`](Self::min_length_only_factor) or
    /// [`min_length_everywhere`](Self::min_length_everywhere): `min_length(8)` read from an
    /// old configuration file does not quietly give password-only accounts 8.
    pub fn min_length(&mut self, n: usize) -> &mut Self {
        self.min_length = n;
        self
    }

    /// Minimum length in code points when the password is the only factor; at least the
    /// [`min_length`](Self::min_length) and [`MIN_MIN_LENGTH`].
    pub fn min_length_only_factor(&mut self, n: usize) -> &mut Self {
        self.min_length_only_factor = Some(n);
        self
    }

    /// The same minimum for every use, password-only accounts included: the explicit way an
    /// organisation accepts 8 everywhere (the Amplify default), below NIST SP 800-63B-4's 15 for
    /// a password that is the only factor.
    pub fn min_length_everywhere(&mut self, n: usize) -> &mut Self {
        self.min_length = n;
        self.min_length_only_factor = Some(n);
        self
    }

    /// The use whose minimum the built policy's own checks apply (default
    /// [`PasswordUse::OnlyFactor`]); see [`PasswordPolicy::for_use`].
    pub fn password_use(&mut self, use_: PasswordUse) -> &mut Self {
        self.password_use = use_;
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
        let only_factor = self.only_factor_min();
        if !(self.min_length..=self.max_length).contains(&only_factor) {
            return Err(Error::InvalidPolicy(
                "min_length_only_factor must be between min_length and max_length",
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
            min_length_only_factor: only_factor,
            min_length_with_second_factor: self.min_length,
            password_use: self.password_use,
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

impl PasswordPolicyBuilder {
    fn only_factor_min(&self) -> usize {
        self.min_length_only_factor
            .unwrap_or(self.min_length.max(PASSWORD_ONLY_MIN_LENGTH))
    }
}

impl From<PasswordPolicy> for PasswordPolicyBuilder {
    fn from(p: PasswordPolicy) -> Self {
        let implied = p
            .min_length_with_second_factor
            .max(PASSWORD_ONLY_MIN_LENGTH);
        Self {
            // Only an explicit choice is written out, so a serialised default stays minimal.
            min_length_only_factor: (p.min_length_only_factor != implied)
                .then_some(p.min_length_only_factor),
            password_use: p.password_use,
            min_length: p.min_length_with_second_factor,
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
        assert_eq!((p.min_length(), p.max_length()), (15, 128));
        assert_eq!(p.password_use(), PasswordUse::OnlyFactor);
        assert_eq!(p.min_length_for(PasswordUse::OnlyFactor), 15);
        assert_eq!(p.min_length_for(PasswordUse::WithSecondFactor), 8);
        let with_mfa = p.for_use(PasswordUse::WithSecondFactor);
        assert_eq!(with_mfa.min_length(), 8);
        assert_eq!(with_mfa.password_use(), PasswordUse::WithSecondFactor);
        assert_eq!(with_mfa.for_use(PasswordUse::OnlyFactor).min_length(), 15);
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
    fn getters_return_what_was_set() {
        let p = PasswordPolicy::builder()
            .min_digits(1)
            .min_lowercase(2)
            .min_uppercase(3)
            .min_special(4)
            .blocklist(false)
            .context_words(false)
            .service_word("acme")
            .pattern("^[a-z ]+$")
            .history(5)
            .build()
            .unwrap();
        assert_eq!(
            (
                p.min_digits(),
                p.min_lowercase(),
                p.min_uppercase(),
                p.min_special()
            ),
            (1, 2, 3, 4)
        );
        assert!(!p.blocklist() && !p.context_words());
        assert_eq!(p.service_words(), ["acme"]);
        assert_eq!(p.pattern(), Some("^[a-z ]+$"));
        assert_eq!(p.history(), 5);
        assert_eq!(PasswordPolicyBuilder::default(), PasswordPolicy::builder());
        #[cfg(feature = "zxcvbn")]
        {
            assert_eq!(PasswordPolicy::DEFAULT.min_zxcvbn_score(), None);
            let scored = PasswordPolicy::builder()
                .min_zxcvbn_score(3)
                .build()
                .unwrap();
            assert_eq!(scored.min_zxcvbn_score(), Some(3));
        }
    }

    /// Every bound of the builder, just inside and just outside, with its message.
    #[test]
    fn every_bound_is_exact() {
        fn check(b: &mut PasswordPolicyBuilder) -> Result<(), &'static str> {
            match b.build() {
                Ok(_) => Ok(()),
                Err(Error::InvalidPolicy(why)) => Err(why),
                Err(other) => panic!("{other:?}"),
            }
        }
        let b = PasswordPolicy::builder;
        let max = "max_length must be between 64 and 1024";
        assert_eq!(check(b().max_length(64)), Ok(()));
        assert_eq!(check(b().max_length(63)), Err(max));
        assert_eq!(check(b().max_length(1024)), Ok(()));
        assert_eq!(check(b().max_length(1025)), Err(max));
        let min = "min_length must be between 8 and max_length";
        assert_eq!(check(b().min_length(8)), Ok(()));
        assert_eq!(check(b().min_length(7)), Err(min));
        assert_eq!(check(b().max_length(64).min_length(64)), Ok(()));
        assert_eq!(check(b().max_length(64).min_length(65)), Err(min));
        let only = "min_length_only_factor must be between min_length and max_length";
        assert_eq!(check(b().min_length(9).min_length_only_factor(9)), Ok(()));
        assert_eq!(
            check(b().min_length(9).min_length_only_factor(8)),
            Err(only)
        );
        assert_eq!(check(b().min_length_only_factor(128)), Ok(()));
        assert_eq!(check(b().min_length_only_factor(129)), Err(only));
        let classes = "character class minimums must add up to at most max_length";
        assert_eq!(
            check(b().max_length(64).min_digits(60).min_special(4)),
            Ok(())
        );
        assert_eq!(
            check(b().max_length(64).min_digits(61).min_special(4)),
            Err(classes)
        );
        assert_eq!(check(b().max_length(64).min_lowercase(65)), Err(classes));
        assert_eq!(check(b().max_length(64).min_uppercase(65)), Err(classes));
        assert_eq!(check(b().history(24)), Ok(()));
        assert_eq!(check(b().history(25)), Err("history must be at most 24"));
        let mut words = b();
        for i in 0..64 {
            words.service_word(format!("word{i}"));
        }
        assert_eq!(check(&mut words), Ok(()));
        assert_eq!(
            check(words.service_word("one-too-many")),
            Err("at most 64 service words")
        );
        assert_eq!(check(b().service_word("w".repeat(1024))), Ok(()));
        assert_eq!(
            check(b().service_word("w".repeat(1025))),
            Err("service words must be at most 1024 bytes")
        );
        assert_eq!(check(b().pattern("a".repeat(1024))), Ok(()));
        assert_eq!(
            check(b().pattern("a".repeat(1025))),
            Err("pattern must be at most 1024 bytes")
        );
        #[cfg(feature = "zxcvbn")]
        {
            assert_eq!(check(b().min_zxcvbn_score(4)), Ok(()));
            assert_eq!(
                check(b().min_zxcvbn_score(5)),
                Err("min_zxcvbn_score must be between 0 and 4")
            );
        }
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
        assert_eq!(back.min_length_for(PasswordUse::WithSecondFactor), 12);
        assert_eq!(back.min_length(), 15);
        assert_eq!(back.pattern(), Some("^[^x]*$"));
        assert!(serde_json::from_str::<PasswordPolicy>(r#"{"min_length": 4}"#).is_err());
        assert!(serde_json::from_str::<PasswordPolicy>(r#"{"typo": 4}"#).is_err());
        let partial: PasswordPolicy = serde_json::from_str(r#"{"history": 5}"#).unwrap_or_default();
        assert_eq!(partial.history(), 5);
    }

    #[test]
    fn builder_length_options() {
        let min = |b: &mut PasswordPolicyBuilder| {
            b.build().map(|p| {
                (
                    p.min_length_for(PasswordUse::OnlyFactor),
                    p.min_length_for(PasswordUse::WithSecondFactor),
                )
            })
        };
        assert_eq!(min(&mut PasswordPolicy::builder()), Ok((15, 8)));
        // A plain minimum below 15 does not lower the password-only rule...
        assert_eq!(min(PasswordPolicy::builder().min_length(8)), Ok((15, 8)));
        assert_eq!(min(PasswordPolicy::builder().min_length(12)), Ok((15, 12)));
        assert_eq!(min(PasswordPolicy::builder().min_length(20)), Ok((20, 20)));
        // ...only the explicit choice does.
        assert_eq!(
            min(PasswordPolicy::builder().min_length_everywhere(8)),
            Ok((8, 8))
        );
        assert_eq!(
            min(PasswordPolicy::builder().min_length_only_factor(20)),
            Ok((20, 8))
        );
        assert_eq!(
            min(PasswordPolicy::builder()
                .min_length(10)
                .min_length_only_factor(12)),
            Ok((12, 10))
        );
        // The password-only minimum is never below the with-second-factor one.
        assert!(
            PasswordPolicy::builder()
                .min_length(12)
                .min_length_only_factor(10)
                .build()
                .is_err()
        );
        assert!(
            PasswordPolicy::builder()
                .min_length_everywhere(7)
                .build()
                .is_err()
        );
        assert!(
            PasswordPolicy::builder()
                .min_length_only_factor(129)
                .build()
                .is_err()
        );
        let narrowed = PasswordPolicy::builder()
            .password_use(PasswordUse::WithSecondFactor)
            .build()
            .map(|p| p.min_length());
        assert_eq!(narrowed, Ok(8));
        // The builder round-trips through the policy.
        let everywhere = PasswordPolicy::builder()
            .min_length_everywhere(8)
            .build()
            .unwrap_or_default();
        let again = PasswordPolicyBuilder::from(everywhere).build();
        assert_eq!(again.map(|p| p.min_length()), Ok(8));
    }

    #[test]
    fn meets_min_length_counts_as_validation_does() {
        let p = PasswordPolicy::default();
        let fourteen = Password::new("fourteen chars");
        assert!(p.meets_min_length(&fourteen, PasswordUse::WithSecondFactor));
        assert!(!p.meets_min_length(&fourteen, PasswordUse::OnlyFactor));
        // Composed after NFKC: "cafe" + U+0301 is four code points.
        let decomposed = Password::new("cafe\u{301} cafe\u{301} cafe\u{301}");
        assert!(!p.meets_min_length(&decomposed, PasswordUse::OnlyFactor));
        assert!(p.meets_min_length(&Password::new("x".repeat(5000)), PasswordUse::OnlyFactor));
        // Invisible characters do not count, except past the byte bound, where validation
        // reports only `too_long`: both must agree on either side of the bound.
        let ctx = crate::Context::new();
        for (password, long_enough) in [
            (format!("x{}", "\u{200b}".repeat(1365)), false), // 4096 bytes, one counted
            (format!("xy{}", "\u{200b}".repeat(1365)), true), // 4097 bytes
            ("\u{200b}".repeat(2000), true),
        ] {
            let password = Password::new(password);
            assert_eq!(
                p.meets_min_length(&password, PasswordUse::OnlyFactor),
                long_enough
            );
            let too_short = p
                .validate(&password, &ctx)
                .is_err_and(|v| v.contains_code("too_short"));
            assert_eq!(too_short, !long_enough);
        }
    }
}
