//! Registry configuration, validated in the shape of `argon2::Params`.

use std::time::Duration;

use tessera_otp::{Totp, TotpParams, Window};

use crate::Error;

/// How many codes activating a TOTP device takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActivationPolicy {
    /// Two consecutive codes, as AWS IAM asks: proves the device's clock and records
    /// its drift. The default.
    #[default]
    TwoConsecutiveCodes,
    /// One code within the window (the common web flow).
    OneCode,
}

impl ActivationPolicy {
    /// The number of codes the policy asks for.
    #[must_use]
    pub const fn codes(self) -> usize {
        match self {
            Self::TwoConsecutiveCodes => 2,
            Self::OneCode => 1,
        }
    }
}

/// How the registry behaves; [`RegistryConfig::DEFAULT`] is the secure choice.
///
/// ```
/// use std::time::Duration;
/// use tessera_registry::{ActivationPolicy, RegistryConfig};
/// let config = RegistryConfig::builder()
///     .max_devices(4)
///     .activation(ActivationPolicy::OneCode)
///     .pending_ttl(Duration::from_secs(300))
///     .build()?;
/// assert_eq!(config.max_devices(), 4);
/// assert!(RegistryConfig::builder().max_devices(9).build().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryConfig {
    max_devices: usize,
    pending_ttl: Duration,
    activation: ActivationPolicy,
    window: Window,
    resync_range: u32,
    max_attempts: u32,
    issuer: Option<String>,
    totp_params: TotpParams,
}

impl RegistryConfig {
    /// The most devices a user may have, pending ones included (AWS IAM's limit).
    pub const MAX_DEVICES: usize = 8;
    /// Fewest devices a configuration may allow.
    pub const MIN_DEVICES: usize = 1;
    /// How long an enrolment stays open by default: ten minutes.
    pub const DEFAULT_PENDING_TTL: Duration = Duration::from_secs(600);
    /// Shortest enrolment window allowed.
    pub const MIN_PENDING_TTL: Duration = Duration::from_secs(60);
    /// Longest enrolment window allowed.
    pub const MAX_PENDING_TTL: Duration = Duration::from_secs(24 * 3600);
    /// Attempts of one operation against concurrent changes by default.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
    /// Most attempts allowed.
    pub const MAX_ATTEMPTS: u32 = 100;
    /// The most characters in an issuer name.
    pub const MAX_ISSUER_LEN: usize = 128;

    /// Eight devices, ten-minute enrolments, two-code activation, window ±1, resync
    /// over ±10 steps, five attempts, default TOTP parameters, no issuer.
    pub const DEFAULT: Self = Self {
        max_devices: Self::MAX_DEVICES,
        pending_ttl: Self::DEFAULT_PENDING_TTL,
        activation: ActivationPolicy::TwoConsecutiveCodes,
        window: Window::DEFAULT,
        resync_range: Totp::DEFAULT_RESYNC_RANGE,
        max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
        issuer: None,
        totp_params: TotpParams::DEFAULT,
    };

    /// A builder starting from [`DEFAULT`](Self::DEFAULT).
    pub fn builder() -> RegistryConfigBuilder {
        RegistryConfigBuilder(Self::DEFAULT)
    }

    /// The most devices per user.
    #[must_use]
    pub const fn max_devices(&self) -> usize {
        self.max_devices
    }

    /// How long an enrolment may wait for activation.
    #[must_use]
    pub const fn pending_ttl(&self) -> Duration {
        self.pending_ttl
    }

    /// How many codes activation takes.
    #[must_use]
    pub const fn activation(&self) -> ActivationPolicy {
        self.activation
    }

    /// The verification window for sign-in and one-code activation.
    #[must_use]
    pub const fn window(&self) -> Window {
        self.window
    }

    /// Steps searched either way by resync.
    #[must_use]
    pub const fn resync_range(&self) -> u32 {
        self.resync_range
    }

    /// Attempts of one operation before [`Error::Conflict`].
    #[must_use]
    pub const fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The issuer shown by authenticator apps (in the otpauth:// URI).
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The TOTP parameters of new authenticator-app enrolments.
    #[must_use]
    pub const fn totp_params(&self) -> TotpParams {
        self.totp_params
    }
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Builds a [`RegistryConfig`]; [`build`](Self::build) validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct RegistryConfigBuilder(RegistryConfig);

impl RegistryConfigBuilder {
    /// Most devices per user: 1 to [`RegistryConfig::MAX_DEVICES`].
    pub fn max_devices(mut self, n: usize) -> Self {
        self.0.max_devices = n;
        self
    }

    /// How long an enrolment stays open (whole seconds), 1 minute to 24 hours.
    pub fn pending_ttl(mut self, ttl: Duration) -> Self {
        self.0.pending_ttl = ttl;
        self
    }

    /// The activation policy.
    pub fn activation(mut self, policy: ActivationPolicy) -> Self {
        self.0.activation = policy;
        self
    }

    /// The verification window.
    pub fn window(mut self, window: Window) -> Self {
        self.0.window = window;
        self
    }

    /// Steps searched either way by resync, at most [`Totp::MAX_RESYNC_RANGE`].
    pub fn resync_range(mut self, steps: u32) -> Self {
        self.0.resync_range = steps;
        self
    }

    /// Attempts against concurrent changes, 1 to [`RegistryConfig::MAX_ATTEMPTS`].
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.0.max_attempts = n;
        self
    }

    /// The issuer name authenticator apps show (at most 128 characters, no `:`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.0.issuer = Some(issuer.into());
        self
    }

    /// TOTP parameters for new authenticator-app enrolments (T0 must be 0: apps assume it).
    pub fn totp_params(mut self, params: TotpParams) -> Self {
        self.0.totp_params = params;
        self
    }

    /// Validates and returns the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the value out of bounds.
    pub fn build(self) -> Result<RegistryConfig, Error> {
        let c = self.0;
        if !(RegistryConfig::MIN_DEVICES..=RegistryConfig::MAX_DEVICES).contains(&c.max_devices) {
            return Err(Error::InvalidConfig("max_devices must be from 1 to 8"));
        }
        if !(RegistryConfig::MIN_PENDING_TTL..=RegistryConfig::MAX_PENDING_TTL)
            .contains(&c.pending_ttl)
        {
            return Err(Error::InvalidConfig(
                "pending_ttl must be from 1 minute to 24 hours",
            ));
        }
        if c.resync_range > Totp::MAX_RESYNC_RANGE {
            return Err(Error::InvalidConfig("resync_range must be at most 1000"));
        }
        if !(1..=RegistryConfig::MAX_ATTEMPTS).contains(&c.max_attempts) {
            return Err(Error::InvalidConfig("max_attempts must be from 1 to 100"));
        }
        if c.totp_params.t0() != 0 {
            return Err(Error::InvalidConfig(
                "totp_params must have t0 = 0: otpauth:// URIs cannot carry another",
            ));
        }
        if let Some(issuer) = &c.issuer {
            let len = issuer.chars().count();
            if len == 0
                || len > RegistryConfig::MAX_ISSUER_LEN
                || issuer.contains(':')
                || issuer.chars().any(char::is_control)
            {
                return Err(Error::InvalidConfig(
                    "issuer must be 1 to 128 characters without ':' or control characters",
                ));
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_enforced() {
        assert_eq!(
            RegistryConfig::builder().build().unwrap(),
            RegistryConfig::DEFAULT
        );
        assert!(RegistryConfig::builder().max_devices(0).build().is_err());
        assert!(RegistryConfig::builder().max_devices(8).build().is_ok());
        assert!(RegistryConfig::builder().max_devices(9).build().is_err());
        assert!(
            RegistryConfig::builder()
                .pending_ttl(Duration::from_secs(59))
                .build()
                .is_err()
        );
        assert!(
            RegistryConfig::builder()
                .resync_range(1001)
                .build()
                .is_err()
        );
        assert!(RegistryConfig::builder().max_attempts(0).build().is_err());
        assert!(RegistryConfig::builder().issuer("a:b").build().is_err());
        assert!(RegistryConfig::builder().issuer("").build().is_err());
        assert!(RegistryConfig::builder().issuer("Acme").build().is_ok());
        let t0 = TotpParams::builder().t0(5).build().unwrap();
        assert!(RegistryConfig::builder().totp_params(t0).build().is_err());
    }
}
