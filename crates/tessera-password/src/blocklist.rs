//! Common and breached passwords, and passwords made of one obvious pattern.
//!
//! # The built-in list
//!
//! [`BuiltinBlocklist`] holds the 30,000 most common passwords of the `PASSWORDS` frequency list
//! that ships in the [`zxcvbn`](https://crates.io/crates/zxcvbn) crate (version 3.1.1, MIT
//! licence, © 2016 Joshua Holmer), which is Dropbox's zxcvbn list (MIT licence, © 2012-2016 Dan
//! Wheeler and Dropbox, Inc.), itself a frequency count of Mark Burnett's public corpus of ten
//! million passwords from breaches (2015). `data/README.md` beside the crate's sources gives the
//! provenance and the licence text; `data/generate.py` regenerates the file.
//!
//! Every entry is stored NFKC-normalised and lowercased, deduplicated, sorted by bytes, one per
//! line: 241,950 bytes compiled into the binary with `include_str!`. A lookup is a binary search
//! directly over those bytes (about 15 probes of one line each, no allocation, no start-up cost);
//! see `benches/benches/password.rs` for its measured cost.

/// A list of passwords that must not be used.
///
/// Implement it to add an organisation's own list, or to consult a breached-password service
/// (do the network call before validating and answer from its result: validation is synchronous
/// and does no I/O). `contains` is asked about the password NFKC-normalised and lowercased, then
/// about each of its candidate forms (look-alike skeleton, decorations stripped, leetspeak
/// undone, repeated unit; see the crate docs), so a list keeps its entries NFKC and lowercase and
/// a hit on any form refuses the password.
pub trait Blocklist: Send + Sync {
    /// Whether `candidate` (NFKC, lowercase) is on the list.
    fn contains(&self, candidate: &str) -> bool;
}

impl<B: Blocklist + ?Sized> Blocklist for &B {
    fn contains(&self, candidate: &str) -> bool {
        (**self).contains(candidate)
    }
}

impl<B: Blocklist> Blocklist for [B] {
    fn contains(&self, candidate: &str) -> bool {
        self.iter().any(|b| b.contains(candidate))
    }
}

impl Blocklist for std::collections::HashSet<String> {
    fn contains(&self, candidate: &str) -> bool {
        std::collections::HashSet::contains(self, candidate)
    }
}

impl Blocklist for std::collections::BTreeSet<String> {
    fn contains(&self, candidate: &str) -> bool {
        std::collections::BTreeSet::contains(self, candidate)
    }
}

/// An empty list, for [`crate::PasswordPolicy::validate_with`] when there is nothing to add.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBlocklist;

impl Blocklist for NoBlocklist {
    fn contains(&self, _candidate: &str) -> bool {
        false
    }
}

const BUILTIN: &str = include_str!("../data/common-passwords.txt");

/// The built-in list of 30,000 common passwords.
///
/// Source: the `PASSWORDS` frequency list of the `zxcvbn` crate 3.1.1 (MIT, © 2016 Joshua
/// Holmer), i.e. Dropbox's zxcvbn list (MIT, © 2012-2016 Dan Wheeler and Dropbox, Inc.), a
/// frequency count of Mark Burnett's ten-million-password breach corpus. Entries are stored
/// NFKC-normalised and lowercased, sorted, 241,950 bytes, searched in place by binary search.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinBlocklist;

impl BuiltinBlocklist {
    /// How many entries the list holds.
    #[must_use]
    pub fn len(&self) -> usize {
        BUILTIN.lines().count()
    }

    /// Always false: the list is never empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        BUILTIN.is_empty()
    }

    /// The entries, sorted by bytes (NFKC, lowercase).
    pub fn entries(&self) -> impl Iterator<Item = &'static str> {
        BUILTIN.lines()
    }

    /// The size of the compiled-in data in bytes.
    #[must_use]
    pub const fn size_bytes(&self) -> usize {
        BUILTIN.len()
    }
}

impl Blocklist for BuiltinBlocklist {
    fn contains(&self, candidate: &str) -> bool {
        sorted_lines_contain(BUILTIN.as_bytes(), candidate.as_bytes())
    }
}

/// Binary search over newline-terminated lines sorted by bytes.
///
/// Invariant: `lo` and `hi` are line starts (or the end), and the needle, if present, is a line
/// starting in `lo..hi`. Each probe finds the line around the midpoint; both branches shrink the
/// range by at least one byte, so the loop ends.
fn sorted_lines_contain(data: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() || needle.contains(&b'\n') {
        return false;
    }
    let (mut lo, mut hi) = (0usize, data.len());
    while lo < hi {
        // std's midpoint (rounded down, no overflow) rather than hand-written arithmetic,
        // whose slips give a search that still finds every entry but in linear time.
        let mid = lo.midpoint(hi);
        let start = data
            .get(lo..mid)
            .and_then(|s| s.iter().rposition(|&b| b == b'\n'))
            .map_or(lo, |i| lo + i + 1);
        let end = data
            .get(start..)
            .and_then(|s| s.iter().position(|&b| b == b'\n'))
            .map_or(data.len(), |i| start + i);
        let Some(line) = data.get(start..end) else {
            return false;
        };
        match line.cmp(needle) {
            core::cmp::Ordering::Equal => return true,
            core::cmp::Ordering::Less => lo = end + 1,
            core::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

/// Words that people build passwords from but that the built-in list leaves out, because
/// zxcvbn keeps them in its separate English-word lists: seasons, months, weekdays and the
/// names of default accounts. `Autumn2024!` is refused like `Summer2024!`.
const COMMON_WORDS: &[&str] = &[
    "spring",
    "summer",
    "autumn",
    "fall",
    "winter",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "admin",
    "administrator",
    "root",
    "guest",
    "user",
    "login",
    "welcome",
    "default",
    "changeme",
];

/// Whether `candidate` is one of [`COMMON_WORDS`].
pub(crate) fn is_common_word(candidate: &str) -> bool {
    COMMON_WORDS.contains(&candidate)
}

/// Whether `folded` is wholly one unit of one to four characters repeated at least twice
/// (`aaaaaaaa`, `abcabcabc`, `passpass`).
pub(crate) fn is_repeated(folded: &str) -> bool {
    let chars: Vec<char> = folded.chars().collect();
    let n = chars.len();
    if n < 2 {
        return false;
    }
    (1..=4.min(n / 2)).any(|unit| {
        n.is_multiple_of(unit) && chars.chunks(unit).all(|c| chars.get(..unit) == Some(c))
    })
}

/// Whether `folded` is wholly one run of consecutive code points, ascending or descending
/// (`12345678`, `abcdefgh`, `87654321`); digits may wrap (`7890123`).
pub(crate) fn is_sequential(folded: &str) -> bool {
    let chars: Vec<char> = folded.chars().collect();
    if chars.len() < 3 {
        return false;
    }
    let step = |a: char, b: char| -> Option<i64> {
        let d = i64::from(u32::from(b)) - i64::from(u32::from(a));
        match (a, b, d) {
            (_, _, 1 | -1) => Some(d),
            ('9', '0', _) => Some(1),
            ('0', '9', _) => Some(-1),
            _ => None,
        }
    };
    let Some(first) = chars
        .first()
        .zip(chars.get(1))
        .and_then(|(&a, &b)| step(a, b))
    else {
        return false;
    };
    chars.windows(2).all(|w| match w {
        [a, b] => step(*a, *b) == Some(first),
        _ => false,
    })
}

/// Keyboard rows of the QWERTY, QWERTZ and AZERTY layouts, including the number row.
const KEYBOARD_ROWS: &[&str] = &[
    "`1234567890-=",
    // The US number row shifted (`!@#$%^&*`).
    "~!@#$%^&*()_+",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertzuiopü+",
    "yxcvbnm,.-",
    "azertyuiop^$",
    "qsdfghjklmù*",
    "wxcvbn,;:!",
];

/// Whether `folded` (at least four characters) is wholly a run along one keyboard row, in
/// either direction (`qwertyui`, `lkjhgfds`).
pub(crate) fn is_keyboard_run(folded: &str) -> bool {
    if folded.chars().count() < 4 {
        return false;
    }
    let reversed: String = folded.chars().rev().collect();
    KEYBOARD_ROWS
        .iter()
        .any(|row| row.contains(folded) || row.contains(reversed.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_is_sorted_unique_and_large() {
        let lines: Vec<&str> = BUILTIN.lines().collect();
        assert!(lines.len() >= 10_000);
        assert!(lines.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
        assert!(
            lines
                .iter()
                .all(|l| !l.is_empty() && *l == l.to_lowercase())
        );
        // Every entry is found, including the first and the last.
        assert!(lines.iter().all(|l| BuiltinBlocklist.contains(l)));
    }

    #[test]
    fn builtin_list_lookups() {
        for common in [
            "password", "123456", "qwerty", "iloveyou", "letmein", "trustno1",
        ] {
            assert!(BuiltinBlocklist.contains(common), "{common}");
        }
        for absent in [
            "",
            "\n",
            "password\npassword",
            "correct horse battery staple",
            "~~~~~~~~~~~~~~~~~~~~~~~~~~",
        ] {
            assert!(!BuiltinBlocklist.contains(absent), "{absent:?}");
        }
        assert_eq!(BuiltinBlocklist.len(), 30_000);
    }

    #[test]
    fn sorted_search_edges() {
        let data = b"b\nd\nf";
        for (needle, found) in [
            ("a", false),
            ("b", true),
            ("c", false),
            ("d", true),
            ("f", true),
            ("g", false),
        ] {
            assert_eq!(
                sorted_lines_contain(data, needle.as_bytes()),
                found,
                "{needle}"
            );
        }
        assert!(!sorted_lines_contain(b"", b"a"));
    }

    #[test]
    fn patterns() {
        for r in ["aaaaaaaa", "abcabcabc", "passpass", "1212121212", "ééééé"] {
            assert!(is_repeated(r), "{r}");
        }
        for r in ["abcdeabcd", "password", "aaaaaaab", "a"] {
            assert!(!is_repeated(r), "{r}");
        }
        for s in [
            "12345678", "abcdefgh", "87654321", "zyxwvuts", "7890123", "3210987",
        ] {
            assert!(is_sequential(s), "{s}");
        }
        for s in ["12345679", "abcdefgz", "13579", "ab"] {
            assert!(!is_sequential(s), "{s}");
        }
        for k in [
            "qwertyui",
            "asdfghjkl",
            "zxcvbnm",
            "iuytrewq",
            "azertyui",
            "1234567890-=",
        ] {
            assert!(is_keyboard_run(k), "{k}");
        }
        for k in ["qwerasdf", "qaz", "correct horse"] {
            assert!(!is_keyboard_run(k), "{k}");
        }
    }

    /// The shortest strings each pattern applies to: two characters repeat, four keys make
    /// a run (three do not).
    #[test]
    fn pattern_length_floors() {
        assert!(is_repeated("aa"));
        assert!(!is_repeated("ab"));
        assert!(!is_repeated(""));
        assert!(is_keyboard_run("qwer"));
        assert!(is_keyboard_run("rewq"));
        assert!(!is_keyboard_run("qwe"));
    }

    #[test]
    fn custom_lists_compose() {
        let mine: std::collections::HashSet<String> = ["tessera2026".to_owned()].into();
        assert!(Blocklist::contains(&mine, "tessera2026"));
        assert!(!NoBlocklist.contains("tessera2026"));
        let both: [&dyn Blocklist; 2] = [&BuiltinBlocklist, &mine];
        assert!(Blocklist::contains(&both[..], "password"));
        assert!(Blocklist::contains(&both[..], "tessera2026"));
        assert!(!Blocklist::contains(&both[..], "tessera2027"));
        let ordered: std::collections::BTreeSet<String> = ["tessera2026".to_owned()].into();
        assert!(Blocklist::contains(&ordered, "tessera2026"));
        assert!(!Blocklist::contains(&ordered, "tessera2027"));
    }

    #[test]
    fn builtin_entries_are_the_file_lines() {
        assert!(!BuiltinBlocklist.is_empty());
        assert_eq!(BuiltinBlocklist.entries().count(), BuiltinBlocklist.len());
        assert_eq!(BuiltinBlocklist.entries().next(), BUILTIN.lines().next());
        assert_eq!(BuiltinBlocklist.size_bytes(), BUILTIN.len());
        assert!(BuiltinBlocklist.entries().any(|e| e == "password"));
    }
}
