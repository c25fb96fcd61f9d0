//! The Credentials page and its forms.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera::mfa::{Availability, ChallengeTicket, MfaMethod, RecoveryCodeSet, RememberedDeviceId};
use tessera::registry::{DeviceId, DeviceKind, DeviceStatus};
use tessera::{Error, Password};
use tessera_axum::{AuthSession, PENDING_AUTHENTICATOR_SETUP, RecentSecondFactor, SignedIn};

use crate::auth::{describe, flash, is_server_error, parse_method, take_flash};
use crate::html::{self, Notice, csrf_field, esc};
use crate::security::csrf_token;
use crate::{App, server_error};

/// A factor bound while MFA is off turns it on (with the recovery codes, shown once);
/// while it is on, the facade leaves it as it is.
pub(crate) const TURN_MFA_ON: bool = true;

/// The session key of a phone verification in progress.
const PHONE_KEY: &str = "web.phone_verification";

/// Where a refused change sends the person: the step-up page when it needs a fresh
/// second factor, sign-in when the session ended, the Credentials page (with the
/// reason) otherwise.
pub(crate) async fn refused(session: &AuthSession, e: &Error) -> Response {
    match e {
        Error::StepUpRequired | Error::StepUpTooWeak { .. } | Error::ReauthenticationRequired => {
            Redirect::to("/step-up").into_response()
        }
        Error::SessionRevoked => {
            let _ = session.sign_out().await;
            Redirect::to("/sign-in").into_response()
        }
        e if is_server_error(e) => server_error(e),
        e => {
            flash(session.inner(), Notice::Error, &describe(e)).await;
            Redirect::to("/credentials").into_response()
        }
    }
}

fn kind_name(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::AuthenticatorApp => "Authenticator app",
        DeviceKind::HardwareToken => "Hardware token",
        DeviceKind::SecurityKey => "Security key",
        _ => "Device",
    }
}

fn reason(availability: Availability) -> String {
    match availability.reason() {
        None => "Available".to_owned(),
        Some(r) => format!("Unavailable: {}", r.as_str().replace('_', " ")),
    }
}

/// GET `/credentials`.
pub(crate) async fn page(State(app): State<App>, me: SignedIn) -> Response {
    let session = me.session().inner();
    let csrf = csrf_token(session).await;
    let message = take_flash(session).await;
    let account = match app.accounts.account(me.account()).await {
        Ok(a) => a,
        Err(e) => return server_error(&e),
    };
    let status = match app.accounts.mfa_status_of(&account).await {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let field = csrf_field(&csrf);
    let mut body = format!(
        r#"{message}<p>Signed in as <strong>{name}</strong>.</p>"#,
        name = esc(&status.username)
    );
    if status.password_enabled {
        body.push_str(&format!(
            r#"<section aria-labelledby="pw"><h2 id="pw">Password</h2>
<form method="post" action="/credentials/password">{field}
<label for="current">Current password</label><input type="password" id="current" name="current" autocomplete="current-password" required>
<label for="new">New password</label><input type="password" id="new" name="new" autocomplete="new-password" required data-policy-check="new-violations">
<ul id="new-violations" class="violations" aria-live="polite"></ul>
<label for="confirmation">Confirm new password</label><input type="password" id="confirmation" name="confirmation" autocomplete="new-password" required>
<button type="submit">Change password</button></form>
<script src="/static/password.js"></script></section>"#
        ));
    }
    body.push_str(&format!(
        r#"<section aria-labelledby="sessions"><h2 id="sessions">Sessions</h2>
<p>Sign out on every other browser and device, and forget every trusted browser.</p>
<form method="post" action="/credentials/force-logout">{field}<button type="submit" class="danger">Force Logout</button></form></section>"#
    ));
    if let Some(provider) = &status.identity_provider {
        body.push_str(&format!(
            r#"<section aria-labelledby="mfa"><h2 id="mfa">Multi-factor authentication</h2>
<p>Your sign-in and its second factor are managed by {}: your organisation's identity provider asks for your password and your second factor, so there is no password, authenticator app, phone number, device or recovery code to set up here. To change them, use your identity provider.</p></section>"#,
            esc(provider)
        ));
        return html::page("Credentials", &body, Some(&csrf));
    }
    let table = match app.accounts.availability(me.assurance()).await {
        Ok(t) => t,
        Err(e) => return server_error(&e),
    };
    let mut rows = String::new();
    let mut options = String::new();
    for row in table.rows() {
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            esc(row.method.display_name()),
            esc(&reason(row.availability))
        ));
        if row.availability.is_available() && row.method != MfaMethod::RecoveryCode {
            let selected = if status.preferred == Some(row.method) {
                " selected"
            } else {
                ""
            };
            options.push_str(&format!(
                r#"<option value="{}"{selected}>{}</option>"#,
                esc(row.method.as_str()),
                esc(row.method.display_name())
            ));
        }
    }
    let checked = if status.mfa_enabled { " checked" } else { "" };
    body.push_str(&format!(
        r#"<section aria-labelledby="mfa"><h2 id="mfa">Multi-factor authentication</h2>
<form method="post" action="/credentials/mfa">{field}
<label class="check"><input type="checkbox" id="enabled" name="enabled" value="on"{checked}>Enabled</label>
<label for="preferred">Preferred MFA Method</label><select id="preferred" name="preferred">{options}</select>
<button type="submit">Save</button></form>
<table><caption>Methods</caption><tbody>{rows}</tbody></table></section>"#
    ));
    // Devices.
    let devices = match app.accounts.devices(me.assurance()).await {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let mut list = String::new();
    for d in devices
        .iter()
        .filter(|d| matches!(d.status, DeviceStatus::Active))
    {
        let id = d.id.to_string();
        let name = d.name.to_string();
        // Only a device that shows codes can drift; a security key has nothing to resync.
        let resync = if d.kind == DeviceKind::SecurityKey {
            String::new()
        } else {
            format!(
                r#"<form method="post" action="/credentials/devices/resync">{field}<input type="hidden" name="device" value="{id}">
<label for="r1-{id}">Code</label><input type="text" id="r1-{id}" name="first" inputmode="numeric" autocomplete="off">
<label for="r2-{id}">Next code</label><input type="text" id="r2-{id}" name="second" inputmode="numeric" autocomplete="off">
<button type="submit">Resync {name}</button></form>"#,
                name = esc(&name),
                id = esc(&id),
            )
        };
        list.push_str(&format!(
            r#"<tr><td>{name}</td><td>{kind}</td><td>
{resync}<form method="post" action="/credentials/devices/rename">{field}<input type="hidden" name="device" value="{id}">
<label for="n-{id}">New name</label><input type="text" id="n-{id}" name="name" autocomplete="off">
<button type="submit">Rename {name}</button></form>
<form method="post" action="/credentials/devices/remove">{field}<input type="hidden" name="device" value="{id}"><button type="submit" class="danger">Remove {name}</button></form>
</td></tr>"#,
            name = esc(&name),
            kind = esc(kind_name(d.kind)),
            id = esc(&id),
        ));
    }
    let count = devices
        .iter()
        .filter(|d| matches!(d.status, DeviceStatus::Active))
        .count();
    body.push_str(&format!(
        r#"<section aria-labelledby="devices"><h2 id="devices">Devices</h2>
<p>{count} of 8 devices.</p>
<table><caption>Your devices</caption><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Actions</th></tr></thead><tbody>{list}</tbody></table>
<h3>Set up authenticator app</h3>
<form method="post" action="/credentials/app">{field}
<label for="device-name">Device name</label><input type="text" id="device-name" name="name" required value="Phone">
<button type="submit">Set up authenticator app</button></form>
<h3>Add a hardware token</h3>
<form method="post" action="/credentials/hardware-token">{field}
<label for="token-name">Token name</label><input type="text" id="token-name" name="name" required value="Hardware token">
<label for="token-serial">Serial number</label><input type="text" id="token-serial" name="serial" required autocomplete="off">
<label for="token-seed">Seed (base32, from the token's seed sheet)</label><input type="password" id="token-seed" name="seed" required autocomplete="off">
<p id="token-codes-help">Enter the code the token shows now, then the next one it shows.</p>
<label for="token-first">First token code</label><input type="text" id="token-first" name="first" inputmode="numeric" autocomplete="off" required aria-describedby="token-codes-help">
<label for="token-second">Second token code</label><input type="text" id="token-second" name="second" inputmode="numeric" autocomplete="off" required>
<button type="submit">Add hardware token</button></form>
<h3>Add a security key</h3>
<form method="post" action="/credentials/security-key">{field}
<label for="key-name">Security key name</label><input type="text" id="key-name" name="name" required value="Security key">
<button type="submit">Add security key</button></form></section>"#
    ));
    let phone = if status.sms {
        "<p>A verified phone number is linked; text-message codes can be used.</p>".to_owned()
    } else {
        String::new()
    };
    let pending_phone = matches!(
        me.session().inner().get::<ChallengeTicket>(PHONE_KEY).await,
        Ok(Some(_))
    );
    let verify = if pending_phone {
        format!(
            r#"<form method="post" action="/credentials/phone/verify">{field}
<label for="sms-code">Code from the text message</label><input type="text" id="sms-code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
<button type="submit">Verify phone number</button></form>"#
        )
    } else {
        String::new()
    };
    body.push_str(&format!(
        r#"<section aria-labelledby="phone"><h2 id="phone">Phone number</h2>{phone}
<form method="post" action="/credentials/phone">{field}
<label for="number">Phone number (international format, e.g. +447700900123)</label><input type="text" id="number" name="number" autocomplete="tel" required>
<button type="submit">Send a code by text message</button></form>{verify}</section>"#
    ));
    if status.mfa_enabled {
        body.push_str(&format!(
            r#"<section aria-labelledby="recovery"><h2 id="recovery">Recovery codes</h2>
<p>New codes replace every old one. You will be asked to confirm it's you.</p>
<form method="post" action="/credentials/recovery-codes">{field}<button type="submit">Regenerate recovery codes</button></form></section>"#
        ));
    }
    let browsers = app
        .accounts
        .mfa()
        .remembered_devices(me.account())
        .await
        .unwrap_or_default();
    let mut items = String::new();
    for b in &browsers {
        items.push_str(&format!(
            r#"<li>{label} <form method="post" action="/credentials/browsers/revoke" class="inline">{field}<input type="hidden" name="id" value="{id}"><button type="submit">Revoke {label}</button></form></li>"#,
            label = esc(b.label()),
            id = esc(&b.id().to_string()),
        ));
    }
    if items.is_empty() {
        items.push_str("<li>No trusted browsers.</li>");
    }
    body.push_str(&format!(
        r#"<section aria-labelledby="browsers"><h2 id="browsers">Trusted browsers</h2><ul>{items}</ul></section>"#
    ));
    html::page("Credentials", &body, Some(&csrf))
}

/// The password-change form.
#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    current: String,
    new: String,
    confirmation: String,
}

/// POST `/credentials/password`.
pub(crate) async fn change_password(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<PasswordForm>,
) -> Response {
    let (current, new, confirmation) = (
        Password::new(f.current),
        Password::new(f.new),
        Password::new(f.confirmation),
    );
    match app
        .accounts
        .change_password(me.assurance(), &current, &new, &confirmation)
        .await
    {
        Ok(done) => {
            renewed(
                &me,
                &done.into_value().assurance,
                "Password changed. Every other session was signed out.",
            )
            .await
        }
        Err(e) => refused(me.session(), &e).await,
    }
}

/// POST `/credentials/force-logout`: sign out everywhere else.
pub(crate) async fn force_logout(State(app): State<App>, me: SignedIn) -> Response {
    match tessera_axum::retry_on_conflict(3, || app.accounts.sign_out_everywhere(me.assurance()))
        .await
    {
        Ok(done) => {
            renewed(
                &me,
                &done.into_value().assurance,
                "Every other session was signed out.",
            )
            .await
        }
        Err(e) => e.into_response(),
    }
}

/// The MFA settings form.
#[derive(Deserialize)]
pub(crate) struct MfaForm {
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    preferred: Option<String>,
}

pub(crate) fn codes_page(csrf: &str, set: &RecoveryCodeSet, lead: &str) -> Response {
    let items: String = set
        .codes()
        .iter()
        .map(|c| format!("<li>{}</li>", esc(c.formatted().as_str())))
        .collect();
    let body = format!(
        r#"<p class="info" role="status">{lead}</p>
<p>Keep these recovery codes somewhere safe. Each works once. They are shown only now.</p>
<ul class="codes" aria-label="Recovery codes">{items}</ul>
<p><a href="/credentials">Back to Credentials</a></p>"#,
        lead = esc(lead)
    );
    html::page("Recovery codes", &body, Some(csrf))
}

/// POST `/credentials/mfa`: the "Enabled" switch and the preferred method.
pub(crate) async fn mfa_settings(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<MfaForm>,
) -> Response {
    let csrf = csrf_token(me.session().inner()).await;
    let account = match app.accounts.account(me.account()).await {
        Ok(a) => a,
        Err(e) => return server_error(&e),
    };
    let status = match app.accounts.mfa_status_of(&account).await {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let preferred = f.preferred.as_deref().and_then(parse_method);
    let enable = f.enabled.is_some();
    if enable && !status.mfa_enabled {
        return match app.accounts.enable_mfa(me.assurance(), preferred).await {
            Ok(done) => match done.into_value().recovery_codes {
                Some(set) => codes_page(&csrf, &set, "Multi-factor authentication is on."),
                None => back_with(&me, "Multi-factor authentication is on.").await,
            },
            Err(e) => refused(me.session(), &e).await,
        };
    }
    if !enable && status.mfa_enabled {
        return match app.accounts.disable_mfa(me.assurance(), None).await {
            Ok(done) => {
                renewed(
                    &me,
                    &done.into_value().assurance,
                    "Multi-factor authentication is off.",
                )
                .await
            }
            Err(e) => refused(me.session(), &e).await,
        };
    }
    if let Some(method) = preferred.filter(|m| enable && status.preferred != Some(*m)) {
        return match app
            .accounts
            .set_preferred_method(me.assurance(), method)
            .await
        {
            Ok(_) => back_with(&me, "Preferred method saved.").await,
            Err(e) => refused(me.session(), &e).await,
        };
    }
    Redirect::to("/credentials").into_response()
}

/// The authenticator-app form.
#[derive(Deserialize)]
pub(crate) struct AppForm {
    name: String,
}

/// POST `/credentials/app`: the set-up page with the QR code and the key in text.
pub(crate) async fn start_app(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<AppForm>,
) -> Response {
    let enrolment = match app
        .accounts
        .start_authenticator_setup(me.assurance(), f.name.trim())
        .await
    {
        Ok(e) => e,
        Err(e) => return refused(me.session(), &e).await,
    };
    if let Err(e) = me
        .session()
        .insert(PENDING_AUTHENTICATOR_SETUP, &enrolment.device_id())
        .await
    {
        return e.into_response();
    }
    let qr = match enrolment.qr() {
        Ok(qr) => qr.to_svg(),
        Err(_) => String::new(),
    };
    let key = enrolment.secret().to_base32();
    let csrf = csrf_token(me.session().inner()).await;
    let body = format!(
        r#"<p>Scan this QR code with your authenticator app, or type the key.</p>
<figure class="qr" role="img" aria-label="QR code of the authenticator key">{qr}</figure>
<p>Key: <code class="key" id="totp-key">{key}</code></p>
<form method="post" action="/credentials/app/activate">{field}
<p id="codes-help">Enter two consecutive codes from the app: the one it shows now, then the next one.</p>
<label for="first">First code</label><input type="text" id="first" name="first" inputmode="numeric" autocomplete="off" required aria-describedby="codes-help">
<label for="second">Second code</label><input type="text" id="second" name="second" inputmode="numeric" autocomplete="off" required>
<button type="submit">Submit</button></form>"#,
        key = esc(key.as_str()),
        field = csrf_field(&csrf),
    );
    html::page("Set up authenticator app", &body, Some(&csrf))
}

/// Two consecutive codes.
#[derive(Deserialize)]
pub(crate) struct TwoCodes {
    first: String,
    second: String,
}

/// POST `/credentials/app/activate`.
pub(crate) async fn finish_app(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<TwoCodes>,
) -> Response {
    let Ok(Some(device)) = me.session().get(PENDING_AUTHENTICATOR_SETUP).await else {
        return Redirect::to("/credentials").into_response();
    };
    let codes = [f.first.trim(), f.second.trim()];
    let added = app
        .accounts
        .finish_authenticator_setup(me.assurance(), device, &codes, TURN_MFA_ON)
        .await;
    if added.is_ok() {
        let _ = me.session().remove(PENDING_AUTHENTICATOR_SETUP).await;
    }
    factor_added(&me, added, "Your authenticator app is set up").await
}

/// Where binding a factor leads: the recovery codes when MFA came on with it, else the
/// Credentials page saying `done` ("Your security key is registered"); a refusal as
/// every change's.
pub(crate) async fn factor_added(
    me: &SignedIn,
    added: Result<tessera::mfa::Notified<tessera::AuthenticatorAdded>, Error>,
    done: &str,
) -> Response {
    match added.map(tessera::mfa::Notified::into_value) {
        Ok(added) => match added.recovery_codes {
            Some(set) => {
                let csrf = csrf_token(me.session().inner()).await;
                codes_page(
                    &csrf,
                    &set,
                    &format!("{done} and multi-factor authentication is on."),
                )
            }
            None => back_with(me, &format!("{done}.")).await,
        },
        Err(e) => refused(me.session(), &e).await,
    }
}

/// A device form.
#[derive(Deserialize)]
pub(crate) struct DeviceForm {
    device: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    second: String,
}

/// POST `/credentials/devices/resync`.
pub(crate) async fn resync(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<DeviceForm>,
) -> Response {
    let Ok(device) = f.device.parse::<DeviceId>() else {
        return Redirect::to("/credentials").into_response();
    };
    match app
        .accounts
        .resync_device(me.assurance(), device, f.first.trim(), f.second.trim())
        .await
    {
        Ok(_) => back_with(&me, "The device is in sync again.").await,
        Err(e) => refused(me.session(), &e).await,
    }
}

/// POST `/credentials/devices/remove`: needs a recent second factor.
pub(crate) async fn remove_device(
    State(app): State<App>,
    fresh: RecentSecondFactor,
    Form(f): Form<DeviceForm>,
) -> Response {
    let me = fresh.into_signed_in();
    let Ok(device) = f.device.parse::<DeviceId>() else {
        return Redirect::to("/credentials").into_response();
    };
    match app.accounts.remove_device(me.assurance(), device).await {
        Ok(done) => renewed(&me, &done.into_value().assurance, "The device was removed.").await,
        Err(e) => refused(me.session(), &e).await,
    }
}

/// POST `/credentials/recovery-codes`: needs a recent second factor.
pub(crate) async fn regenerate_codes(
    State(app): State<App>,
    fresh: RecentSecondFactor,
) -> Response {
    let me = fresh.into_signed_in();
    match app.accounts.regenerate_recovery_codes(me.assurance()).await {
        Ok(set) => {
            let csrf = csrf_token(me.session().inner()).await;
            codes_page(
                &csrf,
                &set.into_value(),
                "New recovery codes; the old ones no longer work.",
            )
        }
        Err(e) => refused(me.session(), &e).await,
    }
}

/// The revoke form.
#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    id: String,
}

/// POST `/credentials/browsers/revoke`.
pub(crate) async fn revoke_browser(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<RevokeForm>,
) -> Response {
    if let Ok(id) = RememberedDeviceId::parse(&f.id) {
        match app
            .accounts
            .mfa()
            .revoke_remembered_device(me.account(), id)
            .await
        {
            Ok(_) => {
                flash(
                    me.session().inner(),
                    Notice::Info,
                    "That browser is no longer trusted.",
                )
                .await
            }
            Err(e) => {
                flash(
                    me.session().inner(),
                    Notice::Error,
                    &describe(&Error::Mfa(e)),
                )
                .await
            }
        }
    }
    Redirect::to("/credentials").into_response()
}

/// The rename form.
#[derive(Deserialize)]
pub(crate) struct RenameForm {
    device: String,
    name: String,
}

/// POST `/credentials/devices/rename`.
pub(crate) async fn rename(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<RenameForm>,
) -> Response {
    let Ok(device) = f.device.parse::<DeviceId>() else {
        return Redirect::to("/credentials").into_response();
    };
    // The session is checked first: a revoked one may rename nothing.
    if let Err(e) = app.accounts.check_session(me.assurance()).await {
        return refused(me.session(), &e).await;
    }
    match app
        .accounts
        .registry()
        .rename(me.account(), device, f.name.trim())
        .await
    {
        Ok(()) => back_with(&me, "The device was renamed.").await,
        Err(e) => refused(me.session(), &Error::Registry(e)).await,
    }
}

/// The phone form.
#[derive(Deserialize)]
pub(crate) struct PhoneForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
}

/// POST `/credentials/phone`: links the number and texts it a code.
pub(crate) async fn link_phone(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<PhoneForm>,
) -> Response {
    match app
        .accounts
        .start_phone_verification(me.assurance(), f.number.trim())
        .await
    {
        Ok(ticket) => {
            if let Err(e) = me.session().inner().insert(PHONE_KEY, &ticket).await {
                tracing::error!(target: "tessera_web", "could not keep the phone verification: {e}");
            }
            back_with(&me, "We sent a code to that number by text message.").await
        }
        Err(e) => refused(me.session(), &e).await,
    }
}

/// POST `/credentials/phone/verify`.
pub(crate) async fn verify_phone(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<PhoneForm>,
) -> Response {
    let Ok(Some(ticket)) = me.session().inner().get::<ChallengeTicket>(PHONE_KEY).await else {
        return Redirect::to("/credentials").into_response();
    };
    match app
        .accounts
        .finish_phone_verification(me.assurance(), &ticket, f.code.trim())
        .await
    {
        Ok(_) => {
            let _ = me
                .session()
                .inner()
                .remove::<ChallengeTicket>(PHONE_KEY)
                .await;
            back_with(&me, "Your phone number is verified.").await
        }
        Err(e) => refused(me.session(), &e).await,
    }
}

/// Back to the Credentials page with `message` shown once.
/// After a change that moved the security stamp on (every other session ends): this
/// session renewed with its new assurance, and back to the Credentials page saying
/// `message`.
async fn renewed(me: &SignedIn, assurance: &tessera::Assurance, message: &str) -> Response {
    if let Err(e) = me.session().renew(assurance).await {
        return e.into_response();
    }
    back_with(me, message).await
}

pub(crate) async fn back_with(me: &SignedIn, message: &str) -> Response {
    flash(me.session().inner(), Notice::Info, message).await;
    Redirect::to("/credentials").into_response()
}
