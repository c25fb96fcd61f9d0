//! Known answers from independent sources: RFC 9106 §5.3 and Python's `argon2-cffi`.

use std::process::Command;

use tessera_password::{Error, HashParams, Hasher, Password};

/// RFC 9106 §5.3 (Argon2id test vector): memory 32 KiB, 3 passes, 4 lanes, 32-byte tag,
/// password 32 × 0x01, salt 16 × 0x02, secret 8 × 0x03, associated data 12 × 0x04,
/// tag 0d640df5 8d78766c 08c037a3 4a8b53c9 d01ef045 2d75b65e b52520e9 6b01e659.
///
/// The Argon2 primitive underneath [`Hasher`] must reproduce it; the same vector as a PHC
/// string (associated data in `data=`) must parse and be reported as below policy.
#[test]
fn rfc9106_section_5_3_argon2id() {
    use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
    let params = ParamsBuilder::new()
        .m_cost(32)
        .t_cost(3)
        .p_cost(4)
        .data(AssociatedData::new(&[0x04; 12]).unwrap())
        .build()
        .unwrap();
    let ctx =
        Argon2::new_with_secret(&[0x03; 8], Algorithm::Argon2id, Version::V0x13, params).unwrap();
    let mut tag = [0u8; 32];
    ctx.hash_password_into(&[0x01; 32], &[0x02; 16], &mut tag)
        .unwrap();
    let expected = [
        0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53,
        0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01,
        0xe6, 0x59,
    ];
    assert_eq!(tag, expected);

    // The same vector in PHC form (base64 of the data, salt and tag above).
    let phc = "$argon2id$v=19$m=32,t=3,p=4,data=BAQEBAQEBAQEBAQE$AgICAgICAgICAgICAgICAg$DWQN9Y14dmwIwDejSotTydAe8EUtdbZetSUg6WsB5lk";
    assert_eq!(Hasher::default().needs_rehash(phc), Ok(true));
}

/// Runs `python3` with `argon2-cffi`; `None` when the peer is missing outside CI.
fn python(script: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output();
    let missing = match &out {
        Err(e) => format!("python3 not runnable: {e}"),
        Ok(o) if !o.status.success() => {
            format!("python3 failed: {}", String::from_utf8_lossy(&o.stderr))
        }
        Ok(o) => return Some(String::from_utf8_lossy(&o.stdout).into_owned()),
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "peer missing in CI (apt: python3, pip: argon2-cffi): {missing}"
    );
    eprintln!("skipping argon2-cffi known-answer test: {missing}");
    None
}

const HAS_ARGON2_CFFI: &str = "import argon2, argon2.low_level";

/// PHC strings made by the reference C implementation through Python's `argon2-cffi` verify
/// here: argon2id at its own choice of salt, argon2i and argon2d legacy hashes; a composed and
/// a decomposed "é" here both verify against them.
#[test]
fn argon2_cffi_hashes_verify() {
    if python(HAS_ARGON2_CFFI, &[]).is_none() {
        return;
    }
    let script = r#"
import unicodedata
from argon2 import PasswordHasher, Type
from argon2.low_level import hash_secret
pw = "p\u00e4ssw\u00f6rd \U0001F511 caf\u00e9"
print(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=2).hash(pw))
# A peer that follows the same NFKC convention, given the decomposed form.
print(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1).hash(
    unicodedata.normalize("NFKC", unicodedata.normalize("NFD", pw))))
for t in (Type.I, Type.D):
    print(hash_secret(pw.encode(), b"somesaltsomesalt", time_cost=3, memory_cost=64,
                      parallelism=1, hash_len=32, type=t).decode())
"#;
    let Some(out) = python(script, &[]) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("$argon2id$v=19$m=1024,t=2,p=2$"));
    assert!(lines[2].starts_with("$argon2i$v=19$m=64,t=3,p=1$"));
    assert!(lines[3].starts_with("$argon2d$v=19$m=64,t=3,p=1$"));
    let hasher = Hasher::default();
    let right = Password::new("p\u{e4}ssw\u{f6}rd \u{1F511} caf\u{e9}");
    let wrong = Password::new("p\u{e4}ssw\u{f6}rd \u{1F511} cafe");
    let nfd = Password::new("pa\u{308}sswo\u{308}rd \u{1F511} cafe\u{301}");
    for stored in &lines {
        assert_eq!(hasher.verify(&right, stored), Ok(true), "{stored}");
        assert_eq!(hasher.verify(&nfd, stored), Ok(true), "{stored}");
        assert_eq!(hasher.verify(&wrong, stored), Ok(false), "{stored}");
        assert_eq!(hasher.needs_rehash(stored), Ok(true), "{stored}");
    }
}

/// Our default hashes verify in `argon2-cffi` (the reference implementation).
#[test]
fn our_hashes_verify_in_argon2_cffi() {
    if python(HAS_ARGON2_CFFI, &[]).is_none() {
        return;
    }
    let hasher = Hasher::new(HashParams::DEFAULT);
    let stored = hasher
        .hash(&Password::new("caf\u{e9} au lait, s'il vous pla\u{ee}t"))
        .unwrap();
    let script = r#"
import sys
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
ph = PasswordHasher()
print(ph.verify(sys.argv[1], "caf\u00e9 au lait, s'il vous pla\u00eet"))
try:
    ph.verify(sys.argv[1], "cafe au lait")
    print("wrong accepted")
except VerifyMismatchError:
    print("wrong refused")
print(ph.check_needs_rehash(sys.argv[1]))
"#;
    let Some(out) = python(script, &[&stored]) else {
        return;
    };
    // argon2-cffi's own defaults (m = 64 MiB, t = 3, p = 4) are above ours, so it would rehash.
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["True", "wrong refused", "True"]
    );
}

/// A legacy Argon2 version 0x10 hash made by the reference implementation through
/// argon2-cffi's low-level API, printed with `v=16` and also in the older form without `v=`
/// (which the PHC string format defines as 0x10): the right password verifies, a wrong one does
/// not, and both ask for a rehash so the facade upgrades them at the next sign-in.
#[test]
fn argon2_cffi_version_16_hashes_verify_and_need_rehash() {
    if python(HAS_ARGON2_CFFI, &[]).is_none() {
        return;
    }
    let script = r#"
from argon2.low_level import hash_secret, Type
print(hash_secret("caf\u00e9 cr\u00e8me".encode(), b"legacysaltlegacy", time_cost=2,
                  memory_cost=256, parallelism=2, hash_len=32, type=Type.ID,
                  version=0x10).decode())
"#;
    let Some(out) = python(script, &[]) else {
        return;
    };
    let v16 = out.trim();
    assert!(v16.starts_with("$argon2id$v=16$m=256,t=2,p=2$"), "{v16}");
    let bare = v16.replace("$v=16", "");
    let hasher = Hasher::default();
    for stored in [v16, bare.as_str()] {
        assert_eq!(
            hasher.verify(&Password::new("caf\u{e9} cr\u{e8}me"), stored),
            Ok(true),
            "{stored}"
        );
        assert_eq!(
            hasher.verify(&Password::new("cafe creme"), stored),
            Ok(false),
            "{stored}"
        );
        assert_eq!(hasher.needs_rehash(stored), Ok(true), "{stored}");
    }
}

#[test]
fn malformed_phc_is_an_error_not_a_panic() {
    let hasher = Hasher::default();
    let pw = Password::new("whatever");
    assert_eq!(
        hasher.verify(&pw, "$argon2id$v=19$m=19456"),
        Err(Error::MalformedHash)
    );
    assert_eq!(
        hasher.verify(&pw, "\u{0}\u{ffff}$$$$$"),
        Err(Error::MalformedHash)
    );
}
