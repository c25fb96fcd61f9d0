//! A password held in memory: wiped on drop, never printed.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A password as a person typed it.
///
/// The buffer is zeroized on drop and `Debug` prints a redaction. There is deliberately no
/// `Display` and no `PartialEq`: compare with [`Password::ct_eq`], which runs in time that
/// depends only on the lengths.
///
/// ```
/// use tessera_password::Password;
/// let password = Password::new("correct horse battery staple");
/// assert_eq!(format!("{password:?}"), "Password(<redacted>)");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password. Takes ownership so that the only copy is the one wiped on drop.
    #[must_use]
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password exactly as given (not normalised).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes of UTF-8, as given.
    #[must_use]
    pub fn len_bytes(&self) -> usize {
        self.0.len()
    }

    /// Whether the password is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time equality of the exact bytes (no normalisation), for a confirmation field.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Self(password)
    }
}

impl From<&str> for Password {
    fn from(password: &str) -> Self {
        Self(password.to_owned())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let p = Password::new("hunter2hunter2");
        assert!(!format!("{p:?}").contains("hunter"));
        // Exactly the redaction: a Debug that printed nothing would hide that a password
        // was there at all.
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }

    #[test]
    fn empty_is_the_empty_string() {
        assert!(Password::new("").is_empty());
        assert!(!Password::from(" ").is_empty());
        assert_eq!(Password::from(String::from("ab")).len_bytes(), 2);
    }

    #[test]
    fn ct_eq_compares_exact_bytes() {
        assert!(Password::new("abc").ct_eq(&Password::new("abc")));
        assert!(!Password::new("abc").ct_eq(&Password::new("abd")));
        assert!(!Password::new("abc").ct_eq(&Password::new("abcd")));
    }
}
