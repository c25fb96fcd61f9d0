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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn oversized_and_foreign_json_is_malformed() {
        let long = " ".repeat(MAX_RESPONSE_LEN + 1);
        for text in [long.as_str(), "", "{}", "[]", "null", r#"{"id":1}"#] {
            assert!(matches!(
                parse_registration_response(text),
                Err(Error::MalformedResponse(_))
            ));
            assert!(matches!(
                parse_authentication_response(text),
                Err(Error::MalformedResponse(_))
            ));
        }
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in ".{0,400}") {
            let _ = parse_registration_response(&text);
            let _ = parse_authentication_response(&text);
        }

        #[test]
        fn assertions_round_trip_through_json(
            id in proptest::collection::vec(any::<u8>(), 1..64),
            data in proptest::collection::vec(any::<u8>(), 0..80),
            client in proptest::collection::vec(any::<u8>(), 0..80),
            sig in proptest::collection::vec(any::<u8>(), 0..80),
        ) {
            use base64::Engine;
            let b = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
            let json = serde_json::json!({
                "id": b(&id), "rawId": b(&id), "type": "public-key",
                "response": {
                    "authenticatorData": b(&data), "clientDataJSON": b(&client),
                    "signature": b(&sig), "userHandle": null
                },
                "extensions": {}
            })
            .to_string();
            let parsed = parse_authentication_response(&json).unwrap();
            prop_assert_eq!(&parsed.raw_id, &id);
            prop_assert_eq!(&parsed.response.signature, &sig);
            let printed = serde_json::to_string(&parsed).unwrap();
            let again = parse_authentication_response(&printed).unwrap();
            prop_assert_eq!(serde_json::to_string(&again).unwrap(), printed);
            crate::fuzz_responses(json.as_bytes());
        }
    }
}
