//! The crate's one error type.

use tessera_password::Violations;

use crate::{SessionError, StoreError};

/// Why an account flow failed.
///
/// Messages are lowercase, say what was wrong, and never contain a password, a code, a
/// token or a hash.
///
/// Every failure to *authenticate* (a wrong password, an unknown username, a wrong,
/// reused or expired code, a throttled or locked account, an expired sign-in) is the
/// one opaque [`Error::VerificationFailed`]: the person cannot learn which step failed.
/// The cause goes to the [`SecurityNotifier`](tessera_mfa::SecurityNotifier) (lockout,
/// code reuse), never into the error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Authentication failed; deliberately opaque (see the type's documentation).
    #[error("verification failed")]
    VerificationFailed,
    /// The new password breaks the policy; every broken rule is listed, in order.
    #[error("the password does not meet the policy: {0}")]
    PasswordRejected(Violations),
    /// The username is not acceptable.
    #[error("invalid username: {0}")]
    InvalidUsername(&'static str),
    /// Another account already has this username.
    #[error("the username is already taken")]
    UsernameTaken,
    /// No account has this id.
    #[error("no such account")]
    AccountNotFound,
    /// The account signs in through an identity provider; it has no password here.
    #[error("this account signs in through its identity provider ({provider})")]
    ManagedByIdentityProvider {
        /// The identity provider's name.
        provider: String,
    },
    /// The operation needs a second factor verified more recently (step-up).
    #[error("this operation needs a recent second factor; verify one and try again")]
    StepUpRequired,
    /// The recent second factor is weaker than a factor the operation touches: a
    /// weaker factor never removes or outranks a stronger one (an email code cannot
    /// remove an authenticator app or turn MFA off while one is active). Step up with a
    /// method of at least `needed`.
    #[error(
        "this operation needs a second factor at least as strong as {needed:?}; step up with a stronger method"
    )]
    StepUpTooWeak {
        /// The weakest method class that may authorise it.
        needed: tessera_mfa::Authority,
    },
    /// The operation needs the password confirmed more recently (20 minutes, NIST SP
    /// 800-63B-4 §6.1.2.1, while MFA is off): confirm it and try again.
    #[error("this operation needs the password confirmed within the last 20 minutes")]
    ReauthenticationRequired,
    /// The session's assurance was made under an older security stamp: the password
    /// changed, the account signed out everywhere, MFA was turned off or a factor was
    /// removed. Sign in again.
    #[error("this session has ended; sign in again")]
    SessionRevoked,
    /// Turning MFA off needs a new password: the current one is shorter than the minimum
    /// for a password that is the only factor.
    #[error("choose a new password of at least {min_length} characters before turning MFA off")]
    PasswordChangeRequired {
        /// The minimum length for a password that is the only factor.
        min_length: usize,
    },
    /// The method is not offered for this second-factor challenge.
    #[error("the method {0} is not offered for this challenge")]
    MethodNotOffered(tessera_mfa::MfaMethod),
    /// A second-factor challenge needs a method chosen (or a code sent) first.
    #[error("choose a second-factor method first")]
    NoMethodChosen,
    /// The account was changed concurrently too often; nothing was changed.
    #[error("the account was changed concurrently; try again")]
    Conflict,
    /// The account store failed.
    #[error("account store failed")]
    Store(#[source] StoreError),
    /// Revoking the account's sessions failed (the password change itself is stored).
    #[error("signing out the account's sessions failed")]
    Sessions(#[source] SessionError),
    /// Hashing or verifying a password failed (not a wrong password: that is
    /// [`Error::VerificationFailed`]).
    #[error("password hashing failed")]
    Password(#[source] tessera_password::Error),
    /// A device registry operation failed.
    #[error(transparent)]
    Registry(tessera_registry::Error),
    /// An MFA rule refused, or its store failed.
    #[error(transparent)]
    Mfa(tessera_mfa::Error),
    /// A security key's registration was refused, or the relying party's ledger or
    /// index failed (feature `webauthn`). The sign-in path never answers this: a
    /// refused assertion is [`Error::VerificationFailed`].
    #[cfg(feature = "webauthn")]
    #[error(transparent)]
    SecurityKey(tessera_webauthn::Error),
    /// A password reset's second-factor challenge was given to a sign-in or step-up
    /// step: finish it with
    /// [`finish_reset_second_factor`](crate::Accounts::finish_reset_second_factor).
    #[error("this challenge belongs to a password reset; finish it with the reset's step")]
    ResetChallenge,
    /// MFA is on and the account has no second factor a password reset can use (its
    /// only one is the email the reset code went to): an administrator resets its MFA
    /// ([`admin_reset_mfa`](crate::Accounts::admin_reset_mfa)).
    #[error("a password reset needs a second factor other than email; ask an administrator")]
    NoSecondFactorForReset,
    /// A tooling credential's name is bad or taken, its id unknown, the account has the
    /// most allowed, or the account is not an identity provider's.
    #[error("tooling credential: {0}")]
    InvalidToolingCredential(&'static str),
    /// A change request names no device of the account, its note is bad, the same
    /// change is pending, too many are, or its id names no pending request.
    #[error("change request: {0}")]
    InvalidChangeRequest(&'static str),
    /// The text naming an administrator or their reason is empty, too long or has
    /// control characters.
    #[error("invalid administrator action: {0}")]
    InvalidAdminAction(&'static str),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Randomness,
    /// The application's [`Offload`](crate::Offload) could not run the password work.
    #[error("the password work could not be run")]
    Offload,
    /// Every permit of the [`Bounded`](crate::Bounded) offload was taken: the password
    /// work was not started and nothing was counted against the account. Try again
    /// shortly (HTTP 503 with a short `Retry-After`).
    ///
    /// A sign-in answers it for every username alike, known or not: it says the server
    /// is loaded, nothing about the account.
    #[error("the server is busy; try again shortly")]
    Busy,
}

impl Error {
    /// Whether authentication failed: the one opaque [`Error::VerificationFailed`]
    /// (HTTP 401). It also stands for a throttled or locked account, on purpose.
    #[must_use]
    pub fn is_verification_failed(&self) -> bool {
        match self {
            Self::VerificationFailed => true,
            Self::Registry(e) => e.is_verification_failed(),
            Self::Mfa(e) => e.is_verification_failed(),
            _ => false,
        }
    }

    /// Whether the request itself was wrong and fails again unchanged (HTTP 400, 404,
    /// 409 or 422): a password the policy refuses, a bad username, email address, phone
    /// number, code format or device name, a taken username, an unknown account or
    /// device, a method not offered, a missing prerequisite, an organisation's rule.
    ///
    /// Configuration mistakes of the application are not among them, nor the
    /// authorisation answers ([`Error::StepUpRequired`], [`Error::StepUpTooWeak`],
    /// [`Error::ReauthenticationRequired`], [`Error::SessionRevoked`]): each of those
    /// asks the person for a different next step, so match them by name.
    #[must_use]
    pub fn is_invalid_input(&self) -> bool {
        match self {
            Self::PasswordRejected(_)
            | Self::InvalidUsername(_)
            | Self::UsernameTaken
            | Self::AccountNotFound
            | Self::ManagedByIdentityProvider { .. }
            | Self::PasswordChangeRequired { .. }
            | Self::MethodNotOffered(_)
            | Self::NoMethodChosen
            | Self::ResetChallenge
            | Self::NoSecondFactorForReset
            | Self::InvalidAdminAction(_)
            | Self::InvalidToolingCredential(_)
            | Self::InvalidChangeRequest(_)
            | Self::Password(tessera_password::Error::PasswordTooLong { .. }) => true,
            Self::Registry(e) => e.is_invalid_input(),
            Self::Mfa(e) => e.is_invalid_input(),
            #[cfg(feature = "webauthn")]
            Self::SecurityKey(e) => webauthn_class(e) == WebauthnClass::InvalidInput,
            _ => false,
        }
    }

    /// How long to wait before asking for another code, when too many were sent
    /// (HTTP 429 with `Retry-After`).
    ///
    /// Never `Some` for a sign-in or a code check: a throttled or locked account is the
    /// opaque [`Error::VerificationFailed`], so this cannot tell one apart.
    #[must_use]
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Mfa(e) => e.retry_after(),
            _ => None,
        }
    }

    /// Whether the account changed concurrently and the same request may be tried
    /// again at once (HTTP 409, or retry): [`Error::Conflict`] and the registry's and
    /// the MFA rules' `Conflict`.
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::Conflict => true,
            Self::Registry(e) => e.is_conflict(),
            Self::Mfa(e) => e.is_conflict(),
            #[cfg(feature = "webauthn")]
            Self::SecurityKey(e) => webauthn_class(e) == WebauthnClass::Conflict,
            _ => false,
        }
    }

    /// Whether a part of the server failed or is overloaded (HTTP 503): a store, the
    /// session store, password hashing, randomness, code delivery, the offload failing
    /// or [busy](Error::Busy). The backend's own error is reachable through
    /// [`source`](std::error::Error::source).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Store(_) | Self::Sessions(_) | Self::Randomness | Self::Offload | Self::Busy => {
                true
            }
            Self::Password(e) => !matches!(e, tessera_password::Error::PasswordTooLong { .. }),
            Self::Registry(e) => e.is_unavailable(),
            Self::Mfa(e) => e.is_unavailable(),
            #[cfg(feature = "webauthn")]
            Self::SecurityKey(e) => webauthn_class(e) == WebauthnClass::Unavailable,
            _ => false,
        }
    }
}

/// How a WebAuthn error answers the predicates.
#[cfg(feature = "webauthn")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WebauthnClass {
    InvalidInput,
    Conflict,
    Unavailable,
    /// The application's configuration: none of the predicates.
    None,
}

#[cfg(feature = "webauthn")]
fn webauthn_class(e: &tessera_webauthn::Error) -> WebauthnClass {
    use tessera_webauthn::Error as W;
    match e {
        W::Store(_) | W::Seal(_) => WebauthnClass::Unavailable,
        W::Registry(r) if r.is_unavailable() => WebauthnClass::Unavailable,
        W::Registry(r) if r.is_conflict() => WebauthnClass::Conflict,
        W::InvalidConfig(_) => WebauthnClass::None,
        // A response, a ceremony or a key the request brought: fails again unchanged.
        _ => WebauthnClass::InvalidInput,
    }
}

#[cfg(feature = "webauthn")]
impl From<tessera_webauthn::Error> for Error {
    fn from(e: tessera_webauthn::Error) -> Self {
        match e {
            // Too many devices, a taken name: the registry's own answers.
            tessera_webauthn::Error::Registry(r) => Self::Registry(r),
            other => Self::SecurityKey(other),
        }
    }
}

impl From<crate::OffloadError> for Error {
    fn from(e: crate::OffloadError) -> Self {
        match e {
            crate::OffloadError::Busy => Self::Busy,
            _ => Self::Offload,
        }
    }
}

impl From<tessera_mfa::Error> for Error {
    fn from(e: tessera_mfa::Error) -> Self {
        match e {
            tessera_mfa::Error::VerificationFailed => Self::VerificationFailed,
            other => Self::Mfa(other),
        }
    }
}

impl From<tessera_registry::Error> for Error {
    fn from(e: tessera_registry::Error) -> Self {
        match e {
            tessera_registry::Error::Rejected => Self::VerificationFailed,
            other => Self::Registry(other),
        }
    }
}

impl From<tessera_password::Error> for Error {
    fn from(e: tessera_password::Error) -> Self {
        Self::Password(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Conflict,
            StoreError::Duplicate => Self::UsernameTaken,
            other => Self::Store(other),
        }
    }
}

/// This crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests

    use tessera_store::testing::{Class, assert_one_class};

    use super::*;

    fn answered(e: &Error) -> Vec<Class> {
        tessera_store::answered!(e, retry_after)
    }

    /// The facade's own variants; the wrapped crates' errors are classified (and
    /// enumerated) in their crates, and here answer as the inner error does. No
    /// wildcard: a new variant does not compile until it is classified.
    fn expected(e: &Error) -> Class {
        match e {
            Error::VerificationFailed => Class::VerificationFailed,
            Error::PasswordRejected(_)
            | Error::InvalidUsername(_)
            | Error::UsernameTaken
            | Error::AccountNotFound
            | Error::ManagedByIdentityProvider { .. }
            | Error::PasswordChangeRequired { .. }
            | Error::MethodNotOffered(_)
            | Error::NoMethodChosen
            | Error::ResetChallenge
            | Error::NoSecondFactorForReset
            | Error::InvalidAdminAction(_)
            | Error::InvalidToolingCredential(_)
            | Error::InvalidChangeRequest(_) => Class::InvalidInput,
            Error::Password(tessera_password::Error::PasswordTooLong { .. }) => Class::InvalidInput,
            Error::Conflict => Class::Conflict,
            Error::Store(_)
            | Error::Sessions(_)
            | Error::Password(_)
            | Error::Randomness
            | Error::Offload
            | Error::Busy => Class::Unavailable,
            Error::StepUpRequired
            | Error::StepUpTooWeak { .. }
            | Error::ReauthenticationRequired
            | Error::SessionRevoked => Class::None,
            Error::Registry(_) | Error::Mfa(_) => {
                unreachable!("classified in their crates; checked below as wrapped")
            }
            #[cfg(feature = "webauthn")]
            Error::SecurityKey(e) => match e {
                tessera_webauthn::Error::Store(_) | tessera_webauthn::Error::Seal(_) => {
                    Class::Unavailable
                }
                tessera_webauthn::Error::InvalidConfig(_) => Class::None,
                _ => Class::InvalidInput,
            },
        }
    }

    #[cfg(feature = "webauthn")]
    #[test]
    fn security_key_errors_answer_one_predicate_each() {
        use tessera_webauthn::{Error as W, Refusal};
        let all = [
            W::InvalidConfig("origin"),
            W::MalformedResponse("json"),
            W::InvalidState,
            W::Expired,
            W::AlreadyUsed,
            W::Refused(Refusal::Origin),
            W::PossibleClone { device_id: None },
            W::AuthenticatorNotAllowed,
            W::CredentialInUse,
            W::Store(crate::StoreError::backend(SECRET)),
        ];
        for w in all {
            let e = Error::from(w);
            assert_one_class(&e, expected(&e), &answered(&e));
            assert!(!e.to_string().contains(SECRET), "{e}");
        }
        // The registry's refusals stay the registry's.
        let full = Error::from(W::Registry(tessera_registry::Error::TooManyDevices {
            max: 8,
        }));
        assert!(matches!(full, Error::Registry(_)) && full.is_invalid_input());
        // Built by hand (a variant is public), a wrapped registry error still answers as
        // the registry does.
        use tessera_registry::Error as R;
        let by_hand = [
            (R::Conflict, Class::Conflict),
            (
                R::from(tessera_registry::StoreError::backend(SECRET)),
                Class::Unavailable,
            ),
            (R::TooManyDevices { max: 8 }, Class::InvalidInput),
        ];
        for (r, want) in by_hand {
            let e = Error::SecurityKey(W::Registry(r));
            assert_one_class(&e, want, &answered(&e));
        }
    }

    /// What a password, a code or a backend's message could hold.
    const SECRET: &str = "correct horse 123456";

    fn own_variants() -> Vec<Error> {
        let violations = tessera_password::PasswordPolicy::default()
            .validate(
                &tessera_password::Password::new("hunter2x"),
                &tessera_password::Context::new(),
            )
            .expect_err("too short");
        vec![
            Error::VerificationFailed,
            Error::PasswordRejected(violations),
            Error::InvalidUsername("empty"),
            Error::UsernameTaken,
            Error::AccountNotFound,
            Error::ManagedByIdentityProvider {
                provider: "okta".into(),
            },
            Error::StepUpRequired,
            Error::StepUpTooWeak {
                needed: tessera_mfa::Authority::Aal2,
            },
            Error::ReauthenticationRequired,
            Error::SessionRevoked,
            Error::PasswordChangeRequired { min_length: 15 },
            Error::MethodNotOffered(tessera_mfa::MfaMethod::Sms),
            Error::NoMethodChosen,
            Error::ResetChallenge,
            Error::NoSecondFactorForReset,
            Error::InvalidAdminAction("empty"),
            Error::InvalidToolingCredential("taken"),
            Error::InvalidChangeRequest("pending"),
            Error::Conflict,
            Error::Store(StoreError::backend(SECRET)),
            Error::Sessions(SessionError::new("sessions down")),
            Error::Password(tessera_password::Error::Hashing),
            Error::Password(tessera_password::Error::PasswordTooLong { max_bytes: 4096 }),
            Error::Randomness,
            Error::Offload,
            Error::Busy,
        ]
    }

    #[test]
    fn every_variant_answers_exactly_its_one_predicate() {
        let own = own_variants();
        // 27 variants, 25 of them here (Password twice); Registry and Mfa below.
        assert_eq!(own.len(), 26);
        for e in &own {
            assert_one_class(e, expected(e), &answered(e));
        }
    }

    #[test]
    fn wrapped_errors_answer_as_their_crate_does() {
        use tessera_mfa::Error as M;
        use tessera_registry::Error as R;
        let wait = std::time::Duration::from_secs(30);
        let mfa: Error = M::ResendTooSoon {
            retry_after: tessera_otp::UnixTime::from_secs(30),
            wait,
        }
        .into();
        assert_eq!(answered(&mfa), vec![Class::RetryAfter]);
        assert_eq!(mfa.retry_after(), Some(wait));
        let cases: Vec<(Error, Class)> = vec![
            (M::Conflict.into(), Class::Conflict),
            (M::InvalidEmail("no @").into(), Class::InvalidInput),
            (M::Randomness.into(), Class::Unavailable),
            (M::InvalidConfig("bounds").into(), Class::None),
            // The opaque failures become the facade's own.
            (M::VerificationFailed.into(), Class::VerificationFailed),
            (R::Rejected.into(), Class::VerificationFailed),
            (R::ResyncFailed.into(), Class::VerificationFailed),
            (R::Conflict.into(), Class::Conflict),
            (R::TooManyDevices { max: 8 }.into(), Class::InvalidInput),
            (
                R::from(tessera_registry::StoreError::backend(SECRET)).into(),
                Class::Unavailable,
            ),
            (R::InvalidConfig("window").into(), Class::None),
        ];
        for (e, want) in cases {
            assert_one_class(&e, want, &answered(&e));
        }
        // Built by hand rather than converted, the opaque failures still answer so.
        for e in [
            Error::Mfa(M::VerificationFailed),
            Error::Registry(R::Rejected),
        ] {
            assert_one_class(&e, Class::VerificationFailed, &answered(&e));
        }
    }

    #[test]
    fn the_one_retry_name_is_conflict_in_every_crate() {
        assert!(Error::from(StoreError::Conflict).is_conflict());
        assert!(
            Error::from(tessera_registry::Error::from(
                tessera_registry::StoreError::Conflict
            ))
            .is_conflict()
        );
        assert!(
            Error::from(tessera_mfa::Error::from(tessera_mfa::StoreError::Conflict)).is_conflict()
        );
    }

    #[test]
    fn a_backend_error_is_reachable_as_the_source_through_the_facade() {
        fn chain_has_io(e: &Error) -> bool {
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                if s.downcast_ref::<std::io::Error>().is_some() {
                    return true;
                }
                source = s.source();
            }
            false
        }
        let io = || std::io::Error::other(SECRET);
        let mfa = Error::from(tessera_mfa::Error::from(tessera_mfa::StoreError::backend(
            io(),
        )));
        let registry = Error::from(tessera_registry::Error::from(
            tessera_registry::StoreError::backend(io()),
        ));
        let accounts = Error::from(StoreError::backend(io()));
        let sessions = Error::Sessions(SessionError::new(io()));
        for e in [mfa, registry, accounts, sessions] {
            assert!(e.is_unavailable(), "{e:?}");
            assert!(chain_has_io(&e), "{e:?}");
            assert!(!e.to_string().contains(SECRET), "{e}");
        }
    }

    #[test]
    fn no_message_holds_a_secret() {
        for e in own_variants() {
            let text = e.to_string();
            assert!(!text.contains(SECRET), "{text}");
            assert!(
                !text.contains("hunter2x"),
                "the password is not echoed: {text}"
            );
        }
    }
}
