//! Pages and handlers the browser scenarios cover, in-process (`oneshot`), so that
//! `cargo mutants -p tessera-web-example` can tell when one changes: the stylesheet,
//! the development outbox, the server-error page.

#![allow(clippy::expect_used)]

use crate::common::{body, fetch, newest_code, open, router, send, signed_in, with_app};
use axum::http::{StatusCode, header};

#[tokio::test]
async fn the_stylesheet_is_served_as_css() {
    let router = router().await;
    let response = fetch(&router, "/static/app.css", "").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    let css = body(response).await;
    assert_eq!(css, include_str!("../../static/app.css"));
}

/// A reset's email lands in the development outbox, which lists it (escaped).
#[tokio::test]
async fn the_outbox_lists_what_the_server_sent() {
    let router = router().await;
    let _ = signed_in(&router, "olga").await;
    let (cookie, csrf) = open(&router, "/forgot-password").await;
    let sent = send(
        &router,
        "/forgot-password",
        &cookie,
        &format!("username=olga&csrf={csrf}"),
    )
    .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let outbox = fetch(&router, "/dev/outbox", "").await;
    assert_eq!(outbox.status(), StatusCode::OK);
    let page = body(outbox).await;
    assert!(page.contains("<caption>Sent messages</caption>"), "{page}");
    // One row: the channel, the masked address, the purpose and the text.
    assert!(
        page.contains("<tr><td>Email</td><td>o***@example.com</td><td>PasswordReset</td>"),
        "{page}"
    );
    assert!(page.contains("Your password reset code is "), "{page}");
}

/// A server failure is a 503 page that says nothing of the failure.
#[tokio::test]
async fn a_server_error_page_hides_the_cause() {
    let e = tessera::Error::Store(tessera::StoreError::backend("db password hunter2"));
    for response in [
        tessera_web_example::server_error(&e),
        tessera_web_example::server_failure("db password hunter2"),
    ] {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let page = body(response).await;
        assert!(page.contains("Something went wrong on our side"), "{page}");
        assert!(!page.contains("hunter2"), "{page}");
    }
}

/// Sign-out ends the session: the Credentials page sends the old cookie to sign in.
#[tokio::test]
async fn sign_out_ends_the_session() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "simon").await;
    let out = send(&router, "/sign-out", &cookie, &format!("csrf={csrf}")).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[header::LOCATION], "/sign-in");
    let after = fetch(&router, "/credentials", &cookie).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

/// With an app, the step-up page asks for its code and offers the other methods; a
/// wrong code is refused with the one message; choosing email sends a code, which the
/// page then asks for and which confirms.
#[tokio::test]
async fn a_step_up_with_an_app_or_an_emailed_code() {
    let router = router().await;
    let (cookie, csrf) = with_app(&router, "stella").await;
    let page = body(fetch(&router, "/step-up", &cookie).await).await;
    assert!(
        page.contains("Enter the 6-digit code your authenticator app shows."),
        "{page}"
    );
    assert!(page.contains(r#"<option value="email">"#), "{page}");
    assert!(!page.contains("(send a new code)"), "{page}");
    let refused = send(
        &router,
        "/step-up",
        &cookie,
        &format!("code=12345x&csrf={csrf}"),
    )
    .await;
    assert_eq!(refused.headers()[header::LOCATION], "/step-up");
    let again = body(fetch(&router, "/step-up", &cookie).await).await;
    assert!(again.contains("That code did not work"), "{again}");
    let by_email = send(
        &router,
        "/step-up",
        &cookie,
        &format!("method=email&csrf={csrf}"),
    )
    .await;
    assert_eq!(by_email.headers()[header::LOCATION], "/step-up");
    let page = body(fetch(&router, "/step-up", &cookie).await).await;
    assert!(
        page.contains("We emailed you a code. Enter it here."),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="email">email code (send a new code)</option>"#),
        "{page}"
    );
    let code = newest_code(&router).await;
    let confirmed = send(
        &router,
        "/step-up",
        &cookie,
        &format!("code={code}&csrf={csrf}"),
    )
    .await;
    assert_eq!(confirmed.headers()[header::LOCATION], "/credentials");
}
