//! The Credentials page and its forms, in-process (`src/credentials.rs`): what the page
//! lists (methods and why one is unavailable, the preferred method, devices and their
//! kinds, trusted browsers), and each form's answer, refusal and server failure.

#![allow(clippy::expect_used)]

use crate::common::{
    TOKEN_SEED, add_hardware_token, break_table, cookie_of_or, fetch, is_server_failure, location,
    now_secs, page, router, router_and_pool, signed_in, step_up_by_app, step_up_by_email, submit,
    totp_at, verify_phone, with_app_key,
};
use axum::http::StatusCode;

use crate::common::PASSWORD;

/// The id in the first `name="device"` field after the row of the device `name`.
fn device_id(credentials: &str, name: &str) -> String {
    let row = credentials
        .find(&format!("<tr><td>{name}</td>"))
        .unwrap_or_else(|| panic!("no device {name}: {credentials}"));
    let marker = r#"name="device" value=""#;
    let start = row + credentials[row..].find(marker).expect("a device field") + marker.len();
    let end = start + credentials[start..].find('"').expect("closing quote");
    credentials[start..end].to_owned()
}

/// The number of recovery codes a codes page lists.
fn codes_listed(page: &str) -> usize {
    page.split(r#"<ul class="codes" aria-label="Recovery codes">"#)
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .map_or(0, |list| list.matches("<li>").count())
}

/// A new account: no device, every device method "not configured", email available
/// and nothing to prefer but it, MFA off, no recovery-code section, no trusted browser.
#[tokio::test]
async fn a_new_account_s_page() {
    let router = router().await;
    let (cookie, _) = signed_in(&router, "anna").await;
    let page = page(&router, "/credentials", &cookie).await;
    assert!(
        page.contains("Signed in as <strong>anna</strong>."),
        "{page}"
    );
    for (method, reason) in [
        ("authenticator app", "Unavailable: not configured"),
        ("hardware token", "Unavailable: not configured"),
        ("security key", "Unavailable: not configured"),
        ("text message (SMS) code", "Unavailable: not configured"),
        ("email code", "Available"),
    ] {
        assert!(
            page.contains(&format!(
                r#"<tr><th scope="row">{method}</th><td>{reason}</td></tr>"#
            )),
            "{method}: {page}"
        );
    }
    let select = page
        .split(r#"<select id="preferred" name="preferred">"#)
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .expect("the preferred-method list");
    assert_eq!(select, r#"<option value="email">email code</option>"#);
    assert!(
        page.contains(r#"<input type="checkbox" id="enabled" name="enabled" value="on">"#),
        "{page}"
    );
    assert!(page.contains("<p>0 of 8 devices.</p>"), "{page}");
    assert!(!page.contains("Regenerate recovery codes"), "{page}");
    assert!(page.contains("<li>No trusted browsers.</li>"), "{page}");
    assert!(
        page.contains(r#"action="/credentials/password""#),
        "a password account can change it: {page}"
    );
}

/// MFA switched on with email: the recovery codes are shown once; the page then has
/// the box ticked, email selected, and the recovery codes available. Saving again with
/// nothing changed changes nothing; switching it off needs a step-up, then is done.
#[tokio::test]
async fn mfa_on_with_email_then_off_after_a_step_up() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "bela").await;
    let on = submit(
        &router,
        "/credentials/mfa",
        &cookie,
        &csrf,
        "enabled=on&preferred=email",
    )
    .await;
    assert_eq!(on.status(), StatusCode::OK);
    let codes = crate::common::body(on).await;
    assert!(
        codes.contains("Multi-factor authentication is on."),
        "{codes}"
    );
    assert_eq!(codes_listed(&codes), 10, "{codes}");

    let after = page(&router, "/credentials", &cookie).await;
    assert!(
        after.contains(r#"name="enabled" value="on" checked>"#),
        "{after}"
    );
    assert!(
        after.contains(r#"<option value="email" selected>email code</option>"#),
        "{after}"
    );
    assert!(
        after.contains(r#"<tr><th scope="row">recovery code</th><td>Available</td></tr>"#),
        "{after}"
    );
    assert!(
        !after.contains(r#"<option value="recovery_code""#),
        "{after}"
    );
    assert!(after.contains("Regenerate recovery codes"), "{after}");

    // The same settings again: nothing to do, and nothing said.
    let same = submit(
        &router,
        "/credentials/mfa",
        &cookie,
        &csrf,
        "enabled=on&preferred=email",
    )
    .await;
    assert_eq!(location(&same), "/credentials");
    let quiet = page(&router, "/credentials", &cookie).await;
    assert!(!quiet.contains(r#"role="status""#), "{quiet}");
    assert!(!quiet.contains(r#"role="alert""#), "{quiet}");

    // Off: a fresh second factor first.
    let off = submit(&router, "/credentials/mfa", &cookie, &csrf, "").await;
    assert_eq!(location(&off), "/step-up");
    let cookie = step_up_by_email(&router, &cookie, &csrf).await;
    let off = submit(&router, "/credentials/mfa", &cookie, &csrf, "").await;
    assert_eq!(location(&off), "/credentials");
    let cookie = cookie_of_or(&off, &cookie);
    let after = page(&router, "/credentials", &cookie).await;
    assert!(
        after.contains("Multi-factor authentication is off."),
        "{after}"
    );
    assert!(
        after.contains(r#"<input type="checkbox" id="enabled" name="enabled" value="on">"#),
        "{after}"
    );
}

/// With an app, a hardware token and a phone: the page lists the two devices with
/// their kinds and forms, the preferred method can be changed, a device renamed,
/// resynced and (after a step-up) removed, and the recovery codes regenerated.
#[tokio::test]
async fn devices_listed_renamed_resynced_removed_and_new_recovery_codes() {
    let router = router().await;
    let (cookie, csrf, key) = with_app_key(&router, "cora").await;
    let cookie = step_up_by_app(&router, &cookie, &csrf, &key).await;
    add_hardware_token(&router, &cookie, &csrf).await;
    verify_phone(&router, &cookie, &csrf).await;

    let listed = page(&router, "/credentials", &cookie).await;
    assert!(listed.contains("<p>2 of 8 devices.</p>"), "{listed}");
    assert!(
        listed.contains("<tr><td>Phone</td><td>Authenticator app</td>"),
        "{listed}"
    );
    assert!(
        listed.contains("<tr><td>Desk token</td><td>Hardware token</td>"),
        "{listed}"
    );
    assert!(listed.contains("Resync Phone"), "{listed}");
    assert!(listed.contains("Resync Desk token"), "{listed}");
    for method in [
        "authenticator app",
        "hardware token",
        "text message (SMS) code",
    ] {
        assert!(
            listed.contains(&format!(
                r#"<tr><th scope="row">{method}</th><td>Available</td></tr>"#
            )),
            "{method}: {listed}"
        );
    }
    // The app came first, so it is preferred; the token can be chosen instead.
    assert!(
        listed.contains(r#"<option value="authenticator_app" selected>"#),
        "{listed}"
    );
    let preferred = submit(
        &router,
        "/credentials/mfa",
        &cookie,
        &csrf,
        "enabled=on&preferred=hardware_token",
    )
    .await;
    assert_eq!(location(&preferred), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains("Preferred method saved."), "{after}");
    assert!(
        after.contains(r#"<option value="hardware_token" selected>"#),
        "{after}"
    );

    // Rename.
    let token = device_id(&after, "Desk token");
    let renamed = submit(
        &router,
        "/credentials/devices/rename",
        &cookie,
        &csrf,
        &format!("device={token}&name=Office+token"),
    )
    .await;
    assert_eq!(location(&renamed), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains("The device was renamed."), "{after}");
    assert!(
        after.contains("<tr><td>Office token</td><td>Hardware token</td>"),
        "{after}"
    );

    // Resync: two codes well ahead of now (a token that drifted 3 periods ahead).
    // One reading of the clock, so the two codes are always consecutive.
    let now = now_secs();
    let drifted = |steps: u64| totp_at(TOKEN_SEED, now + 30 * steps);
    let resynced = submit(
        &router,
        "/credentials/devices/resync",
        &cookie,
        &csrf,
        &format!("device={token}&first={}&second={}", drifted(3), drifted(4)),
    )
    .await;
    assert_eq!(location(&resynced), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains("The device is in sync again."), "{after}");
    // A pair that is not consecutive is refused, with the reason.
    let refused = submit(
        &router,
        "/credentials/devices/resync",
        &cookie,
        &csrf,
        &format!(
            "device={token}&first={}&second={}",
            drifted(20),
            drifted(25)
        ),
    )
    .await;
    assert_eq!(location(&refused), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains(r#"class="error""#), "{after}");

    // New recovery codes, within the step-up.
    let codes = submit(&router, "/credentials/recovery-codes", &cookie, &csrf, "").await;
    assert_eq!(codes.status(), StatusCode::OK);
    let codes = crate::common::body(codes).await;
    assert!(
        codes.contains("New recovery codes; the old ones no longer work."),
        "{codes}"
    );
    assert_eq!(codes_listed(&codes), 10, "{codes}");

    // Remove the token, within the step-up.
    let removed = submit(
        &router,
        "/credentials/devices/remove",
        &cookie,
        &csrf,
        &format!("device={token}"),
    )
    .await;
    assert_eq!(location(&removed), "/credentials");
    let cookie = cookie_of_or(&removed, &cookie);
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains("The device was removed."), "{after}");
    assert!(after.contains("<p>1 of 8 devices.</p>"), "{after}");
    assert!(!after.contains("Office token"), "{after}");

    // A device id that is not one, for each device form: back to the page, nothing done.
    for path in [
        "/credentials/devices/rename",
        "/credentials/devices/resync",
        "/credentials/devices/remove",
    ] {
        let answer = submit(&router, path, &cookie, &csrf, "device=nonsense&name=x").await;
        assert_eq!(location(&answer), "/credentials", "{path}");
    }
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains("<p>1 of 8 devices.</p>"), "{after}");
}

/// Removing a device and new recovery codes need a recent second factor: without one,
/// both go to the step-up page and nothing changes.
#[tokio::test]
async fn removal_and_new_codes_need_a_step_up() {
    let router = router().await;
    let (cookie, csrf, _) = with_app_key(&router, "dora").await;
    let listed = page(&router, "/credentials", &cookie).await;
    let app = device_id(&listed, "Phone");
    let removed = submit(
        &router,
        "/credentials/devices/remove",
        &cookie,
        &csrf,
        &format!("device={app}"),
    )
    .await;
    assert_eq!(location(&removed), "/step-up");
    let codes = submit(&router, "/credentials/recovery-codes", &cookie, &csrf, "").await;
    assert_eq!(location(&codes), "/step-up");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains("<p>1 of 8 devices.</p>"), "{after}");
}

/// The first app turns MFA on and shows the recovery codes; a second app, with MFA
/// already on, goes back to the page saying it is set up.
#[tokio::test]
async fn a_second_app_with_mfa_on_shows_no_new_codes() {
    let router = router().await;
    let (cookie, csrf, key) = with_app_key(&router, "edda").await;
    let cookie = step_up_by_app(&router, &cookie, &csrf, &key).await;
    let setup = submit(&router, "/credentials/app", &cookie, &csrf, "name=Tablet").await;
    assert_eq!(setup.status(), StatusCode::OK);
    let page_text = crate::common::body(setup).await;
    assert!(
        page_text.contains(
            r#"<figure class="qr" role="img" aria-label="QR code of the authenticator key"><svg"#
        ),
        "{page_text}"
    );
    let marker = r#"id="totp-key">"#;
    let start = page_text.find(marker).expect("the key") + marker.len();
    let second_key = &page_text[start..start + page_text[start..].find('<').expect("end")];
    let (first, second) = crate::common::consecutive_codes(second_key);
    let done = submit(
        &router,
        "/credentials/app/activate",
        &cookie,
        &csrf,
        &format!("first={first}&second={second}"),
    )
    .await;
    assert_eq!(location(&done), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(
        after.contains("Your authenticator app is set up."),
        "{after}"
    );
    assert!(
        after.contains("<tr><td>Tablet</td><td>Authenticator app</td>"),
        "{after}"
    );
    // Activation without a pending set-up goes back to the page.
    let none = submit(
        &router,
        "/credentials/app/activate",
        &cookie,
        &csrf,
        "first=123456&second=654321",
    )
    .await;
    assert_eq!(location(&none), "/credentials");
}

/// A password change: a wrong confirmation is refused with the reason; the right
/// one signs every other session out and keeps this one.
#[tokio::test]
async fn a_password_change_refused_then_done() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "fina").await;
    let new = "an+entirely+different+passphrase";
    let refused = submit(
        &router,
        "/credentials/password",
        &cookie,
        &csrf,
        &format!("current={PASSWORD}&new={new}&confirmation=something+else+entirely"),
    )
    .await;
    assert_eq!(location(&refused), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains(r#"class="error""#), "{after}");
    let changed = submit(
        &router,
        "/credentials/password",
        &cookie,
        &csrf,
        &format!("current={PASSWORD}&new={new}&confirmation={new}"),
    )
    .await;
    assert_eq!(location(&changed), "/credentials");
    let cookie = cookie_of_or(&changed, &cookie);
    let after = page(&router, "/credentials", &cookie).await;
    assert!(
        after.contains("Password changed. Every other session was signed out."),
        "{after}"
    );
}

/// A trusted browser is listed with a revoke button; revoking it empties the list.
#[tokio::test]
async fn a_trusted_browser_listed_and_revoked() {
    let router = router().await;
    let (cookie, csrf, _) = with_app_key(&router, "gala").await;
    // Sign in again with an emailed second factor, trusting the browser.
    let out = submit(&router, "/sign-out", &cookie, &csrf, "").await;
    assert_eq!(location(&out), "/sign-in");
    let (cookie, csrf) = crate::common::at_second_factor(&router, "gala").await;
    let email = submit(&router, "/sign-in/method", &cookie, &csrf, "method=email").await;
    assert_eq!(location(&email), "/sign-in/second-factor");
    let code = crate::common::newest_code(&router).await;
    let done = submit(
        &router,
        "/sign-in/second-factor",
        &cookie,
        &csrf,
        &format!("code={code}&trust=on"),
    )
    .await;
    assert_eq!(location(&done), "/credentials");
    let cookie = cookie_of_or(&done, &cookie);
    let listed = page(&router, "/credentials", &cookie).await;
    assert!(listed.contains("<li>Browser <form"), "{listed}");
    assert!(!listed.contains("No trusted browsers."), "{listed}");
    let marker = r#"name="id" value=""#;
    let start = listed.find(marker).expect("a browser id") + marker.len();
    let id = &listed[start..start + listed[start..].find('"').expect("quote")];
    let revoked = submit(
        &router,
        "/credentials/browsers/revoke",
        &cookie,
        &csrf,
        &format!("id={id}"),
    )
    .await;
    assert_eq!(location(&revoked), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(
        after.contains("That browser is no longer trusted."),
        "{after}"
    );
    assert!(after.contains("<li>No trusted browsers.</li>"), "{after}");
    // Revoking it again: the reason, not a failure.
    let again = submit(
        &router,
        "/credentials/browsers/revoke",
        &cookie,
        &csrf,
        &format!("id={id}"),
    )
    .await;
    assert_eq!(location(&again), "/credentials");
}

/// A phone number that is not one is refused with the reason; a wrong texted code
/// too, and the verify form stays.
#[tokio::test]
async fn a_phone_refused() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "hedy").await;
    let bad = submit(
        &router,
        "/credentials/phone",
        &cookie,
        &csrf,
        "number=call+me",
    )
    .await;
    assert_eq!(location(&bad), "/credentials");
    let after = page(&router, "/credentials", &cookie).await;
    assert!(after.contains(r#"class="error""#), "{after}");
    assert!(
        !after.contains(r#"action="/credentials/phone/verify""#),
        "{after}"
    );
    // Verifying with nothing pending: back to the page.
    let none = submit(
        &router,
        "/credentials/phone/verify",
        &cookie,
        &csrf,
        "code=123456",
    )
    .await;
    assert_eq!(location(&none), "/credentials");
}

/// A store failing under a change is the 503 page, not a reason on the Credentials
/// page; the page itself likewise.
#[tokio::test]
async fn a_failing_store_under_a_change_is_a_server_failure() {
    let (router, pool) = router_and_pool().await;
    let (cookie, csrf, _) = with_app_key(&router, "iris").await;
    let listed = page(&router, "/credentials", &cookie).await;
    let app = device_id(&listed, "Phone");
    break_table(&pool, "tessera_devices").await;
    let renamed = submit(
        &router,
        "/credentials/devices/rename",
        &cookie,
        &csrf,
        &format!("device={app}&name=Other"),
    )
    .await;
    assert!(is_server_failure(renamed).await);
    let page = fetch(&router, "/credentials", &cookie).await;
    assert!(is_server_failure(page).await);
}
