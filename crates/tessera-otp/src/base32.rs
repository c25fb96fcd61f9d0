//! RFC 4648 base32, read the way authenticator apps read it.
//!
//! Written here rather than taken from `data-encoding` because import must be more
//! lenient than RFC 4648 allows: apps accept any length and drop the trailing bits
//! that do not fill a byte (`"AAA"` is one byte), which a strict decoder refuses.
//! Output is compared against `data-encoding` in the tests.

use zeroize::Zeroizing;

use crate::Error;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The longest text accepted, so hostile input costs bounded work.
pub(crate) const MAX_INPUT_LEN: usize = 4096;

/// Decodes leniently: case-insensitive; spaces, hyphens and `=` padding ignored;
/// trailing bits that do not fill a byte dropped.
pub(crate) fn decode_lenient(input: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    if input.len() > MAX_INPUT_LEN {
        return Err(Error::SecretTooLong {
            max: crate::Secret::MAX_LEN,
        });
    }
    let mut out = Zeroizing::new(Vec::with_capacity(input.len() * 5 / 8 + 1));
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    let mut seen_padding = false;
    for (position, ch) in input.chars().enumerate() {
        let value = match ch {
            'A'..='Z' => ch as u32 - 'A' as u32,
            'a'..='z' => ch as u32 - 'a' as u32,
            '2'..='7' => ch as u32 - '2' as u32 + 26,
            ' ' | '-' | '\t' => continue,
            '=' => {
                seen_padding = true;
                continue;
            }
            _ => return Err(Error::InvalidBase32 { position }),
        };
        // Data after padding means two values glued together, not one secret.
        if seen_padding {
            return Err(Error::InvalidBase32 { position });
        }
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    if out.is_empty() {
        return Err(Error::EmptySecret);
    }
    Ok(out)
}

/// Encodes as canonical uppercase base32 without padding.
pub(crate) fn encode(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(5) * 8));
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc4648_section_10_vectors() {
        // RFC 4648 §10, without padding.
        let cases: [(&[u8], &str); 6] = [
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (raw, text) in cases {
            assert_eq!(encode(raw).as_str(), text);
            assert_eq!(decode_lenient(text).unwrap().as_slice(), raw);
        }
        assert_eq!(decode_lenient("MZXW6YQ=").unwrap().as_slice(), b"foob");
    }

    #[test]
    fn input_limit_is_inclusive() {
        // 4096 bytes of text (a secret padded with spaces) are read; one more is refused.
        let at_limit = format!("MZXW6YTBOI{}", " ".repeat(MAX_INPUT_LEN - 10));
        assert_eq!(decode_lenient(&at_limit).unwrap().as_slice(), b"foobar");
        assert_eq!(
            decode_lenient(&format!("{at_limit} ")),
            Err(Error::SecretTooLong { max: 256 })
        );
    }

    #[test]
    fn lenient_forms() {
        assert_eq!(
            decode_lenient("mzxw 6ytb-oi").unwrap().as_slice(),
            b"foobar"
        );
        // 15 bits: one whole byte, seven trailing bits dropped.
        assert_eq!(decode_lenient("AAA").unwrap().as_slice(), &[0]);
        assert_eq!(decode_lenient("A"), Err(Error::EmptySecret));
        assert_eq!(decode_lenient(""), Err(Error::EmptySecret));
        assert_eq!(decode_lenient("  - "), Err(Error::EmptySecret));
        assert_eq!(
            decode_lenient("MZ1W"),
            Err(Error::InvalidBase32 { position: 2 })
        );
        assert_eq!(
            decode_lenient("MY==MY"),
            Err(Error::InvalidBase32 { position: 4 })
        );
        assert!(decode_lenient(&"A".repeat(MAX_INPUT_LEN + 1)).is_err());
    }

    proptest! {
        #[test]
        fn matches_data_encoding(bytes in proptest::collection::vec(any::<u8>(), 1..100)) {
            let ours = encode(&bytes);
            prop_assert_eq!(ours.as_str(), data_encoding::BASE32_NOPAD.encode(&bytes));
            let back = decode_lenient(&ours.to_lowercase()).unwrap();
            prop_assert_eq!(back.as_slice(), &bytes[..]);
        }

        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = decode_lenient(&s);
        }
    }
}
