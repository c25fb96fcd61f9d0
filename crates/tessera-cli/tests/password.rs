//! `tessera password check|hash|verify`: stdin reading, JSON, exit codes.

// Tests: a panic is a failed test, which is what unwrap should do here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;
use serde_json::{Value, json};

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let out = assert_cmd::Command::from_std(Command::cargo_bin("tessera").unwrap())
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn check_reports_every_violation() {
    let (status, out, err) = run(&["password", "check", "--username", "alice"], b"alice123\n");
    assert_eq!((status, err.as_str()), (1, ""));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], json!(false));
    let codes: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["too_short", "blocklisted", "contains_username"]);
    assert_eq!(
        v["violations"][2]["message"],
        json!("Do not use your username in the password.")
    );
    assert!(!out.contains("alice123"));

    let (status, out, _) = run(&["password", "check"], b"correct horse battery staple\n");
    assert_eq!(
        (status, out.as_str()),
        (0, "{\"ok\":true,\"violations\":[]}\n")
    );

    let (status, out, _) = run(
        &["password", "check", "--email", "robert@example.com"],
        b"robert likes green tea 42\n",
    );
    assert_eq!(status, 1);
    assert!(out.contains("contains_email"), "{out}");

    // Lengths: 15 code points is fine by default and too short for --min-length 16;
    // 12 is too short alone (NIST SP 800-63B-4) and fine beside a second factor.
    let pw = b"zq8 vkp2 wt9xr4\n";
    assert_eq!(run(&["password", "check"], pw).0, 0);
    let twelve = b"zq8 vkp2 wt9\n";
    let (status, out, _) = run(&["password", "check"], twelve);
    assert_eq!(status, 1);
    assert!(out.contains("too_short"), "{out}");
    assert_eq!(run(&["password", "check", "--with-mfa"], twelve).0, 0);
    let (status, out, _) = run(&["password", "check", "--min-length", "16"], pw);
    assert_eq!(status, 1);
    assert!(out.contains("too_short"), "{out}");
    let (status, out, _) = run(&["password", "check", "--max-length", "64"], &[b'k'; 70]);
    assert_eq!(status, 1);
    assert!(out.contains("too_long"), "{out}");
}

#[test]
fn exactly_the_line_ending_is_removed() {
    let (_, plain, _) = run(&["password", "hash"], b"two words\n");
    let hash = plain.trim_end();
    // Same password: with \n, with \r\n, with no line ending, with a second line.
    for input in [
        &b"two words\n"[..],
        b"two words\r\n",
        b"two words",
        b"two words\nnext\n",
    ] {
        assert_eq!(
            run(&["password", "verify", "--hash", hash], input).0,
            0,
            "{input:?}"
        );
    }
    // Spaces are part of the password.
    for input in [&b"two words \n"[..], b" two words\n", b"two words\r\r\n"] {
        assert_eq!(
            run(&["password", "verify", "--hash", hash], input).0,
            1,
            "{input:?}"
        );
    }
    // A trailing space is kept by check too: "abc " is not "abc".
    let (status, out, _) = run(&["password", "check"], b"               \n");
    assert_eq!(status, 1, "fifteen spaces are fifteen characters: {out}");
    assert!(!out.contains("too_short"), "{out}");
}

#[test]
fn hash_and_verify() {
    let (status, out, err) = run(&["password", "hash"], b"correct horse battery staple\n");
    assert_eq!((status, err.as_str()), (0, ""));
    assert!(out.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{out}");
    assert_eq!(out.lines().count(), 1);
    let hash = out.trim_end();
    let (status, out, err) = run(
        &["password", "verify", "--hash", hash],
        b"correct horse battery staple\n",
    );
    assert_eq!((status, out.as_str(), err.as_str()), (0, "", ""));
    let (status, out, _) = run(&["password", "verify", "--hash", hash], b"wrong\n");
    assert_eq!((status, out.as_str()), (1, ""));
    // Hashing does not apply the policy.
    assert_eq!(run(&["password", "hash"], b"a\n").0, 0);
}

#[test]
fn bad_input_exits_2_without_echo() {
    for hash in [
        "not a hash",
        "$argon2id$v=19$m=19456,t=2,p=1$AAAA",
        "$md5$abc$def",
        "",
    ] {
        let (status, out, err) = run(&["password", "verify", "--hash", hash], b"hunter22\n");
        assert_eq!(status, 2, "{hash}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1);
        assert!(!err.contains("hunter22"));
    }
    let (status, _, err) = run(&["password", "check"], b"\xff\xfe\n");
    assert_eq!(status, 2);
    assert!(err.contains("utf-8"));
    let (status, _, err) = run(&["password", "check", "--min-length", "3"], b"secretpw\n");
    assert_eq!(status, 2);
    assert!(!err.contains("secretpw"));
    let (status, _, _) = run(&["password", "hash"], &vec![b'a'; 70_000]);
    assert_eq!(status, 2, "too long to hash");
}
