//! The keyring: keys with ids, one active; sealing and opening bound to a purpose and an
//! owner.

use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use hmac::Mac;
use zeroize::Zeroizing;

use crate::sealed::NONCE_LEN;
use crate::{Error, Key, KeyId, Result, Sealed};

/// The domain of every sealed value's associated data.
const SEAL_DOMAIN: &[u8] = b"tessera-keyring/seal/v1";
/// The domain of every derived key.
const DERIVE_DOMAIN: &[u8] = b"tessera-keyring/derive/v1";

/// What a sealed value is and whose it is, bound into it as associated data: a value
/// sealed for one purpose or owner does not open for another (a TOTP seed copied to
/// another user's or device's record stays shut).
///
/// A value, not configuration: every purpose and owner is valid, so there is no builder
/// to validate; [`owner`](Self::owner) takes and returns the binding, made in one
/// expression beside the seal or open that uses it.
///
/// ```
/// use tessera_keyring::Binding;
/// let b = Binding::new("totp-seed").owner(b"user-42").owner(b"device-7");
/// # let _ = b;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding<'a> {
    purpose: &'a str,
    owners: Vec<&'a [u8]>,
}

impl<'a> Binding<'a> {
    /// A binding to `purpose` (what the value is, e.g. `"totp-seed"`).
    #[must_use]
    pub fn new(purpose: &'a str) -> Self {
        Self {
            purpose,
            owners: Vec::new(),
        }
    }

    /// Adds an owner (a user id, a device id), in order.
    #[must_use]
    pub fn owner(mut self, id: &'a [u8]) -> Self {
        self.owners.push(id);
        self
    }

    /// The associated data: the domain, the key id, then each field with its length,
    /// so that no two bindings encode alike.
    fn associated_data(&self, key_id: &KeyId) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        for field in std::iter::once(SEAL_DOMAIN)
            .chain([key_id.as_str().as_bytes(), self.purpose.as_bytes()])
            .chain(self.owners.iter().copied())
        {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }
}

/// Keys with ids, one of them active: the active key seals, every key opens what it
/// sealed.
///
/// Rotation: [`add`](Self::add) a new key, [`activate`](Self::activate) it (new values
/// are sealed with it, old ones still open), re-seal what is stored (each value is
/// re-sealed when next written; the stores' re-seal runs do the rest), then
/// [`retire`](Self::retire) the old key once nothing is sealed with it.
///
/// `Debug` shows the ids only; the keys are wiped on drop.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Entry>,
    active: usize,
}

/// A key with its id and its AES key schedule, expanded once (wiped on drop with the
/// key).
#[derive(Clone)]
struct Entry {
    id: KeyId,
    key: Key,
    cipher: Aes256Gcm,
}

impl Entry {
    fn new(id: KeyId, key: Key) -> Self {
        let cipher = Aes256Gcm::new(key.bytes().into());
        Self { id, key, cipher }
    }
}

impl Keyring {
    /// A keyring with one key, active.
    #[must_use]
    pub fn new(id: KeyId, key: Key) -> Self {
        Self {
            keys: vec![Entry::new(id, key)],
            active: 0,
        }
    }

    /// A keyring with one fresh random key named `ephemeral`: for tests, examples and
    /// single-process tools only. What it seals never opens after a restart.
    ///
    /// # Errors
    /// [`Error::Randomness`].
    pub fn ephemeral() -> Result<Self> {
        Ok(Self::new(KeyId::parse("ephemeral")?, Key::generate()?))
    }

    /// Reads a keyring from text: one `id=key` per line (or separated by spaces or
    /// commas), keys in hex or base64; the **first** is active. Blank lines and lines
    /// starting with `#` are skipped.
    ///
    /// ```
    /// use tessera_keyring::Keyring;
    /// let ring = Keyring::parse(
    ///     "2026-11=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\
    ///      2026-05=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    /// )?;
    /// assert_eq!(ring.active_id().as_str(), "2026-11");
    /// # Ok::<(), tessera_keyring::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`], [`Error::InvalidKey`], [`Error::DuplicateKeyId`]; an
    /// empty text is [`Error::InvalidKey`].
    pub fn parse(text: &str) -> Result<Self> {
        let mut ring: Option<Self> = None;
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .flat_map(|l| l.split([' ', ',', '\t']))
            .filter(|e| !e.is_empty());
        for entry in entries {
            let (id, key) = entry
                .split_once('=')
                .ok_or(Error::InvalidKey("expected id=key"))?;
            let (id, key) = (KeyId::parse(id)?, Key::parse(key)?);
            match &mut ring {
                None => ring = Some(Self::new(id, key)),
                Some(r) => r.add(id, key)?,
            }
        }
        ring.ok_or(Error::InvalidKey("the keyring is empty"))
    }

    /// The keyring in the environment variable `name` (see [`Keyring::parse`]).
    ///
    /// # Errors
    /// [`Error::Source`] when it is unset; as [`Keyring::parse`].
    pub fn from_env(name: &str) -> Result<Self> {
        Self::parse(&crate::key::read_env(name)?)
    }

    /// The keyring in the file at `path` (see [`Keyring::parse`]).
    ///
    /// # Errors
    /// [`Error::Source`] when it cannot be read; as [`Keyring::parse`].
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        Self::parse(&crate::key::read_file(path)?)
    }

    /// Adds a key for opening (and for activating later).
    ///
    /// # Errors
    /// [`Error::DuplicateKeyId`].
    pub fn add(&mut self, id: KeyId, key: Key) -> Result<()> {
        if self.contains(&id) {
            return Err(Error::DuplicateKeyId(id));
        }
        self.keys.push(Entry::new(id, key));
        Ok(())
    }

    /// Makes `id` the key that seals from now on.
    ///
    /// # Errors
    /// [`Error::UnknownKey`].
    pub fn activate(&mut self, id: &KeyId) -> Result<()> {
        self.active = self.index(id)?;
        Ok(())
    }

    /// Removes a key that no longer seals anything: `still_sealed` is how many stored
    /// values the stores' count found sealed with it.
    ///
    /// # Errors
    /// [`Error::RetiringActiveKey`]; [`Error::KeyStillInUse`] when `still_sealed > 0`;
    /// [`Error::UnknownKey`].
    pub fn retire(&mut self, id: &KeyId, still_sealed: u64) -> Result<()> {
        let index = self.index(id)?;
        if index == self.active {
            return Err(Error::RetiringActiveKey(id.clone()));
        }
        if still_sealed != 0 {
            return Err(Error::KeyStillInUse {
                id: id.clone(),
                count: still_sealed,
            });
        }
        self.keys.remove(index);
        if self.active > index {
            self.active -= 1;
        }
        Ok(())
    }

    /// The id of the key that seals.
    #[must_use]
    pub fn active_id(&self) -> &KeyId {
        &self.active_entry().id
    }

    /// Every key id, the active one included, in the order they were added.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|e| &e.id)
    }

    /// Whether the keyring holds a key with this id.
    #[must_use]
    pub fn contains(&self, id: &KeyId) -> bool {
        self.keys.iter().any(|e| &e.id == id)
    }

    /// Whether `sealed` is sealed with the active key (if not, re-seal it when writing).
    #[must_use]
    pub fn is_current(&self, sealed: &Sealed) -> bool {
        &sealed.key_id == self.active_id()
    }

    /// Seals `plaintext` with the active key, bound to `binding`, under a fresh random
    /// nonce.
    ///
    /// # Errors
    /// [`Error::Randomness`].
    pub fn seal(&self, binding: &Binding<'_>, plaintext: &[u8]) -> Result<Sealed> {
        let entry = self.active_entry();
        let mut nonce = [0u8; NONCE_LEN];
        crate::fill_random(&mut nonce)?;
        let aad = binding.associated_data(&entry.id);
        let ciphertext = entry
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Encryption fails only for inputs beyond the cipher's 256 GiB limit.
            .map_err(|_| Error::Malformed("the plaintext is too long"))?;
        Ok(Sealed {
            key_id: entry.id.clone(),
            nonce,
            ciphertext,
        })
    }

    /// Opens `sealed`, if it was sealed by a key of this keyring for exactly `binding`.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] when its key is not in the keyring (a clear error: load the
    /// retired key); [`Error::OpenFailed`], one outcome for a changed ciphertext, nonce
    /// or key id, and for a value moved to another purpose or owner.
    pub fn open(&self, binding: &Binding<'_>, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>> {
        let entry = &self.keys[self.index(&sealed.key_id)?];
        let aad = binding.associated_data(&entry.id);
        entry
            .cipher
            .decrypt(
                &sealed.nonce.into(),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Error::OpenFailed)
    }

    /// A 256-bit key for `purpose` derived from the key `id` (HMAC-SHA-256 of the
    /// purpose under the key): to key MACs, e.g. the MFA crate's server key, from the
    /// same secret the keyring is loaded from.
    ///
    /// # Errors
    /// [`Error::UnknownKey`].
    pub fn derive(&self, id: &KeyId, purpose: &str) -> Result<Zeroizing<[u8; 32]>> {
        let entry = &self.keys[self.index(id)?];
        let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(entry.key.bytes())
            .map_err(|_| Error::InvalidKey("a key is exactly 32 bytes"))?;
        mac.update(DERIVE_DOMAIN);
        mac.update(&(purpose.len() as u64).to_be_bytes());
        mac.update(purpose.as_bytes());
        Ok(Zeroizing::new(mac.finalize().into_bytes().into()))
    }

    fn index(&self, id: &KeyId) -> Result<usize> {
        self.keys
            .iter()
            .position(|e| &e.id == id)
            .ok_or_else(|| Error::UnknownKey(id.clone()))
    }

    fn active_entry(&self) -> &Entry {
        // `active` always indexes an entry: `new` makes one, `activate` checks, and
        // `retire` refuses the active one and shifts the index past a removed one.
        &self.keys[self.active]
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("active", self.active_id())
            .field("ids", &self.ids().collect::<Vec<_>>())
            .finish()
    }
}
