//! HOTP (RFC 4226) and TOTP (RFC 6238).

#![forbid(unsafe_code)]

mod clock;

pub use clock::{Clock, ManualClock, SystemClock, UnixTime};
