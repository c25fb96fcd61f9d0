//! The Credentials web application: Tessera's account flows as server-rendered pages,
//! on axum with [`tessera_axum`].
//!
//! `cargo run -p tessera-web-example` starts it on `127.0.0.1` (a free port unless
//! `--port` or `PORT` says otherwise), on a fresh SQLite file in a temporary folder, or
//! on PostgreSQL with `--database postgres://…`, and prints `listening on
//! http://localhost:…` (browsers offer WebAuthn on plain http only to `localhost`).
//!
//! # Pages
//! Sign-up, sign-in, the second factor ("Enter the authorization code", "use another
//! method", "trust this browser"), the Credentials page (password change with its
//! confirmation and policy violations, "Force Logout", MFA "Enabled" and "Preferred
//! MFA Method" with each method's availability and reason, "Set up authenticator app"
//! with its QR code and key in text, a security key or passkey registered through
//! WebAuthn, a hardware TOTP token added by its serial, seed and two codes, a phone
//! number verified by a texted code, devices with rename, resync and removal, recovery
//! codes, remembered browsers), the step-up page, the forgot-password pages, the
//! development outbox (`/dev/outbox`) and the development identity provider
//! (`/dev/identity-provider`, a stand-in for OIDC or SAML that signs in federated
//! accounts, whose Credentials page has no MFA controls and says why).
//!
//! # Decisions
//! - **Violations as the person types.** The new-password fields list what the policy
//!   says a moment after each key (`/static/password.js` asks `/password/check`); the
//!   submit checks everything again, and is the only check without JavaScript.
//! - **No JavaScript needed, except for security keys.** Every page is a form posting
//!   to the server; the answer is a page or a `303 See Other` to one
//!   (post/redirect/get). WebAuthn exists only as a browser API, so the security-key
//!   pages load one same-origin script, `/static/webauthn.js`, which only carries the
//!   options to the browser and the credential back in a form ([`security_key`]); the
//!   other methods stay offered on the same pages.
//! - **Security keys.** The relying party id is the origin's host (`localhost` here),
//!   the origin is checked on every response, and registration needs the same fresh
//!   authentication as any factor. The ceremony states are sealed and kept in the
//!   session, taken out before they are checked (a refused answer uses them up); the
//!   single-use ledger and the credential-id index are in memory, like the sessions.
//! - **CSRF.** One random token per session (256 bits) in a hidden field of every
//!   form, checked on every `POST` in constant time before any handler runs
//!   ([`security::require_csrf`]); a request without a session has no token and is
//!   refused.
//! - **Cookies.** The session cookie is `HttpOnly`, `SameSite=Strict` and holds only a
//!   random id (the state is server-side). It is `Secure` unless the application runs in
//!   development on plain `http://127.0.0.1` (the default here: browsers drop `Secure`
//!   cookies on plain http to an IP address); `--secure-cookies` (or serving behind TLS)
//!   is what a deployment uses. The "trust this browser" cookie has the same flags.
//! - **Headers.** A Content-Security-Policy with no inline script or style
//!   ([`security::CSP`]), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`,
//!   `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`.
//! - **No secret in a URL or a log.** Secrets travel only in `POST` bodies; the
//!   authenticator key and recovery codes are shown once in a page, never logged.
//! - **Step-up.** Removing a device and new recovery codes need a second factor from the
//!   last five minutes ([`tessera_axum::RecentSecondFactor`]); otherwise the person is
//!   sent to `/step-up`, and back to the Credentials page after it.
//! - **In-memory sessions and keyring.** The session store and the key sealing the TOTP
//!   seeds live in memory: a restart signs everyone out and, on a kept database, makes
//!   the sealed seeds unreadable. A deployment uses a shared session store and a
//!   persistent [`tessera::Keyring`].
//! - **The outbox** shows one-time codes sent by email and SMS: a development page that
//!   exists only in this example.

#![forbid(unsafe_code)]

mod auth;
mod credentials;
mod federated;
mod hardware_token;
pub mod html;
pub mod outbox;
mod password_check;
mod reset;
pub mod security;
pub mod security_key;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tessera::webauthn::{InMemoryCeremonyLedger, InMemoryCredentialIndex, RelyingParty};
use tessera::{Accounts, Keyring, SystemClock};
use tessera_axum::{TesseraConfig, TesseraState};
use tessera_sqlx::{SqlAccountStore, SqlDeviceStore, SqlMfaStore, SqlStores};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, MemoryStore, SessionManagerLayer};

pub use outbox::Outbox;

/// The facade on the SQL stores.
pub type Flows = Accounts<SqlAccountStore, SqlDeviceStore, SqlMfaStore, SystemClock>;

/// The WebAuthn relying party of the application's site.
pub type Site = RelyingParty<SystemClock, InMemoryCeremonyLedger, InMemoryCredentialIndex>;

/// The application's state.
#[derive(Clone)]
pub struct App {
    /// The account flows.
    pub accounts: Flows,
    /// What the extractors need.
    pub tessera: TesseraState,
    /// What was "sent".
    pub outbox: Outbox,
    /// Security keys and passkeys: the relying party (id `localhost` or the origin's
    /// host), its single-use ceremony ledger and credential-id index.
    pub relying_party: Arc<Site>,
    /// Whether cookies carry `Secure`.
    pub secure_cookies: bool,
    /// Whether the development pages (the outbox, the identity provider) exist.
    pub development: bool,
}

impl FromRef<App> for TesseraState {
    fn from_ref(app: &App) -> Self {
        app.tessera.clone()
    }
}

/// How the application is set up.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `Secure` cookies (on for anything but development over plain http).
    pub secure_cookies: bool,
    /// Lock sign-in after 5 failures with 1-second delays after the third, instead of
    /// the production throttle (5 free failures, delays from 30 seconds, a lockout at
    /// 20): lets a demonstration or a browser test reach the lockout in seconds.
    pub fast_lockout: bool,
    /// The origin browsers reach the application at (default `http://localhost`):
    /// the development pages (`/dev/outbox`, `/dev/identity-provider`, which signs
    /// anyone into a federated account without a password) exist only on
    /// `http://localhost`, where nobody else can reach them, never on an https origin.
    /// WebAuthn checks every response against it, and its host is the relying party
    /// id. Browsers allow WebAuthn only in a secure context: https, or plain http on
    /// `localhost` (not on `127.0.0.1`).
    pub origin: Option<String>,
}

/// The application on `stores`.
///
/// # Errors
/// When the facade cannot be built.
pub fn app(stores: SqlStores, options: &Options) -> Result<Router, Box<dyn std::error::Error>> {
    let outbox = Outbox::default();
    let mut builder = Accounts::in_memory_builder("Tessera web example")?;
    if options.fast_lockout {
        builder.throttle(tessera::mfa::ThrottleConfig::new(
            3,
            5,
            tessera::mfa::MAX_HARD_LIMIT,
            Duration::from_secs(1),
            Duration::from_secs(1),
            tessera::mfa::MIN_LOCKOUT,
        )?);
    }
    let accounts: Flows = builder
        .notifier(outbox.clone())
        .delivery(outbox.clone())
        .offload(tessera_axum::bounded_offload(2))
        .build(stores.accounts, stores.devices, stores.mfa, SystemClock)?;
    let origin = options.origin.as_deref().unwrap_or("http://localhost");
    let rp_id = origin_host(origin).ok_or("the origin has no host name")?;
    // The ceremony states are sealed with a key of their own; like the session store,
    // the ledger and the index live in memory (a deployment shares them: a table with
    // a primary key for each).
    let relying_party = RelyingParty::builder(rp_id, origin)
        .name("Tessera web example")
        .build(
            Arc::new(Keyring::ephemeral()?),
            SystemClock,
            InMemoryCeremonyLedger::new(),
            InMemoryCredentialIndex::new(),
        )?;
    let config = TesseraConfig::builder()
        .second_factor_max_age(Duration::from_secs(300))
        .build()?;
    let app = App {
        tessera: TesseraState::new(accounts.clone(), config),
        accounts,
        outbox,
        relying_party: Arc::new(relying_party),
        secure_cookies: options.secure_cookies,
        development: origin.starts_with("http://localhost"),
    };
    let sessions = SessionManagerLayer::new(MemoryStore::default())
        .with_name("tessera_session")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::hours(1),
        ))
        .with_secure(options.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Strict);
    Ok(Router::<App>::new()
        .route("/", get(auth::home))
        .route("/sign-up", get(auth::sign_up_page).post(auth::sign_up))
        .route("/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route(
            "/sign-in/second-factor",
            get(auth::second_factor_page).post(auth::second_factor),
        )
        .route("/sign-in/method", post(auth::choose_method))
        .route("/sign-in/security-key", post(security_key::start_sign_in))
        .route(
            "/sign-in/security-key/finish",
            post(security_key::finish_sign_in),
        )
        .route("/step-up/security-key", post(security_key::start_step_up))
        .route(
            "/step-up/security-key/finish",
            post(security_key::finish_step_up),
        )
        .route("/credentials/security-key", post(security_key::start_setup))
        .route(
            "/credentials/security-key/finish",
            post(security_key::finish_setup),
        )
        .route("/static/webauthn.js", get(security_key::script))
        .route("/password/check", post(password_check::check))
        .route("/credentials/hardware-token", post(hardware_token::add))
        .route("/static/password.js", get(password_check::script))
        .route("/sign-out", post(auth::sign_out))
        .route("/step-up", get(auth::step_up_page).post(auth::step_up))
        .route("/credentials", get(credentials::page))
        .route("/credentials/password", post(credentials::change_password))
        .route("/credentials/force-logout", post(credentials::force_logout))
        .route("/credentials/mfa", post(credentials::mfa_settings))
        .route("/credentials/app", post(credentials::start_app))
        .route("/credentials/app/activate", post(credentials::finish_app))
        .route("/credentials/devices/resync", post(credentials::resync))
        .route(
            "/credentials/devices/remove",
            post(credentials::remove_device),
        )
        .route("/credentials/devices/rename", post(credentials::rename))
        .route("/credentials/phone", post(credentials::link_phone))
        .route("/credentials/phone/verify", post(credentials::verify_phone))
        .route(
            "/credentials/recovery-codes",
            post(credentials::regenerate_codes),
        )
        .route(
            "/credentials/browsers/revoke",
            post(credentials::revoke_browser),
        )
        .route(
            "/forgot-password",
            get(reset::start_page).post(reset::start),
        )
        .route(
            "/forgot-password/code",
            get(reset::code_page).post(reset::code),
        )
        .route(
            "/forgot-password/second-factor",
            get(reset::second_factor_page).post(reset::second_factor),
        )
        .route(
            "/forgot-password/new",
            get(reset::new_page).post(reset::new_password),
        )
        .route("/static/app.css", get(stylesheet))
        .merge(development_pages(app.development))
        .layer(middleware::from_fn(security::require_csrf))
        .layer(sessions)
        .layer(middleware::from_fn(security::security_headers))
        .with_state(app))
}

/// The outbox and the identity provider, on a development server only: an empty
/// router (every `/dev/` path a 404) anywhere else.
fn development_pages(development: bool) -> Router<App> {
    if !development {
        return Router::new();
    }
    Router::new()
        .route("/dev/outbox", get(outbox_page))
        // The development identity provider (federated accounts).
        .route(
            "/dev/identity-provider",
            get(federated::page).post(federated::sign_in),
        )
}

/// The host of an origin (`http://localhost:8080` → `localhost`).
fn origin_host(origin: &str) -> Option<&str> {
    let rest = origin.split_once("://")?.1;
    let host = rest.split([':', '/']).next()?;
    (!host.is_empty()).then_some(host)
}

async fn stylesheet() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/app.css"),
    )
        .into_response()
}

async fn outbox_page(axum::extract::State(app): axum::extract::State<App>) -> Response {
    let mut rows = String::new();
    for m in app.outbox.messages() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>\n",
            html::esc(m.channel),
            html::esc(&m.to),
            html::esc(&m.subject),
            html::esc(&m.body)
        ));
    }
    let body = format!(
        r#"<p>What this development server "sent": emails, text messages and security notifications, newest first. A real deployment sends them and keeps no copy.</p>
<table><caption>Sent messages</caption><thead><tr><th scope="col">Channel</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Text</th></tr></thead>
<tbody>
{rows}</tbody></table>"#
    );
    html::page("Outbox", &body, None)
}

/// A failure of the server's (a store, the session store): logged, and a page that
/// says nothing of it.
pub fn server_error(e: &tessera::Error) -> Response {
    server_failure(&e.to_string())
}

/// [`server_error`] for a failure that is not a [`tessera::Error`], logged as `what`.
pub fn server_failure(what: &str) -> Response {
    tracing::error!(target: "tessera_web", "server error: {what}");
    html::page_with_status(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        r#"<p class="error" role="alert">Something went wrong on our side. Try again in a moment.</p>"#,
        None,
    )
}
