//! Device identifiers and names.

use std::fmt;

use crate::Error;

/// A device's identifier: 128 random bits, written as 32 lowercase hex digits.
///
/// Drawn from the operating system's CSPRNG, so ids are never reused, not even after
/// a device is removed, and reveal nothing about the user or the order of enrolment.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "String", try_from = "String")
)]
pub struct DeviceId(u128);

impl DeviceId {
    /// A fresh random id.
    #[must_use]
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// Rebuilds an id from its number, as a store kept it.
    #[must_use]
    pub const fn from_u128(id: u128) -> Self {
        Self(id)
    }

    /// The id as a number.
    #[must_use]
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// Parses the 32-hex-digit form (either case).
    ///
    /// # Errors
    /// [`Error::DeviceNotFound`]: text that is not an id names no device.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::DeviceNotFound);
        }
        u128::from_str_radix(text, 16)
            .map(Self)
            .map_err(|_| Error::DeviceNotFound)
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

impl std::str::FromStr for DeviceId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// A device's name as its owner chose it: trimmed, 1 to 64 characters, no control
/// characters. Unique per user, compared without regard to case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "String", try_from = "String")
)]
pub struct DeviceName(pub(crate) String);

impl DeviceName {
    /// Fewest characters (after trimming).
    pub const MIN_LEN: usize = 1;
    /// Most characters (after trimming).
    pub const MAX_LEN: usize = 64;

    /// Trims and validates a name.
    ///
    /// ```
    /// use tessera_registry::DeviceName;
    /// assert_eq!(DeviceName::new("  Work phone ")?.as_str(), "Work phone");
    /// assert!(DeviceName::new("   ").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidName`] when empty or longer than [`MAX_LEN`](Self::MAX_LEN)
    /// characters after trimming, or holding a control character.
    pub fn new(name: &str) -> Result<Self, Error> {
        let trimmed = name.trim();
        let len = trimmed.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) || trimmed.chars().any(char::is_control)
        {
            return Err(Error::InvalidName {
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two names collide (equal without regard to case).
    pub(crate) fn collides(&self, other: &Self) -> bool {
        self.0.to_lowercase() == other.0.to_lowercase()
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_debug_show_the_value() {
        let id = DeviceId::random();
        assert_eq!(format!("{id:?}"), format!("DeviceId({id})"));
        assert!(!id.to_string().is_empty());
        let name = DeviceName::new("Phone").unwrap();
        assert_eq!(name.to_string(), "Phone");
    }
    use proptest::prelude::*;

    #[test]
    fn ids_are_random_and_round_trip() {
        let a = DeviceId::random();
        let b = DeviceId::random();
        assert_ne!(a, b);
        assert_eq!(a.to_string().len(), 32);
        assert_eq!(DeviceId::parse(&a.to_string()).unwrap(), a);
        assert_eq!(DeviceId::parse(&a.to_string().to_uppercase()).unwrap(), a);
        assert!(DeviceId::parse("+0000000000000000000000000000001").is_err());
        assert!(DeviceId::parse("abc").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DeviceName::new(" a ").unwrap().as_str(), "a");
        assert!(DeviceName::new("").is_err());
        assert!(DeviceName::new("\t \n").is_err());
        assert!(DeviceName::new(&"é".repeat(64)).is_ok());
        assert!(DeviceName::new(&"é".repeat(65)).is_err());
        assert!(DeviceName::new("a\u{0}b").is_err());
        let a = DeviceName::new("Phone").unwrap();
        assert!(a.collides(&DeviceName::new("pHONE").unwrap()));
        assert!(!a.collides(&DeviceName::new("Phone 2").unwrap()));
    }

    proptest! {
        #[test]
        fn id_parse_never_panics_and_round_trips(text in "\\PC{0,40}", n in any::<u128>()) {
            let _ = DeviceId::parse(&text);
            let id = DeviceId::from_u128(n);
            prop_assert_eq!(DeviceId::parse(&id.to_string()).unwrap(), id);
        }

        #[test]
        fn name_new_never_panics(text in "\\PC{0,100}") {
            if let Ok(name) = DeviceName::new(&text) {
                prop_assert_eq!(name.as_str(), text.trim());
                prop_assert_eq!(DeviceName::new(name.as_str()).unwrap(), name);
            }
        }
    }
}
