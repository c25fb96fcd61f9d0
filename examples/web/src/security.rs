//! The request guards every route shares: the CSRF check on every `POST` and the
//! security headers on every response.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::html;

/// The session key of the CSRF token.
const CSRF_KEY: &str = "web.csrf";

/// The header a script (the WebAuthn ceremonies) sends the token in, instead of a field.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A form body larger than this is refused before it is read whole.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The Content-Security-Policy of every page: our own files only, no inline script or
/// style, no framing, forms post only here.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The session's CSRF token (256 random bits, base64url), made on first use.
///
/// One token per session (the "synchronizer token" pattern, OWASP): a page may be open
/// in several tabs, and each form must still post. The session id changes at every sign
/// in; the token goes with the session and ends with it.
pub async fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF_KEY).await {
        return token;
    }
    let bytes: [u8; 32] = rand::random();
    let token = data_encoding::BASE64URL_NOPAD.encode(&bytes);
    if let Err(e) = session.insert(CSRF_KEY, &token).await {
        tracing::error!(target: "tessera_web", "could not store the csrf token: {e}");
    }
    token
}

/// Refuses every `POST` whose `csrf` field (or `x-csrf-token` header) is not the
/// session's token, compared in constant time. Sessionless requests have no token and
/// are refused too.
pub async fn require_csrf(session: Session, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let sent = match parts.headers.get(CSRF_HEADER) {
        Some(value) => value.to_str().ok().map(str::to_owned),
        None => form_urlencoded::parse(&bytes)
            .find(|(name, _)| name == "csrf")
            .map(|(_, value)| value.into_owned()),
    };
    let expected = session.get::<String>(CSRF_KEY).await.ok().flatten();
    let valid = match (sent, expected) {
        (Some(sent), Some(expected)) => bool::from(sent.as_bytes().ct_eq(expected.as_bytes())),
        _ => false,
    };
    if !valid {
        return html::page_with_status(
            StatusCode::FORBIDDEN,
            "Form expired",
            r#"<p class="error" role="alert">This form expired or did not come from this site. Go back, reload the page and try again.</p>"#,
            None,
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Adds the security headers to every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // Pages show one-time secrets (a TOTP key, recovery codes): never cached.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
