//! What a sign-in proved: the assurance record, and the step-up check.

use std::time::Duration;

use tessera_mfa::MfaMethod;
use tessera_otp::UnixTime;
use tessera_registry::{DeviceId, UserId};

use crate::{Error, Result, SecurityStamp};

/// One way the person proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "session-state",
    derive(serde::Serialize, serde::Deserialize)
)]
#[cfg_attr(feature = "session-state", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Factor {
    /// The account's password.
    Password,
    /// A second factor, by this method.
    SecondFactor(MfaMethod),
    /// A remembered device let the sign-in skip the second factor. It does not count as
    /// a second factor for [`Assurance::require_second_factor`].
    RememberedDevice,
    /// The account's identity provider authenticated the person
    /// ([`Accounts::signed_in_by_identity_provider`](crate::Accounts::signed_in_by_identity_provider));
    /// as fresh as a password for binding a credential.
    IdentityProvider,
}

/// What an authentication proved: the account, the factors used, the second-factor
/// method and device that matched, and when.
///
/// Only the flows create it (there is no public constructor); keep it in the server-side
/// session. Before a sensitive operation, ask
/// [`require_second_factor`](Self::require_second_factor) for a recent second factor
/// (AWS's "MFA-protected API access"), and send the person through
/// [`Accounts::start_step_up`](crate::Accounts::start_step_up) when it fails.
///
/// With the `serde` feature it serializes (it holds no secret: ids, methods, instants).
/// Whoever can write the serialized form can claim any factor for any account, and
/// deserializing trusts it: keep it where only the server writes (a server-side
/// session store, or a cookie the server encrypts and authenticates), never in a
/// plain or merely encoded client-side cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "session-state",
    derive(serde::Serialize, serde::Deserialize)
)]
pub struct Assurance {
    pub(crate) account: UserId,
    pub(crate) factors: Vec<Factor>,
    pub(crate) method: Option<MfaMethod>,
    pub(crate) device: Option<DeviceId>,
    pub(crate) authenticated_at: UnixTime,
    pub(crate) second_factor_at: Option<UnixTime>,
    /// The account's security stamp when this was made.
    pub(crate) stamp: SecurityStamp,
}

impl Assurance {
    pub(crate) fn password_only(account: UserId, at: UnixTime, stamp: SecurityStamp) -> Self {
        Self {
            account,
            factors: vec![Factor::Password],
            method: None,
            device: None,
            authenticated_at: at,
            second_factor_at: None,
            stamp,
        }
    }

    pub(crate) fn remembered(account: UserId, at: UnixTime, stamp: SecurityStamp) -> Self {
        Self {
            factors: vec![Factor::Password, Factor::RememberedDevice],
            ..Self::password_only(account, at, stamp)
        }
    }

    /// The account.
    #[must_use]
    pub fn account(&self) -> &UserId {
        &self.account
    }

    /// The factors used, in the order they were checked.
    #[must_use]
    pub fn factors(&self) -> &[Factor] {
        &self.factors
    }

    /// The second-factor method that succeeded, if any.
    #[must_use]
    pub fn method(&self) -> Option<MfaMethod> {
        self.method
    }

    /// The registry device whose code or signature matched (authenticator apps,
    /// hardware tokens, security keys).
    #[must_use]
    pub fn device(&self) -> Option<DeviceId> {
        self.device
    }

    /// When the sign-in's first factor (the password) was checked.
    #[must_use]
    pub fn authenticated_at(&self) -> UnixTime {
        self.authenticated_at
    }

    /// When the latest second factor was verified (sign-in or step-up).
    #[must_use]
    pub fn second_factor_at(&self) -> Option<UnixTime> {
        self.second_factor_at
    }

    /// The account's security stamp when this assurance was made; it stops being valid
    /// when the account's stamp moves on ([`Accounts::check_session`](crate::Accounts::check_session)).
    #[must_use]
    pub fn security_stamp(&self) -> SecurityStamp {
        self.stamp
    }

    /// Whether a second factor was verified (a remembered device does not count).
    #[must_use]
    pub fn has_second_factor(&self) -> bool {
        self.second_factor_at.is_some()
    }

    /// Succeeds when a second factor was verified no longer than `max_age` before `now`.
    ///
    /// The check before an MFA-protected operation. A second factor stamped after `now`
    /// (a clock that moved back) counts as fresh.
    ///
    /// # Errors
    /// [`Error::StepUpRequired`] when there is no second factor or it is too old.
    pub fn require_second_factor(&self, max_age: Duration, now: UnixTime) -> Result<()> {
        match self.second_factor_at {
            Some(at) if now.saturating_duration_since(at) <= max_age => Ok(()),
            _ => Err(Error::StepUpRequired),
        }
    }

    /// Succeeds when the password was checked no longer than `max_age` before `now`.
    ///
    /// # Errors
    /// [`Error::ReauthenticationRequired`] when it is older, or no password was checked.
    pub fn require_password_within(&self, max_age: Duration, now: UnixTime) -> Result<()> {
        let fresh = now.saturating_duration_since(self.authenticated_at) <= max_age;
        let primary = self.factors.contains(&Factor::Password)
            || self.factors.contains(&Factor::IdentityProvider);
        if fresh && primary {
            Ok(())
        } else {
            Err(Error::ReauthenticationRequired)
        }
    }
}

/// A sign-in that may **only set up a second factor**: the password was right, but the
/// organisation requires MFA and the account has none on
/// ([`SignIn::EnrolmentRequired`](crate::SignIn::EnrolmentRequired)).
///
/// It is deliberately not an [`Assurance`]: it has no
/// [`require_second_factor`](Assurance::require_second_factor), and
/// [`Accounts::check_session`](crate::Accounts::check_session) and every flow that
/// needs a signed-in person refuse it at compile time, so a route that checks
/// "signed in" cannot let someone in who still has to enrol:
///
/// ```compile_fail
/// # async fn f(accounts: &tessera::InMemoryAccounts,
/// #     enrolling: tessera::EnrolmentSession) -> tessera::Result<()> {
/// accounts.check_session(&enrolling).await?; // expected `&Assurance`
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # fn f(enrolling: tessera::EnrolmentSession) -> tessera::Result<()> {
/// enrolling.require_second_factor(tessera::DEFAULT_STEP_UP_MAX_AGE, tessera::UnixTime::EPOCH)?;
/// # Ok(()) }
/// ```
///
/// while the same lines with an [`Assurance`] compile:
///
/// ```
/// # async fn f(accounts: &tessera::InMemoryAccounts,
/// #     signed_in: tessera::Assurance) -> tessera::Result<()> {
/// accounts.check_session(&signed_in).await?;
/// signed_in.require_second_factor(tessera::DEFAULT_STEP_UP_MAX_AGE, tessera::UnixTime::EPOCH)?;
/// # Ok(()) }
/// ```
///
/// Only the setup flows take it (through [`SetupSession`]):
/// [`start_authenticator_setup`](crate::Accounts::start_authenticator_setup) and
/// [`finish_authenticator_setup`](crate::Accounts::finish_authenticator_setup) (which
/// turns MFA on and returns the full sign-in), the phone number flows,
/// [`enable_mfa`](crate::Accounts::enable_mfa),
/// [`resume_authenticator_setup`](crate::Accounts::resume_authenticator_setup) and
/// [`cancel_authenticator_setup`](crate::Accounts::cancel_authenticator_setup); and
/// [`finish_enrolment`](crate::Accounts::finish_enrolment) turns it into the next step
/// of a sign-in once MFA is on. The setup rules of an assurance apply: the password at
/// most [`BINDING_PASSWORD_MAX_AGE`](crate::BINDING_PASSWORD_MAX_AGE) old, the
/// account's security stamp unchanged; after that, sign in again.
///
/// With the `serde` feature it serializes for the server-side session, in a form that
/// never deserializes as an [`Assurance`] (nor the other way round); like one, it is
/// trusted as read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "session-state",
    derive(serde::Serialize, serde::Deserialize)
)]
#[cfg_attr(feature = "session-state", serde(deny_unknown_fields))]
#[must_use = "keep the enrolment session in the server-side session: it is the only way to set up the required second factor"]
pub struct EnrolmentSession {
    /// Named so that an [`Assurance`]'s serialized form never reads as this one.
    pub(crate) enrolling: UserId,
    pub(crate) authenticated_at: UnixTime,
    pub(crate) stamp: SecurityStamp,
}

impl EnrolmentSession {
    pub(crate) const fn new(account: UserId, at: UnixTime, stamp: SecurityStamp) -> Self {
        Self {
            enrolling: account,
            authenticated_at: at,
            stamp,
        }
    }

    /// The account that has to enrol.
    #[must_use]
    pub fn account(&self) -> &UserId {
        &self.enrolling
    }

    /// When the password was checked.
    #[must_use]
    pub fn authenticated_at(&self) -> UnixTime {
        self.authenticated_at
    }

    /// The account's security stamp when the password was checked.
    #[must_use]
    pub fn security_stamp(&self) -> SecurityStamp {
        self.stamp
    }

    /// What the password proved, for the binding checks inside the crate only: it
    /// never leaves the crate as an [`Assurance`].
    pub(crate) fn password_only(&self) -> Assurance {
        Assurance::password_only(self.enrolling.clone(), self.authenticated_at, self.stamp)
    }
}

/// Who may set up a second factor: a signed-in person's [`Assurance`], or an
/// [`EnrolmentSession`] that may do nothing else. The setup flows take
/// `impl Into<SetupSession>`, so pass either by reference.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum SetupSession<'a> {
    /// A signed-in person.
    SignedIn(&'a Assurance),
    /// A person who must set up a second factor before signing in.
    Enrolment(&'a EnrolmentSession),
}

impl SetupSession<'_> {
    /// The account.
    #[must_use]
    pub fn account(&self) -> &UserId {
        match self {
            Self::SignedIn(a) => &a.account,
            Self::Enrolment(e) => &e.enrolling,
        }
    }

    /// The record the binding checks read: the assurance, or the enrolment session's
    /// password alone.
    pub(crate) fn assurance(&self) -> std::borrow::Cow<'_, Assurance> {
        match self {
            Self::SignedIn(a) => std::borrow::Cow::Borrowed(a),
            Self::Enrolment(e) => std::borrow::Cow::Owned(e.password_only()),
        }
    }
}

impl<'a> From<&'a Assurance> for SetupSession<'a> {
    fn from(a: &'a Assurance) -> Self {
        Self::SignedIn(a)
    }
}

impl<'a> From<&'a EnrolmentSession> for SetupSession<'a> {
    fn from(e: &'a EnrolmentSession) -> Self {
        Self::Enrolment(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_up_age() {
        let t = UnixTime::from_secs(1_000);
        let mut a = Assurance::password_only(UserId::new("u"), t, SecurityStamp::INITIAL);
        let five = Duration::from_secs(300);
        assert!(matches!(
            a.require_second_factor(five, t),
            Err(Error::StepUpRequired)
        ));
        a.second_factor_at = Some(t);
        assert!(
            a.require_second_factor(five, t.saturating_add(five))
                .is_ok()
        );
        assert!(
            a.require_second_factor(five, t.saturating_add(Duration::from_secs(301)))
                .is_err()
        );
        assert!(
            a.require_second_factor(five, UnixTime::from_secs(10))
                .is_ok()
        );
        let r = Assurance::remembered(UserId::new("u"), t, SecurityStamp::INITIAL);
        assert!(r.require_second_factor(five, t).is_err());
        assert_eq!(r.factors(), [Factor::Password, Factor::RememberedDevice]);
    }

    #[test]
    fn an_enrolment_session_binds_with_its_password_only() {
        let t = UnixTime::from_secs(1_000);
        let e = EnrolmentSession::new(UserId::new("u"), t, SecurityStamp::new(7));
        let setup = SetupSession::from(&e);
        assert_eq!(setup.account().as_str(), "u");
        let seen = setup.assurance();
        assert_eq!(seen.factors(), [Factor::Password]);
        assert!(!seen.has_second_factor());
        assert_eq!(seen.security_stamp(), SecurityStamp::new(7));
        assert!(
            seen.require_second_factor(Duration::from_secs(300), t)
                .is_err()
        );
        let a = Assurance::password_only(UserId::new("v"), t, SecurityStamp::INITIAL);
        assert!(matches!(SetupSession::from(&a), SetupSession::SignedIn(b) if *b == a));
    }

    #[cfg(feature = "session-state")]
    proptest::proptest! {
        #[test]
        fn assurances_round_trip_through_json(
            account in "\\PC{0,40}",
            at in proptest::prelude::any::<u64>(),
            second in proptest::option::of(proptest::prelude::any::<u64>()),
            device in proptest::option::of(proptest::prelude::any::<u128>()),
            remembered in proptest::prelude::any::<bool>(),
        ) {
            let mut a = if remembered {
                Assurance::remembered(UserId::new(account), UnixTime::from_secs(at), SecurityStamp::new(at))
            } else {
                Assurance::password_only(UserId::new(account), UnixTime::from_secs(at), SecurityStamp::new(at))
            };
            if let Some(s) = second {
                a.factors.push(Factor::SecondFactor(MfaMethod::HardwareToken));
                a.method = Some(MfaMethod::HardwareToken);
                a.second_factor_at = Some(UnixTime::from_secs(s));
            }
            a.device = device.map(DeviceId::from_u128);
            let json = serde_json::to_string(&a).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<Assurance>(&json).unwrap(), a);
        }
    }
}
