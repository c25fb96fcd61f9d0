//! The vocabulary every Tessera store shares.
//!
//! Tessera keeps its state in three kinds of store, one trait each: accounts
//! (`tessera::AccountStore`), a user's MFA devices (`tessera_registry::DeviceStore`) and
//! MFA state (`tessera_mfa::MfaStore`). All three have one shape: **load a versioned
//! aggregate, change it in memory, save it only if the version is unchanged**
//! (compare-and-set). This crate holds the words of that shape, so that an
//! implementation of one store reads like an implementation of the others:
//!
//! - [`UserId`]: whose aggregate it is;
//! - [`Version`] and [`Versioned`]: a value with the version it was read at; every
//!   `load` returns one and every `save` takes it back, changed, so a write always
//!   carries the version it expects to find;
//! - [`StoreError`]: the one error every store returns — a [`Conflict`](StoreError::Conflict)
//!   (reload and retry), a [`Duplicate`](StoreError::Duplicate) (a unique claim is
//!   taken), or a [`Backend`](StoreError::Backend) failure that keeps its cause.
//!
//! The crate has no I/O and no dependencies beyond `thiserror` (and `serde` behind its
//! feature); the store crates re-export what they use, so most code never names it.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod error;
mod user;
mod version;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use error::StoreError;
pub use user::UserId;
pub use version::{Version, Versioned};

/// What a store method returns: `T`, or the [`StoreError`] every store shares (the
/// `std::io::Result` convention, so that a store's signatures read as its shape).
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
