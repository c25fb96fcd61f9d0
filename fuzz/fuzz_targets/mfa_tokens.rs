//! The other small parsers of tessera-mfa that read what people and browsers send:
//! email/SMS one-time codes, email addresses, challenge ids, remember-me tokens and
//! remembered-device ids. Never panics; what is accepted prints back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_mfa::{ChallengeId, EmailAddress, OneTimeCode, RememberToken, RememberedDeviceId};

fuzz_target!(|input: &str| {
    if let Ok(code) = OneTimeCode::parse(input) {
        assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        assert!(OneTimeCode::parse(code.expose()).is_ok());
    }
    if let Ok(email) = EmailAddress::parse(input) {
        assert!(EmailAddress::parse(email.as_str()).is_ok_and(|again| again == email));
        let _ = email.masked();
    }
    if let Ok(id) = ChallengeId::parse(input) {
        assert!(ChallengeId::parse(&id.to_string()).is_ok_and(|again| again == id));
    }
    if let Ok(token) = RememberToken::parse(input) {
        assert!(RememberToken::parse(&token.encode()).is_ok_and(|again| again == token));
    }
    if let Ok(id) = RememberedDeviceId::parse(input) {
        assert!(RememberedDeviceId::parse(&id.to_string()).is_ok_and(|again| again == id));
    }
});
