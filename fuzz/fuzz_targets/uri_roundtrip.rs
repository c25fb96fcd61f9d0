//! otpauth:// Key URIs: parse → format → parse must give the same key, and formatting
//! is stable (the canonical URI formats to itself).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_otp::KeyUri;

fuzz_target!(|input: &str| {
    if let Ok(key) = KeyUri::parse(input) {
        let uri = key.to_uri();
        let again = KeyUri::parse(&uri);
        assert!(again.is_ok(), "canonical URI refused: {:?}", again.err());
        if let Ok(again) = again {
            assert!(again == key, "round trip changed the key");
            assert_eq!(again.to_uri(), uri);
        }
    }
});
