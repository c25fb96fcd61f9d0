//! Tessera's stores on SQL databases: accounts, MFA devices and MFA state on
//! **SQLite** (a file, the embedded default) and **PostgreSQL** (many instances on one
//! database), through [`sqlx`].
//!
//! TODO: crate docs (schema, example, features, PostgreSQL for developers).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("tessera-sqlx needs the `sqlite` or the `postgres` feature (or both)");

mod accounts;
mod devices;
mod document;
mod error;
mod mfa;
mod migrate;
mod pool;
mod stores;
mod table;

pub use accounts::SqlAccountStore;
pub use devices::SqlDeviceStore;
pub use document::DOCUMENT_FORMAT;
pub use error::{Error, Result};
pub use mfa::SqlMfaStore;
pub use migrate::{latest_migration, migrate};
pub use pool::SqlPool;
#[cfg(feature = "sqlite")]
pub use stores::sqlite_options;
pub use stores::{ACQUIRE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, SQLITE_BUSY_TIMEOUT, SqlStores};
