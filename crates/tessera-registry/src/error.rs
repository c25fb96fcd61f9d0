//! The errors of the registry and of its stores.

use tessera_otp::Algorithm;

use crate::{DeviceKind, StoreError};

/// An algorithm's name in the lowercase of error messages.
fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Sha1 => "sha-1",
        Algorithm::Sha256 => "sha-256",
        Algorithm::Sha512 => "sha-512",
        // `Algorithm` is non-exhaustive: a future hash is named as the otp crate names it.
        _ => algorithm.as_str(),
    }
}

/// Why a registry operation failed.
///
/// Messages say what was wrong with the request and never repeat a secret or a code.
/// On the sign-in path every failure of a code is the one opaque [`Error::Rejected`]:
/// a wrong, reused or expired code and a code of another user's device look the same.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A one-time code or security-key assertion did not verify.
    #[error("verification failed")]
    Rejected,
    /// The user already has the most devices the configuration allows.
    #[error("a user may have at most {max} mfa devices")]
    TooManyDevices {
        /// The configured limit.
        max: usize,
    },
    /// No device with this id belongs to the user.
    #[error("no such mfa device")]
    DeviceNotFound,
    /// The device is pending and its enrolment window has passed; enrol again.
    #[error("the enrolment of this mfa device has expired")]
    EnrolmentExpired,
    /// The device is already active (activation is one-time).
    #[error("the mfa device is already active")]
    AlreadyActive,
    /// The device is pending: activate it first.
    #[error("the mfa device is not active")]
    NotActive,
    /// The operation needs another kind of device (resync on a security key, say).
    #[error("operation not supported for a device of kind {kind}")]
    WrongKind {
        /// The device's kind.
        kind: DeviceKind,
    },
    /// The activation policy asks for a different number of codes.
    #[error("activation needs {expected} code(s), got {found}")]
    ActivationCodes {
        /// Codes the policy asks for.
        expected: usize,
        /// Codes given.
        found: usize,
    },
    /// A device name is empty or too long after trimming, or holds control characters.
    #[error(
        "device name must be {min} to {max} characters after trimming, without control characters"
    )]
    InvalidName {
        /// Fewest characters.
        min: usize,
        /// Most characters.
        max: usize,
    },
    /// Another device of the user has this name (compared without regard to case).
    #[error("the user already has a device with this name")]
    DuplicateName,
    /// Another security key of the user has this credential id, or a token this serial.
    #[error("the user already has this device")]
    DuplicateDevice,
    /// The hardware token (its serial number) or the seed is registered to another
    /// user: one device belongs to one user (AWS: "a user can't type a code from
    /// another user's device"). Nothing was stored.
    ///
    /// Returned only after the device's codes verified, so it tells nothing to
    /// someone who merely knows or guesses a serial: whoever sees it holds the device
    /// or its seed, which another account already uses (a shared or leaked seed, or a
    /// token handed on without being removed from its first holder). The message does
    /// not say which user, nor repeat the serial.
    #[error("this mfa device is registered to another user")]
    DeviceBelongsToAnotherUser,
    /// A serial number or security-key field is empty or too long.
    #[error("invalid device data: {0}")]
    InvalidDevice(&'static str),
    /// The activation codes of a SHA-256 or SHA-512 key did not verify, but match the
    /// same secret under SHA-1: the authenticator app (or token) ignores the
    /// `algorithm` parameter of the otpauth:// URI. Nothing was activated or stored.
    ///
    /// Show the person what to do: enrol again with a SHA-1 key (the default), or use
    /// another app. Its message says so. Only activation reports this: a sign-in code
    /// that fails is always the opaque [`Error::Rejected`].
    #[error(
        "this authenticator app ignores {}: its codes are sha-1 codes; enrol again with sha-1 or use another app",
        algorithm_name(*.issued)
    )]
    AppIgnoresAlgorithm {
        /// The algorithm the key was issued with.
        issued: Algorithm,
    },
    /// The two codes do not match consecutive steps within the search range.
    #[error("codes do not match two consecutive steps within the search range")]
    ResyncFailed,
    /// A configuration value is out of bounds.
    #[error("invalid registry configuration: {0}")]
    InvalidConfig(&'static str),
    /// The user's devices kept changing concurrently: every retry met a newer version.
    #[error("mfa devices were changed concurrently too often; try again")]
    Conflict,
    /// A TOTP parameter or secret was refused.
    #[error(transparent)]
    Otp(#[from] tessera_otp::Error),
    /// A stored TOTP seed could not be opened: its key is not in the registry's keyring
    /// ([`tessera_keyring::Error::UnknownKey`], load the key and retry), or it was
    /// tampered with or moved to another user or device
    /// ([`tessera_keyring::Error::OpenFailed`]). Nothing was stored by the operation.
    ///
    /// A sign-in check reports this only when no other device of the user matched
    /// the code: a device that cannot be opened is skipped, so the others keep working.
    #[error("a stored totp seed could not be opened")]
    SealedSecret(#[source] tessera_keyring::Error),
    /// The store failed; nothing was changed by this operation.
    #[error("device store failed")]
    Store(#[source] StoreError),
}

impl Error {
    /// Whether a code or security-key assertion was refused: [`Error::Rejected`] and
    /// [`Error::ResyncFailed`] (HTTP 401).
    #[must_use]
    pub const fn is_verification_failed(&self) -> bool {
        matches!(self, Self::Rejected | Self::ResyncFailed)
    }

    /// Whether the request itself was wrong and will fail again unchanged: a ninth
    /// device, an unknown device, a pending or expired enrolment, a bad name or device
    /// field, a key the app cannot use, a TOTP parameter or secret refused (HTTP
    /// 400/404/422).
    ///
    /// [`Error::InvalidConfig`] is not among them: it is the application's mistake.
    #[must_use]
    pub const fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            Self::TooManyDevices { .. }
                | Self::DeviceNotFound
                | Self::EnrolmentExpired
                | Self::AlreadyActive
                | Self::NotActive
                | Self::WrongKind { .. }
                | Self::ActivationCodes { .. }
                | Self::InvalidName { .. }
                | Self::DuplicateName
                | Self::DuplicateDevice
                | Self::DeviceBelongsToAnotherUser
                | Self::InvalidDevice(_)
                | Self::AppIgnoresAlgorithm { .. }
                | Self::Otp(_)
        )
    }

    /// Whether the user's devices changed concurrently and the same request may be
    /// tried again: [`Error::Conflict`].
    #[must_use]
    pub const fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict)
    }

    /// Whether a part of the server failed: the store, or a sealed seed whose key is
    /// not loaded (or that was tampered with). Not the person's fault (HTTP 503).
    #[must_use]
    pub const fn is_unavailable(&self) -> bool {
        matches!(self, Self::Store(_) | Self::SealedSecret(_))
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Conflict,
            other => Self::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use tessera_store::testing::{Class, assert_one_class};

    use super::*;

    #[test]
    fn algorithms_are_named_in_lowercase_with_a_hyphen() {
        assert_eq!(algorithm_name(Algorithm::Sha1), "sha-1");
        assert_eq!(algorithm_name(Algorithm::Sha256), "sha-256");
        assert_eq!(algorithm_name(Algorithm::Sha512), "sha-512");
    }

    /// No wildcard: a new variant does not compile until it is classified here.
    fn expected(e: &Error) -> Class {
        match e {
            Error::Rejected | Error::ResyncFailed => Class::VerificationFailed,
            Error::TooManyDevices { .. }
            | Error::DeviceNotFound
            | Error::EnrolmentExpired
            | Error::AlreadyActive
            | Error::NotActive
            | Error::WrongKind { .. }
            | Error::ActivationCodes { .. }
            | Error::InvalidName { .. }
            | Error::DuplicateName
            | Error::DuplicateDevice
            | Error::DeviceBelongsToAnotherUser
            | Error::InvalidDevice(_)
            | Error::AppIgnoresAlgorithm { .. }
            | Error::Otp(_) => Class::InvalidInput,
            Error::Conflict => Class::Conflict,
            Error::Store(_) | Error::SealedSecret(_) => Class::Unavailable,
            Error::InvalidConfig(_) => Class::None,
        }
    }

    const SECRET: &str = "JBSWY3DPEHPK3PXP-hunter2";

    fn every_variant() -> Vec<Error> {
        vec![
            Error::Rejected,
            Error::TooManyDevices { max: 8 },
            Error::DeviceNotFound,
            Error::EnrolmentExpired,
            Error::AlreadyActive,
            Error::NotActive,
            Error::WrongKind {
                kind: DeviceKind::SecurityKey,
            },
            Error::ActivationCodes {
                expected: 2,
                found: 1,
            },
            Error::InvalidName { min: 1, max: 32 },
            Error::DuplicateName,
            Error::DuplicateDevice,
            Error::DeviceBelongsToAnotherUser,
            Error::InvalidDevice("serial"),
            Error::AppIgnoresAlgorithm {
                issued: Algorithm::Sha256,
            },
            Error::ResyncFailed,
            Error::InvalidConfig("window"),
            Error::Conflict,
            Error::Otp(tessera_otp::Error::EmptySecret),
            Error::SealedSecret(tessera_keyring::Error::InvalidKeyId),
            Error::Store(StoreError::backend(SECRET)),
        ]
    }

    #[test]
    fn every_variant_answers_exactly_its_one_predicate() {
        let all = every_variant();
        assert_eq!(all.len(), 20, "one of each variant");
        for e in &all {
            assert_one_class(e, expected(e), &tessera_store::answered!(e));
        }
    }

    #[test]
    fn no_message_holds_a_backend_secret_and_the_source_is_kept() {
        for e in every_variant() {
            let text = e.to_string();
            assert!(!text.contains(SECRET), "{text}");
        }
        let e = Error::from(StoreError::backend(std::io::Error::other(SECRET)));
        let source = std::error::Error::source(&e).and_then(std::error::Error::source);
        assert!(source.is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()));
    }
}
