//! Sealed values as a store hands them back (possibly tampered with): the text form
//! parses or is refused, never panics, prints back to itself, and opening it with a
//! keyring either gives the secret or one clear error. A keyring's own text is parsed
//! the same way.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_keyring::{Binding, Error, Keyring, Sealed};

fn ring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(|| {
        Keyring::parse("ephemeral=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
            .expect("a fixed keyring parses")
    })
}

fuzz_target!(|input: &str| {
    if let Ok(sealed) = Sealed::parse(input) {
        assert_eq!(sealed.to_string(), input);
        let binding = Binding::new("tessera-registry/totp-seed")
            .owner(b"user")
            .owner(b"device");
        match ring().open(&binding, &sealed) {
            Ok(_) | Err(Error::OpenFailed | Error::UnknownKey(_)) => {}
            Err(other) => panic!("unexpected error opening a sealed value: {other}"),
        }
    }
    let _ = Keyring::parse(input);
});
