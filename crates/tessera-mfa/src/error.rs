//! The crate's error type.

use std::time::Duration;

use tessera_otp::UnixTime;

use crate::{MfaMethod, Unavailable};

/// Everything that can go wrong in this crate.
///
/// Messages are lowercase, say what was wrong, and never contain a code, a token or a
/// phone number. A failed second factor is always the single opaque
/// [`Error::VerificationFailed`], whatever the cause (wrong, reused, expired, locked out).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The account's identity provider handles MFA; nothing can be enabled or changed here.
    #[error(
        "multi-factor authentication for this account is handled by its identity provider ({provider}); change it there"
    )]
    ManagedByIdentityProvider {
        /// The identity provider's name, as the application gave it.
        provider: String,
    },
    /// Enabling MFA needs a method other than recovery codes.
    #[error(
        "multi-factor authentication needs at least one available method other than recovery codes; add a device, verify a phone number or add an email address first"
    )]
    NoMethodAvailable,
    /// The method cannot be used by this account now.
    #[error("the method {method} is not available for this account: {reason}")]
    MethodUnavailable {
        /// The method asked for.
        method: MfaMethod,
        /// Why it cannot be used.
        reason: Unavailable,
    },
    /// SMS is the only method left and is offered with a warning: it is never chosen
    /// implicitly.
    #[error(
        "sms is the only available method and is never chosen by default; choose it explicitly after showing its warning, or add a stronger method"
    )]
    SmsNeedsExplicitChoice,
    /// Recovery codes are a fallback and cannot be the preferred method.
    #[error("recovery codes cannot be the preferred method; choose a device, email or sms")]
    NotPreferable,
    /// The operation needs MFA to be enabled first.
    #[error("multi-factor authentication is not enabled for this account")]
    MfaNotEnabled,
    /// The organisation requires MFA, so it cannot be disabled.
    #[error("the organisation requires multi-factor authentication, so it cannot be disabled")]
    MfaRequired,
    /// The organisation does not let people remove or replace their own devices.
    #[error(
        "the organisation does not allow people to remove or replace their own devices; an administrator must do it"
    )]
    SelfServiceRemovalForbidden,
    /// An administrator action did not name its administrator.
    #[error("an administrator action must name the administrator")]
    AnonymousAdministrator,
    /// A configuration or policy value is outside its bounds.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// The state store failed; its cause is the [`source`](std::error::Error::source).
    ///
    /// A store's [`StoreError::Conflict`](crate::StoreError::Conflict) never lands here:
    /// it becomes [`Error::Conflict`].
    #[error("the state store failed")]
    Store(#[source] crate::StoreError),
    /// The account's state changed concurrently too many times in a row; nothing was
    /// changed. Try again. (Named `Contention` before 0.2; every crate of the workspace
    /// now calls "changed concurrently, try again" `Conflict`.)
    #[error("the account was changed concurrently too many times; try again")]
    Conflict,
    /// The second factor was not accepted.
    ///
    /// Deliberately opaque: wrong, reused, expired, unknown challenge and locked out all
    /// look the same to the caller. The cause goes to events and logs, never to the person.
    #[error("verification failed")]
    VerificationFailed,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Randomness,
    /// An email address was refused.
    #[error("invalid email address: {0}")]
    InvalidEmail(&'static str),
    /// A phone number was refused.
    #[error("invalid phone number: {0}")]
    InvalidPhoneNumber(&'static str),
    /// A code typed by a person was refused before any comparison.
    #[error("invalid code: {0}")]
    InvalidCode(&'static str),
    /// A remember-device token was malformed.
    #[error("invalid remember-device token")]
    InvalidToken,
    /// The account has no phone number linked.
    #[error("no phone number is linked to this account")]
    NoPhoneNumber,
    /// The account has no email address.
    #[error("this account has no email address")]
    NoEmailAddress,
    /// Too many codes were sent to this account or destination recently.
    #[error(
        "too many codes were sent recently; try again after unix time {}",
        .retry_after.as_secs()
    )]
    SendLimitReached {
        /// The first instant at which another send would be accepted.
        retry_after: UnixTime,
        /// How long from the refusal until then (what [`Error::retry_after`] answers).
        wait: Duration,
    },
    /// A code was sent a moment ago; a new one may be requested later.
    #[error(
        "a code was sent a moment ago; a new one can be requested after unix time {}",
        .retry_after.as_secs()
    )]
    ResendTooSoon {
        /// The first instant at which another send would be accepted.
        retry_after: UnixTime,
        /// How long from the refusal until then (what [`Error::retry_after`] answers).
        wait: Duration,
    },
    /// The delivery provider failed; the challenge was invalidated.
    #[error("the code could not be delivered")]
    Delivery(#[from] crate::DeliveryError),
    /// Only email and SMS send codes.
    #[error("the method {method} does not send codes; only email and sms do")]
    NotSentByCode {
        /// The method asked for.
        method: MfaMethod,
    },
    /// Phone verification codes go by SMS only.
    #[error("a phone number is verified with an sms code")]
    PhoneVerificationBySmsOnly,
    /// No remembered device has that identifier.
    #[error("no remembered device has that identifier")]
    UnknownRememberedDevice,
}

impl From<crate::StoreError> for Error {
    /// A store's conflict is the crate's one "changed concurrently, try again"
    /// ([`Error::Conflict`]); every other store failure keeps its cause.
    fn from(e: crate::StoreError) -> Self {
        match e {
            crate::StoreError::Conflict => Self::Conflict,
            other => Self::Store(other),
        }
    }
}

impl Error {
    /// Whether a second factor was refused: the one opaque
    /// [`Error::VerificationFailed`]. Answer it as "wrong code" (HTTP 401).
    #[must_use]
    pub const fn is_verification_failed(&self) -> bool {
        matches!(self, Self::VerificationFailed)
    }

    /// Whether the request itself was wrong and will fail again unchanged: a malformed
    /// email address, phone number, code or token, a method not available or not
    /// allowed, a rule of the organisation, a missing prerequisite (HTTP 400/422).
    ///
    /// [`Error::InvalidConfig`] is not among them: it is the application's mistake, not
    /// the person's (an internal error).
    #[must_use]
    pub const fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            Self::ManagedByIdentityProvider { .. }
                | Self::NoMethodAvailable
                | Self::MethodUnavailable { .. }
                | Self::SmsNeedsExplicitChoice
                | Self::NotPreferable
                | Self::MfaNotEnabled
                | Self::MfaRequired
                | Self::SelfServiceRemovalForbidden
                | Self::AnonymousAdministrator
                | Self::InvalidEmail(_)
                | Self::InvalidPhoneNumber(_)
                | Self::InvalidCode(_)
                | Self::InvalidToken
                | Self::NoPhoneNumber
                | Self::NoEmailAddress
                | Self::NotSentByCode { .. }
                | Self::PhoneVerificationBySmsOnly
                | Self::UnknownRememberedDevice
        )
    }

    /// How long to wait before sending another code: `Some` for
    /// [`Error::SendLimitReached`] and [`Error::ResendTooSoon`] only (HTTP 429 with a
    /// `Retry-After` header).
    ///
    /// A refused or throttled *verification* is never here: it stays the opaque
    /// [`Error::VerificationFailed`], so a locked account looks like a wrong code.
    #[must_use]
    pub const fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::SendLimitReached { wait, .. } | Self::ResendTooSoon { wait, .. } => Some(*wait),
            _ => None,
        }
    }

    /// Whether the account changed concurrently and the same request may simply be
    /// tried again: [`Error::Conflict`] (HTTP 409 or 503, or retry at once).
    #[must_use]
    pub const fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict)
    }

    /// Whether a part of the server failed (the state store, the delivery provider,
    /// the system's randomness): not the person's fault (HTTP 503).
    #[must_use]
    pub const fn is_unavailable(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Delivery(_) | Self::Randomness)
    }
}

/// This crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use tessera_store::testing::{Class, assert_one_class};

    use super::*;

    /// The class each variant must answer. No wildcard: a new variant does not compile
    /// until it is classified here.
    fn expected(e: &Error) -> Class {
        match e {
            Error::VerificationFailed => Class::VerificationFailed,
            Error::ManagedByIdentityProvider { .. }
            | Error::NoMethodAvailable
            | Error::MethodUnavailable { .. }
            | Error::SmsNeedsExplicitChoice
            | Error::NotPreferable
            | Error::MfaNotEnabled
            | Error::MfaRequired
            | Error::SelfServiceRemovalForbidden
            | Error::AnonymousAdministrator
            | Error::InvalidEmail(_)
            | Error::InvalidPhoneNumber(_)
            | Error::InvalidCode(_)
            | Error::InvalidToken
            | Error::NoPhoneNumber
            | Error::NoEmailAddress
            | Error::NotSentByCode { .. }
            | Error::PhoneVerificationBySmsOnly
            | Error::UnknownRememberedDevice => Class::InvalidInput,
            Error::SendLimitReached { .. } | Error::ResendTooSoon { .. } => Class::RetryAfter,
            Error::Conflict => Class::Conflict,
            Error::Store(_) | Error::Delivery(_) | Error::Randomness => Class::Unavailable,
            Error::InvalidConfig(_) => Class::None,
        }
    }

    /// What a backend error could hold that must never reach a message.
    const SECRET: &str = "123456-hunter2";

    /// One of every variant.
    fn every_variant() -> Vec<Error> {
        let at = UnixTime::from_secs(1_000);
        vec![
            Error::ManagedByIdentityProvider {
                provider: "okta".into(),
            },
            Error::NoMethodAvailable,
            Error::MethodUnavailable {
                method: MfaMethod::Sms,
                reason: Unavailable::NotConfigured,
            },
            Error::SmsNeedsExplicitChoice,
            Error::NotPreferable,
            Error::MfaNotEnabled,
            Error::MfaRequired,
            Error::SelfServiceRemovalForbidden,
            Error::AnonymousAdministrator,
            Error::InvalidConfig("bounds"),
            Error::Store(crate::StoreError::backend(SECRET)),
            Error::Conflict,
            Error::VerificationFailed,
            Error::Randomness,
            Error::InvalidEmail("no @"),
            Error::InvalidPhoneNumber("too short"),
            Error::InvalidCode("not digits"),
            Error::InvalidToken,
            Error::NoPhoneNumber,
            Error::NoEmailAddress,
            Error::SendLimitReached {
                retry_after: at,
                wait: Duration::from_secs(900),
            },
            Error::ResendTooSoon {
                retry_after: at,
                wait: Duration::from_secs(30),
            },
            Error::Delivery(crate::DeliveryError::new("provider down")),
            Error::NotSentByCode {
                method: MfaMethod::AuthenticatorApp,
            },
            Error::PhoneVerificationBySmsOnly,
            Error::UnknownRememberedDevice,
        ]
    }

    #[test]
    fn every_variant_answers_exactly_its_one_predicate() {
        let all = every_variant();
        assert_eq!(all.len(), 26, "one of each variant");
        for e in &all {
            assert_one_class(e, expected(e), &tessera_store::answered!(e, retry_after));
        }
    }

    #[test]
    fn retry_after_is_the_wait_not_the_instant() {
        let e = Error::ResendTooSoon {
            retry_after: UnixTime::from_secs(1_030),
            wait: Duration::from_secs(30),
        };
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert_eq!(Error::VerificationFailed.retry_after(), None);
    }

    #[test]
    fn a_store_conflict_is_the_one_conflict_and_a_backend_keeps_its_source() {
        assert!(matches!(
            Error::from(crate::StoreError::Conflict),
            Error::Conflict
        ));
        let io = || std::io::Error::other(SECRET);
        let store = Error::from(crate::StoreError::backend(io()));
        // A delivery provider's error too: kept as the source, not flattened to text.
        let delivery = Error::from(crate::DeliveryError::new(io()));
        for e in [store, delivery] {
            assert!(e.is_unavailable());
            assert!(!e.to_string().contains(SECRET), "{e}");
            let mut source = std::error::Error::source(&e);
            let mut found = false;
            while let Some(s) = source {
                found |= s.downcast_ref::<std::io::Error>().is_some();
                source = s.source();
            }
            assert!(
                found,
                "the backend's io::Error is in the source chain of {e:?}"
            );
        }
    }

    #[test]
    fn no_message_holds_a_backend_secret() {
        for e in every_variant() {
            let text = e.to_string();
            assert!(!text.contains(SECRET), "{text}");
            assert_eq!(text, text.to_lowercase(), "lowercase: {text}");
        }
    }
}
