//! Recovery codes: single-use look-up secrets for when the other methods are lost.
//!
//! # Storage and NIST SP 800-63B §5.1.2
//! §5.1.2.2 lets a verifier store look-up secrets with *at least 112 bits of entropy*
//! hashed with an approved one-way function, and requires a salted password hash only
//! for shorter ones. Each code here is 24 symbols drawn uniformly from a 30-symbol
//! alphabet by the operating system's CSPRNG: 24 × log2(30) ≈ 117.8 bits. Codes are
//! stored as HMAC-SHA-256 under the server key (an approved keyed one-way function),
//! bound to the account. A stolen store alone allows no offline guessing (the key is not
//! in it), and even with the key, 2^117 guesses are out of reach, so a slow password
//! hash would add cost (argon2 at OWASP parameters is ~20 ms and 19 MiB per *candidate*
//! code, times ten codes per attempt) without adding security. Online guessing is bounded
//! by throttling and lockout.

mod change;
mod flow;

use std::fmt;

use tessera_keyring::KeyId;
use tessera_otp::UnixTime;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codes::secret::{HeldSecret, Tag};
use crate::{Error, Result};

/// The symbols of a recovery code: digits and capitals without the ambiguous 0, 1, I, L,
/// O and U.
pub const RECOVERY_ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols per code (≈ 117.8 bits).
pub const RECOVERY_CODE_LEN: usize = 24;
/// Symbols per group when printed (`ABCD-EFGH-…`).
pub const RECOVERY_GROUP_LEN: usize = 4;
/// Default codes per set.
pub const DEFAULT_RECOVERY_CODES: usize = 10;
/// Fewest codes per set.
pub const MIN_RECOVERY_CODES: usize = 1;
/// Most codes per set.
pub const MAX_RECOVERY_CODES: usize = 32;
/// Longest typed input considered, separators included.
pub const MAX_RECOVERY_INPUT_LEN: usize = 128;

const DOMAIN: &str = "tessera-mfa/recovery-code/v1";

/// One recovery code. Zeroized on drop; `Debug` redacts it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    pub(crate) fn generate() -> Result<Self> {
        let s = crate::codes::secret::random_symbols(RECOVERY_ALPHABET, RECOVERY_CODE_LEN)?;
        Ok(Self(s.as_str().to_owned()))
    }

    /// Parses what a person typed, leniently: case is ignored, and spaces, dashes and
    /// underscores anywhere are dropped. What remains must be 24 symbols of
    /// [`RECOVERY_ALPHABET`].
    ///
    /// # Errors
    /// [`Error::InvalidCode`] saying what is wrong (never echoing the input); never panics.
    ///
    /// ```
    /// let a = tessera_mfa::RecoveryCode::parse("abcd-efgh-jkmn-pqrs-tvwx-yz23")?;
    /// let b = tessera_mfa::RecoveryCode::parse(" ABCDEFGH JKMNPQRS TVWXYZ23 ")?;
    /// assert_eq!(a, b);
    /// assert_eq!(a.formatted().as_str(), "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self> {
        if input.len() > MAX_RECOVERY_INPUT_LEN {
            return Err(Error::InvalidCode(
                "a recovery code is 24 letters and digits",
            ));
        }
        let mut s = Zeroizing::new(String::with_capacity(RECOVERY_CODE_LEN));
        for c in input.chars() {
            if matches!(c, ' ' | '-' | '_' | '\t') {
                continue;
            }
            let c = c.to_ascii_uppercase();
            if !c.is_ascii() || !RECOVERY_ALPHABET.contains(&(c as u8)) {
                return Err(Error::InvalidCode(
                    "recovery codes never contain 0, 1, I, L, O, U or symbols",
                ));
            }
            s.push(c);
        }
        if s.len() != RECOVERY_CODE_LEN {
            return Err(Error::InvalidCode(
                "a recovery code is 24 letters and digits",
            ));
        }
        Ok(Self(s.as_str().to_owned()))
    }

    /// The code in groups of four, for showing once: `ABCD-EFGH-JKMN-PQRS-TVWX-YZ23`.
    #[must_use]
    pub fn formatted(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(RECOVERY_CODE_LEN + 5));
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % RECOVERY_GROUP_LEN == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }
}

impl HeldSecret for RecoveryCode {
    const DOMAIN: &'static str = DOMAIN;

    fn secret(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// A freshly generated set of recovery codes, to show to the account holder once.
///
/// Only keyed hashes are stored; after this value is dropped the codes cannot be shown
/// again, only regenerated.
#[derive(Clone, Debug)]
pub struct RecoveryCodeSet {
    pub(crate) codes: Vec<RecoveryCode>,
}

impl RecoveryCodeSet {
    /// The codes.
    #[must_use]
    pub fn codes(&self) -> &[RecoveryCode] {
        &self.codes
    }
}

/// The stored side of an account's recovery codes: keyed hashes of the unused codes.
///
/// A set is generated, and so tagged, at once under one server key: the key id is kept
/// once for the set.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct RecoveryState {
    /// HMAC-SHA-256 tags of the codes not used yet.
    pub(crate) unused: Vec<Tag>,
    /// The id of the server key the set's tags were made with. State stored before
    /// tags named their key reads as
    /// [`SINGLE_SERVER_KEY_ID`](crate::SINGLE_SERVER_KEY_ID).
    #[cfg_attr(
        feature = "serde",
        serde(default = "crate::codes::secret::single_key_id")
    )]
    pub(crate) key_id: KeyId,
    /// When the current set was generated; `None` if never.
    pub(crate) generated_at: Option<UnixTime>,
}

impl Default for RecoveryState {
    fn default() -> Self {
        Self {
            unused: Vec::new(),
            key_id: crate::codes::secret::single_key_id(),
            generated_at: None,
        }
    }
}

impl RecoveryState {
    pub(crate) fn remaining(&self) -> usize {
        self.unused.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_codes_are_well_formed_and_distinct() {
        let a = RecoveryCode::generate().unwrap();
        let b = RecoveryCode::generate().unwrap();
        assert_ne!(a, b);
        let f = a.formatted();
        assert_eq!(f.len(), 29);
        assert_eq!(f.matches('-').count(), 5);
        assert_eq!(RecoveryCode::parse(&f).unwrap(), a);
        assert_eq!(RecoveryCode::parse(&f.to_lowercase()).unwrap(), a);
        assert_eq!(format!("{a:?}"), "RecoveryCode(<redacted>)");
        // At least 112 bits (NIST SP 800-63B §5.1.2.2).
        let bits = RECOVERY_CODE_LEN as f64 * (RECOVERY_ALPHABET.len() as f64).log2();
        assert!(bits >= 112.0, "{bits}");
    }

    #[test]
    fn parse_refuses_ambiguous_and_wrong_length() {
        for bad in [
            "",
            "ABCD-EFGH-JKMN-PQRS-TVWX-YZ2",   // 23 symbols
            "ABCD-EFGH-JKMN-PQRS-TVWX-YZ234", // 25 symbols
            "ABCD-EFGH-JKMN-PQRS-TVWX-YZ20",  // 0
            "ABCD-EFGH-JKMN-PQRS-TVWX-YZ2O",  // O
            "ABCD-EFGH-JKMN-PQRS-TVWX-YZ2I",  // I
            "ABCD-EFGH-JKMN-PQRS-TVWX-YZ2L",  // L
            "ABCD.EFGH.JKMN.PQRS.TVWX.YZ23",
            "ÄBCD-EFGH-JKMN-PQRS-TVWX-YZ23",
        ] {
            assert!(RecoveryCode::parse(bad).is_err(), "{bad}");
        }
        let e = RecoveryCode::parse("ABCD-EFGH-JKMN-PQRS-TVWX-YZ20")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("ABCD"), "{e}");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,160}") {
            let _ = RecoveryCode::parse(&s);
        }

        #[test]
        fn parse_format_round_trip(idx in proptest::collection::vec(0usize..30, RECOVERY_CODE_LEN)) {
            let raw: String = idx.iter().map(|i| char::from(RECOVERY_ALPHABET[*i])).collect();
            let code = RecoveryCode::parse(&raw).unwrap();
            let f = code.formatted();
            prop_assert_eq!(RecoveryCode::parse(&f).unwrap(), code.clone());
            prop_assert_eq!(RecoveryCode::parse(&f.to_lowercase().replace('-', " ")).unwrap(), code);
        }
    }
}
