//! Tessera: the account flows (sign-in with a second factor, password change, MFA setup) over the Tessera crates

#![forbid(unsafe_code)]
