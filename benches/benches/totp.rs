//! TOTP verification: tessera-otp against totp-rs on the same inputs, in the same run.
//!
//! The benchmark ids are a contract (tooling and `benches/report.sh` read them from
//! `target/criterion/**/new/benchmark.json`):
//!
//! - `totp_verify/{tessera,totp-rs}/{sha1,sha256,sha512}/{miss,match}`: 6 digits, window
//!   ±1, RFC 6238 Appendix B secrets (20, 32 and 64 bytes), one fixed instant, key state
//!   prepared once (a `Totp` of either library built before the loop).
//! - `totp_verify_stored/{tessera,totp-rs}/{bytes,base32}`: what a web service does per
//!   request, from the stored secret to a verdict: import the secret, build the
//!   verifier, check a code that matches the current step. SHA-1, 20 bytes, window ±1.
//! - `totp_window/{tessera,totp-rs}/{0,1,2,5,10}`: SHA-1, a code that matches no step
//!   in the window, with the window (totp-rs: skew) of that many steps either way.
//!
//! Both sides start from the code as text and end with the matched step or nothing:
//! tessera parses it with `Code::parse` and verifies, totp-rs's `check` does the same
//! internally. Every input is cross-checked against both libraries before measuring.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure there is a broken benchmark, and should stop it loudly.
#![allow(missing_docs)] // criterion_main! generates an undocumented main.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tessera_otp::{
    Algorithm, Code, Secret, TimeStep, Totp, TotpParams, UnixTime, VerifyOptions, Window,
};

/// The fixed instant: 2023-11-14T22:13:20Z, 20 s into its 30 s step.
const NOW: u64 = 1_700_000_000;
/// Digits in every code here.
const DIGITS: u8 = 6;
/// Widest window measured: miss codes match no step within it.
const MAX_WINDOW: u32 = 10;

/// RFC 6238 Appendix B seeds: ASCII "1234567890" repeated to the hash's output size.
fn seed(len: usize) -> Vec<u8> {
    b"1234567890".iter().copied().cycle().take(len).collect()
}

fn tessera_params(algorithm: Algorithm) -> TotpParams {
    TotpParams::new(algorithm, u32::from(DIGITS), 30, 0).unwrap()
}

fn totp_rs_algorithm(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        _ => totp_rs::Algorithm::SHA1,
    }
}

fn totp_rs_builder(algorithm: Algorithm, skew: u16) -> totp_rs::Builder {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs_algorithm(algorithm))
        .with_digits(DIGITS)
        .with_skew(skew)
        .with_step_duration(30)
}

/// tessera's equivalent of `totp_rs::Totp::check`: text in, matched step out.
fn tessera_check(totp: &Totp, token: &str, at: UnixTime, options: VerifyOptions) -> Option<u64> {
    let code = Code::parse(token, totp.params().digits()).ok()?;
    totp.verify(&code, at, None, options)
        .ok()
        .map(TimeStep::get)
}

/// Both libraries for one hash, prepared once, with a matching and a missing code.
struct Case {
    tessera: Totp,
    totp_rs: totp_rs::Totp,
    matching: String,
    missing: String,
}

impl Case {
    fn new(algorithm: Algorithm) -> Self {
        let secret = seed(algorithm.recommended_secret_len());
        let tessera = Totp::new(
            &Secret::from_bytes(&secret).unwrap(),
            tessera_params(algorithm),
        );
        let totp_rs = totp_rs_builder(algorithm, 1)
            .with_secret(secret)
            .build()
            .unwrap();
        let at = UnixTime::from_secs(NOW);
        let matching = tessera.generate(at).unwrap().expose().to_owned();
        assert_eq!(
            totp_rs.generate(NOW).to_string(),
            matching,
            "libraries disagree"
        );
        // The smallest code that no step within the widest window produces.
        let now = tessera.time_step(at).unwrap().get();
        let window: Vec<String> = (now - u64::from(MAX_WINDOW)..=now + u64::from(MAX_WINDOW))
            .map(|step| {
                tessera
                    .generate_at_step(TimeStep::new(step))
                    .expose()
                    .to_owned()
            })
            .collect();
        let missing = (0..1_000_000u32)
            .map(|n| format!("{n:06}"))
            .find(|c| !window.contains(c))
            .unwrap();
        let case = Self {
            tessera,
            totp_rs,
            matching,
            missing,
        };
        case.cross_check();
        case
    }

    /// Both libraries accept the matching code at the current step and refuse the other.
    fn cross_check(&self) {
        let at = UnixTime::from_secs(NOW);
        let step = NOW / 30;
        let ours = |token: &str| tessera_check(&self.tessera, token, at, VerifyOptions::new());
        assert_eq!(ours(&self.matching), Some(step));
        assert_eq!(self.totp_rs.check(&self.matching, NOW), Some(step));
        assert_eq!(ours(&self.missing), None);
        assert_eq!(self.totp_rs.check(&self.missing, NOW), None);
    }
}

fn totp_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("totp_verify");
    let at = UnixTime::from_secs(NOW);
    let options = VerifyOptions::new().window(Window::DEFAULT);
    for (name, algorithm) in [
        ("sha1", Algorithm::Sha1),
        ("sha256", Algorithm::Sha256),
        ("sha512", Algorithm::Sha512),
    ] {
        let case = Case::new(algorithm);
        for (outcome, token) in [("miss", &case.missing), ("match", &case.matching)] {
            group.bench_function(format!("tessera/{name}/{outcome}"), |b| {
                b.iter(|| tessera_check(&case.tessera, black_box(token), black_box(at), options));
            });
            group.bench_function(format!("totp-rs/{name}/{outcome}"), |b| {
                b.iter(|| case.totp_rs.check(black_box(token), black_box(NOW)));
            });
        }
    }
    group.finish();
}

fn totp_verify_stored(c: &mut Criterion) {
    let mut group = c.benchmark_group("totp_verify_stored");
    let at = UnixTime::from_secs(NOW);
    let case = Case::new(Algorithm::Sha1);
    let stored_bytes = seed(Algorithm::Sha1.recommended_secret_len());
    let stored_base32 = Secret::from_bytes(&stored_bytes)
        .unwrap()
        .to_base32()
        .as_str()
        .to_owned();
    let token = case.matching.as_str();

    let tessera_from = |secret: Result<Secret, tessera_otp::Error>, token: &str| {
        let totp = Totp::new(&secret.ok()?, TotpParams::DEFAULT);
        tessera_check(&totp, token, black_box(at), VerifyOptions::new())
    };
    let totp_rs_from = |secret: Option<totp_rs::Secret>, token: &str| {
        let totp = totp_rs_builder(Algorithm::Sha1, 1)
            .with_secret(secret?)
            .build()
            .ok()?;
        totp.check(token, black_box(NOW))
    };
    // The stored forms verify the same way in both libraries before anything is timed.
    let step = Some(NOW / 30);
    assert_eq!(tessera_from(Secret::from_bytes(&stored_bytes), token), step);
    assert_eq!(
        tessera_from(Secret::from_base32(&stored_base32), token),
        step
    );
    assert_eq!(totp_rs_from(Some(stored_bytes.clone().into()), token), step);
    assert_eq!(
        totp_rs_from(totp_rs::Secret::try_from_base32(&stored_base32).ok(), token),
        step
    );

    group.bench_function("tessera/bytes", |b| {
        b.iter(|| {
            tessera_from(
                Secret::from_bytes(black_box(&stored_bytes)),
                black_box(token),
            )
        });
    });
    group.bench_function("tessera/base32", |b| {
        b.iter(|| {
            tessera_from(
                Secret::from_base32(black_box(&stored_base32)),
                black_box(token),
            )
        });
    });
    group.bench_function("totp-rs/bytes", |b| {
        b.iter(|| {
            totp_rs_from(
                Some(black_box(&stored_bytes).clone().into()),
                black_box(token),
            )
        });
    });
    group.bench_function("totp-rs/base32", |b| {
        b.iter(|| {
            let secret = totp_rs::Secret::try_from_base32(black_box(&stored_base32)).ok();
            totp_rs_from(secret, black_box(token))
        });
    });
    group.finish();
}

fn totp_window(c: &mut Criterion) {
    let mut group = c.benchmark_group("totp_window");
    let at = UnixTime::from_secs(NOW);
    let case = Case::new(Algorithm::Sha1);
    let secret = seed(Algorithm::Sha1.recommended_secret_len());
    for steps in [0u32, 1, 2, 5, MAX_WINDOW] {
        let options = VerifyOptions::new().window(Window::symmetric(steps).unwrap());
        let peer = totp_rs_builder(Algorithm::Sha1, u16::try_from(steps).unwrap())
            .with_secret(secret.clone())
            .build()
            .unwrap();
        let token = case.missing.as_str();
        assert_eq!(tessera_check(&case.tessera, token, at, options), None);
        assert_eq!(peer.check(token, NOW), None);
        group.bench_with_input(BenchmarkId::new("tessera", steps), &steps, |b, _| {
            b.iter(|| tessera_check(&case.tessera, black_box(token), black_box(at), options));
        });
        group.bench_with_input(BenchmarkId::new("totp-rs", steps), &steps, |b, _| {
            b.iter(|| peer.check(black_box(token), black_box(NOW)));
        });
    }
    group.finish();
}

criterion_group!(benches, totp_verify, totp_verify_stored, totp_window);
criterion_main!(benches);
