//! What the small examples share: an error type, a checked expectation, and the exit
//! code. The examples themselves are `[[example]]` entries of this package; this library
//! also hosts the README's doctest.

use std::process::ExitCode;

/// Any error an example step may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Prints an expectation that held, or stops the example with it.
///
/// # Errors
/// When `held` is false: the expectation, as the reason the example failed.
pub fn check(held: bool, what: &str) -> Result<(), BoxError> {
    if held {
        println!("  ✓ {what}");
        Ok(())
    } else {
        Err(format!("expected: {what}").into())
    }
}

/// The process exit code of an example named `name`: success only if every step held.
pub fn finish(name: &str, outcome: Result<(), BoxError>) -> ExitCode {
    match outcome {
        Ok(()) => {
            println!("\nEvery expectation held.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name} failed: {e}");
            ExitCode::FAILURE
        }
    }
}

// The README's embedding example is compiled and run as a doctest, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_expectation_stops_the_example_with_its_text() {
        assert!(check(true, "held").is_ok());
        let failed = check(false, "the code verifies").unwrap_err();
        assert_eq!(failed.to_string(), "expected: the code verifies");
        assert_eq!(finish("x", Ok(())), ExitCode::SUCCESS);
        assert_eq!(finish("x", Err(failed)), ExitCode::FAILURE);
    }
}
