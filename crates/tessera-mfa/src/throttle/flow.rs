//! The throttle reservation: every authentication attempt is counted before anything is
//! checked, in one conditional save, whatever the factor (password, TOTP, security key).
//! Each operation is load → a pure change of `change.rs` → conditional save.

use tessera_otp::Clock;
use tessera_registry::UserId;

use super::change;
use crate::{
    Account, Actor, Attempt, Mfa, MfaStore, Notified, Result, SecurityNotifier, ThrottleState,
};

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
    /// [`SecurityEventKind::LockedOut`](crate::SecurityEventKind::LockedOut) or [`SecurityEventKind::LockedPermanently`](crate::SecurityEventKind::LockedPermanently) is
    /// emitted, once, on that transition only; a notifier error comes back in
    /// [`Notified::notify_error`].
    ///
    /// # Errors
    /// In every case the caller must not check anything:
    /// - [`Error::VerificationFailed`](crate::Error::VerificationFailed) (opaque, shown like a wrong code) while attempts
    ///   wait or the account is locked; nothing is counted;
    /// - [`Error::Conflict`](crate::Error::Conflict) when every store round conflicted;
    /// - [`Error::Store`](crate::Error::Store) when the store failed.
    ///
    /// An application shows the last two exactly like [`Error::VerificationFailed`](crate::Error::VerificationFailed) too.
    pub async fn begin_attempt(
        &self,
        account: &(impl Account + ?Sized),
    ) -> Result<Notified<Attempt>> {
        let user = account.user();
        let throttle = self.throttle;
        let n = self
            .modify(account, |state, now| {
                Ok(state.begin_attempt(user, now, &throttle))
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
    /// Store errors and [`Error::Conflict`](crate::Error::Conflict); the failure then stays counted (the safe
    /// side).
    pub async fn attempt_passed(&self, attempt: Attempt) -> Result<()> {
        let throttle = self.throttle;
        self.modify(&attempt.user, |state, _now| {
            Ok(state.attempt_passed(&attempt, &throttle))
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
    /// Store errors and [`Error::Conflict`](crate::Error::Conflict); the failure then stays counted.
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
    /// Store errors and [`Error::Conflict`](crate::Error::Conflict).
    pub async fn authentication_completed(&self, user: &UserId) -> Result<()> {
        self.modify(user, |state, _now| Ok(state.authentication_completed()))
            .await?
            .into_value();
        Ok(())
    }

    /// A named administrator clears every lock and counter of the account, a permanent
    /// lock included. Emits [`SecurityEventKind::Unlocked`](crate::SecurityEventKind::Unlocked) to the account holder when
    /// there was anything to clear.
    ///
    /// # Errors
    /// [`Error::AnonymousAdministrator`](crate::Error::AnonymousAdministrator) unless `actor` is an [`Actor::Administrator`]
    /// with a non-empty identifier; store errors and [`Error::Conflict`](crate::Error::Conflict).
    pub async fn unlock(
        &self,
        account: &(impl Account + ?Sized),
        actor: Actor,
    ) -> Result<Notified<()>> {
        // Refused before any store I/O.
        change::administrator_name(&actor)?;
        self.modify(account, |state, _now| state.unlock(&actor))
            .await
    }

    /// A named administrator resets the MFA of an account whose holder lost every
    /// factor: MFA off, recovery codes void, the phone number unlinked, remembered
    /// devices and pending codes forgotten. Emits
    /// [`SecurityEventKind::MfaReset`](crate::SecurityEventKind::MfaReset). The devices
    /// are the registry's: remove them there. Unlike [`Mfa::disable`] this works while
    /// the policy requires MFA (the account then has to enrol again).
    ///
    /// # Errors
    /// [`Error::AnonymousAdministrator`](crate::Error::AnonymousAdministrator) unless
    /// `actor` is a named administrator; store errors.
    pub async fn reset_by_administrator(
        &self,
        account: &(impl Account + ?Sized),
        actor: Actor,
    ) -> Result<Notified<()>> {
        change::administrator_name(&actor)?;
        self.modify(account, |state, _now| state.reset_by_administrator(&actor))
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
