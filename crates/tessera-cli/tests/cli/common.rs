//! Running the built `tessera` command, shared by every module.

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt as _;

/// What one run of the command gave back.
pub(crate) struct Run {
    /// The exit code.
    pub(crate) status: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `tessera args…` with `stdin` as its standard input.
pub(crate) fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let mut cmd = Command::cargo_bin("tessera").unwrap();
    cmd.args(args);
    let out = assert_cmd::Command::from_std(cmd)
        .write_stdin(stdin)
        .output()
        .unwrap();
    Run {
        status: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs `tessera args…` with an empty standard input.
pub(crate) fn run(args: &[&str]) -> Run {
    run_with_stdin(args, b"")
}
