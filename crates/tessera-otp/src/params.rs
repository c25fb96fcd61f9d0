//! Validated HOTP and TOTP parameters, in the shape of `argon2::Params`.

use crate::{Algorithm, Error};

/// Fewest digits in a code (RFC 4226 §5.3 requires at least 6).
pub const MIN_DIGITS: u8 = 6;
/// Most digits in a code: a 31-bit truncated value has at most 10 decimal digits.
pub const MAX_DIGITS: u8 = 10;

fn check_digits(digits: u32) -> Result<u8, Error> {
    match u8::try_from(digits) {
        Ok(d) if (MIN_DIGITS..=MAX_DIGITS).contains(&d) => Ok(d),
        _ => Err(Error::InvalidDigits(digits)),
    }
}

/// HOTP parameters (RFC 4226): hash and number of digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HotpParams {
    algorithm: Algorithm,
    digits: u8,
}

impl HotpParams {
    /// SHA-1 and 6 digits: what every authenticator app reads.
    pub const DEFAULT: Self = Self {
        algorithm: Algorithm::Sha1,
        digits: 6,
    };

    /// Validated parameters.
    ///
    /// # Errors
    /// [`Error::InvalidDigits`] unless `digits` is from 6 to 10.
    pub fn new(algorithm: Algorithm, digits: u32) -> Result<Self, Error> {
        Ok(Self {
            algorithm,
            digits: check_digits(digits)?,
        })
    }

    /// The hash under HMAC.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Digits in a code.
    #[must_use]
    pub const fn digits(&self) -> u8 {
        self.digits
    }
}

impl Default for HotpParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// TOTP parameters (RFC 6238 §4): hash, digits, period `X` and start time `T0`.
///
/// ```
/// use tessera_otp::{Algorithm, TotpParams};
/// let params = TotpParams::builder().algorithm(Algorithm::Sha256).digits(8).build()?;
/// assert_eq!(params.period(), 30);
/// assert!(TotpParams::builder().period(0).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TotpParams {
    algorithm: Algorithm,
    digits: u8,
    period: u64,
    t0: u64,
}

impl TotpParams {
    /// Seconds in a time step unless told otherwise (RFC 6238 §5.2).
    pub const DEFAULT_PERIOD: u64 = 30;
    /// Shortest allowed period.
    pub const MIN_PERIOD: u64 = 1;

    /// SHA-1, 6 digits, 30 seconds, T0 = 0: the defaults authenticator apps assume.
    pub const DEFAULT: Self = Self {
        algorithm: Algorithm::Sha1,
        digits: 6,
        period: Self::DEFAULT_PERIOD,
        t0: 0,
    };

    /// Validated parameters.
    ///
    /// # Errors
    /// [`Error::InvalidDigits`] unless `digits` is from 6 to 10; [`Error::InvalidPeriod`]
    /// for a period of zero.
    pub fn new(algorithm: Algorithm, digits: u32, period: u64, t0: u64) -> Result<Self, Error> {
        if period < Self::MIN_PERIOD {
            return Err(Error::InvalidPeriod);
        }
        Ok(Self {
            algorithm,
            digits: check_digits(digits)?,
            period,
            t0,
        })
    }

    /// A builder that starts from [`TotpParams::DEFAULT`].
    #[must_use]
    pub fn builder() -> TotpParamsBuilder {
        TotpParamsBuilder::new()
    }

    /// The hash under HMAC.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Digits in a code.
    #[must_use]
    pub const fn digits(&self) -> u8 {
        self.digits
    }

    /// Seconds in one time step.
    #[must_use]
    pub const fn period(&self) -> u64 {
        self.period
    }

    /// Unix time at which step 0 begins.
    #[must_use]
    pub const fn t0(&self) -> u64 {
        self.t0
    }

    /// The HOTP parameters of the same hash and digits.
    #[must_use]
    pub const fn hotp(&self) -> HotpParams {
        HotpParams {
            algorithm: self.algorithm,
            digits: self.digits,
        }
    }
}

impl Default for TotpParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Builds [`TotpParams`]; [`build`](Self::build) validates.
///
/// The shape of `argon2::ParamsBuilder`, as every builder in Tessera: setters take and
/// return `&mut Self`, so a builder can be set up step by step (`if sha256 {
/// b.algorithm(..); }`) as well as in one chain on a temporary, and
/// [`build`](Self::build) borrows it, so one builder can build several parameter sets.
///
/// ```
/// use tessera_otp::{Algorithm, TotpParams, TotpParamsBuilder};
/// let mut b = TotpParamsBuilder::new();
/// b.digits(8);
/// let eight = b.build()?;
/// b.algorithm(Algorithm::Sha256);
/// assert_eq!(b.build()?.digits(), eight.digits());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpParamsBuilder {
    algorithm: Algorithm,
    digits: u32,
    period: u64,
    t0: u64,
}

impl Default for TotpParamsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TotpParamsBuilder {
    /// Starts from [`TotpParams::DEFAULT`].
    #[must_use]
    pub fn new() -> Self {
        Self::from(TotpParams::DEFAULT)
    }

    /// Sets the hash.
    pub fn algorithm(&mut self, algorithm: Algorithm) -> &mut Self {
        self.algorithm = algorithm;
        self
    }

    /// Sets the number of digits ([`MIN_DIGITS`] to [`MAX_DIGITS`]).
    pub fn digits(&mut self, digits: u32) -> &mut Self {
        self.digits = digits;
        self
    }

    /// Sets the period in seconds (at least [`TotpParams::MIN_PERIOD`]).
    pub fn period(&mut self, period: u64) -> &mut Self {
        self.period = period;
        self
    }

    /// Sets T0, the Unix time at which step 0 begins.
    pub fn t0(&mut self, t0: u64) -> &mut Self {
        self.t0 = t0;
        self
    }

    /// Validates and returns the parameters; the builder stays usable.
    ///
    /// # Errors
    /// As [`TotpParams::new`].
    pub fn build(&self) -> Result<TotpParams, Error> {
        TotpParams::new(self.algorithm, self.digits, self.period, self.t0)
    }
}

impl From<TotpParams> for TotpParamsBuilder {
    /// A builder holding `params`, to change one setting of a known-good set.
    fn from(params: TotpParams) -> Self {
        Self {
            algorithm: params.algorithm,
            digits: u32::from(params.digits),
            period: params.period,
            t0: params.t0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_enforced() {
        for d in [0, 5, 11, 256, u32::MAX] {
            assert_eq!(
                TotpParams::new(Algorithm::Sha1, d, 30, 0),
                Err(Error::InvalidDigits(d))
            );
            assert!(HotpParams::new(Algorithm::Sha1, d).is_err());
        }
        for d in 6..=10 {
            assert_eq!(
                TotpParams::new(Algorithm::Sha512, d, 1, 7)
                    .unwrap()
                    .digits(),
                u8::try_from(d).unwrap()
            );
        }
        assert_eq!(
            TotpParams::new(Algorithm::Sha1, 6, 0, 0),
            Err(Error::InvalidPeriod)
        );
        assert_eq!(
            TotpParams::default(),
            TotpParams::builder().build().unwrap()
        );
    }

    /// Issue 13: the builder has argon2's shape: `&mut self` setters, a borrowing
    /// `build`, usable step by step and again after a build.
    #[test]
    fn builder_has_the_argon2_shape() {
        let mut b = TotpParamsBuilder::new();
        b.digits(8);
        if b.build().is_ok() {
            b.period(60).algorithm(Algorithm::Sha256);
        }
        let p = b.build().unwrap();
        assert_eq!(
            (p.digits(), p.period(), p.algorithm()),
            (8, 60, Algorithm::Sha256)
        );
        // An invalid setting fails `build`, and fixing it makes the same builder good again.
        b.period(0);
        assert_eq!(b.build(), Err(Error::InvalidPeriod));
        b.period(1).t0(9);
        assert_eq!(b.build().unwrap().t0(), 9);
        // A known-good set round-trips through its builder.
        assert_eq!(TotpParamsBuilder::from(p).build(), Ok(p));
        assert_eq!(TotpParamsBuilder::default(), TotpParams::builder());
    }
}
