use proptest::prelude::*;

use super::*;
use crate::{Hotp, Totp, UnixTime};

const B32: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"; // 20 bytes
const WEAK: &str = "JBSWY3DPEHPK3PXP"; // 10 bytes, the Key URI Format's example

fn parse(uri: &str) -> KeyUri {
    KeyUri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
}

fn err(uri: &str) -> Error {
    KeyUri::parse(uri).expect_err(uri)
}

#[test]
fn key_uri_format_examples() {
    // Both examples of https://github.com/google/google-authenticator/wiki/Key-Uri-Format
    let k = parse("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    assert_eq!(k.kind(), OtpKind::Totp { period: 30 });
    assert_eq!(k.issuer(), Some("Example"));
    assert_eq!(k.account(), "alice@google.com");
    assert_eq!(k.secret().to_base32().as_str(), WEAK);
    assert!(k.is_weak());
    assert_eq!(
        k.to_uri(),
        "otpauth://totp/Example:alice%40google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    );
    let k = parse(
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ\
         &issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
    );
    assert_eq!(k.issuer(), Some("ACME Co"));
    assert_eq!(k.account(), "john.doe@email.com");
    assert!(!k.is_weak());
    // Defaults are left out of the canonical form.
    assert_eq!(
        k.to_uri(),
        "otpauth://totp/ACME%20Co:john.doe%40email.com\
         ?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co"
    );
}

#[test]
fn scheme_and_type_are_case_insensitive_and_slashes_required() {
    let k = parse(&format!("OTPAUTH://TOTP/alice?secret={B32}"));
    assert_eq!(k.kind(), OtpKind::Totp { period: 30 });
    let k = parse(&format!("OtpAuth://Hotp/alice?secret={B32}&counter=7"));
    assert_eq!(k.kind(), OtpKind::Hotp { counter: 7 });
    assert!(k.to_uri().starts_with("otpauth://hotp/alice?"));
    assert_eq!(
        err(&format!("otpauth:totp/alice?secret={B32}")),
        Error::NotOtpauthUri
    );
    assert_eq!(
        err(&format!("otpauth:/totp/alice?secret={B32}")),
        Error::NotOtpauthUri
    );
    assert_eq!(
        err(&format!("https://totp/alice?secret={B32}")),
        Error::NotOtpauthUri
    );
    assert_eq!(err(""), Error::NotOtpauthUri);
    assert_eq!(err("otpauth"), Error::NotOtpauthUri);
    assert_eq!(
        err(&format!("otpauth://motp/alice?secret={B32}")),
        Error::UnknownOtpType
    );
    assert_eq!(
        err(&format!("otpauth://totp:80/a?secret={B32}")),
        Error::UnknownOtpType
    );
    assert!(matches!(
        err(&format!("otpauth://totp?secret={B32}")),
        Error::MalformedUri(_)
    ));
    // Surrounding whitespace from copy and paste is forgiven.
    assert_eq!(
        parse(&format!("  otpauth://totp/a?secret={B32}\n")).account(),
        "a"
    );
}

#[test]
fn label_separators() {
    for label in [
        "Example:alice",
        "Example%3Aalice",
        "Example%3aalice",
        "Example:%20alice",
        "Example%3A%20%20alice",
        "Example: alice",
    ] {
        let k = parse(&format!("otpauth://totp/{label}?secret={B32}"));
        assert_eq!(
            (k.issuer(), k.account()),
            (Some("Example"), "alice"),
            "{label}"
        );
        assert!(
            k.to_uri().starts_with("otpauth://totp/Example:alice?"),
            "{label}"
        );
    }
    // The Key URI Format's own example of an encoded separator.
    let k = parse(&format!(
        "otpauth://totp/Big%20Corporation%3A%20alice%40bigco.com?secret={B32}"
    ));
    assert_eq!(k.issuer(), Some("Big Corporation"));
    assert_eq!(k.account(), "alice@bigco.com");
    // No issuer anywhere.
    let k = parse(&format!("otpauth://totp/alice?secret={B32}"));
    assert_eq!((k.issuer(), k.account()), (None, "alice"));
    // An empty label issuer is no issuer.
    assert_eq!(
        parse(&format!("otpauth://totp/:alice?secret={B32}")).issuer(),
        None
    );
    // Slashes in the label (pyotp does not encode '/').
    assert_eq!(
        parse(&format!("otpauth://totp/a/b?secret={B32}")).account(),
        "a/b"
    );
}

#[test]
fn label_must_name_an_account() {
    for label in ["", "Example:", "Example:%20", "%20"] {
        assert!(
            matches!(
                err(&format!("otpauth://totp/{label}?secret={B32}")),
                Error::InvalidLabel(_)
            ),
            "{label}"
        );
    }
    // A second colon leaves one in the account, which no URI can carry unambiguously.
    assert_eq!(
        err(&format!("otpauth://totp/A:b:c?secret={B32}")),
        Error::InvalidLabel("account name contains a colon")
    );
}

#[test]
fn issuer_parameter_and_label_must_agree() {
    let k = parse(&format!(
        "otpauth://totp/example:alice?secret={B32}&issuer=Example"
    ));
    assert_eq!(
        k.issuer(),
        Some("Example"),
        "the parameter's spelling is kept"
    );
    let k = parse(&format!("otpauth://totp/alice?secret={B32}&issuer=Example"));
    assert_eq!((k.issuer(), k.account()), (Some("Example"), "alice"));
    assert!(
        k.to_uri().starts_with("otpauth://totp/Example:alice?"),
        "issuer goes in the label"
    );
    assert_eq!(
        err(&format!(
            "otpauth://totp/Evil:alice?secret={B32}&issuer=Example"
        )),
        Error::IssuerMismatch
    );
    // An empty issuer parameter is absent: the label's issuer stands.
    let k = parse(&format!(
        "otpauth://totp/Example:alice?secret={B32}&issuer="
    ));
    assert_eq!(k.issuer(), Some("Example"));
}

#[test]
fn issuer_parameter_with_a_colon_splits_the_label() {
    let k = parse(&format!(
        "otpauth://totp/A:B:alice?secret={B32}&issuer=A%3AB"
    ));
    assert_eq!((k.issuer(), k.account()), (Some("A:B"), "alice"));
    let k = parse(&format!(
        "otpauth://totp/a%3Ab%3A%20alice?secret={B32}&issuer=A%3AB"
    ));
    assert_eq!((k.issuer(), k.account()), (Some("A:B"), "alice"));
    let k = parse(&format!("otpauth://totp/alice?secret={B32}&issuer=A%3AB"));
    assert_eq!((k.issuer(), k.account()), (Some("A:B"), "alice"));
    // Such an issuer stays out of the label on output, so that apps splitting at the
    // first colon still read the account right.
    assert_eq!(
        k.to_uri(),
        format!("otpauth://totp/alice?secret={B32}&issuer=A%3AB")
    );
    assert_eq!(parse(&k.to_uri()), k);
    assert_eq!(
        err(&format!("otpauth://totp/A:alice?secret={B32}&issuer=A%3AB")),
        Error::IssuerMismatch
    );
}

#[test]
fn percent_decoding_happens_exactly_once() {
    let k = parse(&format!("otpauth://totp/user%252Fadmin?secret={B32}"));
    assert_eq!(k.account(), "user%2Fadmin");
    assert_eq!(
        k.to_uri(),
        format!("otpauth://totp/user%252Fadmin?secret={B32}")
    );
    let k = parse(&format!(
        "otpauth://totp/B%C3%A4cker:j%C3%BCrgen?secret={B32}"
    ));
    assert_eq!((k.issuer(), k.account()), (Some("Bäcker"), "jürgen"));
    // Raw UTF-8 is read too, and written encoded.
    let k = parse(&format!("otpauth://totp/Bäcker:jürgen?secret={B32}"));
    assert!(
        k.to_uri()
            .starts_with("otpauth://totp/B%C3%A4cker:j%C3%BCrgen?")
    );
    for bad in ["a%ZZ", "a%", "a%4", "%C3", "%FF%FE"] {
        assert_eq!(
            err(&format!("otpauth://totp/{bad}?secret={B32}")),
            Error::InvalidPercentEncoding,
            "{bad}"
        );
    }
    assert_eq!(
        err(&format!("otpauth://totp/a?secret={B32}&issuer=%G1")),
        Error::InvalidPercentEncoding
    );
}

#[test]
fn plus_is_a_space_in_values_and_a_plus_in_the_label() {
    let k = parse(&format!("otpauth://totp/a+b?secret={B32}&issuer=Big+Co"));
    assert_eq!((k.issuer(), k.account()), (Some("Big Co"), "a+b"));
    assert_eq!(
        k.to_uri(),
        format!("otpauth://totp/Big%20Co:a%2Bb?secret={B32}&issuer=Big%20Co")
    );
}

#[test]
fn output_encodes_everything_outside_unreserved() {
    let secret = Secret::from_base32(B32).unwrap();
    let k = KeyUri::totp(
        "a b/c?d&e=f#g+h@i%j",
        Some("X&Y=Z"),
        secret,
        TotpParams::DEFAULT,
    )
    .unwrap();
    assert_eq!(
        k.to_uri(),
        format!(
            "otpauth://totp/X%26Y%3DZ:a%20b%2Fc%3Fd%26e%3Df%23g%2Bh%40i%25j\
             ?secret={B32}&issuer=X%26Y%3DZ"
        )
    );
    assert_eq!(parse(&k.to_uri()), k);
}

#[test]
fn algorithm_digits_period() {
    let k = parse(&format!(
        "otpauth://totp/a?secret={B32}&algorithm=sha256&digits=8&period=60"
    ));
    assert_eq!(k.algorithm(), Algorithm::Sha256);
    assert_eq!(k.digits(), 8);
    assert_eq!(k.period(), Some(60));
    assert_eq!(
        k.to_uri(),
        format!("otpauth://totp/a?secret={B32}&algorithm=SHA256&digits=8&period=60")
    );
    assert_eq!(
        parse(&format!("otpauth://totp/a?secret={B32}&algorithm=Sha512")).algorithm(),
        Algorithm::Sha512
    );
    assert_eq!(
        err(&format!("otpauth://totp/a?secret={B32}&algorithm=MD5")),
        Error::UnknownAlgorithm
    );
    for d in 6..=10 {
        assert_eq!(
            parse(&format!("otpauth://totp/a?secret={B32}&digits={d}")).digits(),
            d
        );
    }
    assert_eq!(
        err(&format!("otpauth://totp/a?secret={B32}&digits=5")),
        Error::InvalidDigits(5)
    );
    assert_eq!(
        err(&format!("otpauth://totp/a?secret={B32}&digits=11")),
        Error::InvalidDigits(11)
    );
    for bad in ["six", "+6", "-6", " 6", "6.0", "0x6"] {
        assert_eq!(
            err(&format!("otpauth://totp/a?secret={B32}&digits={bad}")),
            Error::InvalidParameter("digits"),
            "{bad}"
        );
    }
    assert_eq!(
        err(&format!("otpauth://totp/a?secret={B32}&digits=99999999999")),
        Error::InvalidDigits(u32::MAX)
    );
    assert_eq!(
        err(&format!("otpauth://totp/a?secret={B32}&period=0")),
        Error::InvalidPeriod
    );
    assert_eq!(
        parse(&format!("otpauth://totp/a?secret={B32}&period=1")).period(),
        Some(1)
    );
    assert_eq!(
        err(&format!(
            "otpauth://totp/a?secret={B32}&period=99999999999999999999"
        )),
        Error::InvalidParameter("period")
    );
    // Empty values read as absent: defaults apply.
    let k = parse(&format!(
        "otpauth://totp/a?secret={B32}&algorithm=&digits=&period="
    ));
    assert_eq!(k.totp_params(), Some(TotpParams::DEFAULT));
}

#[test]
fn hotp_needs_a_counter() {
    assert_eq!(
        err(&format!("otpauth://hotp/a?secret={B32}")),
        Error::MissingParameter("counter")
    );
    assert_eq!(
        err(&format!("otpauth://hotp/a?secret={B32}&counter=")),
        Error::MissingParameter("counter")
    );
    let k = parse(&format!("otpauth://hotp/a?secret={B32}&counter=0"));
    assert_eq!(k.counter(), Some(0));
    assert_eq!(k.period(), None);
    assert_eq!(
        k.to_uri(),
        format!("otpauth://hotp/a?secret={B32}&counter=0")
    );
    let max = parse(&format!(
        "otpauth://hotp/a?secret={B32}&counter={}",
        u64::MAX
    ));
    assert_eq!(max.counter(), Some(u64::MAX));
    assert_eq!(
        err(&format!(
            "otpauth://hotp/a?secret={B32}&counter=18446744073709551616"
        )),
        Error::InvalidParameter("counter")
    );
    // A counter on TOTP and a period on HOTP mean nothing and are dropped.
    let k = parse(&format!("otpauth://totp/a?secret={B32}&counter=5"));
    assert_eq!(k.to_uri(), format!("otpauth://totp/a?secret={B32}"));
    let k = parse(&format!(
        "otpauth://hotp/a?secret={B32}&counter=5&period=60"
    ));
    assert_eq!(
        k.to_uri(),
        format!("otpauth://hotp/a?secret={B32}&counter=5")
    );
}

#[test]
fn secret_is_required_lenient_and_never_echoed() {
    assert_eq!(
        err("otpauth://totp/a?issuer=X"),
        Error::MissingParameter("secret")
    );
    assert_eq!(
        err("otpauth://totp/a?secret="),
        Error::MissingParameter("secret")
    );
    assert_eq!(err("otpauth://totp/a"), Error::MissingParameter("secret"));
    // Lowercase, spaces and padding as people and apps write them.
    let k = parse("otpauth://totp/a?secret=jbsw%20y3dp%20ehpk%203pxp%3D%3D%3D");
    assert_eq!(k.secret().to_base32().as_str(), WEAK);
    let k = parse("otpauth://totp/a?secret=jbsw+y3dp+ehpk+3pxp");
    assert_eq!(k.secret().to_base32().as_str(), WEAK);
    assert!(matches!(
        err("otpauth://totp/a?secret=GEZDGNBV"),
        Error::SecretTooShort { .. }
    ));
    let e = err("otpauth://totp/a?secret=JBSWY3DPEHPK3PX1");
    assert!(matches!(e, Error::InvalidBase32 { .. }));
    assert!(!e.to_string().contains("JBSW"));
    let k = parse(&format!("otpauth://totp/a?secret={B32}"));
    let debug = format!("{k:?}");
    assert!(!debug.contains(B32) && !debug.contains("JBSW"), "{debug}");
    assert!(debug.contains("REDACTED"));
}

#[test]
fn duplicated_parameters_are_refused() {
    for (query, name) in [
        (format!("secret={B32}&secret={WEAK}"), "secret"),
        (format!("secret={B32}&secret={B32}"), "secret"),
        (format!("secret={B32}&issuer=A&issuer=A"), "issuer"),
        (format!("secret={B32}&digits=&digits=8"), "digits"),
        (
            format!("secret={B32}&algorithm=SHA1&algorithm=SHA256"),
            "algorithm",
        ),
        (format!("secret={B32}&period=30&period=30"), "period"),
        (format!("secret={B32}&image=a&image=b"), "image"),
        (format!("secret={B32}&foo=1&foo=2"), "unknown"),
        (format!("secret={B32}&%73ecret={B32}"), "secret"),
    ] {
        assert_eq!(
            err(&format!("otpauth://totp/a?{query}")),
            Error::DuplicateParameter(name),
            "{query}"
        );
    }
}

#[test]
fn unknown_parameters_are_ignored_but_image_is_kept() {
    let k = parse(&format!(
        "otpauth://totp/a?foo=bar&secret={B32}&Secret=ignored&lock=true&&image=https%3A%2F%2Fexample.com%2Flogo.png#frag"
    ));
    assert_eq!(k.image(), Some("https://example.com/logo.png"));
    assert_eq!(
        k.to_uri(),
        format!("otpauth://totp/a?secret={B32}&image=https%3A%2F%2Fexample.com%2Flogo.png")
    );
    assert_eq!(parse(&k.to_uri()), k);
}

#[test]
fn long_uris_are_refused() {
    let long = format!(
        "otpauth://totp/{}?secret={B32}",
        "a".repeat(KeyUri::MAX_LEN)
    );
    assert_eq!(
        err(&long),
        Error::UriTooLong {
            max: KeyUri::MAX_LEN
        }
    );
    let secret = Secret::from_base32(B32).unwrap();
    let account = "é".repeat(1000); // 2000 bytes, 6000 once encoded
    assert_eq!(
        KeyUri::totp(&account, None, secret.clone(), TotpParams::DEFAULT),
        Err(Error::UriTooLong {
            max: KeyUri::MAX_LEN
        })
    );
    let k = KeyUri::totp("a", None, secret, TotpParams::DEFAULT).unwrap();
    assert!(k.with_image(&"x".repeat(KeyUri::MAX_LEN)).is_err());
    let extra: String = (0..100).map(|i| format!("&x{i}")).collect();
    let many = format!("otpauth://totp/a?secret={B32}{extra}");
    assert!(matches!(err(&many), Error::MalformedUri(_)));
}

#[test]
fn issuing_is_strict() {
    let strong = || Secret::from_base32(B32).unwrap();
    let weak = Secret::from_base32(WEAK).unwrap();
    assert_eq!(
        KeyUri::totp("a", None, weak.clone(), TotpParams::DEFAULT),
        Err(Error::SecretTooShort { len: 10, min: 16 })
    );
    assert!(KeyUri::hotp("a", None, weak.clone(), HotpParams::DEFAULT, 0).is_err());
    // Import of the same is fine.
    let k = KeyUri::from_parts(
        OtpKind::Totp { period: 30 },
        "a",
        None,
        weak,
        HotpParams::DEFAULT,
    )
    .unwrap();
    assert!(k.is_weak());
    for (account, issuer) in [
        ("a:b", None),
        ("", None),
        (" a", None),
        ("a", Some("")),
        ("a", Some("X:Y")),
        ("a", Some(" X")),
    ] {
        assert!(
            matches!(
                KeyUri::totp(account, issuer, strong(), TotpParams::DEFAULT),
                Err(Error::InvalidLabel(_))
            ),
            "{account:?} {issuer:?}"
        );
    }
    let t0 = TotpParams::builder().t0(10).build().unwrap();
    assert_eq!(
        KeyUri::totp("a", None, strong(), t0),
        Err(Error::UnsupportedT0)
    );
    assert_eq!(
        KeyUri::from_parts(
            OtpKind::Totp { period: 0 },
            "a",
            None,
            strong(),
            HotpParams::DEFAULT
        ),
        Err(Error::InvalidPeriod)
    );
}

#[test]
fn params_give_the_same_codes_as_the_uri_says() {
    let k = parse(&format!(
        "otpauth://totp/a?secret={B32}&algorithm=SHA512&digits=8&period=60"
    ));
    let totp = Totp::new(k.secret(), k.totp_params().unwrap());
    let step = totp.time_step(UnixTime::from_secs(1_700_000_000)).unwrap();
    assert_eq!(step.get(), 1_700_000_000 / 60);
    assert_eq!(totp.generate_at_step(step).len(), 8);
    let h = parse(&format!("otpauth://hotp/a?secret={B32}&counter=3"));
    assert!(h.totp_params().is_none());
    let hotp = Hotp::new(h.secret(), h.hotp_params());
    assert_eq!(hotp.params(), HotpParams::DEFAULT);
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9@._ -]{1,20}",
        "\\PC{1,12}",
        Just("a%2Fb".to_owned()),
        Just("Bäcker & Söhne".to_owned()),
    ]
}

prop_compose! {
    fn arb_key()(
        secret in proptest::collection::vec(any::<u8>(), 10..=64),
        account in arb_text().prop_filter("label rules", |a| !a.contains(':') && !a.starts_with(' ')),
        issuer in proptest::option::of(arb_text().prop_filter("non-empty", |i| !i.is_empty())),
        alg in 0..3usize,
        digits in 6u32..=10,
        hotp in any::<bool>(),
        number in prop_oneof![Just(30u64), 1u64..=600, any::<u64>().prop_map(|n| n.max(1))],
        image in proptest::option::of("[ -~]{0,40}"),
    ) -> KeyUri {
        let algorithm = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][alg];
        let kind = if hotp { OtpKind::Hotp { counter: number } } else { OtpKind::Totp { period: number } };
        let key = KeyUri::from_parts(
            kind,
            &account,
            issuer.as_deref(),
            Secret::from_bytes(&secret).unwrap(),
            HotpParams::new(algorithm, digits).unwrap(),
        ).unwrap();
        match image {
            Some(i) => key.with_image(&i).unwrap(),
            None => key,
        }
    }
}

proptest! {
    #[test]
    fn parse_format_round_trip(key in arb_key()) {
        let uri = key.to_uri();
        prop_assert!(uri.len() <= KeyUri::MAX_LEN);
        prop_assert!(!uri.contains('+') && !uri.contains(' '));
        prop_assert_eq!(KeyUri::parse(&uri).unwrap(), key);
    }

    #[test]
    fn format_of_parse_is_canonical_and_stable(
        key in arb_key(),
        upper in any::<bool>(),
        spaces in 0usize..3,
        encoded_colon in any::<bool>(),
        defaults in any::<bool>(),
        extra in any::<bool>(),
    ) {
        // Write the same key the way other encoders do, then check that parsing and
        // formatting always lands on the one canonical form.
        let canonical = key.to_uri();
        let mut other = if upper {
            canonical.replacen("otpauth://totp", "OTPAUTH://TOTP", 1).replacen("otpauth://hotp", "otpauth://HOTP", 1)
        } else {
            canonical.clone()
        };
        if let Some(issuer) = key.issuer().filter(|i| !i.contains(':')) {
            let mut enc = String::new();
            encoding::encode_into(&mut enc, issuer);
            let sep = if encoded_colon { "%3A" } else { ":" };
            // The label starts right after "otpauth://totp/" (15 bytes).
            let (head, tail) = other.split_at(15);
            let tail = tail.strip_prefix(&format!("{enc}:")).unwrap();
            other = format!("{head}{enc}{sep}{}{tail}", "%20".repeat(spaces));
        }
        if defaults {
            other.push_str("&unknown=1");
        }
        if extra && key.algorithm() == Algorithm::Sha1 {
            other.push_str("&algorithm=sha1");
        }
        let parsed = KeyUri::parse(&other).unwrap();
        prop_assert_eq!(&parsed, &key);
        let once = parsed.to_uri();
        prop_assert_eq!(&once, &canonical);
        prop_assert_eq!(KeyUri::parse(&once).unwrap().to_uri(), once);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,300}") {
        let _ = KeyUri::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_near_uris(
        kind in "(?i)(totp|hotp|xotp)",
        label in "[a-zA-Z0-9:%/ +\u{e4}]{0,30}",
        query in "[a-zA-Z0-9=&%+:]{0,80}",
    ) {
        let uri = format!("otpauth://{kind}/{label}?{query}");
        if let Ok(k) = KeyUri::parse(&uri) {
            let canonical = k.to_uri();
            prop_assert_eq!(KeyUri::parse(&canonical).unwrap(), k);
        }
    }
}

/// The length limit is inclusive: a URI padded with trailing spaces to exactly
/// `MAX_LEN` bytes is read, one byte more is refused.
#[test]
fn uri_length_limit_is_inclusive() {
    let uri = format!("otpauth://totp/a?secret={B32}");
    let at_limit = format!("{uri}{}", " ".repeat(KeyUri::MAX_LEN - uri.len()));
    assert_eq!(at_limit.len(), KeyUri::MAX_LEN);
    assert_eq!(parse(&at_limit), parse(&uri));
    assert_eq!(
        err(&format!("{at_limit} ")),
        Error::UriTooLong {
            max: KeyUri::MAX_LEN
        }
    );
}

/// Numbers are ASCII digits only: Rust's parser would take a leading `+` (`%2B`, since a
/// bare `+` reads as a space), the URI does not.
#[test]
fn numbers_take_no_sign() {
    for (query, name) in [("digits=%2B6", "digits"), ("period=%2B30", "period")] {
        let uri = format!("otpauth://totp/a?secret={B32}&{query}");
        assert_eq!(err(&uri), Error::InvalidParameter(name), "{uri}");
    }
    let uri = format!("otpauth://hotp/a?secret={B32}&counter=%2B1");
    assert_eq!(err(&uri), Error::InvalidParameter("counter"));
}

/// The label splits after the issuer parameter only when both the prefix matches and a
/// `:` follows it; otherwise at the first `:`.
#[test]
fn label_splits_after_the_issuer_only_when_both_hold() {
    // The prefix matches but no `:` follows it.
    assert_eq!(
        split_label("A:Bc:alice", Some("A:B")),
        (Some("A"), "Bc:alice")
    );
    // A `:` follows, but the prefix is another issuer.
    assert_eq!(
        split_label("X:Y:alice", Some("A:B")),
        (Some("X"), "Y:alice")
    );
    assert_eq!(
        split_label("a:b: alice", Some("A:B")),
        (Some("a:b"), "alice")
    );
}

/// The limit on what is built is inclusive too: a key whose canonical URI is exactly
/// `MAX_LEN` bytes is made, one byte more is refused.
#[test]
fn built_uri_length_limit_is_inclusive() {
    let secret = Secret::from_base32(B32).unwrap();
    let key = KeyUri::totp("alice", Some("Example"), secret, TotpParams::DEFAULT).unwrap();
    let room = KeyUri::MAX_LEN - key.to_uri().len() - "&image=".len();
    let at_limit = key.clone().with_image(&"x".repeat(room)).unwrap();
    assert_eq!(at_limit.to_uri().len(), KeyUri::MAX_LEN);
    assert_eq!(
        key.with_image(&"x".repeat(room + 1)),
        Err(Error::UriTooLong {
            max: KeyUri::MAX_LEN
        })
    );
}
