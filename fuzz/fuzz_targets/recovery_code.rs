//! The recovery-code parser on any text: never panics, and an accepted code prints in
//! groups (`ABCD-EFGH-…`) that parse back to the same code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_mfa::{RECOVERY_CODE_LEN, RecoveryCode};

fuzz_target!(|input: &str| {
    if let Ok(code) = RecoveryCode::parse(input) {
        let printed = code.formatted();
        assert_eq!(printed.len(), RECOVERY_CODE_LEN + RECOVERY_CODE_LEN / 4 - 1);
        assert!(RecoveryCode::parse(&printed).is_ok_and(|again| again == code));
    }
});
