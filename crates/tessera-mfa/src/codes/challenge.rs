//! Email and SMS code challenges: what is stored, what the caller gets back.

use std::fmt;
use std::time::Duration;

use tessera_keyring::KeyId;
use tessera_otp::UnixTime;

use crate::codes::secret::Tag;
use crate::{Error, MfaMethod, Result};

/// Shortest challenge lifetime.
pub const MIN_CHALLENGE_TTL: Duration = Duration::from_secs(60);
/// Longest challenge lifetime: ten minutes, as the design's invariant 6 requires (`tessera::design`).
pub const MAX_CHALLENGE_TTL: Duration = Duration::from_secs(600);
/// Default lifetime of a password reset code (15 minutes).
pub const DEFAULT_RESET_TTL: Duration = Duration::from_secs(15 * 60);
/// Longest lifetime of a password reset code (an hour).
pub const MAX_RESET_TTL: Duration = Duration::from_secs(60 * 60);
/// Fewest attempts per challenge.
pub const MIN_CHALLENGE_ATTEMPTS: u8 = 1;
/// Most attempts per challenge.
pub const MAX_CHALLENGE_ATTEMPTS: u8 = 10;
/// Most challenges pending at once per account; a new one pushes out the oldest.
pub const MAX_PENDING_CHALLENGES: usize = 8;

/// What a code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Purpose {
    /// The second step of sign-in.
    SignIn,
    /// Proving that the account holder receives SMS at the linked number.
    PhoneVerification,
    /// Re-authentication before a sensitive operation.
    StepUp,
    /// Proving control of the account's email address to reset a forgotten password.
    /// Sent by email only, to the account's address, whatever methods MFA offers; it
    /// is never a second factor (a sign-in or step-up refuses its code).
    PasswordReset,
}

impl Purpose {
    /// A stable lowercase name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::PhoneVerification => "phone_verification",
            Self::StepUp => "step_up",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// How challenges are made: code length, lifetime, attempts.
///
/// With the `serde` feature it deserializes through [`ChallengeConfig::new`], so a
/// configuration file cannot ask for 4-digit codes, a one-year lifetime or 255 attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "ChallengeConfigRaw"))]
pub struct ChallengeConfig {
    digits: u8,
    ttl: Duration,
    max_attempts: u8,
    reset_ttl: Duration,
}

/// The unvalidated shape [`ChallengeConfig`] deserializes from.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct ChallengeConfigRaw {
    digits: u8,
    ttl: Duration,
    max_attempts: u8,
    #[serde(default = "default_reset_ttl")]
    reset_ttl: Duration,
}

#[cfg(feature = "serde")]
const fn default_reset_ttl() -> Duration {
    DEFAULT_RESET_TTL
}

#[cfg(feature = "serde")]
impl TryFrom<ChallengeConfigRaw> for ChallengeConfig {
    type Error = Error;
    fn try_from(r: ChallengeConfigRaw) -> Result<Self> {
        Self::new(r.digits, r.ttl, r.max_attempts)?.with_reset_ttl(r.reset_ttl)
    }
}

impl Default for ChallengeConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ChallengeConfig {
    /// Six digits, five minutes, five attempts; password reset codes live
    /// [`DEFAULT_RESET_TTL`].
    pub const DEFAULT: Self = Self {
        digits: 6,
        ttl: Duration::from_secs(300),
        max_attempts: 5,
        reset_ttl: DEFAULT_RESET_TTL,
    };

    /// Validated settings (whole seconds for `ttl`).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for digits outside
    /// [`MIN_CODE_DIGITS`](crate::MIN_CODE_DIGITS)..=[`MAX_CODE_DIGITS`](crate::MAX_CODE_DIGITS),
    /// a lifetime outside [`MIN_CHALLENGE_TTL`]..=[`MAX_CHALLENGE_TTL`], or attempts
    /// outside [`MIN_CHALLENGE_ATTEMPTS`]..=[`MAX_CHALLENGE_ATTEMPTS`].
    pub fn new(digits: u8, ttl: Duration, max_attempts: u8) -> Result<Self> {
        if !(crate::MIN_CODE_DIGITS..=crate::MAX_CODE_DIGITS).contains(&digits) {
            return Err(Error::InvalidConfig("codes must have 6 to 10 digits"));
        }
        if ttl < MIN_CHALLENGE_TTL || ttl > MAX_CHALLENGE_TTL {
            return Err(Error::InvalidConfig(
                "a challenge must live 1 to 10 minutes",
            ));
        }
        if !(MIN_CHALLENGE_ATTEMPTS..=MAX_CHALLENGE_ATTEMPTS).contains(&max_attempts) {
            return Err(Error::InvalidConfig(
                "a challenge must allow 1 to 10 attempts",
            ));
        }
        Ok(Self {
            digits,
            ttl,
            max_attempts,
            reset_ttl: DEFAULT_RESET_TTL,
        })
    }

    /// The same settings with password reset codes ([`Purpose::PasswordReset`]) living
    /// `ttl` (whole seconds): a reset code goes to an inbox that may be read later than
    /// a sign-in code, so it may live longer, but never more than an hour.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a lifetime outside
    /// [`MIN_CHALLENGE_TTL`]..=[`MAX_RESET_TTL`].
    pub fn with_reset_ttl(mut self, ttl: Duration) -> Result<Self> {
        if ttl < MIN_CHALLENGE_TTL || ttl > MAX_RESET_TTL {
            return Err(Error::InvalidConfig(
                "a password reset code must live 1 to 60 minutes",
            ));
        }
        self.reset_ttl = ttl;
        Ok(self)
    }

    /// How long a code for `purpose` stays valid: [`reset_ttl`](Self::reset_ttl) for a
    /// password reset, [`ttl`](Self::ttl) otherwise.
    #[must_use]
    pub fn ttl_for(&self, purpose: Purpose) -> Duration {
        match purpose {
            Purpose::PasswordReset => self.reset_ttl,
            _ => self.ttl,
        }
    }

    /// How long a password reset code stays valid.
    #[must_use]
    pub fn reset_ttl(&self) -> Duration {
        self.reset_ttl
    }

    /// Digits per code.
    #[must_use]
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// How long a code stays valid.
    #[must_use]
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Attempts before the challenge is dead.
    #[must_use]
    pub fn max_attempts(&self) -> u8 {
        self.max_attempts
    }
}

/// A challenge's identifier: 128 random bits, as 32 lowercase hex characters.
///
/// Not a secret (the code is), but unguessable, so one account's challenge cannot be
/// named by someone else.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChallengeId([u8; 16]);

impl ChallengeId {
    /// A fresh random id (what every new challenge gets; also a decoy that names no
    /// stored challenge).
    ///
    /// # Errors
    /// [`Error::Randomness`](crate::Error::Randomness).
    pub fn generate() -> Result<Self> {
        let mut b = [0u8; 16];
        crate::codes::secret::fill_random(&mut b)?;
        Ok(Self(b))
    }

    /// Parses 32 hex characters (either case).
    ///
    /// # Errors
    /// [`Error::InvalidCode`] for anything else.
    pub fn parse(input: &str) -> Result<Self> {
        let mut b = [0u8; 16];
        let decoded = data_encoding::HEXLOWER_PERMISSIVE
            .decode(input.trim().as_bytes())
            .map_err(|_| Error::InvalidCode("a challenge id is 32 hex characters"))?;
        if decoded.len() != b.len() {
            return Err(Error::InvalidCode("a challenge id is 32 hex characters"));
        }
        b.copy_from_slice(&decoded);
        Ok(Self(b))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChallengeId({self})")
    }
}

/// A pending challenge as stored: the code only as a keyed hash bound to the account and
/// the challenge id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct StoredChallenge {
    pub(crate) id: ChallengeId,
    pub(crate) method: MfaMethod,
    /// The destination key (`sms:+…` or `email:…`), so a phone verification completes
    /// only for the number it was sent to.
    pub(crate) destination: String,
    pub(crate) purpose: Purpose,
    pub(crate) tag: Tag,
    /// The id of the server key the tag was made with. State stored before tags named
    /// their key has no such field and reads as
    /// [`SINGLE_SERVER_KEY_ID`](crate::SINGLE_SERVER_KEY_ID).
    #[cfg_attr(
        feature = "serde",
        serde(default = "crate::codes::secret::single_key_id")
    )]
    pub(crate) key_id: KeyId,
    pub(crate) expires_at: UnixTime,
    pub(crate) attempts_left: u8,
}

/// What the caller gets back when a code was sent: enough to ask for the code and to
/// complete the challenge, nothing secret.
///
/// With the `serde` feature it serializes, so that an application can keep it in its
/// session between the request that sent the code and the one that completes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChallengeTicket {
    /// The challenge to complete with [`Mfa::verify_code`](crate::Mfa::verify_code).
    pub id: ChallengeId,
    /// Email or SMS.
    pub method: MfaMethod,
    /// What the code is for.
    pub purpose: Purpose,
    /// The destination, masked for display ("+*********71", "a***@example.com").
    pub destination_hint: String,
    /// When the code stops working.
    pub expires_at: UnixTime,
}

/// A completed challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Verified {
    /// The method the code came by.
    pub method: MfaMethod,
    /// What it was for.
    pub purpose: Purpose,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_challenge_id_shows_its_hex_in_debug() {
        let id = ChallengeId::parse("000102030405060708090a0b0c0d0e0f").unwrap();
        assert_eq!(
            format!("{id:?}"),
            "ChallengeId(000102030405060708090a0b0c0d0e0f)"
        );
        assert_eq!(id.as_bytes()[15], 15);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn the_issues_bypasses_are_refused_by_serde() {
        // A one-year code with 255 attempts, and 4-digit codes (issue 12, item 14).
        for bad in [
            r#"{"digits":6,"ttl":{"secs":31536000,"nanos":0},"max_attempts":255}"#,
            r#"{"digits":4,"ttl":{"secs":300,"nanos":0},"max_attempts":5}"#,
        ] {
            assert!(
                serde_json::from_str::<ChallengeConfig>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn config_bounds() {
        assert_eq!(ChallengeConfig::default().ttl(), Duration::from_secs(300));
        assert!(ChallengeConfig::new(5, Duration::from_secs(300), 5).is_err());
        assert!(ChallengeConfig::new(11, Duration::from_secs(300), 5).is_err());
        assert!(ChallengeConfig::new(6, Duration::from_secs(601), 5).is_err());
        assert!(ChallengeConfig::new(6, Duration::from_secs(59), 5).is_err());
        assert!(ChallengeConfig::new(6, Duration::from_secs(600), 0).is_err());
        assert!(ChallengeConfig::new(6, Duration::from_secs(600), 11).is_err());
        ChallengeConfig::new(10, Duration::from_secs(600), 10).unwrap();
    }

    #[test]
    fn reset_codes_live_15_minutes_by_default_and_at_most_an_hour() {
        let c = ChallengeConfig::default();
        assert_eq!(c.reset_ttl(), Duration::from_secs(900));
        assert_eq!(c.ttl_for(Purpose::PasswordReset), Duration::from_secs(900));
        for p in [Purpose::SignIn, Purpose::StepUp, Purpose::PhoneVerification] {
            assert_eq!(c.ttl_for(p), c.ttl());
        }
        assert!(c.with_reset_ttl(Duration::from_secs(59)).is_err());
        assert!(c.with_reset_ttl(Duration::from_secs(3601)).is_err());
        let hour = c.with_reset_ttl(Duration::from_secs(3600)).unwrap();
        assert_eq!(
            hour.ttl_for(Purpose::PasswordReset),
            Duration::from_secs(3600)
        );
        assert_eq!(
            c.with_reset_ttl(Duration::from_secs(60))
                .unwrap()
                .reset_ttl(),
            Duration::from_secs(60)
        );
        assert_eq!(Purpose::PasswordReset.as_str(), "password_reset");
    }

    proptest! {
        #[test]
        fn id_parse_never_panics(s in "\\PC{0,80}") {
            let _ = ChallengeId::parse(&s);
        }

        #[test]
        fn id_round_trips(b in proptest::array::uniform16(any::<u8>())) {
            let id = ChallengeId(b);
            prop_assert_eq!(ChallengeId::parse(&id.to_string()).unwrap(), id);
            prop_assert_eq!(ChallengeId::parse(&id.to_string().to_uppercase()).unwrap(), id);
        }

        #[cfg(feature = "serde")]
        #[test]
        fn valid_configs_round_trip_through_json(
            digits in 6u8..=10, ttl in 60u64..=600, attempts in 1u8..=10,
        ) {
            let cfg = ChallengeConfig::new(digits, Duration::from_secs(ttl), attempts).unwrap();
            let json = serde_json::to_string(&cfg).unwrap();
            prop_assert_eq!(serde_json::from_str::<ChallengeConfig>(&json).unwrap(), cfg);
        }

        #[cfg(feature = "serde")]
        #[test]
        fn out_of_bounds_configs_are_refused_by_serde(
            digits in any::<u8>(), ttl in 0u64..100_000_000, attempts in any::<u8>(),
        ) {
            let json = format!(
                r#"{{"digits":{digits},"ttl":{{"secs":{ttl},"nanos":0}},"max_attempts":{attempts}}}"#
            );
            let direct = ChallengeConfig::new(digits, Duration::from_secs(ttl), attempts);
            let parsed = serde_json::from_str::<ChallengeConfig>(&json);
            prop_assert_eq!(direct.is_ok(), parsed.is_ok());
        }

        #[cfg(feature = "serde")]
        #[test]
        fn tickets_and_verified_round_trip_through_json(
            b in proptest::array::uniform16(any::<u8>()),
            hint in "\\PC{0,40}",
            expires in any::<u64>(),
            sms in any::<bool>(),
            step_up in any::<bool>(),
        ) {
            let method = if sms { MfaMethod::Sms } else { MfaMethod::Email };
            let purpose = if step_up { Purpose::StepUp } else { Purpose::SignIn };
            let ticket = ChallengeTicket {
                id: ChallengeId(b),
                method,
                purpose,
                destination_hint: hint,
                expires_at: UnixTime::from_secs(expires),
            };
            let json = serde_json::to_string(&ticket).unwrap();
            prop_assert_eq!(serde_json::from_str::<ChallengeTicket>(&json).unwrap(), ticket);
            let verified = Verified { method, purpose };
            let json = serde_json::to_string(&verified).unwrap();
            prop_assert_eq!(serde_json::from_str::<Verified>(&json).unwrap(), verified);
        }
    }
}
