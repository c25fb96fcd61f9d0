//! One-time codes sent by email or SMS.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Result};

/// Fewest digits in an email/SMS code.
pub const MIN_CODE_DIGITS: u8 = 6;
/// Most digits in an email/SMS code.
pub const MAX_CODE_DIGITS: u8 = 10;
/// Longest typed input considered, separators included.
pub const MAX_CODE_INPUT_LEN: usize = 64;

/// A one-time code: 6 to 10 decimal digits.
///
/// Zeroized on drop; `Debug` prints a redaction; read it with [`OneTimeCode::expose`]
/// only to put it into the message.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// A fresh code of `digits` uniformly random digits from the operating system's
    /// CSPRNG.
    pub(crate) fn generate(digits: u8) -> Result<Self> {
        let s = crate::codes::secret::random_symbols(b"0123456789", usize::from(digits))?;
        Ok(Self(s.as_str().to_owned()))
    }

    /// Parses what a person typed: spaces and dashes are ignored, the rest must be 6 to
    /// 10 ASCII digits.
    ///
    /// # Errors
    /// [`Error::InvalidCode`] saying what is wrong (never echoing the input); never panics.
    pub fn parse(input: &str) -> Result<Self> {
        if input.len() > MAX_CODE_INPUT_LEN {
            return Err(Error::InvalidCode("it is too long"));
        }
        let digits: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\t'))
            .collect();
        let code = Self(digits);
        if !code.0.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidCode("a code has digits only"));
        }
        let n = code.0.len();
        if n < usize::from(MIN_CODE_DIGITS) || n > usize::from(MAX_CODE_DIGITS) {
            return Err(Error::InvalidCode("a code has 6 to 10 digits"));
        }
        Ok(code)
    }

    /// The digits, to put into the message sent to the person.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn input_of_up_to_64_bytes_is_read() {
        assert_eq!(MAX_CODE_INPUT_LEN, 64);
        let at = format!("{:<64}", "123 456");
        assert_eq!(OneTimeCode::parse(&at).unwrap().expose(), "123456");
        let over = format!("{:<65}", "123 456");
        assert!(matches!(
            OneTimeCode::parse(&over),
            Err(Error::InvalidCode("it is too long"))
        ));
    }

    #[test]
    fn parse_cases() {
        assert_eq!(OneTimeCode::parse(" 123 456 ").unwrap().expose(), "123456");
        assert_eq!(
            OneTimeCode::parse("123-456-7890").unwrap().expose(),
            "1234567890"
        );
        for bad in [
            "",
            "12345",
            "12345678901",
            "12345a",
            "１２３４５６",
            "123.456",
        ] {
            assert!(OneTimeCode::parse(bad).is_err(), "{bad}");
        }
        let e = OneTimeCode::parse("98765x").unwrap_err().to_string();
        assert!(!e.contains("98765"), "{e}");
        assert_eq!(
            format!("{:?}", OneTimeCode::parse("123456").unwrap()),
            "OneTimeCode(<redacted>)"
        );
    }

    #[test]
    fn generated_codes_have_the_asked_length() {
        for d in MIN_CODE_DIGITS..=MAX_CODE_DIGITS {
            let c = OneTimeCode::generate(d).unwrap();
            assert_eq!(c.expose().len(), usize::from(d));
            assert_eq!(OneTimeCode::parse(c.expose()).unwrap().expose(), c.expose());
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = OneTimeCode::parse(&s);
        }

        #[test]
        fn parse_round_trips(d in "[0-9]{6,10}") {
            let code = OneTimeCode::parse(&d).unwrap();
            prop_assert_eq!(code.expose(), d.as_str());
        }
    }
}
