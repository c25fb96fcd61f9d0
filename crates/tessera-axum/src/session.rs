//! Typed keys for the session state and the transitions between its states.

use std::fmt;
use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera::{
    Assurance, DeviceId, EnrolmentSession, PasswordChangeSession, PasswordReset, ResetSession,
    SecondFactorChallenge, SignIn,
};
use tower_sessions::Session;

use crate::{AuthError, Rejection};

/// A key of the server-side session and the type of the value under it, so that a
/// value is always read back as the type it was written as.
///
/// The keys this crate uses are the constants below; an application adds its own for
/// other ceremony states (a security-key registration's state, say) with
/// [`SessionKey::new`] and a name outside the `tessera.` prefix.
pub struct SessionKey<T> {
    name: &'static str,
    _value: PhantomData<fn() -> T>,
}

impl<T> SessionKey<T> {
    /// A key named `name` holding a `T`.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            _value: PhantomData,
        }
    }

    /// The key's name in the session record.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> Clone for SessionKey<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SessionKey<T> {}

impl<T> fmt::Debug for SessionKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionKey").field(&self.name).finish()
    }
}

/// The signed-in state: the [`Assurance`], which holds the account id, the security
/// stamp it was made under and when the second factor was last passed.
pub const SIGNED_IN: SessionKey<Assurance> = SessionKey::new("tessera.signed_in");
/// The half-signed-in state after a right password: the sign-in's second factor in
/// progress. Never read as signed in.
pub const PENDING_SECOND_FACTOR: SessionKey<SecondFactorChallenge> =
    SessionKey::new("tessera.pending_second_factor");
/// A step-up in progress (a signed-in person proving a second factor again).
pub const PENDING_STEP_UP: SessionKey<SecondFactorChallenge> =
    SessionKey::new("tessera.pending_step_up");
/// A sign-in that must set up a second factor first, and may do nothing else.
pub const PENDING_ENROLMENT: SessionKey<EnrolmentSession> =
    SessionKey::new("tessera.pending_enrolment");
/// A sign-in with a temporary password an administrator issued: it may only choose a
/// new password ([`finish_required_password_change`](tessera::Accounts::finish_required_password_change)).
pub const PENDING_PASSWORD_CHANGE: SessionKey<PasswordChangeSession> =
    SessionKey::new("tessera.pending_password_change");
/// A password reset waiting for its emailed code
/// ([`start_password_reset`](tessera::Accounts::start_password_reset)).
pub const PENDING_PASSWORD_RESET: SessionKey<PasswordReset> =
    SessionKey::new("tessera.pending_password_reset");
/// A password reset's second factor ([`tessera::ResetStep::SecondFactor`]), apart from a
/// sign-in's: it finishes only with
/// [`finish_reset_second_factor`](tessera::Accounts::finish_reset_second_factor).
pub const PENDING_RESET_SECOND_FACTOR: SessionKey<SecondFactorChallenge> =
    SessionKey::new("tessera.pending_reset_second_factor");
/// A password reset that may choose the new password ([`tessera::ResetStep::NewPassword`],
/// or what [`finish_reset_second_factor`](tessera::Accounts::finish_reset_second_factor)
/// returns), for [`finish_password_reset`](tessera::Accounts::finish_password_reset).
pub const PENDING_RESET_PASSWORD: SessionKey<ResetSession> =
    SessionKey::new("tessera.pending_reset_password");
/// The device of an authenticator-app setup in progress (the setup page shows its QR
/// code; a reload resumes it with
/// [`resume_authenticator_setup`](tessera::Accounts::resume_authenticator_setup)).
pub const PENDING_AUTHENTICATOR_SETUP: SessionKey<DeviceId> =
    SessionKey::new("tessera.pending_authenticator_setup");

/// A security-key registration in progress
/// ([`start_security_key_setup`](tessera::Accounts::start_security_key_setup)'s
/// ceremony, sealed: the session store can neither read nor change it).
#[cfg(feature = "webauthn")]
#[cfg_attr(docsrs, doc(cfg(feature = "webauthn")))]
pub const PENDING_SECURITY_KEY_SETUP: SessionKey<tessera::webauthn::RegistrationCeremony> =
    SessionKey::new("tessera.pending_security_key_setup");
/// A security-key assertion in progress, for a sign-in's second factor or a step-up
/// ([`start_security_key`](tessera::Accounts::start_security_key)'s ceremony, sealed).
#[cfg(feature = "webauthn")]
#[cfg_attr(docsrs, doc(cfg(feature = "webauthn")))]
pub const PENDING_SECURITY_KEY: SessionKey<tessera::webauthn::AuthenticationCeremony> =
    SessionKey::new("tessera.pending_security_key");

/// Every key this crate writes that says who the session is or is becoming; a
/// change of who the session is clears all of them first (the security-key keys
/// too, whether or not this build has the feature that names them).
const IDENTITY_KEYS: [&str; 11] = [
    SIGNED_IN.name,
    PENDING_SECOND_FACTOR.name,
    PENDING_STEP_UP.name,
    PENDING_ENROLMENT.name,
    PENDING_PASSWORD_CHANGE.name,
    PENDING_PASSWORD_RESET.name,
    PENDING_RESET_SECOND_FACTOR.name,
    PENDING_RESET_PASSWORD.name,
    PENDING_AUTHENTICATOR_SETUP.name,
    "tessera.pending_security_key_setup",
    "tessera.pending_security_key",
];

/// The session of the request, typed: read and write the states under their
/// [`SessionKey`]s, and move between them with the transitions below, which renew the
/// session id whenever the session gains a privilege (against session fixation: an
/// id planted before the sign-in is worth nothing after it).
///
/// An extractor (needs `tower_sessions::SessionManagerLayer` on the router). Values
/// are trusted as read: keep them in a server-side session store (any
/// `tower_sessions` store), never in a client-side cookie session.
#[derive(Clone, Debug)]
pub struct AuthSession {
    session: Session,
}

impl AuthSession {
    /// The typed view of a `tower_sessions` session.
    #[must_use]
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The `tower_sessions` session underneath.
    #[must_use]
    pub fn inner(&self) -> &Session {
        &self.session
    }

    /// The value under `key`. A value that no longer reads as `T` (written by another
    /// version, or tampered with in the store) is removed and reads as absent: it
    /// never signs anyone in, and it does not lock the person out either.
    ///
    /// # Errors
    /// The session store failed (503).
    pub async fn get<T: DeserializeOwned>(
        &self,
        key: SessionKey<T>,
    ) -> Result<Option<T>, AuthError> {
        match self.session.get::<T>(key.name).await {
            Ok(value) => Ok(value),
            Err(tower_sessions::session::Error::SerdeJson(_)) => {
                self.session.remove_value(key.name).await?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Puts `value` under `key`, replacing what was there.
    ///
    /// # Errors
    /// The session store failed, or the value does not serialize.
    pub async fn insert<T: Serialize>(
        &self,
        key: SessionKey<T>,
        value: &T,
    ) -> Result<(), AuthError> {
        Ok(self.session.insert(key.name, value).await?)
    }

    /// Removes what is under `key`.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn remove<T>(&self, key: SessionKey<T>) -> Result<(), AuthError> {
        self.session.remove_value(key.name).await?;
        Ok(())
    }

    /// Records what [`Accounts::sign_in`](tessera::Accounts::sign_in) (or
    /// [`finish_enrolment`](tessera::Accounts::finish_enrolment),
    /// [`finish_required_password_change`](tessera::Accounts::finish_required_password_change))
    /// decided after the password: signed in, a second factor pending, an enrolment
    /// pending, or a new password owed. Each replaces whatever identity state the
    /// session had, under a new session id.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn record_sign_in(&self, step: &SignIn) -> Result<(), AuthError> {
        match step {
            SignIn::Complete(assurance) => self.sign_in(assurance).await,
            SignIn::SecondFactor(challenge) => {
                self.renew_identity().await?;
                self.insert(PENDING_SECOND_FACTOR, challenge).await
            }
            SignIn::EnrolmentRequired(enrolment) => {
                self.renew_identity().await?;
                self.insert(PENDING_ENROLMENT, enrolment).await
            }
            SignIn::PasswordChangeRequired(change) => {
                self.renew_identity().await?;
                self.insert(PENDING_PASSWORD_CHANGE, change).await
            }
            // A step this version does not know: record nothing, sign nobody in.
            _ => self.renew_identity().await,
        }
    }

    /// Signs the session in with `assurance` (a completed sign-in, second factor or
    /// enrolment), under a new session id; every pending state is dropped.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn sign_in(&self, assurance: &Assurance) -> Result<(), AuthError> {
        self.renew_identity().await?;
        self.insert(SIGNED_IN, assurance).await
    }

    /// Keeps `renewed` in place of the signed-in assurance, under a new session id: a
    /// step-up's result, or the assurance a flow that moved the security stamp
    /// returned ([`PasswordChange`](tessera::PasswordChange),
    /// [`SignedOutEverywhere`](tessera::SignedOutEverywhere),
    /// [`Renewed`](tessera::Renewed)). A pending step-up ends; an authenticator setup
    /// in progress stays.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn renew(&self, renewed: &Assurance) -> Result<(), AuthError> {
        self.session.cycle_id().await?;
        self.remove(PENDING_STEP_UP).await?;
        self.insert(SIGNED_IN, renewed).await
    }

    /// Ends the session: its record is deleted and the cookie expires.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        Ok(self.session.flush().await?)
    }

    /// A new session id and none of the identity states.
    async fn renew_identity(&self) -> Result<(), AuthError> {
        self.session.cycle_id().await?;
        for key in IDENTITY_KEYS {
            self.session.remove_value(key).await?;
        }
        Ok(())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthSession {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .map(Self::new)
            .ok_or_else(Rejection::missing_session_layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identity_key_is_cleared_at_a_change_of_identity() {
        let names = [
            SIGNED_IN.name(),
            PENDING_SECOND_FACTOR.name(),
            PENDING_STEP_UP.name(),
            PENDING_ENROLMENT.name(),
            PENDING_PASSWORD_CHANGE.name(),
            PENDING_PASSWORD_RESET.name(),
            PENDING_RESET_SECOND_FACTOR.name(),
            PENDING_RESET_PASSWORD.name(),
            PENDING_AUTHENTICATOR_SETUP.name(),
            #[cfg(feature = "webauthn")]
            PENDING_SECURITY_KEY_SETUP.name(),
            #[cfg(feature = "webauthn")]
            PENDING_SECURITY_KEY.name(),
        ];
        for name in names {
            assert!(IDENTITY_KEYS.contains(&name), "{name}");
        }
        let unique: std::collections::HashSet<_> = IDENTITY_KEYS.iter().collect();
        assert_eq!(unique.len(), IDENTITY_KEYS.len());
    }

    #[test]
    fn a_key_shows_its_name() {
        assert_eq!(
            format!("{SIGNED_IN:?}"),
            r#"SessionKey("tessera.signed_in")"#
        );
        let custom: SessionKey<u8> = SessionKey::new("app.wizard_step");
        assert_eq!(format!("{custom:?}"), r#"SessionKey("app.wizard_step")"#);
    }

    /// What `remove` takes away is gone, and the other keys stay.
    #[test]
    fn remove_takes_away_one_value() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = std::sync::Arc::new(tower_sessions::MemoryStore::default());
            let session = AuthSession::new(tower_sessions::Session::new(None, store, None));
            let (one, two): (SessionKey<u32>, SessionKey<u32>) =
                (SessionKey::new("app.one"), SessionKey::new("app.two"));
            session.insert(one, &1).await.unwrap();
            session.insert(two, &2).await.unwrap();
            session.remove(one).await.unwrap();
            assert_eq!(session.get(one).await.unwrap(), None);
            assert_eq!(session.get(two).await.unwrap(), Some(2));
        });
    }
}
