//! `Code::parse` on any text, for every digit count: never panics, and a code it
//! accepts has exactly the digits asked for and reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_otp::Code;

fuzz_target!(|input: &str| {
    // 0..=12 covers the valid 6..=10 and the refused counts on either side.
    for digits in 0..=12u8 {
        if let Ok(code) = Code::parse(input, digits) {
            assert!((6..=10).contains(&digits), "accepted {digits} digits");
            assert_eq!(usize::from(code.len()), code.expose().len());
            assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
            assert!(Code::parse(code.expose(), digits).is_ok_and(|again| again == code));
        }
    }
});
