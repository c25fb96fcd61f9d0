//! What a password breaks, with stable codes for programs and messages for people.

use core::fmt;

/// One rule a password breaks.
///
/// Each variant has a stable snake_case [`code`](Violation::code) for programs (translations,
/// form field errors), its limits as [`params`](Violation::params), and an English
/// [`message`](Violation::message) fit to show the person choosing the password. None of them
/// carries the password or the part of it that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// Fewer code points than the minimum (after NFKC normalisation).
    TooShort {
        /// The minimum length.
        min: usize,
    },
    /// More code points than the maximum, or more bytes than can be hashed.
    TooLong {
        /// The maximum length.
        max: usize,
    },
    /// Contains a control character (Unicode category Cc), which cannot be typed reliably.
    InvalidCharacter,
    /// Fewer digits than the organisation requires.
    MissingDigit {
        /// The minimum count.
        min: usize,
    },
    /// Fewer lowercase letters than the organisation requires.
    MissingLowercase {
        /// The minimum count.
        min: usize,
    },
    /// Fewer uppercase letters than the organisation requires.
    MissingUppercase {
        /// The minimum count.
        min: usize,
    },
    /// Fewer special characters (neither letter nor digit) than the organisation requires.
    MissingSpecial {
        /// The minimum count.
        min: usize,
    },
    /// Does not match the organisation's regular expression.
    PatternMismatch,
    /// Appears on a list of common or breached passwords.
    Blocklisted,
    /// Is wholly one character or short unit repeated (`aaaaaaaa`, `abcabcabc`).
    Repeated,
    /// Is wholly one run of consecutive characters (`12345678`, `abcdefgh`, `87654321`).
    Sequential,
    /// Is wholly one run along a keyboard row (`qwertyui`, `asdfghjkl`).
    KeyboardRun,
    /// Equals or contains the account's username.
    ContainsUsername,
    /// Equals or contains the local part of the account's email address.
    ContainsEmail,
    /// Equals or contains the name of the service or another configured word.
    ContainsServiceWord,
    /// Equals the account's current password.
    SameAsCurrent,
    /// Equals one of the account's recent passwords.
    Reused {
        /// How many previous passwords are remembered.
        history: usize,
    },
    /// The confirmation differs from the new password.
    ConfirmationMismatch,
    /// The zxcvbn strength estimate is below the minimum score.
    TooWeak {
        /// The minimum zxcvbn score, 0 to 4.
        min_score: usize,
    },
}

impl Violation {
    /// The stable snake_case code, e.g. `too_short`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::InvalidCharacter => "invalid_character",
            Self::MissingDigit { .. } => "missing_digit",
            Self::MissingLowercase { .. } => "missing_lowercase",
            Self::MissingUppercase { .. } => "missing_uppercase",
            Self::MissingSpecial { .. } => "missing_special",
            Self::PatternMismatch => "pattern_mismatch",
            Self::Blocklisted => "blocklisted",
            Self::Repeated => "repeated",
            Self::Sequential => "sequential",
            Self::KeyboardRun => "keyboard_run",
            Self::ContainsUsername => "contains_username",
            Self::ContainsEmail => "contains_email",
            Self::ContainsServiceWord => "contains_service_word",
            Self::SameAsCurrent => "same_as_current",
            Self::Reused { .. } => "reused",
            Self::ConfirmationMismatch => "confirmation_mismatch",
            Self::TooWeak { .. } => "too_weak",
        }
    }

    /// The limits this rule was checked against, as `(name, value)` pairs: `[("min", 8)]`
    /// for `too_short`, nothing for rules without a limit.
    #[must_use]
    pub fn params(&self) -> Vec<(&'static str, usize)> {
        match *self {
            Self::TooShort { min }
            | Self::MissingDigit { min }
            | Self::MissingLowercase { min }
            | Self::MissingUppercase { min }
            | Self::MissingSpecial { min } => vec![("min", min)],
            Self::TooLong { max } => vec![("max", max)],
            Self::Reused { history } => vec![("history", history)],
            Self::TooWeak { min_score } => vec![("min_score", min_score)],
            _ => Vec::new(),
        }
    }

    /// An English sentence for the person choosing the password.
    #[must_use]
    pub fn message(&self) -> String {
        match *self {
            Self::TooShort { min } => format!("Use at least {min} characters."),
            Self::TooLong { max } => format!("Use at most {max} characters."),
            Self::InvalidCharacter => {
                "Remove control characters such as tabs or line breaks.".into()
            }
            Self::MissingDigit { min } => {
                format!("Include at least {min} {}.", plural(min, "digit"))
            }
            Self::MissingLowercase { min } => {
                format!(
                    "Include at least {min} lowercase {}.",
                    plural(min, "letter")
                )
            }
            Self::MissingUppercase { min } => {
                format!(
                    "Include at least {min} uppercase {}.",
                    plural(min, "letter")
                )
            }
            Self::MissingSpecial { min } => format!(
                "Include at least {min} special {} (not a letter or digit).",
                plural(min, "character")
            ),
            Self::PatternMismatch => "The password does not meet your organisation's rules.".into(),
            Self::Blocklisted => {
                "This password is too common. Choose one that is harder to guess.".into()
            }
            Self::Repeated => "Avoid repeating the same characters.".into(),
            Self::Sequential => "Avoid sequences such as 12345678 or abcdefgh.".into(),
            Self::KeyboardRun => "Avoid rows of keys such as qwertyui.".into(),
            Self::ContainsUsername => "Do not use your username in the password.".into(),
            Self::ContainsEmail => "Do not use your email address in the password.".into(),
            Self::ContainsServiceWord => {
                "Do not use the name of this service in the password.".into()
            }
            Self::SameAsCurrent => "Choose a password different from your current one.".into(),
            Self::Reused { history } => format!(
                "Choose a password you have not used for your last {history} {}.",
                plural(history, "password")
            ),
            Self::ConfirmationMismatch => "The passwords do not match.".into(),
            Self::TooWeak { .. } => {
                "This password is too easy to guess. Add more words or characters.".into()
            }
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Violation {
    /// Serialises as `{"code": "too_short", "params": {"min": 8}, "message": "..."}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeStruct};

        struct Params<'a>(&'a [(&'static str, usize)]);
        impl serde::Serialize for Params<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (name, value) in self.0 {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }

        let params = self.params();
        let mut s = serializer.serialize_struct("Violation", 3)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("params", &Params(&params))?;
        s.serialize_field("message", &self.message())?;
        s.end()
    }
}

/// Every rule a password breaks, in a stable order (length first, history last).
///
/// Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub(crate) fn push(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    pub(crate) fn into_result(self) -> Result<(), Self> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The violations, in order.
    #[must_use]
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// Whether a violation with this code is present.
    #[must_use]
    pub fn contains_code(&self, code: &str) -> bool {
        self.0.iter().any(|v| v.code() == code)
    }

    /// The codes, in order.
    #[must_use]
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(Violation::code).collect()
    }

    /// How many rules were broken.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no rule was broken.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over the violations.
    pub fn iter(&self) -> core::slice::Iter<'_, Violation> {
        self.0.iter()
    }
}

impl IntoIterator for Violations {
    type Item = Violation;
    type IntoIter = std::vec::IntoIter<Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = core::slice::Iter<'a, Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for v in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(&v.message())?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_unique() {
        let all = [
            Violation::TooShort { min: 8 },
            Violation::TooLong { max: 64 },
            Violation::InvalidCharacter,
            Violation::MissingDigit { min: 1 },
            Violation::MissingLowercase { min: 1 },
            Violation::MissingUppercase { min: 1 },
            Violation::MissingSpecial { min: 1 },
            Violation::PatternMismatch,
            Violation::Blocklisted,
            Violation::Repeated,
            Violation::Sequential,
            Violation::KeyboardRun,
            Violation::ContainsUsername,
            Violation::ContainsEmail,
            Violation::ContainsServiceWord,
            Violation::SameAsCurrent,
            Violation::Reused { history: 5 },
            Violation::ConfirmationMismatch,
            Violation::TooWeak { min_score: 3 },
        ];
        let mut codes: Vec<_> = all.iter().map(Violation::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|v| v.message().ends_with('.')));
    }

    #[test]
    fn params_carry_the_limit() {
        assert_eq!(Violation::TooShort { min: 15 }.params(), vec![("min", 15)]);
        assert_eq!(
            Violation::TooShort { min: 15 }.message(),
            "Use at least 15 characters."
        );
        assert_eq!(
            Violation::MissingDigit { min: 1 }.message(),
            "Include at least 1 digit."
        );
        assert!(Violation::Blocklisted.params().is_empty());
        assert_eq!(Violation::TooLong { max: 64 }.params(), vec![("max", 64)]);
        assert_eq!(
            Violation::Reused { history: 24 }.params(),
            vec![("history", 24)]
        );
        assert_eq!(
            Violation::TooWeak { min_score: 3 }.params(),
            vec![("min_score", 3)]
        );
    }

    #[test]
    fn display_is_the_message() {
        let v = Violation::TooLong { max: 64 };
        assert_eq!(v.to_string(), "Use at most 64 characters.");
        assert_eq!(v.to_string(), v.message());
    }

    #[test]
    fn violations_count_iterate_and_display_in_order() {
        let mut all = Violations::default();
        assert!(all.is_empty());
        assert_eq!(all.len(), 0);
        all.push(Violation::TooShort { min: 8 });
        all.push(Violation::Blocklisted);
        assert!(!all.is_empty());
        assert_eq!(all.len(), 2);
        assert_eq!(all.codes(), vec!["too_short", "blocklisted"]);
        let borrowed: Vec<&str> = (&all).into_iter().map(Violation::code).collect();
        assert_eq!(borrowed, all.codes());
        assert_eq!(
            all.to_string(),
            "Use at least 8 characters. This password is too common. Choose one that is harder to guess."
        );
        let owned: Vec<Violation> = all.into_iter().collect();
        assert_eq!(
            owned,
            vec![Violation::TooShort { min: 8 }, Violation::Blocklisted]
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serialises_code_params_message() {
        let json = serde_json::to_value(Violation::TooShort { min: 8 }).unwrap_or_default();
        assert_eq!(json["code"], "too_short");
        assert_eq!(json["params"]["min"], 8);
        assert_eq!(json["message"], "Use at least 8 characters.");
        let mut all = Violations::default();
        all.push(Violation::Blocklisted);
        all.push(Violation::Reused { history: 5 });
        let json = serde_json::to_string(&all).unwrap_or_default();
        assert_eq!(
            json,
            r#"[{"code":"blocklisted","params":{},"message":"This password is too common. Choose one that is harder to guess."},{"code":"reused","params":{"history":5},"message":"Choose a password you have not used for your last 5 passwords."}]"#
        );
    }
}
