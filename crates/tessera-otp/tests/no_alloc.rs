//! Verification allocates nothing on the heap: measured with a counting allocator
//! (dhat's testing mode) around many verifications, hits and misses, all hashes.
//!
//! A binary of its own, beside the crate's one shared binary `tests/otp` (issue 13 kept it
//! apart on purpose): the counting allocator is global to the process, so in the shared
//! binary the allocations of every test running on the harness's other threads would be
//! counted against verification. Counting per thread would need a `GlobalAlloc` of our
//! own, which is `unsafe` code, forbidden in this workspace; dhat counts per process only.

// Tests: a panic is a failed test, which is what unwrap should do here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tessera_otp::{
    Algorithm, Code, Drift, Hotp, HotpParams, Secret, TimeStep, Totp, TotpParams, UnixTime,
    VerifyOptions, Window,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn verification_makes_zero_heap_allocations() {
    let mut prepared = Vec::new();
    for (alg, len) in [
        (Algorithm::Sha1, 20),
        (Algorithm::Sha256, 32),
        (Algorithm::Sha512, 64),
    ] {
        let params = TotpParams::new(alg, 6, 30, 0).unwrap();
        prepared.push(Totp::new(&Secret::generate_len(len).unwrap(), params));
    }
    let hotp = Hotp::new(&Secret::generate(), HotpParams::DEFAULT);
    let now = UnixTime::from_secs(1_700_000_000);
    let codes: Vec<(Code, Code)> = prepared
        .iter()
        .map(|t| {
            let hit = t.generate(now).unwrap();
            let miss_value = (hit.expose().parse::<u32>().unwrap() + 1) % 1_000_000;
            let miss = Code::parse(&format!("{miss_value:06}"), 6).unwrap();
            (hit, miss)
        })
        .collect();
    let hotp_code = hotp.generate(3);
    let options = VerifyOptions::new()
        .window(Window::symmetric(10).unwrap())
        .drift(Drift::from_steps(1));
    let used = Some(TimeStep::new(1));

    // The profiler writes a report when dropped: keep it in cargo's scratch folder.
    let report = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-alloc-dhat.json");
    let _profiler = dhat::Profiler::builder()
        .testing()
        .file_name(report)
        .build();
    // The counter is process-wide, and the test harness's own thread may allocate now
    // and then (a "running for over 60 seconds" note on a loaded machine). Verification
    // that allocated would do so on every one of its 1,100 calls per round, so the
    // quietest of five rounds must show exactly zero.
    let mut fewest = u64::MAX;
    let mut outcomes = 0u32;
    for _round in 0..5 {
        let before = dhat::HeapStats::get().total_blocks;
        for _ in 0..100 {
            for (totp, (hit, miss)) in prepared.iter().zip(&codes) {
                outcomes += u32::from(totp.verify(hit, now, None, VerifyOptions::new()).is_ok());
                outcomes += u32::from(totp.verify(miss, now, None, VerifyOptions::new()).is_ok());
                outcomes += u32::from(totp.verify(miss, now, used, options).is_ok());
            }
            outcomes += u32::from(hotp.verify(&hotp_code, 0, 10).is_ok());
            let typed = Code::parse(" 123 456 ", 6).unwrap();
            outcomes += u32::from(
                prepared[0]
                    .verify(&typed, now, None, VerifyOptions::new())
                    .is_ok(),
            );
        }
        fewest = fewest.min(dhat::HeapStats::get().total_blocks - before);
    }
    assert_eq!(fewest, 0, "verification allocated on the heap");
    // Every hit verified (5 rounds of 3 × 100 TOTP + 100 HOTP); a miss may rarely match.
    assert!(outcomes >= 2000);
}
