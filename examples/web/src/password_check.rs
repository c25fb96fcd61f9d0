//! Policy violations shown as the person types: `/static/password.js` posts the password
//! being typed to `/password/check` (with the CSRF token in a header) and lists what the
//! policy says, one message a line. The form is still checked in full on submit (the
//! confirmation, the history and the current password only there); without JavaScript
//! the submit is the only check.
//!
//! Nothing is hashed or stored, so the check is cheap, and it says only what the
//! published policy would: it is asked in a `POST` body, never a URL, and the answer
//! is never cached.

use axum::Form;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera::Password;
use tessera::password::Context;
use tessera_axum::{AuthSession, PENDING_RESET_PASSWORD, SignedIn};

use crate::App;

/// The password being typed, and on the sign-up page the username and email typed so
/// far (they must not appear in the password).
#[derive(Deserialize)]
pub(crate) struct CheckForm {
    password: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
}

/// POST `/password/check`: the violations of the password, one message a line (none
/// when it would be accepted). The account's own name and address are used when the
/// session is signed in or resetting a password; the typed ones otherwise.
pub(crate) async fn check(
    State(app): State<App>,
    signed_in: Result<SignedIn, tessera_axum::Rejection>,
    session: AuthSession,
    Form(f): Form<CheckForm>,
) -> Response {
    let account = match &signed_in {
        Ok(me) => Some(me.account().clone()),
        Err(_) => session
            .get(PENDING_RESET_PASSWORD)
            .await
            .ok()
            .flatten()
            .map(|reset| reset.account().clone()),
    };
    let context = match account {
        Some(id) => match app.accounts.account(&id).await {
            Ok(a) => Context::new()
                .with_username(a.username())
                .with_email(a.email().to_string()),
            Err(_) => Context::new(),
        },
        None => typed_context(&f.username, &f.email),
    };
    let password = Password::new(f.password);
    let lines = match app.accounts.password_policy().validate(&password, &context) {
        Ok(()) => String::new(),
        Err(violations) => violations
            .iter()
            .map(|v| v.message() + "\n")
            .collect::<String>(),
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], lines).into_response()
}

fn typed_context(username: &str, email: &str) -> Context {
    let mut context = Context::new();
    if !username.trim().is_empty() {
        context = context.with_username(username.trim());
    }
    if !email.trim().is_empty() {
        context = context.with_email(email.trim());
    }
    context
}

/// The script of the password fields.
pub(crate) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/password.js"),
    )
        .into_response()
}
