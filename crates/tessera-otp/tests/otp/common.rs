//! Set-up shared by the modules: the RFC seed, a replayable generator, and the peer rule
//! for the independent implementations the tests compare against.

use std::process::{Command, Output};

use tessera_otp::{Secret, Totp, TotpParams};

/// RFC 4226 Appendix D's and RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890".
pub(crate) const RFC_SEED: &[u8; 20] = b"12345678901234567890";

/// The RFC seed at the defaults (SHA-1, 6 digits, 30 seconds).
pub(crate) fn rfc_totp() -> Totp {
    Totp::new(&Secret::from_bytes(RFC_SEED).unwrap(), TotpParams::DEFAULT)
}

/// SplitMix64: a fixed-seed generator so a failure can be replayed exactly.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `len` bytes, each the low byte of one output.
    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next().to_le_bytes()[0]).collect()
    }
}

/// Runs a peer program (an independent implementation to compare against).
///
/// Peer rule: when the program is not installed, the test is skipped (`None`) on a
/// developer's machine and fails under CI (`CI` set), which must have it: `install` says
/// how to get it.
pub(crate) fn peer(command: &mut Command, install: &str) -> Option<Output> {
    match command.output() {
        Ok(out) => Some(out),
        Err(e) => {
            let program = command.get_program().to_string_lossy().into_owned();
            assert!(
                std::env::var_os("CI").is_none(),
                "{program} is required under CI ({install}): {e}"
            );
            eprintln!("skipped: {program} not found ({e}); {install}");
            None
        }
    }
}
