//! The development identity provider: a stand-in for the OIDC or SAML provider an
//! organisation signs its people in with, so that an account managed by one (a
//! federated account) can be tried without running a provider.
//!
//! A real deployment validates the provider's answer (an OIDC ID token's signature,
//! issuer, audience, expiry and nonce; a SAML assertion's signature and conditions)
//! and only then calls [`Accounts::signed_in_by_identity_provider`](tessera::Accounts::signed_in_by_identity_provider).
//! This page skips the provider altogether: whoever types a username is "authenticated"
//! as it. That is why it exists only in this example, like the outbox, and why it
//! signs in only the accounts it manages: it refuses a password account's username, so
//! it can never be used to take one over.
//!
//! # Decisions
//! - **Accounts are made on first sign-in** ("just-in-time provisioning", as most
//!   providers' integrations do), with the address `username@example.com`.
//! - **Signed in as the password sign-in does**: the facade's assurance goes into the
//!   session through [`AuthSession::sign_in`], under a new session id (no fixation).
//!   There is no second factor here: it is the provider's business, and the
//!   Credentials page says so.
//! - **An account of another provider is refused too**: each provider speaks only for
//!   its own accounts.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera::{AccountStore, Error, canonical_username};
use tessera_axum::AuthSession;

use crate::auth::{describe, is_server_error};
use crate::html::{self, Notice, csrf_field, esc, notice};
use crate::security::csrf_token;
use crate::{App, server_error};

/// The provider's name, stored on the accounts it manages and shown on their
/// Credentials page.
pub(crate) const PROVIDER: &str = "Example Identity Provider (development)";

/// The refusal of a username that belongs to a password account (or another
/// provider's account): says what to do without saying more than sign-up already does
/// (that the username is taken).
pub(crate) const NOT_MANAGED: &str = "That username belongs to an account that does not sign in through this identity provider. Sign in with its password instead, or choose another username here.";

fn form(csrf: &str, message: &str, username: &str) -> String {
    format!(
        r#"<p class="info" role="note">Development only: this page stands in for an organisation's identity provider (OpenID Connect or SAML). It asks for no password and signs in whoever types a username, so it must never exist in a deployment.</p>
{message}<p>Enter a username. An account managed by this identity provider is created the first time, with the address <em>username</em>@example.com; its sign-in and second factor are the provider's, so its Credentials page has no multi-factor settings.</p>
<form method="post" action="/dev/identity-provider">{csrf}
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required value="{username}">
<button type="submit">Continue to the application</button></form>
<p><a href="/sign-in">Back to the password sign-in</a></p>"#,
        csrf = csrf_field(csrf),
        username = esc(username),
    )
}

/// The page's title.
const TITLE: &str = "Development identity provider";

/// GET `/dev/identity-provider`.
pub(crate) async fn page(session: AuthSession) -> Response {
    let csrf = csrf_token(session.inner()).await;
    html::page(TITLE, &form(&csrf, "", ""), None)
}

/// The username form.
#[derive(Deserialize)]
pub(crate) struct IdentityForm {
    username: String,
}

/// The form again, with `message` as an error.
async fn refuse(
    session: &AuthSession,
    status: StatusCode,
    message: &str,
    username: &str,
) -> Response {
    let csrf = csrf_token(session.inner()).await;
    let body = form(&csrf, &notice(Notice::Error, message), username);
    html::page_with_status(status, TITLE, &body, None)
}

/// POST `/dev/identity-provider`: finds or creates the federated account, and signs
/// the session in with the provider's assurance.
pub(crate) async fn sign_in(
    State(app): State<App>,
    session: AuthSession,
    Form(f): Form<IdentityForm>,
) -> Response {
    let username = match canonical_username(&f.username) {
        Ok(name) => name,
        Err(e) => {
            return refuse(
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                &describe(&e),
                &f.username,
            )
            .await;
        }
    };
    let found = match app
        .accounts
        .account_store()
        .find_by_username(&username)
        .await
    {
        Ok(found) => found.map(|v| v.value),
        Err(e) => return server_error(&Error::from(e)),
    };
    let account = match found {
        Some(account) if account.identity_provider() == Some(PROVIDER) => account,
        Some(_) => {
            return refuse(&session, StatusCode::CONFLICT, NOT_MANAGED, &f.username).await;
        }
        None => {
            let email = format!("{username}@example.com");
            match app
                .accounts
                .create_federated_account(&username, &email, PROVIDER)
                .await
            {
                Ok(account) => account,
                // Created a moment ago by another request: the page again, which finds it.
                Err(Error::UsernameTaken) => {
                    return refuse(
                        &session,
                        StatusCode::CONFLICT,
                        "That account was just created. Try again.",
                        &f.username,
                    )
                    .await;
                }
                Err(e) if !is_server_error(&e) => {
                    return refuse(
                        &session,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &describe(&e),
                        &f.username,
                    )
                    .await;
                }
                Err(e) => return server_error(&e),
            }
        }
    };
    let assurance = match app
        .accounts
        .signed_in_by_identity_provider(account.id())
        .await
    {
        Ok(a) => a,
        Err(e) => return server_error(&e),
    };
    if let Err(e) = session.sign_in(&assurance).await {
        return e.into_response();
    }
    Redirect::to("/credentials").into_response()
}
