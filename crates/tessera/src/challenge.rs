//! A second factor in progress, for a sign-in or a step-up.

use tessera_mfa::{ChallengeTicket, MfaMethod, Purpose};
use tessera_otp::UnixTime;
use tessera_registry::UserId;

use crate::{Assurance, EnrolmentSession, Factor};

/// What [`Accounts::sign_in`](crate::Accounts::sign_in) decided after the password.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SignIn {
    /// Signed in: MFA is off, or a remembered device skipped the second factor.
    Complete(Assurance),
    /// The password was right; now a second factor. Start it with
    /// [`Accounts::start_second_factor`](crate::Accounts::start_second_factor).
    SecondFactor(SecondFactorChallenge),
    /// The password was right, but the organisation requires MFA and the account has
    /// none on: the person may only set up a second factor. An [`EnrolmentSession`] is
    /// not an [`Assurance`]: keep it apart from the signed-in state.
    EnrolmentRequired(EnrolmentSession),
    /// The password was a temporary one an administrator issued
    /// ([`Accounts::issue_temporary_password`](crate::Accounts::issue_temporary_password)):
    /// the person may only choose a new password, with
    /// [`Accounts::finish_required_password_change`](crate::Accounts::finish_required_password_change),
    /// which then goes on as a sign-in would (a second factor when MFA is on). A
    /// [`PasswordChangeSession`] is not an [`Assurance`]: keep it apart from the
    /// signed-in state.
    PasswordChangeRequired(PasswordChangeSession),
}

/// The half-signed-in state of a sign-in with a temporary password: it admits only
/// [`Accounts::finish_required_password_change`](crate::Accounts::finish_required_password_change),
/// within ten minutes and while the account's security stamp is unchanged.
///
/// Keep it in the server-side session, like a [`SecondFactorChallenge`] (with the
/// `session-state` feature it serializes, in a form that never reads as an
/// [`Assurance`]); it is trusted as read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "session-state",
    derive(serde::Serialize, serde::Deserialize)
)]
#[cfg_attr(feature = "session-state", serde(deny_unknown_fields))]
#[must_use = "keep the session in the server-side session: it is the only way to replace the temporary password"]
pub struct PasswordChangeSession {
    /// Named so that no other state's serialized form reads as this one.
    pub(crate) changing: UserId,
    pub(crate) authenticated_at: UnixTime,
    pub(crate) expires_at: UnixTime,
    pub(crate) stamp: crate::SecurityStamp,
}

impl PasswordChangeSession {
    /// The account whose password must change.
    #[must_use]
    pub fn account(&self) -> &UserId {
        &self.changing
    }

    /// When the temporary password was checked.
    #[must_use]
    pub fn authenticated_at(&self) -> UnixTime {
        self.authenticated_at
    }

    /// From this instant on the session can no longer be used.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
}

/// A second factor in progress: which methods are offered, which one was started, and
/// the email/SMS challenge when a code was sent.
///
/// The library keeps no state of its own: **the application keeps this value** between
/// the request that started the second factor and the one that completes it, in its
/// server-side session (never in a client-writable cookie: it says the password was
/// right). It expires ten minutes after it was created.
///
/// It is ceremony state, passed **by value** the webauthn-rs way:
/// [`Accounts::start_second_factor`](crate::Accounts::start_second_factor) takes it and
/// returns the new state, which replaces the old one in the session. Dropping the
/// returned value is a `#[must_use]` warning, because the old value would no longer
/// match the code just sent:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// # async fn f(accounts: &tessera::InMemoryAccounts,
/// #     challenge: tessera::SecondFactorChallenge) -> tessera::Result<()> {
/// accounts.start_second_factor(challenge, Some(tessera::MfaMethod::Email)).await?;
/// # Ok(()) }
/// ```
///
/// ```
/// #![deny(unused_must_use)]
/// # async fn f(accounts: &tessera::InMemoryAccounts,
/// #     challenge: tessera::SecondFactorChallenge) -> tessera::Result<()> {
/// let challenge = accounts.start_second_factor(challenge, Some(tessera::MfaMethod::Email)).await?;
/// // session.insert("challenge", &challenge)?;
/// # let _ = challenge;
/// # Ok(()) }
/// ```
///
/// With the `serde` feature it serializes for that session: it holds no secret (the
/// email/SMS code is only in the message sent, the stored challenge keeps a keyed hash
/// of it), but like an [`Assurance`] it is trusted as read, so only the server may
/// write it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "session-state",
    derive(serde::Serialize, serde::Deserialize)
)]
#[must_use = "ceremony state: store the returned challenge in the session, in place of the old one"]
pub struct SecondFactorChallenge {
    pub(crate) account: UserId,
    pub(crate) purpose: Purpose,
    pub(crate) prior: Vec<Factor>,
    pub(crate) authenticated_at: UnixTime,
    pub(crate) primary: Option<MfaMethod>,
    pub(crate) available: Vec<MfaMethod>,
    pub(crate) method: Option<MfaMethod>,
    pub(crate) ticket: Option<ChallengeTicket>,
    pub(crate) expires_at: UnixTime,
    /// The account's security stamp when the challenge began: completing it after the
    /// stamp moved on (password changed, signed out everywhere) fails.
    pub(crate) stamp: crate::SecurityStamp,
}

impl SecondFactorChallenge {
    /// Refuses a password reset's challenge where a sign-in or step-up is finished: it
    /// ends in a [`ResetSession`](crate::ResetSession), never an [`Assurance`].
    pub(crate) fn refuse_reset(&self) -> crate::Result<()> {
        if self.purpose == Purpose::PasswordReset {
            Err(crate::Error::ResetChallenge)
        } else {
            Ok(())
        }
    }

    /// The purpose of the email/SMS codes sent for this challenge: a reset's second
    /// factor is a re-authentication (its email code already proved the inbox).
    pub(crate) fn code_purpose(&self) -> Purpose {
        match self.purpose {
            Purpose::PasswordReset => Purpose::StepUp,
            other => other,
        }
    }

    /// Refuses a challenge that does not offer security keys: the one check before any
    /// security-key step (and before a ceremony is used up).
    pub(crate) fn require_security_key(&self) -> crate::Result<()> {
        if self.available.contains(&MfaMethod::SecurityKey) {
            Ok(())
        } else {
            Err(crate::Error::MethodNotOffered(MfaMethod::SecurityKey))
        }
    }

    /// The account being authenticated.
    #[must_use]
    pub fn account(&self) -> &UserId {
        &self.account
    }

    /// Sign-in or step-up.
    #[must_use]
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The method to offer first: the preferred one when available, else the strongest;
    /// `None` when only recovery codes are left.
    #[must_use]
    pub fn primary(&self) -> Option<MfaMethod> {
        self.primary
    }

    /// Every method the person may pick instead ("try another way"), strongest first.
    #[must_use]
    pub fn available(&self) -> &[MfaMethod] {
        &self.available
    }

    /// The method started, if any.
    #[must_use]
    pub fn method(&self) -> Option<MfaMethod> {
        self.method
    }

    /// The email/SMS challenge, when a code was sent.
    #[must_use]
    pub fn ticket(&self) -> Option<&ChallengeTicket> {
        self.ticket.as_ref()
    }

    /// From this instant on the challenge can no longer be completed.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
}
