//! The [`Hasher`]'s configuration, in the shape of `argon2::ParamsBuilder`.

use crate::{Error, HashParams, Hasher, Pepper};

/// Builds a [`Hasher`]: costs, the current pepper and the retired ones;
/// [`build`](Self::build) validates.
///
/// The shape of `argon2::ParamsBuilder`, as every builder in Tessera: setters take and
/// return `&mut Self`, [`build`](Self::build) borrows the builder.
///
/// ```
/// use tessera_password::{HashParams, Hasher, Pepper};
/// let current = Pepper::new(b"2026-11", &[9; 32])?;
/// let retired = Pepper::new(b"2026-05", &[7; 32])?;
/// let hasher = Hasher::builder()
///     .params(HashParams::DEFAULT)
///     .pepper(current)
///     .retired_pepper(retired)
///     .build()?;
/// assert_eq!(hasher.params(), HashParams::DEFAULT);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` shows the peppers' key ids only.
#[derive(Debug, Clone, Default)]
pub struct HasherBuilder {
    params: HashParams,
    pepper: Option<Pepper>,
    retired: Vec<Pepper>,
}

impl HasherBuilder {
    /// Starts from [`HashParams::DEFAULT`] and no pepper.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the costs of new hashes.
    pub fn params(&mut self, params: HashParams) -> &mut Self {
        self.params = params;
        self
    }

    /// Sets the current pepper: new hashes use it and name it by its id in the PHC
    /// string's `keyid`.
    pub fn pepper(&mut self, pepper: Pepper) -> &mut Self {
        self.pepper = Some(pepper);
        self
    }

    /// Adds a retired pepper: stored hashes that name its id still verify, and
    /// [`Hasher::needs_rehash`] says yes for them, so a sign-in moves each account to the
    /// current pepper. Rotate by making the new pepper current and the old one retired;
    /// drop the retired one once no stored hash names it. A hash naming a pepper the
    /// hasher has neither as current nor retired is [`Error::UnknownPepper`].
    pub fn retired_pepper(&mut self, pepper: Pepper) -> &mut Self {
        self.retired.push(pepper);
        self
    }

    /// Validates and returns the hasher; the builder stays usable.
    ///
    /// # Errors
    /// [`Error::InvalidPepper`] when two of the peppers (current or retired) share a key
    /// id: a stored hash names its pepper by id alone, so one of the two could never
    /// verify anything (a rotation that reused the old id would lock every account
    /// hashed under the old secret out, without an error).
    pub fn build(&self) -> Result<Hasher, Error> {
        let mut ids: Vec<&[u8]> = self
            .pepper
            .iter()
            .chain(&self.retired)
            .map(Pepper::id)
            .collect();
        let all = ids.len();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != all {
            return Err(Error::InvalidPepper("two peppers share a key id"));
        }
        Ok(Hasher {
            params: self.params,
            pepper: self.pepper.clone(),
            retired: self.retired.clone(),
        })
    }
}
