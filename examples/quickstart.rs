//! Quickstart: issue a TOTP secret, show what an authenticator app needs, then compute
//! the current code and verify it the way a sign-in would, replay included.
//!
//! Run with `cargo run -p tessera-examples --example quickstart`.

use std::process::ExitCode;

use tessera_otp::{Clock, Code, Secret, SystemClock, Totp, TotpParams, VerifyOptions};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let secret = Secret::generate();
    let params = TotpParams::DEFAULT;
    println!("== A new authenticator secret");
    println!("secret    {}", secret.to_base32().as_str());
    println!("algorithm {}", params.algorithm());
    println!("digits    {}", params.digits());
    println!("period    {} s", params.period());
    println!("(Debug never shows it: {secret:?})");

    let totp = Totp::new(&secret, params);
    let now = SystemClock.now();
    let code = totp.generate(now)?;
    println!("\n== The code an authenticator app shows now");
    println!("code      {}", code.expose());

    // What the person types, with a space as many do.
    let typed = format!("{} {}", &code.expose()[..3], &code.expose()[3..]);
    let parsed = Code::parse(&typed, params.digits())?;
    let step = totp.verify(&parsed, now, None, VerifyOptions::new())?;
    println!("\n== Sign-in");
    println!(
        "verified  at time step {} (store it as the last used step)",
        step.get()
    );

    let replay = totp.verify(&parsed, now, Some(step), VerifyOptions::new());
    println!(
        "replayed  {}",
        if replay.is_err() {
            "refused"
        } else {
            "ACCEPTED"
        }
    );
    if replay.is_ok() {
        return Err("a replayed code was accepted".into());
    }
    Ok(())
}
