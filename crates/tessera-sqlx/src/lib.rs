//! Tessera's stores on SQL databases: accounts, MFA devices and MFA state on
//! **SQLite** (a file, the embedded default: nothing to install) and **PostgreSQL**
//! (many instances on one database), through [`sqlx`].
//!
//! Every store trait of Tessera has one shape: load a versioned aggregate, change it in
//! memory, save it only if the version is unchanged. Here each aggregate is one row,
//! each save one statement, and the database's atomicity of that statement is the
//! compare-and-set that makes "a code is accepted once" and "never more than eight
//! devices" hold across threads, processes and machines:
//!
//! ```sql
//! -- save at version N > 0: Conflict unless exactly one row changed
//! UPDATE tessera_devices SET version = version + 1, format = $2, data = $3
//!  WHERE user_id = $1 AND version = $4;
//! -- save at version 0: Conflict when the row exists (the primary key)
//! INSERT INTO tessera_devices (user_id, version, format, data)
//! VALUES ($1, 1, $2, $3) ON CONFLICT DO NOTHING;
//! ```
//!
//! No transaction spans two statements, so no isolation level matters: under
//! PostgreSQL's READ COMMITTED a second `UPDATE … WHERE version = N` waits for the
//! first, re-reads the row, finds version N + 1 and changes nothing.
//!
//! What the crate's tests prove, on SQLite and PostgreSQL alike (`tests/sql/`):
//! - the three stores pass the workspace's conformance suites
//!   (`tessera_registry::testing::run_conformance`, `tessera_mfa::testing::run_conformance`,
//!   `tessera::testing::run_account_store_conformance`);
//! - across 8 OS processes, each with its own pool and 8 tasks, on one database: one
//!   valid TOTP code, one email code and one recovery code are each accepted exactly
//!   once, in every one of 20 rounds; 16 concurrent enrolments for one user store
//!   exactly 8; a burst of 256 attempts admits only the throttle's 5 free ones, and the
//!   lockout then holds in every process;
//! - the same TOTP race over a store without compare-and-set (last writer wins)
//!   accepts one code up to 64 times: the races are real, the guarantee is the
//!   compare-and-set's;
//! - PostgreSQL faults lose nothing (see [PostgreSQL](#postgresql)).
//!
//! `cargo bench -p tessera-sqlx --all-features --bench verify` compares registry
//! verification, and a whole TOTP second-factor step (throttle reservation,
//! verification, completion), with raw sqlx issuing the same statements, at 1, 8 and 32
//! clients (PostgreSQL too with `TESSERA_TEST_POSTGRES_URL`).
//!
//! # A service, wired
//!
//! ```
//! use std::sync::Arc;
//! use tessera::{Accounts, InMemoryDelivery, Keyring, Password, RecordingNotifier, SignIn,
//!     SystemClock};
//! use tessera::registry::RegistryConfig;
//! use tessera_sqlx::SqlStores;
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! # let dir = std::env::temp_dir().join(format!("tessera-sqlx-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("tessera.db");
//!
//! // Opens (creates) the file in WAL mode and runs the migrations. For PostgreSQL:
//! // SqlStores::connect("postgres://user@host/db"); for either, from configuration:
//! // SqlStores::connect(&database_url).
//! let stores = SqlStores::open_sqlite(&path).await?;
//! // In a service: Keyring::from_env, the same keys on every instance.
//! let keyring = Arc::new(Keyring::ephemeral()?);
//! let accounts = Accounts::builder(keyring, RegistryConfig::builder("Example Inc").build()?)
//!     .notifier(RecordingNotifier::new())
//!     .delivery(InMemoryDelivery::new())
//!     .build(stores.accounts.clone(), stores.devices.clone(), stores.mfa.clone(), SystemClock)?;
//!
//! let password = Password::new("correct horse battery staple");
//! accounts.create_account("ana", "ana@example.com", &password).await?;
//! assert!(matches!(accounts.sign_in("ana", &password, None).await?, SignIn::Complete(_)));
//! # stores.pool().close().await;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With a pool of the application's own (its settings, its sqlx migrations beside
//! ours): [`migrate`]`(&pool)` once at start-up, then [`SqlDeviceStore::new`]`(&pool)`,
//! [`SqlMfaStore::new`], [`SqlAccountStore::new`], or [`SqlStores::new`]`(&pool)` for
//! all three. For SQLite, build it from [`sqlite_options`].
//!
//! # Schema
//!
//! Created by [`migrate`] (the SQL is embedded: `migrations/sqlite/`,
//! `migrations/postgres/`). Every table is prefixed `tessera_`.
//!
//! | table | key | other columns | holds |
//! | --- | --- | --- | --- |
//! | `tessera_devices` | `user_id` | `version`, `format`, `data` | a user's MFA devices, as a JSON array; TOTP seeds only sealed (`tsk1.…`, AES-256-GCM under the application's keyring) |
//! | `tessera_mfa_accounts` | `user_id` | `version`, `format`, `data` | an account's MFA state: settings, phone, throttle and lockout, pending challenges, recovery codes and remembered devices (codes and tokens only as keyed hashes) |
//! | `tessera_mfa_destinations` | `destination` (`email:…`, `sms:…`) | `version`, `format`, `data` | send counters per email address or phone number |
//! | `tessera_accounts` | `id`, `username` (unique) | `version`, `format`, `data` | the account: email, password hash and history (protect as password hashes), identity provider, times, security stamp |
//! | `tessera_device_fingerprints` | `fingerprint` (64 hex digits) | `user_id`, `created_at` (Unix seconds) | which user holds each hardware token serial and TOTP seed, as a keyed HMAC-SHA-256 fingerprint (never the seed): one device, one user (migration 2) |
//! | `tessera_migrations` | `version` | `description`, `checksum` (SHA-256 of the SQL), `applied_at` (Unix seconds) | which migrations ran |
//!
//! - `version` is a `BIGINT` greater than 0: the aggregate's [`Version`](tessera_store::Version).
//!   No row means version 0.
//! - `format` is the document's format ([`DOCUMENT_FORMAT`], now 1). A later release
//!   that changes a document's shape writes a new number and still reads the old ones;
//!   this release refuses a number it does not know ([`Error::UnsupportedFormat`])
//!   rather than misread it.
//! - `data` is JSON text (`TEXT`, readable with `sqlite3` or `psql`), written by each
//!   crate's `serde` feature: the same documents the in-memory stores keep.
//! - Keys sort by their bytes, the order `list_users`/`list_accounts` promise: SQLite's
//!   `BINARY` collation, and `COLLATE "C"` on PostgreSQL's key columns whatever the
//!   database's locale. PostgreSQL cannot store a NUL character in text: an id holding
//!   one fails as a backend error there.
//!
//! # Migrations
//!
//! [`migrate`] runs, in one transaction, every embedded migration not yet recorded in
//! `tessera_migrations` — not sqlx's `_sqlx_migrations`, which the application's own
//! sqlx migrations use (sqlx 0.8's migrator cannot be given another table). Instances
//! starting together are serialised (an advisory lock on PostgreSQL, `BEGIN IMMEDIATE`
//! on SQLite). It refuses a database migrated by a newer release
//! ([`Error::SchemaTooNew`]) or by an edited migration ([`Error::MigrationChanged`]).
//!
//! # SQLite
//!
//! A file, opened with [`sqlite_options`]: WAL journal (readers never wait for the
//! writer), `synchronous = FULL` (a save that returned `Ok` survives a power cut: a
//! spent code's time step must not come back), a busy timeout of
//! [`SQLITE_BUSY_TIMEOUT`] so that writers from several processes queue rather than
//! fail. Several processes on one file give the same exactly-once results as one
//! (tested with 8). Not supported, and refused with [`Error::SqliteNotAFile`]: an
//! in-memory or temporary database, where each pooled connection would see a database
//! of its own. Network file systems break SQLite's locking: use PostgreSQL there.
//!
//! # PostgreSQL
//!
//! Any isolation level: at REPEATABLE READ or SERIALIZABLE a save that loses to a
//! concurrent one fails with a serialization error (SQLSTATE 40001) instead of changing
//! no row; it is returned as a `Conflict`, and retried, like a changed version (tested
//! at both levels). Reads and writes must go to the primary, not a replica. No TLS
//! in this build: connect over a private network or a Unix socket. Pools opened by
//! [`SqlStores::connect`] wait at most [`ACQUIRE_TIMEOUT`] for a connection; while the
//! server is away (a restart), operations fail with a backend error naming the cause
//! (`pool timed out while waiting for an open connection`), nothing written, and the
//! same pool reconnects once it is back (tested: a backend killed inside a
//! transaction, and the server down for 4 s under a writer).
//!
//! A throwaway server for the tests, in one command (Debian's `postgresql` package;
//! as root it is installed when missing):
//!
//! ```sh
//! eval "$(scripts/postgres.sh start)"   # exports TESSERA_TEST_POSTGRES_URL
//! cargo test -p tessera-sqlx --all-features
//! scripts/postgres.sh stop
//! ```
//!
//! Without `TESSERA_TEST_POSTGRES_URL` the PostgreSQL half of each test prints a skip
//! note and passes; under `CI=true` it fails. `.ci/run` starts the server.
//!
//! # Errors
//!
//! The stores return [`tessera_store::StoreError`]: `Conflict` (version changed),
//! `Duplicate` (an account id or username taken), or `Backend` whose source is an
//! [`Error`] whose source is sqlx's. Decoding errors name the table and position but
//! never quote the document.
//!
//! # Crate features
//!
//! - `sqlite` (default): SQLite, bundled (`libsqlite3-sys` 0.30, the same one
//!   `tower-sessions-sqlx-store` 0.15 links: sqlx 0.8 rather than 0.9 for that).
//! - `postgres`: PostgreSQL.
//!
//! At least one is needed.
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
