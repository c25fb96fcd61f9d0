//! Time steps, clock drift, verification windows and the opaque rejection.

/// A TOTP time step: `floor((T - T0) / X)` (RFC 6238 §4.2).
///
/// Verification returns the step that matched; store it as the device's last used
/// step and pass it to the next verification, so that no code at or before it is
/// accepted again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimeStep(u64);

impl TimeStep {
    /// The step with this number.
    #[must_use]
    pub const fn new(step: u64) -> Self {
        Self(step)
    }

    /// The step number, the HOTP counter of this step.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// How far a device's clock runs ahead (positive) or behind (negative), in steps.
///
/// Found by [`Totp::resync`](crate::Totp::resync); stored by the caller and applied by
/// later verifications through [`VerifyOptions::drift`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Drift(i64);

impl Drift {
    /// No drift.
    pub const ZERO: Self = Self(0);

    /// A drift of `steps` (positive: the device runs ahead).
    #[must_use]
    pub const fn from_steps(steps: i64) -> Self {
        Self(steps)
    }

    /// The drift in steps.
    #[must_use]
    pub const fn steps(self) -> i64 {
        self.0
    }

    /// `step` moved by this drift, or `None` outside the 64-bit range.
    pub(crate) fn apply(self, step: u64) -> Option<u64> {
        step.checked_add_signed(self.0)
    }
}

/// How many steps before and after the current one a code may come from.
///
/// The default, one step each way, forgives 30 s of clock skew or typing delay
/// (RFC 6238 §5.2 recommends at most one step back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Window {
    pub(crate) past: u32,
    pub(crate) future: u32,
}

impl Window {
    /// The largest number of steps allowed on either side.
    pub const MAX_STEPS: u32 = 50;
    /// Only the current step.
    pub const ZERO: Self = Self { past: 0, future: 0 };
    /// One step back and one ahead.
    pub const DEFAULT: Self = Self { past: 1, future: 1 };

    /// A window of `past` steps back and `future` steps ahead.
    ///
    /// # Errors
    /// [`Error::InvalidWindow`](crate::Error::InvalidWindow) past
    /// [`MAX_STEPS`](Self::MAX_STEPS) on a side.
    pub const fn new(past: u32, future: u32) -> Result<Self, crate::Error> {
        if past > Self::MAX_STEPS || future > Self::MAX_STEPS {
            return Err(crate::Error::InvalidWindow {
                max: Self::MAX_STEPS,
            });
        }
        Ok(Self { past, future })
    }

    /// `steps` back and `steps` ahead.
    ///
    /// # Errors
    /// As [`Window::new`].
    pub const fn symmetric(steps: u32) -> Result<Self, crate::Error> {
        Self::new(steps, steps)
    }

    /// Steps back.
    #[must_use]
    pub const fn past(self) -> u32 {
        self.past
    }

    /// Steps ahead.
    #[must_use]
    pub const fn future(self) -> u32 {
        self.future
    }

    /// Step offsets in order of preference: 0, -1, +1, -2, +2, …
    pub(crate) fn offsets(self) -> impl Iterator<Item = i64> {
        let widest = self.past.max(self.future);
        (0..=widest).flat_map(move |i| {
            let i64v = i64::from(i);
            let back = (i > 0 && i <= self.past).then_some(-i64v);
            let ahead = (i == 0 || i <= self.future).then_some(i64v);
            back.into_iter().chain(ahead)
        })
    }
}

impl Default for Window {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How a TOTP verification searches, besides the code, the instant and the last used
/// step: the window and the device's drift.
///
/// The last used step is not an option: [`Totp::verify`](crate::Totp::verify) takes it
/// as an argument of its own, so that no call can leave replay protection out by default.
///
/// Not a builder in argon2's shape, unlike [`TotpParamsBuilder`](crate::TotpParamsBuilder):
/// there is nothing left to validate (a [`Window`] and a [`Drift`] are checked when they are
/// made), so the options are a `Copy` value with `const` by-value setters, usable in a
/// `const` and passed by value to every verification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct VerifyOptions {
    pub(crate) window: Window,
    pub(crate) drift: Drift,
}

impl VerifyOptions {
    /// Default window (±1), no drift.
    pub const fn new() -> Self {
        Self {
            window: Window::DEFAULT,
            drift: Drift::ZERO,
        }
    }

    /// Sets the window.
    pub const fn window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// Sets the device's stored drift.
    pub const fn drift(mut self, drift: Drift) -> Self {
        self.drift = drift;
        self
    }
}

/// A one-time code did not verify.
///
/// Deliberately opaque, like `hmac::digest::MacError`: a wrong code, a reused code and
/// a code outside the window look the same, so the caller cannot tell an attacker which.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("one-time code rejected")]
pub struct Rejected;

/// The result of a TOTP resynchronisation: store both on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resync {
    /// The device's drift, to pass to later verifications.
    pub drift: Drift,
    /// The step of the second code, now used.
    pub last_used: TimeStep,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_come_nearest_first() {
        let all: Vec<i64> = Window::new(2, 1).unwrap().offsets().collect();
        assert_eq!(all, [0, -1, 1, -2]);
        let all: Vec<i64> = Window::new(0, 2).unwrap().offsets().collect();
        assert_eq!(all, [0, 1, 2]);
        assert_eq!(Window::ZERO.offsets().collect::<Vec<_>>(), [0]);
        assert!(Window::symmetric(51).is_err());
    }

    #[test]
    fn window_bounds_and_default_are_exact() {
        // The default forgives one step each way and no more.
        assert_eq!(Window::DEFAULT.offsets().collect::<Vec<_>>(), [0, -1, 1]);
        assert_eq!(Window::default(), Window::DEFAULT);
        assert_eq!((Window::DEFAULT.past(), Window::DEFAULT.future()), (1, 1));
        let widest = Window::symmetric(Window::MAX_STEPS).unwrap();
        assert_eq!((widest.past(), widest.future()), (50, 50));
        assert_eq!(widest.offsets().count(), 101);
        assert_eq!(
            Window::new(51, 0).unwrap_err(),
            crate::Error::InvalidWindow { max: 50 }
        );
        assert!(Window::new(0, 51).is_err());
        assert_eq!(
            Window::new(3, 0).unwrap().offsets().collect::<Vec<_>>(),
            [0, -1, -2, -3]
        );
    }

    #[test]
    fn drift_moves_steps_within_range() {
        assert_eq!(TimeStep::new(9).get(), 9);
        assert_eq!(Drift::from_steps(-3).steps(), -3);
        assert_eq!(Drift::default(), Drift::ZERO);
        assert_eq!(Drift::from_steps(2).apply(10), Some(12));
        assert_eq!(Drift::from_steps(-2).apply(10), Some(8));
        assert_eq!(Drift::from_steps(-11).apply(10), None);
        assert_eq!(Drift::from_steps(1).apply(u64::MAX), None);
    }

    #[test]
    fn verify_options_default_to_one_step_and_no_drift() {
        let options = VerifyOptions::new();
        assert_eq!(options.window, Window::DEFAULT);
        assert_eq!(options.drift, Drift::ZERO);
        assert_eq!(VerifyOptions::default(), options);
        let set = options
            .window(Window::new(2, 3).unwrap())
            .drift(Drift::from_steps(-4));
        assert_eq!(set.window, Window::new(2, 3).unwrap());
        assert_eq!(set.drift, Drift::from_steps(-4));
    }
}
