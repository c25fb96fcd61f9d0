//! The application in-process, through `tower::ServiceExt::oneshot`: the CSRF refusal,
//! the security headers, and one sign-up → sign-in → Credentials flow.

// Helpers outside #[test] functions panic on purpose: a panic is a failing test.
#![allow(clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use tessera_sqlx::SqlStores;
use tessera_web_example::{Options, app};
use tower::ServiceExt;

async fn router() -> Router {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!(
        "tessera-web-test-{nonce}-{}.sqlite",
        std::process::id()
    ));
    let stores = SqlStores::open_sqlite(&path).await.expect("sqlite");
    app(stores, &Options::default()).expect("app")
}

async fn body(response: Response<Body>) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// The session cookie a response sets, as a `Cookie` header value.
fn cookie(response: &Response<Body>) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tessera_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

fn csrf_of(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = page.find(marker).expect("a csrf field") + marker.len();
    let end = page[start..].find('"').expect("closing quote");
    page[start..start + end].to_owned()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request")
}

fn post(path: &str, cookie: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .expect("request")
}

/// A page and its session: the cookie and the CSRF token.
async fn open(router: &Router, path: &str) -> (String, String) {
    let response = router
        .clone()
        .oneshot(get(path, ""))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = cookie(&response).expect("a session cookie");
    let page = body(response).await;
    (cookie, csrf_of(&page))
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_strict_cookies() {
    let router = router().await;
    let response = router
        .clone()
        .oneshot(get("/sign-in", ""))
        .await
        .expect("response");
    let headers = response.headers();
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii");
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let set_cookie = headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    // The redirects and refusals too.
    let refused = router
        .oneshot(post("/sign-in", "", "username=a&password=b"))
        .await
        .expect("response");
    assert_eq!(refused.headers()[header::X_FRAME_OPTIONS], "DENY");
}

#[tokio::test]
async fn a_post_without_the_session_csrf_token_is_refused() {
    let router = router().await;
    let (cookie, csrf) = open(&router, "/sign-up").await;
    let form = "username=mallory&email=m%40example.com&password=correct+horse+battery+staple";
    // No token, a wrong token, a token without its session: all 403, no account made.
    for (cookie, form) in [
        (cookie.as_str(), form.to_owned()),
        (cookie.as_str(), format!("{form}&csrf=AAAA{}", &csrf[4..])),
        ("", format!("{form}&csrf={csrf}")),
    ] {
        let response = router
            .clone()
            .oneshot(post("/sign-up", cookie, &form))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    // The right token passes, so the account did not exist before.
    let response = router
        .oneshot(post("/sign-up", &cookie, &format!("{form}&csrf={csrf}")))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_up_sign_in_and_the_credentials_page() {
    let router = router().await;
    let (cookie, csrf) = open(&router, "/sign-up").await;
    let weak = router
        .clone()
        .oneshot(post(
            "/sign-up",
            &cookie,
            &format!("username=ana&email=ana%40example.com&password=ana&csrf={csrf}"),
        ))
        .await
        .expect("response");
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(weak).await.contains("That password cannot be used"));
    let created = router
        .clone()
        .oneshot(post(
            "/sign-up",
            &cookie,
            &format!("username=ana&email=ana%40example.com&password=correct+horse+battery+staple&csrf={csrf}"),
        ))
        .await
        .expect("response");
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let wrong = router
        .clone()
        .oneshot(post(
            "/sign-in",
            &cookie,
            &format!("username=ana&password=nope&csrf={csrf}"),
        ))
        .await
        .expect("response");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let signed_in = router
        .clone()
        .oneshot(post(
            "/sign-in",
            &cookie,
            &format!("username=ana&password=correct+horse+battery+staple&csrf={csrf}"),
        ))
        .await
        .expect("response");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[header::LOCATION], "/credentials");
    // A new session id at sign-in: the old cookie is worth nothing.
    let new_cookie = cookie_of_or(&signed_in, &cookie);
    assert_ne!(new_cookie, cookie);
    let page = router
        .clone()
        .oneshot(get("/credentials", &new_cookie))
        .await
        .expect("response");
    assert_eq!(page.status(), StatusCode::OK);
    let page = body(page).await;
    assert!(page.contains("Signed in as <strong>ana</strong>"));
    assert!(page.contains("Force Logout") && page.contains("Preferred MFA Method"));
    let old = router
        .oneshot(get("/credentials", &cookie))
        .await
        .expect("response");
    assert_eq!(old.status(), StatusCode::SEE_OTHER);
}

fn cookie_of_or(response: &Response<Body>, fallback: &str) -> String {
    cookie(response).unwrap_or_else(|| fallback.to_owned())
}

/// The development pages (the outbox shows one-time codes; the identity provider signs
/// anyone into a federated account without a password) exist on a development server
/// only: never behind an https origin, where others could reach them.
#[tokio::test]
async fn the_development_pages_exist_only_on_localhost() {
    let path =
        std::env::temp_dir().join(format!("tessera-web-https-{}.sqlite", std::process::id()));
    let stores = SqlStores::open_sqlite(&path).await.expect("sqlite");
    let options = Options {
        origin: Some("https://login.example.com".to_owned()),
        secure_cookies: true,
        ..Options::default()
    };
    let deployed = app(stores, &options).expect("app");
    let development = router().await;
    for path in ["/dev/outbox", "/dev/identity-provider"] {
        let gone = deployed
            .clone()
            .oneshot(get(path, ""))
            .await
            .expect("response");
        assert_eq!(gone.status(), StatusCode::NOT_FOUND, "{path}");
        let there = development
            .clone()
            .oneshot(get(path, ""))
            .await
            .expect("response");
        assert_eq!(there.status(), StatusCode::OK, "{path}");
    }
    let sign_in = body(
        deployed
            .oneshot(get("/sign-in", ""))
            .await
            .expect("response"),
    )
    .await;
    assert!(!sign_in.contains("/dev/"), "{sign_in}");
    let sign_in = body(
        development
            .oneshot(get("/sign-in", ""))
            .await
            .expect("response"),
    )
    .await;
    assert!(sign_in.contains(r#"<a href="/dev/outbox">Outbox</a>"#));
}
