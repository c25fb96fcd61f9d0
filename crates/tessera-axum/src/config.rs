//! Where the extractors send people, and how recent a second factor must be.

use std::time::Duration;

/// The crate's one error: a configuration that cannot be used.
///
/// Messages are lowercase and say what was wrong; they hold no path or value given, so
/// a log line from a misconfigured deployment never carries anything the application
/// considered private.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is out of its bounds; the text names the setting and the rule.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}

/// Where [`SignedIn`](crate::SignedIn) and [`RecentSecondFactor`](crate::RecentSecondFactor)
/// send a browser, and the maximum age of a second factor for the routes that take
/// [`RecentSecondFactor`](crate::RecentSecondFactor) (AWS's `aws:MultiFactorAuthAge`).
///
/// The argon2 shape: the defaults are [`TesseraConfig::default`], a
/// [`builder`](Self::builder) validates every setting at
/// [`build`](TesseraConfigBuilder::build).
///
/// The facade's own MFA-protected operations (removing a device, turning MFA off)
/// check the facade's step-up age ([`AccountsBuilder::step_up_max_age`](tessera::AccountsBuilder::step_up_max_age));
/// keep this one equal or shorter, so that a route that [`RecentSecondFactor`](crate::RecentSecondFactor)
/// admits is not refused by the flow it calls.
///
/// ```
/// use std::time::Duration;
/// use tessera_axum::TesseraConfig;
///
/// let config = TesseraConfig::builder()
///     .sign_in_path("/login")
///     .step_up_path("/login/step-up")
///     .second_factor_max_age(Duration::from_secs(300))
///     .build()?;
/// assert_eq!(config.second_factor_max_age(), Duration::from_secs(300));
/// assert!(TesseraConfig::builder().sign_in_path("//evil.example").build().is_err());
/// # Ok::<(), tessera_axum::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TesseraConfig {
    sign_in_path: String,
    step_up_path: String,
    second_factor_max_age: Duration,
    session_max_age: Duration,
}

impl TesseraConfig {
    /// The sign-in page a browser that is not signed in is sent to.
    pub const DEFAULT_SIGN_IN_PATH: &'static str = "/sign-in";
    /// The step-up page a browser whose second factor is too old is sent to.
    pub const DEFAULT_STEP_UP_PATH: &'static str = "/step-up";
    /// The default maximum age of a second factor: the facade's own step-up age
    /// ([`tessera::DEFAULT_STEP_UP_MAX_AGE`], ten minutes).
    pub const DEFAULT_SECOND_FACTOR_MAX_AGE: Duration = tessera::DEFAULT_STEP_UP_MAX_AGE;
    /// The shortest maximum age accepted: the facade's [`tessera::MIN_STEP_UP_MAX_AGE`].
    /// Shorter ages make a person step up between two clicks.
    pub const MIN_SECOND_FACTOR_MAX_AGE: Duration = tessera::MIN_STEP_UP_MAX_AGE;
    /// The longest maximum age accepted: the facade's [`tessera::MAX_STEP_UP_MAX_AGE`].
    pub const MAX_SECOND_FACTOR_MAX_AGE: Duration = tessera::MAX_STEP_UP_MAX_AGE;
    /// How long a sign-in lasts at most, counted from its password: 24 hours, NIST SP
    /// 800-63B-4's overall reauthentication timeout at AAL2 ("SHOULD be no more than 24
    /// hours"). The inactivity timeout is the session store's (`tower_sessions::Expiry::OnInactivity`,
    /// an hour at AAL2).
    pub const DEFAULT_SESSION_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
    /// The shortest sign-in accepted.
    pub const MIN_SESSION_MAX_AGE: Duration = Duration::from_secs(5 * 60);
    /// The longest sign-in accepted: 30 days, for a service that states its reason.
    pub const MAX_SESSION_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);
    /// The longest path accepted.
    pub const MAX_PATH_LEN: usize = 256;

    /// A builder starting from the defaults.
    #[must_use]
    pub fn builder() -> TesseraConfigBuilder {
        TesseraConfigBuilder {
            config: Self::default(),
        }
    }

    /// Where a browser that is not signed in is sent.
    #[must_use]
    pub fn sign_in_path(&self) -> &str {
        &self.sign_in_path
    }

    /// Where a browser whose second factor is too old is sent.
    #[must_use]
    pub fn step_up_path(&self) -> &str {
        &self.step_up_path
    }

    /// How recent a second factor must be for [`RecentSecondFactor`](crate::RecentSecondFactor).
    #[must_use]
    pub fn second_factor_max_age(&self) -> Duration {
        self.second_factor_max_age
    }

    /// How long after its password a sign-in ends, whatever its activity: past it,
    /// [`SignedIn`](crate::SignedIn) ends the session and asks for the password again.
    #[must_use]
    pub fn session_max_age(&self) -> Duration {
        self.session_max_age
    }
}

impl Default for TesseraConfig {
    fn default() -> Self {
        Self {
            sign_in_path: Self::DEFAULT_SIGN_IN_PATH.to_owned(),
            step_up_path: Self::DEFAULT_STEP_UP_PATH.to_owned(),
            second_factor_max_age: Self::DEFAULT_SECOND_FACTOR_MAX_AGE,
            session_max_age: Self::DEFAULT_SESSION_MAX_AGE,
        }
    }
}

/// Builds a [`TesseraConfig`]; [`build`](Self::build) checks every setting.
#[derive(Clone, Debug)]
pub struct TesseraConfigBuilder {
    config: TesseraConfig,
}

impl TesseraConfigBuilder {
    /// The sign-in page: a path on this site (`/…`), not `//…`.
    pub fn sign_in_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.config.sign_in_path = path.into();
        self
    }

    /// The step-up page: a path on this site (`/…`), not `//…`.
    pub fn step_up_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.config.step_up_path = path.into();
        self
    }

    /// How recent a second factor must be for [`RecentSecondFactor`](crate::RecentSecondFactor):
    /// [`TesseraConfig::MIN_SECOND_FACTOR_MAX_AGE`]..=[`TesseraConfig::MAX_SECOND_FACTOR_MAX_AGE`],
    /// whole seconds (it is sent as RFC 9470's `max_age`, in seconds).
    pub fn second_factor_max_age(&mut self, max_age: Duration) -> &mut Self {
        self.config.second_factor_max_age = max_age;
        self
    }

    /// How long after its password a sign-in ends:
    /// [`TesseraConfig::MIN_SESSION_MAX_AGE`]..=[`TesseraConfig::MAX_SESSION_MAX_AGE`],
    /// and at least the second factor's maximum age.
    pub fn session_max_age(&mut self, max_age: Duration) -> &mut Self {
        self.config.session_max_age = max_age;
        self
    }

    /// The configuration, once every setting is checked.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a path that is not a local absolute path of visible
    /// ASCII (a `Location` header must not send a browser to another site, nor break
    /// the header), or a maximum age out of bounds or not whole seconds.
    pub fn build(&self) -> Result<TesseraConfig, Error> {
        check_path(&self.config.sign_in_path, "the sign-in path")?;
        check_path(&self.config.step_up_path, "the step-up path")?;
        let age = self.config.second_factor_max_age;
        if !(TesseraConfig::MIN_SECOND_FACTOR_MAX_AGE..=TesseraConfig::MAX_SECOND_FACTOR_MAX_AGE)
            .contains(&age)
        {
            return Err(Error::InvalidConfig(
                "the second factor's maximum age must be 1 minute to 1 day",
            ));
        }
        if age.subsec_nanos() != 0 {
            return Err(Error::InvalidConfig(
                "the second factor's maximum age must be whole seconds",
            ));
        }
        let session = self.config.session_max_age;
        if !(TesseraConfig::MIN_SESSION_MAX_AGE..=TesseraConfig::MAX_SESSION_MAX_AGE)
            .contains(&session)
        {
            return Err(Error::InvalidConfig(
                "the session's maximum age must be 5 minutes to 30 days",
            ));
        }
        if session < age {
            return Err(Error::InvalidConfig(
                "the session's maximum age must be at least the second factor's",
            ));
        }
        Ok(self.config.clone())
    }
}

/// A path the redirects may name: `/` then visible ASCII, never `//` or `/\` (which
/// browsers read as another host), at most [`TesseraConfig::MAX_PATH_LEN`] bytes.
fn check_path(path: &str, what: &'static str) -> Result<(), Error> {
    let local = path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\");
    let visible = path.bytes().all(|b| b.is_ascii_graphic());
    if !local || !visible || path.len() > TesseraConfig::MAX_PATH_LEN {
        return Err(Error::InvalidConfig(match what {
            "the sign-in path" => "the sign-in path must be a local path such as /sign-in",
            _ => "the step-up path must be a local path such as /step-up",
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests

    use super::*;

    #[test]
    fn the_defaults_build() {
        let built = TesseraConfig::builder().build().unwrap();
        assert_eq!(built, TesseraConfig::default());
        assert_eq!(built.sign_in_path(), "/sign-in");
        assert_eq!(built.step_up_path(), "/step-up");
        assert_eq!(built.second_factor_max_age(), Duration::from_secs(600));
        assert_eq!(built.session_max_age(), Duration::from_secs(86_400));
    }

    #[test]
    fn paths_that_leave_the_site_or_break_a_header_are_refused() {
        for bad in [
            "",
            "sign-in",
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "/sign in",
            "/a\r\nSet-Cookie: x=y",
            "/é",
        ] {
            assert!(
                TesseraConfig::builder().sign_in_path(bad).build().is_err(),
                "{bad:?}"
            );
            assert!(
                TesseraConfig::builder().step_up_path(bad).build().is_err(),
                "{bad:?}"
            );
        }
        let long = format!("/{}", "a".repeat(TesseraConfig::MAX_PATH_LEN));
        assert!(TesseraConfig::builder().sign_in_path(long).build().is_err());
        let longest = format!("/{}", "a".repeat(TesseraConfig::MAX_PATH_LEN - 1));
        assert!(
            TesseraConfig::builder()
                .sign_in_path(longest)
                .build()
                .is_ok()
        );
        // Each path's refusal names it.
        let message = |r: Result<TesseraConfig, Error>| r.unwrap_err().to_string();
        assert!(
            message(TesseraConfig::builder().sign_in_path("x").build()).contains("sign-in path")
        );
        assert!(
            message(TesseraConfig::builder().step_up_path("x").build()).contains("step-up path")
        );
        assert!(
            TesseraConfig::builder()
                .sign_in_path("/account/sign-in?from=step-up")
                .build()
                .is_ok()
        );
    }

    proptest::proptest! {
        /// Whatever is accepted is a path on this site and a valid `Location` value.
        #[test]
        fn an_accepted_path_stays_on_the_site(path in "[/\\\\]{0,2}\\PC{0,30}") {
            if let Ok(c) = TesseraConfig::builder().sign_in_path(path.clone()).build() {
                proptest::prop_assert!(c.sign_in_path().starts_with('/'));
                proptest::prop_assert!(!c.sign_in_path().starts_with("//"));
                proptest::prop_assert!(!c.sign_in_path().starts_with("/\\"));
                proptest::prop_assert!(
                    axum::http::HeaderValue::from_str(c.sign_in_path()).is_ok()
                );
            }
        }
    }

    #[test]
    fn the_maximum_age_is_bounded_and_whole_seconds() {
        let build = |d| TesseraConfig::builder().second_factor_max_age(d).build();
        assert!(build(Duration::from_secs(59)).is_err());
        assert!(build(Duration::from_secs(60)).is_ok());
        assert!(build(Duration::from_secs(86_400)).is_ok());
        assert!(build(Duration::from_secs(86_401)).is_err());
        assert!(build(Duration::from_millis(60_500)).is_err());
    }

    #[test]
    fn the_session_lasts_5_minutes_to_30_days_and_outlives_the_second_factor() {
        let build = |d| TesseraConfig::builder().session_max_age(d).build();
        assert!(build(Duration::from_secs(299)).is_err());
        assert!(build(Duration::from_secs(30 * 86_400 + 1)).is_err());
        assert!(build(Duration::from_secs(30 * 86_400)).is_ok());
        // Shorter than the default second factor age (10 minutes): refused.
        assert!(build(Duration::from_secs(300)).is_err());
        let short = TesseraConfig::builder()
            .second_factor_max_age(Duration::from_secs(300))
            .session_max_age(Duration::from_secs(300))
            .build();
        assert!(short.is_ok());
        // Five minutes is the floor itself, whatever the second factor's age.
        let below = TesseraConfig::builder()
            .second_factor_max_age(Duration::from_secs(60))
            .session_max_age(Duration::from_secs(299))
            .build();
        assert!(below.is_err());
        assert_eq!(TesseraConfig::MIN_SESSION_MAX_AGE, Duration::from_secs(300));
    }
}
