//! HOTP: RFC 4226 counter-based codes.

use crate::key::HmacKey;
use crate::{Code, Error, HotpParams, Rejected, Secret};

/// An HOTP generator and verifier for one secret, its HMAC key state prepared once.
///
/// The caller stores the counter: [`verify`](Hotp::verify) takes the next expected
/// counter and returns the one to store in its place, past the code just used, so
/// feeding the result back is all replay protection needs.
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

    /// Checks `code` against counters `next..=next + look_ahead` (RFC 4226 §7.2), where
    /// `next` is the stored next expected counter, and returns the counter to store in
    /// its place: the one after the counter that matched. Pass it back next time; the
    /// same code, and every earlier one, is then refused (RFC 4226 §7.2: the counter
    /// moves forward only on success).
    ///
    /// ```
    /// use tessera_otp::{Hotp, HotpParams, Secret};
    /// let hotp = Hotp::new(&Secret::generate(), HotpParams::DEFAULT);
    /// let code = hotp.generate(3);
    /// let next = hotp.verify(&code, 0, 10)?; // stored counter 0, the token is ahead
    /// assert_eq!(next, 4);
    /// assert!(hotp.verify(&code, next, 10).is_err()); // used: refused
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Every candidate is computed and compared in constant time, whatever matches.
    /// `look_ahead` is capped at [`MAX_LOOK_AHEAD`](Self::MAX_LOOK_AHEAD); counters past
    /// `u64::MAX` are not tried, and a code at `u64::MAX` itself is refused, as no
    /// counter could be stored after it.
    ///
    /// # Errors
    /// [`Rejected`], opaque, when no counter in range matches.
    #[must_use = "store the returned counter and pass it to the next verification, or the code \
                  can be used again"]
    pub fn verify(&self, code: &Code, next: u64, look_ahead: u32) -> Result<u64, Rejected> {
        let mut matched: Option<u64> = None;
        for c in candidates(next, look_ahead) {
            let hit: bool = self.matches(code, c).into();
            if hit && matched.is_none() {
                matched = Some(c);
            }
        }
        matched.and_then(|c| c.checked_add(1)).ok_or(Rejected)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, Totp, TotpParams};

    #[test]
    fn debug_shows_the_parameters_and_never_the_key() {
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        let hotp = Hotp::new(&secret, HotpParams::new(Algorithm::Sha256, 8).unwrap());
        assert_eq!(
            format!("{hotp:?}"),
            "Hotp { params: HotpParams { algorithm: Sha256, digits: 8 }, .. }"
        );
        let totp = Totp::new(&secret, TotpParams::DEFAULT);
        assert_eq!(
            format!("{totp:?}"),
            "Totp { params: TotpParams { algorithm: Sha1, digits: 6, period: 30, t0: 0 }, .. }"
        );
    }
}
