//! otpauth:// Key URIs: parsing and canonical formatting of a typical enrolment URI.
//!
//! Benchmark ids: `uri/parse` and `uri/format`. The URI is what a service shows at
//! enrolment: issuer in label and parameter, an email address as account, a 20-byte
//! secret and non-default digits and period, so every code path of both runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure there is a broken benchmark, and should stop it loudly.
#![allow(missing_docs)] // criterion_main! generates an undocumented main.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_otp::KeyUri;

const URI: &str = "otpauth://totp/ACME%20Co:john.doe%40email.com\
                   ?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co\
                   &algorithm=SHA256&digits=8&period=60";

fn uri(c: &mut Criterion) {
    let key = KeyUri::parse(URI).unwrap();
    assert_eq!(key.to_uri(), URI, "the input is canonical");
    let mut group = c.benchmark_group("uri");
    group.bench_function("parse", |b| {
        b.iter(|| KeyUri::parse(black_box(URI)).unwrap())
    });
    group.bench_function("format", |b| b.iter(|| black_box(&key).to_uri()));
    group.finish();
}

criterion_group!(benches, uri);
criterion_main!(benches);
