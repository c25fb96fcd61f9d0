//! Writing results and messages without panicking on a closed pipe.

use std::io::Write as _;

/// Writes one line of result to stdout. A closed pipe (`tessera … | head -0`) is not an
/// error worth a panic: the output is simply dropped.
pub(crate) fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Writes text to stdout as it is (it carries its own line ends).
pub(crate) fn raw(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// A one-line error on stderr. Newlines in the message are flattened so that scripts
/// can rely on exactly one line.
pub(crate) fn error(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "tessera: error: {}",
        message.replace(['\n', '\r'], " ")
    );
}

/// A warning on stderr; the result on stdout is still valid.
pub(crate) fn warn(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "tessera: warning: {message}");
}
