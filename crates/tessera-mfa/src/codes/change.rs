//! The pure changes of phone links and email/SMS challenges to an account's state:
//! linking and unlinking a number, storing, withdrawing and checking a challenge. No
//! I/O, no clock, no async: [`Mfa`](crate::Mfa) loads, applies one of these and saves.

use tessera_keyring::KeyId;
use tessera_otp::UnixTime;

use super::challenge::{MAX_PENDING_CHALLENGES, StoredChallenge};
use super::secret::{Tag, tags_equal};
use crate::state::Outcome;
use crate::{
    AccountContext, AccountState, Actor, AvailabilityTable, ChallengeId, Destination,
    DestinationState, Error, MfaMethod, MfaSettings, OrgPolicy, PhoneLink, PhoneNumber, Purpose,
    Result, SecurityEventKind, SendLimits, ThrottleConfig, Verified,
};

impl DestinationState {
    /// Counts a send to this destination at `now`, within its budget of `limits` (one
    /// budget for every account that sends to it, so one phone number cannot be pumped
    /// through many accounts).
    pub(crate) fn record_send(&mut self, now: UnixTime, limits: &SendLimits) -> Result<()> {
        limits.check(&mut self.sends, now, limits.per_destination())?;
        self.sends.push(now);
        Ok(())
    }
}

impl AccountState {
    /// Links `number`, unverified. A different number un-verifies SMS (told when the old
    /// one was verified, with the fallback from SMS); the same number changes nothing.
    pub(crate) fn link_phone(
        &mut self,
        ctx: &AccountContext,
        number: &PhoneNumber,
        actor: &Actor,
        policy: &OrgPolicy,
    ) -> Outcome<PhoneLink> {
        if let Some(old) = &self.phone
            && old.number == *number
        {
            return Outcome::unchanged(old.clone());
        }
        let link = PhoneLink {
            number: number.clone(),
            verified_at: None,
        };
        let out = self.drop_phone(ctx, policy, actor);
        self.phone = Some(link.clone());
        Outcome {
            write: true,
            value: link,
            events: out.events,
        }
    }

    /// Removes the phone number, if any (see [`AccountState::link_phone`]).
    pub(crate) fn unlink_phone(
        &mut self,
        ctx: &AccountContext,
        actor: &Actor,
        policy: &OrgPolicy,
    ) -> Outcome<()> {
        if self.phone.is_none() {
            return Outcome::unchanged(());
        }
        let out = self.drop_phone(ctx, policy, actor);
        Outcome {
            write: true,
            value: (),
            events: out.events,
        }
    }

    /// Removes the phone link and SMS challenges; the events and the fallback that follow.
    fn drop_phone(
        &mut self,
        ctx: &AccountContext,
        policy: &OrgPolicy,
        actor: &Actor,
    ) -> Outcome<MfaSettings> {
        let was_verified = self.phone.take().is_some_and(|p| p.is_verified());
        self.challenges.retain(|c| c.method != MfaMethod::Sms);
        let mut out = self.reconcile(ctx, policy);
        if was_verified {
            out.events
                .insert(0, (actor.clone(), SecurityEventKind::PhoneUnlinked));
        }
        out
    }

    /// Where a code for `method` and `purpose` goes, or why none can be sent.
    pub(crate) fn destination(
        &self,
        ctx: &AccountContext,
        method: MfaMethod,
        purpose: Purpose,
        policy: &OrgPolicy,
    ) -> Result<Destination> {
        if !matches!(method, MfaMethod::Email | MfaMethod::Sms) {
            return Err(Error::NotSentByCode { method });
        }
        let phone = || {
            self.phone
                .as_ref()
                .map(|p| Destination::Sms(p.number.clone()))
                .ok_or(Error::NoPhoneNumber)
        };
        if purpose == Purpose::PasswordReset {
            // The account's own address, whatever MFA offers: the code proves control of
            // the inbox, and is never a second factor.
            if method != MfaMethod::Email {
                return Err(Error::NotSentByCode { method });
            }
            return ctx
                .email()
                .map(|e| Destination::Email(e.clone()))
                .ok_or(Error::NoEmailAddress);
        }
        if purpose == Purpose::PhoneVerification {
            if method != MfaMethod::Sms {
                return Err(Error::PhoneVerificationBySmsOnly);
            }
            policy.ensure_allowed(MfaMethod::Sms)?;
            return phone();
        }
        let table = AvailabilityTable::compute(ctx, self, policy);
        if let Some(reason) = table.get(method).reason() {
            return Err(Error::MethodUnavailable { method, reason });
        }
        match method {
            MfaMethod::Email => ctx
                .email()
                .map(|e| Destination::Email(e.clone()))
                .ok_or(Error::NoEmailAddress),
            _ => phone(),
        }
    }

    /// Stores `challenge` at `now` within the account's send budget (`limits`), after
    /// dropping expired challenges; at [`MAX_PENDING_CHALLENGES`] the oldest goes. A
    /// locked account gets no challenge. The value is the challenge's expiry.
    pub(crate) fn store_challenge(
        &mut self,
        challenge: StoredChallenge,
        now: UnixTime,
        limits: &SendLimits,
    ) -> Result<Outcome<UnixTime>> {
        if self.throttle.is_locked(now) {
            return Err(Error::VerificationFailed);
        }
        limits.check(&mut self.sends, now, limits.per_account())?;
        self.sends.push(now);
        self.challenges.retain(|c| c.expires_at > now);
        if self.challenges.len() >= MAX_PENDING_CHALLENGES {
            self.challenges.remove(0);
        }
        let expires_at = challenge.expires_at;
        self.challenges.push(challenge);
        Ok(Outcome::changed(expires_at))
    }

    /// Withdraws a challenge whose message could not be delivered.
    pub(crate) fn withdraw_challenge(&mut self, id: &ChallengeId) -> Outcome<()> {
        let before = self.challenges.len();
        self.challenges.retain(|c| c.id != *id);
        Outcome::written(self.challenges.len() != before, ())
    }

    /// Checks a typed code against challenge `id` at `now`: admitted by the throttle,
    /// checked, and a failure counted, in one change. `candidate` gives the typed
    /// code's tag under the key the stored tag names. A challenge whose method the
    /// policy no longer allows is withdrawn unchecked. A phone verification marks the
    /// number verified. The throttle is not reset here: only a completed sign-in or
    /// step-up does that, never a phone verification or a code on its own.
    pub(crate) fn verify_challenge(
        &mut self,
        id: &ChallengeId,
        candidate: impl FnOnce(&KeyId) -> Result<Option<Tag>>,
        now: UnixTime,
        policy: &OrgPolicy,
        cfg: &ThrottleConfig,
    ) -> Result<Outcome<Result<Verified>>> {
        if let Some(refused) = self.refuse_if_throttled(now) {
            return Ok(refused);
        }
        // A challenge sent before the policy stopped allowing its method (e.g. email
        // excluded as a second factor) is withdrawn unchecked.
        let before = self.challenges.len();
        self.challenges.retain(|c| {
            c.id != *id
                || matches!(
                    c.purpose,
                    Purpose::PhoneVerification | Purpose::PasswordReset
                )
                || policy.allows(c.method)
        });
        if self.challenges.len() != before {
            return Ok(Outcome::changed(Err(Error::VerificationFailed)));
        }
        let Some(verified) = self.check_challenge(id, candidate, now)? else {
            return Ok(self.count_failure(now, cfg));
        };
        let mut out = Outcome::changed(Ok(verified));
        if verified.purpose == Purpose::PhoneVerification {
            if let Some(p) = self.phone.as_mut() {
                p.verified_at = Some(now);
            }
            out = out.with_event(Actor::AccountHolder, SecurityEventKind::PhoneLinked);
        }
        Ok(out)
    }

    /// Consumes the challenge on a match, spends an attempt (or removes it when expired
    /// or exhausted) otherwise. A stored tag whose key is not loaded matches nothing,
    /// exactly like a wrong code.
    fn check_challenge(
        &mut self,
        id: &ChallengeId,
        candidate: impl FnOnce(&KeyId) -> Result<Option<Tag>>,
        now: UnixTime,
    ) -> Result<Option<Verified>> {
        let Some(idx) = self.challenges.iter().position(|c| &c.id == id) else {
            return Ok(None);
        };
        let Some(c) = self.challenges.get_mut(idx) else {
            return Ok(None);
        };
        // Valid while now < expires_at: at the expiry instant the code is dead.
        if now >= c.expires_at || c.attempts_left == 0 {
            self.challenges.remove(idx);
            return Ok(None);
        }
        let matched = candidate(&c.key_id)?.is_some_and(|tag| tags_equal(&c.tag, &tag));
        if matched {
            let verified = Verified {
                method: c.method,
                purpose: c.purpose,
            };
            let destination_still_linked = match c.purpose {
                Purpose::PhoneVerification => self.phone.as_ref().is_some_and(|p| {
                    Destination::Sms(p.number.clone()).key().as_str() == c.destination
                }),
                _ => true,
            };
            self.challenges.remove(idx);
            return Ok(destination_still_linked.then_some(verified));
        }
        c.attempts_left -= 1;
        if c.attempts_left == 0 {
            self.challenges.remove(idx);
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tessera_registry::UserId;

    use super::*;
    use crate::codes::secret::single_key_id;

    const T0: UnixTime = UnixTime::from_secs(1_700_000_000);
    const TAG: Tag = [7; 32];

    fn challenge(purpose: Purpose, destination: &str) -> StoredChallenge {
        StoredChallenge {
            id: ChallengeId::generate().unwrap(),
            method: MfaMethod::Sms,
            destination: destination.to_owned(),
            purpose,
            tag: TAG,
            key_id: single_key_id(),
            expires_at: T0.saturating_add(Duration::from_secs(300)),
            attempts_left: 2,
        }
    }

    /// The typed code's tag: the stored one when `right`.
    fn typed(right: bool) -> impl FnOnce(&KeyId) -> Result<Option<Tag>> {
        move |_| Ok(Some(if right { TAG } else { [8; 32] }))
    }

    fn ctx() -> AccountContext {
        AccountContext::new(UserId::new("ana"))
    }

    fn linked() -> (AccountState, PhoneNumber) {
        let number = PhoneNumber::parse("+44 7700 900123").unwrap();
        let mut state = AccountState::default();
        let out = state.link_phone(
            &ctx(),
            &number,
            &Actor::AccountHolder,
            &OrgPolicy::default(),
        );
        assert!(
            out.write && out.events.is_empty(),
            "an unverified link tells nobody"
        );
        (state, number)
    }

    fn verify(
        state: &mut AccountState,
        id: &ChallengeId,
        candidate: impl FnOnce(&KeyId) -> Result<Option<Tag>>,
        at: UnixTime,
    ) -> Outcome<Result<Verified>> {
        let policy = OrgPolicy::default();
        state
            .verify_challenge(id, candidate, at, &policy, &ThrottleConfig::DEFAULT)
            .unwrap()
    }

    #[test]
    fn a_phone_verification_succeeds_once_and_marks_the_number() {
        let (mut state, number) = linked();
        let key = Destination::Sms(number).key();
        let c = challenge(Purpose::PhoneVerification, key.as_str());
        let id = c.id;
        state.store_challenge(c, T0, &SendLimits::DEFAULT).unwrap();
        let out = verify(&mut state, &id, typed(true), T0);
        assert!(out.value.is_ok());
        assert_eq!(out.events[0].1, SecurityEventKind::PhoneLinked);
        assert!(state.phone().unwrap().is_verified());
        // Used: the same code again is the opaque failure, counted.
        let again = verify(&mut state, &id, typed(true), T0);
        assert!(matches!(again.value, Err(Error::VerificationFailed)));
        assert_eq!(state.throttle.failures(), 1);
        // Unlinking a verified number is told.
        let out = state.unlink_phone(&ctx(), &Actor::AccountHolder, &OrgPolicy::default());
        assert_eq!(out.events[0].1, SecurityEventKind::PhoneUnlinked);
        assert!(state.phone().is_none());
    }

    #[test]
    fn wrong_codes_use_up_the_attempts_and_expiry_is_exclusive() {
        let (mut state, number) = linked();
        let key = Destination::Sms(number).key();
        let c = challenge(Purpose::PhoneVerification, key.as_str());
        let id = c.id;
        state.store_challenge(c, T0, &SendLimits::DEFAULT).unwrap();
        assert!(verify(&mut state, &id, typed(false), T0).value.is_err());
        assert!(verify(&mut state, &id, typed(false), T0).value.is_err());
        assert_eq!(state.pending_challenges(), 0, "two attempts, then gone");

        let c = challenge(Purpose::PhoneVerification, key.as_str());
        let (id, expires_at) = (c.id, c.expires_at);
        let later = T0.saturating_add(Duration::from_secs(60));
        state
            .store_challenge(c, later, &SendLimits::DEFAULT)
            .unwrap();
        assert!(
            verify(&mut state, &id, typed(true), expires_at)
                .value
                .is_err()
        );
        assert!(!state.phone().unwrap().is_verified());
    }

    #[test]
    fn a_code_for_a_number_no_longer_linked_fails() {
        let (mut state, _) = linked();
        let c = challenge(Purpose::PhoneVerification, "sms:+447700900999");
        let id = c.id;
        state.store_challenge(c, T0, &SendLimits::DEFAULT).unwrap();
        assert!(verify(&mut state, &id, typed(true), T0).value.is_err());
        assert!(!state.phone().unwrap().is_verified());
    }

    #[test]
    fn a_destination_budget_is_counted_once_per_send() {
        let mut dest = DestinationState::default();
        let limits = SendLimits::DEFAULT;
        let mut now = T0;
        for _ in 0..limits.per_destination() {
            dest.record_send(now, &limits).unwrap();
            now = now.saturating_add(Duration::from_secs(60));
        }
        assert!(matches!(
            dest.record_send(now, &limits),
            Err(Error::SendLimitReached { .. })
        ));
        assert_eq!(dest.sends.len(), 5, "a refused send is not counted");
    }

    #[test]
    fn storing_drops_a_challenge_that_expires_at_that_instant() {
        let mut state = AccountState::default();
        let limits = SendLimits::DEFAULT;
        let mut old = challenge(Purpose::SignIn, "email:a@example.com");
        old.expires_at = T0;
        let live = StoredChallenge {
            expires_at: T0.saturating_add(Duration::from_secs(1)),
            ..challenge(Purpose::SignIn, "email:a@example.com")
        };
        state.challenges = vec![old, live.clone()];
        let new = challenge(Purpose::SignIn, "email:a@example.com");
        state.store_challenge(new.clone(), T0, &limits).unwrap();
        assert_eq!(state.challenges, [live, new]);
    }

    #[test]
    fn storing_respects_the_budget_the_lock_and_the_cap() {
        let mut state = AccountState::default();
        let limits = SendLimits::DEFAULT;
        let c = challenge(Purpose::SignIn, "email:a@example.com");
        state.store_challenge(c.clone(), T0, &limits).unwrap();
        assert!(matches!(
            state.store_challenge(c.clone(), T0, &limits),
            Err(Error::ResendTooSoon { .. })
        ));
        let withdrawn = state.withdraw_challenge(&c.id);
        assert!(withdrawn.write);
        assert!(!state.withdraw_challenge(&c.id).write);
        state.challenges.clear();
        for _ in 0..MAX_PENDING_CHALLENGES {
            state.challenges.push(challenge(Purpose::SignIn, "x"));
        }
        let oldest = state.challenges[0].id;
        state.sends.clear();
        state.store_challenge(c.clone(), T0, &limits).unwrap();
        assert_eq!(state.pending_challenges(), MAX_PENDING_CHALLENGES);
        assert!(
            state.challenges.iter().all(|p| p.id != oldest),
            "the oldest goes"
        );
        state.throttle.locked_permanently = true;
        state.sends.clear();
        assert!(matches!(
            state.store_challenge(c, T0, &limits),
            Err(Error::VerificationFailed)
        ));
    }
}
