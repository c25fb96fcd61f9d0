//! TOTP: RFC 6238 time-based codes, replay-safe verification and resynchronisation.

use crate::key::{HmacKey, PreparedKey};
use crate::{
    Code, Error, Rejected, Resync, Secret, TimeStep, TotpParams, UnixTime, VerifyOptions, Window,
};

/// A TOTP generator and verifier for one secret, its HMAC key state prepared once.
///
/// ```
/// use tessera_otp::{Secret, Totp, TotpParams, UnixTime, VerifyOptions};
/// let totp = Totp::new(&Secret::generate(), TotpParams::DEFAULT);
/// let now = UnixTime::from_secs(1_700_000_000);
/// let code = totp.generate(now)?;
/// // `None`: this key has never verified a code.
/// let step = totp.verify(&code, now, None, VerifyOptions::new())?;
/// // Store `step` with the device and pass it back: the same code is refused.
/// assert!(totp.verify(&code, now, Some(step), VerifyOptions::new()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Totp {
    key: HmacKey,
    params: TotpParams,
}

impl Totp {
    /// Most steps a resynchronisation may search on either side of now.
    pub const MAX_RESYNC_RANGE: u32 = 1000;
    /// Steps searched on either side by default when resynchronising.
    pub const DEFAULT_RESYNC_RANGE: u32 = 10;

    /// Prepares the HMAC key state of `secret`.
    #[must_use]
    pub fn new(secret: &Secret, params: TotpParams) -> Self {
        Self {
            key: HmacKey::new(params.algorithm(), secret),
            params,
        }
    }

    /// The parameters in use.
    #[must_use]
    pub const fn params(&self) -> TotpParams {
        self.params
    }

    /// The time step at `at` (RFC 6238 §4.2).
    ///
    /// # Errors
    /// [`Error::BeforeT0`] for an instant before T0.
    pub fn time_step(&self, at: UnixTime) -> Result<TimeStep, Error> {
        let since = at
            .as_secs()
            .checked_sub(self.params.t0())
            .ok_or(Error::BeforeT0)?;
        Ok(TimeStep::new(steps_since(since, self.params.period())))
    }

    /// The code at instant `at`.
    ///
    /// # Errors
    /// [`Error::BeforeT0`] for an instant before T0.
    pub fn generate(&self, at: UnixTime) -> Result<Code, Error> {
        Ok(self.generate_at_step(self.time_step(at)?))
    }

    /// The code of a given step.
    #[must_use]
    pub fn generate_at_step(&self, step: TimeStep) -> Code {
        let digits = self.params.digits();
        Code::from_value(self.key.code_value(step.get(), digits), digits)
    }

    /// Verifies `code` at instant `at` for a device whose last used step is `last_used`,
    /// and returns the step it matched: **store that step** as the device's last used
    /// step and pass it here next time, or the same code verifies again.
    ///
    /// `last_used` is `None` only for a key that has never verified a code (just issued,
    /// being activated); from then on it is the step this method last returned (or
    /// [`Resync::last_used`](crate::Resync::last_used)). Steps at or before it are never
    /// accepted, so a code is accepted at most once (RFC 6238 §5.2: "the verifier MUST
    /// NOT accept the second attempt of the OTP after the successful validation has been
    /// issued for the first OTP"). For the rare caller that keeps no state and for whom a
    /// second use gains nothing, [`verify_allowing_replay`](Self::verify_allowing_replay)
    /// says so by its name.
    ///
    /// Candidates are the current step (after the drift) first, then nearest first
    /// within the window. When a code matches a used step and an unused one (adjacent
    /// steps can share a code), the unused one wins. Comparisons are constant time and
    /// allocation-free. A failure computes every candidate; a success returns at the
    /// first acceptable match, which tells a timing observer only which step matched, and
    /// the caller learns that anyway.
    ///
    /// ```
    /// use tessera_otp::{Secret, Totp, TotpParams, UnixTime, VerifyOptions};
    /// let totp = Totp::new(&Secret::generate(), TotpParams::DEFAULT);
    /// let now = UnixTime::from_secs(1_700_000_000);
    /// let code = totp.generate(now)?;
    /// // A device that has never been used: `None`.
    /// let step = totp.verify(&code, now, None, VerifyOptions::new())?;
    /// // Store `step` with the device; pass it back: the same code is refused.
    /// assert!(totp.verify(&code, now, Some(step), VerifyOptions::new()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Rejected`], opaque, for a wrong, reused or out-of-window code, a code of the
    /// wrong length, or an instant before T0.
    #[must_use = "store the returned step as the device's last used step and pass it to the next \
                  verification, or the code can be used again"]
    pub fn verify(
        &self,
        code: &Code,
        at: UnixTime,
        last_used: Option<TimeStep>,
        options: VerifyOptions,
    ) -> Result<TimeStep, Rejected> {
        let now = self.time_step(at).map_err(|_| Rejected)?;
        let current = options.drift.apply(now.get()).ok_or(Rejected)?;
        let digits = self.params.digits();
        let window = options.window;
        match &self.key {
            HmacKey::Sha1(k) => search(k, code, current, last_used, window, digits),
            HmacKey::Sha256(k) => search(k, code, current, last_used, window, digits),
            HmacKey::Sha512(k) => search(k, code, current, last_used, window, digits),
        }
    }

    /// Verifies `code` at instant `at` **without replay protection**: the same code
    /// verifies again as long as its step is in the window (up to 90 s with the default
    /// window). Returns the step it matched.
    ///
    /// Never use it for sign-in, step-up, or anything else that grants access or
    /// authorises an action: an observer of the code (over a shoulder, through phishing
    /// or a log) could use it again. Use [`verify`](Self::verify) and store the step.
    ///
    /// Acceptable only where the answer grants nothing: telling, after [`verify`](Self::verify)
    /// refused a code, whether it was a replay of a used step (for a log or a
    /// notification, as `tessera-registry` does, never for the caller of sign-in); a
    /// command-line tool checking that a secret and a device agree; tests.
    ///
    /// # Errors
    /// [`Rejected`], as [`verify`](Self::verify).
    pub fn verify_allowing_replay(
        &self,
        code: &Code,
        at: UnixTime,
        options: VerifyOptions,
    ) -> Result<TimeStep, Rejected> {
        self.verify(code, at, None, options)
    }

    /// Finds the device's drift from two consecutive codes (`first` then `second`): the
    /// offset of `second`'s step from the step of `at`, searched up to `range` steps
    /// either way (at most [`MAX_RESYNC_RANGE`](Self::MAX_RESYNC_RANGE)), nearest first.
    ///
    /// Steps at or before `last_used` are not considered, so old codes cannot move the
    /// drift back. Store both fields of the result on the device.
    ///
    /// # Errors
    /// [`Error::ResyncFailed`] when no two consecutive steps in range produce the codes
    /// (including codes that are not consecutive); [`Error::BeforeT0`].
    pub fn resync(
        &self,
        first: &Code,
        second: &Code,
        at: UnixTime,
        range: u32,
        last_used: Option<TimeStep>,
    ) -> Result<Resync, Error> {
        let now = self.time_step(at)?.get();
        let digits = self.params.digits();
        let window = crate::Window {
            past: range.min(Self::MAX_RESYNC_RANGE),
            future: range.min(Self::MAX_RESYNC_RANGE),
        };
        // The offset of the second code's step from now is the drift being searched.
        for offset in window.offsets() {
            let Some(next) = now.checked_add_signed(offset) else {
                continue;
            };
            let Some(step) = next.checked_sub(1) else {
                continue;
            };
            if last_used.is_some_and(|used| step <= used.get()) {
                continue;
            }
            let both =
                self.key.matches(first, step, digits) & self.key.matches(second, next, digits);
            if bool::from(both) {
                return Ok(Resync {
                    drift: crate::Drift::from_steps(offset),
                    last_used: TimeStep::new(next),
                });
            }
        }
        Err(Error::ResyncFailed)
    }
}

/// `since / period`. A division by a run-time divisor is among the slowest integer
/// instructions and sits before the first HMAC of every verification, so the default
/// period of 30 s, with `since` below 2^32 (until the year 2106), is divided as a
/// multiplication by the rounded-up reciprocal 2^36 / 30 (exact for every 32-bit
/// dividend, checked exhaustively once; Granlund and Montgomery, 1994, what compilers
/// emit for a constant divisor).
/// Written out because the compiler folds a plain `since / 30` under `period == 30`
/// back into the run-time division.
#[inline]
fn steps_since(since: u64, period: u64) -> u64 {
    match u32::try_from(since) {
        Ok(since) if period == TotpParams::DEFAULT_PERIOD => (u64::from(since) * 0x8888_8889) >> 36,
        _ => since / period,
    }
}

/// The window search of [`Totp::verify`], compiled once per hash.
///
/// Every candidate is computed and compared, fresh or not, so a miss costs the same
/// whichever steps are used; steps past the 64-bit range are skipped.
#[inline]
fn search<K: PreparedKey>(
    key: &K,
    code: &Code,
    current: u64,
    last_used: Option<TimeStep>,
    window: Window,
    digits: u8,
) -> Result<TimeStep, Rejected> {
    let accept = |step: Option<u64>| {
        let step = step?;
        let fresh = last_used.is_none_or(|used| step > used.get());
        let hit = bool::from(key.matches(code, step, digits));
        (hit && fresh).then_some(TimeStep::new(step))
    };
    // Preference order: 0, -1, +1, -2, +2, … (as `Window::offsets`, written out because
    // this loop is the hot path of every sign-in).
    if let Some(step) = accept(Some(current)) {
        return Ok(step);
    }
    let Window { past, future } = window;
    for i in 1..=past.max(future) {
        let distance = u64::from(i);
        if i <= past
            && let Some(step) = accept(current.checked_sub(distance))
        {
            return Ok(step);
        }
        if i <= future
            && let Some(step) = accept(current.checked_add(distance))
        {
            return Ok(step);
        }
    }
    Err(Rejected)
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totp")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::steps_since;

    #[test]
    fn steps_since_divides_exactly_at_the_edges() {
        for since in [
            0,
            1,
            29,
            30,
            31,
            59,
            60,
            1_700_000_000,
            u64::from(u32::MAX) - 30,
        ]
        .into_iter()
        .chain((u64::from(u32::MAX) - 100)..=(u64::from(u32::MAX) + 100))
        {
            assert_eq!(steps_since(since, 30), since / 30, "{since}");
            assert_eq!(steps_since(since, 31), since / 31, "{since}");
        }
        assert_eq!(steps_since(u64::MAX, 30), u64::MAX / 30);
    }

    proptest! {
        #[test]
        fn steps_since_is_the_division(since in any::<u32>(), wide in any::<u64>(), period in 1u64..=600) {
            let since = u64::from(since);
            prop_assert_eq!(steps_since(since, 30), since / 30);
            prop_assert_eq!(steps_since(wide, 30), wide / 30);
            prop_assert_eq!(steps_since(since, period), since / period);
        }
    }
}
