//! One-time codes sent by email or SMS: challenges, their codes and delivery, send
//! limits, phone numbers, and the server key that tags every stored code and token.

pub(crate) mod challenge;
mod change;
mod code;
mod delivery;
pub(crate) mod flow;
mod limits;
mod phone;
mod rotation;
pub(crate) mod secret;

pub use challenge::{
    ChallengeConfig, ChallengeId, ChallengeTicket, DEFAULT_RESET_TTL, MAX_CHALLENGE_ATTEMPTS,
    MAX_CHALLENGE_TTL, MAX_PENDING_CHALLENGES, MAX_RESET_TTL, MIN_CHALLENGE_ATTEMPTS,
    MIN_CHALLENGE_TTL, Purpose, Verified,
};
pub use code::{MAX_CODE_DIGITS, MAX_CODE_INPUT_LEN, MIN_CODE_DIGITS, OneTimeCode};
pub use delivery::{
    CodeDelivery, CodeMessage, ConsoleDelivery, DeliveryError, Destination, InMemoryDelivery,
};
pub use limits::{
    MAX_RESEND_INTERVAL, MAX_SEND_WINDOW, MAX_SENDS_PER_WINDOW, MIN_SEND_WINDOW, SendLimits,
};
pub use phone::{MAX_PHONE_DIGITS, MAX_PHONE_INPUT_LEN, MIN_PHONE_DIGITS, PhoneNumber};
pub use rotation::{MAX_SCAN_PAGE, Scan};
pub use secret::{
    MAX_SERVER_KEY_LEN, MIN_SERVER_KEY_LEN, SERVER_KEY_PURPOSE, SINGLE_SERVER_KEY_ID, ServerKey,
};
