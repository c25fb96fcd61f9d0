//! tessera-registry's parsers of outside input: device ids (from URLs and forms), device
//! names (typed by people), and the stored JSON document of a user's devices a `DeviceStore` hands back
//! (validated field by field, TOTP seeds as sealed `tsk1.…` text). Never panics; what
//! is accepted prints back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_registry::{Device, DeviceId, DeviceName};

fuzz_target!(|input: &str| {
    if let Ok(id) = DeviceId::parse(input) {
        assert!(DeviceId::parse(&id.to_string()).is_ok_and(|again| again == id));
    }
    if let Ok(name) = DeviceName::new(input) {
        assert!(DeviceName::new(name.as_str()).is_ok_and(|again| again == name));
    }
    if let Ok(doc) = serde_json::from_str::<Vec<Device>>(input) {
        let json = serde_json::to_string(&doc).unwrap_or_default();
        let again: Option<Vec<Device>> = serde_json::from_str(&json).ok();
        // The sealed seeds (and every other field) read back equal and print the same.
        assert!(again.is_some_and(|a| a == doc
            && serde_json::to_string(&a).unwrap_or_default() == json));
    }
});
