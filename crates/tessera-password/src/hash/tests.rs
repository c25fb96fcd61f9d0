//! Hasher behaviour with cheap parameters (the production costs are exercised in `tests/`).

use argon2::password_hash::PasswordHasher as _;
use proptest::prelude::*;

use super::*;

fn cheap() -> Hasher {
    Hasher::new(HashParams::insecure_for_tests(8, 1, 1))
}

/// A cheap hasher with a current pepper and retired ones.
fn peppered(current: Pepper, retired: &[Pepper]) -> Hasher {
    let mut b = Hasher::builder();
    b.params(HashParams::insecure_for_tests(8, 1, 1))
        .pepper(current);
    for r in retired {
        b.retired_pepper(r.clone());
    }
    match b.build() {
        Ok(h) => h,
        Err(e) => panic!("distinct pepper ids: {e}"),
    }
}

fn pepper(id: &[u8], byte: u8) -> Pepper {
    match Pepper::new(id, &[byte; 32]) {
        Ok(p) => p,
        Err(e) => panic!("valid pepper: {e}"),
    }
}

fn hash(hasher: &Hasher, password: &str) -> String {
    match hasher.hash(&Password::new(password)) {
        Ok(h) => h,
        Err(e) => panic!("hashing must work: {e}"),
    }
}

fn verify(hasher: &Hasher, password: &str, stored: &str) -> Result<bool, Error> {
    hasher.verify(&Password::new(password), stored)
}

/// A hash made directly with the argon2 crate, as an older deployment would have stored it.
fn legacy(algorithm: Algorithm, version: Version, m: u32, t: u32, password: &str) -> String {
    let params = argon2::Params::new(m, t, 1, Some(32));
    let h = params.map(|p| {
        Argon2::new(algorithm, version, p)
            .hash_password_with_salt(password.as_bytes(), b"legacy-salt-1234")
    });
    match h {
        Ok(Ok(h)) => h.to_string(),
        _ => panic!("legacy hash must be made"),
    }
}

#[test]
fn round_trip_and_wrong_password() {
    let h = cheap();
    let stored = hash(&h, "correct horse battery staple");
    assert!(stored.starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
    assert_eq!(
        verify(&h, "correct horse battery staple", &stored),
        Ok(true)
    );
    assert_eq!(
        verify(&h, "correct horse battery stapler", &stored),
        Ok(false)
    );
    assert_eq!(verify(&h, "", &stored), Ok(false));
    // Fresh salt every time.
    assert_ne!(stored, hash(&h, "correct horse battery staple"));
}

#[test]
fn composed_and_decomposed_e_acute_verify() {
    let h = cheap();
    let stored = hash(&h, "caf\u{e9} cr\u{e8}me");
    assert_eq!(verify(&h, "cafe\u{301} cre\u{300}me", &stored), Ok(true));
    let stored = hash(&h, "cafe\u{301}");
    assert_eq!(verify(&h, "caf\u{e9}", &stored), Ok(true));
    // NFKC: a full-width letter is its ASCII letter.
    assert_eq!(verify(&h, "ｃａｆｅ\u{301}", &stored), Ok(true));
}

/// bcrypt silently uses only the first 72 bytes; Argon2 hashes everything.
#[test]
fn hundred_chars_do_not_verify_against_their_72_char_prefix() {
    let h = cheap();
    let long: String = "0123456789abcdefghijklmnopqrstuvwxyz"
        .chars()
        .cycle()
        .take(100)
        .collect();
    let prefix: String = long.chars().take(72).collect();
    let stored_long = hash(&h, &long);
    assert_eq!(verify(&h, &long, &stored_long), Ok(true));
    assert_eq!(verify(&h, &prefix, &stored_long), Ok(false));
    let stored_prefix = hash(&h, &prefix);
    assert_eq!(verify(&h, &long, &stored_prefix), Ok(false));
}

#[test]
fn oversized_input_is_refused_before_hashing() {
    let h = cheap();
    let at_bound = "a".repeat(MAX_PASSWORD_BYTES);
    assert!(h.hash(&Password::new(at_bound)).is_ok());
    let over = Password::new("a".repeat(MAX_PASSWORD_BYTES + 1));
    assert_eq!(
        h.hash(&over),
        Err(Error::PasswordTooLong {
            max_bytes: MAX_PASSWORD_BYTES
        })
    );
    let stored = hash(&h, "x");
    assert_eq!(
        h.verify(&over, &stored),
        Err(Error::PasswordTooLong { max_bytes: 4096 })
    );
    // NFKC expansion past the bound is caught too: U+FDFA becomes 18 code points (33 bytes).
    let expands = Password::new("\u{fdfa}".repeat(1000));
    assert!(expands.len_bytes() < MAX_PASSWORD_BYTES);
    assert_eq!(
        h.hash(&expands),
        Err(Error::PasswordTooLong { max_bytes: 4096 })
    );
    assert_eq!(
        Error::PasswordTooLong { max_bytes: 4096 }.to_string(),
        "password is longer than 4096 bytes"
    );
}

#[test]
fn malformed_and_unsupported_hashes_are_errors() {
    let h = cheap();
    for bad in [
        "",
        "$",
        "$argon2id",
        "$argon2id$v=19$m=8,t=1,p=1",
        "argon2id$v=19",
        "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$AAAA",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ",
    ] {
        assert!(verify(&h, "pw", bad).is_err(), "{bad:?}");
        assert!(h.needs_rehash(bad).is_err(), "{bad:?}");
    }
    let bcrypt = "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m";
    assert!(verify(&h, "pw", bcrypt).is_err());
    let scrypt = "$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(verify(&h, "pw", scrypt), Err(Error::UnsupportedAlgorithm));
    let v17 = "$argon2id$v=17$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(verify(&h, "pw", v17), Err(Error::UnsupportedAlgorithm));
}

#[test]
fn excessive_stored_costs_are_refused_without_allocating() {
    let h = cheap();
    let tail = "$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for params in [
        "m=4294967295,t=1,p=1",
        "m=65536,t=1000000,p=1",
        "m=65536,t=1,p=255",
    ] {
        let s = format!("$argon2id$v=19${params}{tail}");
        assert_eq!(
            verify(&h, "pw", &s),
            Err(Error::HashParamsOutOfRange),
            "{params}"
        );
        assert_eq!(
            h.needs_rehash(&s),
            Err(Error::HashParamsOutOfRange),
            "{params}"
        );
    }
}

#[test]
fn legacy_hashes_verify_and_need_rehash() {
    let h = Hasher::new(HashParams::insecure_for_tests(16, 2, 1));
    for (alg, ver) in [
        (Algorithm::Argon2i, Version::V0x13),
        (Algorithm::Argon2d, Version::V0x13),
        (Algorithm::Argon2id, Version::V0x10),
        (Algorithm::Argon2i, Version::V0x10),
    ] {
        let stored = legacy(alg, ver, 16, 2, "old secret");
        assert_eq!(verify(&h, "old secret", &stored), Ok(true), "{stored}");
        assert_eq!(verify(&h, "new secret", &stored), Ok(false), "{stored}");
        assert_eq!(h.needs_rehash(&stored), Ok(true), "{stored}");
    }
    // Lower costs, right algorithm.
    let low = legacy(Algorithm::Argon2id, Version::V0x13, 8, 1, "old secret");
    assert_eq!(verify(&h, "old secret", &low), Ok(true));
    assert_eq!(h.needs_rehash(&low), Ok(true));
    // Same costs: current.
    assert_eq!(h.needs_rehash(&hash(&h, "x")), Ok(false));
    // Higher stored costs are not "below policy".
    let higher = legacy(Algorithm::Argon2id, Version::V0x13, 32, 3, "x");
    assert_eq!(h.needs_rehash(&higher), Ok(false));
}

#[test]
fn pepper_is_required_identified_and_rotated() {
    let plain = cheap();
    let k1 = peppered(pepper(b"k1", 7), &[]);
    let stored = hash(&k1, "k1 password");
    assert!(stored.contains("keyid="));
    assert_eq!(verify(&k1, "k1 password", &stored), Ok(true));
    assert_eq!(verify(&k1, "wrong", &stored), Ok(false));
    // Without the pepper, or with another key id, the hash cannot be checked at all.
    assert_eq!(
        verify(&plain, "k1 password", &stored),
        Err(Error::UnknownPepper)
    );
    let rotated = peppered(pepper(b"k2", 9), &[]);
    assert_eq!(
        verify(&rotated, "k1 password", &stored),
        Err(Error::UnknownPepper)
    );
    assert_eq!(rotated.needs_rehash(&stored), Ok(true));
    // Same id but a different secret: the password simply does not verify.
    let impostor = peppered(pepper(b"k1", 8), &[]);
    assert_eq!(verify(&impostor, "k1 password", &stored), Ok(false));
    // Hashes made before a pepper was introduced still verify, and need a rehash.
    let before = hash(&plain, "legacy plain");
    assert_eq!(verify(&k1, "legacy plain", &before), Ok(true));
    assert_eq!(k1.needs_rehash(&before), Ok(true));
    assert_eq!(k1.needs_rehash(&stored), Ok(false));
    assert_eq!(plain.needs_rehash(&stored), Ok(true));
}

/// Issue 14: peppers with ids. The new pepper is current, the old one retired: hashes
/// naming either verify, new hashes use the current one, old ones need a rehash; a hash
/// naming neither is `UnknownPepper`.
#[test]
fn retired_peppers_verify_and_ask_for_a_rehash() {
    let old = peppered(pepper(b"2026-05", 7), &[]);
    let stored_old = hash(&old, "correct horse battery staple");
    let rotated = peppered(pepper(b"2026-11", 9), &[pepper(b"2026-05", 7)]);
    assert_eq!(
        verify(&rotated, "correct horse battery staple", &stored_old),
        Ok(true)
    );
    assert_eq!(verify(&rotated, "wrong", &stored_old), Ok(false));
    assert_eq!(rotated.needs_rehash(&stored_old), Ok(true));
    let stored_new = hash(&rotated, "correct horse battery staple");
    assert!(stored_new.contains("keyid="));
    assert_ne!(stored_new, stored_old);
    assert_eq!(rotated.needs_rehash(&stored_new), Ok(false));
    assert_eq!(
        verify(&rotated, "correct horse battery staple", &stored_new),
        Ok(true)
    );
    // The old hasher (only the old pepper) cannot check the new hash.
    assert_eq!(
        verify(&old, "correct horse battery staple", &stored_new),
        Err(Error::UnknownPepper)
    );
    // A retired pepper with the right id but another secret: no match, no error.
    let wrong_retired = peppered(pepper(b"2026-11", 9), &[pepper(b"2026-05", 8)]);
    assert_eq!(
        verify(&wrong_retired, "correct horse battery staple", &stored_old),
        Ok(false)
    );
    // Debug names no pepper secret.
    let shown = format!("{rotated:?}");
    assert!(
        !shown.contains("[7, 7") && !shown.contains("[9, 9"),
        "{shown}"
    );
}

#[test]
fn password_hash_traits_interoperate() {
    use password_hash::{PasswordHasher, PasswordVerifier};
    let h = cheap();
    let made = h.hash_password_with_salt("caf\u{e9} noir".as_bytes(), b"0123456789abcdef");
    let Ok(made) = made else {
        panic!("trait hashing must work")
    };
    let phc = made.to_string();
    assert_eq!(verify(&h, "cafe\u{301} noir", &phc), Ok(true));
    assert!(
        PasswordVerifier::<str>::verify_password(&h, "caf\u{e9} noir".as_bytes(), &phc).is_ok()
    );
    assert_eq!(
        PasswordVerifier::<PasswordHash>::verify_password(&h, b"nope", &made),
        Err(password_hash::Error::PasswordInvalid)
    );
    assert_eq!(
        PasswordVerifier::<str>::verify_password(&h, b"x", "garbage"),
        Err(password_hash::Error::EncodingInvalid)
    );
    // A trait object works as a drop-in verifier.
    let dyn_verifier: &dyn PasswordVerifier<str> = &h;
    assert!(
        dyn_verifier
            .verify_password("cafe\u{301} noir".as_bytes(), &phc)
            .is_ok()
    );
    // Interoperates with the argon2 crate's own verifier for unpeppered hashes.
    assert!(
        Argon2::default()
            .verify_password("caf\u{e9} noir".as_bytes(), &made)
            .is_ok()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hash_verify_round_trip(pw in "\\PC{0,64}", other in "\\PC{0,64}") {
        let h = cheap();
        let stored = hash(&h, &pw);
        prop_assert_eq!(verify(&h, &pw, &stored), Ok(true));
        let same = normalize(&pw) == normalize(&other);
        prop_assert_eq!(verify(&h, &other, &stored), Ok(same));
    }

    #[test]
    fn needs_rehash_after_any_cost_increase(m in 8u32..32, t in 1u32..4, dm in 0u32..16, dt in 0u32..3) {
        let old = Hasher::new(HashParams::insecure_for_tests(m, t, 1));
        let stored = hash(&old, "pw");
        prop_assert_eq!(old.needs_rehash(&stored), Ok(false));
        let new = Hasher::new(HashParams::insecure_for_tests(m + dm, t + dt, 1));
        prop_assert_eq!(new.needs_rehash(&stored), Ok(dm > 0 || dt > 0));
        // The old hash still verifies under the new policy.
        prop_assert_eq!(verify(&new, "pw", &stored), Ok(true));
    }

    #[test]
    fn arbitrary_stored_strings_never_panic(s in any::<String>(), tail in "[$a-zA-Z0-9=,+/]{0,80}") {
        let h = cheap();
        let _ = verify(&h, "pw", &s);
        let _ = h.needs_rehash(&s);
        let phc = format!("$argon2id$v=19${tail}");
        let _ = verify(&h, "pw", &phc);
        let _ = h.needs_rehash(&phc);
    }
}

/// Made by argon2-cffi 25.1.0 (the reference C implementation) with
/// `argon2.low_level.hash_secret(b"correct horse battery staple", b"somesaltsomesalt",
/// time_cost=2, memory_cost=64, parallelism=1, hash_len=32, type=Type.ID, version=0x10)`,
/// which prints it with `v=16`; the legacy form without `v=` is the same hash (PHC string
/// format: an absent version is 0x10).
const CFFI_V16: &str = "$argon2id$v=16$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$om9h6QpUtL/b2yfUAK6XwantwRNrvPCx4xm44OXJaLk";
const CFFI_NO_VERSION: &str =
    "$argon2id$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$om9h6QpUtL/b2yfUAK6XwantwRNrvPCx4xm44OXJaLk";
/// The same inputs at `version=0x13` (argon2-cffi 25.1.0), for contrast.
const CFFI_V19: &str = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Sr6N/nCmohWCvF7EZislLIdwA8ojCXux0K30ccqFS30";

#[test]
fn versionless_phc_is_version_16_and_verifies() {
    let h = cheap();
    let right = "correct horse battery staple";
    for stored in [CFFI_V16, CFFI_NO_VERSION, CFFI_V19] {
        assert_eq!(verify(&h, right, stored), Ok(true), "{stored}");
        assert_eq!(
            verify(&h, "correct horse battery stapler", stored),
            Ok(false)
        );
    }
    // Above `cheap()`'s costs: only the version makes the first two stale.
    assert_eq!(h.needs_rehash(CFFI_V16), Ok(true));
    assert_eq!(h.needs_rehash(CFFI_NO_VERSION), Ok(true));
    assert_eq!(h.needs_rehash(CFFI_V19), Ok(false));
    // The trait path gives the same answer.
    use password_hash::PasswordVerifier as _;
    assert!(h.verify_password(right.as_bytes(), CFFI_NO_VERSION).is_ok());
}

#[test]
fn missing_costs_are_malformed_not_defaulted() {
    let h = cheap();
    let tail = "$c29tZXNhbHRzb21lc2FsdA$Sr6N/nCmohWCvF7EZislLIdwA8ojCXux0K30ccqFS30";
    // Before the fix argon2 filled in its defaults (m=19456, t=2, p=1) for these.
    for params in ["t=2,p=1", "m=64,p=1", "m=64,t=2", "m=64", "p=1", "keyid=AQ"] {
        let s = format!("$argon2id$v=19${params}{tail}");
        assert_eq!(verify(&h, "x", &s), Err(Error::MalformedHash), "{params}");
        assert_eq!(h.needs_rehash(&s), Err(Error::MalformedHash), "{params}");
    }
    // One that the defaults would have made verify: a hash at argon2's default costs with the
    // `p` left out.
    let full = hash(
        &Hasher::new(HashParams::insecure_for_tests(19 * 1024, 2, 1)),
        "pw",
    );
    let no_p = full.replace(",p=1", "");
    assert_eq!(verify(&h, "pw", &full), Ok(true));
    assert_eq!(verify(&h, "pw", &no_p), Err(Error::MalformedHash));
}

#[test]
fn short_outputs_below_ten_bytes_are_refused() {
    let h = cheap();
    // argon2-cffi 25.1.0, `hash_secret(b"password", b"somesaltsomesalt", time_cost=2,
    // memory_cost=64, parallelism=1, type=Type.ID, version=0x13)` with hash_len=4 and 10.
    let four = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0NpPfQ";
    let ten = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$HZ0kmOs1Sxeg6w";
    assert_eq!(verify(&h, "password", four), Err(Error::MalformedHash));
    assert_eq!(h.needs_rehash(four), Err(Error::MalformedHash));
    assert_eq!(verify(&h, "password", ten), Ok(true));
    assert_eq!(verify(&h, "passwore", ten), Ok(false));
    assert_eq!(h.needs_rehash(ten), Ok(true));
}

/// Issue 13: the builder refuses two peppers with one key id (current and retired, or
/// two retired): a stored hash names its pepper by id alone, so the second could never
/// verify, and a rotation that reused an id would fail every old password silently.
#[test]
fn builder_refuses_peppers_that_share_an_id() {
    let mut b = Hasher::builder();
    b.params(HashParams::insecure_for_tests(8, 1, 1))
        .pepper(pepper(b"2026-11", 9))
        .retired_pepper(pepper(b"2026-11", 7));
    let refused = Err(Error::InvalidPepper("two peppers share a key id"));
    assert_eq!(b.build().map(|h| h.params()), refused);
    let mut b = Hasher::builder();
    b.retired_pepper(pepper(b"old", 1))
        .retired_pepper(pepper(b"old", 2));
    assert_eq!(b.build().map(|h| h.params()), refused);
    // Distinct ids build, and the builder stays usable after a build.
    let mut b = Hasher::builder();
    b.pepper(pepper(b"2026-11", 9))
        .retired_pepper(pepper(b"2026-05", 7));
    let first = b.build().unwrap();
    let stored = hash(&first, "x");
    assert_eq!(
        b.build().unwrap().verify(&Password::new("x"), &stored),
        Ok(true)
    );
    assert_eq!(
        Hasher::builder().build().unwrap().params(),
        HashParams::DEFAULT
    );
}

/// Each cost on its own: lower than the hasher's asks for a rehash, higher does not.
#[test]
fn each_cost_alone_decides_a_rehash() {
    let with = |m, t, p| Hasher::new(HashParams::insecure_for_tests(m, t, p));
    // argon2 wants 8 KiB a lane, so 32 KiB leaves room for lanes either side of 2.
    let ours = with(32, 2, 2);
    for (m, t, p) in [(16, 2, 2), (32, 1, 2), (32, 2, 1)] {
        let stored = hash(&with(m, t, p), "x");
        assert_eq!(ours.needs_rehash(&stored), Ok(true), "{stored}");
    }
    for (m, t, p) in [(64, 2, 2), (32, 3, 2), (32, 2, 3), (32, 2, 2)] {
        let stored = hash(&with(m, t, p), "x");
        assert_eq!(ours.needs_rehash(&stored), Ok(false), "{stored}");
    }
}

/// A stored hash may name costs up to the bounds, not beyond (a tampered PHC string
/// must not make verification allocate without bound).
#[test]
fn stored_costs_are_bounded_inclusively() {
    let phc = |m: u32, t: u32, p: u32| {
        format!(
            "$argon2id$v=19$m={m},t={t},p={p}$c2FsdHNhbHQ${}",
            "A".repeat(43)
        )
    };
    let h = Hasher::default();
    for ok in [phc(1_048_576, 2, 1), phc(19_456, 64, 1), phc(19_456, 2, 16)] {
        assert_eq!(h.needs_rehash(&ok), Ok(false), "{ok}");
    }
    for over in [phc(1_048_577, 2, 1), phc(19_456, 65, 1), phc(19_456, 2, 17)] {
        assert_eq!(
            h.needs_rehash(&over),
            Err(Error::HashParamsOutOfRange),
            "{over}"
        );
    }
}

/// Each error of the `password-hash` trait impls maps to the trait's matching kind, so code
/// written against the traits can tell a bad password from a bad stored string.
#[test]
fn password_hash_trait_errors_map_to_their_kind() {
    use password_hash::{PasswordHasher, PasswordVerifier};
    let h = cheap();
    let salt = b"0123456789abcdef";
    let over = "a".repeat(MAX_PASSWORD_BYTES + 1);
    assert_eq!(
        h.hash_password_with_salt(over.as_bytes(), salt).err(),
        Some(password_hash::Error::PasswordInvalid)
    );
    let verify_str = |pw: &[u8], s: &str| PasswordVerifier::<str>::verify_password(&h, pw, s);
    let made = match h.hash_password_with_salt(b"pw", salt) {
        Ok(m) => m.to_string(),
        Err(e) => panic!("trait hashing must work: {e}"),
    };
    assert_eq!(
        verify_str(over.as_bytes(), &made),
        Err(password_hash::Error::PasswordInvalid)
    );
    let tail = "$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    // Parses as PHC but leaves out t: ours is MalformedHash.
    assert_eq!(
        verify_str(b"pw", &format!("$argon2id$v=19$m=8,p=1{tail}")),
        Err(password_hash::Error::EncodingInvalid)
    );
    assert_eq!(
        verify_str(b"pw", &format!("$scrypt$ln=4,r=8,p=1{tail}")),
        Err(password_hash::Error::Algorithm)
    );
    assert_eq!(
        verify_str(b"pw", &format!("$argon2id$v=19$m=1048577,t=1,p=1{tail}")),
        Err(password_hash::Error::ParamsInvalid)
    );
    // Anything else (here an unknown pepper, and argon2 refusing a 4-byte salt) is Crypto.
    let other = peppered(pepper(b"k1", 1), &[]);
    let with_pepper = match other.hash_password_with_salt(b"pw", salt) {
        Ok(m) => m.to_string(),
        Err(e) => panic!("trait hashing must work: {e}"),
    };
    assert_eq!(
        verify_str(b"pw", &with_pepper),
        Err(password_hash::Error::Crypto)
    );
    assert_eq!(
        h.hash_password_with_salt(b"pw", b"salt").err(),
        Some(password_hash::Error::Crypto)
    );
}
