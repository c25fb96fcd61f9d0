//! Tessera in axum services: the session glue, the extractors, the error responses
//! and the blocking offload that wiring [`tessera`] into axum otherwise takes a
//! hundred lines of.
//!
//! | piece | what it does |
//! | --- | --- |
//! | [`AuthSession`], [`SessionKey`] | the sign-in states kept in the server-side session (`tower-sessions`) under typed keys: [`SIGNED_IN`], [`PENDING_SECOND_FACTOR`], [`PENDING_ENROLMENT`], [`PENDING_PASSWORD_CHANGE`], [`PENDING_STEP_UP`], [`PENDING_AUTHENTICATOR_SETUP`], the password reset's [`PENDING_PASSWORD_RESET`], [`PENDING_RESET_SECOND_FACTOR`], [`PENDING_RESET_PASSWORD`]; a new session id at every gain of privilege |
//! | [`SignedIn`] | a signed-in account, its security stamp checked against the account on every request (a password change or "sign out everywhere" elsewhere ends this session) |
//! | [`RecentSecondFactor`] | signed in with a second factor at most [`TesseraConfig::second_factor_max_age`] old (AWS's `aws:MultiFactorAuthAge`); a browser is sent to the step-up page, a program gets RFC 9470's challenge |
//! | [`PendingSecondFactor`], [`PendingEnrolment`], [`PendingPasswordChange`] | the half-signed-in states, which only the second-factor, setup and new-password routes take; never a [`SignedIn`] |
//! | [`TesseraState`], [`TesseraConfig`] | what the extractors need, reached through the application's state with [`FromRef`](axum::extract::FromRef) |
//! | [`AuthError`], [`retry_on_conflict`] | [`tessera::Error`] as a response: one opaque 401, 429 with `Retry-After`, 422 with the violations, 503 without detail |
//! | [`bounded_offload`] | Argon2 on tokio's blocking pool, at most N at once (the facade's [`Bounded`](tessera::Bounded)) |
//!
//! Each extractor answers by the request's `Accept` header ([`prefers_html`]): a
//! browser gets a `303 See Other` to the sign-in or step-up page, a program gets
//! `401` with JSON.
//!
//! # From zero to MFA in axum
//!
//! A complete service: sign-up, sign-in with a second factor, setting up an
//! authenticator app, a step-up, and a route that needs a second factor from the last
//! five minutes. JSON in and out; an HTML application renders pages in the same
//! handlers.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use axum::extract::{FromRef, State};
//! use axum::http::StatusCode;
//! use axum::routing::{get, post};
//! use axum::{Json, Router};
//! use serde::Deserialize;
//! use serde_json::{Value, json};
//! use tessera::{Accounts, InMemoryAccounts, Password, SignIn, SystemClock};
//! use tessera_axum::{
//!     AuthError, AuthSession, PENDING_AUTHENTICATOR_SETUP, PENDING_SECOND_FACTOR,
//!     PENDING_STEP_UP, PendingSecondFactor, RecentSecondFactor, SignedIn, TesseraConfig,
//!     TesseraState, bounded_offload, retry_on_conflict,
//! };
//! use tower_sessions::cookie::SameSite;
//! use tower_sessions::{Expiry, MemoryStore, SessionManagerLayer};
//!
//! #[derive(Clone)]
//! struct App {
//!     accounts: InMemoryAccounts,
//!     tessera: TesseraState,
//! }
//!
//! // How the extractors find the facade in the application's state.
//! impl FromRef<App> for TesseraState {
//!     fn from_ref(app: &App) -> Self {
//!         app.tessera.clone()
//!     }
//! }
//!
//! #[derive(Deserialize)]
//! struct SignUp { username: String, email: String, password: String }
//!
//! /// 201, or 422 with every broken password rule.
//! async fn sign_up(State(app): State<App>, Json(f): Json<SignUp>) -> Result<StatusCode, AuthError> {
//!     let password = Password::new(f.password);
//!     app.accounts.create_account(&f.username, &f.email, &password).await?;
//!     Ok(StatusCode::CREATED)
//! }
//!
//! #[derive(Deserialize)]
//! struct Credentials { username: String, password: String }
//!
//! /// The password: signed in, or a second factor (or its setup) comes next. Every
//! /// failure is the same 401.
//! async fn sign_in(
//!     State(app): State<App>,
//!     session: AuthSession,
//!     Json(c): Json<Credentials>,
//! ) -> Result<Json<Value>, AuthError> {
//!     let step = app.accounts.sign_in(&c.username, &Password::new(c.password), None).await?;
//!     session.record_sign_in(&step).await?; // a new session id
//!     Ok(Json(match step {
//!         SignIn::Complete(_) => json!({"next": "done"}),
//!         SignIn::SecondFactor(_) => json!({"next": "second_factor"}),
//!         _ => json!({"next": "set_up_second_factor"}),
//!     }))
//! }
//!
//! #[derive(Deserialize)]
//! struct Code { code: String }
//!
//! /// Only a half-signed-in session gets here; a signed-in one does not need to.
//! async fn second_factor(
//!     State(app): State<App>,
//!     pending: PendingSecondFactor,
//!     Json(c): Json<Code>,
//! ) -> Result<StatusCode, AuthError> {
//!     let (challenge, session) = pending.into_parts();
//!     // The primary method (the authenticator app here); email and SMS send a code.
//!     let challenge = app.accounts.start_second_factor(challenge, None).await?;
//!     session.insert(PENDING_SECOND_FACTOR, &challenge).await?;
//!     let assurance = app.accounts.finish_second_factor(&challenge, &c.code).await?;
//!     session.sign_in(&assurance).await?; // signed in, a new session id
//!     Ok(StatusCode::NO_CONTENT)
//! }
//!
//! /// Any signed-in session, checked against the account.
//! async fn me(signed_in: SignedIn) -> Json<Value> {
//!     Json(json!({"account": signed_in.account().as_str()}))
//! }
//!
//! /// Shows the otpauth:// URI to scan (as a QR code in a page).
//! async fn start_app(State(app): State<App>, me: SignedIn) -> Result<Json<Value>, AuthError> {
//!     let enrolment = app.accounts.start_authenticator_setup(me.assurance(), "Phone").await?;
//!     me.session().insert(PENDING_AUTHENTICATOR_SETUP, &enrolment.device_id()).await?;
//!     Ok(Json(json!({"otpauth_uri": enrolment.uri()})))
//! }
//!
//! #[derive(Deserialize)]
//! struct TwoCodes { first: String, second: String }
//!
//! /// Two consecutive codes activate the app and turn MFA on.
//! async fn finish_app(
//!     State(app): State<App>,
//!     me: SignedIn,
//!     Json(c): Json<TwoCodes>,
//! ) -> Result<Json<Value>, AuthError> {
//!     let device = me.session().get(PENDING_AUTHENTICATOR_SETUP).await?
//!         .ok_or(tessera::Error::NoMethodChosen)?;
//!     let added = app.accounts
//!         .finish_authenticator_setup(me.assurance(), device, &[&c.first, &c.second], true)
//!         .await?
//!         .into_value();
//!     me.session().remove(PENDING_AUTHENTICATOR_SETUP).await?;
//!     let codes = added.recovery_codes.map(|set| {
//!         set.codes().iter().map(|c| c.formatted().to_string()).collect::<Vec<_>>()
//!     });
//!     Ok(Json(json!({"recovery_codes": codes}))) // shown once
//! }
//!
//! /// Step-up: a fresh second factor for a signed-in person.
//! async fn step_up(
//!     State(app): State<App>,
//!     me: SignedIn,
//!     Json(c): Json<Code>,
//! ) -> Result<StatusCode, AuthError> {
//!     let challenge = app.accounts.start_step_up(me.assurance()).await?;
//!     let challenge = app.accounts.start_second_factor(challenge, None).await?;
//!     me.session().insert(PENDING_STEP_UP, &challenge).await?;
//!     let fresher = app.accounts.finish_second_factor(&challenge, &c.code).await?;
//!     me.session().renew(&fresher).await?;
//!     Ok(StatusCode::NO_CONTENT)
//! }
//!
//! /// "Force Logout": every other session ends at its next request.
//! async fn sign_out_everywhere(State(app): State<App>, me: SignedIn) -> Result<StatusCode, AuthError> {
//!     let done = retry_on_conflict(3, || app.accounts.sign_out_everywhere(me.assurance()))
//!         .await?
//!         .into_value();
//!     me.session().renew(&done.assurance).await?;
//!     Ok(StatusCode::NO_CONTENT)
//! }
//!
//! /// Needs a second factor from the last five minutes.
//! async fn danger_zone(fresh: RecentSecondFactor) -> Json<Value> {
//!     Json(json!({"second_factor_at": fresh.assurance().second_factor_at().map(|t| t.as_secs())}))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let accounts = Accounts::in_memory_builder("Example")?
//!         .notifier(tessera::RecordingNotifier::new())
//!         .delivery(tessera::ConsoleDelivery)
//!         // Argon2 on the blocking pool, at most as many at once as there are cores.
//!         .offload(bounded_offload(std::thread::available_parallelism()?.get()))
//!         .build_in_memory(SystemClock)?;
//!     let config = TesseraConfig::builder()
//!         .second_factor_max_age(Duration::from_secs(300))
//!         .build()?;
//!     let app = App { tessera: TesseraState::new(accounts.clone(), config), accounts };
//!     // Server-side sessions; any tower-sessions store (SQL, Redis) in production.
//!     let sessions = SessionManagerLayer::new(MemoryStore::default())
//!         // Idle for an hour: signed out (NIST SP 800-63B-4, AAL2); 24 hours after
//!         // the password in any case (`TesseraConfig::session_max_age`).
//!         .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::hours(1)))
//!         .with_secure(true)
//!         .with_http_only(true)
//!         .with_same_site(SameSite::Lax);
//!     let router = Router::new()
//!         .route("/sign-up", post(sign_up))
//!         .route("/sign-in", post(sign_in))
//!         .route("/sign-in/second-factor", post(second_factor))
//!         .route("/me", get(me))
//!         .route("/mfa/app", post(start_app))
//!         .route("/mfa/app/activate", post(finish_app))
//!         .route("/step-up", post(step_up))
//!         .route("/sign-out-everywhere", post(sign_out_everywhere))
//!         .route("/danger-zone", get(danger_zone))
//!         .layer(sessions)
//!         .with_state(app);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, router).await?;
//!     Ok(())
//! }
//! ```
//!
//! # Decisions
//! - **The security stamp on every request.** [`SignedIn`] reads the account (one
//!   store read) on every request, so that revocation needs no index from accounts to
//!   sessions and works with any session store. A session that ended is deleted.
//! - **Sessions end.** A sign-in lasts at most [`TesseraConfig::session_max_age`]
//!   after its password (24 hours by default, NIST SP 800-63B-4's overall timeout at
//!   AAL2), whatever its activity; the idle timeout is the session layer's `Expiry`.
//! - **Session fixation.** [`AuthSession::record_sign_in`], [`AuthSession::sign_in`]
//!   and [`AuthSession::renew`] give the session a new id (`cycle_id`) before they
//!   write: an id known before the password is worth nothing after it.
//! - **Half-signed-in is its own state.** The challenge after the password lives
//!   under [`PENDING_SECOND_FACTOR`], never under [`SIGNED_IN`]; moving to one drops
//!   the other.
//! - **Redirect or 401.** `text/html` strictly preferred to `application/json`
//!   redirects (303, so a refused `POST` is followed by a `GET`); everything else,
//!   `*/*` and no `Accept` included, is a 401 a program can read. The redirects carry
//!   no "return to" address: a page that wants one keeps it in the session, where a
//!   link cannot plant an open redirect.
//! - **RFC 9470.** The challenge is `Bearer error="insufficient_user_authentication",
//!   error_description="…", max_age=N` with `N` in seconds; `max_age` is sent as a
//!   token (RFC 9470's Figure 3 quotes it; RFC 9110 §11.2 makes both forms the same).
//! - **A remembered device is not a second factor** for [`RecentSecondFactor`], and
//!   an account without MFA never passes it: send it to set up a factor.
//! - **Corrupt session values** (another version's, or tampered with in the store)
//!   read as absent and are removed: never signed in, never locked out.
//! - **Conflicts** are 503 with `Retry-After: 1` once they reach a response; retry
//!   them first with [`retry_on_conflict`].
//!
//! # Security properties
//! - The failed sign-in's body is one constant whatever the reason (unknown user,
//!   wrong password, throttled, locked): the facade's one opaque failure.
//! - No body holds a backend's message, a secret, a code or a password; server-side
//!   failures are logged with `tracing` (target `tessera_axum`).
//! - Every response of this crate is `Cache-Control: no-store`.
//! - The session values are trusted as read: use a server-side `tower-sessions`
//!   store (the cookie holds only a random 128-bit id), with `Secure`, `HttpOnly`
//!   and `SameSite` cookies.
//!
//! # Crate features
//! - `webauthn`: session keys for the security-key ceremonies,
//!   `PENDING_SECURITY_KEY_SETUP` and `PENDING_SECURITY_KEY`; enables `tessera/webauthn`
//!   (webauthn-rs, MPL-2.0, Rust 1.89).
//!
//! The crate always needs `tessera`'s `session-state` (which it turns on) and tokio
//! (which axum runs on).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod extract;
mod negotiate;
mod offload;
mod response;
mod session;
mod state;

pub use config::{Error, TesseraConfig, TesseraConfigBuilder};
pub use extract::{
    PendingEnrolment, PendingPasswordChange, PendingSecondFactor, RecentSecondFactor, Rejection,
    RejectionKind, SignedIn,
};
pub use negotiate::prefers_html;
pub use offload::{SpawnBlocking, bounded_offload};
pub use response::{AuthError, MAX_CONFLICT_ATTEMPTS, retry_on_conflict};
pub use session::{
    AuthSession, PENDING_AUTHENTICATOR_SETUP, PENDING_ENROLMENT, PENDING_PASSWORD_CHANGE,
    PENDING_PASSWORD_RESET, PENDING_RESET_PASSWORD, PENDING_RESET_SECOND_FACTOR,
    PENDING_SECOND_FACTOR, PENDING_STEP_UP, SIGNED_IN, SessionKey,
};
#[cfg(feature = "webauthn")]
pub use session::{PENDING_SECURITY_KEY, PENDING_SECURITY_KEY_SETUP};
pub use state::TesseraState;
