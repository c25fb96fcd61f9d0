//! A refused sign-in code, with what the registry saw of it for logs and notifications.

use std::fmt;

use crate::{DeviceId, DeviceKind, Error};

/// A refused code that an active device had produced for a time step already used:
/// someone replayed a code (an observed, phished or shoulder-surfed one), or sent it
/// twice.
///
/// For logs and the account holder's security notification only; never show it to
/// the person signing in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CodeReuse {
    /// The device whose used step the code matched (the first such device in order
    /// of enrolment).
    pub device_id: DeviceId,
    /// Its kind.
    pub kind: DeviceKind,
}

/// Why [`DeviceRegistry::verify_unthrottled_reporting_reuse`](crate::DeviceRegistry::verify_unthrottled_reporting_reuse)
/// failed: the registry's error and, beside it, whether the code was a replay.
///
/// It displays exactly as its [`error`](Self::error), and turns into it with
/// [`into_error`](Self::into_error) or `From`: every failure of the code is the one
/// opaque [`Error::Rejected`], whether the code was wrong, malformed, from another
/// user or reused, so the answer to the person signing in is the same. Only
/// [`reuse`](Self::reuse) tells a replay apart; it is meant for logs and
/// notifications to the account holder.
#[derive(Debug)]
pub struct Rejection {
    error: Error,
    reuse: Option<CodeReuse>,
}

impl Rejection {
    /// A refused code, reused or not.
    pub(crate) const fn rejected(reuse: Option<CodeReuse>) -> Self {
        Self {
            error: Error::Rejected,
            reuse,
        }
    }

    /// The error, as [`DeviceRegistry::verify_unthrottled`](crate::DeviceRegistry::verify_unthrottled) returns
    /// it: [`Error::Rejected`] for every failure of the code, or a store error.
    #[must_use]
    pub const fn error(&self) -> &Error {
        &self.error
    }

    /// The error, dropping what was seen of the code.
    #[must_use]
    pub fn into_error(self) -> Error {
        self.error
    }

    /// True when the code was refused ([`Error::Rejected`]), as opposed to a store
    /// failure or a conflict that left it unchecked.
    #[must_use]
    pub const fn is_rejected(&self) -> bool {
        matches!(self.error, Error::Rejected)
    }

    /// When the code was refused because an active device had produced it for a
    /// step already used, which device: for logs and notifications only.
    #[must_use]
    pub const fn reuse(&self) -> Option<CodeReuse> {
        self.reuse
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Rejection {
    // Transparent: the same chain as the error itself.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl From<Error> for Rejection {
    fn from(error: Error) -> Self {
        Self { error, reuse: None }
    }
}

impl From<Rejection> for Error {
    fn from(rejection: Rejection) -> Self {
        rejection.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreError;

    /// A rejection is transparent: its text and its chain of causes are its error's.
    #[test]
    fn a_rejection_shows_its_errors_text_and_causes() {
        let store = Rejection::from(Error::Store(StoreError::backend("disk full")));
        assert_eq!(
            store.to_string(),
            Error::Store(StoreError::backend("disk full")).to_string()
        );
        let cause = std::error::Error::source(&store).expect("the store error's cause");
        let plain = Error::Store(StoreError::backend("disk full"));
        let expected = std::error::Error::source(&plain).expect("a store error has a cause");
        assert_eq!(cause.to_string(), expected.to_string());
        assert!(!store.is_rejected());
        let rejected = Rejection::rejected(None);
        assert!(rejected.is_rejected());
        assert!(std::error::Error::source(&rejected).is_none());
    }
}
