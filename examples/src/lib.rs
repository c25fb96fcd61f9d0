//! The examples are under `[[example]]` entries; this library only hosts the README doctest.

// The README's embedding example is compiled and run as a doctest, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
