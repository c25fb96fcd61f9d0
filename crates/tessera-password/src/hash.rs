//! Argon2id password hashing in PHC strings.

use argon2::{Algorithm, Argon2, Version};
use password_hash::phc::PasswordHash;
use rand::TryRng;
use zeroize::Zeroizing;

use crate::normalize::normalize;
use crate::{Error, HashParams, Password, Pepper};

mod builder;
pub use builder::HasherBuilder;

/// Longest password, in bytes of UTF-8, that is hashed or verified. Anything longer is refused
/// with [`Error::PasswordTooLong`] before normalisation or hashing, so a megabyte "password"
/// costs nothing. 4 KiB holds [`crate::MAX_MAX_LENGTH`] code points of any script.
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// Salt length in bytes (the PHC string format's recommendation).
const SALT_LEN: usize = 16;

/// Hashes passwords with Argon2id into PHC strings and verifies them.
///
/// - New hashes use Argon2id v=19 at [`HashParams`] (OWASP's m = 19 MiB, t = 2, p = 1 by
///   default), a 16-byte salt from the operating system's RNG, a 32-byte output, and the
///   [`Pepper`] as Argon2's secret input when one is set.
/// - The password is NFKC-normalised first, as validation does, so a precomposed and a
///   decomposed "é" are the same password. Nothing is truncated (unlike bcrypt's 72 bytes);
///   input over [`MAX_PASSWORD_BYTES`] is refused.
/// - [`verify`](Hasher::verify) takes the algorithm and costs from the stored string, so hashes
///   made with argon2i, argon2d, version 16 or lower costs still verify; the comparison is
///   constant time. Stored costs above [`HashParams::MAX_M_COST`], `MAX_T_COST` or
///   `MAX_P_COST` are refused rather than allocated.
/// - A stored string without `v=` is Argon2 version 0x10 (16), as the PHC string format and the
///   reference implementation define it (argon2-cffi, node-argon2 and the reference `argon2`
///   command wrote such strings before 1.3); it verifies, and `needs_rehash` says yes.
/// - A stored string must state each of `m`, `t` and `p`: one that leaves a cost out is
///   [`Error::MalformedHash`], never completed with defaults.
/// - Stored outputs of 10 to 64 bytes verify (shorter than [`HashParams::OUTPUT_LEN`] means
///   `needs_rehash`). RFC 9106 allows tags of 4 bytes, but the PHC string format and the
///   `password-hash` crate set 10 bytes (80 bits) as the floor, and a tag that short would let
///   an attacker find a colliding password offline far faster than the password itself:
///   such strings are [`Error::MalformedHash`].
/// - [`needs_rehash`](Hasher::needs_rehash) says when to replace a stored hash after a
///   successful login.
///
/// It also implements RustCrypto's [`password_hash::PasswordHasher`] and
/// [`password_hash::PasswordVerifier`], so it drops into code written for those traits.
///
/// Hashing takes tens of milliseconds of CPU and 19 MiB of memory by design. In an async
/// service, run it off the executor's worker threads, e.g. with
/// `tokio::task::spawn_blocking(move || hasher.verify(&password, &stored))` (the hasher is
/// `Clone + Send + Sync`, cheap to clone or share in an `Arc`), and bound how many run at once
/// (a semaphore sized to the cores) so a burst of logins cannot exhaust memory.
#[derive(Debug, Clone, Default)]
pub struct Hasher {
    params: HashParams,
    pepper: Option<Pepper>,
    /// Peppers no longer used for new hashes, kept so that hashes naming them verify
    /// (and are rehashed with the current pepper at the next sign-in).
    retired: Vec<Pepper>,
}

impl Hasher {
    /// A hasher at `params`, without a pepper. [`Hasher::builder`] sets peppers.
    #[must_use]
    pub fn new(params: HashParams) -> Self {
        Self {
            params,
            pepper: None,
            retired: Vec::new(),
        }
    }

    /// A builder that starts from [`HashParams::DEFAULT`] and no pepper: set the
    /// costs, the current pepper and the retired ones, then
    /// [`build`](HasherBuilder::build).
    #[must_use]
    pub fn builder() -> HasherBuilder {
        HasherBuilder::new()
    }

    /// The pepper a stored hash names by `keyid`, current or retired.
    fn pepper_named(&self, keyid: &[u8]) -> Option<&Pepper> {
        self.pepper
            .iter()
            .chain(&self.retired)
            .find(|p| p.id() == keyid)
    }

    /// The costs of new hashes.
    #[must_use]
    pub const fn params(&self) -> HashParams {
        self.params
    }

    /// Hashes `password` into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    ///
    /// # Errors
    /// [`Error::PasswordTooLong`], [`Error::Rng`] or [`Error::Hashing`].
    pub fn hash(&self, password: &Password) -> Result<String, Error> {
        let input = prepare(password.expose().as_bytes())?;
        let mut salt = [0u8; SALT_LEN];
        rand::rngs::SysRng
            .try_fill_bytes(&mut salt)
            .map_err(|_| Error::Rng)?;
        Ok(self.hash_prepared(&input, &salt)?.to_string())
    }

    /// Whether `password` matches the stored PHC string.
    ///
    /// `Ok(false)` is the one outcome for a wrong password. A password over
    /// [`MAX_PASSWORD_BYTES`] is refused with an error without hashing.
    ///
    /// The password is NFKC-normalised before hashing. A hash imported from a system that
    /// hashed the bytes as typed, without normalising, verifies only when those bytes were
    /// already in NFKC form (all ASCII passwords, and most others typed on common keyboards).
    ///
    /// # Errors
    /// [`Error::PasswordTooLong`], [`Error::MalformedHash`], [`Error::UnsupportedAlgorithm`],
    /// [`Error::HashParamsOutOfRange`], [`Error::UnknownPepper`] or [`Error::Hashing`].
    pub fn verify(&self, password: &Password, stored: &str) -> Result<bool, Error> {
        let input = prepare(password.expose().as_bytes())?;
        let hash = PasswordHash::new(stored).map_err(|_| Error::MalformedHash)?;
        self.verify_prepared(&input, &hash)
    }

    /// Whether a stored hash should be replaced (after the next successful [`verify`]): true
    /// when it is not Argon2id v=19, when any of its memory, passes, lanes or output length is
    /// below this hasher's, or when it was made without this hasher's pepper (or with another).
    ///
    /// [`verify`]: Hasher::verify
    ///
    /// # Errors
    /// [`Error::MalformedHash`], [`Error::UnsupportedAlgorithm`] or
    /// [`Error::HashParamsOutOfRange`].
    pub fn needs_rehash(&self, stored: &str) -> Result<bool, Error> {
        let hash = PasswordHash::new(stored).map_err(|_| Error::MalformedHash)?;
        let stored = StoredHash::parse(&hash)?;
        let ours = &self.params;
        let weaker = stored.algorithm != Algorithm::Argon2id
            || stored.version != Version::V0x13
            || stored.params.m_cost() < ours.m_cost()
            || stored.params.t_cost() < ours.t_cost()
            || stored.params.p_cost() < ours.p_cost()
            || stored.output_len < HashParams::OUTPUT_LEN;
        let pepper_differs = match &self.pepper {
            Some(p) => stored.params.keyid() != p.id(),
            None => !stored.params.keyid().is_empty(),
        };
        Ok(weaker || pepper_differs)
    }

    fn argon2<'a>(
        algorithm: Algorithm,
        version: Version,
        params: argon2::Params,
        pepper: Option<&'a Pepper>,
    ) -> Result<Argon2<'a>, Error> {
        match pepper {
            Some(p) => Argon2::new_with_secret(p.secret(), algorithm, version, params)
                .map_err(|_| Error::Hashing),
            None => Ok(Argon2::new(algorithm, version, params)),
        }
    }

    fn hash_prepared(&self, input: &[u8], salt: &[u8]) -> Result<PasswordHash, Error> {
        use password_hash::PasswordHasher as _;
        let keyid = self.pepper.as_ref().map(Pepper::id);
        let params = self.params.to_argon2(keyid)?;
        Self::argon2(
            Algorithm::Argon2id,
            Version::V0x13,
            params,
            self.pepper.as_ref(),
        )?
        .hash_password_with_salt(input, salt)
        .map_err(|_| Error::Hashing)
    }

    fn verify_prepared(&self, input: &[u8], hash: &PasswordHash) -> Result<bool, Error> {
        let stored = StoredHash::parse(hash)?;
        let keyid = stored.params.keyid();
        let pepper = if keyid.is_empty() {
            None
        } else {
            Some(self.pepper_named(keyid).ok_or(Error::UnknownPepper)?)
        };
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return Err(Error::MalformedHash);
        };
        let argon2 = Self::argon2(
            stored.algorithm,
            stored.version,
            stored.params.clone(),
            pepper,
        )?;
        // Recompute with the stored version ourselves: the `password-hash` trait's verifier
        // reads a missing `v=` as the current 0x13, but such strings are version 0x10 (the
        // reference implementation, argon2-cffi and node-argon2 wrote them), so the right
        // password would be answered "mismatch".
        let mut computed = Zeroizing::new(vec![0u8; expected.len()]);
        argon2
            .hash_password_into(input, salt.as_ref(), &mut computed)
            .map_err(|_| Error::Hashing)?;
        Ok(bool::from(subtle::ConstantTimeEq::ct_eq(
            computed.as_slice(),
            expected.as_bytes(),
        )))
    }
}

/// A stored hash's algorithm and costs, checked against this crate's bounds.
struct StoredHash {
    algorithm: Algorithm,
    version: Version,
    params: argon2::Params,
    output_len: usize,
}

impl StoredHash {
    fn parse(hash: &PasswordHash) -> Result<Self, Error> {
        let algorithm =
            Algorithm::new(hash.algorithm.as_str()).map_err(|_| Error::UnsupportedAlgorithm)?;
        let version = match hash.version {
            None => Version::V0x10,
            Some(v) => Version::try_from(v).map_err(|_| Error::UnsupportedAlgorithm)?,
        };
        let (Some(_salt), Some(output)) = (&hash.salt, &hash.hash) else {
            return Err(Error::MalformedHash);
        };
        // argon2 fills a missing cost with its own default; a stored hash that does not say
        // what it cost is damaged or forged, so m, t and p must each appear exactly once.
        for name in ["m", "t", "p"] {
            if hash
                .params
                .iter()
                .filter(|(k, _)| k.as_str() == name)
                .count()
                != 1
            {
                return Err(Error::MalformedHash);
            }
        }
        let params = argon2::Params::try_from(hash).map_err(|_| Error::MalformedHash)?;
        if params.m_cost() > HashParams::MAX_M_COST
            || params.t_cost() > HashParams::MAX_T_COST
            || params.p_cost() > HashParams::MAX_P_COST
        {
            return Err(Error::HashParamsOutOfRange);
        }
        Ok(Self {
            algorithm,
            version,
            params,
            output_len: output.len(),
        })
    }
}

/// Bounds, then NFKC-normalises, the bytes to hash. Input that is not UTF-8 (only possible
/// through the `password-hash` traits) is hashed as given.
fn prepare(input: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    if input.len() > MAX_PASSWORD_BYTES {
        return Err(Error::PasswordTooLong {
            max_bytes: MAX_PASSWORD_BYTES,
        });
    }
    let bytes = match core::str::from_utf8(input) {
        Ok(s) => {
            let normalized = normalize(s);
            Zeroizing::new(normalized.as_bytes().to_vec())
        }
        Err(_) => Zeroizing::new(input.to_vec()),
    };
    // NFKC can expand a string (up to 18 times for some code points): bound the result too.
    if bytes.len() > MAX_PASSWORD_BYTES {
        return Err(Error::PasswordTooLong {
            max_bytes: MAX_PASSWORD_BYTES,
        });
    }
    Ok(bytes)
}

/// The `password-hash` traits' error for ours. No arm for [`Error::Rng`]: the traits' paths
/// never draw randomness (the caller gives the salt), so it cannot arrive here.
fn to_password_hash_error(e: Error) -> password_hash::Error {
    match e {
        Error::PasswordTooLong { .. } => password_hash::Error::PasswordInvalid,
        Error::MalformedHash => password_hash::Error::EncodingInvalid,
        Error::UnsupportedAlgorithm => password_hash::Error::Algorithm,
        Error::HashParamsOutOfRange | Error::InvalidHashParams(_) => {
            password_hash::Error::ParamsInvalid
        }
        _ => password_hash::Error::Crypto,
    }
}

impl password_hash::PasswordHasher<PasswordHash> for Hasher {
    /// Hashes with this hasher's costs and pepper, after the same bound and normalisation as
    /// [`Hasher::hash`].
    fn hash_password_with_salt(
        &self,
        password: &[u8],
        salt: &[u8],
    ) -> password_hash::Result<PasswordHash> {
        let input = prepare(password).map_err(to_password_hash_error)?;
        self.hash_prepared(&input, salt)
            .map_err(to_password_hash_error)
    }
}

impl password_hash::PasswordVerifier<PasswordHash> for Hasher {
    /// As [`Hasher::verify`]; a wrong password is [`password_hash::Error::PasswordInvalid`].
    fn verify_password(&self, password: &[u8], hash: &PasswordHash) -> password_hash::Result<()> {
        let input = prepare(password).map_err(to_password_hash_error)?;
        match self.verify_prepared(&input, hash) {
            Ok(true) => Ok(()),
            Ok(false) => Err(password_hash::Error::PasswordInvalid),
            Err(e) => Err(to_password_hash_error(e)),
        }
    }
}

impl password_hash::PasswordVerifier<str> for Hasher {
    /// Parses the PHC string, then as [`Hasher::verify`].
    fn verify_password(&self, password: &[u8], hash: &str) -> password_hash::Result<()> {
        let hash = PasswordHash::new(hash).map_err(|_| password_hash::Error::EncodingInvalid)?;
        password_hash::PasswordVerifier::<PasswordHash>::verify_password(self, password, &hash)
    }
}

#[cfg(test)]
mod tests;
