//! Tessera's errors through the router: 401, 429, 422, 503.

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, RETRY_AFTER, SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::json;

use crate::app::{PASSWORD, World};

#[tokio::test]
async fn the_opaque_401_is_byte_identical_for_an_unknown_user_and_a_wrong_password() {
    let w = World::new();
    w.sign_up("ana").await;
    let unknown = w.program_sign_in("nobody", PASSWORD).await;
    let wrong = w
        .program()
        .post(
            "/sign-in",
            json!({"username": "ana", "password": "not the password"}),
        )
        .await;
    let malformed = w
        .program()
        .post("/sign-in", json!({"username": "", "password": ""}))
        .await;
    for r in [&unknown, &wrong, &malformed] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body, br#"{"error":"verification_failed"}"#);
        assert_eq!(r.headers, unknown.headers, "the same headers too");
        assert_eq!(r.headers.get(SET_COOKIE), None, "no session for a failure");
        assert_eq!(r.headers.get(CACHE_CONTROL).unwrap(), "no-store");
        assert_eq!(r.headers.get(WWW_AUTHENTICATE).unwrap(), "Bearer");
    }
}

#[tokio::test]
async fn a_throttled_code_is_429_with_retry_after_in_seconds() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    let r = ana.post("/phone", json!({"number": "+447700900123"})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let r = ana.post("/phone", json!({"number": "+447700900123"})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    let wait: u64 = r.header(RETRY_AFTER).unwrap().parse().unwrap();
    assert!(wait >= 1);
    assert_eq!(
        r.json(),
        json!({"error": "too_many_requests", "retry_after": wait})
    );
    // After the wait, a code is sent again.
    w.advance(wait);
    let r = ana.post("/phone", json!({"number": "+447700900123"})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
}

#[tokio::test]
async fn policy_violations_are_422_with_their_codes_and_no_password() {
    let w = World::new();
    let weak = "ana1234";
    let r = w
        .program()
        .post(
            "/sign-up",
            json!({"username": "ana", "email": "ana@example.com", "password": weak}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"], "invalid_input");
    assert_eq!(body["code"], "password_rejected");
    let codes: Vec<&str> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    // What the facade's own policy says of the same password, in its order.
    let expected = w
        .accounts
        .password_policy()
        .validate(
            &tessera::Password::new(weak),
            &tessera::password::Context::new()
                .with_username("ana")
                .with_email("ana@example.com"),
        )
        .unwrap_err();
    assert_eq!(codes, expected.codes());
    assert!(codes.contains(&"too_short"), "{codes:?}");
    // The only factor of a new account: NIST SP 800-63B-4's 15 characters.
    assert_eq!(body["violations"][0]["params"], json!({"min": 15}));
    assert_eq!(
        body["violations"][0]["message"],
        expected.as_slice()[0].message()
    );
    assert!(!r.text().contains(weak), "the password is never echoed");

    // A malformed phone number is invalid input too, with no number echoed either.
    let ana = w.signed_in("ana").await;
    let r = ana.post("/phone", json!({"number": "call me 0800"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["code"], "mfa_refused");
    assert!(!r.text().contains("0800"));
}

#[tokio::test]
async fn a_failing_account_store_is_503_without_detail() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    w.faults.fail_loads(true);
    let r = ana.get("/me").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body, br#"{"error":"unavailable"}"#);
    // The session survives the outage.
    w.faults.fail_loads(false);
    assert_eq!(ana.get("/me").await.status, StatusCode::OK);

    w.faults.fail_saves(true);
    let r = ana
        .post(
            "/password",
            json!({"current": PASSWORD, "new": "a new long passphrase 42", "confirm": "a new long passphrase 42"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.body, br#"{"error":"unavailable"}"#);
}

#[tokio::test]
async fn conflicts_are_retried_a_bounded_number_of_times_then_503_retry_after_1() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    let other = w.program();
    other.sign_in("ana", PASSWORD).await;

    // The facade reloads 5 times per call; the handler calls at most 3 times: 15 saves.
    w.faults.conflict_next_saves(15);
    let r = ana.post("/sign-out-everywhere", json!({})).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.header(RETRY_AFTER), Some("1"));
    assert_eq!(r.json(), json!({"error": "conflict"}));
    assert_eq!(
        w.faults.conflicts(),
        15,
        "exactly three calls of five saves"
    );
    // Nothing changed: the other session still stands.
    assert_eq!(other.get("/me").await.status, StatusCode::OK);

    // Fewer conflicts than the retries absorb: done on the second call.
    w.faults.conflict_next_saves(7);
    let r = ana.post("/sign-out-everywhere", json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(w.faults.conflicts(), 22);
    assert_eq!(ana.get("/me").await.status, StatusCode::OK);
    assert_eq!(other.get("/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_throttled_sign_in_is_the_same_opaque_401_not_a_429() {
    let w = World::new();
    w.sign_up("ana").await;
    let attempt = |password: &'static str| {
        let c = w.program();
        async move {
            c.post("/sign-in", json!({"username": "ana", "password": password}))
                .await
        }
    };
    let first = attempt("wrong password one").await;
    for _ in 0..10 {
        let _ = attempt("wrong password two").await;
    }
    // Throttled now: even the right password is refused, exactly like a wrong one, so
    // the answer tells neither that the account exists nor that it is throttled.
    let throttled = attempt(PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::UNAUTHORIZED);
    assert_eq!(throttled.body, first.body);
    assert_eq!(throttled.headers, first.headers);
    assert_eq!(throttled.headers.get(RETRY_AFTER), None);
    let unknown = w.program_sign_in("nobody", PASSWORD).await;
    assert_eq!(unknown.body, throttled.body);
}

/// The state's `Debug` shows the configuration and nothing of the flows (no keyring,
/// no store).
#[tokio::test]
async fn the_state_shows_its_configuration_only() {
    let w = World::new();
    let config = tessera_axum::TesseraConfig::default();
    let state = tessera_axum::TesseraState::new(w.accounts.clone(), config.clone());
    let shown = format!("{state:?}");
    assert_eq!(shown, format!("TesseraState {{ config: {config:?}, .. }}"));
}
