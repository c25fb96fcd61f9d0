//! The `tessera` command's contract: outputs, JSON keys and exit codes.

use serde_json::{Value, json};

use crate::common::{Run, run, run_with_stdin};

/// RFC 6238 Appendix B's SHA-1 seed "12345678901234567890" (and RFC 4226 Appendix D's).
const RFC_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// RFC 6238's SHA-256 seed, 32 bytes.
const RFC_SHA256: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
/// RFC 6238's SHA-512 seed, 64 bytes.
const RFC_SHA512: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA";

/// Exit 2, nothing on stdout, exactly one line on stderr that does not contain `secret`.
fn assert_bad_input(args: &[&str], secret: &str) -> String {
    let r = run(args);
    assert_eq!(r.status, 2, "{args:?}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
    assert!(r.stderr.starts_with("tessera: error: "), "{}", r.stderr);
    if !secret.is_empty() {
        assert!(!r.stderr.contains(secret), "secret echoed: {}", r.stderr);
    }
    r.stderr
}

#[test]
fn code_matches_rfc_vectors() {
    // RFC 6238 Appendix B, 8 digits.
    for (secret, alg, time, code) in [
        (RFC_SHA1, "SHA1", "59", "94287082"),
        (RFC_SHA256, "sha256", "59", "46119246"),
        (RFC_SHA512, "SHA512", "59", "90693936"),
        (RFC_SHA1, "SHA1", "1111111109", "07081804"),
        (RFC_SHA512, "SHA512", "20000000000", "47863826"),
    ] {
        let r = run(&[
            "code",
            "--secret",
            secret,
            "--algorithm",
            alg,
            "--digits",
            "8",
            "--time",
            time,
        ]);
        assert_eq!(
            (r.status, r.stdout.as_str(), r.stderr.as_str()),
            (0, &*format!("{code}\n"), "")
        );
    }
    // RFC 4226 Appendix D: HOTP at counters 0 and 9.
    for (counter, code) in [("0", "755224"), ("9", "520489")] {
        let r = run(&["code", "--secret", RFC_SHA1, "--counter", counter]);
        assert_eq!(r.stdout, format!("{code}\n"));
    }
    // Period and T0 move the step: T0 = 30 makes t = 89 the RFC's step 1.
    let r = run(&[
        "code", "--secret", RFC_SHA1, "--digits", "8", "--time", "89", "--t0", "30",
    ]);
    assert_eq!(r.stdout, "94287082\n");
    let r = run(&[
        "code", "--secret", RFC_SHA1, "--digits", "8", "--time", "118", "--period", "60",
    ]);
    assert_eq!(r.stdout, "94287082\n");
    // Now, by default: six digits.
    let r = run(&["code", "--secret", RFC_SHA1]);
    assert_eq!(r.status, 0);
    assert_eq!(r.stdout.trim_end().len(), 6);
}

#[test]
fn code_refuses_bad_input() {
    assert_bad_input(&["code", "--secret", "JBSWY3DPEHPK3PX!"], "JBSWY3DP");
    assert_bad_input(&["code", "--secret", "JBSWY3DP"], "JBSWY3DP"); // too short
    assert_bad_input(&["code", "--secret", RFC_SHA1, "--digits", "5"], RFC_SHA1);
    assert_bad_input(&["code", "--secret", RFC_SHA1, "--digits", "x"], RFC_SHA1);
    assert_bad_input(&["code", "--secret", RFC_SHA1, "--period", "0"], RFC_SHA1);
    assert_bad_input(
        &["code", "--secret", RFC_SHA1, "--algorithm", "MD5"],
        RFC_SHA1,
    );
    assert_bad_input(
        &["code", "--secret", RFC_SHA1, "--time", "5", "--t0", "10"],
        RFC_SHA1,
    );
    assert_bad_input(
        &[
            "code",
            "--secret",
            RFC_SHA1,
            "--time",
            "5",
            "--counter",
            "1",
        ],
        RFC_SHA1,
    );
    // A secret in the wrong place is not repeated back.
    assert_bad_input(&["code", RFC_SHA1], RFC_SHA1);
    assert_bad_input(
        &["code", "--digits", RFC_SHA1, "--secret", RFC_SHA1],
        RFC_SHA1,
    );
    assert_bad_input(&["code"], "");
    assert_bad_input(&["frobnicate"], "");
}

#[test]
fn verify_exit_codes() {
    let base = [
        "verify", "--secret", RFC_SHA1, "--digits", "8", "--time", "59",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        run(&args)
    };
    let r = with(&["--code", "94287082"]);
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (0, "1\n", "")
    );
    // Typed with a space and a hyphen: the same code.
    assert_eq!(with(&["--code", "9428 7082"]).stdout, "1\n");
    assert_eq!(with(&["--code", "9428-7082"]).stdout, "1\n");
    // Wrong code.
    let r = with(&["--code", "94287083"]);
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (1, "rejected\n", "")
    );
    // Replay: the step is used.
    let r = with(&["--code", "94287082", "--last-step", "1"]);
    assert_eq!((r.status, r.stdout.as_str()), (1, "rejected\n"));
    assert_eq!(
        with(&["--code", "94287082", "--last-step", "0"]).stdout,
        "1\n"
    );
    // The window: step 1's code at t = 89 (step 2) needs a window of 1.
    let later = |w: &str| {
        run(&[
            "verify", "--secret", RFC_SHA1, "--digits", "8", "--time", "89", "--code", "94287082",
            "--window", w,
        ])
    };
    assert_eq!(later("1").stdout, "1\n");
    assert_eq!(later("0").status, 1);
    // Input that cannot be a code: exit 2, and the code is not repeated.
    for bad in ["9428708a", "9428708", "942870821", "", "+94287082"] {
        let err = assert_bad_input(
            &[
                "verify", "--secret", RFC_SHA1, "--digits", "8", "--code", bad,
            ],
            RFC_SHA1,
        );
        if bad.len() > 3 {
            assert!(!err.contains(bad), "{err}");
        }
    }
    assert_bad_input(
        &[
            "verify", "--secret", RFC_SHA1, "--code", "123456", "--window", "51",
        ],
        RFC_SHA1,
    );
    assert_bad_input(&["verify", "--secret", "AAAA", "--code", "123456"], "AAAA");
}

#[test]
fn secret_from_stdin() {
    let r = run_with_stdin(
        &["code", "--secret", "-", "--digits", "8", "--time", "59"],
        format!("{RFC_SHA1}\n").as_bytes(),
    );
    assert_eq!(r.stdout, "94287082\n");
}

#[test]
fn secret_generation() {
    let a = run(&["secret"]);
    let b = run(&["secret"]);
    assert_eq!(a.status, 0);
    let a = a.stdout.trim_end();
    assert_eq!(a.len(), 32, "20 bytes of base32");
    assert!(
        a.chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
    );
    assert_ne!(a, b.stdout.trim_end());
    assert_eq!(
        run(&["secret", "--bytes", "16"]).stdout.trim_end().len(),
        26
    );
    assert_eq!(
        run(&["secret", "--bytes", "64"]).stdout.trim_end().len(),
        103
    );
    assert_bad_input(&["secret", "--bytes", "15"], "");
    assert_bad_input(&["secret", "--bytes", "257"], "");
    assert_bad_input(&["secret", "--bytes", "-1"], "");
}

#[test]
fn uri_parse_prints_the_contract_json() {
    let r = run(&[
        "uri",
        "parse",
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=sha256&digits=8&period=60",
    ]);
    assert_eq!(r.status, 0);
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout,
        "{\"kind\":\"totp\",\"issuer\":\"ACME Co\",\"account\":\"john.doe@email.com\",\
         \"secret\":\"HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ\",\"algorithm\":\"SHA256\",\"digits\":8,\
         \"period\":60,\"counter\":null,\"weak_secret\":false}\n"
    );
    let r = run(&[
        "uri",
        "parse",
        "otpauth://hotp/bob?secret=jbsw y3dp ehpk 3pxp&counter=5",
    ]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v,
        json!({"kind": "hotp", "issuer": null, "account": "bob", "secret": "JBSWY3DPEHPK3PXP",
               "algorithm": "SHA1", "digits": 6, "period": null, "counter": 5, "weak_secret": true})
    );
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("weak"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("JBSW"));
}

#[test]
fn uri_parse_refuses_bad_uris_without_echoing_the_secret() {
    let s = "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ";
    for uri in [
        format!("otpauth:totp/a?secret={s}"),
        format!("otpauth://totp/a?secret={s}&secret={s}"),
        format!("otpauth://totp/Evil:a?secret={s}&issuer=Good"),
        format!("otpauth://totp/a%ZZ?secret={s}"),
        format!("otpauth://totp/a?secret={s}&digits=12"),
        format!("otpauth://hotp/a?secret={s}"),
        format!("otpauth://totp/a?secret={s}1"),
        format!("otpauth://totp/{}?secret={s}", "a".repeat(5000)),
        "otpauth://totp/a".to_owned(),
    ] {
        assert_bad_input(&["uri", "parse", &uri], s);
    }
}

#[test]
fn uri_build_is_strict_and_canonical() {
    let s = "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ";
    let lower = s.to_lowercase();
    let weak = "JBSWY3DPEHPK3PXP";
    for (args, uri) in [
        (
            &[
                "--account",
                "alice@example.com",
                "--issuer",
                "Big Co",
                "--secret",
                &lower,
            ][..],
            format!("otpauth://totp/Big%20Co:alice%40example.com?secret={s}&issuer=Big%20Co"),
        ),
        (
            &[
                "--account",
                "-dash",
                "--secret",
                s,
                "--algorithm",
                "sha512",
                "--digits",
                "10",
                "--counter",
                "7",
            ],
            format!("otpauth://hotp/-dash?secret={s}&algorithm=SHA512&digits=10&counter=7"),
        ),
        (
            &["--account", "a", "--secret", s, "--period", "60"],
            format!("otpauth://totp/a?secret={s}&period=60"),
        ),
        // A weak secret: accepted, with a warning on stderr only.
        (
            &["--account", "a", "--secret", weak],
            format!("otpauth://totp/a?secret={weak}"),
        ),
    ] {
        let r = run(&[&["uri", "build"], args].concat());
        assert_eq!((r.status, r.stdout), (0, format!("{uri}\n")), "{args:?}");
        if args.contains(&weak) {
            assert!(r.stderr.starts_with("tessera: warning: ") && r.stderr.contains("weak"));
            assert!(!r.stderr.contains("JBSW"));
        } else {
            assert_eq!(r.stderr, "", "{args:?}");
        }
    }
    for args in [
        &["--account", "a:b", "--secret", s][..],
        &["--account", "", "--secret", s],
        &["--account", "a", "--issuer", "X:Y", "--secret", s],
        &[
            "--account",
            "a",
            "--issuer",
            "X:Y",
            "--secret",
            "JBSWY3DPEHPK3PXP",
        ],
        &["--account", "a", "--secret", s, "--digits", "11"],
        &["--account", "a", "--secret", s, "--period", "0"],
        &[
            "--account",
            "a",
            "--secret",
            s,
            "--period",
            "60",
            "--counter",
            "1",
        ],
        &["--account", "a", "--secret", "JBSWY3DP"],
    ] {
        assert_bad_input(&[&["uri", "build"], args].concat(), s);
    }
}

/// Written by the standard-library Python encoder of
/// crates/tessera-otp/tests/otp/uri_migration_python.rs: two accounts, the second weak HOTP.
const EXPORT: &str = "otpauth-migration://offline?data=CjgKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEhFhbGljZUBleGFtcGxlLmNvbRoHRXhhbXBsZSABKAEwAgogCgowMTIzNDU2Nzg5EghDb3JwOmJvYhoAIAIoAjABOAUQARgBIAAoKg%3D%3D";

#[test]
fn uri_import_prints_one_object_per_account() {
    let r = run(&["uri", "import", EXPORT]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"kind": "totp", "issuer": "Example", "account": "alice@example.com",
                   "secret": RFC_SHA1, "algorithm": "SHA1", "digits": 6, "period": 30,
                   "counter": null, "weak_secret": false}),
            json!({"kind": "hotp", "issuer": "Corp", "account": "bob",
                   "secret": "GAYTEMZUGU3DOOBZ", "algorithm": "SHA256", "digits": 8,
                   "period": null, "counter": 5, "weak_secret": true}),
        ]
    );
    assert!(
        r.stderr.contains("account 2") && r.stderr.contains("weak"),
        "{}",
        r.stderr
    );
    assert_bad_input(
        &["uri", "import", "otpauth-migration://offline?data=CjgK"],
        "",
    );
    assert_bad_input(
        &["uri", "import", "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ"],
        "GEZDGNBV",
    );
}

#[test]
fn qr_terminal_svg_and_png() {
    let uri = format!("otpauth://totp/Example:alice?secret={RFC_SHA1}&issuer=Example");
    let r = run(&["qr", &uri]);
    assert_eq!((r.status, r.stderr.as_str()), (0, ""));
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines.len() > 10);
    assert!(lines[0].chars().all(|c| c == '█'), "quiet zone");
    assert!(
        lines
            .iter()
            .all(|l| l.chars().count() == lines[0].chars().count())
    );

    let dir = std::env::temp_dir().join(format!("tessera-cli-qr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("code.svg");
    let png = dir.join("code.png");
    let r = run(&["qr", &uri, "--svg", svg.to_str().unwrap()]);
    assert_eq!((r.status, r.stdout.as_str()), (0, ""));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let r = run(&["qr", &uri, "--png", png.to_str().unwrap()]);
    assert_eq!((r.status, r.stdout.as_str()), (0, ""));
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    assert_bad_input(
        &[
            "qr",
            &uri,
            "--png",
            png.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ],
        RFC_SHA1,
    );
    let missing = dir.join("no/such/dir/x.png");
    assert_bad_input(&["qr", &uri, "--png", missing.to_str().unwrap()], RFC_SHA1);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_bad_input(&["qr", "https://example.com"], "");
    assert_bad_input(
        &[
            "qr",
            &format!("otpauth://totp/a?secret={RFC_SHA1}&secret=AA"),
        ],
        RFC_SHA1,
    );
}

/// Issue 12 item 18: `qr --png/--svg` wrote the seed's image with mode 0644 (umask
/// 022); it is created 0600 from the start, whatever the umask allows.
#[cfg(unix)]
#[test]
fn qr_files_are_created_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;

    let uri = format!("otpauth://totp/Example:alice?secret={RFC_SHA1}&issuer=Example");
    let dir = std::env::temp_dir().join(format!("tessera-cli-qr-mode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for flag in ["--png", "--svg"] {
        let path = dir.join(format!("code{flag}"));
        let r = run(&["qr", &uri, flag, path.to_str().unwrap()]);
        assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{flag}");
        assert_eq!(mode(&path), 0o600, "{flag}");

        // An existing private file is overwritten, fully (no old bytes left behind).
        std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let r = run(&["qr", &uri, flag, path.to_str().unwrap()]);
        assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{flag}");
        let fresh = dir.join(format!("fresh{flag}"));
        assert_eq!(run(&["qr", &uri, flag, fresh.to_str().unwrap()]).status, 0);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&fresh).unwrap(),
            "{flag}: the old content is gone"
        );
        assert_eq!(mode(&path), 0o600, "{flag}");

        // An existing file others may read is refused and left exactly as it was.
        for wide in [0o644, 0o640, 0o604, 0o620] {
            std::fs::write(&path, b"old").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(wide)).unwrap();
            let err = assert_bad_input(&["qr", &uri, flag, path.to_str().unwrap()], RFC_SHA1);
            assert!(err.contains("other users may access it"), "{err}");
            assert_eq!(std::fs::read(&path).unwrap(), b"old");
            assert_eq!(mode(&path), wide);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_and_version() {
    let r = run(&["--help"]);
    assert_eq!(r.status, 0);
    for cmd in ["code", "verify", "secret", "uri", "qr", "password"] {
        assert!(r.stdout.contains(cmd), "{cmd}");
    }
    assert_eq!(run(&["--version"]).status, 0);
    assert_eq!(run(&["uri", "build", "--help"]).status, 0);
    let r = run(&[]);
    assert_eq!(r.status, 2);
    assert!(r.stdout.is_empty());
}

/// `tessera key generate` prints one `id=key` line the keyring reads, a new key each time.
#[test]
fn key_generate_prints_a_keyring_line() {
    let Run {
        status, stdout: a, ..
    } = run(&["key", "generate", "--id", "2026-11"]);
    assert_eq!(status, 0);
    assert!(a.starts_with("2026-11=") && a.ends_with('\n'), "{a}");
    let ring = tessera_keyring::Keyring::parse(&a).unwrap();
    assert_eq!(ring.active_id().as_str(), "2026-11");
    let b = run(&["key", "generate", "--id", "2026-11"]).stdout;
    assert_ne!(a, b, "a fresh key each time");
    let Run {
        status,
        stdout: dated,
        ..
    } = run(&["key", "generate"]);
    assert_eq!(status, 0);
    assert!(tessera_keyring::Keyring::parse(&dated).is_ok(), "{dated}");
    assert_eq!(run(&["key", "generate", "--id", "bad id"]).status, 2);
}

/// clap's own messages quote the value typed, which may be a misplaced secret; ours name
/// the flag only. With no command at all, the help (status 2).
#[test]
fn usage_errors_name_the_flag_and_never_the_value() {
    let r = run(&[]);
    assert_eq!(r.status, 2);
    let help = format!("{}{}", r.stdout, r.stderr);
    assert!(
        help.contains("Usage: tessera <COMMAND>") && help.contains("Commands:"),
        "{help}"
    );

    let r = run(&["code", "--secret", RFC_SHA1, "--digits", "x"]);
    assert_eq!(r.status, 2);
    assert_eq!(
        r.stderr,
        "tessera: error: invalid value for --digits <N> (see tessera --help)\n"
    );
    let r = run(&["verify", "--secret", RFC_SHA1]);
    assert_eq!(
        r.stderr,
        "tessera: error: missing required argument: --code <CODE> (see tessera --help)\n"
    );
    assert!(!r.stderr.contains(RFC_SHA1));
}
