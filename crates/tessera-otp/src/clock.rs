//! Time as the library sees it: whole seconds since the Unix epoch, from a pluggable clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant, in whole seconds since the Unix epoch (UTC).
///
/// One-time codes, expiries and lockouts are all decided to the second, so a plain
/// count of seconds is exact and cheap to store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UnixTime(u64);

impl UnixTime {
    /// The Unix epoch itself.
    pub const EPOCH: Self = Self(0);

    /// The instant `secs` seconds after the Unix epoch.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// This instant plus `d` (whole seconds), saturating at the far future.
    #[must_use]
    pub const fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d.as_secs()))
    }

    /// This instant minus `d` (whole seconds), saturating at the epoch.
    #[must_use]
    pub const fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(d.as_secs()))
    }

    /// Time elapsed from `earlier` to `self`, or zero when `earlier` is later.
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_secs(self.0.saturating_sub(earlier.0))
    }
}

impl From<SystemTime> for UnixTime {
    /// Instants before the epoch map to the epoch.
    fn from(t: SystemTime) -> Self {
        Self(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    }
}

/// Where the current time comes from.
///
/// Every time rule in Tessera asks a `Clock`, so tests decide instants exactly
/// ([`ManualClock`]) and services use the system's ([`SystemClock`]).
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> UnixTime;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> UnixTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> UnixTime {
        (**self).now()
    }
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::from(SystemTime::now())
    }
}

/// A clock that moves only when told to; clones share the same time.
///
/// For tests and examples: set an exact instant, advance it, and check what every
/// rule decides at that instant without sleeping.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock stopped at `at`.
    #[must_use]
    pub fn new(at: UnixTime) -> Self {
        Self(Arc::new(AtomicU64::new(at.as_secs())))
    }

    /// Moves the clock to `at` (backwards too, to test clocks that jump).
    pub fn set(&self, at: UnixTime) {
        self.0.store(at.as_secs(), Ordering::SeqCst);
    }

    /// Moves the clock forward by `d` (whole seconds).
    pub fn advance(&self, d: Duration) {
        // Saturate rather than wrap: a test that overshoots stays at the far future.
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                Some(s.saturating_add(d.as_secs()))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_shared_between_clones_and_saturates() {
        let clock = ManualClock::new(UnixTime::from_secs(100));
        let other = clock.clone();
        clock.advance(Duration::from_secs(5));
        assert_eq!(other.now(), UnixTime::from_secs(105));
        clock.set(UnixTime::from_secs(u64::MAX - 1));
        clock.advance(Duration::from_secs(10));
        assert_eq!(other.now().as_secs(), u64::MAX);
    }

    #[test]
    fn system_clock_reads_the_system_time() {
        // Read std's clock on both sides, so the check holds however slow the machine is.
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let now = SystemClock.now().as_secs();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            before <= now && now <= after,
            "{before} <= {now} <= {after}"
        );
        // Not the epoch, nor any fixed instant: later than 2020-01-01.
        assert!(now > 1_577_836_800);
    }

    #[test]
    fn references_and_arcs_forward_to_the_clock() {
        fn read(clock: impl Clock) -> UnixTime {
            clock.now()
        }
        let clock = ManualClock::new(UnixTime::from_secs(1_234_567));
        assert_eq!(read(&clock), UnixTime::from_secs(1_234_567));
        assert_eq!(
            read(Arc::new(clock.clone())),
            UnixTime::from_secs(1_234_567)
        );
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        assert_eq!(read(&shared), UnixTime::from_secs(1_234_567));
        clock.set(UnixTime::from_secs(42));
        assert_eq!(read(&*shared), UnixTime::from_secs(42));
    }

    #[test]
    fn unix_time_arithmetic_saturates() {
        let t = UnixTime::from_secs(100);
        assert_eq!(t.saturating_add(Duration::from_secs(5)).as_secs(), 105);
        assert_eq!(t.saturating_sub(Duration::from_secs(5)).as_secs(), 95);
        assert_eq!(t.saturating_sub(Duration::from_secs(500)), UnixTime::EPOCH);
        assert_eq!(
            UnixTime::from_secs(u64::MAX).saturating_add(Duration::from_secs(1)),
            UnixTime::from_secs(u64::MAX)
        );
        assert_eq!(
            t.saturating_duration_since(UnixTime::from_secs(40)),
            Duration::from_secs(60)
        );
        assert_eq!(
            t.saturating_duration_since(UnixTime::from_secs(400)),
            Duration::ZERO
        );
        assert_eq!(
            UnixTime::from(UNIX_EPOCH + Duration::from_millis(90_500)),
            UnixTime::from_secs(90)
        );
    }

    #[test]
    fn system_time_before_epoch_is_epoch() {
        let before = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(UnixTime::from(before), UnixTime::EPOCH);
    }
}
