//! The E.164 phone number parser on any text: never panics, and what it accepts is
//! already canonical (`+` and 8 to 15 digits) and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_mfa::{MAX_PHONE_DIGITS, MIN_PHONE_DIGITS, PhoneNumber};

fuzz_target!(|input: &str| {
    if let Ok(number) = PhoneNumber::parse(input) {
        let digits = number.as_str().strip_prefix('+').unwrap_or_default();
        assert!((MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len()));
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert!(PhoneNumber::parse(number.as_str()).is_ok_and(|again| again == number));
        let _ = number.masked();
    }
});
