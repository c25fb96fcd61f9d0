//! Registry configuration, validated in the shape of `argon2::Params`.

use std::time::Duration;

use tessera_otp::{Totp, TotpParams, Window};

use crate::Error;

/// How many codes activating a TOTP device takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
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

/// How the registry behaves: the issuer, which is required, and bounded settings whose
/// defaults are the secure choice.
///
/// # The issuer is required
///
/// The issuer is the name an authenticator app shows above the account and its codes
/// ("Acme: ana@example.com"). It is the one setting without a default
/// ([`RegistryConfig::new`] and [`RegistryConfig::builder`] take it, deserialization
/// refuses a file without it): a default name would label every service's entries
/// alike (until issue 13 the facade filled in "Tessera"), so that a person with two
/// such services could not tell their codes apart, and a phishing page could pass for
/// any of them. A security-key-only registry still names itself: the same name is
/// what the application shows in its WebAuthn ceremony.
///
/// # Bounds
///
/// Every value is bounded, and [`RegistryConfigBuilder::build`] refuses anything
/// outside the bounds (so does deserialization, feature `serde`, which goes through the
/// builder):
///
/// | setting | default | bounds |
/// | --- | --- | --- |
/// | `max_devices` | 8 | 1 ..= 8 (AWS IAM's limit) |
/// | `pending_ttl` | 10 min | 1 min ..= 24 h |
/// | `activation` | two consecutive codes | either policy |
/// | `window` | ±1 step | at most 3 steps either way (RFC 6238 §5.2 recommends 1) |
/// | `resync_range` | 10 steps | 1 ..= 100 steps |
/// | `max_attempts` | 5 | 1 ..= 100 |
/// | `issuer` | required | 1 ..= 128 characters, no `:` nor control characters |
/// | `totp_params` | SHA-1, 6 digits, 30 s | T0 = 0, period 15 ..= 120 s (RFC 6238 §5.2 recommends 30 s), 6 ..= 10 digits |
///
/// ```
/// use std::time::Duration;
/// use tessera_registry::{ActivationPolicy, RegistryConfig};
/// let config = RegistryConfig::builder("Acme")
///     .max_devices(4)
///     .activation(ActivationPolicy::OneCode)
///     .pending_ttl(Duration::from_secs(300))
///     .build()?;
/// assert_eq!((config.issuer(), config.max_devices()), ("Acme", 4));
/// assert!(RegistryConfig::builder("Acme").max_devices(9).build().is_err());
/// assert!(RegistryConfig::new("").is_err());
///
/// // A builder kept in a variable is changed in place (the argon2 shape).
/// let mut builder = RegistryConfig::builder("Acme");
/// builder.max_devices(2);
/// assert_eq!(builder.build()?.max_devices(), 2);
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
    issuer: String,
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
    /// Shortest TOTP period, in seconds, for new enrolments and hardware tokens.
    ///
    /// RFC 6238 §5.2 recommends 30 s as the balance between security and usability;
    /// periods below 15 s leave a person too little time to type a code, and every
    /// halving of the period doubles the steps a window spans per second.
    pub const MIN_PERIOD: u64 = 15;
    /// Longest TOTP period, in seconds: with ±1 step at 120 s a code is good for up to
    /// six minutes, already twelve times RFC 6238's recommended 30 s; longer periods
    /// let an observed code be replayed on another server for too long.
    pub const MAX_PERIOD: u64 = 120;
    /// The most time steps the verification window may accept on either side.
    ///
    /// RFC 6238 §5.2: "We RECOMMEND that at most one time step is allowed as the
    /// network delay", which is the default (±1). Up to ±3 tolerates slow typists and
    /// skewed clocks; anything wider multiplies the chance of a guessed code
    /// (2·n + 1 codes accepted at once) and is what resync is for.
    pub const MAX_WINDOW_STEPS: u32 = 3;
    /// Fewest steps resync (and two-code activation) may search either way: the second
    /// code is always one step ahead of now, so zero would refuse every real pair.
    pub const MIN_RESYNC_RANGE: u32 = 1;
    /// Most steps resync (and two-code activation) may search either way: 100 steps is
    /// 50 minutes at 30 s, beyond a hardware token's yearly drift (a few minutes), and
    /// bounds the work one request costs (two HMACs per step searched).
    pub const MAX_RESYNC_RANGE: u32 = 100;

    /// Eight devices, ten-minute enrolments, two-code activation, window ±1, resync
    /// over ±10 steps, five attempts, default TOTP parameters; the issuer empty, so
    /// that nothing built from it passes [`RegistryConfigBuilder::build`] without one.
    pub(crate) const DEFAULTS: Self = Self {
        max_devices: Self::MAX_DEVICES,
        pending_ttl: Self::DEFAULT_PENDING_TTL,
        activation: ActivationPolicy::TwoConsecutiveCodes,
        window: Window::DEFAULT,
        resync_range: Totp::DEFAULT_RESYNC_RANGE,
        max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
        issuer: String::new(),
        totp_params: TotpParams::DEFAULT,
    };

    /// The secure defaults (see the table above) under `issuer`, the name authenticator
    /// apps show for the service.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the issuer is empty, longer than
    /// [`MAX_ISSUER_LEN`](Self::MAX_ISSUER_LEN) characters, or holds a `:` or a
    /// control character.
    pub fn new(issuer: impl Into<String>) -> Result<Self, Error> {
        Self::builder(issuer).build()
    }

    /// A builder for the service named `issuer`, starting from the secure defaults.
    pub fn builder(issuer: impl Into<String>) -> RegistryConfigBuilder {
        RegistryConfigBuilder(Self {
            issuer: issuer.into(),
            ..Self::DEFAULTS
        })
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
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The TOTP parameters of new authenticator-app enrolments.
    #[must_use]
    pub const fn totp_params(&self) -> TotpParams {
        self.totp_params
    }
}

/// Builds a [`RegistryConfig`] from [`RegistryConfig::builder`]; [`build`](Self::build)
/// validates. Setters change the builder in place, as `argon2::ParamsBuilder`'s do, so
/// that a builder can be chained or kept in a variable and set conditionally.
#[derive(Clone, Debug)]
#[must_use]
pub struct RegistryConfigBuilder(RegistryConfig);

impl RegistryConfigBuilder {
    /// Most devices per user: 1 to [`RegistryConfig::MAX_DEVICES`].
    pub fn max_devices(&mut self, n: usize) -> &mut Self {
        self.0.max_devices = n;
        self
    }

    /// How long an enrolment stays open (whole seconds), 1 minute to 24 hours.
    pub fn pending_ttl(&mut self, ttl: Duration) -> &mut Self {
        self.0.pending_ttl = ttl;
        self
    }

    /// The activation policy.
    pub fn activation(&mut self, policy: ActivationPolicy) -> &mut Self {
        self.0.activation = policy;
        self
    }

    /// The verification window: at most [`RegistryConfig::MAX_WINDOW_STEPS`] either way.
    pub fn window(&mut self, window: Window) -> &mut Self {
        self.0.window = window;
        self
    }

    /// Steps searched either way by resync, from [`RegistryConfig::MIN_RESYNC_RANGE`]
    /// to [`RegistryConfig::MAX_RESYNC_RANGE`].
    pub fn resync_range(&mut self, steps: u32) -> &mut Self {
        self.0.resync_range = steps;
        self
    }

    /// Attempts against concurrent changes, 1 to [`RegistryConfig::MAX_ATTEMPTS`].
    pub fn max_attempts(&mut self, n: u32) -> &mut Self {
        self.0.max_attempts = n;
        self
    }

    /// TOTP parameters for new authenticator-app enrolments: T0 must be 0 (apps assume
    /// it), the period from [`RegistryConfig::MIN_PERIOD`] to
    /// [`RegistryConfig::MAX_PERIOD`] seconds.
    pub fn totp_params(&mut self, params: TotpParams) -> &mut Self {
        self.0.totp_params = params;
        self
    }

    /// Validates and returns the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the value out of bounds.
    pub fn build(&self) -> Result<RegistryConfig, Error> {
        let c = &self.0;
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
        let window = c.window;
        if window.past() > RegistryConfig::MAX_WINDOW_STEPS
            || window.future() > RegistryConfig::MAX_WINDOW_STEPS
        {
            return Err(Error::InvalidConfig(
                "window must be at most 3 steps either way (rfc 6238 section 5.2)",
            ));
        }
        if !(RegistryConfig::MIN_RESYNC_RANGE..=RegistryConfig::MAX_RESYNC_RANGE)
            .contains(&c.resync_range)
        {
            return Err(Error::InvalidConfig("resync_range must be from 1 to 100"));
        }
        if !(1..=RegistryConfig::MAX_ATTEMPTS).contains(&c.max_attempts) {
            return Err(Error::InvalidConfig("max_attempts must be from 1 to 100"));
        }
        check_period(c.totp_params.period())?;
        if c.totp_params.t0() != 0 {
            return Err(Error::InvalidConfig(
                "totp_params must have t0 = 0: otpauth:// URIs cannot carry another",
            ));
        }
        let len = c.issuer.chars().count();
        if c.issuer.trim().is_empty() {
            return Err(Error::InvalidConfig(
                "issuer is required: the service name authenticator apps show",
            ));
        }
        if len > RegistryConfig::MAX_ISSUER_LEN
            || c.issuer.contains(':')
            || c.issuer.chars().any(char::is_control)
        {
            return Err(Error::InvalidConfig(
                "issuer must be 1 to 128 characters without ':' or control characters",
            ));
        }
        Ok(c.clone())
    }
}

/// Refuses a TOTP period outside [`RegistryConfig::MIN_PERIOD`]..=[`RegistryConfig::MAX_PERIOD`].
pub(crate) fn check_period(period: u64) -> Result<(), Error> {
    if (RegistryConfig::MIN_PERIOD..=RegistryConfig::MAX_PERIOD).contains(&period) {
        Ok(())
    } else {
        Err(Error::InvalidConfig(
            "totp period must be from 15 to 120 seconds",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(p: u64) -> Result<RegistryConfig, Error> {
        let params = TotpParams::builder().period(p).build().unwrap();
        RegistryConfig::builder("Acme").totp_params(params).build()
    }

    fn window(past: u32, future: u32) -> Result<RegistryConfig, Error> {
        RegistryConfig::builder("Acme")
            .window(Window::new(past, future).unwrap())
            .build()
    }

    #[test]
    fn new_is_the_builder_default_and_valid() {
        let config = RegistryConfig::new("Acme").unwrap();
        assert_eq!(config, RegistryConfig::builder("Acme").build().unwrap());
        assert_eq!(config.issuer(), "Acme");
        assert_eq!(config.max_devices(), RegistryConfig::MAX_DEVICES);
        assert_eq!(config.pending_ttl(), RegistryConfig::DEFAULT_PENDING_TTL);
        assert_eq!(config.activation(), ActivationPolicy::TwoConsecutiveCodes);
        assert_eq!(config.window(), Window::DEFAULT);
        assert_eq!(config.resync_range(), Totp::DEFAULT_RESYNC_RANGE);
        assert_eq!(config.max_attempts(), RegistryConfig::DEFAULT_MAX_ATTEMPTS);
        assert_eq!(config.totp_params(), TotpParams::DEFAULT);
    }

    /// Issue 13 item 8: without an issuer every service's authenticator entries were
    /// labelled alike ("Tessera", filled in by the facade). There is no configuration
    /// without one now, and the refusal says what is missing.
    #[test]
    fn there_is_no_configuration_without_an_issuer() {
        let err = RegistryConfig::new("").unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)), "{err:?}");
        assert!(err.to_string().contains("issuer is required"), "{err}");
        let err = RegistryConfig::builder("")
            .activation(ActivationPolicy::OneCode)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("issuer is required"), "{err}");
        // Blank is no name either.
        let err = RegistryConfig::new(" \t ").unwrap_err();
        assert!(err.to_string().contains("issuer is required"), "{err}");
    }

    /// The builder is argon2's shape: setters take and return `&mut Self`, `build`
    /// borrows, so a builder can be kept, set conditionally and built twice.
    #[test]
    fn a_kept_builder_is_set_in_place_and_builds_again() {
        let mut builder = RegistryConfig::builder("Acme");
        builder.max_devices(3);
        builder.activation(ActivationPolicy::OneCode);
        let first = builder.build().unwrap();
        assert_eq!(first.max_devices(), 3);
        assert_eq!(first.activation(), ActivationPolicy::OneCode);
        builder.max_devices(9);
        assert!(builder.build().is_err());
        builder.max_devices(4);
        assert_eq!(builder.build().unwrap().max_devices(), 4);
    }

    #[test]
    fn every_bound_holds_just_inside_and_refuses_just_outside() {
        let b = || RegistryConfig::builder("Acme");
        // max_devices 1..=8
        assert!(b().max_devices(0).build().is_err());
        assert!(b().max_devices(1).build().is_ok());
        assert!(b().max_devices(8).build().is_ok());
        assert!(b().max_devices(9).build().is_err());
        // pending_ttl 60 s..=24 h
        let ttl = |s| b().pending_ttl(Duration::from_secs(s)).build();
        assert!(ttl(59).is_err());
        assert!(ttl(60).is_ok());
        assert!(ttl(86_400).is_ok());
        assert!(ttl(86_401).is_err());
        // resync_range 1..=100
        assert!(b().resync_range(0).build().is_err());
        assert!(b().resync_range(1).build().is_ok());
        assert!(b().resync_range(100).build().is_ok());
        assert!(b().resync_range(101).build().is_err());
        assert!(b().resync_range(1000).build().is_err());
        // max_attempts 1..=100
        assert!(b().max_attempts(0).build().is_err());
        assert!(b().max_attempts(1).build().is_ok());
        assert!(b().max_attempts(100).build().is_ok());
        assert!(b().max_attempts(101).build().is_err());
        // issuer 1..=128 characters, no ':' nor control characters
        assert!(RegistryConfig::new("").is_err());
        assert!(RegistryConfig::new("A").is_ok());
        assert!(RegistryConfig::new("é".repeat(128)).is_ok());
        assert!(RegistryConfig::new("é".repeat(129)).is_err());
        assert!(RegistryConfig::new("a:b").is_err());
        assert!(RegistryConfig::new("a\u{7}b").is_err());
        // t0 must be 0
        let t0 = TotpParams::builder().t0(5).build().unwrap();
        assert!(b().totp_params(t0).build().is_err());
    }

    /// Issue 12 item 14: the builder accepted any period (1 s, an hour).
    #[test]
    fn the_totp_period_is_bounded_to_15_through_120_seconds() {
        assert!(period(1).is_err());
        assert!(period(14).is_err());
        assert!(period(15).is_ok());
        assert!(period(30).is_ok());
        assert!(period(120).is_ok());
        assert!(period(121).is_err());
        assert!(period(3600).is_err());
    }

    /// Issue 12 item 14: the builder accepted a window of ±50 steps.
    #[test]
    fn the_window_is_at_most_three_steps_either_way() {
        assert!(window(0, 0).is_ok());
        assert!(window(3, 3).is_ok());
        assert!(window(4, 3).is_err());
        assert!(window(3, 4).is_err());
        assert!(window(0, 4).is_err());
        assert!(window(50, 50).is_err());
        let err = window(50, 50).unwrap_err().to_string();
        assert!(err.contains("window"), "{err}");
    }
}
