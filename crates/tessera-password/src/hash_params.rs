//! Argon2id cost parameters and the pepper.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;

/// Argon2id cost parameters for new hashes, validated against OWASP's floor.
///
/// The default is m = 19 MiB, t = 2, p = 1: the first of the equivalent settings that the OWASP
/// Password Storage Cheat Sheet recommends for Argon2id (and RFC 9106 §4's memory-constrained
/// advice scaled to an interactive login). It costs about 20-30 ms on one core of a current
/// server and 19 MiB a concurrent login, which bounds the memory a burst of logins can take.
/// Raise `m_cost` first when the budget allows (OWASP's table trades memory against passes:
/// 47 MiB/1, 19 MiB/2, 12 MiB/3, 9 MiB/4, 7 MiB/5). `p > 1` only helps if argon2 is built
/// with its `parallel` feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "RawHashParams", into = "RawHashParams")
)]
pub struct HashParams {
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
}

/// The serialised form: every field required, unknown fields refused (a typo such as
/// `"mcost"` must not silently leave the default in place), then [`HashParams::new`].
#[cfg(feature = "serde")]
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHashParams {
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
}

#[cfg(feature = "serde")]
impl TryFrom<RawHashParams> for HashParams {
    type Error = Error;
    fn try_from(r: RawHashParams) -> Result<Self, Error> {
        Self::new(r.m_cost, r.t_cost, r.p_cost)
    }
}

#[cfg(feature = "serde")]
impl From<HashParams> for RawHashParams {
    fn from(p: HashParams) -> Self {
        Self {
            m_cost: p.m_cost,
            t_cost: p.t_cost,
            p_cost: p.p_cost,
        }
    }
}

impl HashParams {
    /// Default memory cost: 19 MiB (19,456 KiB), OWASP's recommendation with t = 2.
    pub const DEFAULT_M_COST: u32 = 19 * 1024;
    /// Default number of passes.
    pub const DEFAULT_T_COST: u32 = 2;
    /// Default number of lanes.
    pub const DEFAULT_P_COST: u32 = 1;
    /// Lowest memory cost accepted for new hashes: 7 MiB, the smallest in OWASP's table.
    pub const MIN_M_COST: u32 = 7 * 1024;
    /// Lowest memory × passes (KiB × passes) accepted for new hashes: OWASP's table keeps
    /// m·t at or above 7 MiB × 5.
    pub const MIN_WORK: u64 = 7 * 1024 * 5;
    /// Highest memory cost in KiB (1 GiB), for new hashes and for stored hashes being verified,
    /// so that a tampered PHC string cannot make verification allocate without bound.
    pub const MAX_M_COST: u32 = 1024 * 1024;
    /// Lowest number of passes.
    pub const MIN_T_COST: u32 = 1;
    /// Highest number of passes, for new and stored hashes.
    pub const MAX_T_COST: u32 = 64;
    /// Lowest number of lanes.
    pub const MIN_P_COST: u32 = 1;
    /// Highest number of lanes, for new and stored hashes.
    pub const MAX_P_COST: u32 = 16;
    /// Length of the hash output in bytes.
    pub const OUTPUT_LEN: usize = 32;

    /// The defaults: m = 19 MiB, t = 2, p = 1.
    pub const DEFAULT: Self = Self {
        m_cost: Self::DEFAULT_M_COST,
        t_cost: Self::DEFAULT_T_COST,
        p_cost: Self::DEFAULT_P_COST,
    };

    /// Validated parameters: memory in KiB, passes, lanes.
    ///
    /// # Errors
    /// [`Error::InvalidHashParams`] when a value is outside its bounds or m·t is below
    /// [`HashParams::MIN_WORK`].
    pub fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self, Error> {
        if !(Self::MIN_M_COST..=Self::MAX_M_COST).contains(&m_cost) {
            return Err(Error::InvalidHashParams(
                "m_cost must be between 7168 and 1048576 KiB",
            ));
        }
        if !(Self::MIN_T_COST..=Self::MAX_T_COST).contains(&t_cost) {
            return Err(Error::InvalidHashParams("t_cost must be between 1 and 64"));
        }
        if !(Self::MIN_P_COST..=Self::MAX_P_COST).contains(&p_cost) {
            return Err(Error::InvalidHashParams("p_cost must be between 1 and 16"));
        }
        if u64::from(m_cost) * u64::from(t_cost) < Self::MIN_WORK {
            return Err(Error::InvalidHashParams(
                "m_cost times t_cost is below OWASP's minimum",
            ));
        }
        Ok(Self {
            m_cost,
            t_cost,
            p_cost,
        })
    }

    /// Cheap parameters for this crate's own tests only: never compiled into a release.
    #[cfg(test)]
    pub(crate) fn insecure_for_tests(m_cost: u32, t_cost: u32, p_cost: u32) -> Self {
        Self {
            m_cost,
            t_cost,
            p_cost,
        }
    }

    /// Memory cost in KiB.
    #[must_use]
    pub const fn m_cost(&self) -> u32 {
        self.m_cost
    }

    /// Number of passes.
    #[must_use]
    pub const fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Number of lanes.
    #[must_use]
    pub const fn p_cost(&self) -> u32 {
        self.p_cost
    }

    pub(crate) fn to_argon2(self, keyid: Option<&[u8]>) -> Result<argon2::Params, Error> {
        let mut b = argon2::ParamsBuilder::new();
        b.m_cost(self.m_cost)
            .t_cost(self.t_cost)
            .p_cost(self.p_cost)
            .output_len(Self::OUTPUT_LEN);
        if let Some(id) = keyid {
            b.keyid(argon2::KeyId::new(id).map_err(|_| Error::InvalidPepper("key id too long"))?);
        }
        b.build()
            .map_err(|_| Error::InvalidHashParams("rejected by argon2"))
    }
}

// argon2 needs at least 8 KiB a lane. The bounds above guarantee it for every accepted
// set, so `new` has no run-time check for it (one that could never fail, which no test
// could tell from a wrong one); if the bounds ever change, this stops the build.
const _: () = assert!(HashParams::MIN_M_COST >= 8 * HashParams::MAX_P_COST);

impl Default for HashParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A pepper: a secret key kept apart from the hashes (in a secrets manager or HSM-backed
/// configuration, not in the database), fed to Argon2 as its secret input (RFC 9106 §3.1, `K`).
///
/// Its key id (1 to 8 bytes) is written into each PHC string as the `keyid` parameter, so a
/// verifier knows which pepper a stored hash needs and [`crate::Hasher::needs_rehash`] reports
/// hashes made before a rotation. Zeroized on drop; `Debug` shows only the key id.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pepper {
    id: Vec<u8>,
    secret: Vec<u8>,
}

impl Pepper {
    /// Shortest pepper accepted: 16 bytes (128 bits).
    pub const MIN_LEN: usize = 16;
    /// Longest pepper accepted.
    pub const MAX_LEN: usize = 128;
    /// Longest key id, as argon2's `keyid` allows.
    pub const MAX_ID_LEN: usize = 8;

    /// A pepper with its key id.
    ///
    /// # Errors
    /// [`Error::InvalidPepper`] when the secret is not 16 to 128 bytes or the id not 1 to 8.
    pub fn new(id: &[u8], secret: &[u8]) -> Result<Self, Error> {
        if id.is_empty() || id.len() > Self::MAX_ID_LEN {
            return Err(Error::InvalidPepper("key id must be 1 to 8 bytes"));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&secret.len()) {
            return Err(Error::InvalidPepper("pepper must be 16 to 128 bytes"));
        }
        Ok(Self {
            id: id.to_vec(),
            secret: secret.to_vec(),
        })
    }

    /// The key id written into hashes.
    #[must_use]
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pepper")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owasp_floor() {
        assert!(HashParams::new(19 * 1024, 2, 1).is_ok());
        assert!(HashParams::new(47 * 1024, 1, 1).is_ok());
        assert!(HashParams::new(7 * 1024, 5, 1).is_ok());
        assert!(HashParams::new(19 * 1024, 1, 1).is_err());
        assert!(HashParams::new(4 * 1024, 64, 1).is_err());
        assert!(HashParams::new(19 * 1024, 2, 0).is_err());
        assert!(HashParams::new(2 * 1024 * 1024, 2, 1).is_err());
        assert_eq!(HashParams::default(), HashParams::DEFAULT);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_checks_bounds() {
        let json = serde_json::to_string(&HashParams::DEFAULT).unwrap_or_default();
        assert_eq!(json, r#"{"m_cost":19456,"t_cost":2,"p_cost":1}"#);
        let back: Result<HashParams, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(HashParams::DEFAULT));
        let weak: Result<HashParams, _> =
            serde_json::from_str(r#"{"m_cost":8,"t_cost":1,"p_cost":1}"#);
        assert!(weak.is_err());
    }

    #[test]
    fn pepper_bounds_and_redaction() {
        assert!(Pepper::new(b"", &[0; 32]).is_err());
        assert!(Pepper::new(b"123456789", &[0; 32]).is_err());
        assert!(Pepper::new(b"k1", &[0; 15]).is_err());
        let p = Pepper::new(b"k1", &[0xAB; 32]);
        let shown = format!("{p:?}");
        assert!(shown.contains("redacted") && !shown.contains("171"));
    }

    /// Every bound of [`HashParams::new`], just inside and just outside, with its message.
    #[test]
    fn every_bound_is_exact() {
        let p = HashParams::DEFAULT;
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19_456, 2, 1));
        let m = Error::InvalidHashParams("m_cost must be between 7168 and 1048576 KiB");
        let t = Error::InvalidHashParams("t_cost must be between 1 and 64");
        let lanes = Error::InvalidHashParams("p_cost must be between 1 and 16");
        let work = Error::InvalidHashParams("m_cost times t_cost is below OWASP's minimum");
        let ok = |m, t, p| {
            let params = HashParams::new(m, t, p).unwrap();
            assert_eq!(
                (params.m_cost(), params.t_cost(), params.p_cost()),
                (m, t, p)
            );
        };
        ok(7168, 5, 1);
        assert_eq!(HashParams::new(7167, 5, 1), Err(m.clone()));
        ok(1_048_576, 1, 16);
        assert_eq!(HashParams::new(1_048_577, 1, 1), Err(m));
        ok(7168, 64, 1);
        assert_eq!(HashParams::new(7168, 65, 1), Err(t.clone()));
        assert_eq!(HashParams::new(1_048_576, 0, 1), Err(t));
        assert_eq!(HashParams::new(19_456, 2, 17), Err(lanes.clone()));
        assert_eq!(HashParams::new(19_456, 2, 0), Err(lanes));
        // m·t at OWASP's floor of 7 MiB × 5 = 35,840 is accepted, one KiB less is not.
        ok(35_840, 1, 1);
        assert_eq!(HashParams::new(35_839, 1, 1), Err(work.clone()));
        ok(17_920, 2, 1);
        assert_eq!(HashParams::new(17_919, 2, 1), Err(work));
    }

    #[test]
    fn pepper_bounds_are_exact() {
        assert_eq!(
            Pepper::new(b"12345678", &[1; 16]).unwrap().id(),
            b"12345678"
        );
        assert_eq!(
            Pepper::new(b"k", &[1; 128]).unwrap().secret(),
            &[1; 128][..]
        );
        let long = Error::InvalidPepper("pepper must be 16 to 128 bytes");
        assert_eq!(Pepper::new(b"k", &[1; 129]).unwrap_err(), long);
        assert_eq!(Pepper::new(b"k", &[1; 15]).unwrap_err(), long);
        assert_eq!(
            format!("{:?}", Pepper::new(b"k1", &[0xAB; 32]).unwrap()),
            r#"Pepper { id: [107, 49], secret: "<redacted>" }"#
        );
    }
}
