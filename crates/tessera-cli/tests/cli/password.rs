//! `tessera password check|hash|verify`: stdin reading, JSON, exit codes.

use serde_json::{Value, json};

use crate::common::{Run, run_with_stdin};

#[test]
fn check_reports_every_violation() {
    let Run {
        status,
        stdout: out,
        stderr: err,
    } = run_with_stdin(&["password", "check", "--username", "alice"], b"alice123\n");
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

    let Run {
        status,
        stdout: out,
        ..
    } = run_with_stdin(&["password", "check"], b"correct horse battery staple\n");
    assert_eq!(
        (status, out.as_str()),
        (0, "{\"ok\":true,\"violations\":[]}\n")
    );

    let Run {
        status,
        stdout: out,
        ..
    } = run_with_stdin(
        &["password", "check", "--email", "robert@example.com"],
        b"robert likes green tea 42\n",
    );
    assert_eq!(status, 1);
    assert!(out.contains("contains_email"), "{out}");

    // Lengths: 15 code points is fine by default and too short for --min-length 16;
    // 12 is too short alone (NIST SP 800-63B-4) and fine beside a second factor.
    let pw = b"zq8 vkp2 wt9xr4\n";
    assert_eq!(run_with_stdin(&["password", "check"], pw).status, 0);
    let twelve = b"zq8 vkp2 wt9\n";
    let Run {
        status,
        stdout: out,
        ..
    } = run_with_stdin(&["password", "check"], twelve);
    assert_eq!(status, 1);
    assert!(out.contains("too_short"), "{out}");
    assert_eq!(
        run_with_stdin(&["password", "check", "--with-mfa"], twelve).status,
        0
    );
    let Run {
        status,
        stdout: out,
        ..
    } = run_with_stdin(&["password", "check", "--min-length", "16"], pw);
    assert_eq!(status, 1);
    assert!(out.contains("too_short"), "{out}");
    let Run {
        status,
        stdout: out,
        ..
    } = run_with_stdin(&["password", "check", "--max-length", "64"], &[b'k'; 70]);
    assert_eq!(status, 1);
    assert!(out.contains("too_long"), "{out}");
}

#[test]
fn exactly_the_line_ending_is_removed() {
    let Run { stdout: plain, .. } = run_with_stdin(&["password", "hash"], b"two words\n");
    let hash = plain.trim_end();
    // Same password: with \n, with \r\n, with no line ending, with a second line.
    for input in [
        &b"two words\n"[..],
        b"two words\r\n",
        b"two words",
        b"two words\nnext\n",
    ] {
        assert_eq!(
            run_with_stdin(&["password", "verify", "--hash", hash], input).status,
            0,
            "{input:?}"
        );
    }
    // Spaces are part of the password.
    for input in [&b"two words \n"[..], b" two words\n", b"two words\r\r\n"] {
        assert_eq!(
            run_with_stdin(&["password", "verify", "--hash", hash], input).status,
            1,
            "{input:?}"
        );
    }
    // A trailing space is kept by check too: "abc " is not "abc".
    let Run {
        status,
        stdout: out,
        ..
    } = run_with_stdin(&["password", "check"], b"               \n");
    assert_eq!(status, 1, "fifteen spaces are fifteen characters: {out}");
    assert!(!out.contains("too_short"), "{out}");
}

#[test]
fn hash_and_verify() {
    let Run {
        status,
        stdout: out,
        stderr: err,
    } = run_with_stdin(&["password", "hash"], b"correct horse battery staple\n");
    assert_eq!((status, err.as_str()), (0, ""));
    assert!(out.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{out}");
    assert_eq!(out.lines().count(), 1);
    let hash = out.trim_end();
    let Run {
        status,
        stdout: out,
        stderr: err,
    } = run_with_stdin(
        &["password", "verify", "--hash", hash],
        b"correct horse battery staple\n",
    );
    assert_eq!((status, out.as_str(), err.as_str()), (0, "", ""));
    let Run {
        status,
        stdout: out,
        ..
    } = run_with_stdin(&["password", "verify", "--hash", hash], b"wrong\n");
    assert_eq!((status, out.as_str()), (1, ""));
    // Hashing does not apply the policy.
    assert_eq!(run_with_stdin(&["password", "hash"], b"a\n").status, 0);
}

#[test]
fn bad_input_exits_2_without_echo() {
    for hash in [
        "not a hash",
        "$argon2id$v=19$m=19456,t=2,p=1$AAAA",
        "$md5$abc$def",
        "",
    ] {
        let Run {
            status,
            stdout: out,
            stderr: err,
        } = run_with_stdin(&["password", "verify", "--hash", hash], b"hunter22\n");
        assert_eq!(status, 2, "{hash}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1);
        assert!(!err.contains("hunter22"));
    }
    let Run {
        status,
        stderr: err,
        ..
    } = run_with_stdin(&["password", "check"], b"\xff\xfe\n");
    assert_eq!(status, 2);
    assert!(err.contains("utf-8"));
    let Run {
        status,
        stderr: err,
        ..
    } = run_with_stdin(&["password", "check", "--min-length", "3"], b"secretpw\n");
    assert_eq!(status, 2);
    assert!(!err.contains("secretpw"));
    let Run { status, .. } = run_with_stdin(&["password", "hash"], &vec![b'a'; 70_000]);
    assert_eq!(status, 2, "too long to hash");
}
