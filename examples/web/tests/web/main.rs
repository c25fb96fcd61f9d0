//! The Credentials web application's tests, in one binary (one link per build, which
//! keeps `cargo mutants -p tessera-web-example` quick): nearly all in-process through
//! `tower::ServiceExt::oneshot`, each page and form's answer, refusal and 503; the
//! `tessera-web` command as a process. The browser scenarios (`browser/`, in Chromium)
//! are run by `scripts/browser-tests.sh`.

mod app;
mod command;
mod common;
mod credentials;
mod federated;
mod misc;
mod pages;
mod reset;
mod scripts;
mod security_key;
mod sign_in;
