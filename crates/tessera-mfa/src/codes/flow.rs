//! Phone numbers, and email/SMS code challenges: send, then verify once.

use tessera_otp::Clock;
use tessera_registry::UserId;

use crate::codes::challenge::StoredChallenge;
use crate::codes::secret::{ServerKey, Tag};
use crate::{
    Account, AccountContext, Actor, ChallengeId, ChallengeTicket, CodeDelivery, CodeMessage,
    Destination, Error, Mfa, MfaMethod, MfaStore, Notified, OneTimeCode, PhoneLink, PhoneNumber,
    Purpose, Result, SecurityNotifier, StoreError, Verified,
};
use tessera_keyring::KeyId;

const OTP_DOMAIN: &str = "tessera-mfa/otp/v1";

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Links `number` to the account, unverified. Linking a different number un-verifies
    /// SMS (telling the account holder with [`SecurityEventKind::PhoneUnlinked`](crate::SecurityEventKind::PhoneUnlinked) when the
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
        self.policy.ensure_allowed(MfaMethod::Sms)?;
        let policy = &self.policy;
        self.modify(ctx, |state, _now| {
            Ok(state.link_phone(ctx, &number, &actor, policy))
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
        self.modify(ctx, |state, _now| {
            Ok(state.unlink_phone(ctx, &actor, policy))
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
        let destination = state.destination(ctx, method, purpose, &self.policy)?;
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
        let (cfg, limits, policy) = (self.challenge, self.limits, &self.policy);
        let expires_at = self
            .modify(ctx, |state, now| {
                if state.destination(ctx, method, purpose, policy)? != destination {
                    return Err(Error::Conflict);
                }
                let challenge = StoredChallenge {
                    id,
                    method,
                    destination: key.as_str().to_owned(),
                    purpose,
                    tag,
                    key_id: key_id.clone(),
                    expires_at: now.saturating_add(cfg.ttl_for(purpose)),
                    attempts_left: cfg.max_attempts(),
                };
                state.store_challenge(challenge, now, &limits)
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
                .modify(user, |state, _now| Ok(state.withdraw_challenge(&id)))
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
    /// verified and emits [`SecurityEventKind::PhoneLinked`](crate::SecurityEventKind::PhoneLinked).
    ///
    /// # Errors
    /// [`Error::InvalidCode`] when the input is not 6 to 10 digits (nothing is counted);
    /// [`Error::VerificationFailed`]; store errors.
    pub async fn verify_code(
        &self,
        account: &(impl Account + ?Sized),
        challenge: &ChallengeId,
        typed: &str,
    ) -> Result<Notified<Verified>> {
        // A lock's notifier error on a failure is dropped here, because the caller sees
        // only the opaque failure; `verify_code_notified` reports it.
        let n = self.verify_code_notified(account, challenge, typed).await?;
        Ok(Notified {
            value: n.value?,
            notify_error: n.notify_error,
        })
    }

    /// [`Mfa::verify_code`], reporting the notifier error of a failure too: when a
    /// wrong code locks the account, the [`SecurityEventKind::LockedOut`](crate::SecurityEventKind::LockedOut) (or
    /// [`SecurityEventKind::LockedPermanently`](crate::SecurityEventKind::LockedPermanently)) notification may fail, and the caller
    /// should log that. The outer `Err` means nothing was checked (invalid input, store
    /// failure, contention); the inner one is the check's opaque
    /// [`Error::VerificationFailed`].
    ///
    /// # Errors
    /// As [`Mfa::verify_code`], split between the outer and the inner result.
    pub async fn verify_code_notified(
        &self,
        account: &(impl Account + ?Sized),
        challenge: &ChallengeId,
        typed: &str,
    ) -> Result<Notified<Result<Verified>>> {
        let code = OneTimeCode::parse(typed)?;
        let server_key = &self.key;
        let throttle = self.throttle;
        let policy = &self.policy;
        let user = account.user();
        self.modify(account, |state, now| {
            // The candidate's tag under the key the stored tag names, computed here
            // because that is only known once the state is loaded.
            let candidate = |key_id: &KeyId| code_tag(server_key, key_id, user, challenge, &code);
            state.verify_challenge(challenge, candidate, now, policy, &throttle)
        })
        .await
    }

    async fn reserve_destination(&self, destination: &Destination) -> Result<()> {
        let key = destination.key();
        for _ in 0..self.store_attempts {
            let mut state = self.store.load_destination(&key).await?;
            state.value.record_send(self.clock.now(), &self.limits)?;
            match self.store.save_destination(&key, &state).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_tag_is_bound_to_the_account_and_the_challenge() {
        let key = ServerKey::from_bytes(&[0x42; 32]).unwrap();
        let kid = key.active_id().clone();
        let code = OneTimeCode::parse("123456").unwrap();
        let (ana, bob) = (UserId::new("ana"), UserId::new("bob"));
        let (a, b) = (
            ChallengeId::parse("000102030405060708090a0b0c0d0e0f").unwrap(),
            ChallengeId::parse("0f0e0d0c0b0a09080706050403020100").unwrap(),
        );
        let tag = |u: &UserId, id: &ChallengeId| code_tag(&key, &kid, u, id, &code).unwrap();
        let t = tag(&ana, &a);
        assert!(t.is_some());
        assert_eq!(t, tag(&ana, &a));
        assert_ne!(t, tag(&ana, &b), "another challenge");
        assert_ne!(t, tag(&bob, &a), "another account");
    }
}
