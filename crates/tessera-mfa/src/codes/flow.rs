//! Phone numbers, and email/SMS code challenges: send, then verify once.

use tessera_otp::{Clock, UnixTime};
use tessera_registry::UserId;

use crate::codes::challenge::{MAX_PENDING_CHALLENGES, StoredChallenge};
use crate::codes::secret::{ServerKey, Tag, tags_equal};
use crate::state::Outcome;
use crate::{
    AccountContext, AccountState, Actor, AvailabilityTable, ChallengeId, ChallengeTicket,
    CodeDelivery, CodeMessage, Destination, Error, Mfa, MfaMethod, MfaStore, Notified, OneTimeCode,
    PhoneLink, PhoneNumber, Purpose, Result, SecurityEventKind, SecurityNotifier, StoreError,
    Unavailable, Verified,
};
use tessera_keyring::KeyId;

const OTP_DOMAIN: &str = "tessera-mfa/otp/v1";

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Links `number` to the account, unverified. Linking a different number un-verifies
    /// SMS (telling the account holder with [`SecurityEventKind::PhoneUnlinked`] when the
    /// old one was verified, and falling back from SMS if it was preferred); linking the
    /// same number again changes nothing. Verify it with [`Mfa::send_code`] for
    /// [`Purpose::PhoneVerification`], then [`Mfa::verify_code`].
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; [`Error::MethodUnavailable`] when the policy
    /// disallows SMS; store errors.
    pub async fn link_phone(
        &self,
        ctx: &AccountContext,
        number: PhoneNumber,
        actor: Actor,
    ) -> Result<Notified<PhoneLink>> {
        ctx.ensure_local()?;
        if !self.policy.allows(MfaMethod::Sms) {
            return Err(Error::MethodUnavailable {
                method: MfaMethod::Sms,
                reason: Unavailable::DisabledByPolicy,
            });
        }
        let policy = &self.policy;
        self.modify(ctx.user(), |state, _now| {
            let link = PhoneLink {
                number: number.clone(),
                verified_at: None,
            };
            if let Some(old) = &state.phone
                && old.number == number
            {
                return Ok(Outcome::unchanged(old.clone()));
            }
            let out = drop_phone(ctx, state, policy, actor.clone());
            state.phone = Some(link.clone());
            Ok(Outcome {
                write: true,
                value: link,
                events: out.events,
            })
        })
        .await
    }

    /// Removes the phone number. SMS stops being available; the account holder is told
    /// when it was verified, and a preferred SMS method falls back.
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; store errors.
    pub async fn unlink_phone(&self, ctx: &AccountContext, actor: Actor) -> Result<Notified<()>> {
        ctx.ensure_local()?;
        let policy = &self.policy;
        self.modify(ctx.user(), |state, _now| {
            if state.phone.is_none() {
                return Ok(Outcome::unchanged(()));
            }
            let out = drop_phone(ctx, state, policy, actor.clone());
            Ok(Outcome {
                write: true,
                value: (),
                events: out.events,
            })
        })
        .await
    }

    /// Sends a one-time code by email or SMS and returns the challenge to complete.
    ///
    /// For [`Purpose::SignIn`] and [`Purpose::StepUp`] the method must be available to
    /// the account (see [`Mfa::availability`]); for [`Purpose::PhoneVerification`] it must
    /// be SMS and go to the linked number, verified or not. Send limits apply per account
    /// and per destination. The challenge is stored before the message is sent; if the
    /// delivery fails, the challenge is withdrawn and the error returned (the send still
    /// counts against the limits, so a failing provider cannot be used to pump).
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] (opaque) while the account is locked, before any
    /// send budget is reserved; [`Error::ManagedByIdentityProvider`],
    /// [`Error::NotSentByCode`], [`Error::PhoneVerificationBySmsOnly`],
    /// [`Error::MethodUnavailable`],
    /// [`Error::NoPhoneNumber`], [`Error::SendLimitReached`], [`Error::ResendTooSoon`],
    /// [`Error::Delivery`], [`Error::Randomness`], store errors.
    pub async fn send_code<D: CodeDelivery>(
        &self,
        ctx: &AccountContext,
        method: MfaMethod,
        purpose: Purpose,
        delivery: &D,
    ) -> Result<ChallengeTicket> {
        ctx.ensure_local()?;
        let user = ctx.user();
        // 1. Read-only checks first, so a refused send reserves nothing. A locked
        //    account gets no code (it could not be checked anyway) and learns nothing
        //    more than from a wrong code.
        let state = self.account_state(user).await?;
        if state.throttle.is_locked(self.clock.now()) {
            return Err(Error::VerificationFailed);
        }
        let destination = self.destination(ctx, &state, method, purpose)?;
        let mut sends = state.sends.clone();
        self.limits
            .check(&mut sends, self.clock.now(), self.limits.per_account())?;

        // 2. Reserve the destination's budget (shared by every account sending to it).
        //    If step 3 then fails, the reservation stays: over-counting is the safe side.
        self.reserve_destination(&destination).await?;

        // 3. Store the challenge (re-checking the account's budget atomically).
        let id = ChallengeId::generate()?;
        let code = OneTimeCode::generate(self.challenge.digits())?;
        let key_id = self.key.active_id().clone();
        let tag = code_tag(&self.key, &key_id, user, &id, &code)?
            .ok_or(Error::InvalidConfig("the active server key is missing"))?;
        let key = destination.key();
        let (cfg, limits) = (self.challenge, self.limits);
        let expires_at = self
            .modify(user, |state, now| {
                if self.destination(ctx, state, method, purpose)? != destination {
                    return Err(Error::Conflict);
                }
                if state.throttle.is_locked(now) {
                    return Err(Error::VerificationFailed);
                }
                limits.check(&mut state.sends, now, limits.per_account())?;
                state.sends.push(now);
                state.challenges.retain(|c| c.expires_at > now);
                if state.challenges.len() >= MAX_PENDING_CHALLENGES {
                    state.challenges.remove(0);
                }
                let expires_at = now.saturating_add(cfg.ttl());
                state.challenges.push(StoredChallenge {
                    id,
                    method,
                    destination: key.as_str().to_owned(),
                    purpose,
                    tag,
                    key_id: key_id.clone(),
                    expires_at,
                    attempts_left: cfg.max_attempts(),
                });
                Ok(Outcome::changed(expires_at))
            })
            .await?
            .value;

        // 4. Deliver; on failure the challenge must not stay usable.
        let message = CodeMessage {
            destination: destination.clone(),
            purpose,
            code,
            expires_at,
        };
        if let Err(e) = delivery.deliver(&message).await {
            // Best effort: if withdrawing fails too, nobody has the code anyway.
            let _ = self
                .modify(user, |state, _now| {
                    let before = state.challenges.len();
                    state.challenges.retain(|c| c.id != id);
                    Ok(Outcome {
                        write: state.challenges.len() != before,
                        value: (),
                        events: Vec::new(),
                    })
                })
                .await;
            return Err(Error::Delivery(e));
        }
        Ok(ChallengeTicket {
            id,
            method,
            purpose,
            destination_hint: destination.masked(),
            expires_at,
        })
    }

    /// Completes a challenge with the code the person typed.
    ///
    /// Succeeds at most once per challenge, also under concurrent calls (the conditional
    /// save decides). Wrong codes use up the challenge's attempts; an expired, used,
    /// unknown or exhausted challenge, a wrong code and a throttled or locked account all
    /// give the same [`Error::VerificationFailed`]. The throttle admits the attempt, the
    /// code is checked and a failure counted in one conditional save, so a burst gets no
    /// more checks than the throttle admits. A success consumes the challenge but does
    /// **not** reset the throttle: call [`Mfa::authentication_completed`] once the
    /// sign-in or step-up is complete (never after a phone verification). A successful [`Purpose::PhoneVerification`] marks the number
    /// verified and emits [`SecurityEventKind::PhoneLinked`].
    ///
    /// # Errors
    /// [`Error::InvalidCode`] when the input is not 6 to 10 digits (nothing is counted);
    /// [`Error::VerificationFailed`]; store errors.
    pub async fn verify_code(
        &self,
        user: &UserId,
        challenge: &ChallengeId,
        typed: &str,
    ) -> Result<Notified<Verified>> {
        // A lock's notifier error on a failure is dropped here, because the caller sees
        // only the opaque failure; `verify_code_notified` reports it.
        let n = self.verify_code_notified(user, challenge, typed).await?;
        Ok(Notified {
            value: n.value?,
            notify_error: n.notify_error,
        })
    }

    /// [`Mfa::verify_code`], reporting the notifier error of a failure too: when a
    /// wrong code locks the account, the [`SecurityEventKind::LockedOut`] (or
    /// [`SecurityEventKind::LockedPermanently`]) notification may fail, and the caller
    /// should log that. The outer `Err` means nothing was checked (invalid input, store
    /// failure, contention); the inner one is the check's opaque
    /// [`Error::VerificationFailed`].
    ///
    /// # Errors
    /// As [`Mfa::verify_code`], split between the outer and the inner result.
    pub async fn verify_code_notified(
        &self,
        user: &UserId,
        challenge: &ChallengeId,
        typed: &str,
    ) -> Result<Notified<Result<Verified>>> {
        let code = OneTimeCode::parse(typed)?;
        let server_key = &self.key;
        let throttle = self.throttle;
        let policy = &self.policy;
        let n = self
            .modify(user, |state, now| {
                if let Some(refused) = state.refuse_if_throttled(now) {
                    return Ok(refused);
                }
                // A challenge sent before the policy stopped allowing its method (e.g.
                // email excluded as a second factor) is withdrawn unchecked.
                let before = state.challenges.len();
                state.challenges.retain(|c| {
                    c.id != *challenge
                        || c.purpose == Purpose::PhoneVerification
                        || policy.allows(c.method)
                });
                if state.challenges.len() != before {
                    return Ok(Outcome::changed(Err(Error::VerificationFailed)));
                }
                // The candidate's tag under the key the stored tag names, computed here
                // because that is only known once the state is loaded.
                let candidate =
                    |key_id: &KeyId| code_tag(server_key, key_id, user, challenge, &code);
                match check_challenge(state, challenge, candidate, now)? {
                    Some(verified) => {
                        // No reset here: only a completed sign-in or step-up resets
                        // the count (`Mfa::authentication_completed`), never a phone
                        // verification or a code on its own.
                        let mut out = Outcome::changed(Ok(verified));
                        if verified.purpose == Purpose::PhoneVerification {
                            if let Some(p) = state.phone.as_mut() {
                                p.verified_at = Some(now);
                            }
                            out = out
                                .with_event(Actor::AccountHolder, SecurityEventKind::PhoneLinked);
                        }
                        Ok(out)
                    }
                    None => Ok(state.count_failure(now, &throttle)),
                }
            })
            .await?;
        Ok(n)
    }

    fn destination(
        &self,
        ctx: &AccountContext,
        state: &AccountState,
        method: MfaMethod,
        purpose: Purpose,
    ) -> Result<Destination> {
        if !matches!(method, MfaMethod::Email | MfaMethod::Sms) {
            return Err(Error::NotSentByCode { method });
        }
        if purpose == Purpose::PhoneVerification {
            if method != MfaMethod::Sms {
                return Err(Error::PhoneVerificationBySmsOnly);
            }
            if !self.policy.allows(MfaMethod::Sms) {
                return Err(Error::MethodUnavailable {
                    method,
                    reason: Unavailable::DisabledByPolicy,
                });
            }
            return state
                .phone
                .as_ref()
                .map(|p| Destination::Sms(p.number.clone()))
                .ok_or(Error::NoPhoneNumber);
        }
        let table = AvailabilityTable::compute(ctx, state, &self.policy);
        if let Some(reason) = table.get(method).reason() {
            return Err(Error::MethodUnavailable { method, reason });
        }
        match method {
            MfaMethod::Email => ctx
                .email()
                .map(|e| Destination::Email(e.clone()))
                .ok_or(Error::NoEmailAddress),
            _ => state
                .phone
                .as_ref()
                .map(|p| Destination::Sms(p.number.clone()))
                .ok_or(Error::NoPhoneNumber),
        }
    }

    async fn reserve_destination(&self, destination: &Destination) -> Result<()> {
        let key = destination.key();
        for _ in 0..self.store_attempts {
            let loaded = self.store.load_destination(&key).await?;
            let mut state = loaded.value;
            let now = self.clock.now();
            self.limits
                .check(&mut state.sends, now, self.limits.per_destination())?;
            state.sends.push(now);
            match self
                .store
                .save_destination(&key, loaded.version, &state)
                .await
            {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict)
    }
}

/// Removes the phone link and SMS challenges; the events and the fallback that follow.
fn drop_phone(
    ctx: &AccountContext,
    state: &mut AccountState,
    policy: &crate::OrgPolicy,
    actor: Actor,
) -> Outcome<crate::MfaSettings> {
    let was_verified = state.phone.take().is_some_and(|p| p.is_verified());
    state.challenges.retain(|c| c.method != MfaMethod::Sms);
    let mut out = state.reconcile(ctx, policy);
    if was_verified {
        out.events
            .insert(0, (actor, SecurityEventKind::PhoneUnlinked));
    }
    out
}

/// The keyed hash of `code` for challenge `id` of `user` under the server key `key_id`;
/// `None` when that key is not loaded.
fn code_tag(
    key: &ServerKey,
    key_id: &KeyId,
    user: &UserId,
    id: &ChallengeId,
    code: &OneTimeCode,
) -> Result<Option<Tag>> {
    key.tag_with(
        key_id,
        OTP_DOMAIN,
        &[
            user.as_str().as_bytes(),
            id.as_bytes(),
            code.expose().as_bytes(),
        ],
    )
}

/// Checks the typed code against the challenge `id`, with `candidate` giving its tag
/// under the key the stored tag names: consumes the challenge on success, spends an
/// attempt (or removes it when expired or exhausted) on failure. A stored tag whose key
/// is not loaded matches nothing, exactly like a wrong code.
fn check_challenge(
    state: &mut AccountState,
    id: &ChallengeId,
    candidate: impl FnOnce(&KeyId) -> Result<Option<Tag>>,
    now: UnixTime,
) -> Result<Option<Verified>> {
    let Some(idx) = state.challenges.iter().position(|c| &c.id == id) else {
        return Ok(None);
    };
    let Some(c) = state.challenges.get_mut(idx) else {
        return Ok(None);
    };
    // Valid while now < expires_at: at the expiry instant the code is dead.
    if now >= c.expires_at || c.attempts_left == 0 {
        state.challenges.remove(idx);
        return Ok(None);
    }
    let matched = candidate(&c.key_id)?.is_some_and(|tag| tags_equal(&c.tag, &tag));
    if matched {
        let verified = Verified {
            method: c.method,
            purpose: c.purpose,
        };
        let destination_still_linked = match c.purpose {
            Purpose::PhoneVerification => state.phone.as_ref().is_some_and(|p| {
                Destination::Sms(p.number.clone()).key().as_str() == c.destination
            }),
            _ => true,
        };
        state.challenges.remove(idx);
        return Ok(destination_still_linked.then_some(verified));
    }
    c.attempts_left -= 1;
    if c.attempts_left == 0 {
        state.challenges.remove(idx);
    }
    Ok(None)
}
