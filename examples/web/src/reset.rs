//! Forgot password: a code by email, a second factor when MFA is on, a new password.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera::{Password, ResetStep};
use tessera_axum::{
    AuthSession, PENDING_PASSWORD_RESET, PENDING_RESET_PASSWORD, PENDING_RESET_SECOND_FACTOR,
};

use crate::auth::{CODE_FAILED, describe, flash, is_server_error, take_flash};
use crate::html::{self, Notice, csrf_field, notice};
use crate::security::csrf_token;
use crate::{App, server_error};

/// GET `/forgot-password`.
pub(crate) async fn start_page(session: AuthSession) -> Response {
    let csrf = csrf_token(session.inner()).await;
    let body = format!(
        r#"<p>Enter your username. If it has an account, we email a code to its address.</p>
<form method="post" action="/forgot-password">{}
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required>
<button type="submit">Email me a code</button></form>"#,
        csrf_field(&csrf)
    );
    html::page("Forgot password", &body, None)
}

/// The username form.
#[derive(Deserialize)]
pub(crate) struct UsernameForm {
    username: String,
}

/// POST `/forgot-password`: the same answer whether the account exists or not.
pub(crate) async fn start(
    State(app): State<App>,
    session: AuthSession,
    Form(f): Form<UsernameForm>,
) -> Response {
    match app.accounts.start_password_reset(&f.username).await {
        Ok(reset) => {
            if let Err(e) = session.insert(PENDING_PASSWORD_RESET, &reset).await {
                return e.into_response();
            }
        }
        // Its only errors are the server's (a store, randomness): an unknown name gets
        // a decoy reset, so the page below says the same for every name.
        Err(e) => return server_error(&e),
    }
    flash(
        session.inner(),
        Notice::Info,
        "If that username has an account, we emailed a code to its address.",
    )
    .await;
    Redirect::to("/forgot-password/code").into_response()
}

/// GET `/forgot-password/code`.
pub(crate) async fn code_page(session: AuthSession) -> Response {
    let csrf = csrf_token(session.inner()).await;
    let message = take_flash(session.inner()).await;
    let body = format!(
        r#"{message}<form method="post" action="/forgot-password/code">{}
<label for="code">Code from the email</label><input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
<button type="submit">Continue</button></form>"#,
        csrf_field(&csrf)
    );
    html::page("Enter the code we emailed", &body, None)
}

/// A code.
#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    method: Option<String>,
}

/// POST `/forgot-password/code`.
pub(crate) async fn code(
    State(app): State<App>,
    session: AuthSession,
    Form(f): Form<CodeForm>,
) -> Response {
    let Ok(Some(reset)) = session.get(PENDING_PASSWORD_RESET).await else {
        return Redirect::to("/forgot-password").into_response();
    };
    match app
        .accounts
        .verify_password_reset(reset, f.code.trim())
        .await
    {
        Ok(ResetStep::NewPassword(next)) => {
            let _ = session.remove(PENDING_PASSWORD_RESET).await;
            if let Err(e) = session.insert(PENDING_RESET_PASSWORD, &next).await {
                return e.into_response();
            }
            Redirect::to("/forgot-password/new").into_response()
        }
        Ok(ResetStep::SecondFactor(challenge)) => {
            let _ = session.remove(PENDING_PASSWORD_RESET).await;
            let challenge = match app
                .accounts
                .start_second_factor(challenge.clone(), None)
                .await
            {
                Ok(c) => c,
                Err(_) => challenge,
            };
            if let Err(e) = session
                .insert(PENDING_RESET_SECOND_FACTOR, &challenge)
                .await
            {
                return e.into_response();
            }
            Redirect::to("/forgot-password/second-factor").into_response()
        }
        Ok(_) => Redirect::to("/forgot-password").into_response(),
        Err(e) if is_server_error(&e) => server_error(&e),
        Err(_) => {
            flash(session.inner(), Notice::Error, CODE_FAILED).await;
            Redirect::to("/forgot-password/code").into_response()
        }
    }
}

/// GET `/forgot-password/second-factor`.
pub(crate) async fn second_factor_page(session: AuthSession) -> Response {
    let Ok(Some(challenge)) = session.get(PENDING_RESET_SECOND_FACTOR).await else {
        return Redirect::to("/forgot-password").into_response();
    };
    let csrf = csrf_token(session.inner()).await;
    let message = take_flash(session.inner()).await;
    let form = crate::auth::code_form_for_reset(&csrf, &challenge);
    html::page(
        "Enter the authorization code",
        &format!("{message}{form}"),
        None,
    )
}

/// POST `/forgot-password/second-factor`.
pub(crate) async fn second_factor(
    State(app): State<App>,
    session: AuthSession,
    Form(f): Form<CodeForm>,
) -> Response {
    let Ok(Some(challenge)) = session.get(PENDING_RESET_SECOND_FACTOR).await else {
        return Redirect::to("/forgot-password").into_response();
    };
    if let Some(method) = f.method {
        return crate::auth::start_method(
            &app,
            &session,
            PENDING_RESET_SECOND_FACTOR,
            challenge,
            &method,
            "/forgot-password/second-factor",
        )
        .await;
    }
    match app
        .accounts
        .finish_reset_second_factor(&challenge, f.code.trim())
        .await
    {
        Ok(next) => {
            let _ = session.remove(PENDING_RESET_SECOND_FACTOR).await;
            if let Err(e) = session.insert(PENDING_RESET_PASSWORD, &next).await {
                return e.into_response();
            }
            Redirect::to("/forgot-password/new").into_response()
        }
        // Every failure, a failing store's included, is the one opaque refusal
        // (`finish_reset_second_factor`'s contract): nothing here is a 503.
        Err(_) => {
            flash(session.inner(), Notice::Error, CODE_FAILED).await;
            Redirect::to("/forgot-password/second-factor").into_response()
        }
    }
}

fn new_form(csrf: &str, message: &str) -> String {
    format!(
        r#"{message}<form method="post" action="/forgot-password/new">{}
<label for="new">New password</label><input type="password" id="new" name="new" autocomplete="new-password" required data-policy-check="new-violations">
<ul id="new-violations" class="violations" aria-live="polite"></ul>
<label for="confirmation">Confirm new password</label><input type="password" id="confirmation" name="confirmation" autocomplete="new-password" required>
<button type="submit">Set new password</button></form>
<script src="/static/password.js"></script>"#,
        csrf_field(csrf)
    )
}

/// GET `/forgot-password/new`.
pub(crate) async fn new_page(session: AuthSession) -> Response {
    let csrf = csrf_token(session.inner()).await;
    html::page("Choose a new password", &new_form(&csrf, ""), None)
}

/// The new password.
#[derive(Deserialize)]
pub(crate) struct NewPasswordForm {
    new: String,
    confirmation: String,
}

/// POST `/forgot-password/new`.
pub(crate) async fn new_password(
    State(app): State<App>,
    session: AuthSession,
    Form(f): Form<NewPasswordForm>,
) -> Response {
    let Ok(Some(reset)) = session.get(PENDING_RESET_PASSWORD).await else {
        return Redirect::to("/forgot-password").into_response();
    };
    let (new, confirmation) = (Password::new(f.new), Password::new(f.confirmation));
    match app
        .accounts
        .finish_password_reset(reset, &new, &confirmation)
        .await
    {
        Ok(_) => {
            let _ = session.remove(PENDING_RESET_PASSWORD).await;
            flash(
                session.inner(),
                Notice::Info,
                "Your password was reset. Sign in with the new one.",
            )
            .await;
            Redirect::to("/sign-in").into_response()
        }
        Err(e) if is_server_error(&e) => server_error(&e),
        Err(e) => {
            let csrf = csrf_token(session.inner()).await;
            html::page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose a new password",
                &new_form(&csrf, &notice(Notice::Error, &describe(&e))),
                None,
            )
        }
    }
}
