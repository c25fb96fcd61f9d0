//! Throttling of second factors verified elsewhere (TOTP and security keys in the
//! registry), sharing the counters of email, SMS and recovery codes.

use tessera_otp::Clock;
use tessera_registry::UserId;

use crate::codes_ops::record_failure;
use crate::service::Outcome;
use crate::{Error, Mfa, MfaStore, Notified, Result, SecurityNotifier, ThrottleState};

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Asks whether a second-factor attempt may be checked now. Call it before verifying a
    /// TOTP code or a security key with the registry; report the result with
    /// [`Mfa::second_factor_failed`] or [`Mfa::second_factor_succeeded`].
    ///
    /// Concurrent attempts between this check and the report are all counted, so a
    /// burst can overshoot the limits by at most the number of requests in flight.
    ///
    /// # Errors
    /// The opaque [`Error::VerificationFailed`] while attempts wait or the second factor
    /// is locked (the caller shows it exactly like a wrong code); store errors.
    pub async fn second_factor_permitted(&self, user: &UserId) -> Result<()> {
        self.modify(user, |state, now| {
            let (admitted, refreshed) = state.throttle.admit(now);
            Ok(Outcome {
                write: refreshed,
                value: if admitted {
                    Ok(())
                } else {
                    Err(Error::VerificationFailed)
                },
                events: Vec::new(),
            })
        })
        .await?
        .value
    }

    /// Counts a failed second factor verified elsewhere. Emits
    /// [`SecurityEventKind::LockedOut`](crate::SecurityEventKind::LockedOut) when this
    /// failure reaches the hard limit. Returns the counters after the failure.
    ///
    /// # Errors
    /// Store errors.
    pub async fn second_factor_failed(&self, user: &UserId) -> Result<Notified<ThrottleState>> {
        let throttle = self.throttle;
        let n = self
            .modify(user, |state, now| {
                let out = record_failure::<()>(state, now, &throttle);
                Ok(Outcome {
                    write: true,
                    value: state.throttle,
                    events: out.events,
                })
            })
            .await?;
        Ok(n)
    }

    /// Resets the failure count after a successful second factor verified elsewhere.
    ///
    /// # Errors
    /// Store errors.
    pub async fn second_factor_succeeded(&self, user: &UserId) -> Result<()> {
        self.modify(user, |state, _now| {
            let write = state.throttle.succeed();
            Ok(Outcome {
                write,
                value: (),
                events: Vec::new(),
            })
        })
        .await?
        .into_value();
        Ok(())
    }

    /// The account's throttle counters.
    ///
    /// # Errors
    /// Store errors.
    pub async fn throttle_state(&self, user: &UserId) -> Result<ThrottleState> {
        Ok(self.account_state(user).await?.throttle)
    }
}
