//! The HMAC key state, prepared once per secret and reused for every counter.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::{Choice, ConstantTimeEq};

use crate::{Algorithm, Code, Secret};

/// HMAC with the inner and outer pads already absorbed (RFC 2104 §2, steps 1–3 and
/// the outer equivalent). Cloning it costs a memcpy; computing a code then costs two
/// compressions for SHA-1/SHA-256 instead of four, and no allocation. The states are
/// as good as the key: the `zeroize` features of `hmac` (its block buffer) and of `sha1`
/// and `sha2` (the chaining states) wipe them on drop.
#[derive(Clone)]
pub(crate) enum HmacKey {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

// HMAC accepts keys of any length (RFC 2104 §2: long keys are hashed, short ones
// padded), so `new_from_slice` cannot fail for it.
#[allow(clippy::expect_used)]
fn keyed<M: KeyInit>(key: &[u8]) -> M {
    M::new_from_slice(key).expect("HMAC takes keys of any length")
}

impl HmacKey {
    pub(crate) fn new(algorithm: Algorithm, secret: &Secret) -> Self {
        let key = secret.expose_bytes();
        match algorithm {
            Algorithm::Sha1 => Self::Sha1(keyed(key)),
            Algorithm::Sha256 => Self::Sha256(keyed(key)),
            Algorithm::Sha512 => Self::Sha512(keyed(key)),
        }
    }

    /// RFC 4226 §5.3: HMAC of the 8-byte big-endian counter, dynamic truncation to
    /// 31 bits, reduced modulo `10^digits`.
    pub(crate) fn code_value(&self, counter: u64, digits: u8) -> u64 {
        let msg = counter.to_be_bytes();
        let truncated = match self {
            Self::Sha1(m) => truncate(&run(m, &msg)),
            Self::Sha256(m) => truncate(&run(m, &msg)),
            Self::Sha512(m) => truncate(&run(m, &msg)),
        };
        u64::from(truncated) % 10u64.pow(u32::from(digits))
    }

    /// Whether `code` is the `digits`-digit code at `counter`, compared in constant time.
    pub(crate) fn matches(&self, code: &Code, counter: u64, digits: u8) -> Choice {
        self.code_value(counter, digits).ct_eq(&code.value()) & digits.ct_eq(&code.len())
    }
}

fn run<M: Mac + Clone>(prepared: &M, msg: &[u8]) -> hmac::digest::Output<M> {
    let mut mac = prepared.clone();
    mac.update(msg);
    mac.finalize().into_bytes()
}

/// Dynamic truncation (RFC 4226 §5.3); the offset comes from the last byte for every
/// hash, as RFC 6238's reference code does for SHA-256 and SHA-512.
fn truncate(hash: &[u8]) -> u32 {
    let offset = usize::from(hash.last().copied().unwrap_or(0) & 0x0f);
    let mut word = [0u8; 4];
    if let Some(bytes) = hash.get(offset..offset + 4) {
        word.copy_from_slice(bytes);
    }
    u32::from_be_bytes(word) & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4226_section_5_4_truncation_example() {
        // RFC 4226 §5.4: the worked example of dynamic truncation.
        let hash = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(truncate(&hash), 0x50ef_7f19);
        assert_eq!(u64::from(truncate(&hash)) % 1_000_000, 872_921);
    }
}
