//! Throttling and lockout of authentication attempts.

mod change;
mod flow;

pub use change::Attempt;

use std::time::Duration;

use tessera_otp::UnixTime;

use crate::{Error, Result};

/// The hard limit may never exceed this: NIST SP 800-63B §5.2.2 allows no more than 100
/// consecutive failed authentication attempts on one account.
pub const MAX_HARD_LIMIT: u32 = 100;
/// Longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// Shortest lockout.
pub const MIN_LOCKOUT: Duration = Duration::from_secs(60);
/// Longest delay between attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);

/// When failed attempts slow down, lock the account for a while, and lock it for good.
///
/// Failures are counted per account across every factor (passwords where the
/// application counts them, TOTP, security keys, email, SMS, recovery codes):
///
/// - after `free_failures` consecutive failures, each further failure sets a "retry
///   after" instant `base_delay × 2^(failures − free_failures)` ahead, capped at
///   `max_delay`;
/// - at `lockout_after` failures the account is locked for `lockout` (a *temporary*
///   lockout). Its end does **not** reset the count: every further failure locks again
///   for `lockout`;
/// - at `hard_limit` failures (at most [`MAX_HARD_LIMIT`], NIST SP 800-63B §5.2.2) the
///   account is locked *permanently*, until [`Mfa::unlock`](crate::Mfa::unlock) by a
///   named administrator (or an account-recovery flow).
///
/// Attempts before the retry-after instant or during a lockout are refused with the
/// same opaque failure as a wrong code, are not counted and nothing is checked. Only a
/// completed sign-in or step-up ([`Mfa::attempt_completed`](crate::Mfa::attempt_completed),
/// [`Mfa::authentication_completed`](crate::Mfa::authentication_completed)) or an
/// administrator's unlock resets the count, so between two resets no more than
/// `hard_limit` failed attempts are ever checked, however they are paced.
///
/// With the `serde` feature it deserializes through [`ThrottleConfig::new`], so a
/// configuration file cannot switch the lockout off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "ThrottleConfigRaw"))]
pub struct ThrottleConfig {
    free_failures: u32,
    lockout_after: u32,
    hard_limit: u32,
    base_delay: Duration,
    max_delay: Duration,
    lockout: Duration,
}

/// The unvalidated shape [`ThrottleConfig`] deserializes from.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct ThrottleConfigRaw {
    free_failures: u32,
    lockout_after: u32,
    hard_limit: u32,
    base_delay: Duration,
    max_delay: Duration,
    lockout: Duration,
}

#[cfg(feature = "serde")]
impl TryFrom<ThrottleConfigRaw> for ThrottleConfig {
    type Error = Error;
    fn try_from(r: ThrottleConfigRaw) -> Result<Self> {
        Self::new(
            r.free_failures,
            r.lockout_after,
            r.hard_limit,
            r.base_delay,
            r.max_delay,
            r.lockout,
        )
    }
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ThrottleConfig {
    /// 5 free failures, then delays from 30 seconds doubling up to 15 minutes; a
    /// one-hour lockout at 20 failures (and again at every failure after it); a
    /// permanent lock at 100.
    pub const DEFAULT: Self = Self {
        free_failures: 5,
        lockout_after: 20,
        hard_limit: MAX_HARD_LIMIT,
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(15 * 60),
        lockout: Duration::from_secs(3600),
    };

    /// Validated settings (whole seconds).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless
    /// `1 <= free_failures < lockout_after <= hard_limit <=` [`MAX_HARD_LIMIT`],
    /// `1 s <= base_delay <= max_delay <=` [`MAX_DELAY`], and
    /// [`MIN_LOCKOUT`] `<= lockout <=` [`MAX_LOCKOUT`].
    pub fn new(
        free_failures: u32,
        lockout_after: u32,
        hard_limit: u32,
        base_delay: Duration,
        max_delay: Duration,
        lockout: Duration,
    ) -> Result<Self> {
        if free_failures == 0 || free_failures >= lockout_after {
            return Err(Error::InvalidConfig(
                "throttling needs 1 <= free failures < lockout threshold",
            ));
        }
        if lockout_after > hard_limit || hard_limit > MAX_HARD_LIMIT {
            return Err(Error::InvalidConfig(
                "throttling needs lockout threshold <= hard limit <= 100",
            ));
        }
        if base_delay.as_secs() == 0 || base_delay > max_delay || max_delay > MAX_DELAY {
            return Err(Error::InvalidConfig(
                "throttle delays need 1 s <= base delay <= max delay <= 1 day",
            ));
        }
        if lockout < MIN_LOCKOUT || lockout > MAX_LOCKOUT {
            return Err(Error::InvalidConfig(
                "the lockout must last 1 minute to 7 days",
            ));
        }
        Ok(Self {
            free_failures,
            lockout_after,
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

    /// Failures that lock the account temporarily (for [`lockout`](Self::lockout)).
    #[must_use]
    pub fn lockout_after(&self) -> u32 {
        self.lockout_after
    }

    /// Failures that lock the account until an administrator unlocks it.
    #[must_use]
    pub fn hard_limit(&self) -> u32 {
        self.hard_limit
    }

    /// The first delay.
    #[must_use]
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest delay.
    #[must_use]
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// How long a temporary lockout lasts.
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

/// A lock that a failure just started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Locked until this instant.
    Temporary(UnixTime),
    /// Locked until an administrator unlocks.
    Permanent,
}

/// An account's throttle counters, stored with the account.
///
/// Two kinds of lock: a temporary one ([`locked_until`](Self::locked_until) is its end)
/// and a permanent one at the hard limit ([`is_locked_permanently`](Self::is_locked_permanently),
/// with `locked_until` `None`). [`is_locked`](Self::is_locked) covers both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ThrottleState {
    pub(crate) failures: u32,
    pub(crate) retry_after: Option<UnixTime>,
    pub(crate) locked_until: Option<UnixTime>,
    /// Set at the hard limit; only an unlock clears it. Absent in state stored by
    /// earlier versions, hence the default.
    #[cfg_attr(feature = "serde", serde(default))]
    pub(crate) locked_permanently: bool,
    /// Bumped by every reset, so that taking back a provisional failure
    /// ([`Mfa::attempt_passed`](crate::Mfa::attempt_passed)) after a reset takes back
    /// nothing that was counted after it.
    #[cfg_attr(feature = "serde", serde(default))]
    pub(crate) epoch: u64,
}

impl ThrottleState {
    /// Consecutive failures since the last completed sign-in, step-up or unlock.
    #[must_use]
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The first instant at which an attempt is accepted, if attempts wait now.
    #[must_use]
    pub fn retry_after(&self) -> Option<UnixTime> {
        self.retry_after
    }

    /// The end of a temporary lockout, if one was set (it may have passed already);
    /// `None` when not locked temporarily, and for a permanent lock.
    #[must_use]
    pub fn locked_until(&self) -> Option<UnixTime> {
        self.locked_until
    }

    /// Whether the account is locked until an administrator unlocks it.
    #[must_use]
    pub fn is_locked_permanently(&self) -> bool {
        self.locked_permanently
    }

    /// Whether the account is locked at `now`, temporarily or permanently.
    #[must_use]
    pub fn is_locked(&self, now: UnixTime) -> bool {
        self.locked_permanently || self.locked_until.is_some_and(|t| now < t)
    }

    /// Whether an attempt at `now` may be checked at all. Ends an expired temporary
    /// lockout (keeping the count) as a side effect; returns whether the state changed.
    pub(crate) fn admit(&mut self, now: UnixTime) -> (bool, bool) {
        if self.locked_permanently {
            return (false, false);
        }
        let mut changed = false;
        if let Some(until) = self.locked_until {
            if now < until {
                return (false, false);
            }
            self.locked_until = None;
            changed = true;
        }
        let admitted = self.retry_after.is_none_or(|t| now >= t);
        (admitted, changed)
    }

    /// Counts one failure at `now`; returns the lock this failure starts, if any.
    pub(crate) fn record_failure(&mut self, now: UnixTime, cfg: &ThrottleConfig) -> Option<Lock> {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= cfg.hard_limit {
            self.locked_permanently = true;
            self.locked_until = None;
            self.retry_after = None;
            return Some(Lock::Permanent);
        }
        if self.failures >= cfg.lockout_after {
            let until = now.saturating_add(cfg.lockout);
            self.locked_until = Some(until);
            self.retry_after = Some(until);
            return Some(Lock::Temporary(until));
        }
        let delay = cfg.delay_after(self.failures);
        self.retry_after = (!delay.is_zero()).then(|| now.saturating_add(delay));
        None
    }

    /// Takes back one provisional failure: `before` and `after` are the state just
    /// before and just after the reservation counted it. When nothing was counted since
    /// (the state is still `after`), the state goes back to `before` exactly: the delay
    /// or lock that this reservation alone set is lifted too, so a right password typed
    /// at the threshold does not lock its own account. Otherwise the count goes down by
    /// one and a delay that the lower count would not have set is lifted; a lockout
    /// stays (the safe side). Nothing happens after a reset (another epoch). Returns
    /// whether anything changed.
    pub(crate) fn take_back(
        &mut self,
        before: &ThrottleState,
        after: &ThrottleState,
        cfg: &ThrottleConfig,
    ) -> bool {
        if after.epoch != self.epoch || self.failures == 0 {
            return false;
        }
        if self == after {
            *self = *before;
            return true;
        }
        self.failures -= 1;
        let locked = self.locked_permanently || self.locked_until.is_some();
        if !locked && cfg.delay_after(self.failures).is_zero() {
            // The delay before the failure taken back (if any) cannot be recovered, so
            // a delay that the lower count still calls for stays as it is: the safe side.
            self.retry_after = None;
        }
        true
    }

    /// A completed sign-in or step-up: the count, delays and a temporary lockout reset.
    /// A permanent lock stays (only an unlock lifts it). Returns whether anything
    /// changed.
    pub(crate) fn reset(&mut self) -> bool {
        if self.locked_permanently {
            return false;
        }
        let changed =
            self.failures != 0 || self.retry_after.is_some() || self.locked_until.is_some();
        if changed {
            *self = Self {
                epoch: self.epoch.wrapping_add(1),
                ..Self::default()
            };
        }
        changed
    }

    /// An administrator's unlock: everything resets, a permanent lock too. Returns
    /// whether anything changed.
    pub(crate) fn unlock(&mut self) -> bool {
        let changed = self.locked_permanently
            || self.failures != 0
            || self.retry_after.is_some()
            || self.locked_until.is_some();
        if changed {
            *self = Self {
                epoch: self.epoch.wrapping_add(1),
                ..Self::default()
            };
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the caller does with one granted attempt in the property test.
    #[derive(Clone, Copy, Debug)]
    enum Outcome {
        Wrong,
        Passed,
        Completed,
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            8 => Just(Outcome::Wrong),
            1 => Just(Outcome::Passed),
            1 => Just(Outcome::Completed),
        ]
    }

    proptest! {
        /// Whatever the timing (up to a week between attempts) and the mix of outcomes,
        /// no more than `hard_limit` failed attempts are checked between two resets,
        /// the `hard_limit`-th locks for good, nothing is admitted while waiting or
        /// locked, and only an unlock lifts the permanent lock.
        #[test]
        fn never_more_than_the_hard_limit_between_resets(
            steps in proptest::collection::vec((0u64..8 * 24 * 3600, outcome()), 0..400),
            small in any::<bool>(),
        ) {
            let cfg = if small {
                ThrottleConfig::new(2, 4, 6, Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(60)).unwrap()
            } else {
                ThrottleConfig::DEFAULT
            };
            let mut st = ThrottleState::default();
            let mut now = UnixTime::from_secs(1_000_000);
            let mut checked_failures = 0u32;
            for (advance, what) in steps {
                now = now.saturating_add(Duration::from_secs(advance));
                let before = st;
                let (admitted, _) = st.admit(now);
                if !admitted {
                    prop_assert!(before.is_locked(now)
                        || before.retry_after.is_some_and(|t| now < t));
                    continue;
                }
                prop_assert!(!before.locked_permanently);
                // The reservation: counted before anything is checked.
                let reserved_from = st;
                let lock = st.record_failure(now, &cfg);
                let after = st;
                checked_failures += 1;
                prop_assert!(checked_failures <= cfg.hard_limit());
                prop_assert_eq!(st.failures, checked_failures);
                prop_assert_eq!(lock == Some(Lock::Permanent), checked_failures == cfg.hard_limit());
                match what {
                    Outcome::Wrong => {}
                    Outcome::Passed => {
                        // Nothing else was counted in between: the state goes back
                        // exactly, a lock this reservation set included.
                        prop_assert!(st.take_back(&reserved_from, &after, &cfg));
                        prop_assert_eq!(st, reserved_from);
                        checked_failures -= 1;
                    }
                    Outcome::Completed => {
                        if st.reset() {
                            checked_failures = 0;
                        }
                        prop_assert_eq!(st.failures, checked_failures);
                    }
                }
            }
            if st.locked_permanently {
                prop_assert!(!st.admit(now.saturating_add(MAX_LOCKOUT)).0);
                prop_assert!(!st.reset());
                prop_assert!(st.unlock());
                prop_assert!(st.admit(now).0);
                prop_assert_eq!(st.failures, 0);
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
    fn a_temporary_lockout_ends_without_resetting_the_count() {
        let cfg = ThrottleConfig::DEFAULT;
        let mut st = ThrottleState {
            failures: 19,
            ..ThrottleState::default()
        };
        let t = UnixTime::from_secs(1_000);
        assert_eq!(
            st.record_failure(t, &cfg),
            Some(Lock::Temporary(t.saturating_add(cfg.lockout())))
        );
        let end = t.saturating_add(cfg.lockout());
        assert!(st.is_locked(t) && !st.is_locked(end));
        assert_eq!(st.admit(end), (true, true));
        assert_eq!(st.failures(), 20);
        // The next failure locks again at once.
        assert!(matches!(
            st.record_failure(end, &cfg),
            Some(Lock::Temporary(_))
        ));
    }

    #[test]
    fn bounds_are_a_day_of_delay_and_a_week_of_lockout_and_the_getters_say_them() {
        let s = Duration::from_secs;
        assert_eq!(MAX_DELAY, s(86_400));
        assert_eq!(MAX_LOCKOUT, s(604_800));
        assert_eq!(MIN_LOCKOUT, s(60));
        // Just inside and just outside each bound.
        assert!(ThrottleConfig::new(5, 20, 100, s(1), MAX_DELAY, MAX_LOCKOUT).is_ok());
        assert!(ThrottleConfig::new(5, 20, 100, s(1), MAX_DELAY + s(1), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, 100, s(1), s(2), MAX_LOCKOUT + s(1)).is_err());
        let c = ThrottleConfig::new(3, 10, 50, s(7), s(70), s(600)).unwrap();
        assert_eq!(
            (c.free_failures(), c.lockout_after(), c.hard_limit()),
            (3, 10, 50)
        );
        assert_eq!(
            (c.base_delay(), c.max_delay(), c.lockout()),
            (s(7), s(70), s(600))
        );
    }

    #[test]
    fn bounds() {
        let s = Duration::from_secs;
        assert!(ThrottleConfig::new(5, 20, 101, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 101, 101, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 21, 20, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 5, 100, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(0, 5, 100, s(1), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, 100, s(0), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, 100, s(3), s(2), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, 100, s(1), s(2), s(59)).is_err());
        assert!(ThrottleConfig::new(5, 20, 100, s(1), MAX_DELAY + s(1), s(60)).is_err());
        assert!(ThrottleConfig::new(5, 20, 100, s(1), s(2), MAX_LOCKOUT + s(1)).is_err());
        ThrottleConfig::new(5, 100, 100, s(1), s(2), s(60)).unwrap();
        ThrottleConfig::new(5, 6, 7, s(1), s(2), s(60)).unwrap();
        assert_eq!(ThrottleConfig::DEFAULT.hard_limit(), MAX_HARD_LIMIT);
        assert_eq!(ThrottleConfig::DEFAULT.lockout_after(), 20);
    }

    #[cfg(feature = "serde")]
    mod serde_bounds {
        use super::*;

        fn json(f: u32, l: u32, h: u32, base: u64, max: u64, lock: u64) -> String {
            format!(
                r#"{{"free_failures":{f},"lockout_after":{l},"hard_limit":{h},"base_delay":{{"secs":{base},"nanos":0}},"max_delay":{{"secs":{max},"nanos":0}},"lockout":{{"secs":{lock},"nanos":0}}}}"#
            )
        }

        #[test]
        fn out_of_bounds_json_is_refused() {
            // A throttle that never locks, and other bypasses of `new`.
            for bad in [
                json(5, 20, 1000, 30, 900, 3600),
                json(5, 20, 100, 30, 900, 1),
                json(0, 20, 100, 30, 900, 3600),
                json(5, 20, 100, 0, 900, 3600),
                json(50, 20, 100, 30, 900, 3600),
            ] {
                assert!(
                    serde_json::from_str::<ThrottleConfig>(&bad).is_err(),
                    "{bad}"
                );
            }
            let ok: ThrottleConfig =
                serde_json::from_str(&json(5, 20, 100, 30, 900, 3600)).unwrap();
            assert_eq!(ok, ThrottleConfig::DEFAULT);
        }

        proptest! {
            #[test]
            fn valid_configs_round_trip(
                f in 1u32..50, l in 0u32..50, h in 0u32..50,
                base in 1u64..100, extra in 0u64..1000, lock in 60u64..100_000,
            ) {
                let (l, h) = (f + 1 + l, f + 1 + l + h);
                prop_assume!(h <= MAX_HARD_LIMIT);
                let s = Duration::from_secs;
                let cfg = ThrottleConfig::new(f, l, h, s(base), s(base + extra), s(lock)).unwrap();
                let back: ThrottleConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
                prop_assert_eq!(back, cfg);
            }
        }
    }

    fn small() -> ThrottleConfig {
        // Two free failures, then 10 s doubling to 40 s; locked for a minute at 4;
        // for good at 6.
        ThrottleConfig::new(
            2,
            4,
            6,
            Duration::from_secs(10),
            Duration::from_secs(40),
            Duration::from_secs(60),
        )
        .unwrap()
    }

    /// `n` reservations counted one after another; the states before and after each.
    fn reserve(
        st: &mut ThrottleState,
        n: usize,
        now: UnixTime,
        cfg: &ThrottleConfig,
    ) -> Vec<(ThrottleState, ThrottleState)> {
        (0..n)
            .map(|_| {
                let before = *st;
                st.record_failure(now, cfg);
                (before, *st)
            })
            .collect()
    }

    #[test]
    fn taking_back_under_later_failures_lowers_the_count_by_one() {
        let cfg = small();
        let now = UnixTime::from_secs(1_000);
        let mut st = ThrottleState::default();
        let r = reserve(&mut st, 3, now, &cfg);
        assert_eq!(st.failures, 3);
        assert_eq!(
            st.retry_after,
            Some(now.saturating_add(Duration::from_secs(20)))
        );
        // The first reservation passes while two more are counted: one less, and the
        // delay the lower count still calls for stays.
        assert!(st.take_back(&r[0].0, &r[0].1, &cfg));
        assert_eq!(st.failures, 2);
        assert_eq!(
            st.retry_after,
            Some(now.saturating_add(Duration::from_secs(20)))
        );
        // Down to one failure, which is free: the delay goes.
        assert!(st.take_back(&r[1].0, &r[1].1, &cfg));
        assert_eq!(st.failures, 1);
        assert_eq!(st.retry_after, None);
    }

    #[test]
    fn taking_back_never_lifts_a_lock() {
        let cfg = small();
        let now = UnixTime::from_secs(1_000);
        let mut st = ThrottleState::default();
        let r = reserve(&mut st, 4, now, &cfg);
        let until = now.saturating_add(Duration::from_secs(60));
        assert_eq!(st.locked_until, Some(until));
        // Three of the four pass, each under a later failure: the count goes down to
        // one (a free failure), yet the lock and its wait stay.
        for (before, after) in &r[..3] {
            assert!(st.take_back(before, after, &cfg));
        }
        assert_eq!(st.failures, 1);
        assert_eq!(st.locked_until, Some(until));
        assert_eq!(st.retry_after, Some(until));
    }

    #[test]
    fn reset_and_unlock_notice_any_one_counter() {
        let cfg = small();
        let now = UnixTime::from_secs(1_000);
        // One free failure alone: no delay, no lock, yet a reset and an unlock clear it.
        for unlock in [false, true] {
            let mut st = ThrottleState::default();
            st.record_failure(now, &cfg);
            assert_eq!((st.retry_after, st.locked_until), (None, None));
            assert!(if unlock { st.unlock() } else { st.reset() });
            assert_eq!(st.failures, 0);
            assert_eq!(st.epoch, 1);
            assert!(if unlock { !st.unlock() } else { !st.reset() });
        }
        // A wait alone, and a lock alone (as a state stored by hand could hold).
        for st in [
            ThrottleState {
                retry_after: Some(now),
                ..ThrottleState::default()
            },
            ThrottleState {
                locked_until: Some(now),
                ..ThrottleState::default()
            },
            ThrottleState {
                locked_permanently: true,
                ..ThrottleState::default()
            },
        ] {
            let mut u = st;
            assert!(u.unlock(), "{st:?}");
            assert_eq!(
                u,
                ThrottleState {
                    epoch: 1,
                    ..ThrottleState::default()
                }
            );
            let mut r = st;
            assert_eq!(r.reset(), !st.locked_permanently, "{st:?}");
        }
    }

    #[test]
    fn an_unlock_starts_a_new_epoch_that_old_reservations_cannot_touch() {
        let cfg = small();
        let now = UnixTime::from_secs(1_000);
        let mut st = ThrottleState::default();
        let r = reserve(&mut st, 6, now, &cfg);
        assert!(st.locked_permanently);
        assert!(st.unlock());
        st.record_failure(now, &cfg);
        // A reservation from before the unlock passes: nothing of the new epoch moves.
        assert!(!st.take_back(&r[5].0, &r[5].1, &cfg));
        assert_eq!(st.failures, 1);
    }
}
