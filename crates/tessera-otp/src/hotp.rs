//! HOTP: RFC 4226 counter-based codes.

use crate::key::HmacKey;
use crate::{Code, Error, HotpParams, Rejected, Secret};

/// An HOTP generator and verifier for one secret, its HMAC key state prepared once.
///
/// The caller stores the counter: [`verify`](Hotp::verify) returns the counter that
/// matched, and the next expected counter is that plus one.
#[derive(Clone)]
pub struct Hotp {
    key: HmacKey,
    params: HotpParams,
}

impl Hotp {
    /// Most counters a verification or resynchronisation may look ahead.
    pub const MAX_LOOK_AHEAD: u32 = 1000;

    /// Prepares the HMAC key state of `secret`.
    #[must_use]
    pub fn new(secret: &Secret, params: HotpParams) -> Self {
        Self {
            key: HmacKey::new(params.algorithm(), secret),
            params,
        }
    }

    /// The parameters in use.
    #[must_use]
    pub const fn params(&self) -> HotpParams {
        self.params
    }

    /// The code at `counter`.
    #[must_use]
    pub fn generate(&self, counter: u64) -> Code {
        let digits = self.params.digits();
        Code::from_value(self.key.code_value(counter, digits), digits)
    }

    /// Checks `code` against counters `counter..=counter + look_ahead` (RFC 4226 §7.2)
    /// and returns the counter that matched. Store `matched + 1` as the next counter.
    ///
    /// Every candidate is computed and compared in constant time, whatever matches.
    /// `look_ahead` is capped at [`MAX_LOOK_AHEAD`](Self::MAX_LOOK_AHEAD); counters past
    /// `u64::MAX` are not tried.
    ///
    /// # Errors
    /// [`Rejected`], opaque, when no counter in range matches.
    pub fn verify(&self, code: &Code, counter: u64, look_ahead: u32) -> Result<u64, Rejected> {
        let mut matched: Option<u64> = None;
        for c in candidates(counter, look_ahead) {
            let hit: bool = self.matches(code, c).into();
            if hit && matched.is_none() {
                matched = Some(c);
            }
        }
        matched.ok_or(Rejected)
    }

    /// Resynchronisation (RFC 4226 §7.4): finds two consecutive counters, within
    /// `counter..=counter + look_ahead`, at which `first` and `second` were generated,
    /// and returns the next counter to store (after `second`).
    ///
    /// # Errors
    /// [`Error::ResyncFailed`] when the codes are not consecutive within range;
    /// [`Error::CounterOverflow`] when the next counter would pass `u64::MAX`.
    pub fn resync(
        &self,
        first: &Code,
        second: &Code,
        counter: u64,
        look_ahead: u32,
    ) -> Result<u64, Error> {
        for c in candidates(counter, look_ahead) {
            let Some(next) = c.checked_add(1) else { break };
            let both = self.matches(first, c) & self.matches(second, next);
            if bool::from(both) {
                return next.checked_add(1).ok_or(Error::CounterOverflow);
            }
        }
        Err(Error::ResyncFailed)
    }

    fn matches(&self, code: &Code, counter: u64) -> subtle::Choice {
        self.key.matches(code, counter, self.params.digits())
    }
}

fn candidates(counter: u64, look_ahead: u32) -> impl Iterator<Item = u64> {
    let last = counter.saturating_add(u64::from(look_ahead.min(Hotp::MAX_LOOK_AHEAD)));
    counter..=last
}

impl std::fmt::Debug for Hotp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hotp")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}
