//! The pure throttle changes to an account's state: admitting an attempt, counting a
//! failure, taking a provisional failure back, resetting and unlocking. No I/O, no
//! clock, no async: [`Mfa`](crate::Mfa) loads, applies one of these and saves.

use tessera_otp::UnixTime;
use tessera_registry::UserId;

use super::Lock;
use crate::state::Outcome;
use crate::{AccountState, Actor, Error, Result, SecurityEventKind, ThrottleConfig, ThrottleState};

/// An attempt already counted as a failure in the account's throttle; nothing may be
/// checked without one.
///
/// [`Mfa::begin_attempt`](crate::Mfa::begin_attempt) hands it out after one conditional
/// save that admitted the attempt *and* counted it as a failure. The caller then checks
/// its factor and reports: [`Mfa::attempt_passed`](crate::Mfa::attempt_passed) (the
/// factor was right, the authentication goes on),
/// [`Mfa::attempt_completed`](crate::Mfa::attempt_completed) (the sign-in or step-up is
/// complete). Dropping it leaves the failure counted: that is the "wrong" outcome, so an
/// early return, a panic or a crash between the check and the report can never give an
/// attacker a free guess.
#[derive(Debug)]
#[must_use = "an attempt must be reported, or dropped to leave the failure counted"]
pub struct Attempt {
    pub(crate) user: UserId,
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

/// The event that tells the account holder about a lock that just started.
fn lock_event(lock: Lock) -> (Actor, SecurityEventKind) {
    let kind = match lock {
        Lock::Temporary(until) => SecurityEventKind::LockedOut { until },
        Lock::Permanent => SecurityEventKind::LockedPermanently,
    };
    (Actor::System, kind)
}

/// The name of the administrator acting, refusing anyone else.
pub(crate) fn administrator_name(actor: &Actor) -> Result<String> {
    match actor {
        Actor::Administrator { id } if !id.trim().is_empty() => Ok(id.clone()),
        _ => Err(Error::AnonymousAdministrator),
    }
}

impl AccountState {
    /// Asks the throttle to admit an attempt at `now`: `None` when admitted, else the
    /// opaque failure, with the throttle's refreshed state saved when it changed (an
    /// expired lockout ended).
    pub(crate) fn refuse_if_throttled<T>(&mut self, now: UnixTime) -> Option<Outcome<Result<T>>> {
        let (admitted, refreshed) = self.throttle.admit(now);
        (!admitted).then(|| Outcome::written(refreshed, Err(Error::VerificationFailed)))
    }

    /// Counts a failed check at `now`: the opaque failure, with the lock event when this
    /// failure starts a lock.
    pub(crate) fn count_failure<T>(
        &mut self,
        now: UnixTime,
        cfg: &ThrottleConfig,
    ) -> Outcome<Result<T>> {
        let mut out = Outcome::changed(Err(Error::VerificationFailed));
        if let Some(lock) = self.throttle.record_failure(now, cfg) {
            out.events.push(lock_event(lock));
        }
        out
    }

    /// Reserves an attempt for `user` at `now`: admitted *and* counted as a failure, or
    /// refused without counting.
    pub(crate) fn begin_attempt(
        &mut self,
        user: &UserId,
        now: UnixTime,
        cfg: &ThrottleConfig,
    ) -> Outcome<Result<Attempt>> {
        if let Some(refused) = self.refuse_if_throttled(now) {
            return refused;
        }
        let before = self.throttle;
        let lock = self.throttle.record_failure(now, cfg);
        let attempt = Attempt {
            user: user.clone(),
            before,
            after: self.throttle,
            counted_at: now,
        };
        let mut out = Outcome::changed(Ok(attempt));
        out.events.extend(lock.map(lock_event));
        out
    }

    /// The factor of `attempt` was right: its provisional failure is taken back (see
    /// [`ThrottleState::take_back`]).
    pub(crate) fn attempt_passed(
        &mut self,
        attempt: &Attempt,
        cfg: &ThrottleConfig,
    ) -> Outcome<()> {
        let write = self
            .throttle
            .take_back(&attempt.before, &attempt.after, cfg);
        Outcome::written(write, ())
    }

    /// A completed sign-in or step-up: the throttle resets (not a permanent lock).
    pub(crate) fn authentication_completed(&mut self) -> Outcome<()> {
        Outcome::written(self.throttle.reset(), ())
    }

    /// A named administrator's unlock: every lock and counter cleared, with
    /// [`SecurityEventKind::Unlocked`] when there was anything to clear.
    pub(crate) fn unlock(&mut self, actor: &Actor) -> Result<Outcome<()>> {
        let by = administrator_name(actor)?;
        if !self.throttle.unlock() {
            return Ok(Outcome::unchanged(()));
        }
        Ok(Outcome::changed(()).with_event(actor.clone(), SecurityEventKind::Unlocked { by }))
    }

    /// A named administrator's reset after every factor was lost: MFA off, recovery
    /// codes void, phone unlinked, remembered devices and pending codes forgotten, with
    /// [`SecurityEventKind::MfaReset`]. Throttle counters stay (a reset is not an unlock).
    pub(crate) fn reset_by_administrator(&mut self, actor: &Actor) -> Result<Outcome<()>> {
        let by = administrator_name(actor)?;
        self.settings = crate::MfaSettings::default();
        self.recovery = crate::recovery::RecoveryState::default();
        self.phone = None;
        self.remembered.clear();
        self.challenges.clear();
        Ok(Outcome::changed(()).with_event(actor.clone(), SecurityEventKind::MfaReset { by }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const T0: UnixTime = UnixTime::from_secs(1_700_000_000);

    fn cfg() -> ThrottleConfig {
        ThrottleConfig::new(
            2,
            3,
            5,
            Duration::from_secs(10),
            Duration::from_secs(60),
            Duration::from_secs(600),
        )
        .unwrap()
    }

    fn begin(state: &mut AccountState, now: UnixTime) -> Outcome<Result<Attempt>> {
        state.begin_attempt(&UserId::new("ana"), now, &cfg())
    }

    #[test]
    fn an_attempt_is_counted_before_the_check_and_refused_while_waiting() {
        let mut state = AccountState::default();
        let first = begin(&mut state, T0);
        assert!(first.write);
        let attempt = first.value.unwrap();
        assert_eq!((attempt.failures(), attempt.counted_at()), (1, T0));
        assert_eq!(state.throttle.failures(), 1);
        // The second failure is past the free ones: a 10 s wait follows it.
        let second = begin(&mut state, T0).value.unwrap();
        assert_eq!(second.failures(), 2);
        let refused = begin(&mut state, T0.saturating_add(Duration::from_secs(9)));
        assert!(!refused.write);
        assert!(matches!(refused.value, Err(Error::VerificationFailed)));
        assert_eq!(state.throttle.failures(), 2, "a refusal counts nothing");
        assert!(
            begin(&mut state, T0.saturating_add(Duration::from_secs(10)))
                .value
                .is_ok()
        );
    }

    #[test]
    fn the_attempt_that_locks_says_so_once() {
        let mut state = AccountState::default();
        let mut now = T0;
        let mut events = Vec::new();
        for _ in 0..3 {
            let out = begin(&mut state, now);
            events.extend(out.events.into_iter().map(|(_, k)| k));
            now = now.saturating_add(Duration::from_secs(60));
        }
        let until = T0.saturating_add(Duration::from_secs(120 + 600));
        assert_eq!(events, [SecurityEventKind::LockedOut { until }]);
        assert!(state.throttle.is_locked(now));
    }

    #[test]
    fn a_passed_attempt_is_taken_back_and_a_completed_one_resets() {
        let mut state = AccountState::default();
        let attempt = begin(&mut state, T0).value.unwrap();
        assert!(state.attempt_passed(&attempt, &cfg()).write);
        assert_eq!(state.throttle, ThrottleState::default());
        // Nothing counted: a completion has nothing to reset.
        assert!(!state.authentication_completed().write);
        let _ = begin(&mut state, T0).value.unwrap();
        assert!(state.authentication_completed().write);
        assert_eq!(state.throttle.failures(), 0);
    }

    #[test]
    fn only_a_named_administrator_unlocks() {
        let mut state = AccountState::default();
        for i in 0..5u64 {
            let _ = begin(&mut state, T0.saturating_add(Duration::from_secs(i * 700)));
        }
        assert!(state.throttle.is_locked_permanently());
        for anonymous in [
            Actor::AccountHolder,
            Actor::System,
            Actor::administrator(" "),
        ] {
            assert!(matches!(
                state.unlock(&anonymous),
                Err(Error::AnonymousAdministrator)
            ));
        }
        let out = state.unlock(&Actor::administrator("root")).unwrap();
        assert!(out.write);
        assert_eq!(
            out.events[0].1,
            SecurityEventKind::Unlocked { by: "root".into() }
        );
        assert!(!state.throttle.is_locked(T0));
        assert!(!state.unlock(&Actor::administrator("root")).unwrap().write);
    }

    #[test]
    fn counting_a_failure_is_the_opaque_failure() {
        let mut state = AccountState::default();
        let out: Outcome<Result<()>> = state.count_failure(T0, &cfg());
        assert!(out.write && out.events.is_empty());
        assert!(matches!(out.value, Err(Error::VerificationFailed)));
    }
}
