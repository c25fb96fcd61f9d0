//! The server key that turns codes and tokens into keyed hashes, and the random source.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use rand::TryRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tessera_keyring::{KeyId, Keyring};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Error, Result};

/// Shortest server key accepted, in bytes (256 bits, the HMAC-SHA-256 output size).
pub const MIN_SERVER_KEY_LEN: usize = 32;
/// Longest server key accepted, in bytes (one SHA-256 block; longer keys are hashed
/// down by HMAC anyway).
pub const MAX_SERVER_KEY_LEN: usize = 64;
/// The key id of a key given as bytes ([`ServerKey::from_bytes`],
/// [`ServerKey::generate`], [`ServerKey::with_previous_key`]), and the id that state
/// stored before tags carried key ids is read with.
pub const SINGLE_SERVER_KEY_ID: &str = "server-key";
/// The purpose the server key is derived for from each keyring key
/// ([`Keyring::derive`]); changing it would void every stored tag.
pub const SERVER_KEY_PURPOSE: &str = "tessera-mfa/server-key/v1";

/// A keyed hash as stored: HMAC-SHA-256.
pub(crate) type Tag = [u8; 32];

/// The id [`SINGLE_SERVER_KEY_ID`] as a [`KeyId`].
pub(crate) fn single_key_id() -> KeyId {
    // A constant that is a valid id (letters and a dash; `single_key_id_is_valid`
    // checks it), so this cannot fail at run time.
    #[allow(clippy::expect_used)]
    KeyId::parse(SINGLE_SERVER_KEY_ID).expect("a valid key id literal")
}

/// The server's secret keys for the keyed hashes of one-time codes, recovery codes and
/// remember-device tokens: one per key id, one of them active.
///
/// Stored values are HMAC-SHA-256 tags, so a copy of the state store alone does not let
/// anyone check guesses offline. Every stored tag names the key id it was made with;
/// new tags use the active key, and a tag is checked with the key it names. A tag whose
/// key is no longer loaded matches nothing: the code or token is refused like a wrong
/// one (opaque), never a panic.
///
/// # Where it comes from
/// - In a service: [`ServerKey::from_keyring`]. One key is derived from each key of the
///   [`Keyring`] (purpose [`SERVER_KEY_PURPOSE`]), under the same id; the keyring's
///   active key makes new tags. Every instance loading the same keyring accepts the
///   others' codes, and codes survive a restart.
/// - In tests and single-process tools: [`ServerKey::generate`] or
///   [`ServerKey::from_bytes`], a keyring of one key with id [`SINGLE_SERVER_KEY_ID`].
///   A generated key dies with the process: outstanding email/SMS codes, recovery codes
///   and remembered devices stop working after a restart.
///
/// # Rotation
/// Add a key to the keyring and make it active, then load the [`ServerKey`] again: new
/// tags use the new key, tags made under the old one still verify while it stays in the
/// keyring. Tags cannot be re-keyed (the codes are not stored), so the old key is
/// retired once [`Mfa::count_tags_with`](crate::Mfa::count_tags_with) reports nothing
/// left under it: challenges expire within minutes, remembered devices within their
/// lifetime, recovery codes when used or regenerated. Pass the count to
/// [`Keyring::retire`], which refuses while it is not zero.
///
/// Moving from a key given as bytes to a keyring:
/// [`with_previous_key`](Self::with_previous_key) keeps the old bytes for checking only.
///
/// Zeroized on drop; `Debug` prints the key ids, never a key.
#[derive(Clone)]
pub struct ServerKey {
    /// Key ids with their MAC keys; at most a handful, searched linearly.
    keys: Vec<(KeyId, Zeroizing<Vec<u8>>)>,
    /// Index into `keys` of the key that makes new tags.
    active: usize,
}

impl ServerKey {
    /// Wraps key material of [`MIN_SERVER_KEY_LEN`]..=[`MAX_SERVER_KEY_LEN`] bytes, as
    /// a keyring of one key with id [`SINGLE_SERVER_KEY_ID`].
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a key of another length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self {
            keys: vec![(single_key_id(), checked_bytes(bytes)?)],
            active: 0,
        })
    }

    /// A fresh random 256-bit key from the operating system, with id
    /// [`SINGLE_SERVER_KEY_ID`]: for tests and single-process use. Nothing it tagged
    /// verifies after a restart or on another instance; use
    /// [`ServerKey::from_keyring`] in a service.
    ///
    /// # Errors
    /// [`Error::Randomness`] when the operating system's generator fails.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new(vec![0u8; MIN_SERVER_KEY_LEN]);
        fill_random(&mut bytes)?;
        Ok(Self {
            keys: vec![(single_key_id(), bytes)],
            active: 0,
        })
    }

    /// One key per key of `keyring`, derived for [`SERVER_KEY_PURPOSE`] under the same
    /// id; the keyring's active key makes new tags.
    ///
    /// ```
    /// use tessera_keyring::{Key, KeyId, Keyring};
    /// use tessera_mfa::ServerKey;
    ///
    /// // In a service: `Keyring::from_env("TESSERA_KEYRING")?`, the same on every instance.
    /// let mut ring = Keyring::new(KeyId::parse("2026-05")?, Key::generate()?);
    /// assert_eq!(ServerKey::from_keyring(&ring)?.active_id().as_str(), "2026-05");
    ///
    /// // Rotation: the new key tags from now on, the old one still checks.
    /// ring.add(KeyId::parse("2026-11")?, Key::generate()?)?;
    /// ring.activate(&KeyId::parse("2026-11")?)?;
    /// let key = ServerKey::from_keyring(&ring)?;
    /// assert_eq!(key.active_id().as_str(), "2026-11");
    /// assert!(key.contains(&KeyId::parse("2026-05")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the keyring cannot derive a key (it always can for
    /// a keyring that loaded).
    pub fn from_keyring(keyring: &Keyring) -> Result<Self> {
        let mut keys = Vec::new();
        let mut active = 0;
        for id in keyring.ids() {
            let derived = keyring
                .derive(id, SERVER_KEY_PURPOSE)
                .map_err(|_| Error::InvalidConfig("the keyring could not derive a server key"))?;
            if id == keyring.active_id() {
                active = keys.len();
            }
            keys.push((id.clone(), Zeroizing::new(derived.to_vec())));
        }
        if keys.is_empty() {
            return Err(Error::InvalidConfig("the keyring holds no key"));
        }
        Ok(Self { keys, active })
    }

    /// Adds a key given as bytes under [`SINGLE_SERVER_KEY_ID`], for checking only: the
    /// key a deployment used with [`ServerKey::from_bytes`] before it moved to a
    /// keyring, so codes, recovery codes and remembered devices made under it keep
    /// working until they are used up or expire.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a key of the wrong length, or when a key with id
    /// [`SINGLE_SERVER_KEY_ID`] is already loaded.
    pub fn with_previous_key(mut self, bytes: &[u8]) -> Result<Self> {
        let id = single_key_id();
        if self.contains(&id) {
            return Err(Error::InvalidConfig(
                "a server key with id server-key is already loaded",
            ));
        }
        self.keys.push((id, checked_bytes(bytes)?));
        Ok(self)
    }

    /// The id of the key that makes new tags.
    #[must_use]
    pub fn active_id(&self) -> &KeyId {
        // `active` always indexes an entry: every constructor makes at least one key and
        // sets it to one, and keys are never removed.
        &self.keys[self.active].0
    }

    /// Every loaded key id, the active one included.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|(id, _)| id)
    }

    /// Whether a key with this id is loaded (tags it made can verify).
    #[must_use]
    pub fn contains(&self, id: &KeyId) -> bool {
        self.keys.iter().any(|(k, _)| k == id)
    }

    /// HMAC-SHA-256 under the active key (whose id is [`Self::active_id`]).
    pub(crate) fn tag(&self, domain: &str, parts: &[&[u8]]) -> Result<Tag> {
        self.tag_with(self.active_id(), domain, parts)?
            .ok_or(Error::InvalidConfig("the active server key is missing"))
    }

    /// HMAC-SHA-256 under the key `id`, over a domain label and length-prefixed parts,
    /// so that no two different inputs (or uses) produce the same message. `None` when
    /// no key with that id is loaded: the caller treats it as "matches nothing".
    pub(crate) fn tag_with(
        &self,
        id: &KeyId,
        domain: &str,
        parts: &[&[u8]],
    ) -> Result<Option<Tag>> {
        let Some((_, key)) = self.keys.iter().find(|(k, _)| k == id) else {
            return Ok(None);
        };
        // HMAC takes keys of any length, so this cannot fail for a checked key; the error
        // is still propagated rather than unwrapped.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .map_err(|_| Error::InvalidConfig("the server key must be 32 to 64 bytes"))?;
        Mac::update(&mut mac, &(domain.len() as u64).to_be_bytes());
        Mac::update(&mut mac, domain.as_bytes());
        for p in parts {
            Mac::update(&mut mac, &(p.len() as u64).to_be_bytes());
            Mac::update(&mut mac, p);
        }
        Ok(Some(mac.finalize().into_bytes().into()))
    }
}

fn checked_bytes(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if !(MIN_SERVER_KEY_LEN..=MAX_SERVER_KEY_LEN).contains(&bytes.len()) {
        return Err(Error::InvalidConfig(
            "the server key must be 32 to 64 bytes",
        ));
    }
    Ok(Zeroizing::new(bytes.to_vec()))
}

impl Zeroize for ServerKey {
    fn zeroize(&mut self) {
        for (_, key) in &mut self.keys {
            key.zeroize();
        }
    }
}

// Every key is a `Zeroizing` buffer, wiped when the `ServerKey` drops.
impl ZeroizeOnDrop for ServerKey {}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey")
            .field("active", self.active_id())
            .field(
                "ids",
                &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A secret the account holder keeps (a recovery code, a remember token), stored only as
/// its tag, bound to the account, under a domain of its own.
pub(crate) trait HeldSecret {
    /// The domain label that keeps this kind's tags apart from every other use.
    const DOMAIN: &'static str;

    /// The secret's bytes.
    fn secret(&self) -> &[u8];

    /// The tag for `account` under the active server key.
    fn tag(&self, key: &ServerKey, account: &str) -> Result<Tag> {
        key.tag(Self::DOMAIN, &[account.as_bytes(), self.secret()])
    }

    /// The tag for `account` under the server key `id`; `None` when it is not loaded.
    fn tag_with(&self, key: &ServerKey, id: &KeyId, account: &str) -> Result<Option<Tag>> {
        key.tag_with(id, Self::DOMAIN, &[account.as_bytes(), self.secret()])
    }
}

/// Constant-time equality of two tags.
pub(crate) fn tags_equal(a: &Tag, b: &Tag) -> bool {
    bool::from(a.ct_eq(b))
}

/// The index of the first tag in `tags` equal to `tag`, comparing against every entry
/// (no early exit), in constant time per entry.
pub(crate) fn find_tag<'a>(tags: impl IntoIterator<Item = &'a Tag>, tag: &Tag) -> Option<usize> {
    let mut found = None;
    for (i, t) in tags.into_iter().enumerate() {
        let eq = tags_equal(t, tag);
        if eq && found.is_none() {
            found = Some(i);
        }
    }
    found
}

/// The index of the first entry whose stored tag equals the candidate's tag under the
/// key that entry names. `candidate` is asked once per distinct key id; every entry is
/// compared (no early exit), in constant time; an entry whose key is not loaded matches
/// nothing.
pub(crate) fn find_keyed_tag<'a>(
    entries: impl IntoIterator<Item = (&'a KeyId, &'a Tag)>,
    mut candidate: impl FnMut(&KeyId) -> Result<Option<Tag>>,
) -> Result<Option<usize>> {
    let mut by_key: Vec<(&KeyId, Option<Tag>)> = Vec::new();
    let mut found = None;
    for (i, (key_id, stored)) in entries.into_iter().enumerate() {
        let tag = match by_key.iter().find(|(k, _)| *k == key_id) {
            Some((_, tag)) => *tag,
            None => {
                let tag = candidate(key_id)?;
                by_key.push((key_id, tag));
                tag
            }
        };
        let eq = tag.is_some_and(|t| tags_equal(&t, stored));
        if eq && found.is_none() {
            found = Some(i);
        }
    }
    Ok(found)
}

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    rand::rngs::SysRng
        .try_fill_bytes(buf)
        .map_err(|_| Error::Randomness)
}

/// `n` uniformly random characters of the ASCII `alphabet` (each symbol one byte of the
/// result), by rejection sampling of random bytes, so no symbol is more likely than
/// another.
pub(crate) fn random_symbols(alphabet: &[u8], n: usize) -> Result<zeroize::Zeroizing<String>> {
    let len = alphabet.len().clamp(1, 256);
    // Accept bytes below the largest multiple of `len`; reject the rest.
    let limit = 256 - (256 % len);
    let mut out = zeroize::Zeroizing::new(String::with_capacity(n));
    let mut pool = zeroize::Zeroizing::new([0u8; 64]);
    while out.len() < n {
        fill_random(&mut pool[..])?;
        for &b in pool.iter() {
            if usize::from(b) < limit
                && out.len() < n
                && let Some(&c) = alphabet.get(usize::from(b) % len)
            {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_symbols_are_uniform_over_any_alphabet() {
        // 100 ASCII symbols: bytes 200..=255 must be rejected, or symbols 0..=55 come up
        // 1.5 times as often. 400,000 draws: about 4,000 each (σ ≈ 63); a biased
        // sampler gives each of those about 4,700 (symbol 0 up to 6,000).
        let alphabet: Vec<u8> = (28..128).collect();
        let drawn = random_symbols(&alphabet, 400_000).unwrap();
        let mut counts = [0u32; 100];
        for b in drawn.bytes() {
            counts[usize::from(b - 28)] += 1;
        }
        assert_eq!(counts.iter().sum::<u32>(), 400_000);
        let low: u32 = counts[..56].iter().sum::<u32>() / 56;
        assert!(low < 4_300, "symbols 0..56 drawn {low} times on average");
        assert!(counts[0] < 4_400, "symbol 0 drawn {} times", counts[0]);
        assert!(counts.iter().all(|&n| n > 3_500), "{counts:?}");
        // The 30 symbols of recovery codes: every one comes up.
        let letters = random_symbols(crate::RECOVERY_ALPHABET, 4_096).unwrap();
        assert!(
            crate::RECOVERY_ALPHABET
                .iter()
                .all(|&c| letters.contains(char::from(c)))
        );
    }

    #[test]
    fn zeroize_wipes_every_key() {
        let mut key = ServerKey::from_bytes(&[0x42; 32]).unwrap();
        let zeros = ServerKey::from_bytes(&[0; 32]).unwrap();
        let tag = |k: &ServerKey| k.tag("test", &[b"ana"]).unwrap();
        assert_ne!(tag(&key), tag(&zeros));
        key.zeroize();
        assert_eq!(tag(&key), tag(&zeros), "the key bytes are now zeros");
    }

    #[test]
    fn key_bounds_and_redaction() {
        assert!(ServerKey::from_bytes(&[7; 31]).is_err());
        assert!(ServerKey::from_bytes(&[7; 65]).is_err());
        let k = ServerKey::from_bytes(&[7; 32]).unwrap();
        let shown = format!("{k:?}");
        assert!(
            !shown.contains("7, 7") && shown.contains("server-key"),
            "{shown}"
        );
        assert!(ServerKey::generate().is_ok());
    }

    #[test]
    fn tag_is_hmac_sha256_over_length_prefixed_parts() {
        // The framing spelled out, checked against the hmac crate itself (whose own
        // RFC 4231 vectors cover the primitive).
        let k = ServerKey::from_bytes(&[0x0b; 32]).unwrap();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 32]).unwrap();
        Mac::update(&mut mac, &1u64.to_be_bytes());
        Mac::update(&mut mac, b"d");
        Mac::update(&mut mac, &2u64.to_be_bytes());
        Mac::update(&mut mac, b"ab");
        let want: Tag = mac.finalize().into_bytes().into();
        assert_eq!(k.tag("d", &[b"ab"]).unwrap(), want);
        // Framing: moving a byte between parts, or changing the domain, changes the tag.
        assert_ne!(k.tag("d", &[b"a", b"b"]).unwrap(), want);
        assert_ne!(k.tag("e", &[b"ab"]).unwrap(), want);
    }

    #[test]
    fn keys_from_a_keyring_are_its_derived_keys_under_its_ids() {
        use tessera_keyring::Key;
        let (old, new) = (KeyId::parse("old").unwrap(), KeyId::parse("new").unwrap());
        let mut ring = Keyring::new(old.clone(), Key::from_bytes(&[1; 32]).unwrap());
        ring.add(new.clone(), Key::from_bytes(&[2; 32]).unwrap())
            .unwrap();
        let before = ServerKey::from_keyring(&ring).unwrap();
        assert_eq!(before.active_id(), &old);
        ring.activate(&new).unwrap();
        let after = ServerKey::from_keyring(&ring).unwrap();
        assert_eq!(after.active_id(), &new);
        assert_eq!(after.ids().collect::<Vec<_>>(), [&old, &new]);
        // The tag under an id is HMAC under the keyring's derived key for that id, so
        // every instance loading the keyring computes the same tags.
        for id in [&old, &new] {
            let derived = ring.derive(id, SERVER_KEY_PURPOSE).unwrap();
            let direct = ServerKey::from_bytes(&derived[..]).unwrap();
            assert_eq!(
                after.tag_with(id, "d", &[b"x"]).unwrap(),
                Some(direct.tag("d", &[b"x"]).unwrap())
            );
        }
        assert_eq!(
            before.tag("d", &[b"x"]).unwrap(),
            after.tag_with(&old, "d", &[b"x"]).unwrap().unwrap()
        );
        assert_ne!(
            after.tag("d", &[b"x"]).unwrap(),
            before.tag("d", &[b"x"]).unwrap()
        );
        // An id not loaded tags nothing (and does not panic).
        let gone = KeyId::parse("gone").unwrap();
        assert_eq!(after.tag_with(&gone, "d", &[b"x"]).unwrap(), None);
        // Debug names ids, never keys.
        let shown = format!("{after:?}");
        assert!(shown.contains("new") && shown.contains("old"), "{shown}");
        for id in [&old, &new] {
            let derived = ring.derive(id, SERVER_KEY_PURPOSE).unwrap();
            assert!(!shown.contains(&format!("{:?}", &derived[..4])), "{shown}");
        }
    }

    #[test]
    fn a_previous_key_is_added_for_checking_only() {
        let ring = Keyring::ephemeral().unwrap();
        let k = ServerKey::from_keyring(&ring)
            .unwrap()
            .with_previous_key(&[9; 32])
            .unwrap();
        assert_eq!(k.active_id(), ring.active_id());
        let single = ServerKey::from_bytes(&[9; 32]).unwrap();
        assert_eq!(
            k.tag_with(&single_key_id(), "d", &[]).unwrap(),
            Some(single.tag("d", &[]).unwrap())
        );
        // Twice, or on a key that already has the id: refused.
        assert!(k.clone().with_previous_key(&[8; 32]).is_err());
        assert!(single.with_previous_key(&[8; 32]).is_err());
        assert!(
            ServerKey::from_keyring(&ring)
                .unwrap()
                .with_previous_key(&[9; 31])
                .is_err()
        );
    }

    #[test]
    fn find_keyed_tag_checks_each_entry_under_its_key() {
        let a = KeyId::parse("a").unwrap();
        let b = KeyId::parse("b").unwrap();
        let gone = KeyId::parse("gone").unwrap();
        let ta = [1u8; 32];
        let tb = [2u8; 32];
        let mut asked = Vec::new();
        let found = find_keyed_tag([(&gone, &ta), (&a, &tb), (&a, &ta), (&b, &tb)], |k| {
            asked.push(k.clone());
            Ok(match k.as_str() {
                "a" => Some(ta),
                "b" => Some(tb),
                _ => None,
            })
        })
        .unwrap();
        // The entry under `gone` has the right bytes but its key is not loaded.
        assert_eq!(found, Some(2));
        // One candidate per distinct key id.
        assert_eq!(asked, [gone.clone(), a.clone(), b.clone()]);
    }

    #[test]
    fn single_key_id_is_valid() {
        assert_eq!(single_key_id().as_str(), SINGLE_SERVER_KEY_ID);
    }

    #[test]
    fn find_tag_finds_first_match() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        assert_eq!(find_tag([&a, &b, &b], &b), Some(1));
        assert_eq!(find_tag([&a], &b), None);
    }

    #[test]
    fn random_symbols_uses_only_the_alphabet() {
        let s = random_symbols(b"0123456789", 1000).unwrap();
        assert_eq!(s.len(), 1000);
        assert!(s.bytes().all(|b| b.is_ascii_digit()));
        // Every digit shows up in 1000 draws (fails with probability < 1e-40).
        for d in b'0'..=b'9' {
            assert!(s.bytes().any(|b| b == d));
        }
    }
}
