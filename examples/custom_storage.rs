//! Placeholder: the custom_storage example is being written.

fn main() {}
