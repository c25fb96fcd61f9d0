//! tessera-sqlx's tests, one binary: the stores' conformance on SQLite and PostgreSQL,
//! SQL-level checks, migrations, races across OS processes, and PostgreSQL faults.
//!
//! PostgreSQL tests run when `TESSERA_TEST_POSTGRES_URL` is set (`.ci/run` and
//! `scripts/postgres.sh` start a server); otherwise they print a skip note, except
//! under `CI=true`, where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests unwrap: a panic is a failure.

mod common;
mod conformance;
mod documents;
mod faults;
mod migrations;
mod processes;
