//! The throttle reservation: every authentication attempt is counted before anything is
//! checked, in one conditional save, whatever the factor (password, TOTP, security key).

use tessera_otp::{Clock, UnixTime};
use tessera_registry::UserId;

use crate::codes::flow::lock_event;
use crate::service::Outcome;
use crate::{
    Actor, Error, Mfa, MfaStore, Notified, Result, SecurityEventKind, SecurityNotifier,
    ThrottleState,
};

/// An attempt already counted as a failure in the account's throttle; nothing may be
/// checked without one.
///
/// [`Mfa::begin_attempt`] hands it out after one conditional save that admitted the
/// attempt *and* counted it as a failure. The caller then checks its factor and reports:
/// [`Mfa::attempt_passed`] (the factor was right, the authentication goes on),
/// [`Mfa::attempt_completed`] (the sign-in or step-up is complete). Dropping it leaves
/// the failure counted: that is the "wrong" outcome, so an early return, a panic or a
/// crash between the check and the report can never give an attacker a free guess.
#[derive(Debug)]
#[must_use = "an attempt must be reported, or dropped to leave the failure counted"]
pub struct Attempt {
    user: UserId,
    /// The throttle just before and just after this attempt was counted.
    before: ThrottleState,
    after: ThrottleState,
    counted_at: UnixTime,
}

impl Attempt {
    /// The account the attempt was counted for.
    #[must_use]
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// When it was counted.
    #[must_use]
    pub fn counted_at(&self) -> UnixTime {
        self.counted_at
    }

    /// The consecutive failures on the account once this attempt was counted.
    #[must_use]
    pub fn failures(&self) -> u32 {
        self.after.failures
    }
}

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Reserves an authentication attempt: one conditional save that admits the attempt
    /// and counts it as a failure. Call it before checking a password, a TOTP code or a
    /// security key, and check nothing unless it returns `Ok`.
    ///
    /// Because the attempt is counted before the check, a burst of any size gets at
    /// most as many checks as the throttle admits (with the defaults, 5 before the first
    /// delay): every other call is refused in the same save, without a check.
    ///
    /// When this reservation locks the account (temporarily at
    /// [`ThrottleConfig::lockout_after`](crate::ThrottleConfig::lockout_after) failures,
    /// for good at the hard limit), the attempt is still granted, and
    /// [`SecurityEventKind::LockedOut`] or [`SecurityEventKind::LockedPermanently`] is
    /// emitted, once, on that transition only; a notifier error comes back in
    /// [`Notified::notify_error`].
    ///
    /// # Errors
    /// In every case the caller must not check anything:
    /// - [`Error::VerificationFailed`] (opaque, shown like a wrong code) while attempts
    ///   wait or the account is locked; nothing is counted;
    /// - [`Error::Conflict`] when every store round conflicted;
    /// - [`Error::Store`] when the store failed.
    ///
    /// An application shows the last two exactly like [`Error::VerificationFailed`] too.
    pub async fn begin_attempt(&self, user: &UserId) -> Result<Notified<Attempt>> {
        let throttle = self.throttle;
        let n = self
            .modify(user, |state, now| {
                if let Some(refused) = Outcome::throttle_refusal(state, now) {
                    return Ok(refused);
                }
                let before = state.throttle;
                let lock = state.throttle.fail(now, &throttle);
                let attempt = Attempt {
                    user: user.clone(),
                    before,
                    after: state.throttle,
                    counted_at: now,
                };
                let mut out = Outcome::changed(Ok(attempt));
                if let Some(lock) = lock {
                    out.events.push(lock_event(lock));
                }
                Ok(out)
            })
            .await?;
        Ok(Notified {
            value: n.value?,
            notify_error: n.notify_error,
        })
    }

    /// The checked factor was right but the authentication is not complete yet (a
    /// password before its second factor): the provisional failure is taken back, as if
    /// the attempt had not been counted. A lockout this attempt started stays, and
    /// nothing resets. After a reset since the reservation, nothing is taken back.
    ///
    /// # Errors
    /// Store errors and [`Error::Conflict`]; the failure then stays counted (the safe
    /// side).
    pub async fn attempt_passed(&self, attempt: Attempt) -> Result<()> {
        let throttle = self.throttle;
        self.modify(&attempt.user, |state, _now| {
            let write = state
                .throttle
                .take_back(&attempt.before, &attempt.after, &throttle);
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

    /// The whole sign-in or step-up completed with this attempt: the throttle resets
    /// (failures to zero, delays and a temporary lockout lifted). A permanent lock is
    /// **not** lifted: only [`Mfa::unlock`] does that.
    ///
    /// # Errors
    /// Store errors and [`Error::Conflict`]; the failure then stays counted.
    pub async fn attempt_completed(&self, attempt: Attempt) -> Result<()> {
        self.authentication_completed(&attempt.user).await
    }

    /// The sign-in or step-up completed with a factor this crate checked itself (an
    /// email or SMS code through [`Mfa::verify_code`], a recovery code through
    /// [`Mfa::use_recovery_code`]): resets the throttle like [`Mfa::attempt_completed`].
    ///
    /// **Call it only after a completed sign-in or step-up**: never after a password
    /// alone, and never after a phone verification. Each of those would let whoever
    /// knows the password, or can link a phone, reset the count and guess second
    /// factors without end.
    ///
    /// # Errors
    /// Store errors and [`Error::Conflict`].
    pub async fn authentication_completed(&self, user: &UserId) -> Result<()> {
        self.modify(user, |state, _now| {
            let write = state.throttle.reset();
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

    /// A named administrator clears every lock and counter of the account, a permanent
    /// lock included. Emits [`SecurityEventKind::Unlocked`] to the account holder when
    /// there was anything to clear.
    ///
    /// # Errors
    /// [`Error::AnonymousAdministrator`] unless `actor` is an [`Actor::Administrator`]
    /// with a non-empty identifier; store errors and [`Error::Conflict`].
    pub async fn unlock(&self, user: &UserId, actor: Actor) -> Result<Notified<()>> {
        let by = match &actor {
            Actor::Administrator { id } if !id.trim().is_empty() => id.clone(),
            _ => return Err(Error::AnonymousAdministrator),
        };
        self.modify(user, |state, _now| {
            if !state.throttle.unlock() {
                return Ok(Outcome::unchanged(()));
            }
            Ok(Outcome::changed(()).with_event(
                actor.clone(),
                SecurityEventKind::Unlocked { by: by.clone() },
            ))
        })
        .await
    }

    /// The account's throttle counters.
    ///
    /// # Errors
    /// Store errors.
    pub async fn throttle_state(&self, user: &UserId) -> Result<ThrottleState> {
        Ok(self.account_state(user).await?.throttle)
    }
}
