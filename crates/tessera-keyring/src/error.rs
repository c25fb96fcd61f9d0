//! The crate's one error type.

use crate::KeyId;

/// Why a key, a keyring or a sealed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key id must be 1 to 32 characters of `A–Z a–z 0–9 _ -`.
    #[error("invalid key id: it must be 1 to 32 characters of letters, digits, '_' and '-'")]
    InvalidKeyId,
    /// The key material is not a 32-byte key in hex or base64.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// A key source (environment variable, file) could not be read; says which, never
    /// what it held.
    #[error("the key source {0} could not be read")]
    Source(String),
    /// Two keys with one id.
    #[error("the keyring already holds a key with id {0}")]
    DuplicateKeyId(KeyId),
    /// No key with this id in the keyring (a value sealed with a key that was removed,
    /// or an id never loaded).
    #[error("the keyring holds no key with id {0}")]
    UnknownKey(KeyId),
    /// The active key cannot be retired: activate another first.
    #[error("key {0} is the active key: activate another before retiring it")]
    RetiringActiveKey(KeyId),
    /// The key still seals stored values: re-seal them first.
    #[error("key {id} still seals {count} stored values: re-seal them to the active key first")]
    KeyStillInUse {
        /// The key.
        id: KeyId,
        /// How many stored values it still seals.
        count: u64,
    },
    /// The text is not a sealed value.
    #[error("malformed sealed value: {0}")]
    Malformed(&'static str),
    /// The sealed value did not open: the wrong key, a changed ciphertext or nonce, or
    /// a value moved to another owner or purpose. Deliberately one outcome.
    #[error("the sealed value did not open")]
    OpenFailed,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Randomness,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
