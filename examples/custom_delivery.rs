//! Placeholder: the custom_delivery example is being written.

fn main() {}
