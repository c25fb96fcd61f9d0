//! Password policy validation, blocklist lookup and argon2id hashing.
//!
//! Benchmark ids:
//!
//! - `password_validate/{typical,blocklisted,many_violations}`: `PasswordPolicy::DEFAULT`
//!   (built-in blocklist of 30,000 entries, repeat/sequence/keyboard checks, context words
//!   with a username, an email and one service word) on a 16-character password that passes,
//!   a common password, and a short one that breaks several rules. Target: median under 5 µs.
//! - `password_blocklist/{builtin,hashset}/{hit,miss}`: one lookup in the built-in list
//!   (binary search over the compiled-in sorted text, no start-up cost) against the same
//!   30,000 entries in a `HashSet<String>` (what an application would otherwise build at
//!   start-up, ~1 MiB of heap).
//! - `password_hash/{hash,verify}`: argon2id at the defaults (m = 19 MiB, t = 2, p = 1),
//!   ten samples: by design this takes tens of milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Setup of fixed inputs: a failure there is a broken benchmark, and should stop it loudly.
#![allow(missing_docs)] // criterion_main! generates an undocumented main.

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera_password::{Blocklist, BuiltinBlocklist, Context, Hasher, Password, PasswordPolicy};

fn validate(c: &mut Criterion) {
    let policy = PasswordPolicy::builder()
        .service_word("tessera")
        .build()
        .unwrap();
    let context = Context::new()
        .with_username("margaret")
        .with_email("margaret.hamilton@example.com");
    let typical = Password::new("Velvet otter 42!");
    assert_eq!(typical.expose().chars().count(), 16);
    policy.validate(&typical, &context).unwrap();
    let common = Password::new("sunshine");
    assert!(policy.validate(&common, &context).is_err());
    let bad = Password::new("Margaret");
    assert!(policy.validate(&bad, &context).unwrap_err().len() >= 2);

    let mut g = c.benchmark_group("password_validate");
    g.bench_function("typical", |b| {
        b.iter(|| policy.validate(black_box(&typical), black_box(&context)))
    });
    g.bench_function("blocklisted", |b| {
        b.iter(|| policy.validate(black_box(&common), black_box(&context)))
    });
    g.bench_function("many_violations", |b| {
        b.iter(|| policy.validate(black_box(&bad), black_box(&context)))
    });
    g.finish();
}

fn blocklist(c: &mut Criterion) {
    let set: HashSet<String> = BuiltinBlocklist.entries().map(str::to_owned).collect();
    let (hit, miss) = ("sunshine", "velvet otter 42!");
    assert!(BuiltinBlocklist.contains(hit) && set.contains(hit));
    assert!(!BuiltinBlocklist.contains(miss) && !set.contains(miss));

    let mut g = c.benchmark_group("password_blocklist");
    g.bench_function("builtin/hit", |b| {
        b.iter(|| BuiltinBlocklist.contains(black_box(hit)))
    });
    g.bench_function("builtin/miss", |b| {
        b.iter(|| BuiltinBlocklist.contains(black_box(miss)))
    });
    g.bench_function("hashset/hit", |b| b.iter(|| set.contains(black_box(hit))));
    g.bench_function("hashset/miss", |b| b.iter(|| set.contains(black_box(miss))));
    g.finish();
}

fn hash(c: &mut Criterion) {
    let hasher = Hasher::default();
    let password = Password::new("Velvet otter 42!");
    let stored = hasher.hash(&password).unwrap();
    assert!(hasher.verify(&password, &stored).unwrap());

    let mut g = c.benchmark_group("password_hash");
    g.sample_size(10);
    g.bench_function("hash", |b| {
        b.iter(|| hasher.hash(black_box(&password)).unwrap())
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            hasher
                .verify(black_box(&password), black_box(&stored))
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, validate, blocklist, hash);
criterion_main!(benches);
