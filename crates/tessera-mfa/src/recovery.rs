//! Recovery codes: single-use look-up secrets for when the other methods are lost.

use tessera_otp::UnixTime;

/// The stored side of an account's recovery codes: keyed hashes of the unused codes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct RecoveryState {
    /// HMAC-SHA-256 tags of the codes not used yet.
    pub(crate) unused: Vec<[u8; 32]>,
    /// When the current set was generated; `None` if never.
    pub(crate) generated_at: Option<UnixTime>,
}

impl RecoveryState {
    pub(crate) fn remaining(&self) -> usize {
        self.unused.len()
    }
}
