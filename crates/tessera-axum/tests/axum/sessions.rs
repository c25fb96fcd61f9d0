//! Signed in, half-signed-in, and the answers for browsers and programs.

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, LOCATION, WWW_AUTHENTICATE};
use serde_json::json;

use crate::app::{PASSWORD, World};

#[tokio::test]
async fn sign_in_then_a_protected_route() {
    let w = World::new();
    let anonymous = w.program();
    let r = anonymous.get("/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let ana = w.signed_in("ana").await;
    let r = ana.get("/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!r.json()["account"].as_str().unwrap().is_empty());
    // Another account's session is another account.
    let bo = w.signed_in("bruno").await;
    assert_ne!(bo.get("/me").await.json(), r.json());
}

#[tokio::test]
async fn a_half_signed_in_session_is_refused_at_protected_routes_and_admitted_at_the_second_factor()
{
    let w = World::new();
    let (_ana, app) = w.with_app("ana").await;
    let half = w.half_signed_in("ana", false).await;

    // Not signed in: neither the plain nor the step-up route lets it in.
    let r = half.get("/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"error": "not_signed_in"}));
    assert_eq!(
        half.get("/danger-zone").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        half.as_html(true).get("/me").await.header(LOCATION),
        Some("/sign-in")
    );
    // Nor may it set up a factor of its own (binding needs a signed-in session).
    assert_eq!(
        half.post("/mfa/app", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The second-factor route admits it; a wrong code is the opaque failure.
    let r = half
        .post("/sign-in/second-factor", json!({"code": "000000"}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"error": "verification_failed"}));
    let r = half
        .post("/sign-in/second-factor", json!({"code": w.next_code(&app)}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_eq!(half.get("/me").await.status, StatusCode::OK);
    assert_eq!(half.get("/danger-zone").await.status, StatusCode::OK);

    // Signed in, nothing is pending: the second-factor route refuses it.
    let r = half
        .post("/sign-in/second-factor", json!({"code": w.next_code(&app)}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"error": "not_signed_in"}));
    // And a session that never signed in gets no second factor either.
    let r = w
        .browser()
        .post("/sign-in/second-factor", json!({"code": "123456"}))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header(LOCATION), Some("/sign-in"));
}

#[tokio::test]
async fn a_pending_second_factor_expires_with_its_challenge() {
    let w = World::new();
    let (_ana, app) = w.with_app("ana").await;
    let half = w.half_signed_in("ana", false).await;
    // A second before the end it is still pending (a wrong code is checked and refused)…
    w.advance(tessera::SECOND_FACTOR_TTL.as_secs() - 1);
    let wrong = if app.code(w.now()).unwrap().expose() == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = half
        .post("/sign-in/second-factor", json!({"code": wrong}))
        .await;
    assert_eq!(r.json(), json!({"error": "verification_failed"}));
    // …and at the instant it expires it is gone, before any code is checked.
    w.advance(1);
    let code = app.code(w.now()).unwrap();
    let r = half
        .post("/sign-in/second-factor", json!({"code": code.expose()}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"error": "not_signed_in"}));
    assert_eq!(half.get("/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn browsers_are_redirected_and_programs_get_401_with_a_challenge() {
    let w = World::new();
    let r = w.browser().get("/me").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header(LOCATION), Some("/sign-in"));
    assert_eq!(r.header(CACHE_CONTROL), Some("no-store"));

    let r = w.program().get("/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header(LOCATION), None);
    assert_eq!(r.header(WWW_AUTHENTICATE), Some("Bearer"));
    assert_eq!(r.json(), json!({"error": "not_signed_in"}));

    // Signed in with the password only: no second factor, so the step-up answers.
    let ana = w.signed_in("ana").await;
    let r = ana.as_html(true).get("/danger-zone").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header(LOCATION), Some("/step-up"));
    let r = ana.get("/danger-zone").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // RFC 9470 §3, with max_age in seconds.
    assert_eq!(
        r.header(WWW_AUTHENTICATE),
        Some(
            "Bearer error=\"insufficient_user_authentication\", \
             error_description=\"A second factor within the last 300 seconds is required\", \
             max_age=300"
        )
    );
    assert_eq!(
        r.json(),
        json!({"error": "insufficient_user_authentication", "max_age": 300})
    );
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_the_old_one_is_worth_nothing() {
    let w = World::new();
    w.sign_up("ana").await;
    let c = w.program();
    assert_eq!(c.get("/visit").await.status, StatusCode::NO_CONTENT);
    let before = c.session_id().expect("a session before sign-in");
    // An attacker who planted (or read) that id keeps it.
    let attacker = w.program();
    attacker.set_session_id(Some(&before));

    let r = c.sign_in("ana", PASSWORD).await;
    let after = r.session_cookie().expect("a new cookie at sign-in");
    assert_ne!(before, after);
    assert_eq!(c.get("/me").await.status, StatusCode::OK);
    assert_eq!(attacker.get("/me").await.status, StatusCode::UNAUTHORIZED);

    // Past the password to the second factor, and at its completion: new ids each time.
    let (_bo, app) = w.with_app("bruno").await;
    let half = w.half_signed_in("bruno", false).await;
    let pending_id = half.session_id().unwrap();
    let r = half
        .post("/sign-in/second-factor", json!({"code": w.next_code(&app)}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let signed_in_id = r
        .session_cookie()
        .expect("a new cookie at the second factor");
    assert_ne!(pending_id, signed_in_id);
    let old = w.program();
    old.set_session_id(Some(&pending_id));
    assert_eq!(old.get("/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    let id = ana.session_id().unwrap();
    assert_eq!(
        ana.post("/sign-out", json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(ana.session_id(), None, "the cookie was removed");
    let replay = w.program();
    replay.set_session_id(Some(&id));
    assert_eq!(replay.get("/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_enrolling_session_may_only_set_up_a_second_factor() {
    let mut policy = tessera::OrgPolicy::builder();
    policy.require_mfa(true);
    let w = World::with_policy(policy.build().unwrap());
    w.sign_up("ana").await;
    let c = w.program();
    let r = c.sign_in("ana", PASSWORD).await;
    assert_eq!(r.json()["next"], "set_up_second_factor");

    // Not signed in, not half-signed-in for a second factor either.
    assert_eq!(c.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        c.post("/mfa/app", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = c
        .post("/sign-in/second-factor", json!({"code": "123456"}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The setup routes admit it; the activation completes the sign-in.
    let r = c.post("/enrol/app", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let app =
        tessera::otp::SoftAuthenticator::scan(r.json()["otpauth_uri"].as_str().unwrap()).unwrap();
    let [first, second] = app.two_codes(w.now()).unwrap();
    let before = c.session_id();
    let r = c
        .post(
            "/enrol/app/activate",
            json!({"first": first.expose(), "second": second.expose()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert_ne!(c.session_id(), before, "a new session id when signed in");
    assert_eq!(c.get("/me").await.status, StatusCode::OK);
    assert_eq!(c.get("/danger-zone").await.status, StatusCode::OK);
    // Signed in, it is no longer enrolling.
    assert_eq!(
        c.post("/enrol/app", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_sign_in_ends_24_hours_after_its_password_whatever_its_activity() {
    let w = World::new();
    let ana = w.signed_in("ana").await;
    let day = tessera_axum::TesseraConfig::DEFAULT_SESSION_MAX_AGE.as_secs();
    // Active all day: still signed in at exactly 24 hours.
    for _ in 0..4 {
        w.advance(day / 4);
        assert_eq!(ana.get("/me").await.status, StatusCode::OK);
    }
    w.advance(1);
    assert_eq!(ana.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(ana.session_id(), None, "the session was ended");
    // The password signs in again.
    ana.sign_in("ana", PASSWORD).await;
    assert_eq!(ana.get("/me").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_temporary_password_admits_only_the_choice_of_a_new_one() {
    let w = World::new();
    let laptop = w.signed_in("ana").await;
    let ana = {
        use tessera::AccountStore;
        let found = w.accounts.account_store().find_by_username("ana").await;
        found.unwrap().unwrap().value.id().clone()
    };
    let action = tessera::AdminAction::new("admin", "locked out").unwrap();
    let temporary = w
        .accounts
        .issue_temporary_password(&action, &ana)
        .await
        .unwrap()
        .into_value();
    // Issuing it ended every session.
    assert_eq!(laptop.get("/me").await.status, StatusCode::UNAUTHORIZED);

    let c = w.program();
    let r = c.sign_in("ana", temporary.expose()).await;
    assert_eq!(r.json()["next"], "choose_password");
    assert_eq!(c.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        c.post("/sign-in/second-factor", json!({"code": "123456"}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A weak choice is 422 and leaves the state pending.
    let r = c
        .post(
            "/sign-in/new-password",
            json!({"new": "short", "confirm": "short"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let new = "a fresh and long passphrase";
    let before = c.session_id();
    let r = c
        .post("/sign-in/new-password", json!({"new": new, "confirm": new}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["next"], "done");
    assert_ne!(c.session_id(), before);
    assert_eq!(c.get("/me").await.status, StatusCode::OK);
    // Signed in, nothing is owed any more.
    let r = c
        .post("/sign-in/new-password", json!({"new": new, "confirm": new}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
