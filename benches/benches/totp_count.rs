//! A fixed number of TOTP verifications, for counting instructions under callgrind
//! (issue 18). Timings on a shared machine are noisy; instruction counts are not.
//!
//! ```sh
//! cargo bench -p tessera-benches --bench totp_count --no-run   # prints the binary's path
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null <binary> tessera sha1 miss 0
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null <binary> tessera sha1 miss 20000
//! ```
//!
//! Arguments: `{tessera,totp-rs} {sha1,sha256,sha512} {miss,match,stored} <iterations>`.
//! The instructions of one verification are the difference of the two totals divided by
//! the iterations (setup is identical in both runs). `miss` and `match` are the inputs of
//! `totp_verify` in `totp.rs` (6 digits, window ±1, RFC 6238 Appendix B secrets, text in,
//! step out); `stored` adds the import of the raw secret and the key preparation to a
//! match, the per-device work of the registry. Under valgrind the digest crates cannot
//! see the SHA extensions and run their portable code.
//!
//! Run by `cargo bench` without these arguments it checks one round of each case.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure is a broken benchmark.

use std::hint::black_box;

use tessera_otp::{Algorithm, Code, Secret, TimeStep, Totp, TotpParams, UnixTime};

const NOW: u64 = 1_700_000_000;

fn seed(len: usize) -> Vec<u8> {
    b"1234567890".iter().copied().cycle().take(len).collect()
}

fn params(algorithm: Algorithm) -> TotpParams {
    TotpParams::new(algorithm, 6, 30, 0).unwrap()
}

fn tessera_check(totp: &Totp, token: &str, at: UnixTime) -> Option<u64> {
    let code = Code::parse(token, totp.params().digits()).ok()?;
    totp.verify(&code, at, None, tessera_otp::VerifyOptions::new())
        .ok()
        .map(TimeStep::get)
}

/// Runs `iterations` verifications of one case; returns how many matched.
fn run(lib: &str, algorithm: Algorithm, outcome: &str, iterations: u64) -> u64 {
    let secret = seed(algorithm.recommended_secret_len());
    let at = UnixTime::from_secs(NOW);
    let totp = Totp::new(&Secret::from_bytes(&secret).unwrap(), params(algorithm));
    let matching = totp.generate(at).unwrap().expose().to_owned();
    let now = NOW / 30;
    let missing = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| {
            (now - 1..=now + 1).all(|s| totp.generate_at_step(TimeStep::new(s)).expose() != c)
        })
        .unwrap();
    let token = if outcome == "miss" { missing } else { matching };
    let peer_algorithm = match algorithm {
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        _ => totp_rs::Algorithm::SHA1,
    };
    let peer = totp_rs::Builder::new()
        .with_algorithm(peer_algorithm)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.clone())
        .build()
        .unwrap();
    let mut hits = 0;
    for _ in 0..iterations {
        let found = match (lib, outcome) {
            ("tessera", "stored") => {
                let secret = Secret::from_bytes(black_box(&secret)).unwrap();
                let totp = Totp::new(&secret, params(algorithm));
                tessera_check(&totp, black_box(&token), black_box(at))
            }
            ("tessera", _) => tessera_check(&totp, black_box(&token), black_box(at)),
            ("totp-rs", "stored") => {
                let peer = totp_rs::Builder::new()
                    .with_algorithm(peer_algorithm)
                    .with_digits(6)
                    .with_skew(1)
                    .with_step_duration(30)
                    .with_secret(black_box(&secret).clone())
                    .build()
                    .unwrap();
                peer.check(black_box(&token), black_box(NOW))
            }
            ("totp-rs", _) => peer.check(black_box(&token), black_box(NOW)),
            _ => panic!("library: tessera or totp-rs"),
        };
        hits += u64::from(found.is_some());
    }
    hits
}

fn algorithm(name: &str) -> Algorithm {
    match name {
        "sha1" => Algorithm::Sha1,
        "sha256" => Algorithm::Sha256,
        "sha512" => Algorithm::Sha512,
        _ => panic!("algorithm: sha1, sha256 or sha512"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [lib, alg, outcome, iterations] = args.as_slice()
        && !lib.starts_with('-')
    {
        let iterations: u64 = iterations.parse().expect("iterations: a number");
        let hits = run(lib, algorithm(alg), outcome, iterations);
        let expected = if outcome == "miss" { 0 } else { iterations };
        assert_eq!(hits, expected, "a case verified the wrong way");
        return;
    }
    // Under `cargo bench` (arguments such as `--bench`): one round of every case.
    for lib in ["tessera", "totp-rs"] {
        for alg in ["sha1", "sha256", "sha512"] {
            for outcome in ["miss", "match", "stored"] {
                let expected = u64::from(outcome != "miss");
                assert_eq!(run(lib, algorithm(alg), outcome, 1), expected);
            }
        }
    }
}
