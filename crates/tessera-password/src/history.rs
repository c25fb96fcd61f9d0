//! The account's previous password hashes, for the "no reuse of the last N" rule.

use password_hash::phc::PasswordHash;

use crate::{Error, MAX_HISTORY};

/// The account's most recent password hashes (PHC strings), newest first, at most
/// [`MAX_HISTORY`].
///
/// The crate keeps no state: the application loads this from its storage, passes it to
/// [`crate::PasswordPolicy::validate_change`], and after a successful change **must persist**
/// the history returned by [`PasswordHistory::push`]-ing the new hash, or the rule cannot work.
/// Storing the hashes is safe in the same way as storing the current one.
///
/// `Debug` prints only how many entries there are: a PHC string is enough to run an offline
/// guessing attack, so it must not reach logs.
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PasswordHistory {
    hashes: Vec<String>,
}

impl PasswordHistory {
    /// An empty history.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A history from stored PHC strings, newest first; entries past [`MAX_HISTORY`] are
    /// dropped.
    ///
    /// # Errors
    /// [`Error::MalformedHash`] if an entry is not a PHC string.
    pub fn from_hashes<I, S>(hashes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut out = Vec::new();
        for h in hashes.into_iter().take(MAX_HISTORY) {
            let h = h.into();
            PasswordHash::new(&h).map_err(|_| Error::MalformedHash)?;
            out.push(h);
        }
        Ok(Self { hashes: out })
    }

    /// Records a new current hash in front and keeps at most `keep` entries (capped at
    /// [`MAX_HISTORY`]; pass the policy's [`history`](crate::PasswordPolicy::history)).
    ///
    /// # Errors
    /// [`Error::MalformedHash`] if `hash` is not a PHC string.
    pub fn push(&mut self, hash: impl Into<String>, keep: usize) -> Result<(), Error> {
        let hash = hash.into();
        PasswordHash::new(&hash).map_err(|_| Error::MalformedHash)?;
        self.hashes.insert(0, hash);
        self.hashes.truncate(keep.min(MAX_HISTORY));
        Ok(())
    }

    /// The stored hashes, newest first.
    #[must_use]
    pub fn hashes(&self) -> &[String] {
        &self.hashes
    }

    /// How many hashes are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether no hash is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

impl core::fmt::Debug for PasswordHistory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PasswordHistory")
            .field("len", &self.hashes.len())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for PasswordHistory {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            hashes: Vec<String>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Self::from_hashes(raw.hashes).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str =
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn keeps_newest_first_and_bounded() {
        let mut h = PasswordHistory::new();
        for _ in 0..30 {
            assert!(h.push(H, 30).is_ok());
        }
        assert_eq!(h.len(), MAX_HISTORY);
        assert!(h.push(H, 3).is_ok());
        assert_eq!(h.len(), 3);
        assert_eq!(h.push("not a hash", 3), Err(Error::MalformedHash));
        assert_eq!(
            PasswordHistory::from_hashes(["$$$"]),
            Err(Error::MalformedHash)
        );
    }

    #[test]
    fn newest_first_and_keep_bounds() {
        const NEWER: &str =
            "$argon2id$v=19$m=8,t=1,p=1$bmV3ZXJzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let mut h = PasswordHistory::new();
        assert!(h.is_empty());
        h.push(H, 2).unwrap();
        assert!(!h.is_empty());
        h.push(NEWER, 2).unwrap();
        assert_eq!(h.hashes(), [NEWER, H]);
        // Keeping none empties it; importing more than 24 keeps the first 24.
        h.push(H, 0).unwrap();
        assert!(h.is_empty());
        let many = PasswordHistory::from_hashes(vec![H; MAX_HISTORY + 1]).unwrap();
        assert_eq!(many.len(), MAX_HISTORY);
    }

    #[test]
    fn debug_prints_only_the_count() {
        let h = PasswordHistory::from_hashes([H, H]).unwrap_or_default();
        let shown = format!("{h:?}");
        assert_eq!(shown, "PasswordHistory { len: 2, .. }");
        assert!(!shown.contains("argon2") && !shown.contains("AAAA"));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserialise_refuses_malformed_entries() {
        let ok = format!(r#"{{"hashes":["{H}"]}}"#);
        assert_eq!(
            serde_json::from_str::<PasswordHistory>(&ok)
                .map(|h| h.len())
                .ok(),
            Some(1)
        );
        assert!(serde_json::from_str::<PasswordHistory>(r#"{"hashes":["nope"]}"#).is_err());
    }
}
