//! The HMAC key state, prepared once per secret and reused for every counter.
//!
//! HMAC (RFC 2104 §2) of an 8-byte counter is two hashes: the inner one over
//! `(K ^ ipad) || counter` and the outer one over `(K ^ opad) || inner digest`. The
//! first block of each, the padded key, never changes, so its compression is done once
//! here and the two chaining states are kept. A code then costs exactly two calls of the
//! compression function, one over the counter block and one over the inner digest's
//! block, each with its padding (FIPS 180-4 §5.1) laid out at compile time. The digest
//! crates' safe block-level functions (`sha1::block_api::compress`,
//! `sha2::block_api::compress256`/`compress512`) do the compressing, with the CPU's SHA
//! extensions where it has them. No allocation, no `unsafe`, no buffering.
//!
//! The prepared states are as good as the key; they are wiped on drop, and so are the
//! padded key blocks used to make them. Per counter, the copy of a prepared state is
//! overwritten in place by the compression; what is left on the stack are digests of a
//! public counter under the key, not key material.

use sha1::Digest;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{Algorithm, Code, Secret};

/// HMAC with the inner and outer padded keys already compressed, for one of the three
/// hashes. See the module docs.
#[derive(Clone)]
pub(crate) enum HmacKey {
    Sha1(Sha1Key),
    Sha256(Sha256Key),
    Sha512(Sha512Key),
}

/// Builds, for one hash, the type holding the two prepared chaining states.
///
/// `$word` is the hash's word (`u32`, `u64`), `$wide` a type twice as wide, `$words` the
/// words in its state, `$block` its block size in bytes, `$iv` its initial hash value,
/// `$compress` the digest crate's compression function and `$hash` its hasher (for keys
/// longer than a block).
macro_rules! prepared_key {
    (
        $(#[$doc:meta])*
        $name:ident, $word:ty, $wide:ty, $words:literal, $block:literal,
        $iv:expr, $compress:path, $hash:ty
    ) => {
        $(#[$doc])*
        #[derive(Clone, Zeroize, ZeroizeOnDrop)]
        pub(crate) struct $name {
            inner: [$word; $words],
            outer: [$word; $words],
        }

        impl PreparedKey for $name {
            #[inline]
            fn truncated(&self, counter: u64) -> u32 {
                self.truncated(counter)
            }
        }

        impl $name {
            const WORD: usize = std::mem::size_of::<$word>();
            /// Bytes in a digest: the inner hash's output, fed to the outer one.
            const OUT: usize = $words * Self::WORD;

            /// The inner hash's last block: the counter (bytes 0..8, filled in per
            /// call), the `0x80` that ends the message, zeros, and the message length
            /// in bits: one block of padded key plus the 8-byte counter.
            const INNER_BLOCK: [u8; $block] = Self::padding(8);
            /// The outer hash's last block: the inner digest (filled in per call), then
            /// padding for one block of padded key plus that digest.
            const OUTER_BLOCK: [u8; $block] = Self::padding(Self::OUT);

            /// A block whose first `used` bytes are left for the message, padded as
            /// FIPS 180-4 §5.1 requires for a message of one block plus `used` bytes.
            #[allow(clippy::cast_possible_truncation)] // see the length field below
            const fn padding(used: usize) -> [u8; $block] {
                let mut block = [0u8; $block];
                block[used] = 0x80;
                // The length field ending the block is 64 bits (SHA-1, SHA-256) or 128
                // (SHA-512); the bit count here is at most (128 + 64) * 8 = 1536, so
                // only the field's last two bytes are non-zero and `as` loses nothing.
                let bits = ($block + used) * 8;
                block[$block - 2] = (bits >> 8) as u8;
                block[$block - 1] = (bits & 0xff) as u8;
                block
            }

            fn new(key: &[u8]) -> Self {
                // RFC 2104 §2: a key longer than the block is hashed first; shorter
                // ones are padded with zeros to the block.
                let mut padded = Zeroizing::new([0u8; $block]);
                if key.len() > $block {
                    let mut hasher = <$hash>::new();
                    hasher.update(key);
                    let mut digest = hasher.finalize();
                    padded[..digest.len()].copy_from_slice(&digest);
                    digest.as_mut_slice().zeroize();
                } else {
                    padded[..key.len()].copy_from_slice(key);
                }
                let mut inner = $iv;
                let mut outer = $iv;
                let mut block = Zeroizing::new([0u8; $block]);
                for (b, k) in block.iter_mut().zip(padded.iter()) {
                    *b = k ^ 0x36;
                }
                $compress(&mut inner, std::slice::from_ref(&*block));
                for (b, k) in block.iter_mut().zip(padded.iter()) {
                    *b = k ^ 0x5c;
                }
                $compress(&mut outer, std::slice::from_ref(&*block));
                Self { inner, outer }
            }

            /// HMAC of the big-endian `counter`, dynamically truncated (RFC 4226 §5.3).
            #[inline]
            fn truncated(&self, counter: u64) -> u32 {
                let mut block = Self::INNER_BLOCK;
                block[..8].copy_from_slice(&counter.to_be_bytes());
                let mut state = self.inner;
                $compress(&mut state, std::slice::from_ref(&block));

                let mut block = Self::OUTER_BLOCK;
                for (bytes, word) in block[..Self::OUT].chunks_exact_mut(Self::WORD).zip(state) {
                    bytes.copy_from_slice(&word.to_be_bytes());
                }
                let mut state = self.outer;
                $compress(&mut state, std::slice::from_ref(&block));
                Self::truncate(&state)
            }

            /// Dynamic truncation (RFC 4226 §5.3) read straight from the digest's words,
            /// without writing the digest out as bytes: the offset is the low nibble of
            /// the digest's last byte (for every hash, as RFC 6238's reference code does
            /// for SHA-256 and SHA-512), and the four bytes from there lie within two
            /// adjacent words, taken together as one `$wide` number.
            #[inline]
            #[allow(clippy::cast_possible_truncation)] // keeping the low 32 bits is the point
            fn truncate(digest: &[$word; $words]) -> u32 {
                const BITS: usize = <$word>::BITS as usize;
                let offset = (digest[$words - 1] & 0x0f) as usize;
                let (index, within) = (offset / Self::WORD, offset % Self::WORD);
                // offset <= 15 keeps index + 1 inside the digest (5 or 8 words).
                let first = digest.get(index).copied().unwrap_or(0);
                let second = digest.get(index + 1).copied().unwrap_or(0);
                let pair = (<$wide>::from(first) << BITS) | <$wide>::from(second);
                // Bytes `within..within + 4` of the pair, counted from its top.
                let shift = 2 * BITS - 32 - 8 * within;
                ((pair >> shift) as u32) & 0x7fff_ffff
            }
        }
    };
}

prepared_key!(
    /// HMAC-SHA-1's prepared states. Initial hash value: FIPS 180-4 §5.3.1.
    Sha1Key, u32, u64, 5, 64,
    [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0],
    sha1::block_api::compress, sha1::Sha1
);

prepared_key!(
    /// HMAC-SHA-256's prepared states. Initial hash value: FIPS 180-4 §5.3.3.
    Sha256Key, u32, u64, 8, 64,
    [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ],
    sha2::block_api::compress256, sha2::Sha256
);

prepared_key!(
    /// HMAC-SHA-512's prepared states. Initial hash value: FIPS 180-4 §5.3.5.
    Sha512Key, u64, u128, 8, 128,
    [
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b,
        0xa54f_f53a_5f1d_36f1, 0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f,
        0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179,
    ],
    sha2::block_api::compress512, sha2::Sha512
);

/// One hash's prepared key, for loops over candidate counters: generic code over it is
/// compiled once per hash, so the loop has no dispatch on the hash inside.
pub(crate) trait PreparedKey {
    /// HMAC of the 8-byte big-endian `counter`, truncated to 31 bits (RFC 4226 §5.3).
    fn truncated(&self, counter: u64) -> u32;

    /// Whether `code` is the `digits`-digit code at `counter`, compared in constant time.
    #[inline]
    fn matches(&self, code: &Code, counter: u64, digits: u8) -> Choice {
        // Value and length in one word, so one constant-time comparison covers both: a
        // code value is below 10^10 < 2^34, the length sits above it.
        let ours = reduce(self.truncated(counter), digits) | (u64::from(digits) << 56);
        ours.ct_eq(&(code.value() | (u64::from(code.len()) << 56)))
    }
}

impl HmacKey {
    pub(crate) fn new(algorithm: Algorithm, secret: &Secret) -> Self {
        let key = secret.expose_bytes();
        match algorithm {
            Algorithm::Sha1 => Self::Sha1(Sha1Key::new(key)),
            Algorithm::Sha256 => Self::Sha256(Sha256Key::new(key)),
            Algorithm::Sha512 => Self::Sha512(Sha512Key::new(key)),
        }
    }

    /// RFC 4226 §5.3: HMAC of the 8-byte big-endian counter, truncated to 31 bits.
    #[inline]
    pub(crate) fn truncated(&self, counter: u64) -> u32 {
        match self {
            Self::Sha1(k) => k.truncated(counter),
            Self::Sha256(k) => k.truncated(counter),
            Self::Sha512(k) => k.truncated(counter),
        }
    }

    /// The `digits`-digit code value at `counter` (RFC 4226 §5.3).
    pub(crate) fn code_value(&self, counter: u64, digits: u8) -> u64 {
        reduce(self.truncated(counter), digits)
    }

    /// Whether `code` is the `digits`-digit code at `counter`, compared in constant time.
    #[inline]
    pub(crate) fn matches(&self, code: &Code, counter: u64, digits: u8) -> Choice {
        match self {
            Self::Sha1(k) => k.matches(code, counter, digits),
            Self::Sha256(k) => k.matches(code, counter, digits),
            Self::Sha512(k) => k.matches(code, counter, digits),
        }
    }
}

/// `truncated mod 10^digits`. A constant divisor per arm lets the compiler replace the
/// division by a multiplication; `digits` is a public parameter, so branching on it
/// tells nothing. Ten digits exceed the 31-bit value, which is then the code itself.
#[inline]
fn reduce(truncated: u32, digits: u8) -> u64 {
    let value = match digits {
        6 => truncated % 1_000_000,
        7 => truncated % 10_000_000,
        8 => truncated % 100_000_000,
        9 => truncated % 1_000_000_000,
        // 10 digits (and nothing else reaches here: params allow 6..=10).
        _ => truncated,
    };
    u64::from(value)
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, KeyInit, Mac};
    use proptest::prelude::*;

    use super::*;

    /// Dynamic truncation (RFC 4226 §5.3) of a digest as bytes: the reference.
    fn truncate(hash: &[u8]) -> u32 {
        let offset = usize::from(hash.last().copied().unwrap() & 0x0f);
        u32::from_be_bytes(hash[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff
    }

    #[test]
    fn rfc4226_section_5_4_truncation_example() {
        // RFC 4226 §5.4: the worked example of dynamic truncation.
        let hash = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(truncate(&hash), 0x50ef_7f19);
        let words: Vec<u32> = hash
            .chunks_exact(4)
            .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
            .collect();
        let truncated = Sha1Key::truncate(&words.try_into().unwrap());
        assert_eq!(truncated, 0x50ef_7f19);
        assert_eq!(reduce(truncated, 6), 872_921);
    }

    proptest! {
        /// Truncation from the words equals truncation of the digest's bytes, for every
        /// offset and both word sizes.
        #[test]
        fn truncation_from_words_equals_truncation_of_bytes(
            narrow in any::<[u32; 8]>(),
            wide in any::<[u64; 8]>(),
        ) {
            let bytes: Vec<u8> = narrow[..5].iter().flat_map(|w| w.to_be_bytes()).collect();
            prop_assert_eq!(Sha1Key::truncate(&narrow[..5].try_into().unwrap()), truncate(&bytes));
            let bytes: Vec<u8> = narrow.iter().flat_map(|w| w.to_be_bytes()).collect();
            prop_assert_eq!(Sha256Key::truncate(&narrow), truncate(&bytes));
            let bytes: Vec<u8> = wide.iter().flat_map(|w| w.to_be_bytes()).collect();
            prop_assert_eq!(Sha512Key::truncate(&wide), truncate(&bytes));
        }
    }

    #[test]
    fn prepared_states_are_wiped() {
        // Dropping runs `zeroize` (the derive's `ZeroizeOnDrop`); what it wipes is checked
        // here, since reading memory after a drop would need `unsafe`.
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Sha1Key>();
        wiped_on_drop::<Sha256Key>();
        wiped_on_drop::<Sha512Key>();
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        let mut key = Sha1Key::new(secret.expose_bytes());
        assert_ne!(key.inner, [0; 5]);
        key.zeroize();
        assert_eq!((key.inner, key.outer), ([0; 5], [0; 5]));
        let mut key = Sha512Key::new(secret.expose_bytes());
        key.zeroize();
        assert_eq!((key.inner, key.outer), ([0; 8], [0; 8]));
    }

    #[test]
    fn padding_blocks_follow_fips_180_4() {
        // FIPS 180-4 §5.1.1: 72 bytes (576 bits) of message, 0x80, length at the end.
        let inner = Sha1Key::INNER_BLOCK;
        assert_eq!(inner[8], 0x80);
        assert_eq!(&inner[56..], &576u64.to_be_bytes());
        assert_eq!(
            &Sha1Key::OUTER_BLOCK[56..],
            &((64u64 + 20) * 8).to_be_bytes()
        );
        assert_eq!(Sha1Key::OUTER_BLOCK[20], 0x80);
        assert_eq!(
            &Sha256Key::OUTER_BLOCK[56..],
            &((64u64 + 32) * 8).to_be_bytes()
        );
        // §5.1.2: SHA-512's length field is 128 bits.
        assert_eq!(
            &Sha512Key::INNER_BLOCK[112..],
            &((128u128 + 8) * 8).to_be_bytes()
        );
        assert_eq!(
            &Sha512Key::OUTER_BLOCK[112..],
            &((128u128 + 64) * 8).to_be_bytes()
        );
        assert_eq!(Sha512Key::OUTER_BLOCK[64], 0x80);
    }

    #[test]
    fn every_digit_count_reduces_like_the_rfc_modulus() {
        for truncated in [0, 1, 999_999, 1_000_000, 0x7fff_ffff, 1_234_567_890] {
            for digits in 6u8..=10 {
                let expected = u64::from(truncated) % 10u64.pow(u32::from(digits));
                assert_eq!(reduce(truncated, digits), expected);
            }
        }
    }

    /// The `hmac` crate's HMAC of the counter, truncated: the reference.
    fn reference<M: Mac + KeyInit>(key: &[u8], counter: u64) -> u32 {
        let mut mac = <M as KeyInit>::new_from_slice(key).unwrap();
        mac.update(&counter.to_be_bytes());
        truncate(&mac.finalize().into_bytes())
    }

    proptest! {
        /// The prepared compression path is HMAC (RFC 2104), checked against the `hmac`
        /// crate for keys shorter than, equal to and longer than each block (SHA-1 and
        /// SHA-256: 64 bytes, SHA-512: 128) up to the longest secret accepted.
        #[test]
        fn fast_path_equals_the_hmac_crate(
            key in proptest::collection::vec(any::<u8>(), Secret::MIN_LEN..=Secret::MAX_LEN),
            counter in any::<u64>(),
        ) {
            let secret = Secret::from_bytes(&key).unwrap();
            let ours = |alg| HmacKey::new(alg, &secret).truncated(counter);
            prop_assert_eq!(ours(Algorithm::Sha1), reference::<Hmac<sha1::Sha1>>(&key, counter));
            prop_assert_eq!(ours(Algorithm::Sha256), reference::<Hmac<sha2::Sha256>>(&key, counter));
            prop_assert_eq!(ours(Algorithm::Sha512), reference::<Hmac<sha2::Sha512>>(&key, counter));
        }

        /// Block-sized keys and their neighbours, where the hash-the-long-key rule flips.
        #[test]
        fn keys_around_the_block_size_equal_the_hmac_crate(
            extra in -2i32..=2,
            fill in any::<u8>(),
            counter in any::<u64>(),
        ) {
            for block in [64i32, 128] {
                let key = vec![fill; usize::try_from(block + extra).unwrap()];
                let secret = Secret::from_bytes(&key).unwrap();
                let ours = |alg| HmacKey::new(alg, &secret).truncated(counter);
                prop_assert_eq!(ours(Algorithm::Sha1), reference::<Hmac<sha1::Sha1>>(&key, counter));
                prop_assert_eq!(ours(Algorithm::Sha256), reference::<Hmac<sha2::Sha256>>(&key, counter));
                prop_assert_eq!(ours(Algorithm::Sha512), reference::<Hmac<sha2::Sha512>>(&key, counter));
            }
        }
    }
}
