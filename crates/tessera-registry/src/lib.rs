//! A user's MFA devices (at most eight): enrolment, activation, verification, resync and
//! removal, over a pluggable compare-and-set store.

#![forbid(unsafe_code)]

mod kind;

pub use kind::{DeviceKind, UserId};
