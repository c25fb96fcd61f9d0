//! Registration and assertion JSON as it arrives from a browser: both parsers never
//! panic, what parses prints and parses back the same, and a registration's finish
//! refuses it (it cannot answer a fresh challenge) as a refusal.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tessera_webauthn::fuzz_responses(data));
