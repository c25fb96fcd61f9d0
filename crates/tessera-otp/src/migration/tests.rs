use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;

use super::*;

/// A minimal protobuf writer, to build payloads field by field.
#[derive(Default, Clone)]
struct Pb(Vec<u8>);

impl Pb {
    fn varint(mut self, field: u64, v: u64) -> Self {
        self.key(field, 0);
        self.raw_varint(v);
        self
    }

    fn bytes(mut self, field: u64, data: &[u8]) -> Self {
        self.key(field, 2);
        self.raw_varint(data.len() as u64);
        self.0.extend_from_slice(data);
        self
    }

    fn key(&mut self, field: u64, wire: u64) {
        self.raw_varint(field << 3 | wire);
    }

    /// Base 128, least significant group first, the high bit on every byte but the last.
    fn raw_varint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }
}

const SECRET: &[u8] = b"12345678901234567890"; // RFC 4226 Appendix D's secret

fn account(name: &str, issuer: &str, alg: u64, digits: u64, kind: u64) -> Pb {
    Pb::default()
        .bytes(1, SECRET)
        .bytes(2, name.as_bytes())
        .bytes(3, issuer.as_bytes())
        .varint(4, alg)
        .varint(5, digits)
        .varint(6, kind)
}

fn uri_of(payload: &Pb) -> String {
    let b64 = STANDARD.encode(&payload.0);
    let encoded = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    format!("otpauth-migration://offline?data={encoded}")
}

#[test]
fn one_totp_account() {
    let payload = Pb::default()
        .bytes(1, &account("alice@example.com", "Example", 1, 1, 2).0)
        .varint(2, 1)
        .varint(3, 1)
        .varint(4, 0)
        .varint(5, 123_456);
    let parsed = MigrationPayload::parse_uri(&uri_of(&payload)).unwrap();
    assert_eq!(parsed.version(), 1);
    assert_eq!(parsed.batch_size(), 1);
    assert_eq!(parsed.batch_index(), 0);
    assert_eq!(parsed.batch_id(), 123_456);
    let [key] = parsed.accounts() else {
        panic!("one account expected")
    };
    assert_eq!(key.account(), "alice@example.com");
    assert_eq!(key.issuer(), Some("Example"));
    assert_eq!(key.secret().expose_bytes(), SECRET);
    assert_eq!(key.totp_params(), Some(TotpParams::DEFAULT));
    assert_eq!(
        key.to_uri(),
        "otpauth://totp/Example:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"
    );
}

/// The documented bound, 16 KiB, is inclusive: an export URI padded (with white space,
/// which is trimmed) to exactly 16,384 bytes is read, one byte more is refused unread.
#[test]
fn export_uri_length_limit_is_16_kib_inclusive() {
    let payload = Pb::default()
        .bytes(1, &account("alice", "Example", 1, 1, 2).0)
        .varint(2, 2);
    let uri = uri_of(&payload);
    let at_limit = format!("{uri}{}", " ".repeat(16_384 - uri.len()));
    let parsed = MigrationPayload::parse_uri(&at_limit).unwrap();
    assert_eq!(parsed, MigrationPayload::parse_uri(&uri).unwrap());
    assert_eq!(parsed.version(), 2);
    assert_eq!(
        MigrationPayload::parse_uri(&format!("{at_limit} ")),
        Err(Error::UriTooLong { max: 16_384 })
    );
}

#[test]
fn many_accounts_all_kinds() {
    let hotp = account("bob", "", 2, 2, 1).varint(7, 42);
    let payload = Pb::default()
        .bytes(1, &account("Example:alice", "Example", 0, 0, 2).0)
        .bytes(1, &hotp.0)
        .bytes(1, &account("carol", "Corp", 3, 2, 2).0)
        .varint(5, (-7i64) as u64); // negative int32, as protobuf writes it
    let parsed = MigrationPayload::parse_uri(&uri_of(&payload)).unwrap();
    assert_eq!(parsed.batch_id(), -7);
    let keys = parsed.accounts();
    assert_eq!(keys.len(), 3);
    // The name "Example:alice" is split like a label.
    assert_eq!(
        (keys[0].issuer(), keys[0].account()),
        (Some("Example"), "alice")
    );
    assert_eq!(keys[0].algorithm(), Algorithm::Sha1);
    assert_eq!(keys[0].digits(), 6);
    assert_eq!(keys[1].kind(), OtpKind::Hotp { counter: 42 });
    assert_eq!(keys[1].issuer(), None);
    assert_eq!(keys[1].algorithm(), Algorithm::Sha256);
    assert_eq!(keys[1].digits(), 8);
    assert_eq!(keys[2].algorithm(), Algorithm::Sha512);
    assert_eq!(parse_migration_uri(&uri_of(&payload)).unwrap(), keys);
}

#[test]
fn lenient_about_the_envelope() {
    let payload = Pb::default().bytes(1, &account("a", "", 1, 1, 2).0);
    let b64 = STANDARD.encode(&payload.0);
    let unpadded = b64.trim_end_matches('=');
    for uri in [
        format!("otpauth-migration://offline?data={b64}"),
        format!("OTPAUTH-MIGRATION://OFFLINE?data={unpadded}"),
        format!(
            "otpauth-migration://offline?foo=1&data={}",
            uri_of(&payload).split("data=").nth(1).unwrap()
        ),
        format!("  otpauth-migration://offline/?data={b64}\n"),
    ] {
        assert_eq!(parse_migration_uri(&uri).unwrap().len(), 1, "{uri}");
    }
    // An empty payload holds no accounts.
    assert!(
        parse_migration_uri("otpauth-migration://offline?data=")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn refuses_malformed_payloads_clearly() {
    let good = account("a", "X", 1, 1, 2);
    let cases: Vec<(String, &str)> = vec![
        (
            "otpauth://totp/a?secret=AAAA".into(),
            "not an otpauth-migration://offline uri",
        ),
        (
            "otpauth-migration://online?data=AA".into(),
            "not an otpauth-migration://offline uri",
        ),
        (
            "otpauth-migration://offline".into(),
            "the data parameter is missing",
        ),
        (
            "otpauth-migration://offline?x=1".into(),
            "the data parameter is missing",
        ),
        (
            "otpauth-migration://offline?data=***".into(),
            "the data parameter is not valid base64",
        ),
        (
            uri_of(&Pb(vec![0x0A, 0x05, 0x01])),
            "a field runs past the end",
        ),
        (
            uri_of(&Pb::default().bytes(1, &account("a", "", 4, 1, 2).0)),
            "md5 accounts are not supported",
        ),
        (
            uri_of(&Pb::default().bytes(1, &account("a", "", 5, 1, 2).0)),
            "unknown algorithm value",
        ),
        (
            uri_of(&Pb::default().bytes(1, &account("a", "", 1, 3, 2).0)),
            "unknown digit count value",
        ),
        (
            uri_of(&Pb::default().bytes(1, &account("a", "", 1, 1, 0).0)),
            "an account has no otp type",
        ),
        (
            uri_of(&Pb::default().bytes(1, &account("a", "", 1, 1, 3).0)),
            "unknown otp type value",
        ),
        (
            uri_of(&Pb::default().bytes(1, &Pb::default().bytes(2, b"a").varint(6, 2).0)),
            "an account has no secret",
        ),
        (
            uri_of(&Pb::default().bytes(1, &good.clone().bytes(1, SECRET).0)),
            "an account field appears twice",
        ),
        (
            uri_of(
                &Pb::default()
                    .bytes(1, &account("\u{0}", "", 1, 1, 2).0)
                    .bytes(2, b"x"),
            ),
            "a field has the wrong wire type",
        ),
        (
            uri_of(&Pb::default().bytes(1, &account("a", "", 1, 1, 1).varint(7, u64::MAX).0)),
            "the counter is negative",
        ),
        (
            uri_of(&Pb::default().bytes(1, &good.0).varint(2, 1 << 40)),
            "an int32 field is out of range",
        ),
        (
            uri_of(
                &Pb::default()
                    .bytes(1, &account("a", "", 1, 1, 2).0)
                    .varint(1, 3),
            ),
            "a field has the wrong wire type",
        ),
    ];
    for (uri, reason) in cases {
        assert_eq!(
            parse_migration_uri(&uri),
            Err(Error::InvalidMigration(reason)),
            "{uri}"
        );
    }
    let bad_utf8 = Pb::default().bytes(1, &account("a", "", 1, 1, 2).bytes(9, b"").0);
    assert!(
        parse_migration_uri(&uri_of(&bad_utf8)).is_ok(),
        "unknown fields are skipped"
    );
    let short = Pb::default().bytes(
        1,
        &Pb::default()
            .bytes(1, b"short")
            .bytes(2, b"a")
            .varint(6, 2)
            .0,
    );
    assert!(matches!(
        parse_migration_uri(&uri_of(&short)),
        Err(Error::SecretTooShort { .. })
    ));
    let mismatch = Pb::default().bytes(1, &account("Evil:a", "Good", 1, 1, 2).0);
    assert_eq!(
        parse_migration_uri(&uri_of(&mismatch)),
        Err(Error::IssuerMismatch)
    );
    let colon = Pb::default().bytes(1, &account("a:b:c", "", 1, 1, 2).0);
    assert!(matches!(
        parse_migration_uri(&uri_of(&colon)),
        Err(Error::InvalidLabel(_))
    ));
    assert_eq!(
        parse_migration_uri(&format!(
            "otpauth-migration://offline?data={}",
            "A".repeat(20_000)
        )),
        Err(Error::UriTooLong {
            max: MigrationPayload::MAX_URI_LEN
        })
    );
    assert_eq!(
        parse_migration_uri("otpauth-migration://offline?data=AA&data=AA"),
        Err(Error::DuplicateParameter("data"))
    );
    assert_eq!(
        parse_migration_uri("otpauth-migration://offline?data=%ZZ"),
        Err(Error::InvalidPercentEncoding)
    );
}

#[test]
fn known_fields_with_fixed_width_wire_types_are_refused() {
    let wrong = Error::InvalidMigration("a field has the wrong wire type");
    // Payload field 2 (version) as fixed32.
    assert_eq!(
        parse_migration_uri(&uri_of(&Pb(vec![0x15, 1, 2, 3, 4]))),
        Err(wrong.clone())
    );
    // Account field 7 (counter) as fixed64.
    let mut acct = account("a", "", 1, 1, 1).0;
    acct.extend_from_slice(&[0x39, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        parse_migration_uri(&uri_of(&Pb::default().bytes(1, &acct))),
        Err(wrong)
    );
    // Unknown fields of any wire type are skipped, as protobuf readers do.
    let mut acct = account("a", "", 1, 1, 2).0;
    acct.extend_from_slice(&[0x45, 0, 0, 0, 0, 0x48, 1]); // field 8 fixed32, field 9 varint
    let payload = Pb::default().bytes(1, &acct).bytes(6, b"x").varint(7, 1);
    assert_eq!(parse_migration_uri(&uri_of(&payload)).unwrap().len(), 1);
}

#[test]
fn errors_never_show_the_secret() {
    let payload = Pb::default().bytes(1, &account("a", "", 4, 1, 2).0);
    let err = parse_migration_uri(&uri_of(&payload))
        .unwrap_err()
        .to_string();
    assert!(
        !err.contains("GEZDGNBV") && !err.contains("1234567890"),
        "{err}"
    );
    let ok = parse_migration_uri(&uri_of(
        &Pb::default().bytes(1, &account("a", "", 1, 1, 2).0),
    ))
    .unwrap();
    assert!(!format!("{ok:?}").contains("GEZDGNBV"));
}

proptest! {
    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = MigrationPayload::decode(&bytes);
    }

    #[test]
    fn parse_uri_never_panics(s in "\\PC{0,200}") {
        let _ = parse_migration_uri(&s);
        let _ = parse_migration_uri(&format!("otpauth-migration://offline?data={s}"));
    }

    #[test]
    fn built_payloads_round_trip(
        secret in proptest::collection::vec(any::<u8>(), 10..=64),
        name in "[a-zA-Z0-9@._-]{1,20}",
        issuer in "[a-zA-Z0-9 ]{0,12}",
        alg in 1u64..=3,
        digits in 1u64..=2,
        hotp in any::<bool>(),
        counter in 0u64..=(i64::MAX as u64),
        batch in (any::<i32>(), any::<i32>(), any::<i32>()),
    ) {
        let mut acct = Pb::default()
            .bytes(1, &secret)
            .bytes(2, name.as_bytes())
            .bytes(3, issuer.as_bytes())
            .varint(4, alg)
            .varint(5, digits)
            .varint(6, if hotp { 1 } else { 2 });
        if hotp {
            acct = acct.varint(7, counter);
        }
        let payload = Pb::default()
            .bytes(1, &acct.0)
            .varint(3, i64::from(batch.0) as u64)
            .varint(4, i64::from(batch.1) as u64)
            .varint(5, i64::from(batch.2) as u64);
        let parsed = MigrationPayload::parse_uri(&uri_of(&payload)).unwrap();
        prop_assert_eq!((parsed.batch_size(), parsed.batch_index(), parsed.batch_id()), batch);
        let key = &parsed.accounts()[0];
        prop_assert_eq!(key.secret().expose_bytes(), &secret[..]);
        prop_assert_eq!(key.account(), name.as_str());
        prop_assert_eq!(key.issuer(), Some(issuer.as_str()).filter(|i| !i.is_empty()));
        prop_assert_eq!(key.digits(), if digits == 2 { 8 } else { 6 });
        prop_assert_eq!(key.counter(), hotp.then_some(counter));
        prop_assert_eq!(&KeyUri::parse(&key.to_uri()).unwrap(), key);
    }
}
