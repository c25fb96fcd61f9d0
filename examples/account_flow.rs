//! Placeholder: the account_flow example is being written.

fn main() {}
