//! Known-answer tests from the RFCs.

use tessera_otp::{
    Algorithm, Code, Hotp, HotpParams, Secret, Totp, TotpParams, UnixTime, VerifyOptions,
};

use crate::common::RFC_SEED;

/// RFC 4226 Appendix D: HOTP with the ASCII secret "12345678901234567890", counters 0–9.
#[test]
fn rfc4226_appendix_d() {
    let secret = Secret::from_bytes(RFC_SEED).unwrap();
    let hotp = Hotp::new(&secret, HotpParams::DEFAULT);
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, want) in (0u64..).zip(expected) {
        assert_eq!(hotp.generate(counter).expose(), want, "counter {counter}");
        let code = Code::parse(want, 6).unwrap();
        assert_eq!(hotp.verify(&code, counter, 0), Ok(counter + 1));
    }
}

/// RFC 6238 Appendix B: 8-digit TOTP, period 30, T0 = 0. The seed differs per hash
/// (the reference code uses 20, 32 and 64 ASCII bytes), which the RFC's table hides.
#[test]
fn rfc6238_appendix_b() {
    let seed20 = RFC_SEED.as_slice();
    let seed32 = b"12345678901234567890123456789012".as_slice();
    let seed64 = b"1234567890123456789012345678901234567890123456789012345678901234".as_slice();
    let table: [(u64, [&str; 3]); 6] = [
        (59, ["94287082", "46119246", "90693936"]),
        (1_111_111_109, ["07081804", "68084774", "25091201"]),
        (1_111_111_111, ["14050471", "67062674", "99943326"]),
        (1_234_567_890, ["89005924", "91819424", "93441116"]),
        (2_000_000_000, ["69279037", "90698825", "38618901"]),
        (20_000_000_000, ["65353130", "77737706", "47863826"]),
    ];
    let algs = [
        (Algorithm::Sha1, seed20),
        (Algorithm::Sha256, seed32),
        (Algorithm::Sha512, seed64),
    ];
    for (time, codes) in table {
        for ((alg, seed), want) in algs.iter().zip(codes) {
            let params = TotpParams::new(*alg, 8, 30, 0).unwrap();
            let totp = Totp::new(&Secret::from_bytes(seed).unwrap(), params);
            let at = UnixTime::from_secs(time);
            assert_eq!(totp.generate(at).unwrap().expose(), want, "{alg} at {time}");
            let code = Code::parse(want, 8).unwrap();
            let step = totp.verify(&code, at, None, VerifyOptions::new()).unwrap();
            assert_eq!(step.get(), time / 30);
        }
    }
}
