//! Sealing and opening, tampering, moving, rotation and retirement, through the public API.

// Helpers outside #[test] functions panic on purpose too: a panic is a failing test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tessera_keyring::{Binding, Error, Key, KeyId, Keyring, Sealed};

fn id(s: &str) -> KeyId {
    KeyId::parse(s).unwrap()
}

fn ring() -> Keyring {
    Keyring::new(id("k1"), Key::generate().unwrap())
}

fn seed_of(user: &'static [u8], device: &'static [u8]) -> Binding<'static> {
    Binding::new("totp-seed").owner(user).owner(device)
}

proptest! {
    /// Whatever the secret and the binding, it opens to itself, through the text form.
    #[test]
    fn seal_open_round_trip(
        secret in proptest::collection::vec(any::<u8>(), 0..128),
        purpose in "[a-z-]{1,20}",
        owners in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4),
    ) {
        let r = ring();
        let mut b = Binding::new(&purpose);
        for o in &owners {
            b = b.owner(o);
        }
        let sealed = r.seal(&b, &secret).unwrap();
        let text = sealed.to_string();
        prop_assert!(!text.is_empty());
        let back: Sealed = text.parse().unwrap();
        let opened = r.open(&b, &back).unwrap();
        prop_assert_eq!(opened.as_slice(), secret.as_slice());
    }

    /// Flipping any bit of the ciphertext or the nonce keeps it shut.
    #[test]
    fn any_flipped_bit_is_refused(bit in 0usize..(8 * (12 + 16 + 20))) {
        let r = ring();
        let b = seed_of(b"u1", b"d1");
        let text = r.seal(&b, b"twenty bytes of seed").unwrap().to_string();
        let parts: Vec<&str> = text.split('.').collect();
        let enc = data_encoding::BASE64URL_NOPAD;
        let mut nonce = enc.decode(parts[2].as_bytes()).unwrap();
        let mut ct = enc.decode(parts[3].as_bytes()).unwrap();
        let (buf, i) = if bit < 8 * 12 { (&mut nonce, bit) } else { (&mut ct, bit - 8 * 12) };
        buf[i / 8] ^= 1 << (i % 8);
        let tampered = format!("{}.{}.{}.{}", parts[0], parts[1], enc.encode(&nonce), enc.encode(&ct));
        let tampered: Sealed = tampered.parse().unwrap();
        prop_assert_eq!(r.open(&b, &tampered), Err(Error::OpenFailed));
    }
}

#[test]
fn a_value_moved_to_another_owner_or_purpose_does_not_open() {
    let r = ring();
    let sealed = r.seal(&seed_of(b"user-1", b"device-1"), b"seed").unwrap();
    for other in [
        seed_of(b"user-2", b"device-1"),
        seed_of(b"user-1", b"device-2"),
        Binding::new("totp-seed").owner(b"user-1"),
        Binding::new("totp-seed")
            .owner(b"user-1")
            .owner(b"device-1")
            .owner(b""),
        // The same bytes split differently: fields carry their lengths.
        seed_of(b"user-1d", b"evice-1"),
        Binding::new("recovery").owner(b"user-1").owner(b"device-1"),
    ] {
        assert_eq!(r.open(&other, &sealed), Err(Error::OpenFailed), "{other:?}");
    }
}

#[test]
fn a_changed_key_id_does_not_open_even_with_the_same_key() {
    // Two ids for one key: the id is part of the associated data.
    let key = Key::generate().unwrap();
    let mut r = Keyring::new(id("a"), key.clone());
    r.add(id("b"), key).unwrap();
    let b = seed_of(b"u", b"d");
    let text = r.seal(&b, b"seed").unwrap().to_string();
    let moved: Sealed = text.replacen(".a.", ".b.", 1).parse().unwrap();
    assert_eq!(r.open(&b, &moved), Err(Error::OpenFailed));
}

#[test]
fn rotation_keeps_old_values_open_and_seals_new_ones_with_the_active_key() {
    let mut r = ring();
    let b = seed_of(b"u", b"d");
    let old = r.seal(&b, b"old seed").unwrap();
    r.add(id("k2"), Key::generate().unwrap()).unwrap();
    assert!(r.is_current(&old));
    r.activate(&id("k2")).unwrap();
    assert!(!r.is_current(&old));
    assert_eq!(r.open(&b, &old).unwrap().as_slice(), b"old seed");
    let new = r.seal(&b, b"new seed").unwrap();
    assert_eq!(new.key_id(), &id("k2"));
    assert!(r.is_current(&new));

    // Retiring: not the active key, not while anything is sealed with it.
    assert_eq!(
        r.retire(&id("k2"), 0),
        Err(Error::RetiringActiveKey(id("k2")))
    );
    assert_eq!(
        r.retire(&id("k1"), 3),
        Err(Error::KeyStillInUse {
            id: id("k1"),
            count: 3
        })
    );
    r.retire(&id("k1"), 0).unwrap();
    assert_eq!(r.active_id(), &id("k2"));
    // What the retired key sealed is now a clear error, not a silent failure.
    assert_eq!(r.open(&b, &old), Err(Error::UnknownKey(id("k1"))));
    assert_eq!(r.open(&b, &new).unwrap().as_slice(), b"new seed");
    assert_eq!(r.activate(&id("k1")), Err(Error::UnknownKey(id("k1"))));
    assert!(matches!(
        r.add(id("k2"), Key::generate().unwrap()),
        Err(Error::DuplicateKeyId(_))
    ));
}

#[test]
fn retiring_an_earlier_key_keeps_the_active_one_active() {
    let mut r = Keyring::parse(&format!(
        "a={}\nb={}\nc={}",
        Key::generate().unwrap().to_base64().as_str(),
        Key::generate().unwrap().to_base64().as_str(),
        Key::generate().unwrap().to_base64().as_str()
    ))
    .unwrap();
    r.activate(&id("c")).unwrap();
    r.retire(&id("a"), 0).unwrap();
    assert_eq!(r.active_id(), &id("c"));
    assert_eq!(r.ids().map(KeyId::as_str).collect::<Vec<_>>(), ["b", "c"]);
}

#[test]
fn keyrings_parse_from_text_first_active() {
    let k1 = Key::generate().unwrap();
    let k2 = Key::generate().unwrap();
    let text = format!(
        "# the service's keys\n2026-11={}\n\n2026-05={}\n",
        k1.to_base64().as_str(),
        k2.to_base64().as_str()
    );
    let r = Keyring::parse(&text).unwrap();
    assert_eq!(r.active_id(), &id("2026-11"));
    assert_eq!(r.ids().count(), 2);
    let one_line = format!(
        "2026-11={}, 2026-05={}",
        k1.to_base64().as_str(),
        k2.to_base64().as_str()
    );
    assert_eq!(Keyring::parse(&one_line).unwrap().ids().count(), 2);
    for bad in [
        String::new(),
        "# only a comment".to_owned(),
        "k1".to_owned(),
        "k1=short".to_owned(),
        format!("bad.id={}", k1.to_base64().as_str()),
        format!("k1={0} k1={0}", k1.to_base64().as_str()),
    ] {
        assert!(Keyring::parse(&bad).is_err(), "{bad}");
    }
}

#[test]
fn derived_keys_differ_by_key_and_purpose_and_are_stable() {
    let mut r = ring();
    r.add(id("k2"), Key::generate().unwrap()).unwrap();
    let a = r.derive(&id("k1"), "tessera-mfa/server-key").unwrap();
    assert_eq!(a, r.derive(&id("k1"), "tessera-mfa/server-key").unwrap());
    assert_ne!(a, r.derive(&id("k2"), "tessera-mfa/server-key").unwrap());
    assert_ne!(a, r.derive(&id("k1"), "another purpose").unwrap());
    assert_eq!(
        r.derive(&id("nope"), "x").map(|_| ()),
        Err(Error::UnknownKey(id("nope")))
    );
}

#[test]
fn nothing_secret_in_debug_or_errors() {
    let key = Key::from_bytes(&[0x5a; 32]).unwrap();
    let b64 = key.to_base64();
    let r = Keyring::new(id("k1"), key);
    let sealed = r.seal(&seed_of(b"u", b"d"), b"JBSWY3DPEHPK3PXP").unwrap();
    let shown = format!(
        "{r:?} {sealed:?} {:?} {}",
        r.open(&seed_of(b"x", b"d"), &sealed),
        Error::OpenFailed
    );
    for secret in [b64.as_str(), "5a5a5a", "JBSWY3DPEHPK3PXP", "Wlpa"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("k1"));
}

/// Each `Debug` names what an operator needs (ids, the active one, a length) and nothing else.
#[test]
fn debug_shows_ids_and_lengths_only() {
    let mut r = Keyring::new(id("k1"), Key::from_bytes(&[0x5a; 32]).unwrap());
    r.add(id("k2"), Key::from_bytes(&[0x6b; 32]).unwrap())
        .unwrap();
    assert_eq!(
        format!("{r:?}"),
        r#"Keyring { active: KeyId("k1"), ids: [KeyId("k1"), KeyId("k2")] }"#
    );
    let sealed = r.seal(&seed_of(b"u", b"d"), b"0123456789").unwrap();
    // Ten bytes of secret and a 16-byte tag; neither the nonce nor the ciphertext.
    assert_eq!(
        format!("{sealed:?}"),
        r#"Sealed { key_id: KeyId("k1"), ciphertext_len: 26, .. }"#
    );
}

#[test]
fn nonces_are_fresh() {
    let r = ring();
    let b = seed_of(b"u", b"d");
    let a = r.seal(&b, b"same").unwrap().to_string();
    let c = r.seal(&b, b"same").unwrap().to_string();
    assert_ne!(a, c);
}
