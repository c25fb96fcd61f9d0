//! Differential test against pyotp (PyPI `pyotp`): for random configurations,
//! `tessera uri build` output parsed by `pyotp.parse_uri`, and pyotp's
//! `provisioning_uri` parsed by `tessera uri parse`, agree on every field and on codes.
//!
//! Peer rule: without python3 and pyotp, the test fails when `CI` is set and is skipped
//! otherwise.

// The test RNG deliberately keeps only the low bits of its output.
#![allow(clippy::cast_possible_truncation)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::{Run, run};

const CASES: usize = 64;

/// SplitMix64: a fixed seed makes every run test the same configurations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn text(&mut self, min: u64, max: u64, colon: bool) -> String {
        const PLAIN: &[&str] = &[
            "a", "b", "Z", "0", "9", "@", ".", "-", "_", "~", " ", "+", "/", "%", "&", "=", "?",
            "#", "!", "'", "(", ")", "*", ",", ";", "$", "ä", "é", "日", "本", "😀",
        ];
        let len = min + self.below(max - min + 1);
        let mut parts: Vec<&str> = (0..len).map(|_| *self.pick(PLAIN)).collect();
        if colon {
            parts.insert(parts.len() / 2, ":");
        }
        // Leading spaces are not allowed in issued labels.
        parts.concat().trim_start().to_owned()
    }
}

#[derive(Debug)]
struct Config {
    secret: String,
    account: String,
    issuer: Option<String>,
    algorithm: &'static str,
    digits: u64,
    period: Option<u64>,
    counter: Option<u64>,
}

impl Config {
    /// Runs `tessera args…` followed by this key's secret, algorithm and digits.
    fn run(&self, args: &[&str]) -> Run {
        let digits = self.digits.to_string();
        let key = ["--secret", &self.secret, "--algorithm", self.algorithm];
        run(&[args, &key, &["--digits", &digits]].concat())
    }
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = buffer << 8 | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[(buffer >> bits & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[(buffer << (5 - bits) & 31) as usize] as char);
    }
    out
}

fn configs(colon_issuers: bool) -> Vec<Config> {
    let mut rng = Rng(0x7E55_E8A0_2026_0003);
    (0..CASES)
        .map(|_| {
            let len = 16 + rng.below(49) as usize;
            let secret: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let mut account = rng.text(1, 24, false);
            if account.is_empty() {
                account.push('x');
            }
            let colon = colon_issuers && rng.below(4) == 0;
            let issuer = (rng.below(4) != 0)
                .then(|| rng.text(1, 16, colon))
                .filter(|i| !i.is_empty());
            let hotp = rng.below(4) == 0;
            Config {
                secret: base32(&secret),
                account,
                issuer,
                algorithm: ["SHA1", "SHA256", "SHA512"][rng.below(3) as usize],
                digits: 6 + rng.below(3), // pyotp reads 6 to 8 digits
                // pyotp 2.12 refuses periods over 120 seconds.
                period: (!hotp).then(|| *rng.pick(&[30, 30, 60, 1, 15, 90, 120])),
                counter: hotp.then(|| rng.below(1 << 40)),
            }
        })
        .collect()
}

/// Runs a Python script with JSON on stdin and JSON on stdout; `None` when pyotp is
/// missing outside CI.
fn python(script: &str, input: &Value) -> Option<Value> {
    let probe = Command::new("python3")
        .args(["-c", "import pyotp"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with pyotp is required under CI (pip install pyotp)"
        );
        eprintln!("skipped: python3 with pyotp not found (pip install pyotp)");
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python failed");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// For each URI: pyotp's reading of it, and its codes at the given instants/counters.
const PARSE: &str = r#"
import json, sys, pyotp
out = []
for case in json.load(sys.stdin):
    otp = pyotp.parse_uri(case["uri"])
    hotp = isinstance(otp, pyotp.HOTP)
    out.append({
        "kind": "hotp" if hotp else "totp",
        "issuer": otp.issuer,
        "account": otp.name,
        "secret": otp.secret,
        "algorithm": otp.digest().name.upper().replace("SHA-", "SHA"),
        "digits": otp.digits,
        "period": None if hotp else otp.interval,
        "counter": otp.initial_count if hotp else None,
        "codes": [otp.generate_otp(n) if hotp else otp.at(n) for n in case["at"]],
    })
print(json.dumps(out))
"#;

/// For each configuration: pyotp's provisioning URI.
const PROVISION: &str = r#"
import hashlib, json, sys, pyotp
out = []
for c in json.load(sys.stdin):
    digest = getattr(hashlib, c["algorithm"].lower())
    if c["counter"] is None:
        otp = pyotp.TOTP(c["secret"], digits=c["digits"], digest=digest, interval=c["period"])
        out.append(otp.provisioning_uri(name=c["account"], issuer_name=c["issuer"]))
    else:
        otp = pyotp.HOTP(c["secret"], digits=c["digits"], digest=digest)
        out.append(otp.provisioning_uri(name=c["account"], issuer_name=c["issuer"],
                                        initial_count=c["counter"]))
print(json.dumps(out))
"#;

fn instants(c: &Config, i: usize) -> Vec<u64> {
    match c.counter {
        Some(n) => vec![n, n + 1, n + 1000],
        None => vec![59, 1_111_111_109, 2_000_000_000 + 7_919 * i as u64],
    }
}

fn expected_json(c: &Config) -> Value {
    json!({
        "kind": if c.counter.is_some() { "hotp" } else { "totp" },
        "issuer": c.issuer,
        "account": c.account,
        "secret": c.secret,
        "algorithm": c.algorithm,
        "digits": c.digits,
        "period": c.period,
        "counter": c.counter,
    })
}

fn tessera_codes(c: &Config, at: &[u64]) -> Vec<String> {
    at.iter()
        .map(|&n| {
            let period = c.period.unwrap_or(30).to_string();
            let moment = if c.counter.is_some() {
                "--counter"
            } else {
                "--time"
            };
            let r = c.run(&["code", "--period", &period, moment, &n.to_string()]);
            assert_eq!(r.status, 0, "{}", r.stderr);
            r.stdout.trim_end().to_owned()
        })
        .collect()
}

#[test]
fn tessera_uris_read_the_same_in_pyotp() {
    let configs = configs(false);
    let mut cases = Vec::new();
    for (i, c) in configs.iter().enumerate() {
        let number = c.counter.or(c.period).unwrap().to_string();
        let mut args = vec!["uri", "build", "--account", &c.account];
        if let Some(issuer) = &c.issuer {
            args.extend(["--issuer", issuer]);
        }
        let kind = if c.counter.is_some() {
            "--counter"
        } else {
            "--period"
        };
        args.extend([kind, &number]);
        let Run {
            status,
            stdout: uri,
            stderr: err,
        } = c.run(&args);
        assert_eq!(status, 0, "{c:?}: {err}");
        assert!(err.is_empty(), "no warning for a strong secret: {err}");
        cases.push(json!({"uri": uri.trim_end(), "at": instants(c, i)}));
    }
    let Some(Value::Array(parsed)) = python(PARSE, &Value::Array(cases.clone())) else {
        return;
    };
    assert_eq!(parsed.len(), CASES);
    for (i, (c, mut p)) in configs.iter().zip(parsed).enumerate() {
        let codes = p.as_object_mut().unwrap().remove("codes").unwrap();
        assert_eq!(p, expected_json(c), "{}", cases[i]["uri"]);
        assert_eq!(
            codes,
            json!(tessera_codes(c, &instants(c, i))),
            "{}",
            cases[i]["uri"]
        );
    }
}

#[test]
fn pyotp_uris_read_the_same_in_tessera() {
    // Here issuers may contain a colon: pyotp writes it as %3A in the label and as is in
    // the parameter, which exercises the issuer-parameter split rule.
    let configs = configs(true);
    let input: Vec<Value> = configs
        .iter()
        .map(|c| {
            json!({
                "secret": c.secret, "account": c.account, "issuer": c.issuer,
                "algorithm": c.algorithm, "digits": c.digits, "period": c.period,
                "counter": c.counter,
            })
        })
        .collect();
    let Some(Value::Array(uris)) = python(PROVISION, &Value::Array(input)) else {
        return;
    };
    assert!(
        configs
            .iter()
            .any(|c| c.issuer.as_deref().is_some_and(|i| i.contains(':')))
    );
    for (i, (c, uri)) in configs.iter().zip(uris).enumerate() {
        let uri = uri.as_str().unwrap();
        let Run {
            status,
            stdout: out,
            stderr: err,
        } = run(&["uri", "parse", uri]);
        assert_eq!(status, 0, "{uri}: {err}");
        let mut parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["weak_secret"], json!(false));
        parsed.as_object_mut().unwrap().remove("weak_secret");
        assert_eq!(parsed, expected_json(c), "{uri}");
        // And the fields tessera read give pyotp's codes.
        if i % 4 == 0 {
            let case = json!([{"uri": uri, "at": instants(c, i)}]);
            let Some(py) = python(PARSE, &case) else {
                return;
            };
            assert_eq!(
                py[0]["codes"],
                json!(tessera_codes(c, &instants(c, i))),
                "{uri}"
            );
        }
    }
}
