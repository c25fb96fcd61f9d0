//! Tessera's keyring: the keys that seal secrets at rest.
//!
//! A [`Keyring`] holds 256-bit keys with ids ([`KeyId`]), one of them active. The active
//! key seals; every key opens what it sealed. A [`Sealed`] value carries its key id and
//! a random 96-bit nonce, and is AES-256-GCM over the secret with associated
//! data that binds it to what it is and whose it is ([`Binding`]: a purpose, a user id,
//! a device id). A sealed TOTP seed copied to another user's record does not open.
//!
//! ```
//! use tessera_keyring::{Binding, Key, KeyId, Keyring};
//!
//! let mut ring = Keyring::new(KeyId::parse("2026-05")?, Key::generate()?);
//! let binding = Binding::new("totp-seed").owner(b"user-42").owner(b"device-7");
//! let sealed = ring.seal(&binding, b"the seed")?;
//! let stored = sealed.to_string(); // "tsk1.2026-05.<nonce>.<ciphertext>"
//!
//! // Rotation: a new key seals from now on; the old one still opens.
//! ring.add(KeyId::parse("2026-11")?, Key::generate()?)?;
//! ring.activate(&KeyId::parse("2026-11")?)?;
//! let opened = ring.open(&binding, &stored.parse()?)?;
//! assert_eq!(opened.as_slice(), b"the seed");
//! assert!(!ring.is_current(&stored.parse()?)); // re-seal it when next written
//!
//! // Another owner: refused.
//! let elsewhere = Binding::new("totp-seed").owner(b"user-43").owner(b"device-7");
//! assert!(ring.open(&elsewhere, &stored.parse()?).is_err());
//! # Ok::<(), tessera_keyring::Error>(())
//! ```
//!
//! # What to keep secret, how to rotate
//! - Keep the keyring's text (`id=key` lines, [`Keyring::parse`]) in a secrets manager,
//!   an environment variable ([`Keyring::from_env`]) or a file readable by the service
//!   only ([`Keyring::from_file`]); never in the database it protects. `tessera key
//!   generate` prints a new key in the form the keyring reads.
//! - To rotate: put the new key first (active) and keep the old one after it; every value
//!   is re-sealed with the active key when it is next written, and the stores' re-seal
//!   runs do the rest. Retire the old key only when nothing is sealed with it
//!   ([`Keyring::retire`] refuses otherwise, with the count).
//! - Lose a key and what it sealed is gone: back keys up as carefully as the database.
//!
//! # Crate features
//! - `serde`: [`Sealed`] and [`KeyId`] serialize as their text forms (and deserialize
//!   only what parses).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod key;
mod keyring;
mod sealed;

pub use error::{Error, Result};
pub use key::{KEY_LEN, Key, KeyId, MAX_KEY_ID_LEN};
pub use keyring::{Binding, Keyring};
pub use sealed::{MAX_SEALED_LEN, NONCE_LEN, SEALED_PREFIX, Sealed, TAG_LEN};

/// Fills `out` from the operating system's generator.
pub(crate) fn fill_random(out: &mut [u8]) -> Result<()> {
    use rand::TryRng;
    rand::rngs::SysRng
        .try_fill_bytes(out)
        .map_err(|_| Error::Randomness)
}
