//! Differential test against `oathtool` (OATH Toolkit, Debian package `oathtool`):
//! on 1,200 random configurations every code must be identical.
//!
//! oathtool supports 6 to 8 digits, so those are compared; 9 and 10 digits are covered
//! by the RFC vectors' truncation and the round-trip properties.

use std::process::Command;

use tessera_otp::{Algorithm, Hotp, HotpParams, Secret, Totp, TotpParams, UnixTime};

use crate::common::{SplitMix, peer};

/// True when oathtool can run (see [`peer`] for the rule when it cannot).
fn oathtool_available() -> bool {
    peer(
        Command::new("oathtool").arg("--version"),
        "apt-get install oathtool",
    )
    .is_some()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn oathtool(args: &[String]) -> String {
    let out = Command::new("oathtool").args(args).output().unwrap();
    assert!(out.status.success(), "oathtool {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn totp_codes_match_oathtool_on_1000_random_cases() {
    if !oathtool_available() {
        return;
    }
    let mut rng = SplitMix(0x7e55_e7a0);
    let algorithms = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
    let mut compared = 0;
    for case in 0..1000 {
        let alg = algorithms[usize::try_from(rng.below(3)).unwrap()];
        let len = usize::try_from(10 + rng.below(55)).unwrap();
        let key = rng.bytes(len);
        let digits = u32::try_from(6 + rng.below(3)).unwrap();
        let period = match rng.below(4) {
            0 => 30,
            1 => 60,
            _ => 1 + rng.below(300),
        };
        let t0 = if rng.below(2) == 0 {
            0
        } else {
            rng.below(1 << 30)
        };
        // Up to about year 2242, past 2^32 seconds.
        let time = t0 + rng.below(1 << 33);
        let params = TotpParams::new(alg, digits, period, t0).unwrap();
        let ours = Totp::new(&Secret::from_bytes(&key).unwrap(), params)
            .generate(UnixTime::from_secs(time))
            .unwrap();
        let theirs = oathtool(&[
            format!("--totp={}", alg.as_str().to_lowercase()),
            format!("--digits={digits}"),
            format!("--time-step-size={period}s"),
            format!("--start-time=@{t0}"),
            format!("--now=@{time}"),
            hex(&key),
        ]);
        assert_eq!(
            ours.expose(),
            theirs,
            "case {case}: {alg} digits {digits} period {period} t0 {t0} time {time}"
        );
        compared += 1;
    }
    assert_eq!(compared, 1000);
}

#[test]
fn totp_base32_import_matches_oathtool() {
    if !oathtool_available() {
        return;
    }
    let mut rng = SplitMix(42);
    for _ in 0..50 {
        let secret = Secret::generate_len(usize::try_from(16 + rng.below(20)).unwrap()).unwrap();
        let time = rng.below(1 << 32);
        // Lowercase with spaces: our lenient import; oathtool reads canonical base32.
        let typed: String = secret
            .to_base32()
            .to_lowercase()
            .chars()
            .enumerate()
            .flat_map(|(i, c)| (i % 4 == 3).then_some(' ').into_iter().rev().chain([c]))
            .collect();
        let imported = Secret::from_base32(&typed).unwrap();
        let ours = Totp::new(&imported, TotpParams::DEFAULT)
            .generate(UnixTime::from_secs(time))
            .unwrap();
        let theirs = oathtool(&[
            "--totp".into(),
            "--base32".into(),
            format!("--now=@{time}"),
            secret.to_base32().to_string(),
        ]);
        assert_eq!(ours.expose(), theirs);
    }
}

#[test]
fn hotp_codes_match_oathtool_on_200_random_cases() {
    if !oathtool_available() {
        return;
    }
    let mut rng = SplitMix(4226);
    for case in 0..200 {
        let len = usize::try_from(10 + rng.below(40)).unwrap();
        let key = rng.bytes(len);
        let digits = u32::try_from(6 + rng.below(3)).unwrap();
        let counter = if case % 10 == 0 {
            rng.next()
        } else {
            rng.below(1 << 20)
        };
        let params = HotpParams::new(Algorithm::Sha1, digits).unwrap();
        let ours = Hotp::new(&Secret::from_bytes(&key).unwrap(), params).generate(counter);
        let theirs = oathtool(&[
            "--hotp".into(),
            format!("--digits={digits}"),
            format!("--counter={counter}"),
            hex(&key),
        ]);
        assert_eq!(ours.expose(), theirs, "case {case}: counter {counter}");
    }
}
