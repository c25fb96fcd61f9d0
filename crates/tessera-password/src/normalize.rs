//! Unicode normalisation shared by validation and hashing.
//!
//! NIST SP 800-63B §5.1.1.2 asks verifiers that accept Unicode to normalise with NFKC or NFKD
//! before hashing, so that the same password typed on two keyboards (a precomposed "é" or "e"
//! followed by a combining acute accent; a full-width "Ａ") is the same secret. This crate uses
//! NFKC everywhere: for counting length, for the blocklist and context checks, and for the bytes
//! that are hashed.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::weak::is_invisible;

/// The NFKC form of `input`, in a buffer that is wiped on drop.
#[must_use]
pub fn normalize(input: &str) -> Zeroizing<String> {
    // ASCII is its own NFKC form: skip the decomposition machinery for the common case.
    if input.is_ascii() {
        return Zeroizing::new(input.to_owned());
    }
    // Reserve up front so the secret is not left behind in a reallocated buffer for the
    // common case where NFKC does not grow the text.
    let mut out = Zeroizing::new(String::with_capacity(input.len()));
    out.extend(input.nfkc());
    out
}

/// The length of `input` in Unicode code points after NFKC normalisation, not counting
/// invisible characters (zero-width spaces and joiners, soft hyphens, variation selectors,
/// byte order marks): the length the policy's minimum and maximum apply to.
///
/// Invisible characters are left out so they cannot pad a short password past the minimum;
/// they are still part of the password that is hashed.
#[must_use]
pub fn normalized_len(input: &str) -> usize {
    if input.is_ascii() {
        return input.len();
    }
    input.nfkc().filter(|c| !is_invisible(*c)).count()
}

/// [`normalized_len`] of a string already in NFKC form.
pub(crate) fn counted_len(normalized: &str) -> usize {
    if normalized.is_ascii() {
        return normalized.len();
    }
    normalized.chars().filter(|c| !is_invisible(*c)).count()
}

/// NFKC, then lowercase: the form compared against blocklists and context words.
pub(crate) fn fold(normalized: &str) -> Zeroizing<String> {
    if normalized.is_ascii() {
        return Zeroizing::new(normalized.to_ascii_lowercase());
    }
    let mut out = Zeroizing::new(String::with_capacity(normalized.len()));
    for c in normalized.chars() {
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_and_decomposed_are_equal() {
        assert_eq!(*normalize("caf\u{e9}"), *normalize("cafe\u{301}"));
        assert_eq!(normalized_len("cafe\u{301}"), 4);
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_agree_with_nfkc(s in "[\\x00-\\x7f]{0,40}|\\PC{0,20}") {
            let slow: String = s.nfkc().collect();
            proptest::prop_assert_eq!(&*normalize(&s), &slow);
            proptest::prop_assert_eq!(
                normalized_len(&s),
                slow.chars().filter(|c| !is_invisible(*c)).count()
            );
            proptest::prop_assert_eq!(normalized_len(&s), counted_len(&slow));
            let lower: String = slow.chars().flat_map(char::to_lowercase).collect();
            proptest::prop_assert_eq!(&*fold(&slow), &lower);
        }
    }

    #[test]
    fn compatibility_forms_fold() {
        assert_eq!(*normalize("\u{ff21}\u{fb01}"), "Afi");
        assert_eq!(*fold("ÄBC"), "äbc");
    }
}
