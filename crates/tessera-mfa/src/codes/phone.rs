//! Phone numbers in E.164 form.

use std::fmt;

use crate::{Error, Result};

/// Fewest digits after `+` accepted.
pub const MIN_PHONE_DIGITS: usize = 8;
/// Most digits after `+` accepted (the E.164 maximum).
pub const MAX_PHONE_DIGITS: usize = 15;
/// Longest raw input considered, separators included; longer input is refused unread.
pub const MAX_PHONE_INPUT_LEN: usize = 64;

/// A phone number in E.164 form: `+` then 8 to 15 digits, the first not `0`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses what a person typed: spaces, dashes and parentheses are removed, then the
    /// rest must be `+` followed by 8 to 15 digits, the first of which is not `0` (no
    /// country code starts with 0).
    ///
    /// # Errors
    /// [`Error::InvalidPhoneNumber`] saying what is wrong; never panics.
    ///
    /// ```
    /// let n = tessera_mfa::PhoneNumber::parse("+1 (415) 555-2671")?;
    /// assert_eq!(n.as_str(), "+14155552671");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self> {
        if input.len() > MAX_PHONE_INPUT_LEN {
            return Err(Error::InvalidPhoneNumber("it is too long"));
        }
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let Some(digits) = compact.strip_prefix('+') else {
            return Err(Error::InvalidPhoneNumber(
                "it must start with + and the country code (E.164)",
            ));
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidPhoneNumber(
                "only digits, spaces, dashes and parentheses may follow the +",
            ));
        }
        if !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len()) {
            return Err(Error::InvalidPhoneNumber(
                "it must have 8 to 15 digits after the +",
            ));
        }
        if digits.starts_with('0') {
            return Err(Error::InvalidPhoneNumber(
                "a country code never starts with 0",
            ));
        }
        Ok(Self(compact))
    }

    /// The number in E.164 form, e.g. `+14155552671`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the last two digits hidden, for messages and UIs.
    #[must_use]
    pub fn masked(&self) -> String {
        let n = self.0.len();
        let tail = self.0.get(n.saturating_sub(2)..).unwrap_or("");
        format!("+{}{tail}", "*".repeat(n.saturating_sub(3)))
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    /// Masked: phone numbers are personal data and have no business in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> Self {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn input_of_up_to_64_bytes_is_read_and_shown_plain_or_masked() {
        assert_eq!(MAX_PHONE_INPUT_LEN, 64);
        let at = format!("{:<64}", "+1 (415) 555-2671");
        let n = PhoneNumber::parse(&at).unwrap();
        assert_eq!(n.to_string(), "+14155552671");
        assert_eq!(format!("{n:?}"), "PhoneNumber(+*********71)");
        let over = format!("{:<65}", "+1 (415) 555-2671");
        assert!(matches!(
            PhoneNumber::parse(&over),
            Err(Error::InvalidPhoneNumber("it is too long"))
        ));
    }

    #[test]
    fn e164_cases() {
        for (input, want) in [
            ("+14155552671", "+14155552671"),
            ("+1 (415) 555-2671", "+14155552671"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+49-30-1234567", "+49301234567"),
            ("+12345678", "+12345678"), // 8 digits, the minimum
            ("+123456789012345", "+123456789012345"), // 15 digits, the maximum
        ] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), want, "{input}");
        }
        for bad in [
            "",
            "+",
            "4155552671",         // no +
            "00 44 20 7946 0958", // international prefix instead of +
            "+1234567",           // 7 digits
            "+1234567890123456",  // 16 digits
            "+1 415 555 2671 x12",
            "+1.415.555.2671", // dots are not among the separators removed
            "+044 20 7946 0958",
            "++14155552671",
            "+1415555267\u{0661}", // a non-ASCII digit
            "+14155552671 ",       // stays valid: trailing space removed
        ] {
            let r = PhoneNumber::parse(bad);
            if bad == "+14155552671 " {
                assert!(r.is_ok());
            } else {
                assert!(r.is_err(), "{bad:?} was accepted");
            }
        }
        let msg = PhoneNumber::parse("4155552671").unwrap_err().to_string();
        assert!(msg.contains("must start with +"), "{msg}");
    }

    #[test]
    fn masked_hides_digits() {
        let n = PhoneNumber::parse("+14155552671").unwrap();
        assert_eq!(n.masked(), "+*********71");
        assert!(!format!("{n:?}").contains("4155"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = PhoneNumber::parse(&s);
        }

        #[test]
        fn parse_accepts_formatted_valid_numbers_and_round_trips(
            first in 1u8..=9, rest in "[0-9]{7,14}", seps in proptest::collection::vec(0usize..4, 0..20)
        ) {
            let digits = format!("{first}{rest}");
            let mut formatted = String::from("+");
            for (i, d) in digits.chars().enumerate() {
                if let Some(s) = seps.get(i) {
                    formatted.push([' ', '-', '(', ')'][*s]);
                }
                formatted.push(d);
            }
            let n = PhoneNumber::parse(&formatted).unwrap();
            prop_assert_eq!(n.as_str(), format!("+{digits}"));
            prop_assert_eq!(PhoneNumber::parse(n.as_str()).unwrap(), n);
        }
    }
}
