//! Attacks on the session glue: forged and altered cookies, tampered session values,
//! stale sessions after a password change or "sign out everywhere".

use std::str::FromStr;

use axum::http::StatusCode;
use serde_json::json;
use tower_sessions::SessionStore;
use tower_sessions::session::Id;

use crate::app::{PASSWORD, World};

#[tokio::test]
async fn sign_out_everywhere_in_one_session_ends_another_sessions_next_request() {
    let w = World::new();
    let laptop = w.signed_in("ana").await;
    let phone = w.program();
    phone.sign_in("ana", PASSWORD).await;
    let bo = w.signed_in("bruno").await;
    assert_eq!(phone.get("/me").await.status, StatusCode::OK);

    let r = laptop.post("/sign-out-everywhere", json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    // This session goes on under the new stamp; the other ends at its next request,
    // and stays ended (its record was deleted).
    assert_eq!(laptop.get("/me").await.status, StatusCode::OK);
    let phone_id = phone.session_id().unwrap();
    let r = phone.get("/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"error": "not_signed_in"}));
    let id = Id::from_str(&phone_id).unwrap();
    assert_eq!(
        w.sessions.load(&id).await.unwrap(),
        None,
        "the record is gone"
    );
    assert_eq!(phone.get("/me").await.status, StatusCode::UNAUTHORIZED);
    // Another account is untouched.
    assert_eq!(bo.get("/me").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_stale_session_after_a_password_change_is_refused() {
    let w = World::new();
    let laptop = w.signed_in("ana").await;
    let stolen = w.program();
    stolen.sign_in("ana", PASSWORD).await;
    let new = "a brand new long passphrase";
    let r = laptop
        .post(
            "/password",
            json!({"current": PASSWORD, "new": new, "confirm": new}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(laptop.get("/me").await.status, StatusCode::OK);
    assert_eq!(stolen.get("/me").await.status, StatusCode::UNAUTHORIZED);
    // The old password no longer signs in; the new one does.
    let r = w
        .program()
        .post("/sign-in", json!({"username": "ana", "password": PASSWORD}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    w.program().sign_in("ana", new).await;
}

#[tokio::test]
async fn forged_and_altered_cookies_sign_nobody_in() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    let real = ana.session_id().unwrap();

    // One character of the real id changed: another (unknown) id, or no id at all.
    let mut altered: Vec<char> = real.chars().collect();
    altered[3] = if altered[3] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    let forged_random = Id::default().to_string();
    for cookie in [
        altered.as_str(),
        forged_random.as_str(),
        "",
        "not-base64-!!",
        "AAAAAAAAAAAAAAAAAAAAAA",
        &format!("{real}x"),
        &"A".repeat(4096),
    ] {
        let mallory = w.program();
        mallory.set_session_id(Some(cookie));
        let r = mallory.get("/me").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{cookie:?}");
        let r = mallory.get("/danger-zone").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{cookie:?}");
    }
    assert_eq!(ana.get("/me").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_tampered_session_value_reads_as_signed_out_and_is_removed() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    let id = Id::from_str(&ana.session_id().unwrap()).unwrap();
    let mut record = w.sessions.load(&id).await.unwrap().unwrap();
    // Not an assurance any more (say, written by a future version, or edited).
    record
        .data
        .insert("tessera.signed_in".into(), json!({"account": "admin"}));
    w.sessions.save(&record).await.unwrap();

    let r = ana.get("/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let record = w.sessions.load(&id).await.unwrap().unwrap();
    assert!(!record.data.contains_key("tessera.signed_in"));
}

#[tokio::test]
async fn a_half_signed_in_session_cannot_be_promoted_by_another_accounts_code() {
    let w = World::new();
    let (_ana, _ana_app) = w.with_app("ana").await;
    let (_bo, bo_app) = w.with_app("bruno").await;
    let half = w.half_signed_in("ana", false).await;
    // Bo's valid code does not finish Ana's sign-in.
    let r = half
        .post(
            "/sign-in/second-factor",
            json!({"code": w.next_code(&bo_app)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"error": "verification_failed"}));
    assert_eq!(half.get("/me").await.status, StatusCode::UNAUTHORIZED);
}
