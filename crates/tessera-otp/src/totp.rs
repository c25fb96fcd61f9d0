//! TOTP: RFC 6238 time-based codes, replay-safe verification and resynchronisation.

use crate::key::HmacKey;
use crate::{Code, Error, Rejected, Resync, Secret, TimeStep, TotpParams, UnixTime, VerifyOptions};

/// A TOTP generator and verifier for one secret, its HMAC key state prepared once.
///
/// ```
/// use tessera_otp::{Secret, Totp, TotpParams, UnixTime, VerifyOptions};
/// let totp = Totp::new(&Secret::generate(), TotpParams::DEFAULT);
/// let now = UnixTime::from_secs(1_700_000_000);
/// let code = totp.generate(now)?;
/// let step = totp.verify(&code, now, VerifyOptions::new())?;
/// // Store `step`; the same code is refused from now on.
/// let again = VerifyOptions::new().last_used(Some(step));
/// assert!(totp.verify(&code, now, again).is_err());
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
        Ok(TimeStep::new(since / self.params.period()))
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

    /// Verifies `code` at instant `at` and returns the step it matched, to store as the
    /// device's last used step.
    ///
    /// Candidates are the current step (after the drift) first, then nearest first
    /// within the window. A step at or before `last_used` is never accepted; when a code
    /// matches a used step and an unused one (adjacent steps can share a code), the
    /// unused one wins. Comparisons are constant time and allocation-free. A failure
    /// computes every candidate; a success returns at the first acceptable match, which
    /// tells a timing observer only which step matched, and the caller learns that anyway.
    ///
    /// # Errors
    /// [`Rejected`], opaque, for a wrong, reused or out-of-window code, a code of the
    /// wrong length, or an instant before T0.
    pub fn verify(
        &self,
        code: &Code,
        at: UnixTime,
        options: VerifyOptions,
    ) -> Result<TimeStep, Rejected> {
        let now = self.time_step(at).map_err(|_| Rejected)?;
        let current = options.drift.apply(now.get()).ok_or(Rejected)?;
        let digits = self.params.digits();
        for offset in options.window.offsets() {
            let Some(step) = current.checked_add_signed(offset) else {
                continue;
            };
            let fresh = options.last_used.is_none_or(|used| step > used.get());
            let hit = self.key.matches(code, step, digits);
            if bool::from(hit) && fresh {
                return Ok(TimeStep::new(step));
            }
        }
        Err(Rejected)
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

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totp")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}
