//! The development identity provider and the Credentials page of a federated account,
//! in-process through `tower::ServiceExt::oneshot`.

// Helpers outside #[test] functions panic on purpose: a panic is a failing test.
#![allow(clippy::expect_used)]

use crate::common::{body, cookie, cookie_of_or, csrf_of, get, open, post, router};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use tower::ServiceExt;

const PROVIDER_PAGE: &str = "/dev/identity-provider";

async fn send(router: &Router, request: Request<Body>) -> Response<Body> {
    router.clone().oneshot(request).await.expect("response")
}

/// Signs `username` in through the development identity provider; returns the
/// signed-in session's cookie.
async fn provider_sign_in(router: &Router, username: &str) -> String {
    let (session, csrf) = open(router, PROVIDER_PAGE).await;
    let response = send(
        router,
        post(
            PROVIDER_PAGE,
            &session,
            &format!("username={username}&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/credentials");
    // A new session id at sign-in, as the password sign-in gives.
    let signed_in = cookie(&response).expect("a new session cookie");
    assert_ne!(signed_in, session);
    signed_in
}

/// What the Credentials page of a federated account must not offer: every MFA
/// control, the password change, and what only MFA accounts have.
const MFA_CONTROLS: [&str; 11] = [
    ">Enabled<",
    "Preferred MFA Method",
    "Set up authenticator app",
    "/credentials/app",
    "Phone number",
    "/credentials/phone",
    "Your devices",
    "Recovery codes",
    "Change password",
    r#"name="current""#,
    "Trusted browsers",
];

#[tokio::test]
async fn the_sign_in_page_links_to_the_development_identity_provider() {
    let router = router().await;
    let page = body(send(&router, get("/sign-in", "")).await).await;
    assert!(
        page.contains(
            r#"<a href="/dev/identity-provider">Sign in with the development identity provider</a>"#
        ),
        "{page}"
    );
    let provider = send(&router, get(PROVIDER_PAGE, "")).await;
    assert_eq!(provider.status(), StatusCode::OK);
    let provider = body(provider).await;
    assert!(provider.contains("<h1>Development identity provider</h1>"));
    assert!(provider.contains("Development only") && provider.contains("OpenID Connect or SAML"));
}

#[tokio::test]
async fn the_provider_refuses_a_post_without_the_csrf_token() {
    let router = router().await;
    let (cookie, _) = open(&router, PROVIDER_PAGE).await;
    let response = send(&router, post(PROVIDER_PAGE, &cookie, "username=fedora")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Nothing signed in, and no account made: the next sign-in creates it.
    let credentials = send(&router, get("/credentials", &cookie)).await;
    assert_eq!(credentials.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_federated_account_has_no_mfa_controls_and_the_page_says_why() {
    let router = router().await;
    let cookie = provider_sign_in(&router, "fedora").await;
    let page = send(&router, get("/credentials", &cookie)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = body(page).await;
    assert!(
        page.contains("Signed in as <strong>fedora</strong>"),
        "{page}"
    );
    assert!(
        page.contains(
            "Your sign-in and its second factor are managed by Example Identity Provider (development)"
        ),
        "{page}"
    );
    for control in MFA_CONTROLS {
        assert!(!page.contains(control), "{control} is shown: {page}");
    }
    // Signing out and Force Logout stay.
    assert!(page.contains("Force Logout") && page.contains(r#"action="/sign-out""#));
    let csrf = csrf_of(&page);
    let forced = send(
        &router,
        post(
            "/credentials/force-logout",
            &cookie,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(forced.status(), StatusCode::SEE_OTHER);
    assert_eq!(forced.headers()[header::LOCATION], "/credentials");
    let renewed = cookie_of_or(&forced, &cookie);
    let after = body(send(&router, get("/credentials", &renewed)).await).await;
    assert!(
        after.contains("Every other session was signed out."),
        "{after}"
    );
    // The old session id is worth nothing now.
    let old = send(&router, get("/credentials", &cookie)).await;
    assert_eq!(old.status(), StatusCode::SEE_OTHER);
    // A second sign-in finds the account it made: the same one, not a new one.
    let again = provider_sign_in(&router, "Fedora").await;
    let page = body(send(&router, get("/credentials", &again)).await).await;
    assert!(
        page.contains("Signed in as <strong>fedora</strong>"),
        "{page}"
    );
}

#[tokio::test]
async fn the_provider_refuses_a_password_accounts_username() {
    let router = router().await;
    let (cookie, csrf) = open(&router, "/sign-up").await;
    let created = send(
        &router,
        post(
            "/sign-up",
            &cookie,
            &format!("username=ana&email=ana%40example.com&password=correct+horse+battery+staple&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let (cookie, csrf) = open(&router, PROVIDER_PAGE).await;
    // Any spelling that folds onto the same username.
    for name in ["ana", "ANA", "%20Ana%20"] {
        let refused = send(
            &router,
            post(
                PROVIDER_PAGE,
                &cookie,
                &format!("username={name}&csrf={csrf}"),
            ),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::CONFLICT, "{name}");
        let page = body(refused).await;
        assert!(
            page.contains(r#"role="alert">That username belongs to an account that does not sign in through this identity provider."#),
            "{page}"
        );
    }
    // Not signed in.
    let credentials = send(&router, get("/credentials", &cookie)).await;
    assert_eq!(credentials.status(), StatusCode::SEE_OTHER);
    // The password account still signs in with its password, and keeps its MFA controls.
    let signed_in = send(
        &router,
        post(
            "/sign-in",
            &cookie,
            &format!("username=ana&password=correct+horse+battery+staple&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let signed_in = cookie_of_or(&signed_in, &cookie);
    let page = body(send(&router, get("/credentials", &signed_in)).await).await;
    assert!(page.contains("Preferred MFA Method") && !page.contains("managed by"));
}

#[tokio::test]
async fn the_provider_refuses_an_invalid_username_with_the_reason() {
    let router = router().await;
    let (cookie, csrf) = open(&router, PROVIDER_PAGE).await;
    let refused = send(
        &router,
        post(
            PROVIDER_PAGE,
            &cookie,
            &format!("username=a%40b&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(refused).await;
    assert!(
        page.contains(r#"role="alert""#) && page.contains("@"),
        "{page}"
    );
}
