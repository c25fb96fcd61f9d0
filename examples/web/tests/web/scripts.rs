//! The two features that use JavaScript, in process: the password check the new-password
//! fields call as the person types, and the security-key ceremony pages. (The browser
//! tests run them in Chromium: `examples/web/browser/tests/scripted.test.mjs`.)

#![allow(clippy::expect_used)]

use crate::common::{body, get, open, post, router, signed_in};
use axum::http::{StatusCode, header};
use tessera_sqlx::SqlStores;
use tessera_web_example::{Options, app};
use tower::ServiceExt;

#[tokio::test]
async fn the_password_check_lists_the_violations_one_a_line_and_needs_the_token() {
    let router = router().await;
    let (cookie, csrf) = open(&router, "/sign-up").await;
    let ask = |password: &str, token: Option<&str>| {
        let mut request = post(
            "/password/check",
            &cookie,
            &format!("password={password}&username=mirela&email=mirela%40example.com"),
        );
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("x-csrf-token", token.parse().expect("header"));
        }
        router.clone().oneshot(request)
    };
    // Without the session's token (or with another): refused like any post.
    for token in [None, Some("AAAA")] {
        let refused = ask("mirela2024", token).await.expect("response");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    let weak = ask("mirela2024", Some(&csrf)).await.expect("response");
    assert_eq!(weak.status(), StatusCode::OK);
    assert_eq!(weak.headers()[header::CACHE_CONTROL], "no-store");
    assert!(
        weak.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain")
    );
    let said = body(weak).await;
    let lines: Vec<&str> = said.lines().collect();
    assert!(lines.len() >= 2, "{said}");
    assert!(said.contains("15"), "the length: {said}");
    assert!(said.to_lowercase().contains("username"), "the name: {said}");
    assert!(!said.contains("mirela2024"), "the password is never echoed");
    let good = ask("quiet+lanterns+drift+over+harbour", Some(&csrf))
        .await
        .expect("response");
    assert_eq!(good.status(), StatusCode::OK);
    assert_eq!(body(good).await, "");
}

#[tokio::test]
async fn a_signed_in_check_uses_the_accounts_own_name() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "ilinca").await;
    let mut request = post(
        "/password/check",
        &cookie,
        "password=ilinca+ilinca+ilinca+1",
    );
    request
        .headers_mut()
        .insert("x-csrf-token", csrf.parse().expect("header"));
    let said = body(router.oneshot(request).await.expect("response")).await;
    assert!(said.to_lowercase().contains("username"), "{said}");
}

#[tokio::test]
async fn the_security_key_page_carries_escaped_options_and_no_inline_script() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "kiri").await;
    let response = router
        .clone()
        .oneshot(post(
            "/credentials/security-key",
            &cookie,
            &format!("name=%3Cb%3EBlue%22key&csrf={csrf}"),
        ))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let page = body(response).await;
    assert!(
        page.contains(r#"data-ceremony="create" data-options="{&quot;publicKey&quot;:"#),
        "{page}"
    );
    assert!(page.contains("&quot;rp&quot;:{&quot;name&quot;:&quot;Tessera web example&quot;,&quot;id&quot;:&quot;localhost&quot;}"));
    // The name typed is kept escaped in the form; nothing of it becomes markup.
    assert!(page.contains(r#"name="name" value="&lt;b&gt;Blue&quot;key""#));
    assert!(!page.contains("<b>Blue"));
    // Every script is a same-origin file: the CSP has no 'unsafe-inline'.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(page.contains(r#"<script src="/static/webauthn.js"></script>"#));
    let script = router
        .oneshot(get("/static/webauthn.js", ""))
        .await
        .expect("response");
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert!(body(script).await.contains("navigator.credentials.create"));
}

#[tokio::test]
async fn a_forged_registration_is_refused_and_uses_the_ceremony_up() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "vasile").await;
    let started = router
        .clone()
        .oneshot(post(
            "/credentials/security-key",
            &cookie,
            &format!("name=Key&csrf={csrf}"),
        ))
        .await
        .expect("response");
    assert_eq!(started.status(), StatusCode::OK);
    let forged = r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"attestationObject":"AAAA","clientDataJSON":"AAAA"},"extensions":{}}"#;
    let form = format!(
        "name=Key&csrf={csrf}&credential={}",
        form_urlencoded::byte_serialize(forged.as_bytes()).collect::<String>()
    );
    for attempt in 0..2 {
        let response = router
            .clone()
            .oneshot(post("/credentials/security-key/finish", &cookie, &form))
            .await
            .expect("response");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "attempt {attempt}"
        );
        assert_eq!(response.headers()[header::LOCATION], "/credentials");
    }
    // No device was added.
    let page = body(
        router
            .oneshot(get("/credentials", &cookie))
            .await
            .expect("response"),
    )
    .await;
    assert!(page.contains("0 of 8 devices"), "{page}");
    assert!(page.contains(r#"role="alert""#), "the refusal is said");
}

#[tokio::test]
async fn webauthn_needs_a_host_name_so_an_ip_origin_is_refused_at_start() {
    let path =
        std::env::temp_dir().join(format!("tessera-web-origin-{}.sqlite", std::process::id()));
    let stores = SqlStores::open_sqlite(&path).await.expect("sqlite");
    let options = Options {
        origin: Some("http://127.0.0.1:8080".to_owned()),
        ..Options::default()
    };
    assert!(app(stores, &options).is_err());
}
