//! What the in-process tests share: an application on a fresh SQLite file, requests with
//! a session cookie and CSRF token, and the pieces of a response they read.

// Each test module uses some of these.
#![allow(dead_code, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use tessera_sqlx::SqlStores;
use tessera_web_example::{Options, app};
use tower::ServiceExt;

/// The password of every account the tests make (form-encoded).
pub(crate) const PASSWORD: &str = "correct+horse+battery+staple";

pub(crate) async fn router() -> Router {
    router_and_pool().await.0
}

/// An application on a fresh SQLite file, and its pool: closing the pool makes every
/// store call fail as a server would (unavailable).
pub(crate) async fn router_and_pool() -> (Router, tessera_sqlx::SqlPool) {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!(
        "tessera-web-test-{nonce}-{}.sqlite",
        std::process::id()
    ));
    let stores = SqlStores::open_sqlite(&path).await.expect("sqlite");
    let pool = stores.pool().clone();
    (app(stores, &Options::default()).expect("app"), pool)
}

pub(crate) async fn body(response: Response<Body>) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// The session cookie a response sets, as a `Cookie` header value.
pub(crate) fn cookie(response: &Response<Body>) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tessera_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub(crate) fn csrf_of(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker).expect("a csrf field") + marker.len();
    let end = page[start..].find('"').expect("closing quote");
    page[start..start + end].to_owned()
}

pub(crate) fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request")
}

pub(crate) fn post(path: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .expect("request")
}

/// A page and its session: the cookie and the CSRF token.
pub(crate) async fn open(router: &Router, path: &str) -> (String, String) {
    let response = fetch(router, path, "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = cookie(&response).expect("a session cookie");
    let page = body(response).await;
    (cookie, csrf_of(&page))
}

/// The session cookie a response sets, or the one the request had.
pub(crate) fn cookie_of_or(response: &Response<Body>, fallback: &str) -> String {
    cookie(response).unwrap_or_else(|| fallback.to_owned())
}

/// Signs `name` up (no MFA) with [`PASSWORD`] and `name@example.com`, in a new session:
/// that session's cookie and CSRF token (not signed in).
pub(crate) async fn sign_up(router: &Router, name: &str) -> (String, String) {
    let (cookie, csrf) = open(router, "/sign-up").await;
    let created = submit(
        router,
        "/sign-up",
        &cookie,
        &csrf,
        &format!("username={name}&email={name}%40example.com&password={PASSWORD}"),
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    (cookie, csrf)
}

/// A signed-in session of a new account `name` (no MFA): its cookie and CSRF token.
pub(crate) async fn signed_in(router: &Router, name: &str) -> (String, String) {
    let (cookie, csrf) = sign_up(router, name).await;
    let response = submit(
        router,
        "/sign-in",
        &cookie,
        &csrf,
        &format!("username={name}&password={PASSWORD}"),
    )
    .await;
    assert_eq!(location(&response), "/credentials");
    (cookie_of_or(&response, &cookie), csrf)
}

/// The newest one-time code in the development outbox.
pub(crate) async fn newest_code(router: &Router) -> String {
    let page = page(router, "/dev/outbox", "").await;
    let row = page.split("<tr><td>").nth(1).expect("a sent message");
    let text = row.split("<pre>").nth(1).expect("its text");
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(digits.len(), 6, "{row}");
    digits
}

/// Two consecutive TOTP codes of `key` (base32), the previous period's and this one's,
/// from one reading of the clock (so never two periods apart).
pub(crate) fn consecutive_codes(key: &str) -> (String, String) {
    let now = now_secs();
    (totp_at(key, now - 30), totp_at(key, now))
}

/// The clock, in seconds since 1970.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The TOTP code of `key` (base32, default parameters) at `secs` since 1970.
pub(crate) fn totp_at(key: &str, secs: u64) -> String {
    let secret = tessera::otp::Secret::from_base32(key).expect("a key");
    tessera::otp::Totp::new(&secret, tessera::otp::TotpParams::DEFAULT)
        .generate(tessera::UnixTime::from_secs(secs))
        .expect("a code")
        .expose()
        .to_owned()
}

/// The TOTP code of `key` (base32) one period ahead: inside the default window, and
/// never one that [`with_app_key`]'s activation used.
pub(crate) fn totp_next(key: &str) -> String {
    totp_at(key, now_secs() + 30)
}

/// A step-up with the app of `key` (its next code), in the signed-in session of
/// `cookie`: the session's new cookie (renewed, with a fresh second factor strong
/// enough to bind any factor).
pub(crate) async fn step_up_by_app(router: &Router, cookie: &str, csrf: &str, key: &str) -> String {
    let asked = page(router, "/step-up", cookie).await;
    assert!(asked.contains("authenticator app shows"), "{asked}");
    let code = totp_next(key);
    let confirmed = submit(router, "/step-up", cookie, csrf, &format!("code={code}")).await;
    assert_eq!(location(&confirmed), "/credentials");
    cookie_of_or(&confirmed, cookie)
}

/// Signs `name` up and in, and sets up an authenticator app (MFA comes on with it).
pub(crate) async fn with_app(router: &Router, name: &str) -> (String, String) {
    let (cookie, csrf, _) = with_app_key(router, name).await;
    (cookie, csrf)
}

/// [`with_app`], and the app's key (base32).
pub(crate) async fn with_app_key(router: &Router, name: &str) -> (String, String, String) {
    let (cookie, csrf) = signed_in(router, name).await;
    let setup = submit(router, "/credentials/app", &cookie, &csrf, "name=Phone").await;
    assert_eq!(setup.status(), StatusCode::OK);
    let page = body(setup).await;
    let marker = r#"id="totp-key">"#;
    let start = page.find(marker).expect("the key in text") + marker.len();
    let key = page[start..start + page[start..].find('<').expect("end of key")].to_owned();
    let (first, second) = consecutive_codes(&key);
    let activated = submit(
        router,
        "/credentials/app/activate",
        &cookie,
        &csrf,
        &format!("first={first}&second={second}"),
    )
    .await;
    // The first factor turns MFA on: the recovery codes, shown once.
    assert_eq!(activated.status(), StatusCode::OK);
    let codes = body(activated).await;
    assert!(
        codes.contains("Your authenticator app is set up and multi-factor authentication is on."),
        "{codes}"
    );
    assert!(codes.contains(r#"<ul class="codes""#), "{codes}");
    (cookie, csrf, key)
}

/// A `GET` of `path` in the session of `cookie`: its body (any status).
pub(crate) async fn page(router: &Router, path: &str, cookie: &str) -> String {
    body(fetch(router, path, cookie).await).await
}

/// A `POST` of `form` (as given, the CSRF token in it or not) to `path` in the session
/// of `cookie`.
pub(crate) async fn send(router: &Router, path: &str, cookie: &str, form: &str) -> Response<Body> {
    router
        .clone()
        .oneshot(post(path, cookie, form))
        .await
        .expect("response")
}

/// A `POST` of `form` (the CSRF token added) to `path` in the session of `cookie`.
pub(crate) async fn submit(
    router: &Router,
    path: &str,
    cookie: &str,
    csrf: &str,
    form: &str,
) -> Response<Body> {
    let form = if form.is_empty() {
        format!("csrf={csrf}")
    } else {
        format!("{form}&csrf={csrf}")
    };
    send(router, path, cookie, &form).await
}

/// Where a redirect goes.
pub(crate) fn location(response: &Response<Body>) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether a response is the 503 page of a server failure.
pub(crate) async fn is_server_failure(response: Response<Body>) -> bool {
    response.status() == StatusCode::SERVICE_UNAVAILABLE
        && body(response)
            .await
            .contains("Something went wrong on our side")
}

/// Renames `table` away, so that every use of it fails as a broken database would,
/// while the other tables still answer.
pub(crate) async fn break_table(pool: &tessera_sqlx::SqlPool, table: &str) {
    let tessera_sqlx::SqlPool::Sqlite(pool) = pool else {
        panic!("the tests run on SQLite");
    };
    sqlx::query(&format!("ALTER TABLE {table} RENAME TO {table}_broken"))
        .execute(pool)
        .await
        .expect("rename");
}

/// The one message of every refused code (as the application words it).
pub(crate) const CODE_FAILED: &str = "That code did not work, or there were too many attempts. Check the code and try again; after repeated failures, wait before trying again.";

/// The seed of the hardware token [`add_hardware_token`] adds (base32).
pub(crate) const TOKEN_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// A `GET` of `path` in the session of `cookie`.
pub(crate) async fn fetch(router: &Router, path: &str, cookie: &str) -> Response<Body> {
    router
        .clone()
        .oneshot(get(path, cookie))
        .await
        .expect("response")
}

/// Adds a hardware token ("Desk token", serial HT-0001, [`TOKEN_SEED`]) to the signed-in
/// account of `cookie` (with a fresh second factor), checking the page says so.
pub(crate) async fn add_hardware_token(router: &Router, cookie: &str, csrf: &str) {
    let (first, second) = consecutive_codes(TOKEN_SEED);
    let added = submit(
        router,
        "/credentials/hardware-token",
        cookie,
        csrf,
        &format!("name=Desk+token&serial=HT-0001&seed={TOKEN_SEED}&first={first}&second={second}"),
    )
    .await;
    assert_eq!(location(&added), "/credentials");
    let after = page(router, "/credentials", cookie).await;
    assert!(after.contains("Your hardware token is added"), "{after}");
}

/// Links and verifies +447700900123 for the signed-in account of `cookie` with the
/// texted code (with a fresh second factor), checking the page says so.
pub(crate) async fn verify_phone(router: &Router, cookie: &str, csrf: &str) {
    let sent = submit(
        router,
        "/credentials/phone",
        cookie,
        csrf,
        "number=%2B447700900123",
    )
    .await;
    assert_eq!(location(&sent), "/credentials");
    let asked = page(router, "/credentials", cookie).await;
    assert!(
        asked.contains("We sent a code to that number by text message."),
        "{asked}"
    );
    assert!(
        asked.contains(r#"action="/credentials/phone/verify""#),
        "{asked}"
    );
    let code = newest_code(router).await;
    let verified = submit(
        router,
        "/credentials/phone/verify",
        cookie,
        csrf,
        &format!("code={code}"),
    )
    .await;
    assert_eq!(location(&verified), "/credentials");
    let after = page(router, "/credentials", cookie).await;
    assert!(after.contains("Your phone number is verified."), "{after}");
    assert!(
        after.contains("A verified phone number is linked; text-message codes can be used."),
        "{after}"
    );
    assert!(
        !after.contains(r#"action="/credentials/phone/verify""#),
        "{after}"
    );
}

/// A step-up with an emailed code, in the signed-in session of `cookie` (an account
/// with MFA on): the session's new cookie (renewed, with a fresh second factor).
pub(crate) async fn step_up_by_email(router: &Router, cookie: &str, csrf: &str) -> String {
    let asked = fetch(router, "/step-up", cookie).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let chosen = submit(router, "/step-up", cookie, csrf, "method=email").await;
    assert_eq!(location(&chosen), "/step-up");
    let code = newest_code(router).await;
    let confirmed = submit(router, "/step-up", cookie, csrf, &format!("code={code}")).await;
    assert_eq!(location(&confirmed), "/credentials");
    cookie_of_or(&confirmed, cookie)
}

/// Signs `name` (an account with MFA on, made by [`signed_in`]) in with its password in
/// a new session: its cookie and CSRF token, at the second-factor step.
pub(crate) async fn at_second_factor(router: &Router, name: &str) -> (String, String) {
    let (cookie, csrf) = open(router, "/sign-in").await;
    let response = send(
        router,
        "/sign-in",
        &cookie,
        &format!("username={name}&password={PASSWORD}&csrf={csrf}"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in/second-factor");
    (cookie_of_or(&response, &cookie), csrf)
}
