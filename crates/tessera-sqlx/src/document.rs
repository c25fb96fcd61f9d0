//! Stored documents: JSON text with a format number beside it, and versions as the
//! database's signed 64-bit integers.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera_store::{StoreError, Version, Versioned};

use crate::Error;

/// The document format this release writes and reads, kept in every row's `format`
/// column. A release that changes a document's shape bumps it and reads both; an
/// older release refuses a newer format ([`Error::UnsupportedFormat`]) rather than
/// misread it.
pub const DOCUMENT_FORMAT: i64 = 1;

/// A store error for a backend failure, keeping the crate's error (and through it the
/// driver's) as the source.
pub(crate) fn backend(e: impl Into<Error>) -> StoreError {
    StoreError::backend(e.into())
}

/// The version as the database keeps it.
pub(crate) fn to_db(v: Version) -> Result<i64, StoreError> {
    i64::try_from(v.get()).map_err(|_| backend(Error::VersionOutOfRange))
}

/// The version the database kept.
pub(crate) fn from_db(v: i64) -> Result<Version, StoreError> {
    u64::try_from(v)
        .map(Version::new)
        .map_err(|_| backend(Error::VersionOutOfRange))
}

/// The document's JSON text.
pub(crate) fn encode<T: Serialize + ?Sized>(
    table: &'static str,
    value: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| document_error(table, &e))
}

/// A decoding error without serde_json's message, which can quote the value it
/// refused (`invalid value: string "…"`): a document may hold password hashes.
fn document_error(table: &'static str, e: &serde_json::Error) -> StoreError {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "i/o error",
        serde_json::error::Category::Syntax => "not json",
        serde_json::error::Category::Data => "unexpected content",
        serde_json::error::Category::Eof => "truncated",
    };
    backend(Error::Document {
        table,
        source: format!("{kind} at line {} column {}", e.line(), e.column()).into(),
    })
}

/// A row read back: its version and its document, checked for its format.
pub(crate) fn decode<T: DeserializeOwned>(
    table: &'static str,
    (version, format, data): (i64, i64, String),
) -> Result<Versioned<T>, StoreError> {
    if format != DOCUMENT_FORMAT {
        return Err(backend(Error::UnsupportedFormat {
            table,
            format,
            known: DOCUMENT_FORMAT,
        }));
    }
    let value = serde_json::from_str(&data).map_err(|e| document_error(table, &e))?;
    Ok(Versioned::new(from_db(version)?, value))
}

/// A `limit` as the database's integer (a larger one lists everything anyway).
pub(crate) fn limit_to_db(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
