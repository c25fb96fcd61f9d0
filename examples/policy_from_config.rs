//! Placeholder: the policy_from_config example is being written.

fn main() {}
