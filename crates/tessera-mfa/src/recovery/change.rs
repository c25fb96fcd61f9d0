//! The pure changes to an account's recovery codes. No I/O, no clock, no async.

use tessera_keyring::KeyId;
use tessera_otp::UnixTime;

use super::RecoveryState;
use crate::codes::secret::{Tag, find_tag};
use crate::state::Outcome;
use crate::{AccountState, Actor, Error, Result, SecurityEventKind, ThrottleConfig};

impl AccountState {
    /// Replaces the recovery set with `fresh` (generated at `now`), voiding the old one.
    /// Only while MFA is on: enabling MFA issues the first set, so no code minted while
    /// MFA was off can survive turning it on (issue 12, item 4).
    pub(crate) fn regenerate_recovery(
        &mut self,
        fresh: &RecoveryState,
        now: UnixTime,
        actor: &Actor,
    ) -> Result<Outcome<()>> {
        if !self.settings.enabled {
            return Err(Error::MfaNotEnabled);
        }
        self.recovery = RecoveryState {
            generated_at: Some(now),
            ..fresh.clone()
        };
        let count = self.recovery.remaining();
        Ok(Outcome::changed(()).with_event(
            actor.clone(),
            SecurityEventKind::RecoveryCodesRegenerated { count },
        ))
    }

    /// Uses up the recovery code whose tag under a key id `candidate` gives, at `now`:
    /// admitted by the throttle, compared with every unused code in constant time, and
    /// a failure counted, in one change. The value is how many codes remain. A set whose
    /// key is not loaded (`candidate` gives `None`) matches nothing, like a wrong code.
    /// The throttle is not reset: only a completed sign-in or step-up does that.
    pub(crate) fn use_recovery_code(
        &mut self,
        candidate: impl FnOnce(&KeyId) -> Result<Option<Tag>>,
        now: UnixTime,
        cfg: &ThrottleConfig,
    ) -> Result<Outcome<Result<usize>>> {
        if let Some(refused) = self.refuse_if_throttled(now) {
            return Ok(refused);
        }
        let tag = candidate(&self.recovery.key_id)?;
        let found = tag.and_then(|tag| find_tag(&self.recovery.unused, &tag));
        let Some(i) = found else {
            return Ok(self.count_failure(now, cfg));
        };
        self.recovery.unused.remove(i);
        let remaining = self.recovery.remaining();
        Ok(Outcome::changed(Ok(remaining)).with_event(
            Actor::AccountHolder,
            SecurityEventKind::RecoveryCodeUsed { remaining },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MfaSettings;
    use crate::codes::secret::single_key_id;

    const T0: UnixTime = UnixTime::from_secs(1_700_000_000);

    fn set(tags: &[Tag]) -> RecoveryState {
        RecoveryState {
            unused: tags.to_vec(),
            key_id: single_key_id(),
            generated_at: None,
        }
    }

    fn enabled_with(tags: &[Tag]) -> AccountState {
        let mut state = AccountState {
            settings: MfaSettings {
                enabled: true,
                preferred: None,
            },
            ..AccountState::default()
        };
        state
            .regenerate_recovery(&set(tags), T0, &Actor::AccountHolder)
            .unwrap();
        state
    }

    #[test]
    fn regenerating_needs_mfa_on_and_says_how_many() {
        let mut off = AccountState::default();
        assert!(matches!(
            off.regenerate_recovery(&set(&[[1; 32]]), T0, &Actor::AccountHolder),
            Err(Error::MfaNotEnabled)
        ));
        let mut state = enabled_with(&[[1; 32]]);
        let out = state
            .regenerate_recovery(&set(&[[2; 32], [3; 32]]), T0, &Actor::AccountHolder)
            .unwrap();
        assert_eq!(
            out.events[0].1,
            SecurityEventKind::RecoveryCodesRegenerated { count: 2 }
        );
        assert_eq!(state.recovery.generated_at, Some(T0));
        assert_eq!(
            state.recovery.unused,
            [[2; 32], [3; 32]],
            "the old set is void"
        );
    }

    #[test]
    fn a_code_is_used_once_and_a_wrong_one_is_counted() {
        let mut state = enabled_with(&[[1; 32], [2; 32]]);
        let cfg = ThrottleConfig::DEFAULT;
        let right = |_: &KeyId| Ok(Some([2; 32]));
        let out = state.use_recovery_code(right, T0, &cfg).unwrap();
        assert_eq!(out.value.unwrap(), 1);
        assert_eq!(
            out.events[0].1,
            SecurityEventKind::RecoveryCodeUsed { remaining: 1 }
        );
        // The same code again is a wrong one now, and counts as a failure.
        let again = state.use_recovery_code(right, T0, &cfg).unwrap();
        assert!(matches!(again.value, Err(Error::VerificationFailed)));
        assert_eq!(state.throttle.failures(), 1);
        // A key that is not loaded matches nothing.
        let unknown = state
            .use_recovery_code(|_: &KeyId| Ok(None), T0, &cfg)
            .unwrap();
        assert!(matches!(unknown.value, Err(Error::VerificationFailed)));
        assert_eq!(state.recovery.remaining(), 1);
    }
}
