//! The forgot-password flow in-process (`oneshot`): each page, the whole reset without
//! and with MFA, each step's refusal of a person's mistake, and each step's 503 when a
//! store fails under it.

#![allow(clippy::expect_used)]

use crate::common::{
    body, cookie_of_or, fetch, location, newest_code, open, router, router_and_pool, send, sign_up,
};
use axum::Router;
use axum::http::StatusCode;

use crate::common::PASSWORD;
const NEW_PASSWORD: &str = "quiet+lanterns+drift+over+harbour";

async fn page(router: &Router, path: &str, cookie: &str) -> (StatusCode, String) {
    let response = fetch(router, path, cookie).await;
    (response.status(), body(response).await)
}

/// A six-digit code that is not `code`.
fn other_code(code: &str) -> String {
    let mut digits: Vec<char> = code.chars().collect();
    let last = digits.last_mut().expect("a digit");
    *last = if *last == '0' { '1' } else { '0' };
    digits.into_iter().collect()
}

/// A reset session that asked for `name`'s code: its cookie and CSRF token.
async fn reset_started(router: &Router, name: &str) -> (String, String) {
    let (cookie, csrf) = open(router, "/forgot-password").await;
    let started = send(
        router,
        "/forgot-password",
        &cookie,
        &format!("username={name}&csrf={csrf}"),
    )
    .await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&started), "/forgot-password/code");
    (cookie_of_or(&started, &cookie), csrf)
}

/// [`reset_started`], then the emailed code: the session is at the new-password step
/// (no MFA) or the second-factor step (MFA on).
async fn code_verified(router: &Router, name: &str, next: &str) -> (String, String) {
    let (cookie, csrf) = reset_started(router, name).await;
    let code = newest_code(router).await;
    let verified = send(
        router,
        "/forgot-password/code",
        &cookie,
        &format!("code={code}&csrf={csrf}"),
    )
    .await;
    assert_eq!(verified.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&verified), next);
    (cookie_of_or(&verified, &cookie), csrf)
}

/// Signs `name` in with `password`: where the sign-in sends the browser (or its status).
async fn sign_in_goes_to(router: &Router, name: &str, password: &str) -> String {
    let (cookie, csrf) = open(router, "/sign-in").await;
    let response = send(
        router,
        "/sign-in",
        &cookie,
        &format!("username={name}&password={password}&csrf={csrf}"),
    )
    .await;
    if response.status() == StatusCode::SEE_OTHER {
        location(&response).to_owned()
    } else {
        response.status().to_string()
    }
}

#[tokio::test]
async fn the_forgot_password_page_asks_for_a_username() {
    let router = router().await;
    let (status, page) = page(&router, "/forgot-password", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>Forgot password</h1>"), "{page}");
    assert!(
        page.contains(r#"<form method="post" action="/forgot-password">"#),
        "{page}"
    );
    assert!(page.contains(r#"name="username""#), "{page}");
    assert!(page.contains(r#"name="csrf" value=""#), "{page}");
    assert!(page.contains("Email me a code"), "{page}");
}

/// Without MFA: the username, the emailed code, a new password; the old password stops
/// working and the new one signs in.
#[tokio::test]
async fn a_reset_without_mfa_sets_a_new_password() {
    let router = router().await;
    let _ = sign_up(&router, "rosa").await;
    let (cookie, csrf) = reset_started(&router, "rosa").await;

    // The code page says a code was sent (the same for any username), and asks for it.
    let (status, asked) = page(&router, "/forgot-password/code", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        asked.contains("<h1>Enter the code we emailed</h1>"),
        "{asked}"
    );
    assert!(
        asked.contains("If that username has an account, we emailed a code to its address."),
        "{asked}"
    );
    assert!(
        asked.contains(r#"<form method="post" action="/forgot-password/code">"#),
        "{asked}"
    );
    assert!(asked.contains(r#"name="code""#), "{asked}");

    // The code is in the outbox, sent to the account's address.
    let outbox = page(&router, "/dev/outbox", "").await.1;
    assert!(
        outbox.contains("<tr><td>Email</td><td>r***@example.com</td><td>PasswordReset</td>"),
        "{outbox}"
    );
    let code = newest_code(&router).await;

    // A wrong code: back to the code page, which says so.
    let wrong = send(
        &router,
        "/forgot-password/code",
        &cookie,
        &format!("code={}&csrf={csrf}", other_code(&code)),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&wrong), "/forgot-password/code");
    let again = page(&router, "/forgot-password/code", &cookie).await.1;
    assert!(again.contains(crate::common::CODE_FAILED), "{again}");

    // The right code: the new-password step.
    let verified = send(
        &router,
        "/forgot-password/code",
        &cookie,
        &format!("code=+{code}+&csrf={csrf}"),
    )
    .await;
    assert_eq!(verified.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&verified), "/forgot-password/new");
    let cookie = cookie_of_or(&verified, &cookie);

    let (status, form) = page(&router, "/forgot-password/new", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("<h1>Choose a new password</h1>"), "{form}");
    assert!(
        form.contains(r#"<form method="post" action="/forgot-password/new">"#),
        "{form}"
    );
    assert!(form.contains(r#"name="new""#) && form.contains(r#"name="confirmation""#));
    assert!(form.contains(r#"<script src="/static/password.js"></script>"#));

    // A confirmation that differs: refused with the reason, the form again.
    let refused = send(
        &router,
        "/forgot-password/new",
        &cookie,
        &format!("new={NEW_PASSWORD}&confirmation={NEW_PASSWORD}x&csrf={csrf}"),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = body(refused).await;
    assert!(
        refused.contains(r#"role="alert">That password cannot be used: "#),
        "{refused}"
    );
    assert!(
        refused.contains(r#"<form method="post" action="/forgot-password/new">"#),
        "{refused}"
    );

    // The new password: set, and the sign-in page says so.
    let done = send(
        &router,
        "/forgot-password/new",
        &cookie,
        &format!("new={NEW_PASSWORD}&confirmation={NEW_PASSWORD}&csrf={csrf}"),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/sign-in");
    let cookie = cookie_of_or(&done, &cookie);
    let sign_in = page(&router, "/sign-in", &cookie).await.1;
    assert!(
        sign_in.contains("Your password was reset. Sign in with the new one."),
        "{sign_in}"
    );
    // The reset is used up.
    let replayed = send(
        &router,
        "/forgot-password/new",
        &cookie,
        &format!("new={NEW_PASSWORD}&confirmation={NEW_PASSWORD}&csrf={csrf}"),
    )
    .await;
    assert_eq!(location(&replayed), "/forgot-password");

    assert_eq!(
        sign_in_goes_to(&router, "rosa", NEW_PASSWORD).await,
        "/credentials"
    );
    assert_eq!(
        sign_in_goes_to(&router, "rosa", PASSWORD).await,
        StatusCode::UNAUTHORIZED.to_string()
    );
}

/// With MFA: after the emailed code, the second factor (the app here), then the new
/// password.
#[tokio::test]
async fn a_reset_with_mfa_asks_for_the_second_factor() {
    let router = router().await;
    let key = crate::common::with_app_key(&router, "mihai").await.2;
    let (cookie, csrf) = code_verified(&router, "mihai", "/forgot-password/second-factor").await;

    let (status, asked) = page(&router, "/forgot-password/second-factor", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        asked.contains("<h1>Enter the authorization code</h1>"),
        "{asked}"
    );
    assert!(
        asked.contains(r#"<form method="post" action="/forgot-password/second-factor">"#),
        "{asked}"
    );
    assert!(
        asked.contains("Enter the 6-digit code your authenticator app shows."),
        "{asked}"
    );
    // No new password yet.
    let early = send(
        &router,
        "/forgot-password/new",
        &cookie,
        &format!("new={NEW_PASSWORD}&confirmation={NEW_PASSWORD}&csrf={csrf}"),
    )
    .await;
    assert_eq!(location(&early), "/forgot-password");

    // A wrong code: back to the page, which says so.
    let code = crate::common::totp_next(&key);
    let wrong = send(
        &router,
        "/forgot-password/second-factor",
        &cookie,
        &format!("code={}&csrf={csrf}", other_code(&code)),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&wrong), "/forgot-password/second-factor");
    let again = page(&router, "/forgot-password/second-factor", &cookie)
        .await
        .1;
    assert!(again.contains(crate::common::CODE_FAILED), "{again}");

    // The app's code: the new-password step.
    let confirmed = send(
        &router,
        "/forgot-password/second-factor",
        &cookie,
        &format!("code={}&csrf={csrf}", crate::common::totp_next(&key)),
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&confirmed), "/forgot-password/new");
    let cookie = cookie_of_or(&confirmed, &cookie);
    // The second-factor step is over.
    let over = fetch(&router, "/forgot-password/second-factor", &cookie).await;
    assert_eq!(location(&over), "/forgot-password");

    let done = send(
        &router,
        "/forgot-password/new",
        &cookie,
        &format!("new={NEW_PASSWORD}&confirmation={NEW_PASSWORD}&csrf={csrf}"),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/sign-in");
    // The new password, then the app as before.
    assert_eq!(
        sign_in_goes_to(&router, "mihai", NEW_PASSWORD).await,
        "/sign-in/second-factor"
    );
    assert_eq!(
        sign_in_goes_to(&router, "mihai", PASSWORD).await,
        StatusCode::UNAUTHORIZED.to_string()
    );
}

/// The steps after the first need the one before: without it, back to the start.
#[tokio::test]
async fn each_step_needs_the_one_before() {
    let router = router().await;
    let (cookie, csrf) = open(&router, "/forgot-password").await;
    for (path, form) in [
        ("/forgot-password/code", "code=123456"),
        ("/forgot-password/second-factor", "code=123456"),
        (
            "/forgot-password/new",
            "new=quiet+lanterns&confirmation=quiet+lanterns",
        ),
    ] {
        let response = send(&router, path, &cookie, &format!("{form}&csrf={csrf}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/forgot-password", "{path}");
    }
    let second = fetch(&router, "/forgot-password/second-factor", &cookie).await;
    assert_eq!(location(&second), "/forgot-password");
}

/// An unknown username gets the answer a known one gets, and no code is sent.
#[tokio::test]
async fn an_unknown_username_gets_the_same_answer() {
    let router = router().await;
    let (cookie, _) = reset_started(&router, "nobody").await;
    let asked = page(&router, "/forgot-password/code", &cookie).await.1;
    assert!(
        asked.contains("If that username has an account, we emailed a code to its address."),
        "{asked}"
    );
    let outbox = page(&router, "/dev/outbox", "").await.1;
    assert!(!outbox.contains("<tr><td>"), "{outbox}");
}

#[tokio::test]
async fn a_failing_store_at_the_start_is_a_server_error() {
    let (router, pool) = router_and_pool().await;
    let _ = sign_up(&router, "petra").await;
    let (cookie, csrf) = open(&router, "/forgot-password").await;
    pool.close().await;
    let response = send(
        &router,
        "/forgot-password",
        &cookie,
        &format!("username=petra&csrf={csrf}"),
    )
    .await;
    assert!(crate::common::is_server_failure(response).await);
}

/// The code is right, but the account cannot be read: 503, not "wrong code".
#[tokio::test]
async fn a_failing_store_at_the_code_is_a_server_error() {
    let (router, pool) = router_and_pool().await;
    let _ = sign_up(&router, "petra").await;
    let (cookie, csrf) = reset_started(&router, "petra").await;
    let code = newest_code(&router).await;
    crate::common::break_table(&pool, "tessera_accounts").await;
    let response = send(
        &router,
        "/forgot-password/code",
        &cookie,
        &format!("code={code}&csrf={csrf}"),
    )
    .await;
    assert!(crate::common::is_server_failure(response).await);
}

#[tokio::test]
async fn a_failing_store_at_the_new_password_is_a_server_error() {
    let (router, pool) = router_and_pool().await;
    let _ = sign_up(&router, "petra").await;
    let (cookie, csrf) = code_verified(&router, "petra", "/forgot-password/new").await;
    pool.close().await;
    let response = send(
        &router,
        "/forgot-password/new",
        &cookie,
        &format!("new={NEW_PASSWORD}&confirmation={NEW_PASSWORD}&csrf={csrf}"),
    )
    .await;
    assert!(crate::common::is_server_failure(response).await);
}
