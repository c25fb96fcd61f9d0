//! The `tessera-web` command (`src/main.rs`): its exit codes and messages for bad
//! arguments and an unusable database, and a server that answers once started.

#![allow(clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn tessera_web(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera-web"))
        .args(args)
        .env_remove("PORT")
        .output()
        .expect("tessera-web runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Usage errors exit with 2 and say what was wrong.
#[test]
fn bad_arguments_exit_2() {
    let (code, stderr) = tessera_web(&["--help"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("usage: tessera-web [--port N]"),
        "{stderr}"
    );
    let (code, stderr) = tessera_web(&["--frobnicate"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(r#"unknown argument "--frobnicate""#),
        "{stderr}"
    );
    let (code, stderr) = tessera_web(&["--port", "eighty"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains(r#"not a port: "eighty""#), "{stderr}");
    let (code, stderr) = tessera_web(&["--database"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--database needs a URL"), "{stderr}");
}

/// A database the command cannot use exits with 1 and says why: a URL that is not
/// PostgreSQL's is refused as such, and a PostgreSQL URL is tried (here, one that
/// cannot be parsed fails at once).
#[test]
fn an_unusable_database_exits_1() {
    let (code, stderr) = tessera_web(&["--database", "mysql://db.example/app"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr.trim_end(),
        r#"tessera-web: expected a postgres:// URL, got "mysql://db.example/app""#
    );
    let (code, stderr) = tessera_web(&["--database", "postgres://u@h:notaport/db"]);
    assert_eq!(code, Some(1));
    assert!(stderr.starts_with("tessera-web: "), "{stderr}");
    assert!(!stderr.contains("expected a postgres"), "{stderr}");
}

/// Started on a fresh SQLite file and any free port, it prints its address and
/// answers there: `/` sends a visitor to the sign-in page.
#[test]
fn it_serves_where_it_says() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera-web"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tessera-web starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a line");
    let origin = line
        .trim()
        .strip_prefix("listening on http://localhost:")
        .map(str::to_owned);
    let answer = origin.as_deref().map(|port| {
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().expect("a port")))
                .expect("connects");
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .expect("request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        answer
    });
    let _ = child.kill();
    let _ = child.wait();
    let answer = answer.unwrap_or_else(|| panic!("no address printed: {line:?}"));
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert!(answer.contains("\r\nlocation: /sign-in\r\n"), "{answer}");
}
