//! Security keys in-process (`oneshot`), with real WebAuthn ceremonies: a software
//! passkey answers the options each page carries, and the credential is posted back in
//! the form field the page's script fills. Registration (which turns MFA on), the key
//! as a sign-in's second factor, a step-up with it, refused answers, and a store
//! failure while a ceremony starts.

#![allow(clippy::expect_used)]

use crate::common::{
    body, cookie_of_or, fetch, location, page, router, router_and_pool, send, signed_in, with_app,
};
use axum::Router;
use axum::http::StatusCode;
use tessera::webauthn::{CreationChallengeResponse, RequestChallengeResponse, Url};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const KEY_FAILED: &str = "The security key was not accepted, or there were too many attempts. Try again, or use another method.";

/// The origin the application checks by default (`Options::default()`).
fn origin() -> Url {
    "http://localhost".parse().expect("a url")
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The value of the attribute `name` on the page, unescaped.
fn attribute(page: &str, name: &str) -> String {
    let marker = format!(r#"{name}=""#);
    let start = page.find(&marker).expect("the attribute") + marker.len();
    let end = page[start..].find('"').expect("its closing quote");
    page[start..start + end]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Registers `browser` on the signed-in account of `cookie` (no MFA yet), as the page
/// and its script would; asserts what the pages say.
async fn register(router: &Router, cookie: &str, csrf: &str, browser: &mut SoftPasskey) {
    let started = send(
        router,
        "/credentials/security-key",
        cookie,
        &format!("name=Blue+key&csrf={csrf}"),
    )
    .await;
    assert_eq!(started.status(), StatusCode::OK);
    let ceremony = body(started).await;
    assert!(
        ceremony.contains("<h1>Register a security key</h1>"),
        "{ceremony}"
    );
    assert!(
        ceremony.contains("Insert or unlock your security key, press the button"),
        "{ceremony}"
    );
    assert!(
        ceremony.contains(
            r#"<button type="button" id="webauthn-start" disabled>Register security key</button>"#
        ),
        "{ceremony}"
    );
    assert!(
        ceremony.contains(
            r#"<form method="post" action="/credentials/security-key/finish" id="webauthn-form">"#
        ),
        "{ceremony}"
    );
    assert!(
        ceremony.contains(r#"<a href="/credentials">Cancel</a>"#),
        "{ceremony}"
    );
    assert_eq!(attribute(&ceremony, "data-ceremony"), "create");
    let options: CreationChallengeResponse =
        serde_json::from_str(&attribute(&ceremony, "data-options")).expect("creation options");
    let credential = browser
        .do_registration(origin(), options)
        .expect("the passkey registers");
    let json = serde_json::to_string(&credential).expect("json");
    let finished = send(
        router,
        "/credentials/security-key/finish",
        cookie,
        &format!("name=Blue+key&credential={}&csrf={csrf}", encoded(&json)),
    )
    .await;
    // The first factor turns MFA on: the recovery codes are shown once.
    assert_eq!(finished.status(), StatusCode::OK);
    let done = body(finished).await;
    assert!(
        done.contains("Your security key is registered and multi-factor authentication is on."),
        "{done}"
    );
    let credentials = page(router, "/credentials", cookie).await;
    // Listed by its kind, with rename and remove but no resync (it shows no codes).
    assert!(
        credentials.contains("<tr><td>Blue key</td><td>Security key</td>"),
        "{credentials}"
    );
    assert!(credentials.contains("Rename Blue key"), "{credentials}");
    assert!(!credentials.contains("Resync Blue key"), "{credentials}");
}

/// Posts `path` (a ceremony's start) and returns its page, asserting it is an
/// assertion ("get") page whose form posts to `action` and whose cancel link is `back`.
async fn assertion_page(
    router: &Router,
    path: &str,
    cookie: &str,
    csrf: &str,
    action: &str,
    back: &str,
) -> RequestChallengeResponse {
    let response = send(router, path, cookie, &format!("csrf={csrf}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let ceremony = body(response).await;
    assert!(
        ceremony.contains("<h1>Use your security key</h1>"),
        "{ceremony}"
    );
    assert!(
        ceremony.contains(
            "Press the button, then touch your security key or confirm with your device."
        ),
        "{ceremony}"
    );
    assert!(
        ceremony.contains(
            r#"<button type="button" id="webauthn-start" disabled>Use security key</button>"#
        ),
        "{ceremony}"
    );
    assert!(
        ceremony.contains(&format!(
            r#"<form method="post" action="{action}" id="webauthn-form">"#
        )),
        "{ceremony}"
    );
    assert!(
        ceremony.contains(&format!(r#"<a href="{back}">Cancel</a>"#)),
        "{ceremony}"
    );
    assert!(ceremony.contains(r#"<input type="hidden" name="credential" value="">"#));
    assert_eq!(attribute(&ceremony, "data-ceremony"), "get");
    serde_json::from_str(&attribute(&ceremony, "data-options")).expect("request options")
}

/// The passkey's answer to `options`, as the form field carries it.
fn answer(browser: &mut SoftPasskey, options: RequestChallengeResponse) -> String {
    let credential = browser
        .do_authentication(origin(), options)
        .expect("the passkey answers");
    encoded(&serde_json::to_string(&credential).expect("json"))
}

/// A credential no key made.
fn forged() -> String {
    encoded(
        r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"authenticatorData":"AAAA","clientDataJSON":"AAAA","signature":"AAAA","userHandle":null},"extensions":{}}"#,
    )
}

/// A key registered as the first factor turns MFA on; it is then the second factor at
/// sign-in, and it confirms a step-up.
#[tokio::test]
async fn a_registered_key_signs_in_and_steps_up() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "kalinda").await;
    let mut browser = SoftPasskey::new(true);
    register(&router, &cookie, &csrf, &mut browser).await;

    // The password alone no longer signs in: the key is asked for.
    let (cookie, csrf) = crate::common::at_second_factor(&router, "kalinda").await;
    let asked = page(&router, "/sign-in/second-factor", &cookie).await;
    assert!(
        asked.contains(r#"<form method="post" action="/sign-in/security-key">"#),
        "{asked}"
    );
    let options = assertion_page(
        &router,
        "/sign-in/security-key",
        &cookie,
        &csrf,
        "/sign-in/security-key/finish",
        "/sign-in/second-factor",
    )
    .await;
    let credential = answer(&mut browser, options);
    let signed_in = send(
        &router,
        "/sign-in/security-key/finish",
        &cookie,
        &format!("credential={credential}&csrf={csrf}"),
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_in), "/credentials");
    let cookie = cookie_of_or(&signed_in, &cookie);
    let credentials = fetch(&router, "/credentials", &cookie).await;
    assert_eq!(credentials.status(), StatusCode::OK);
    let credentials = body(credentials).await;
    assert!(
        credentials.contains("Signed in as <strong>kalinda</strong>"),
        "{credentials}"
    );
    // The same answer again (its ceremony used up): back to the second factor.
    let replayed = send(
        &router,
        "/sign-in/security-key/finish",
        &cookie,
        &format!("credential={credential}&csrf={csrf}"),
    )
    .await;
    assert_ne!(location(&replayed), "/credentials");

    // A step-up with the key.
    let step_up = page(&router, "/step-up", &cookie).await;
    assert!(
        step_up.contains(r#"action="/step-up/security-key""#),
        "{step_up}"
    );
    let options = assertion_page(
        &router,
        "/step-up/security-key",
        &cookie,
        &csrf,
        "/step-up/security-key/finish",
        "/credentials",
    )
    .await;
    let credential = answer(&mut browser, options);
    let confirmed = send(
        &router,
        "/step-up/security-key/finish",
        &cookie,
        &format!("credential={credential}&csrf={csrf}"),
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&confirmed), "/credentials");
    let cookie = cookie_of_or(&confirmed, &cookie);
    let after = page(&router, "/credentials", &cookie).await;
    assert!(
        after.contains("Confirmed. You can make the change now."),
        "{after}"
    );
}

/// A forged answer at sign-in is refused with the one message, the ceremony used up.
#[tokio::test]
async fn a_forged_answer_at_sign_in_is_refused() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "dorin").await;
    let mut browser = SoftPasskey::new(true);
    register(&router, &cookie, &csrf, &mut browser).await;
    let (cookie, csrf) = crate::common::at_second_factor(&router, "dorin").await;
    let _ = assertion_page(
        &router,
        "/sign-in/security-key",
        &cookie,
        &csrf,
        "/sign-in/security-key/finish",
        "/sign-in/second-factor",
    )
    .await;
    let refused = send(
        &router,
        "/sign-in/security-key/finish",
        &cookie,
        &format!("credential={}&csrf={csrf}", forged()),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&refused), "/sign-in/second-factor");
    let asked = page(&router, "/sign-in/second-factor", &cookie).await;
    assert!(asked.contains(KEY_FAILED), "{asked}");
    // Not signed in.
    let credentials = fetch(&router, "/credentials", &cookie).await;
    assert_eq!(credentials.status(), StatusCode::SEE_OTHER);
    // Without a ceremony, the finish sends back to the second factor.
    let unstarted = send(
        &router,
        "/sign-in/security-key/finish",
        &cookie,
        &format!("credential={}&csrf={csrf}", forged()),
    )
    .await;
    assert_eq!(location(&unstarted), "/sign-in/second-factor");
}

/// A forged answer at a step-up is refused with the one message.
#[tokio::test]
async fn a_forged_answer_at_a_step_up_is_refused() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "ilie").await;
    let mut browser = SoftPasskey::new(true);
    register(&router, &cookie, &csrf, &mut browser).await;
    let _ = page(&router, "/step-up", &cookie).await;
    let _ = assertion_page(
        &router,
        "/step-up/security-key",
        &cookie,
        &csrf,
        "/step-up/security-key/finish",
        "/credentials",
    )
    .await;
    let refused = send(
        &router,
        "/step-up/security-key/finish",
        &cookie,
        &format!("credential={}&csrf={csrf}", forged()),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&refused), "/step-up");
    let asked = page(&router, "/step-up", &cookie).await;
    assert!(asked.contains(KEY_FAILED), "{asked}");
}

/// A sign-in whose account has no security key: the ceremony is refused before it
/// starts, with the one message.
#[tokio::test]
async fn a_key_ceremony_without_a_key_is_refused() {
    let router = router().await;
    let _ = with_app(&router, "anca").await;
    let (cookie, csrf) = crate::common::at_second_factor(&router, "anca").await;
    let refused = send(
        &router,
        "/sign-in/security-key",
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&refused), "/sign-in/second-factor");
    let asked = page(&router, "/sign-in/second-factor", &cookie).await;
    assert!(asked.contains(KEY_FAILED), "{asked}");
}

/// The store failing as the ceremony starts (the account's keys cannot be read): 503.
#[tokio::test]
async fn a_failing_store_as_a_key_ceremony_starts_is_a_server_error() {
    let (router, pool) = router_and_pool().await;
    let (cookie, csrf) = signed_in(&router, "sorin").await;
    let mut browser = SoftPasskey::new(true);
    register(&router, &cookie, &csrf, &mut browser).await;
    let (cookie, csrf) = crate::common::at_second_factor(&router, "sorin").await;
    pool.close().await;
    let response = send(
        &router,
        "/sign-in/security-key",
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = body(response).await;
    assert!(page.contains("Something went wrong on our side"), "{page}");
}

/// Without a pending step-up, or a ceremony, the step-up's key routes send to the
/// step-up page.
#[tokio::test]
async fn the_step_up_key_routes_need_a_step_up() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "toma").await;
    for path in ["/step-up/security-key", "/step-up/security-key/finish"] {
        let response = send(
            &router,
            path,
            &cookie,
            &format!("credential={}&csrf={csrf}", forged()),
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/step-up", "{path}");
    }
}
