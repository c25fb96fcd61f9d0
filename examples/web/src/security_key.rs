//! Security keys and passkeys (WebAuthn): registering one on the Credentials page, and
//! using one for a sign-in's second factor or a step-up.
//!
//! Each ceremony is two posts around one page. The first post starts the ceremony with
//! the facade and keeps its sealed state in the server-side session; the page it
//! answers carries the browser's options (escaped into an attribute, never into a
//! script) and a form. The one script the application serves, `/static/webauthn.js`,
//! runs `navigator.credentials.create()` or `.get()` when the person presses the
//! button, puts the credential's JSON into the form and posts it; the second post
//! finishes the ceremony. The ceremony state is taken out of the session before it is
//! checked: a refused answer uses it up, and the person starts again.
//!
//! WebAuthn needs a secure context, so the application is served on
//! `http://localhost` (or https), whose host is the relying party id.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera::SecondFactorChallenge;
use tessera_axum::{
    AuthSession, PENDING_SECURITY_KEY, PENDING_SECURITY_KEY_SETUP, PENDING_STEP_UP,
    PendingSecondFactor, SessionKey, SignedIn,
};

use crate::auth::{flash, is_server_error, step_up_finished};
use crate::credentials::{TURN_MFA_ON, factor_added, refused};
use crate::html::{self, Notice, csrf_field, esc};
use crate::security::csrf_token;
use crate::{App, server_error, server_failure};

/// The one message of every refused security key, whatever the reason.
pub(crate) const KEY_FAILED: &str = "The security key was not accepted, or there were too many attempts. Try again, or use another method.";

/// The ceremony's options as JSON for the page; a failure (which webauthn-rs's types
/// never give) is logged as what it is.
fn options_json(options: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string(options)
        .map_err(|e| format!("the WebAuthn options did not serialize: {e}"))
}

/// The page of one ceremony: what to do, the options in an escaped attribute, the
/// button the script enables, and the form it posts.
fn ceremony_page(
    title: &str,
    ceremony: &str,
    options: &str,
    action: &str,
    extra_fields: &str,
    csrf: &str,
    signed_in: bool,
) -> Response {
    let (lead, button) = if ceremony == "create" {
        (
            "Insert or unlock your security key, press the button, then touch the key or confirm with your device.",
            "Register security key",
        )
    } else {
        (
            "Press the button, then touch your security key or confirm with your device.",
            "Use security key",
        )
    };
    let body = format!(
        r#"<p>{lead}</p>
<noscript><p class="error" role="alert">Security keys need JavaScript in this browser. Use another method instead.</p></noscript>
<div id="webauthn" data-ceremony="{ceremony}" data-options="{options}"></div>
<p id="webauthn-status" role="status"></p>
<button type="button" id="webauthn-start" disabled>{button}</button>
<form method="post" action="{action}" id="webauthn-form">{csrf_field}{extra_fields}<input type="hidden" name="credential" value=""></form>
<p><a href="{back}">Cancel</a></p>
<script src="/static/webauthn.js"></script>"#,
        ceremony = esc(ceremony),
        options = esc(options),
        action = esc(action),
        csrf_field = csrf_field(csrf),
        back = if signed_in {
            "/credentials"
        } else {
            "/sign-in/second-factor"
        },
    );
    html::page(title, &body, signed_in.then_some(csrf))
}

/// The registration form: the key's name.
#[derive(Deserialize)]
pub(crate) struct NameForm {
    name: String,
}

/// POST `/credentials/security-key`: starts registering a key (binding a factor: the
/// facade may ask for a step-up first).
pub(crate) async fn start_setup(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<NameForm>,
) -> Response {
    let (options, ceremony) = match app
        .accounts
        .start_security_key_setup(me.assurance(), &app.relying_party)
        .await
    {
        Ok(started) => started,
        Err(e) => return refused(me.session(), &e).await,
    };
    if let Err(e) = me
        .session()
        .insert(PENDING_SECURITY_KEY_SETUP, &ceremony)
        .await
    {
        return e.into_response();
    }
    let options = match options_json(&options) {
        Ok(json) => json,
        Err(what) => return server_failure(&what),
    };
    let csrf = csrf_token(me.session().inner()).await;
    let name = format!(
        r#"<input type="hidden" name="name" value="{}">"#,
        esc(f.name.trim())
    );
    ceremony_page(
        "Register a security key",
        "create",
        &options,
        "/credentials/security-key/finish",
        &name,
        &csrf,
        true,
    )
}

/// The form the script posts: the credential's JSON (and the key's name).
#[derive(Deserialize)]
pub(crate) struct CredentialForm {
    credential: String,
    #[serde(default)]
    name: String,
}

/// POST `/credentials/security-key/finish`.
pub(crate) async fn finish_setup(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<CredentialForm>,
) -> Response {
    let Some(ceremony) = take(me.session(), PENDING_SECURITY_KEY_SETUP).await else {
        return Redirect::to("/credentials").into_response();
    };
    let added = app
        .accounts
        .finish_security_key_setup(
            me.assurance(),
            &app.relying_party,
            ceremony,
            &f.credential,
            f.name.trim(),
            TURN_MFA_ON,
        )
        .await;
    factor_added(&me, added, "Your security key is registered").await
}

/// Takes a pending ceremony out of the session: used up whatever its answer.
async fn take<T: serde::de::DeserializeOwned + serde::Serialize>(
    session: &AuthSession,
    key: SessionKey<T>,
) -> Option<T> {
    let value = session.get(key).await.ok().flatten();
    let _ = session.remove(key).await;
    value
}

/// Starts an assertion for `challenge`; the page, or where to go instead.
async fn start_assertion(
    app: &App,
    session: &AuthSession,
    challenge: &SecondFactorChallenge,
    action: &str,
    back: &'static str,
    signed_in: bool,
) -> Response {
    let (options, ceremony) = match app
        .accounts
        .start_security_key(challenge, &app.relying_party)
        .await
    {
        Ok(started) => started,
        Err(e) if !is_server_error(&e) => {
            flash(session.inner(), Notice::Error, KEY_FAILED).await;
            return Redirect::to(back).into_response();
        }
        Err(e) => return server_error(&e),
    };
    if let Err(e) = session.insert(PENDING_SECURITY_KEY, &ceremony).await {
        return e.into_response();
    }
    let options = match options_json(&options) {
        Ok(json) => json,
        Err(what) => return server_failure(&what),
    };
    let csrf = csrf_token(session.inner()).await;
    ceremony_page(
        "Use your security key",
        "get",
        &options,
        action,
        "",
        &csrf,
        signed_in,
    )
}

/// POST `/sign-in/security-key`: the second factor with a security key.
pub(crate) async fn start_sign_in(
    State(app): State<App>,
    pending: PendingSecondFactor,
) -> Response {
    let (challenge, session) = pending.into_parts();
    start_assertion(
        &app,
        &session,
        &challenge,
        "/sign-in/security-key/finish",
        "/sign-in/second-factor",
        false,
    )
    .await
}

/// POST `/sign-in/security-key/finish`.
pub(crate) async fn finish_sign_in(
    State(app): State<App>,
    pending: PendingSecondFactor,
    Form(f): Form<CredentialForm>,
) -> Response {
    let (challenge, session) = pending.into_parts();
    let Some(ceremony) = take(&session, PENDING_SECURITY_KEY).await else {
        return Redirect::to("/sign-in/second-factor").into_response();
    };
    match app
        .accounts
        .finish_security_key(&challenge, &app.relying_party, ceremony, &f.credential)
        .await
    {
        Ok(assurance) => {
            if let Err(e) = session.sign_in(&assurance).await {
                return e.into_response();
            }
            Redirect::to("/credentials").into_response()
        }
        // Every refusal, a failing store's included, is the one opaque failure
        // (`finish_security_key`'s contract): nothing here is a 503.
        Err(_) => {
            flash(session.inner(), Notice::Error, KEY_FAILED).await;
            Redirect::to("/sign-in/second-factor").into_response()
        }
    }
}

/// POST `/step-up/security-key`: a step-up with a security key.
pub(crate) async fn start_step_up(State(app): State<App>, me: SignedIn) -> Response {
    let session = me.session();
    let Ok(Some(challenge)) = session.get(PENDING_STEP_UP).await else {
        return Redirect::to("/step-up").into_response();
    };
    start_assertion(
        &app,
        session,
        &challenge,
        "/step-up/security-key/finish",
        "/step-up",
        true,
    )
    .await
}

/// POST `/step-up/security-key/finish`.
pub(crate) async fn finish_step_up(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<CredentialForm>,
) -> Response {
    let session = me.session();
    let Ok(Some(challenge)) = session.get(PENDING_STEP_UP).await else {
        return Redirect::to("/step-up").into_response();
    };
    let Some(ceremony) = take(session, PENDING_SECURITY_KEY).await else {
        return Redirect::to("/step-up").into_response();
    };
    let fresher = app
        .accounts
        .finish_security_key(&challenge, &app.relying_party, ceremony, &f.credential)
        .await;
    step_up_finished(session, fresher, KEY_FAILED).await
}

/// The script of the ceremony pages.
pub(crate) async fn script() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/javascript; charset=utf-8",
        )],
        include_str!("../static/webauthn.js"),
    )
        .into_response()
}
