//! `tessera code`, `tessera verify` and `tessera secret`.

use tessera_otp::{
    Algorithm, Clock as _, Code, Hotp, Secret, SystemClock, TimeStep, Totp, TotpParams, UnixTime,
    VerifyOptions, Window,
};

use crate::Failure;
use crate::args::{CodeArgs, OtpArgs, SecretArgs, VerifyArgs};
use crate::output;

/// Reads a base32 secret from the argument, or from the first line of stdin for `-`
/// (which keeps it out of the process list and shell history).
pub(crate) fn read_secret(arg: &str) -> Result<Secret, Failure> {
    if arg != "-" {
        return Ok(Secret::from_base32(arg)?);
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|_| Failure::Input("could not read the secret from stdin".to_owned()))?;
    Ok(Secret::from_base32(line.trim())?)
}

pub(crate) fn algorithm(text: &str) -> Result<Algorithm, Failure> {
    Ok(text.parse::<Algorithm>()?)
}

fn totp_params(a: &OtpArgs) -> Result<TotpParams, Failure> {
    Ok(TotpParams::new(
        algorithm(&a.key.algorithm)?,
        a.key.digits,
        a.period,
        a.t0,
    )?)
}

fn instant(time: Option<u64>) -> UnixTime {
    time.map_or_else(|| SystemClock.now(), UnixTime::from_secs)
}

pub(crate) fn code(a: &CodeArgs) -> Result<(), Failure> {
    let params = totp_params(&a.otp)?;
    let secret = read_secret(&a.otp.key.secret)?;
    let code = match a.counter {
        Some(counter) => Hotp::new(&secret, params.hotp()).generate(counter),
        None => Totp::new(&secret, params).generate(instant(a.time))?,
    };
    output::line(code.expose());
    Ok(())
}

pub(crate) fn verify(a: &VerifyArgs) -> Result<(), Failure> {
    let params = totp_params(&a.otp)?;
    let window = Window::symmetric(a.window)?;
    let code = Code::parse(&a.code, params.digits())?;
    let secret = read_secret(&a.otp.key.secret)?;
    let options = VerifyOptions::new().window(window);
    let last_used = a.last_step.map(TimeStep::new);
    let step = Totp::new(&secret, params)
        .verify(&code, instant(a.time), last_used, options)
        .map_err(|_| Failure::Rejected)?;
    output::line(&step.get().to_string());
    Ok(())
}

pub(crate) fn secret(a: &SecretArgs) -> Result<(), Failure> {
    let secret = Secret::generate_len(a.bytes)?;
    output::line(&secret.to_base32());
    Ok(())
}
