//! Files that hold a seed (a QR code of an otpauth:// URI), created readable by their
//! owner only.
//!
//! On Unix the file is created with mode 0600 in the same `open` call, never widened
//! and narrowed afterwards, so no other user can open it between creation and a later
//! `chmod`. An existing regular file is overwritten as before, but only if nobody else
//! may read or write it (no group or other permission bits): a wider file is refused
//! rather than narrowed, because narrowing does not close a descriptor another user
//! already holds, and a file someone else prepared for us is exactly how a seed would
//! leak. The file is opened without truncation, checked, and only then emptied, so a
//! refused file is left as it was. Non-regular files (a pipe, `/dev/stdout`) are
//! written as given: the person chose where the bytes go.
//!
//! Elsewhere the file is created or truncated with the platform's defaults (on
//! Windows, the directory's inherited ACL).

use std::io::Write as _;
use std::path::Path;

use crate::Failure;

fn failure(path: &Path, e: &std::io::Error) -> Failure {
    Failure::Input(format!("could not write {}: {}", path.display(), e.kind()))
}

/// Writes `bytes` to `path`, creating it with mode 0600 on Unix.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut file = open(path)?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| failure(path, &e))
}

#[cfg(unix)]
fn open(path: &Path) -> Result<std::fs::File, Failure> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};

    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        // Not truncated here: a refused file must be left as it was (set_len below).
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| failure(path, &e))?;
    let meta = file.metadata().map_err(|e| failure(path, &e))?;
    if meta.is_file() {
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Failure::Input(format!(
                "{} already exists and other users may access it; it would hold a secret: \
                 remove it or make it private (chmod 600) first",
                path.display()
            )));
        }
        file.set_len(0).map_err(|e| failure(path, &e))?;
    }
    Ok(file)
}

#[cfg(not(unix))]
fn open(path: &Path) -> Result<std::fs::File, Failure> {
    std::fs::File::create(path).map_err(|e| failure(path, &e))
}
