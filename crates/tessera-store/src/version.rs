//! Versions of stored aggregates, for compare-and-set.

/// The version of a stored aggregate; [`Version::NEW`] for one never saved.
///
/// A store keeps it as a number ([`get`](Self::get)) beside the aggregate and compares
/// it on every save: `UPDATE … SET version = version + 1 WHERE id = ? AND version = ?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct Version(u64);

impl Version {
    /// The version of an aggregate that was never saved.
    pub const NEW: Self = Self(0);

    /// Wraps a version a store kept.
    #[must_use]
    pub const fn new(v: u64) -> Self {
        Self(v)
    }

    /// The number, for a store to keep.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The version after this one: what a store returns from a successful save.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }

    /// Whether this is [`Version::NEW`]: nothing was ever saved.
    #[must_use]
    pub const fn is_new(self) -> bool {
        self.0 == 0
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A value with the version it was read at: what every store's `load` returns and
/// every store's `save` takes back.
///
/// The shape of every write is load → change [`value`](Self::value) in place → `save`
/// the same `Versioned`: its [`version`](Self::version) is the one the store compares
/// (compare-and-set), so a value cannot be saved without the version it was read at.
/// A value never stored is saved as [`Versioned::unsaved`] (or `Versioned::default()`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Versioned<T> {
    /// The version the value was read at: the one `save` expects to find stored.
    pub version: Version,
    /// The value, to change before saving it back.
    pub value: T,
}

impl<T> Versioned<T> {
    /// `value` at `version`.
    #[must_use]
    pub const fn new(version: Version, value: T) -> Self {
        Self { version, value }
    }

    /// A value never saved: at [`Version::NEW`].
    #[must_use]
    pub const fn unsaved(value: T) -> Self {
        Self::new(Version::NEW, value)
    }

    /// The value changed by `f`, at the same version: a store's row decoded into its
    /// aggregate, or an aggregate narrowed to the part a test compares.
    #[must_use]
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Versioned<U> {
        Versioned::new(self.version, f(self.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_move_forward_from_new() {
        assert!(Version::NEW.is_new());
        assert_eq!(Version::default(), Version::NEW);
        assert_eq!(Version::NEW.next(), Version::new(1));
        assert!(!Version::new(1).is_new());
        assert!(Version::new(1) < Version::new(2));
        assert_eq!(Version::new(7).get(), 7);
        assert_eq!(Version::new(7).to_string(), "v7");
        assert_eq!(Versioned::unsaved("x"), Versioned::new(Version::NEW, "x"));
    }

    #[test]
    fn map_keeps_the_version() {
        let read = Versioned::new(Version::new(3), "seven");
        assert_eq!(read.map(str::len), Versioned::new(Version::new(3), 5));
        assert_eq!(
            Versioned::<&str>::default().map(str::len),
            Versioned::unsaved(0)
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_as_the_number() {
        assert_eq!(serde_json::to_string(&Version::new(42)).unwrap(), "42");
        assert_eq!(
            serde_json::from_str::<Version>("42").unwrap(),
            Version::new(42)
        );
    }
}
