//! Google Authenticator export import, checked against an independent encoder: a
//! Python script (standard library only) writes the protobuf, base64 and URL encoding.
//!
//! Peer rule: without `python3`, the test fails when `CI` is set and is skipped otherwise.

use std::process::Command;

use tessera_otp::{Algorithm, KeyUri, MigrationPayload, OtpKind, Secret, TotpParams};

use crate::common::{RFC_SEED, peer};

/// Writes a MigrationPayload by hand from the field numbers of Google Authenticator's
/// export schema, the way extract_otp_secrets and similar tools read it.
const ENCODER: &str = r#"
import base64, sys, urllib.parse

def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def key(field, wire):
    return varint(field << 3 | wire)

def ld(field, data):
    return key(field, 2) + varint(len(data)) + data

def vi(field, n):
    return key(field, 0) + varint(n)

def account(secret, name, issuer, alg, digits, kind, counter=None):
    m = ld(1, secret) + ld(2, name.encode()) + ld(3, issuer.encode())
    m += vi(4, alg) + vi(5, digits) + vi(6, kind)
    if counter is not None:
        m += vi(7, counter)
    return m

accounts = [
    account(b"12345678901234567890", "alice@example.com", "Example", 1, 1, 2),
    account(bytes(range(32)), "Bäcker: bob", "Bäcker", 2, 2, 2),
    account(bytes(range(100, 164)), "carol", "", 3, 1, 1, 9876543210),
    account(b"0123456789", "Weak:dave", "", 0, 0, 2),
]
payload = b"".join(ld(1, a) for a in accounts)
payload += vi(2, 1) + vi(3, 2) + vi(4, 1) + vi(5, -123456789)
data = base64.b64encode(payload).decode()
sys.stdout.write("otpauth-migration://offline?data=" + urllib.parse.quote(data, safe=""))
"#;

fn python(script: &str) -> Option<String> {
    let out = peer(
        Command::new("python3").arg("-c").arg(script),
        "install python3",
    )?;
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn export_written_by_python_reads_back() {
    let Some(uri) = python(ENCODER) else { return };
    assert!(uri.starts_with("otpauth-migration://offline?data="));
    let payload = MigrationPayload::parse_uri(&uri).unwrap();
    assert_eq!(payload.version(), 1);
    assert_eq!(payload.batch_size(), 2);
    assert_eq!(payload.batch_index(), 1);
    assert_eq!(payload.batch_id(), -123_456_789);

    let keys = payload.accounts();
    assert_eq!(keys.len(), 4);

    assert_eq!(keys[0].account(), "alice@example.com");
    assert_eq!(keys[0].issuer(), Some("Example"));
    assert_eq!(keys[0].secret(), &Secret::from_bytes(RFC_SEED).unwrap());
    assert_eq!(keys[0].totp_params(), Some(TotpParams::DEFAULT));
    assert!(!keys[0].is_weak());

    assert_eq!(
        (keys[1].issuer(), keys[1].account()),
        (Some("Bäcker"), "bob")
    );
    assert_eq!(keys[1].algorithm(), Algorithm::Sha256);
    assert_eq!(keys[1].digits(), 8);
    assert_eq!(
        keys[1].secret().expose_bytes(),
        (0..32).collect::<Vec<u8>>()
    );

    assert_eq!(
        keys[2].kind(),
        OtpKind::Hotp {
            counter: 9_876_543_210
        }
    );
    assert_eq!(keys[2].issuer(), None);
    assert_eq!(keys[2].algorithm(), Algorithm::Sha512);
    assert_eq!(
        keys[2].secret().expose_bytes(),
        (100..164).collect::<Vec<u8>>()
    );

    assert_eq!(
        (keys[3].issuer(), keys[3].account()),
        (Some("Weak"), "dave")
    );
    assert!(keys[3].is_weak());
    assert_eq!(keys[3].algorithm(), Algorithm::Sha1);
    assert_eq!(keys[3].digits(), 6);

    // Each account re-encodes as a canonical key URI that parses back to itself.
    for key in keys {
        assert_eq!(&KeyUri::parse(&key.to_uri()).unwrap(), key);
    }
    assert_eq!(
        keys[2].to_uri(),
        format!(
            "otpauth://hotp/carol?secret={}&algorithm=SHA512&counter=9876543210",
            keys[2].secret().to_base32().as_str()
        )
    );
}
