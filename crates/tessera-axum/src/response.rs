//! Tessera's errors as HTTP responses, and retrying a facade call on a conflict.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use axum::Json;
use axum::http::header::{CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A refused request, as an HTTP response: [`tessera::Error`], or a failure of the
/// session store. Handlers return `Result<_, AuthError>` and use `?` on the facade's
/// calls and on [`AuthSession`](crate::AuthSession)'s.
///
/// | error | status | body (`application/json`) |
/// | --- | --- | --- |
/// | [`is_verification_failed`](tessera::Error::is_verification_failed) | 401, `WWW-Authenticate: Bearer` | `{"error":"verification_failed"}`, byte for byte whatever the reason |
/// | [`retry_after`](tessera::Error::retry_after) (too many codes sent) | 429, `Retry-After: N` | `{"error":"too_many_requests","retry_after":N}` |
/// | [`is_invalid_input`](tessera::Error::is_invalid_input) | 422 | `{"error":"invalid_input","code":…,"message":…}`, and `"violations":[{"code","params","message"}]` for a password the policy refuses |
/// | [`is_conflict`](tessera::Error::is_conflict) | 503, `Retry-After: 1` | `{"error":"conflict"}` |
/// | [`is_unavailable`](tessera::Error::is_unavailable), a session store failure | 503 (`Retry-After: 1` when [busy](tessera::Error::Busy)) | `{"error":"unavailable"}` |
/// | [`StepUpRequired`](tessera::Error::StepUpRequired), [`StepUpTooWeak`](tessera::Error::StepUpTooWeak) | 401, RFC 9470 `WWW-Authenticate` | `{"error":"insufficient_user_authentication"}` |
/// | [`ReauthenticationRequired`](tessera::Error::ReauthenticationRequired) | 401 | `{"error":"reauthentication_required"}` |
/// | [`SessionRevoked`](tessera::Error::SessionRevoked) | 401 | `{"error":"not_signed_in"}` |
/// | anything else (the application's configuration) | 500 | `{"error":"internal"}` |
///
/// A conflict that reaches a response is 503 and not 409: the request was right and
/// only lost a race, so the client should send it again as it is (after
/// [`retry_on_conflict`] gave up), not change it. No body holds a backend's message,
/// a secret, or anything that tells one authentication failure from another; the
/// server-side failures are logged (`tracing`, target `tessera_axum`) with their
/// source, which never holds a secret either. Every answer is `Cache-Control:
/// no-store`.
///
/// The answers are JSON for every client: a handler serving HTML pages matches the
/// error itself ([`AuthError::tessera`]) to render its page.
pub struct AuthError(Repr);

enum Repr {
    Tessera(tessera::Error),
    Session(tower_sessions::session::Error),
}

impl AuthError {
    /// The facade's error, unless the session store failed.
    #[must_use]
    pub fn tessera(&self) -> Option<&tessera::Error> {
        match &self.0 {
            Repr::Tessera(e) => Some(e),
            Repr::Session(_) => None,
        }
    }

    /// The response's status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// Status, the `Retry-After` seconds, the `WWW-Authenticate` challenge, the body.
    fn parts(&self) -> (StatusCode, Option<u64>, Option<&'static str>, Value) {
        let e = match &self.0 {
            Repr::Tessera(e) => e,
            Repr::Session(_) => return unavailable(None),
        };
        if e.is_verification_failed() {
            return (
                StatusCode::UNAUTHORIZED,
                None,
                None,
                json!({"error": "verification_failed"}),
            );
        }
        if let Some(wait) = e.retry_after() {
            let secs = retry_after_secs(wait);
            return (
                StatusCode::TOO_MANY_REQUESTS,
                Some(secs),
                None,
                json!({"error": "too_many_requests", "retry_after": secs}),
            );
        }
        if e.is_invalid_input() {
            return (StatusCode::UNPROCESSABLE_ENTITY, None, None, invalid(e));
        }
        if e.is_conflict() {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(1),
                None,
                json!({"error": "conflict"}),
            );
        }
        if e.is_unavailable() {
            return unavailable(matches!(e, tessera::Error::Busy).then_some(1));
        }
        match e {
            tessera::Error::StepUpRequired => (
                StatusCode::UNAUTHORIZED,
                None,
                Some(STEP_UP_CHALLENGE),
                json!({"error": "insufficient_user_authentication"}),
            ),
            tessera::Error::StepUpTooWeak { .. } => (
                StatusCode::UNAUTHORIZED,
                None,
                Some(STRONGER_CHALLENGE),
                json!({"error": "insufficient_user_authentication"}),
            ),
            tessera::Error::ReauthenticationRequired => (
                StatusCode::UNAUTHORIZED,
                None,
                None,
                json!({"error": "reauthentication_required"}),
            ),
            tessera::Error::SessionRevoked => (
                StatusCode::UNAUTHORIZED,
                None,
                None,
                json!({"error": "not_signed_in"}),
            ),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                None,
                json!({"error": "internal"}),
            ),
        }
    }
}

/// RFC 9470 §3 challenges for a facade call that needs a fresher or stronger second
/// factor; the age is the facade's, so it is not repeated here (`max_age` is optional).
const STEP_UP_CHALLENGE: &str = "Bearer error=\"insufficient_user_authentication\", error_description=\"A more recent second factor is required\"";
const STRONGER_CHALLENGE: &str = "Bearer error=\"insufficient_user_authentication\", error_description=\"A stronger second factor is required\"";

fn unavailable(retry_after: Option<u64>) -> (StatusCode, Option<u64>, Option<&'static str>, Value) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        retry_after,
        None,
        json!({"error": "unavailable"}),
    )
}

/// Whole seconds, rounded up and at least 1: `Retry-After: 0` would invite the same
/// refusal at once.
fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The 422 body: a stable code per kind of input, the facade's message (about the
/// input, never a secret), and for a refused password every violation.
fn invalid(e: &tessera::Error) -> Value {
    use tessera::Error as E;
    let code = match e {
        E::PasswordRejected(_) => "password_rejected",
        E::InvalidUsername(_) => "invalid_username",
        E::UsernameTaken => "username_taken",
        E::AccountNotFound => "account_not_found",
        E::ManagedByIdentityProvider { .. } => "managed_by_identity_provider",
        E::PasswordChangeRequired { .. } => "password_change_required",
        E::MethodNotOffered(_) => "method_not_offered",
        E::NoMethodChosen => "no_method_chosen",
        E::ResetChallenge => "reset_challenge",
        E::NoSecondFactorForReset => "no_second_factor_for_reset",
        E::InvalidToolingCredential(_) => "invalid_tooling_credential",
        E::InvalidChangeRequest(_) => "invalid_change_request",
        E::InvalidAdminAction(_) => "invalid_admin_action",
        E::Password(_) => "password_too_long",
        E::Registry(_) => "device_refused",
        E::Mfa(_) => "mfa_refused",
        _ => "invalid_input",
    };
    let mut body = json!({"error": "invalid_input", "code": code, "message": e.to_string()});
    if let E::PasswordRejected(violations) = e {
        let list: Vec<Value> = violations
            .iter()
            .map(|v| {
                let params: serde_json::Map<String, Value> = v
                    .params()
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), Value::from(value)))
                    .collect();
                json!({"code": v.code(), "params": params, "message": v.message()})
            })
            .collect();
        body["violations"] = Value::Array(list);
    }
    body
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, retry_after, challenge, body) = self.parts();
        if status.is_server_error() {
            // The cause (with its source chain) is for the operator, not the client.
            tracing::warn!(target: "tessera_axum", status = status.as_u16(), error = %ErrorChain(&self), "request refused");
        }
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(challenge) = challenge {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        } else if status == StatusCode::UNAUTHORIZED {
            // RFC 9110 §15.5.2: every 401 carries a challenge; without an error code,
            // as for a request that brought no usable credentials (RFC 6750 §3.1).
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// An error and its sources, `: `-separated, for the log.
struct ErrorChain<'a>(&'a AuthError);

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e: &(dyn std::error::Error + 'static) = match &self.0.0 {
            Repr::Tessera(e) => e,
            Repr::Session(e) => e,
        };
        write!(f, "{e}")?;
        let mut source = e.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Tessera(e) => f.debug_tuple("AuthError").field(e).finish(),
            Repr::Session(e) => f.debug_tuple("AuthError").field(e).finish(),
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Tessera(e) => fmt::Display::fmt(e, f),
            Repr::Session(_) => f.write_str("the session store failed"),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Repr::Tessera(e) => Some(e),
            Repr::Session(e) => Some(e),
        }
    }
}

impl From<tessera::Error> for AuthError {
    fn from(e: tessera::Error) -> Self {
        Self(Repr::Tessera(e))
    }
}

impl From<tower_sessions::session::Error> for AuthError {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self(Repr::Session(e))
    }
}

/// How many times [`retry_on_conflict`] calls at most, whatever it is asked.
pub const MAX_CONFLICT_ATTEMPTS: u32 = 10;

/// Calls `call` until it does not fail with a conflict ([`tessera::Error::is_conflict`]:
/// the account changed between the facade's load and its compare-and-set save), at
/// most `attempts` times (`0` counts as 1, more than [`MAX_CONFLICT_ATTEMPTS`] as that).
///
/// The facade already retries its own saves a few times; this is the request-level
/// retry for a burst on one account. Only a conflict is retried: every other error,
/// and a success, is returned at once. A conflict on the last attempt is returned as
/// it is, which [`AuthError`] answers with 503 and `Retry-After: 1`.
///
/// Retry only calls that are safe to repeat after a conflict: the facade's saves are
/// all-or-nothing, so a conflicted call changed nothing (a sent code or notification
/// happens after the save).
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use tessera_axum::retry_on_conflict;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let calls = AtomicU32::new(0);
/// let done = retry_on_conflict(3, || async {
///     if calls.fetch_add(1, Ordering::Relaxed) < 2 {
///         Err(tessera::Error::Conflict) // a concurrent request saved first
///     } else {
///         Ok("saved")
///     }
/// })
/// .await;
/// assert_eq!(done.ok(), Some("saved"));
/// assert_eq!(calls.load(Ordering::Relaxed), 3);
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// The call's last error.
pub async fn retry_on_conflict<T, F, Fut>(attempts: u32, mut call: F) -> Result<T, AuthError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = tessera::Result<T>>,
{
    let attempts = attempts.clamp(1, MAX_CONFLICT_ATTEMPTS);
    let mut tried = 1;
    loop {
        match call().await {
            Err(e) if e.is_conflict() && tried < attempts => tried += 1,
            other => return other.map_err(AuthError::from),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests

    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(30)), 30);
        assert_eq!(retry_after_secs(Duration::from_millis(30_001)), 31);
    }

    #[test]
    fn retry_stops_at_the_bound_and_on_other_errors() {
        let rt = rt();
        for (asked, made) in [(0, 1), (1, 1), (3, 3), (1_000, MAX_CONFLICT_ATTEMPTS)] {
            let calls = AtomicU32::new(0);
            let r: Result<(), _> = rt.block_on(retry_on_conflict(asked, || async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err(tessera::Error::Conflict)
            }));
            let e = r.expect_err("always a conflict");
            assert_eq!(calls.load(Ordering::Relaxed), made, "asked {asked}");
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        }
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = rt.block_on(retry_on_conflict(5, || async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(tessera::Error::VerificationFailed)
        }));
        assert_eq!(r.unwrap_err().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            calls.load(Ordering::Relaxed),
            1,
            "only conflicts are retried"
        );
    }

    fn body(e: AuthError) -> (Response, String) {
        let r = e.into_response();
        let (parts, body) = r.into_parts();
        let bytes = rt()
            .block_on(axum::body::to_bytes(body, 4096))
            .unwrap()
            .to_vec();
        (
            Response::from_parts(parts, axum::body::Body::empty()),
            String::from_utf8(bytes).unwrap(),
        )
    }

    /// What a backend's message, a password or a code could hold.
    const SECRET: &str = "postgres://admin:hunter2@db 123456";

    #[test]
    fn server_failures_say_nothing_of_their_cause() {
        let store = tessera::Error::Store(tessera::StoreError::backend(SECRET));
        let (r, text) = body(store.into());
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(text, r#"{"error":"unavailable"}"#);
        assert_eq!(r.headers().get(RETRY_AFTER), None);

        let session = tower_sessions::session::Error::Store(
            tower_sessions::session_store::Error::Backend(SECRET.into()),
        );
        let (r, text) = body(session.into());
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(text, r#"{"error":"unavailable"}"#);

        let (r, text) = body(tessera::Error::Busy.into());
        assert_eq!(r.headers().get(RETRY_AFTER).unwrap(), "1");
        assert_eq!(text, r#"{"error":"unavailable"}"#);

        let config = tessera::Error::Mfa(tessera::mfa::Error::InvalidConfig("the server key"));
        let (r, text) = body(config.into());
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(text, r#"{"error":"internal"}"#);
        assert_eq!(r.headers().get(CACHE_CONTROL).unwrap(), "no-store");
    }

    #[test]
    fn a_step_up_from_a_flow_is_an_rfc_9470_challenge() {
        let (r, text) = body(tessera::Error::StepUpRequired.into());
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers().get(WWW_AUTHENTICATE).unwrap(),
            "Bearer error=\"insufficient_user_authentication\", error_description=\"A more recent second factor is required\""
        );
        assert_eq!(text, r#"{"error":"insufficient_user_authentication"}"#);
    }

    #[test]
    fn each_class_has_its_status() {
        let cases: Vec<(tessera::Error, StatusCode)> = vec![
            (tessera::Error::VerificationFailed, StatusCode::UNAUTHORIZED),
            (
                tessera::Error::UsernameTaken,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (tessera::Error::Conflict, StatusCode::SERVICE_UNAVAILABLE),
            (tessera::Error::Busy, StatusCode::SERVICE_UNAVAILABLE),
            (
                tessera::Error::Store(tessera::StoreError::backend("db down")),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (tessera::Error::StepUpRequired, StatusCode::UNAUTHORIZED),
            (tessera::Error::SessionRevoked, StatusCode::UNAUTHORIZED),
            (
                tessera::Error::Mfa(tessera::mfa::Error::InvalidConfig("x")),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (e, status) in cases {
            assert_eq!(AuthError::from(e).status(), status);
        }
    }

    /// Each kind of refused input has its own stable code in the 422 body.
    #[test]
    fn every_kind_of_invalid_input_has_its_code() {
        use tessera::Error as E;
        let cases: Vec<(E, &str)> = vec![
            (E::InvalidUsername("too short"), "invalid_username"),
            (E::UsernameTaken, "username_taken"),
            (E::AccountNotFound, "account_not_found"),
            (
                E::ManagedByIdentityProvider {
                    provider: "Okta".into(),
                },
                "managed_by_identity_provider",
            ),
            (
                E::PasswordChangeRequired { min_length: 15 },
                "password_change_required",
            ),
            (
                E::MethodNotOffered(tessera::MfaMethod::Sms),
                "method_not_offered",
            ),
            (E::NoMethodChosen, "no_method_chosen"),
            (E::ResetChallenge, "reset_challenge"),
            (E::NoSecondFactorForReset, "no_second_factor_for_reset"),
            (
                E::InvalidToolingCredential("x"),
                "invalid_tooling_credential",
            ),
            (E::InvalidChangeRequest("x"), "invalid_change_request"),
            (E::InvalidAdminAction("x"), "invalid_admin_action"),
            (
                E::Password(tessera::password::Error::PasswordTooLong { max_bytes: 4096 }),
                "password_too_long",
            ),
            (
                E::Registry(tessera::registry::Error::TooManyDevices { max: 8 }),
                "device_refused",
            ),
            (
                E::Mfa(tessera::mfa::Error::InvalidEmail("no @")),
                "mfa_refused",
            ),
        ];
        for (e, code) in cases {
            let message = e.to_string();
            let (r, text) = body(e.into());
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
            let json: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json["error"], "invalid_input");
            assert_eq!(json["code"], code);
            assert_eq!(json["message"], message);
        }
    }

    #[test]
    fn a_weak_step_up_and_a_stale_password_have_their_own_answers() {
        let weak = tessera::Error::StepUpTooWeak {
            needed: tessera::mfa::Authority::PhishingResistant,
        };
        let (r, text) = body(weak.into());
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers().get(WWW_AUTHENTICATE).unwrap(),
            "Bearer error=\"insufficient_user_authentication\", error_description=\"A stronger second factor is required\""
        );
        assert_eq!(text, r#"{"error":"insufficient_user_authentication"}"#);
        let (r, text) = body(tessera::Error::ReauthenticationRequired.into());
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers().get(WWW_AUTHENTICATE).unwrap(), "Bearer");
        assert_eq!(text, r#"{"error":"reauthentication_required"}"#);
    }

    /// The operator's view: the facade's error, its text and its chain of causes.
    #[test]
    fn the_error_shows_its_cause_to_the_operator() {
        let store = AuthError::from(tessera::Error::Store(tessera::StoreError::backend(
            "connection refused",
        )));
        assert!(matches!(store.tessera(), Some(tessera::Error::Store(_))));
        assert!(format!("{store:?}").starts_with("AuthError(Store("));
        assert_eq!(
            store.to_string(),
            tessera::Error::Store(tessera::StoreError::backend("connection refused")).to_string()
        );
        let chain = ErrorChain(&store).to_string();
        assert!(chain.starts_with(&store.to_string()), "{chain}");
        assert!(
            chain.contains(": ") && chain.contains("connection refused"),
            "{chain}"
        );
        assert!(std::error::Error::source(&store).is_some());

        let session = AuthError::from(tower_sessions::session::Error::Store(
            tower_sessions::session_store::Error::Backend("redis down".into()),
        ));
        assert!(session.tessera().is_none());
        assert_eq!(session.to_string(), "the session store failed");
        assert!(format!("{session:?}").starts_with("AuthError("));
        assert!(ErrorChain(&session).to_string().contains("redis down"));
        assert!(std::error::Error::source(&session).is_some());
    }
}
