//! Who performs an action on an account.

use std::fmt;

/// Who made a change, as security events and the removal policy see it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Actor {
    /// The account holder, acting on their own account (self-service).
    AccountHolder,
    /// An administrator, named by the application's identifier for them.
    Administrator {
        /// The administrator's identifier (user id, email, employee number).
        id: String,
    },
    /// The service itself, e.g. a fallback after a device was removed, or a lockout.
    System,
}

impl Actor {
    /// An administrator named `id`.
    #[must_use]
    pub fn administrator(id: impl Into<String>) -> Self {
        Self::Administrator { id: id.into() }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AccountHolder => f.write_str("the account holder"),
            Self::Administrator { id } => write!(f, "administrator {id}"),
            Self::System => f.write_str("the system"),
        }
    }
}
