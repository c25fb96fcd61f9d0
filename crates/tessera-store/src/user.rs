//! Who owns an aggregate.

use std::fmt;

/// The identity that owns an account, MFA devices and MFA state: a user, a root
/// account, a tenant's account.
///
/// Opaque to Tessera: the application chooses the format (a UUID, a database key).
/// With the `serde` feature it serializes as the bare string.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct UserId(String);

impl UserId {
    /// Wraps the application's identifier for a user.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as the application gave it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UserId {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for UserId {
    fn from(s: String) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_application_s_string() {
        let id = UserId::from("user-42");
        assert_eq!(id.as_str(), "user-42");
        assert_eq!(id.to_string(), "user-42");
        assert_eq!(id, UserId::new(String::from("user-42")));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_as_the_bare_string() {
        let id = UserId::new("a\"b");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""a\"b""#);
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
    }

    proptest::proptest! {
        #[test]
        fn order_is_the_string_s_byte_order(a in ".{0,12}", b in ".{0,12}") {
            proptest::prop_assert_eq!(
                UserId::new(a.clone()).cmp(&UserId::new(b.clone())),
                a.as_bytes().cmp(b.as_bytes())
            );
        }
    }
}
