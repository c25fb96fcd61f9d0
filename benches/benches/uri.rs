//! Placeholder: the uri benchmarks are being written.
#![allow(missing_docs)] // criterion_main! generates an undocumented main.
use criterion::{Criterion, criterion_group, criterion_main};
fn placeholder(_c: &mut Criterion) {}
criterion_group!(benches, placeholder);
criterion_main!(benches);
