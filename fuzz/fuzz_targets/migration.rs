//! Google Authenticator export import: protobuf payload bytes, or (when the input is an
//! `otpauth-migration://` URI) the whole URI. Never panics, and every imported account
//! survives a round trip through its otpauth:// Key URI.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_otp::{KeyUri, MigrationPayload, parse_migration_uri};

fuzz_target!(|data: &[u8]| {
    let accounts = match std::str::from_utf8(data) {
        Ok(text) if text.trim_start().starts_with("otpauth-migration:") => {
            parse_migration_uri(text).unwrap_or_default()
        }
        _ => MigrationPayload::decode(data)
            .map(MigrationPayload::into_accounts)
            .unwrap_or_default(),
    };
    for account in accounts {
        let uri = account.to_uri();
        assert!(
            KeyUri::parse(&uri).is_ok_and(|again| again == account),
            "account did not round-trip"
        );
    }
});
