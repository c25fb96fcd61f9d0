//! Instants as people read them in a message, and as machines read them in a log.

use std::fmt;

use tessera_otp::UnixTime;

/// An instant in UTC, written for people (`2023-11-14 22:13 UTC`, its
/// [`Display`](fmt::Display)) or for machines ([`UtcTime::rfc3339`],
/// `2023-11-14T22:13:20Z`). Security messages use it instead of raw Unix seconds.
///
/// UTC, and no "2 minutes ago": a message is read later than it is written, and its
/// reader's time zone is not known here. The Gregorian calendar is proleptic; leap
/// seconds do not exist in Unix time. Instants after 9999-12-31T23:59:59Z (no real
/// clock gives them) print a year of more than four digits, which RFC 3339 does not
/// allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(UnixTime);

/// A civil date and time of day, in UTC.
struct Civil {
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
}

/// Days since 1970-01-01 to a proleptic Gregorian date: `civil_from_days` of Howard
/// Hinnant, "chrono-Compatible Low-Level Date Algorithms"
/// (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>), for
/// non-negative day counts only, so it needs no signed arithmetic.
fn civil(secs: u64) -> Civil {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Shift the epoch to 0000-03-01, so that a leap day ends its year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: rem / 3_600,
        minute: rem % 3_600 / 60,
        second: rem % 60,
    }
}

impl UtcTime {
    /// The instant `at`.
    #[must_use]
    pub const fn new(at: UnixTime) -> Self {
        Self(at)
    }

    /// The instant as Unix time.
    #[must_use]
    pub const fn unix(self) -> UnixTime {
        self.0
    }

    /// RFC 3339 in UTC with whole seconds, e.g. `2023-11-14T22:13:20Z`: for logs and
    /// machine-readable fields.
    #[must_use]
    pub fn rfc3339(self) -> String {
        let c = civil(self.0.as_secs());
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }
}

impl From<UnixTime> for UtcTime {
    fn from(at: UnixTime) -> Self {
        Self(at)
    }
}

impl fmt::Display for UtcTime {
    /// `2023-11-14 22:13 UTC`: to the minute, for the text of a message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = civil(self.0.as_secs());
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            c.year, c.month, c.day, c.hour, c.minute
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Known answers, checked against GNU `date -u -d @<secs>`.
    #[test]
    fn known_instants() {
        for (secs, rfc, text) in [
            (0, "1970-01-01T00:00:00Z", "1970-01-01 00:00 UTC"),
            (
                1_700_000_000,
                "2023-11-14T22:13:20Z",
                "2023-11-14 22:13 UTC",
            ),
            (951_782_400, "2000-02-29T00:00:00Z", "2000-02-29 00:00 UTC"),
            // The last and first days of a year counted from March, a century or more
            // into a 400-year era (where the century terms of the formula count).
            (68_169_600, "1972-02-29T00:00:00Z", "1972-02-29 00:00 UTC"),
            (
                4_107_456_000,
                "2100-02-28T00:00:00Z",
                "2100-02-28 00:00 UTC",
            ),
            (
                4_107_542_400,
                "2100-03-01T00:00:00Z",
                "2100-03-01 00:00 UTC",
            ),
            (
                1_709_164_800,
                "2024-02-29T00:00:00Z",
                "2024-02-29 00:00 UTC",
            ),
            (
                4_102_444_800,
                "2100-01-01T00:00:00Z",
                "2100-01-01 00:00 UTC",
            ),
            (
                253_402_300_799,
                "9999-12-31T23:59:59Z",
                "9999-12-31 23:59 UTC",
            ),
            (
                1_764_475_973,
                "2025-11-30T04:12:53Z",
                "2025-11-30 04:12 UTC",
            ),
        ] {
            let t = UtcTime::new(UnixTime::from_secs(secs));
            assert_eq!(
                (t.rfc3339(), t.to_string()),
                (rfc.to_owned(), text.to_owned())
            );
        }
        // The greatest instant still renders (with a long year), without overflow.
        assert!(
            UtcTime::new(UnixTime::from_secs(u64::MAX))
                .rfc3339()
                .ends_with('Z')
        );
    }

    /// `days_from_civil` of the same paper, the inverse, to check every date.
    fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y / 400;
        let yoe = y - era * 400;
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    proptest! {
        #[test]
        fn every_instant_to_year_9999_round_trips(secs in 0u64..=253_402_300_799) {
            let c = civil(secs);
            prop_assert!((1..=12).contains(&c.month) && (1..=31).contains(&c.day));
            let back = days_from_civil(c.year, c.month, c.day) * 86_400
                + c.hour * 3_600 + c.minute * 60 + c.second;
            prop_assert_eq!(back, secs);
        }
    }
}
