//! Adding a hardware TOTP token: the holder types its serial number, its seed (from the
//! vendor's seed sheet, or what they programmed into it) and two consecutive codes it
//! shows. The seed travels in the `POST` body only, is sealed at rest like an app's,
//! and is never shown again.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera::otp::{Secret, TotpParams};
use tessera::registry::HardwareToken;
use tessera_axum::SignedIn;
use zeroize::Zeroizing;

use crate::App;
use crate::auth::flash;
use crate::credentials::{TURN_MFA_ON, factor_added};
use crate::html::Notice;

/// The token form.
#[derive(Deserialize)]
pub(crate) struct TokenForm {
    name: String,
    serial: String,
    seed: String,
    first: String,
    second: String,
}

/// POST `/credentials/hardware-token`.
pub(crate) async fn add(
    State(app): State<App>,
    me: SignedIn,
    Form(f): Form<TokenForm>,
) -> Response {
    let typed = Zeroizing::new(f.seed);
    // A seed sheet often groups the base32 in blocks: spaces are not part of it.
    let seed: Zeroizing<String> = Zeroizing::new(typed.split_whitespace().collect());
    let token = match Secret::from_base32(&seed)
        .map_err(|_| "The seed must be the base32 text on the token's seed sheet (letters A–Z and digits 2–7).")
        .and_then(|secret| {
            HardwareToken::new(f.name.trim(), &f.serial, secret, TotpParams::DEFAULT)
                .map_err(|_| "The name or serial number is not valid: a serial number is 1 to 64 printable characters.")
        }) {
        Ok(t) => t,
        Err(message) => {
            flash(me.session().inner(), Notice::Error, message).await;
            return Redirect::to("/credentials").into_response();
        }
    };
    let codes = [f.first.trim(), f.second.trim()];
    let added = app
        .accounts
        .add_hardware_token(me.assurance(), &token, &codes, TURN_MFA_ON)
        .await;
    factor_added(&me, added, "Your hardware token is added").await
}
