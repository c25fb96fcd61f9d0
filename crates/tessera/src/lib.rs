//! Tessera: the account flows (sign-in with a second factor, password change, MFA setup) over the Tessera crates

#![forbid(unsafe_code)]

mod account;
mod accounts;
mod assurance;
mod challenge;
mod error;
mod mfa_flows;
mod offload;
mod password_flows;
mod session;
mod sign_in;
mod store;

pub use account::{Account, AccountParts, MAX_USERNAME_LEN, MIN_USERNAME_LEN, canonical_username};
pub use accounts::{
    Accounts, DEFAULT_STEP_UP_MAX_AGE, InMemoryAccounts, MAX_STEP_UP_MAX_AGE, MIN_STEP_UP_MAX_AGE,
    REMEMBER_WITHIN, SECOND_FACTOR_TTL,
};
pub use assurance::{Assurance, Factor};
pub use challenge::{SecondFactorChallenge, SignIn};
pub use error::{Error, Result};
pub use mfa_flows::{AuthenticatorAdded, MfaEnabled};
pub use offload::{Inline, Offload, OffloadError};
pub use password_flows::PasswordChange;
pub use session::{InMemorySessionRevoker, Revocation, SessionError, SessionRevoker};
pub use store::{AccountStore, AccountStoreError, InMemoryAccountStore};

/// MFA settings and rules, email/SMS codes, recovery codes, notifications.
pub use tessera_mfa as mfa;
/// One-time codes: secrets, TOTP/HOTP, codes typed by people, otpauth:// URIs, QR codes.
pub use tessera_otp as otp;
/// Password policy, validation and Argon2id hashing.
pub use tessera_password as password;
/// A user's MFA devices (at most eight) over a compare-and-set store.
pub use tessera_registry as registry;

pub use tessera_mfa::{
    Actor, ChallengeTicket, CodeDelivery, CodeMessage, ConsoleDelivery, DeliveryError,
    EmailNotifier, InMemoryDelivery, InMemoryStore, Mfa, MfaMethod, MfaSettings, MfaStore,
    Notified, OrgPolicy, RecordingNotifier, RecoveryCodeSet, RememberToken, SecurityEvent,
    SecurityEventKind, SecurityNotifier, ServerKey, Version, Versioned,
};
pub use tessera_otp::{Clock, ManualClock, SystemClock, UnixTime};
pub use tessera_password::{HashParams, Hasher, Password, PasswordPolicy, Violation, Violations};
pub use tessera_registry::{
    DeviceId, DeviceInfo, DeviceKind, DeviceRegistry, DeviceStore, Enrolment, InMemoryDeviceStore,
    RegistryConfig, UserId,
};
