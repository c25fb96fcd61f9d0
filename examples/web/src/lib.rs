//! The Credentials web application: Tessera's account flows as server-rendered pages,
//! on axum with [`tessera_axum`].
//!
//! `cargo run -p tessera-web-example` starts it on `127.0.0.1` (a free port unless
//! `--port` or `PORT` says otherwise), on a fresh SQLite file in a temporary folder, or
//! on PostgreSQL with `--database postgres://…`, and prints `listening on http://…`.
//!
//! # Pages
//! Sign-up, sign-in, the second factor ("Enter the authorization code", "use another
//! method", "trust this browser"), the Credentials page (password change with its
//! confirmation and policy violations, "Force Logout", MFA "Enabled" and "Preferred
//! MFA Method" with each method's availability and reason, "Set up authenticator app"
//! with its QR code and key in text, a phone number verified by a texted code, devices
//! with rename, resync and removal, recovery codes,
//! remembered browsers), the step-up page, the forgot-password pages, the
//! development outbox (`/dev/outbox`) and the development identity provider
//! (`/dev/identity-provider`, a stand-in for OIDC or SAML that signs in federated
//! accounts, whose Credentials page has no MFA controls and says why).
//!
//! # Decisions
//! - **No JavaScript needed.** Every page is a form posting to the server; the answer
//!   is a page or a `303 See Other` to one (post/redirect/get).
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
pub mod html;
pub mod outbox;
mod reset;
pub mod security;

use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tessera::{Accounts, SystemClock};
use tessera_axum::{TesseraConfig, TesseraState};
use tessera_sqlx::{SqlAccountStore, SqlDeviceStore, SqlMfaStore, SqlStores};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, MemoryStore, SessionManagerLayer};

pub use outbox::Outbox;

/// The facade on the SQL stores.
pub type Flows = Accounts<SqlAccountStore, SqlDeviceStore, SqlMfaStore, SystemClock>;

/// The application's state.
#[derive(Clone)]
pub struct App {
    /// The account flows.
    pub accounts: Flows,
    /// What the extractors need.
    pub tessera: TesseraState,
    /// What was "sent".
    pub outbox: Outbox,
    /// Whether cookies carry `Secure`.
    pub secure_cookies: bool,
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
    let config = TesseraConfig::builder()
        .second_factor_max_age(Duration::from_secs(300))
        .build()?;
    let app = App {
        tessera: TesseraState::new(accounts.clone(), config),
        accounts,
        outbox,
        secure_cookies: options.secure_cookies,
    };
    let sessions = SessionManagerLayer::new(MemoryStore::default())
        .with_name("tessera_session")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::hours(1),
        ))
        .with_secure(options.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Strict);
    Ok(Router::new()
        .route("/", get(auth::home))
        .route("/sign-up", get(auth::sign_up_page).post(auth::sign_up))
        .route("/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route(
            "/sign-in/second-factor",
            get(auth::second_factor_page).post(auth::second_factor),
        )
        .route("/sign-in/method", post(auth::choose_method))
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
        .route("/dev/outbox", get(outbox_page))
        // The development identity provider (federated accounts).
        .route(
            "/dev/identity-provider",
            get(federated::page).post(federated::sign_in),
        )
        .route("/static/app.css", get(stylesheet))
        .layer(middleware::from_fn(security::require_csrf))
        .layer(sessions)
        .layer(middleware::from_fn(security::security_headers))
        .with_state(app))
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
    tracing::error!(target: "tessera_web", "server error: {e}");
    html::page_with_status(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        r#"<p class="error" role="alert">Something went wrong on our side. Try again in a moment.</p>"#,
        None,
    )
}
