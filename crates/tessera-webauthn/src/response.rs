//! The browser's responses, parsed with a bound: untrusted input.

use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::Error;

/// Most bytes of a response accepted from a browser. A registration with a full
/// attestation chain is a few kilobytes; anything near this bound is not a response.
pub const MAX_RESPONSE_LEN: usize = 64 * 1024;

/// Parses the JSON of `navigator.credentials.create()`'s result (the
/// `PublicKeyCredential` with an attestation response, as webauthn-rs's JavaScript
/// helpers and `toJSON()` encode it).
///
/// # Errors
/// [`Error::MalformedResponse`] for input longer than [`MAX_RESPONSE_LEN`] or JSON
/// that is not a registration response. Never a panic.
pub fn parse_registration_response(json: &str) -> Result<RegisterPublicKeyCredential, Error> {
    if json.len() > MAX_RESPONSE_LEN {
        return Err(Error::MalformedResponse("the response is too long"));
    }
    serde_json::from_str(json)
        .map_err(|_| Error::MalformedResponse("not a webauthn registration response"))
}

/// Parses the JSON of `navigator.credentials.get()`'s result (a `PublicKeyCredential`
/// with an assertion response).
///
/// # Errors
/// [`Error::MalformedResponse`] for input longer than [`MAX_RESPONSE_LEN`] or JSON
/// that is not an authentication response. Never a panic.
pub fn parse_authentication_response(json: &str) -> Result<PublicKeyCredential, Error> {
    if json.len() > MAX_RESPONSE_LEN {
        return Err(Error::MalformedResponse("the response is too long"));
    }
    serde_json::from_str(json)
        .map_err(|_| Error::MalformedResponse("not a webauthn authentication response"))
}

/// What the fuzz target runs on arbitrary bytes: both parsers, and for what parses,
/// print → parse → print gives the same text.
///
/// # Panics
/// When a parsed response does not survive the round trip (a bug to report).
#[doc(hidden)]
#[allow(clippy::expect_used)] // The fuzz target's assertion: a failure is the finding.
pub fn fuzz_responses(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = parse_registration_response(text) {
        let printed = serde_json::to_string(&r).expect("a parsed registration prints");
        let again = parse_registration_response(&printed).expect("a printed registration parses");
        let reprinted = serde_json::to_string(&again).expect("prints again");
        assert_eq!(printed, reprinted);
    }
    if let Ok(a) = parse_authentication_response(text) {
        let printed = serde_json::to_string(&a).expect("a parsed assertion prints");
        let again = parse_authentication_response(&printed).expect("a printed assertion parses");
        let reprinted = serde_json::to_string(&again).expect("prints again");
        assert_eq!(printed, reprinted);
    }
}
