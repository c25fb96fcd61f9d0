//! The application in-process, through `tower::ServiceExt::oneshot`: the CSRF refusal,
//! the security headers, and one sign-up → sign-in → Credentials flow.

// Helpers outside #[test] functions panic on purpose: a panic is a failing test.
#![allow(clippy::expect_used)]

use crate::common::{body, cookie_of_or, get, open, post, router};
use axum::http::{StatusCode, header};
use tessera_sqlx::SqlStores;
use tessera_web_example::{Options, app};
use tower::ServiceExt;

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
