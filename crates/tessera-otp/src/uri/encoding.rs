//! Percent-encoding for otpauth:// URIs (RFC 3986 §2.1), decoded exactly once.

use zeroize::{Zeroize as _, Zeroizing};

use crate::Error;

/// True for the RFC 3986 §2.3 unreserved set, the only bytes written unescaped.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `text` to `out` with every byte outside the unreserved set escaped as `%XX`
/// (uppercase hex). Spaces become `%20`, never `+`.
pub(crate) fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0F)]));
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes once. With `plus_is_space`, a literal `+` reads as a space, as
/// form-encoded query strings write it (Python's `urlencode`, Java's `URLEncoder`).
///
/// The result is kept in a zeroizing buffer because query values include the secret.
///
/// # Errors
/// [`Error::InvalidPercentEncoding`] for `%` not followed by two hex digits, or for bytes
/// that are not UTF-8 once decoded.
pub(crate) fn decode(text: &str, plus_is_space: bool) -> Result<Zeroizing<String>, Error> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(Error::InvalidPercentEncoding);
                };
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    // Move the bytes into the String rather than copying them: one buffer to wipe.
    match String::from_utf8(std::mem::take(&mut *out)) {
        Ok(s) => Ok(Zeroizing::new(s)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(Error::InvalidPercentEncoding)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_once_and_refuses_malformed_escapes() {
        assert_eq!(
            decode("user%252Fadmin", false).unwrap().as_str(),
            "user%2Fadmin"
        );
        assert_eq!(decode("a%3Ab%3ac", false).unwrap().as_str(), "a:b:c");
        assert_eq!(decode("a+b", false).unwrap().as_str(), "a+b");
        assert_eq!(decode("a+b", true).unwrap().as_str(), "a b");
        assert_eq!(decode("B%C3%A4cker", false).unwrap().as_str(), "Bäcker");
        for bad in ["%ZZ", "%", "abc%", "%4", "%4G", "%C3", "%FF"] {
            assert_eq!(
                decode(bad, false),
                Err(Error::InvalidPercentEncoding),
                "{bad}"
            );
        }
    }

    #[test]
    fn encodes_everything_outside_unreserved() {
        let mut out = String::new();
        encode_into(&mut out, "Big Co: a+b@x/y~z_1.2-3ä");
        assert_eq!(out, "Big%20Co%3A%20a%2Bb%40x%2Fy~z_1.2-3%C3%A4");
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(s in "\\PC{0,64}") {
            let mut out = String::new();
            encode_into(&mut out, &s);
            prop_assert!(out.bytes().all(|b| is_unreserved(b) || b == b'%'));
            let back = decode(&out, true).unwrap();
            prop_assert_eq!(back.as_str(), s.as_str());
        }
    }
}
