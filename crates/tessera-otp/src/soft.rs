//! A software authenticator app, for tests, examples and demonstrations.

use crate::{Code, Error, KeyUri, TimeStep, Totp, UnixTime};

/// An authenticator app in software: it scans an `otpauth://totp/` Key URI (as a phone
/// scans the QR code) and shows codes, optionally with its clock `skew` seconds ahead of
/// or behind the server's.
///
/// For tests, examples and demonstrations of enrolment, sign-in, replay and resync; a real
/// person's app holds its own copy of the seed and is the whole point of the second
/// factor.
///
/// ```
/// use tessera_otp::{SoftAuthenticator, UnixTime};
/// // RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890", 8 digits, T = 59 s.
/// let uri = "otpauth://totp/Example:ana?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=Example";
/// let app = SoftAuthenticator::scan(uri)?;
/// let now = UnixTime::from_secs(59);
/// assert_eq!(app.code(now)?.expose(), "94287082");
/// let [_previous, current] = app.two_codes(UnixTime::from_secs(89))?; // two-code activation
/// assert_eq!(current.expose(), app.code(UnixTime::from_secs(89))?.expose());
/// // An app whose clock runs 30 s slow shows the previous step's code.
/// let slow = app.clone().with_skew(-30);
/// assert_eq!(slow.code(UnixTime::from_secs(89))?.expose(), "94287082");
/// # Ok::<(), tessera_otp::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SoftAuthenticator {
    totp: Totp,
    skew: i64,
}

impl SoftAuthenticator {
    /// Scans a TOTP Key URI.
    ///
    /// # Errors
    /// What [`KeyUri::parse`] refuses; [`Error::InvalidParameter`] for an HOTP key.
    pub fn scan(uri: &str) -> Result<Self, Error> {
        let key = KeyUri::parse(uri)?;
        let params = key.totp_params().ok_or(Error::InvalidParameter(
            "type: a soft authenticator answers TOTP keys",
        ))?;
        Ok(Self {
            totp: Totp::new(key.secret(), params),
            skew: 0,
        })
    }

    /// The same app with its clock `seconds` ahead (negative: behind) of the server's.
    #[must_use]
    pub fn with_skew(mut self, seconds: i64) -> Self {
        self.skew = seconds;
        self
    }

    /// The time step the app's clock is in when the server's reads `now`.
    ///
    /// # Errors
    /// When the skewed instant is before T0.
    pub fn step(&self, now: UnixTime) -> Result<TimeStep, Error> {
        let at = now.as_secs().saturating_add_signed(self.skew);
        self.totp.time_step(UnixTime::from_secs(at))
    }

    /// The code on the app's screen when the server's clock reads `now`.
    ///
    /// # Errors
    /// When the skewed instant is before T0.
    pub fn code(&self, now: UnixTime) -> Result<Code, Error> {
        Ok(self.totp.generate_at_step(self.step(now)?))
    }

    /// The previous code and the current one, as two-code activation and resync ask.
    ///
    /// # Errors
    /// When the skewed instant is in the first step after T0 or before it.
    pub fn two_codes(&self, now: UnixTime) -> Result<[Code; 2], Error> {
        let step = self.step(now)?.get();
        let previous = step.checked_sub(1).ok_or(Error::CounterOverflow)?;
        Ok([
            self.totp.generate_at_step(TimeStep::new(previous)),
            self.totp.generate_at_step(TimeStep::new(step)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "otpauth://totp/Example:ana?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=Example";

    /// RFC 6238 Appendix B (SHA-1): T = 59 and T = 1111111109.
    #[test]
    fn codes_follow_the_rfc_vectors_and_the_skew() {
        let app = SoftAuthenticator::scan(URI).unwrap();
        assert_eq!(
            app.code(UnixTime::from_secs(59)).unwrap().expose(),
            "94287082"
        );
        let t = UnixTime::from_secs(1_111_111_109);
        assert_eq!(app.code(t).unwrap().expose(), "07081804");
        let [previous, current] = app.two_codes(UnixTime::from_secs(89)).unwrap();
        assert_eq!(previous.expose(), "94287082");
        assert_eq!(
            current.expose(),
            app.code(UnixTime::from_secs(89)).unwrap().expose()
        );
        let ahead = app.clone().with_skew(30);
        assert_eq!(
            ahead.code(UnixTime::from_secs(29)).unwrap().expose(),
            "94287082"
        );
        assert_eq!(ahead.step(UnixTime::from_secs(29)).unwrap().get(), 1);
    }

    #[test]
    fn refuses_hotp_keys_and_steps_before_the_first() {
        assert!(
            SoftAuthenticator::scan("otpauth://hotp/E:a?secret=JBSWY3DPEHPK3PXP&counter=0")
                .is_err()
        );
        let app = SoftAuthenticator::scan(URI).unwrap();
        assert!(app.two_codes(UnixTime::from_secs(10)).is_err());
        assert!(app.two_codes(UnixTime::from_secs(30)).is_ok());
    }
}
