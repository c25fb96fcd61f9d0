//! The second factor's maximum age, at exact instants.

use axum::http::StatusCode;
use axum::http::header::{LOCATION, WWW_AUTHENTICATE};
use serde_json::json;

use crate::app::{MAX_AGE, World};

#[tokio::test]
async fn the_maximum_age_is_inclusive_to_the_second() {
    let w = World::new();
    let (_ana, app) = w.with_app("ana").await;
    let c = w.half_signed_in("ana", false).await;
    let r = c
        .post("/sign-in/second-factor", json!({"code": w.next_code(&app)}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // Just inside: exactly MAX_AGE seconds after the second factor.
    w.advance(MAX_AGE);
    let r = c.get("/danger-zone").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Just outside: one second later.
    w.advance(1);
    let r = c.get("/danger-zone").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.header(WWW_AUTHENTICATE)
            .unwrap()
            .ends_with(&format!("max_age={MAX_AGE}"))
    );
    let r = c.as_html(true).get("/danger-zone").await;
    assert_eq!(r.header(LOCATION), Some("/step-up"));
    // Still signed in: only the step-up route is refused.
    assert_eq!(c.get("/me").await.status, StatusCode::OK);

    // A step-up makes it fresh again, under a new session id.
    let before = c.session_id();
    let r = c.post("/step-up", json!({"code": w.next_code(&app)})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_ne!(c.session_id(), before);
    assert_eq!(c.get("/danger-zone").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_account_without_a_second_factor_never_passes() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    assert_eq!(
        ana.get("/danger-zone").await.status,
        StatusCode::UNAUTHORIZED
    );
    // And it cannot step up: there is no second factor to ask for (422, not a loop).
    let r = ana.post("/step-up", json!({"code": "123456"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
}
