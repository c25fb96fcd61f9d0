//! Throttling of second factors verified elsewhere (TOTP and security keys in the
//! registry), sharing the counters of email, SMS and recovery codes; an application
//! may count its password checks here too (the `tessera` facade does).

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
    /// Despite the name, the throttle is per account, not per factor: the `tessera`
    /// facade also asks here before checking a password, and counts wrong passwords
    /// with [`Mfa::second_factor_failed`], because NIST SP 800-63B §5.2.2 limits the
    /// consecutive failed authentication attempts on an account whatever the factor.
    /// A locked account is then refused before its password is even looked at.
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
    /// Any failed authentication attempt on the account may be counted here, not only
    /// a second factor's: the `tessera` facade counts wrong passwords too, as NIST
    /// SP 800-63B §5.2.2 limits failed attempts per account, so password guessing and
    /// code guessing draw on the same budget.
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
    /// When passwords are counted too (as the `tessera` facade counts them, per NIST
    /// SP 800-63B §5.2.2), call this only once the whole sign-in has succeeded, never
    /// after the password alone: otherwise anyone who knows the password could reset
    /// the count and guess second-factor codes without end.
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
