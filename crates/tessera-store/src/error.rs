//! The one error every store returns.

/// Why a store refused or failed: the same three answers for accounts, devices and MFA
/// state.
///
/// Only [`Conflict`](Self::Conflict) asks for a retry, and the crates above retry it
/// themselves a bounded number of times; what reaches an application is their own
/// `Conflict` error (HTTP 409 or 503, "try again").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The stored version differs from the expected one: someone saved in between.
    /// Nothing was written; the caller reloads and retries.
    #[error("the stored version changed since it was loaded")]
    Conflict,
    /// A unique claim is already taken (an account's id or username, a credential that
    /// belongs to another user). Nothing was written.
    #[error("already taken")]
    Duplicate,
    /// The backend failed (connection, serialisation, timeout); the cause is the
    /// [`source`](std::error::Error::source), so a service can log the driver's own error.
    /// Build it with [`StoreError::backend`]. Nothing was written, or the store cannot
    /// tell (the caller treats it as not written and does not retry).
    #[error("store backend failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps a backend's error (anything that converts into a boxed error, a `String`
    /// or `&str` too).
    pub fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Backend(e.into())
    }

    /// Whether this is a [`Conflict`](Self::Conflict): reload and retry.
    #[must_use]
    pub const fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn backend_keeps_its_source() {
        let io = std::io::Error::other("disk on fire");
        let e = StoreError::backend(io);
        assert_eq!(e.to_string(), "store backend failed");
        assert_eq!(e.source().unwrap().to_string(), "disk on fire");
        assert!(!e.is_conflict());
        assert!(StoreError::Conflict.is_conflict());
        assert!(!StoreError::Duplicate.is_conflict());
        assert!(StoreError::Duplicate.source().is_none());
    }
}
