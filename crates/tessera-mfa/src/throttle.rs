//! Throttling and lockout of second-factor attempts.

use std::time::Duration;

use tessera_otp::UnixTime;

use crate::{Error, Result};

/// The hard limit may never exceed this: NIST SP 800-63B §5.2.2 allows no more than 100
/// consecutive failed attempts on one account.
pub const MAX_HARD_LIMIT: u32 = 100;
/// Longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// Longest delay between attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);

/// When second-factor failures slow down and then lock the second factor.
///
/// Failures are counted per account across all methods (TOTP, email, SMS, recovery
/// codes). After `free_failures` consecutive failures, each further failure sets a "retry
/// after" instant `base_delay × 2^(failures − free_failures)` ahead, capped at `max_delay`.
/// At `hard_limit` failures the second factor is locked for `lockout`. Attempts before the
/// retry-after instant or during the lockout are refused with the same opaque failure as
/// a wrong code and are not counted. A success resets everything; so does the end of a
/// lockout, so each lockout period admits at most `hard_limit` guesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ThrottleConfig {
    free_failures: u32,
    hard_limit: u32,
    base_delay: Duration,
    max_delay: Duration,
    lockout: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ThrottleConfig {
    /// 5 free failures, then delays from 30 seconds doubling up to 15 minutes, and a
    /// one-hour lockout at 20 failures.
    pub const DEFAULT: Self = Self {
        free_failures: 5,
        hard_limit: 20,
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(15 * 60),
        lockout: Duration::from_secs(3600),
    };

    /// Validated settings (whole seconds).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `1 <= free_failures < hard_limit <=`
    /// [`MAX_HARD_LIMIT`], `1 s <= base_delay <= max_delay <=` [`MAX_DELAY`], and
    /// `1 min <= lockout <=` [`MAX_LOCKOUT`].
    pub fn new(
        free_failures: u32,
        hard_limit: u32,
        base_delay: Duration,
        max_delay: Duration,
        lockout: Duration,
    ) -> Result<Self> {
        if free_failures == 0 || free_failures >= hard_limit || hard_limit > MAX_HARD_LIMIT {
            return Err(Error::InvalidConfig(
                "throttling needs 1 <= free failures < hard limit <= 100",
            ));
        }
        if base_delay.as_secs() == 0 || base_delay > max_delay || max_delay > MAX_DELAY {
            return Err(Error::InvalidConfig(
                "throttle delays need 1 s <= base delay <= max delay <= 1 day",
            ));
        }
        if lockout.as_secs() < 60 || lockout > MAX_LOCKOUT {
            return Err(Error::InvalidConfig(
                "the lockout must last 1 minute to 7 days",
            ));
        }
        Ok(Self {
            free_failures,
            hard_limit,
            base_delay,
            max_delay,
            lockout,
        })
    }

    /// Failures allowed before delays start.
    #[must_use]
    pub fn free_failures(&self) -> u32 {
        self.free_failures
    }

    /// Failures that lock the second factor.
    #[must_use]
    pub fn hard_limit(&self) -> u32 {
        self.hard_limit
    }

    /// How long a lockout lasts.
    #[must_use]
    pub fn lockout(&self) -> Duration {
        self.lockout
    }

    /// The delay after the `failures`-th consecutive failure.
    #[must_use]
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free_failures).min(31);
        let secs = self
            .base_delay
            .as_secs()
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay.as_secs());
        Duration::from_secs(secs)
    }
}

/// An account's throttle counters, stored with the account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ThrottleState {
    pub(crate) failures: u32,
    pub(crate) retry_after: Option<UnixTime>,
    pub(crate) locked_until: Option<UnixTime>,
}

impl ThrottleState {
    /// Consecutive failures so far.
    #[must_use]
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The first instant at which an attempt is accepted, if attempts wait now.
    #[must_use]
    pub fn retry_after(&self) -> Option<UnixTime> {
        self.retry_after
    }

    /// The end of the lockout, if the second factor is locked.
    #[must_use]
    pub fn locked_until(&self) -> Option<UnixTime> {
        self.locked_until
    }

    /// Whether an attempt at `now` may be checked at all. Ends an expired lockout
    /// (resetting the count) as a side effect; returns whether the state changed too.
    pub(crate) fn admit(&mut self, now: UnixTime) -> (bool, bool) {
        let mut changed = false;
        if let Some(until) = self.locked_until {
            if now < until {
                return (false, false);
            }
            *self = Self::default();
            changed = true;
        }
        let admitted = self.retry_after.is_none_or(|t| now >= t);
        (admitted, changed)
    }

    /// Counts one failure at `now`; returns the lockout end when this failure locks.
    pub(crate) fn fail(&mut self, now: UnixTime, cfg: &ThrottleConfig) -> Option<UnixTime> {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= cfg.hard_limit {
            let until = now.saturating_add(cfg.lockout);
            self.locked_until = Some(until);
            self.retry_after = Some(until);
            return Some(until);
        }
        let delay = cfg.delay_after(self.failures);
        self.retry_after = (!delay.is_zero()).then(|| now.saturating_add(delay));
        None
    }

    /// A success: everything resets. Returns whether anything changed.
    pub(crate) fn succeed(&mut self) -> bool {
        let changed = *self != Self::default();
        *self = Self::default();
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the sequence of attempts, no more than `hard_limit` failures are
        /// checked between a success and a lockout, a lockout always follows the
        /// `hard_limit`-th failure, and nothing is admitted before `retry_after`.
        #[test]
        fn never_more_than_the_hard_limit(
            steps in proptest::collection::vec((0u64..2000, any::<bool>()), 0..300)
        ) {
            let cfg = ThrottleConfig::DEFAULT;
            let mut st = ThrottleState::default();
            let mut now = UnixTime::from_secs(1_000_000);
            let mut checked_failures = 0u32;
            for (advance, ok) in steps {
                now = now.saturating_add(Duration::from_secs(advance));
                let was_locked = st.locked_until.is_some_and(|u| now >= u);
                let before = st;
                let (admitted, _) = st.admit(now);
                if was_locked {
                    checked_failures = 0;
                }
                if !admitted {
                    prop_assert!(before.retry_after.is_some_and(|t| now < t)
                        || before.locked_until.is_some_and(|t| now < t));
                    continue;
                }
                if ok {
                    st.succeed();
                    checked_failures = 0;
                } else {
                    checked_failures += 1;
                    let locked = st.fail(now, &cfg);
                    prop_assert!(checked_failures <= cfg.hard_limit);
                    prop_assert_eq!(locked.is_some(), checked_failures == cfg.hard_limit);
                }
            }
        }
    }

    #[test]
    fn delays_grow_and_cap() {
        let c = ThrottleConfig::DEFAULT;
        let secs: Vec<u64> = (0..=12).map(|n| c.delay_after(n).as_secs()).collect();
        assert_eq!(secs, [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(c.delay_after(u32::MAX).as_secs(), 900);
    }

    #[test]
    fn bounds() {
        let s = Duration::from_secs;
        assert!(ThrottleConfig::new(5, 101, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 5, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(0, 5, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, s(0), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, s(3), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, s(1), s(2), s(59)).is_err());
        ThrottleConfig::new(5, 100, s(1), s(2), s(60)).unwrap();
    }
}
