//! One-time codes: as computed, and as typed by people.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;
use crate::params::{MAX_DIGITS, MIN_DIGITS};

/// A one-time code of 6 to 10 decimal digits, leading zeros kept.
///
/// Made by [`Code::parse`] from what a person typed, or by generation. Zeroized on drop;
/// `Debug` redacts it; comparison is constant time. [`expose`](Code::expose) gives the
/// digits for display to their owner.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Code {
    value: u64,
    /// The digits in ASCII in `text[..len]`, zeros after, and the length in the last byte
    /// ([`LEN_AT`]): two whole words, so a code is written and moved without narrow
    /// stores that a wide load would have to wait for (it is moved on every sign-in).
    text: [u8; TEXT_LEN],
}

/// Bytes in a code's text array: the digits, then the length at [`LEN_AT`].
const TEXT_LEN: usize = 16;
/// Where the length sits in a code's text array.
const LEN_AT: usize = TEXT_LEN - 1;

impl Code {
    /// Bytes of input looked at before giving up: generous for spaces and full-width
    /// digits (three bytes each), small enough that hostile input costs nothing.
    pub const MAX_INPUT_LEN: usize = 64;

    /// Parses a code as a person types it, expecting exactly `digits` digits.
    ///
    /// Accepts ASCII, full-width (`０`–`９`) and Arabic-Indic digits; ignores whitespace
    /// (including non-breaking and ideographic spaces) and hyphens or dashes anywhere, so
    /// `"123456"`, `"123 456"`, `"123-456"` and `" １２３４５６ "` all read the same.
    ///
    /// ```
    /// use tessera_otp::Code;
    /// assert_eq!(Code::parse("012 345", 6)?.expose(), "012345");
    /// assert!(Code::parse("12345", 6).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidDigits`] unless `digits` is from 6 to 10; [`Error::CodeTooLong`] past [`MAX_INPUT_LEN`](Self::MAX_INPUT_LEN) bytes,
    /// [`Error::CodeNotDigits`] for letters or other symbols, [`Error::EmptyCode`], and
    /// [`Error::CodeLength`] when the digit count differs from `digits`.
    #[inline]
    pub fn parse(input: &str, digits: u8) -> Result<Self, Error> {
        // The common case, exactly the digits and nothing else, is inlined into the
        // caller (it runs before every verification); anything else takes the full path.
        match Self::parse_plain(input.as_bytes(), digits) {
            Some(code) => Ok(code),
            None => Self::parse_typed(input, digits),
        }
    }

    /// `bytes` as a code if it is exactly `digits` ASCII digits and `digits` is allowed:
    /// one pass checks, copies and sums.
    #[inline]
    fn parse_plain(bytes: &[u8], digits: u8) -> Option<Self> {
        if bytes.len() != usize::from(digits) || !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            return None;
        }
        // The text is gathered in two registers and stored whole: stored a byte at a
        // time, the first wide read of it (moving the code) waits for all the bytes to
        // reach the cache instead of being forwarded from the stores.
        let (mut low, mut high) = (0u64, 0u16);
        let mut value = 0u64;
        let mut all_digits = true;
        for (i, &b) in bytes.iter().enumerate() {
            let d = b.wrapping_sub(b'0');
            all_digits &= d < 10;
            value = value * 10 + u64::from(d);
            if i < 8 {
                low |= u64::from(b) << (8 * i);
            } else {
                high |= u16::from(b) << (8 * (i - 8));
            }
        }
        if !all_digits {
            low.zeroize();
            high.zeroize();
            return None;
        }
        let high = u64::from(high) | (u64::from(digits) << (8 * (LEN_AT - 8)));
        let mut text = [0u8; TEXT_LEN];
        let (first, rest) = text.split_at_mut(8);
        first.copy_from_slice(&low.to_le_bytes());
        rest.copy_from_slice(&high.to_le_bytes());
        Some(Self { value, text })
    }

    /// The full parse: separators, non-ASCII digits and every error.
    fn parse_typed(input: &str, digits: u8) -> Result<Self, Error> {
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            return Err(Error::InvalidDigits(u32::from(digits)));
        }
        if input.len() > Self::MAX_INPUT_LEN {
            return Err(Error::CodeTooLong);
        }
        let mut text = [0u8; TEXT_LEN];
        let mut found = 0usize;
        for ch in input.chars() {
            let Some(d) = digit_value(ch) else {
                if is_separator(ch) {
                    continue;
                }
                return Err(Error::CodeNotDigits);
            };
            if let Some(slot) = text[..usize::from(MAX_DIGITS)].get_mut(found) {
                *slot = b'0' + d;
            }
            found += 1;
        }
        if found == 0 {
            return Err(Error::EmptyCode);
        }
        if found != usize::from(digits) {
            text.zeroize();
            return Err(Error::CodeLength {
                expected: digits,
                found,
            });
        }
        let value = text[..found]
            .iter()
            .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
        text[LEN_AT] = digits;
        Ok(Self { value, text })
    }

    /// A code from its numeric value, zero-padded to `len` digits. `len` is at most 10
    /// and `value < 10^len`, as generation guarantees.
    pub(crate) fn from_value(value: u64, len: u8) -> Self {
        let mut text = [0u8; TEXT_LEN];
        let mut v = value;
        for slot in text[..usize::from(len)].iter_mut().rev() {
            // v % 10 < 10 always fits a u8.
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        text[LEN_AT] = len;
        Self { value, text }
    }

    /// The digits, for showing the code to its owner. Never log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        // Only ASCII digits are ever stored, so this cannot fail.
        std::str::from_utf8(&self.text[..usize::from(self.len())]).unwrap_or_default()
    }

    /// Number of digits.
    #[must_use]
    pub const fn len(&self) -> u8 {
        self.text[LEN_AT]
    }

    /// Always false: a code has 6 to 10 digits.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The code as a number, for constant-time comparison with a computed value.
    pub(crate) fn value(&self) -> u64 {
        self.value
    }
}

fn digit_value(ch: char) -> Option<u8> {
    let base = match ch {
        '0'..='9' => '0',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}', // full-width, from CJK input methods
        '\u{0660}'..='\u{0669}' => '\u{0660}', // Arabic-Indic
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}', // Extended Arabic-Indic (Persian, Urdu)
        _ => return None,
    };
    u8::try_from(u32::from(ch) - u32::from(base)).ok()
}

fn is_separator(ch: char) -> bool {
    ch.is_whitespace() || matches!(ch, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}')
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code([REDACTED; {} digits])", self.len())
    }
}

impl ConstantTimeEq for Code {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.value.ct_eq(&other.value) & self.len().ct_eq(&other.len())
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Code {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn people_type_codes_many_ways() {
        for input in [
            "123456",
            "123 456",
            "123-456",
            " 123456\n",
            "１２３４５６",
            "１２３　４５６",
            "\u{661}\u{662}\u{663}\u{664}\u{665}\u{666}",
            "12\u{a0}34\u{2013}56",
        ] {
            assert_eq!(
                Code::parse(input, 6).unwrap().expose(),
                "123456",
                "{input:?}"
            );
        }
        assert_eq!(Code::parse("000001", 6).unwrap().expose(), "000001");
        assert_eq!(Code::parse("0000000001", 10).unwrap().value(), 1);
    }

    #[test]
    fn bad_codes_are_refused_clearly() {
        assert_eq!(Code::parse("", 6).unwrap_err(), Error::EmptyCode);
        assert_eq!(Code::parse(" - ", 6).unwrap_err(), Error::EmptyCode);
        assert_eq!(
            Code::parse("12345", 6).unwrap_err(),
            Error::CodeLength {
                expected: 6,
                found: 5
            }
        );
        assert_eq!(
            Code::parse("1234567", 6).unwrap_err(),
            Error::CodeLength {
                expected: 6,
                found: 7
            }
        );
        assert_eq!(Code::parse("12345a", 6).unwrap_err(), Error::CodeNotDigits);
        assert_eq!(Code::parse("+123456", 6).unwrap_err(), Error::CodeNotDigits);
        assert_eq!(
            Code::parse(&"1".repeat(65), 6).unwrap_err(),
            Error::CodeTooLong
        );
        assert_eq!(
            Code::parse(&"1".repeat(30), 6).unwrap_err(),
            Error::CodeLength {
                expected: 6,
                found: 30
            }
        );
        assert!(Code::parse("12345678901", 11).is_err());
        // Found by the code_parse fuzz target: a digit count below 6 was accepted when
        // the input had exactly that many digits.
        assert_eq!(Code::parse("1234", 4).unwrap_err(), Error::InvalidDigits(4));
        assert_eq!(Code::parse("", 0).unwrap_err(), Error::InvalidDigits(0));
        assert_eq!(
            Code::parse("12345678901", 11).unwrap_err(),
            Error::InvalidDigits(11)
        );
        // Errors never carry the digits.
        let err = Code::parse("9876543", 6).unwrap_err().to_string();
        assert!(!err.contains("987"));
    }

    #[test]
    fn typed_codes_have_the_value_of_their_digits() {
        // The slow path (separators, non-ASCII digits) computes the value itself; it must
        // agree with the digits, or a typed code would never match the computed one.
        for (input, digits, value) in [
            ("987 654", 6, 987_654),
            ("０１２３４５", 6, 12_345),
            ("\u{6f9}\u{6f8}\u{6f7}-\u{6f6}\u{6f5}\u{6f4}", 6, 987_654),
            ("98 76 54 32 10", 10, 9_876_543_210),
            (" 1234567 ", 7, 1_234_567),
        ] {
            let code = Code::parse(input, digits).unwrap();
            assert_eq!(code.value(), value, "{input:?}");
            assert_eq!(code.len(), digits);
            assert!(code == Code::from_value(value, digits), "{input:?}");
        }
        // Digits just outside each accepted range are not digits.
        for ch in [
            '/', ':', '\u{FF0F}', '\u{FF1A}', '\u{65F}', '\u{66A}', '\u{6EF}', '\u{6FA}',
        ] {
            let input = format!("12345{ch}");
            assert_eq!(
                Code::parse(&input, 6).unwrap_err(),
                Error::CodeNotDigits,
                "{input:?}"
            );
        }
    }

    #[test]
    fn plain_input_is_only_ascii_digits() {
        // Exactly `digits` bytes takes the fast path: every byte must be a digit, and
        // the bytes just past '9' (':' is '0' + 10) or letters are not.
        for input in [
            "::::::",
            "12345:",
            "abcdef",
            "/12345",
            "\u{7f}\u{7f}\u{7f}\u{7f}\u{7f}\u{7f}",
        ] {
            assert_eq!(
                Code::parse(input, 6).unwrap_err(),
                Error::CodeNotDigits,
                "{input:?}"
            );
        }
        // All ten digits survive in order, the ninth and tenth included.
        for (input, digits) in [("1234567890", 10), ("987654321", 9), ("00000000", 8)] {
            let code = Code::parse(input, digits).unwrap();
            assert_eq!(code.expose(), input);
            assert_eq!(code.value(), input.parse::<u64>().unwrap());
        }
    }

    #[test]
    fn input_length_limit_is_inclusive() {
        let padded = format!("123456{}", " ".repeat(Code::MAX_INPUT_LEN - 6));
        assert_eq!(padded.len(), Code::MAX_INPUT_LEN);
        assert_eq!(Code::parse(&padded, 6).unwrap().value(), 123_456);
        let over = format!("{padded} ");
        assert_eq!(Code::parse(&over, 6).unwrap_err(), Error::CodeTooLong);
    }

    #[test]
    fn codes_differ_by_value_and_by_length() {
        let a = Code::parse("000123", 6).unwrap();
        assert!(a == Code::parse("000 123", 6).unwrap());
        assert!(a != Code::parse("000124", 6).unwrap());
        // Same value, different length: a 7-digit code is not the 6-digit one.
        assert!(a != Code::parse("0000123", 7).unwrap());
        assert!(!a.is_empty());
        assert_eq!(Code::from_value(42, 8).expose(), "00000042");
    }

    #[test]
    fn debug_is_redacted() {
        let code = Code::parse("654321", 6).unwrap();
        assert_eq!(format!("{code:?}"), "Code([REDACTED; 6 digits])");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,80}", digits in 0u8..=12) {
            if let Ok(code) = Code::parse(&s, digits) {
                prop_assert!((MIN_DIGITS..=MAX_DIGITS).contains(&digits));
                prop_assert_eq!(code.expose().len(), usize::from(digits));
            }
        }

        #[test]
        fn only_six_to_ten_digits_are_codes(n in 0usize..=12, d in 0u8..=9) {
            let digits = u8::try_from(n).unwrap();
            let text = char::from(b'0' + d).to_string().repeat(n);
            prop_assert_eq!(Code::parse(&text, digits).is_ok(), (6..=10).contains(&n));
        }

        #[test]
        fn value_round_trips(digits in 6u8..=10, raw in any::<u64>()) {
            let value = raw % 10u64.pow(u32::from(digits));
            let code = Code::from_value(value, digits);
            let parsed = Code::parse(code.expose(), digits).unwrap();
            prop_assert_eq!(parsed.value(), value);
            prop_assert!(parsed == code);
        }
    }
}
