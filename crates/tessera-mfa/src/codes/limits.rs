//! Send limits against SMS pumping and mail bombing.

use std::time::Duration;

use tessera_otp::UnixTime;

use crate::{Error, Result};

/// Most sends allowed in one window, upper bound.
pub const MAX_SENDS_PER_WINDOW: u32 = 100;
/// Shortest window.
pub const MIN_SEND_WINDOW: Duration = Duration::from_secs(60);
/// Longest window.
pub const MAX_SEND_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Longest minimum interval between two sends.
pub const MAX_RESEND_INTERVAL: Duration = Duration::from_secs(3600);

/// How many codes may be sent, per account and per destination.
///
/// With the `serde` feature it deserializes through [`SendLimits::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "SendLimitsRaw"))]
pub struct SendLimits {
    per_account: u32,
    per_destination: u32,
    window: Duration,
    min_interval: Duration,
}

/// The unvalidated shape [`SendLimits`] deserializes from.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct SendLimitsRaw {
    per_account: u32,
    per_destination: u32,
    window: Duration,
    min_interval: Duration,
}

#[cfg(feature = "serde")]
impl TryFrom<SendLimitsRaw> for SendLimits {
    type Error = Error;
    fn try_from(r: SendLimitsRaw) -> Result<Self> {
        Self::new(r.per_account, r.per_destination, r.window, r.min_interval)
    }
}

impl Default for SendLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl SendLimits {
    /// 5 sends per account and 5 per destination in 15 minutes, at least 30 seconds apart.
    pub const DEFAULT: Self = Self {
        per_account: 5,
        per_destination: 5,
        window: Duration::from_secs(15 * 60),
        min_interval: Duration::from_secs(30),
    };

    /// Validated limits (whole seconds).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for counts outside 1..=[`MAX_SENDS_PER_WINDOW`], a window
    /// outside [`MIN_SEND_WINDOW`]..=[`MAX_SEND_WINDOW`], or an interval above
    /// [`MAX_RESEND_INTERVAL`] or the window.
    pub fn new(
        per_account: u32,
        per_destination: u32,
        window: Duration,
        min_interval: Duration,
    ) -> Result<Self> {
        let counts = 1..=MAX_SENDS_PER_WINDOW;
        if !counts.contains(&per_account) || !counts.contains(&per_destination) {
            return Err(Error::InvalidConfig(
                "send limits must be 1 to 100 per window",
            ));
        }
        if window < MIN_SEND_WINDOW || window > MAX_SEND_WINDOW {
            return Err(Error::InvalidConfig(
                "the send window must be 1 minute to 1 day",
            ));
        }
        if min_interval > MAX_RESEND_INTERVAL || min_interval > window {
            return Err(Error::InvalidConfig(
                "the resend interval must be at most 1 hour and at most the window",
            ));
        }
        Ok(Self {
            per_account,
            per_destination,
            window,
            min_interval,
        })
    }

    /// Sends allowed per account per window.
    #[must_use]
    pub fn per_account(&self) -> u32 {
        self.per_account
    }

    /// Sends allowed per destination per window.
    #[must_use]
    pub fn per_destination(&self) -> u32 {
        self.per_destination
    }

    /// The window.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The minimum time between two sends.
    #[must_use]
    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }

    /// Drops sends outside the window, then checks one more send against `max`.
    pub(crate) fn check(&self, sends: &mut Vec<UnixTime>, now: UnixTime, max: u32) -> Result<()> {
        let window_start = now.saturating_sub(self.window);
        // Sends "in the future" (a clock that jumped back) stay counted: safer than forgetting them.
        sends.retain(|t| *t > window_start);
        sends.sort_unstable();
        if let Some(last) = sends.last() {
            let next = last.saturating_add(self.min_interval);
            if now < next {
                return Err(Error::ResendTooSoon {
                    retry_after: next,
                    wait: next.saturating_duration_since(now),
                });
            }
        }
        if sends.len() >= usize::try_from(max).unwrap_or(usize::MAX) {
            let oldest = sends.first().copied().unwrap_or(now);
            let retry_after = oldest.saturating_add(self.window);
            return Err(Error::SendLimitReached {
                retry_after,
                wait: retry_after.saturating_duration_since(now),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_interval() {
        let l = SendLimits::DEFAULT;
        let mut sends = Vec::new();
        let t = |s: u64| UnixTime::from_secs(1000 + s);
        for i in 0..5 {
            l.check(&mut sends, t(i * 30), 5).unwrap();
            sends.push(t(i * 30));
        }
        // Sixth send inside 15 minutes: refused until the first leaves the window.
        match l.check(&mut sends, t(200), 5) {
            Err(Error::SendLimitReached { retry_after, .. }) => assert_eq!(retry_after, t(900)),
            other => panic!("{other:?}"),
        }
        assert!(l.check(&mut sends, t(899), 5).is_err());
        l.check(&mut sends, t(900), 5).unwrap();
        // Resend interval: 30 s after the last send.
        let mut one = vec![t(0)];
        assert!(matches!(
            l.check(&mut one, t(29), 5),
            Err(Error::ResendTooSoon { retry_after, .. }) if retry_after == t(30)
        ));
        l.check(&mut one, t(30), 5).unwrap();
    }

    #[cfg(feature = "serde")]
    proptest::proptest! {
        #[test]
        fn serde_accepts_exactly_what_new_accepts(
            a in 0u32..120, d in 0u32..120, w in 0u64..100_000, i in 0u64..5000,
        ) {
            let s = Duration::from_secs;
            let direct = SendLimits::new(a, d, s(w), s(i));
            let json = format!(
                r#"{{"per_account":{a},"per_destination":{d},"window":{{"secs":{w},"nanos":0}},"min_interval":{{"secs":{i},"nanos":0}}}}"#
            );
            let parsed = serde_json::from_str::<SendLimits>(&json);
            proptest::prop_assert_eq!(direct.is_ok(), parsed.is_ok());
            if let Ok(l) = direct {
                let back: SendLimits = serde_json::from_str(&serde_json::to_string(&l).unwrap()).unwrap();
                proptest::prop_assert_eq!(back, l);
            }
        }
    }

    #[test]
    fn the_getters_say_the_limits() {
        let l = SendLimits::DEFAULT;
        assert_eq!((l.per_account(), l.per_destination()), (5, 5));
        assert_eq!(l.window(), Duration::from_secs(15 * 60));
        assert_eq!(l.min_interval(), Duration::from_secs(30));
        let l = SendLimits::new(7, 9, Duration::from_secs(120), Duration::from_secs(11)).unwrap();
        assert_eq!((l.per_account(), l.per_destination()), (7, 9));
        assert_eq!(
            (l.window(), l.min_interval()),
            (Duration::from_secs(120), Duration::from_secs(11))
        );
    }

    #[test]
    fn bounds() {
        let m = Duration::from_secs(60);
        assert!(SendLimits::new(0, 5, m, m).is_err());
        assert!(SendLimits::new(5, 101, m, m).is_err());
        assert!(SendLimits::new(5, 5, Duration::from_secs(59), Duration::ZERO).is_err());
        assert!(SendLimits::new(5, 5, m, Duration::from_secs(61)).is_err());
        SendLimits::new(5, 5, m, Duration::ZERO).unwrap();
        // The upper ends: 100 sends, a day's window, an hour between sends.
        let (day, hour) = (Duration::from_secs(86_400), Duration::from_secs(3_600));
        assert_eq!((MAX_SEND_WINDOW, MAX_RESEND_INTERVAL), (day, hour));
        SendLimits::new(100, 100, day, hour).unwrap();
        assert!(SendLimits::new(100, 100, day + Duration::from_secs(1), hour).is_err());
        assert!(SendLimits::new(100, 100, day, hour + Duration::from_secs(1)).is_err());
        assert!(SendLimits::new(101, 100, day, hour).is_err());
    }
}
