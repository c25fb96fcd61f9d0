//! Sign-up, sign-in, the second factor, the step-up and sign-out.

use axum::Form;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera::mfa::{MfaMethod, RememberToken};
use tessera::{Error, Password, SecondFactorChallenge, SignIn};
use tessera_axum::{
    AuthSession, PENDING_SECOND_FACTOR, PENDING_STEP_UP, PendingSecondFactor, SessionKey, SignedIn,
};
use tower_sessions::Session;

use crate::html::{self, Notice, csrf_field, esc, notice};
use crate::security::csrf_token;
use crate::{App, server_error};

/// The "trust this browser" cookie: sent only with sign-in posts.
const REMEMBER_COOKIE: &str = "tessera_remember";
/// Thirty days, the facade's default remember TTL.
const REMEMBER_MAX_AGE: u32 = 30 * 24 * 3600;

/// The one message of every failed sign-in, whatever the reason (unknown name, wrong
/// password, throttled or locked): the facade's failure is opaque, and so is the page.
pub(crate) const SIGN_IN_FAILED: &str = "The username or password is not right, or sign-in is paused after too many failed attempts. Check them and try again later, or reset your password.";

/// The one message of every refused code.
pub(crate) const CODE_FAILED: &str = "That code did not work, or there were too many attempts. Check the code and try again; after repeated failures, wait before trying again.";

const FLASH_KEY: &str = "web.flash";

/// Keeps a notice for the next page (post/redirect/get).
pub(crate) async fn flash(session: &Session, kind: Notice, text: &str) {
    let error = matches!(kind, Notice::Error);
    if let Err(e) = session.insert(FLASH_KEY, (error, text)).await {
        tracing::error!(target: "tessera_web", "could not store a notice: {e}");
    }
}

/// The notice kept by [`flash`], rendered, once.
pub(crate) async fn take_flash(session: &Session) -> String {
    match session.remove::<(bool, String)>(FLASH_KEY).await {
        Ok(Some((true, text))) => notice(Notice::Error, &text),
        Ok(Some((false, text))) => notice(Notice::Info, &text),
        _ => String::new(),
    }
}

/// `/`: the Credentials page when signed in, the sign-in page otherwise.
pub(crate) async fn home(signed_in: Result<SignedIn, tessera_axum::Rejection>) -> Redirect {
    if signed_in.is_ok() {
        Redirect::to("/credentials")
    } else {
        Redirect::to("/sign-in")
    }
}

fn sign_up_form(csrf: &str, message: &str, username: &str, email: &str) -> String {
    format!(
        r#"{message}<form method="post" action="/sign-up">{csrf}
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required value="{username}">
<label for="email">Email</label><input type="email" id="email" name="email" autocomplete="email" required value="{email}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="new-password" required aria-describedby="password-help" data-policy-check="password-violations">
<p id="password-help">At least 15 characters; a passphrase of a few words is easiest.</p>
<ul id="password-violations" class="violations" aria-live="polite"></ul>
<button type="submit">Create account</button></form>
<script src="/static/password.js"></script>
<p>Already have an account? <a href="/sign-in">Sign in</a>.</p>"#,
        csrf = csrf_field(csrf),
        username = esc(username),
        email = esc(email),
    )
}

/// GET `/sign-up`.
pub(crate) async fn sign_up_page(session: Session) -> Response {
    let csrf = csrf_token(&session).await;
    html::page("Sign up", &sign_up_form(&csrf, "", "", ""), None)
}

/// The sign-up form.
#[derive(Deserialize)]
pub(crate) struct SignUpForm {
    username: String,
    email: String,
    password: String,
}

/// POST `/sign-up`.
pub(crate) async fn sign_up(
    State(app): State<App>,
    session: Session,
    Form(f): Form<SignUpForm>,
) -> Response {
    let password = Password::new(f.password);
    match app
        .accounts
        .create_account(&f.username, &f.email, &password)
        .await
    {
        Ok(_) => {
            flash(
                &session,
                Notice::Info,
                "Account created. Sign in with your new password.",
            )
            .await;
            Redirect::to("/sign-in").into_response()
        }
        Err(e) if !is_server_error(&e) => {
            let csrf = csrf_token(&session).await;
            let body = sign_up_form(
                &csrf,
                &notice(Notice::Error, &describe(&e)),
                &f.username,
                &f.email,
            );
            html::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "Sign up", &body, None)
        }
        Err(e) => server_error(&e),
    }
}

fn sign_in_form(csrf: &str, message: &str, username: &str, development: bool) -> String {
    // The development pages exist only on a development server (see `Options`).
    let dev = if development {
        r#"
<p>Development: <a href="/dev/identity-provider">Sign in with the development identity provider</a> · <a href="/dev/outbox">Outbox</a></p>"#
    } else {
        ""
    };
    format!(
        r#"{message}<form method="post" action="/sign-in">{csrf}
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required value="{username}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p><a href="/forgot-password">Forgot your password?</a> · <a href="/sign-up">Create an account</a></p>{dev}"#,
        csrf = csrf_field(csrf),
        username = esc(username),
    )
}

/// GET `/sign-in`.
pub(crate) async fn sign_in_page(State(app): State<App>, session: Session) -> Response {
    let csrf = csrf_token(&session).await;
    let message = take_flash(&session).await;
    html::page(
        "Sign in",
        &sign_in_form(&csrf, &message, "", app.development),
        None,
    )
}

/// The sign-in form.
#[derive(Deserialize)]
pub(crate) struct SignInForm {
    username: String,
    password: String,
}

fn remember_token(headers: &HeaderMap) -> Option<RememberToken> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REMEMBER_COOKIE)
        .and_then(|(_, value)| RememberToken::parse(value).ok())
}

/// POST `/sign-in`.
pub(crate) async fn sign_in(
    State(app): State<App>,
    session: AuthSession,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let remembered = remember_token(&headers);
    let step = match app
        .accounts
        .sign_in(&f.username, &Password::new(f.password), remembered.as_ref())
        .await
    {
        Ok(step) => step,
        Err(e) if !is_server_error(&e) => {
            let csrf = csrf_token(session.inner()).await;
            let body = sign_in_form(
                &csrf,
                &notice(Notice::Error, SIGN_IN_FAILED),
                &f.username,
                app.development,
            );
            return html::page_with_status(StatusCode::UNAUTHORIZED, "Sign in", &body, None);
        }
        Err(e) => return server_error(&e),
    };
    if let Err(e) = session.record_sign_in(&step).await {
        return e.into_response();
    }
    match step {
        SignIn::Complete(_) => Redirect::to("/credentials").into_response(),
        SignIn::SecondFactor(challenge) => {
            // The primary method at once; "use another method" changes it.
            if let Ok(started) = app.accounts.start_second_factor(challenge, None).await
                && let Err(e) = session.insert(PENDING_SECOND_FACTOR, &started).await
            {
                return e.into_response();
            }
            Redirect::to("/sign-in/second-factor").into_response()
        }
        _ => {
            flash(session.inner(), Notice::Error, "This account must finish a step this example does not offer (a required MFA enrolment or password change).").await;
            Redirect::to("/sign-in").into_response()
        }
    }
}

/// What the code form asks for when `method` is started.
fn prompt(method: Option<MfaMethod>) -> &'static str {
    match method {
        Some(MfaMethod::AuthenticatorApp) => "Enter the 6-digit code your authenticator app shows.",
        Some(MfaMethod::HardwareToken) => "Enter the code your hardware token shows.",
        Some(MfaMethod::Email) => "We emailed you a code. Enter it here.",
        Some(MfaMethod::Sms) => "We sent a code to your phone by text message. Enter it here.",
        Some(MfaMethod::RecoveryCode) => "Enter one of your recovery codes.",
        _ => "Choose a method below.",
    }
}

/// The form of a second factor: the code, and the other methods offered.
fn code_form(
    csrf: &str,
    challenge: &SecondFactorChallenge,
    action: &str,
    method_action: &str,
    key_action: Option<&str>,
    trust: bool,
) -> String {
    let method = challenge.method();
    let prompt = prompt(method);
    let trust_box = if trust {
        r#"<label class="check"><input type="checkbox" name="trust" value="on">Trust this browser for 30 days</label>"#
    } else {
        ""
    };
    let mut options = String::new();
    let mut key_form = String::new();
    for m in challenge.available() {
        if *m == MfaMethod::SecurityKey {
            // A ceremony of its own (a page with the WebAuthn script), not a typed code.
            if let Some(key_action) = key_action {
                key_form = format!(
                    r#"<form method="post" action="{}">{}<button type="submit">Use a security key</button></form>"#,
                    esc(key_action),
                    csrf_field(csrf)
                );
            }
            continue;
        }
        // The method in use is not "another" one, except to have a new code sent.
        let label = match (Some(*m) == method, m) {
            (false, _) => m.display_name().to_owned(),
            (true, MfaMethod::Email | MfaMethod::Sms) => {
                format!("{} (send a new code)", m.display_name())
            }
            (true, _) => continue,
        };
        options.push_str(&format!(
            r#"<option value="{}">{}</option>"#,
            esc(m.as_str()),
            esc(&label)
        ));
    }
    format!(
        r#"<form method="post" action="{action}">{csrf}
<p id="code-help">{prompt}</p>
<label for="code">Authorization code</label><input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required aria-describedby="code-help">
{trust_box}
<button type="submit">Authorize</button></form>
<section aria-labelledby="other"><h2 id="other">Use another method</h2>
{key_form}<form method="post" action="{method_action}">{csrf}
<label for="method">Method</label><select id="method" name="method">{options}</select>
<button type="submit">Use this method</button></form></section>"#,
        csrf = csrf_field(csrf),
    )
}

/// The code form of a password reset's second factor.
pub(crate) fn code_form_for_reset(csrf: &str, challenge: &SecondFactorChallenge) -> String {
    code_form(
        csrf,
        challenge,
        "/forgot-password/second-factor",
        "/forgot-password/second-factor",
        None,
        false,
    )
}

/// GET `/sign-in/second-factor`: "Enter the authorization code".
pub(crate) async fn second_factor_page(pending: PendingSecondFactor) -> Response {
    let csrf = csrf_token(pending.session().inner()).await;
    let message = take_flash(pending.session().inner()).await;
    let form = code_form(
        &csrf,
        pending.challenge(),
        "/sign-in/second-factor",
        "/sign-in/method",
        Some("/sign-in/security-key"),
        true,
    );
    html::page(
        "Enter the authorization code",
        &format!("{message}{form}"),
        None,
    )
}

/// The second-factor form.
#[derive(Deserialize)]
pub(crate) struct CodeForm {
    code: String,
    #[serde(default)]
    trust: Option<String>,
}

/// POST `/sign-in/second-factor`.
pub(crate) async fn second_factor(
    State(app): State<App>,
    pending: PendingSecondFactor,
    Form(f): Form<CodeForm>,
) -> Response {
    let (challenge, session) = pending.into_parts();
    // Every failure of a second factor, a failing store's included, is the one
    // opaque refusal (`finish_second_factor`'s contract): nothing here is a 503.
    let Ok(assurance) = app
        .accounts
        .finish_second_factor(&challenge, f.code.trim())
        .await
    else {
        flash(session.inner(), Notice::Error, CODE_FAILED).await;
        return Redirect::to("/sign-in/second-factor").into_response();
    };
    if let Err(e) = session.sign_in(&assurance).await {
        return e.into_response();
    }
    let mut response = Redirect::to("/credentials").into_response();
    if f.trust.is_some() {
        match app.accounts.remember_device(&assurance, "Browser").await {
            Ok(token) => {
                let secure = if app.secure_cookies { "; Secure" } else { "" };
                let cookie = format!(
                    "{REMEMBER_COOKIE}={}; Path=/sign-in; Max-Age={REMEMBER_MAX_AGE}; HttpOnly; SameSite=Strict{secure}",
                    token.encode().as_str()
                );
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(SET_COOKIE, value);
                }
            }
            Err(e) => tracing::warn!(target: "tessera_web", "could not remember the browser: {e}"),
        }
    }
    response
}

/// The method form.
#[derive(Deserialize)]
pub(crate) struct MethodForm {
    method: String,
}

/// Parses a method's stable name.
pub(crate) fn parse_method(name: &str) -> Option<MfaMethod> {
    MfaMethod::ALL.into_iter().find(|m| m.as_str() == name)
}

/// POST `/sign-in/method`: "use another method".
pub(crate) async fn choose_method(
    State(app): State<App>,
    pending: PendingSecondFactor,
    Form(f): Form<MethodForm>,
) -> Response {
    let (challenge, session) = pending.into_parts();
    start_method(
        &app,
        &session,
        PENDING_SECOND_FACTOR,
        challenge,
        &f.method,
        "/sign-in/second-factor",
    )
    .await
}

/// "Use another method" on any second-factor page: starts `method` on `challenge`, keeps
/// the started challenge under `key` (a refusal is flashed, the kept one stays) and goes
/// back to `page`.
pub(crate) async fn start_method(
    app: &App,
    session: &AuthSession,
    key: SessionKey<SecondFactorChallenge>,
    challenge: SecondFactorChallenge,
    method: &str,
    page: &'static str,
) -> Response {
    match app
        .accounts
        .start_second_factor(challenge, parse_method(method))
        .await
    {
        Ok(started) => {
            if let Err(e) = session.insert(key, &started).await {
                return e.into_response();
            }
        }
        Err(e) if !is_server_error(&e) => {
            flash(session.inner(), Notice::Error, &describe(&e)).await
        }
        Err(e) => return server_error(&e),
    }
    Redirect::to(page).into_response()
}

/// POST `/sign-out`.
pub(crate) async fn sign_out(session: AuthSession) -> Response {
    if let Err(e) = session.sign_out().await {
        return e.into_response();
    }
    Redirect::to("/sign-in").into_response()
}

/// GET `/step-up`: a fresh second factor before a sensitive change.
pub(crate) async fn step_up_page(State(app): State<App>, me: SignedIn) -> Response {
    let session = me.session();
    let challenge = match session.get(PENDING_STEP_UP).await {
        Ok(Some(c)) => c,
        _ => {
            let started = match app.accounts.start_step_up(me.assurance()).await {
                Ok(c) => app.accounts.start_second_factor(c, None).await,
                Err(e) => Err(e),
            };
            match started {
                Ok(c) => {
                    if let Err(e) = session.insert(PENDING_STEP_UP, &c).await {
                        return e.into_response();
                    }
                    c
                }
                Err(e) if !is_server_error(&e) => {
                    flash(session.inner(), Notice::Error, &describe(&e)).await;
                    return Redirect::to("/credentials").into_response();
                }
                Err(e) => return server_error(&e),
            }
        }
    };
    let csrf = csrf_token(session.inner()).await;
    let message = take_flash(session.inner()).await;
    let form = code_form(
        &csrf,
        &challenge,
        "/step-up",
        "/step-up",
        Some("/step-up/security-key"),
        false,
    );
    let body = format!(
        r#"<p class="info" role="status">This change needs a fresh second factor. Confirm it's you, then try again.</p>{message}{form}"#
    );
    html::page("Confirm it's you", &body, Some(&csrf))
}

/// The step-up form: a code, or another method.
#[derive(Deserialize)]
pub(crate) struct StepUpForm {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    method: Option<String>,
}

/// POST `/step-up`.
pub(crate) async fn step_up(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<StepUpForm>,
) -> Response {
    let session = me.session();
    let Ok(Some(challenge)) = session.get(PENDING_STEP_UP).await else {
        return Redirect::to("/step-up").into_response();
    };
    if let Some(method) = f.method {
        return start_method(
            &app,
            session,
            PENDING_STEP_UP,
            challenge,
            &method,
            "/step-up",
        )
        .await;
    }
    let code = f.code.unwrap_or_default();
    let fresher = app
        .accounts
        .finish_second_factor(&challenge, code.trim())
        .await;
    step_up_finished(session, fresher, CODE_FAILED).await
}

/// The end of a step-up, whatever answered it: the session renewed with the fresher
/// assurance and back to the Credentials page, or `refusal` and the step-up page again.
pub(crate) async fn step_up_finished(
    session: &AuthSession,
    fresher: Result<tessera::Assurance, Error>,
    refusal: &str,
) -> Response {
    match fresher {
        Ok(fresher) => {
            if let Err(e) = session.renew(&fresher).await {
                return e.into_response();
            }
            let _ = session.remove(PENDING_STEP_UP).await;
            flash(
                session.inner(),
                Notice::Info,
                "Confirmed. You can make the change now.",
            )
            .await;
            Redirect::to("/credentials").into_response()
        }
        // Every failure is the one opaque refusal (`finish_second_factor` and
        // `finish_security_key` answer a failing store so too): nothing here is a 503.
        Err(_) => {
            flash(session.inner(), Notice::Error, refusal).await;
            Redirect::to("/step-up").into_response()
        }
    }
}

/// Whether the failure is the server's (a store, the session store, the offload).
pub(crate) fn is_server_error(e: &Error) -> bool {
    e.is_unavailable() || e.is_conflict()
}

/// A failure in words for the person (the facade's messages hold no secret).
pub(crate) fn describe(e: &Error) -> String {
    match e {
        Error::PasswordRejected(violations) => {
            let list: Vec<String> = violations.iter().map(|v| v.message()).collect();
            format!("That password cannot be used: {}", list.join("; "))
        }
        Error::VerificationFailed => CODE_FAILED.to_owned(),
        Error::UsernameTaken => "That username is taken.".to_owned(),
        Error::Registry(tessera::registry::Error::TooManyDevices { .. }) => {
            "You already have eight devices, the most an account can have. Remove one before adding another.".to_owned()
        }
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
                None => "That did not work.".to_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each method's prompt says what to type; a security key (a ceremony, not a
    /// code) or no method yet asks for a choice. The texted code's prompt is pinned
    /// here: a test through the pages would wait out the resend interval after the
    /// phone's own verification code.
    #[test]
    fn each_method_has_its_prompt() {
        let expected = [
            (
                Some(MfaMethod::AuthenticatorApp),
                "Enter the 6-digit code your authenticator app shows.",
            ),
            (
                Some(MfaMethod::HardwareToken),
                "Enter the code your hardware token shows.",
            ),
            (
                Some(MfaMethod::Email),
                "We emailed you a code. Enter it here.",
            ),
            (
                Some(MfaMethod::Sms),
                "We sent a code to your phone by text message. Enter it here.",
            ),
            (
                Some(MfaMethod::RecoveryCode),
                "Enter one of your recovery codes.",
            ),
            (Some(MfaMethod::SecurityKey), "Choose a method below."),
            (None, "Choose a method below."),
        ];
        for (method, text) in expected {
            assert_eq!(prompt(method), text, "{method:?}");
        }
    }
}
