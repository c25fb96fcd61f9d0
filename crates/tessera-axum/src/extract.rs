//! The extractors: signed in, a recent second factor, a pending second factor.

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{CACHE_CONTROL, LOCATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera::{Assurance, EnrolmentSession, PasswordChangeSession, SecondFactorChallenge, UserId};

use crate::session::{
    PENDING_ENROLMENT, PENDING_PASSWORD_CHANGE, PENDING_SECOND_FACTOR, SIGNED_IN,
};
use crate::{AuthSession, TesseraState, prefers_html};

/// Why an extractor refused the request, and the answer: a redirect for a browser
/// ([`prefers_html`]), JSON for a program.
#[derive(Debug)]
pub struct Rejection {
    kind: RejectionKind,
    /// Where a browser is sent; `None` answers JSON.
    redirect: Option<String>,
}

/// What a [`Rejection`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectionKind {
    /// No signed-in session, or one that ended (its security stamp moved on, its
    /// account is gone): 303 to the sign-in page, or 401
    /// `{"error":"not_signed_in"}`.
    NotSignedIn,
    /// Signed in, but the second factor is missing or older than the maximum age: 303
    /// to the step-up page, or 401 with RFC 9470's
    /// `WWW-Authenticate: Bearer error="insufficient_user_authentication", …, max_age=N`.
    SecondFactorTooOld {
        /// The configured maximum age.
        max_age: Duration,
    },
    /// No sign-in waiting for its second factor (or for an enrolment), or it expired:
    /// 303 to the sign-in page, or 401 `{"error":"not_signed_in"}`.
    NothingPending,
    /// The session store or the account store failed: 503 `{"error":"unavailable"}`.
    Unavailable,
    /// The router has no `tower_sessions::SessionManagerLayer`: 500.
    MissingSessionLayer,
}

impl Rejection {
    fn new(kind: RejectionKind, redirect: Option<&str>) -> Self {
        Self {
            kind,
            redirect: redirect.map(str::to_owned),
        }
    }

    pub(crate) fn missing_session_layer() -> Self {
        Self::new(RejectionKind::MissingSessionLayer, None)
    }

    /// What was refused.
    #[must_use]
    pub fn kind(&self) -> RejectionKind {
        self.kind
    }

    /// The response's status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match (self.kind, &self.redirect) {
            (RejectionKind::Unavailable, _) => StatusCode::SERVICE_UNAVAILABLE,
            (RejectionKind::MissingSessionLayer, _) => StatusCode::INTERNAL_SERVER_ERROR,
            (_, Some(_)) => StatusCode::SEE_OTHER,
            (_, None) => StatusCode::UNAUTHORIZED,
        }
    }
}

impl From<crate::AuthError> for Rejection {
    /// Only the session store fails inside the extractors: unavailable.
    fn from(e: crate::AuthError) -> Self {
        tracing::warn!(target: "tessera_axum", error = %e, "the session could not be read");
        Self::new(RejectionKind::Unavailable, None)
    }
}

/// RFC 9470 §3's challenge for a second factor older than `max_age`. The `max_age`
/// auth-param is sent as a token (`max_age=300`); RFC 9470's Figure 3 quotes it
/// (`max_age="5"`), and RFC 9110 §11.2 makes the two forms the same parameter.
pub(crate) fn max_age_challenge(max_age: Duration) -> String {
    let secs = max_age.as_secs();
    format!(
        "Bearer error=\"insufficient_user_authentication\", error_description=\"A second factor within the last {secs} seconds is required\", max_age={secs}"
    )
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = match (&self.redirect, self.kind) {
            (Some(to), RejectionKind::NotSignedIn)
            | (Some(to), RejectionKind::NothingPending)
            | (Some(to), RejectionKind::SecondFactorTooOld { .. }) => {
                let mut r = status.into_response();
                // The paths were checked as header-safe when the configuration was built.
                if let Ok(to) = HeaderValue::from_str(to) {
                    r.headers_mut().insert(LOCATION, to);
                }
                r
            }
            (_, RejectionKind::SecondFactorTooOld { max_age }) => {
                let mut r = (
                    status,
                    Json(json!({
                        "error": "insufficient_user_authentication",
                        "max_age": max_age.as_secs(),
                    })),
                )
                    .into_response();
                if let Ok(v) = HeaderValue::from_str(&max_age_challenge(max_age)) {
                    r.headers_mut().insert(WWW_AUTHENTICATE, v);
                }
                r
            }
            (_, RejectionKind::NotSignedIn | RejectionKind::NothingPending) => {
                let mut r = (status, Json(json!({"error": "not_signed_in"}))).into_response();
                // RFC 9110 §15.5.2: a 401 carries a challenge; no error code for a
                // request that brought no credentials (RFC 6750 §3.1).
                r.headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            (_, RejectionKind::Unavailable) => {
                (status, Json(json!({"error": "unavailable"}))).into_response()
            }
            (_, RejectionKind::MissingSessionLayer) => {
                tracing::error!(target: "tessera_axum", "no tower_sessions::SessionManagerLayer on the router");
                (status, Json(json!({"error": "internal"}))).into_response()
            }
        };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// A signed-in account, checked against the account on every request: the session
/// holds an [`Assurance`] whose security stamp is still the account's
/// ([`Accounts::check_session`](tessera::Accounts::check_session)), so a password
/// change or "sign out everywhere" in another session ends this one at its next
/// request. A session that ended is deleted.
///
/// A sign-in ends [`TesseraConfig::session_max_age`](crate::TesseraConfig::session_max_age)
/// after its password (24 hours by default), whatever its activity.
///
/// A half-signed-in session (password right, second factor pending) and an enrolling
/// one are **not** signed in. Refused: a browser is sent to the sign-in page, a
/// program gets 401 ([`RejectionKind::NotSignedIn`]).
#[derive(Clone, Debug)]
pub struct SignedIn {
    assurance: Assurance,
    session: AuthSession,
}

impl SignedIn {
    /// What the sign-in proved.
    #[must_use]
    pub fn assurance(&self) -> &Assurance {
        &self.assurance
    }

    /// The account.
    #[must_use]
    pub fn account(&self) -> &UserId {
        self.assurance.account()
    }

    /// The session, to keep a renewed assurance ([`AuthSession::renew`]) or sign out.
    #[must_use]
    pub fn session(&self) -> &AuthSession {
        &self.session
    }

    /// The assurance and the session.
    #[must_use]
    pub fn into_parts(self) -> (Assurance, AuthSession) {
        (self.assurance, self.session)
    }
}

/// The assurance this request already checked, so a handler taking several of the
/// extractors checks the account once.
#[derive(Clone)]
struct Checked(Assurance);

impl<S> FromRequestParts<S> for SignedIn
where
    TesseraState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let tessera = TesseraState::from_ref(state);
        let redirect = prefers_html(&parts.headers).then(|| tessera.config().sign_in_path());
        let session = AuthSession::from_request_parts(parts, state).await?;
        if let Some(Checked(assurance)) = parts.extensions.get::<Checked>() {
            return Ok(Self {
                assurance: assurance.clone(),
                session,
            });
        }
        let not_signed_in = || Rejection::new(RejectionKind::NotSignedIn, redirect);
        let Some(assurance) = session.get(SIGNED_IN).await? else {
            return Err(not_signed_in());
        };
        let age = tessera
            .now()
            .saturating_duration_since(assurance.authenticated_at());
        if age > tessera.config().session_max_age() {
            // Too long since the password: sign in again (NIST SP 800-63B-4's overall
            // reauthentication timeout).
            session.sign_out().await?;
            return Err(not_signed_in());
        }
        match tessera.check_session(&assurance).await {
            Ok(()) => {
                parts.extensions.insert(Checked(assurance.clone()));
                Ok(Self { assurance, session })
            }
            Err(tessera::Error::SessionRevoked | tessera::Error::AccountNotFound) => {
                // Ended elsewhere: nothing in this session is worth keeping.
                session.sign_out().await?;
                Err(not_signed_in())
            }
            Err(e) => {
                tracing::warn!(target: "tessera_axum", error = %e, "the session could not be checked");
                Err(Rejection::new(RejectionKind::Unavailable, None))
            }
        }
    }
}

/// A signed-in account whose second factor is at most the configured maximum age old
/// ([`TesseraConfig::second_factor_max_age`](crate::TesseraConfig::second_factor_max_age),
/// like AWS's `aws:MultiFactorAuthAge`), by the facade's clock.
///
/// A remembered device does not count, and neither does a sign-in without MFA: an
/// account with no second factor never passes (send it to set one up). Refused: a
/// browser is sent to the step-up page; a program gets 401 with RFC 9470's
/// `WWW-Authenticate: Bearer error="insufficient_user_authentication",
/// error_description="…", max_age=N` ([`RejectionKind::SecondFactorTooOld`]); not
/// signed in at all is [`SignedIn`]'s refusal.
#[derive(Clone, Debug)]
pub struct RecentSecondFactor(SignedIn);

impl RecentSecondFactor {
    /// The signed-in account.
    #[must_use]
    pub fn signed_in(&self) -> &SignedIn {
        &self.0
    }

    /// What the sign-in (or the last step-up) proved.
    #[must_use]
    pub fn assurance(&self) -> &Assurance {
        self.0.assurance()
    }

    /// The signed-in account.
    #[must_use]
    pub fn into_signed_in(self) -> SignedIn {
        self.0
    }
}

impl<S> FromRequestParts<S> for RecentSecondFactor
where
    TesseraState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        let tessera = TesseraState::from_ref(state);
        let max_age = tessera.config().second_factor_max_age();
        match signed_in
            .assurance
            .require_second_factor(max_age, tessera.now())
        {
            Ok(()) => Ok(Self(signed_in)),
            Err(_) => {
                let redirect =
                    prefers_html(&parts.headers).then(|| tessera.config().step_up_path());
                Err(Rejection::new(
                    RejectionKind::SecondFactorTooOld { max_age },
                    redirect,
                ))
            }
        }
    }
}

/// The half-signed-in state: the password was right and the sign-in's second factor
/// is pending (and not expired). Only the second-factor routes take it; it is not a
/// [`SignedIn`], and a signed-in session is not one of these.
///
/// Refused: a browser is sent to the sign-in page, a program gets 401
/// ([`RejectionKind::NothingPending`]).
#[derive(Clone, Debug)]
pub struct PendingSecondFactor {
    challenge: SecondFactorChallenge,
    session: AuthSession,
}

impl PendingSecondFactor {
    /// The second factor in progress: hand it to
    /// [`start_second_factor`](tessera::Accounts::start_second_factor) or
    /// [`finish_second_factor`](tessera::Accounts::finish_second_factor).
    pub fn challenge(&self) -> &SecondFactorChallenge {
        &self.challenge
    }

    /// The session: keep the challenge `start_second_factor` returns
    /// (`insert(PENDING_SECOND_FACTOR, …)`), then [`AuthSession::sign_in`].
    #[must_use]
    pub fn session(&self) -> &AuthSession {
        &self.session
    }

    /// The challenge and the session.
    pub fn into_parts(self) -> (SecondFactorChallenge, AuthSession) {
        (self.challenge, self.session)
    }
}

impl<S> FromRequestParts<S> for PendingSecondFactor
where
    TesseraState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (challenge, session) = pending(parts, state, PENDING_SECOND_FACTOR, |c| {
            Some(c.expires_at())
        })
        .await?;
        Ok(Self { challenge, session })
    }
}

/// A sign-in that must set up a second factor before anything else
/// ([`tessera::SignIn::EnrolmentRequired`]): only the setup routes take it. Not a
/// [`SignedIn`]. The facade checks its security stamp and age in every setup flow.
///
/// Refused: as [`PendingSecondFactor`].
#[derive(Clone, Debug)]
pub struct PendingEnrolment {
    enrolment: EnrolmentSession,
    session: AuthSession,
}

impl PendingEnrolment {
    /// The enrolment session, for the setup flows.
    pub fn enrolment(&self) -> &EnrolmentSession {
        &self.enrolment
    }

    /// The session.
    #[must_use]
    pub fn session(&self) -> &AuthSession {
        &self.session
    }
}

impl<S> FromRequestParts<S> for PendingEnrolment
where
    TesseraState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The facade checks an enrolment's age itself, in every setup flow.
        let (enrolment, session) = pending(parts, state, PENDING_ENROLMENT, |_| None).await?;
        Ok(Self { enrolment, session })
    }
}

/// A sign-in with a temporary password ([`tessera::SignIn::PasswordChangeRequired`]):
/// only the route that chooses the new password takes it, within its ten minutes. Not
/// a [`SignedIn`]. Pass it to
/// [`finish_required_password_change`](tessera::Accounts::finish_required_password_change)
/// and [`AuthSession::record_sign_in`] what comes back.
///
/// Refused: as [`PendingSecondFactor`].
#[derive(Clone, Debug)]
pub struct PendingPasswordChange {
    change: PasswordChangeSession,
    session: AuthSession,
}

impl PendingPasswordChange {
    /// The password-change session and the session.
    pub fn into_parts(self) -> (PasswordChangeSession, AuthSession) {
        (self.change, self.session)
    }
}

impl<S> FromRequestParts<S> for PendingPasswordChange
where
    TesseraState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (change, session) = pending(parts, state, PENDING_PASSWORD_CHANGE, |c| {
            Some(c.expires_at())
        })
        .await?;
        Ok(Self { change, session })
    }
}

/// The half-signed-in state kept under `key`, with the session: refused (to the sign-in
/// page for a browser) when there is none, and removed and refused once `expires_at`
/// says it expired.
async fn pending<S, T>(
    parts: &mut Parts,
    state: &S,
    key: crate::SessionKey<T>,
    expires_at: impl Fn(&T) -> Option<tessera::UnixTime>,
) -> Result<(T, AuthSession), Rejection>
where
    TesseraState: FromRef<S>,
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    let tessera = TesseraState::from_ref(state);
    let redirect = prefers_html(&parts.headers).then(|| tessera.config().sign_in_path());
    let session = AuthSession::from_request_parts(parts, state).await?;
    match session.get(key).await? {
        Some(value) if expires_at(&value).is_none_or(|at| tessera.now() < at) => {
            Ok((value, session))
        }
        Some(_expired) => {
            session.remove(key).await?;
            Err(Rejection::new(RejectionKind::NothingPending, redirect))
        }
        None => Err(Rejection::new(RejectionKind::NothingPending, redirect)),
    }
}
