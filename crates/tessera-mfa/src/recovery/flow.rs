//! Generating and using recovery codes.

use tessera_otp::Clock;
use tessera_registry::UserId;

use crate::recovery::RecoveryState;
use crate::{
    AccountContext, Actor, Error, Mfa, MfaMethod, MfaStore, Notified, RecoveryCode,
    RecoveryCodeSet, Result, SecurityNotifier, Unavailable,
};
use tessera_keyring::KeyId;

use crate::codes::secret::HeldSecret;

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Generates a new set of recovery codes (default 10) to show once, voiding the old
    /// set. Only keyed hashes are stored. Emits
    /// [`SecurityEventKind::RecoveryCodesRegenerated`](crate::SecurityEventKind::RecoveryCodesRegenerated).
    ///
    /// Only while MFA is on: [`Mfa::enable`] issues the first set, so no code minted
    /// while MFA was off can survive turning it on.
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; [`Error::MethodUnavailable`] when the policy
    /// disallows recovery codes; [`Error::MfaNotEnabled`] while MFA is off;
    /// [`Error::Randomness`]; store errors.
    pub async fn regenerate_recovery_codes(
        &self,
        ctx: &AccountContext,
        actor: Actor,
    ) -> Result<Notified<RecoveryCodeSet>> {
        ctx.ensure_local()?;
        self.policy.ensure_allowed(MfaMethod::RecoveryCode)?;
        let user = ctx.user();
        let (codes, tags) = self.new_recovery_codes(user)?;
        let fresh = RecoveryState {
            unused: tags,
            key_id: self.key.active_id().clone(),
            generated_at: None,
        };
        let n = self
            .modify(ctx, |state, now| {
                state.regenerate_recovery(&fresh, now, &actor)
            })
            .await?;
        Ok(Notified {
            value: RecoveryCodeSet { codes },
            notify_error: n.notify_error,
        })
    }

    /// Signs in with a recovery code: on success the code is used up (the throttle is
    /// not reset: call [`Mfa::authentication_completed`] once the sign-in or step-up is
    /// complete), and [`SecurityEventKind::RecoveryCodeUsed`](crate::SecurityEventKind::RecoveryCodeUsed) tells the account holder how many
    /// remain (the returned value). The typed code is compared, in constant time, with
    /// every unused code.
    ///
    /// # Errors
    /// [`Error::InvalidCode`] when the input cannot be a recovery code (nothing counted);
    /// [`Error::MethodUnavailable`] for identity-provider accounts or when the policy
    /// disallows recovery codes; the opaque [`Error::VerificationFailed`] for a wrong or
    /// used code or a throttled account; store errors.
    pub async fn use_recovery_code(
        &self,
        ctx: &AccountContext,
        typed: &str,
    ) -> Result<Notified<usize>> {
        // A lock's notifier error on a failure is dropped here, because the caller sees
        // only the opaque failure; `use_recovery_code_notified` reports it.
        let n = self.use_recovery_code_notified(ctx, typed).await?;
        Ok(Notified {
            value: n.value?,
            notify_error: n.notify_error,
        })
    }

    /// [`Mfa::use_recovery_code`], reporting the notifier error of a failure too (the
    /// lock notification a wrong code may trigger). The outer `Err` means nothing was
    /// checked; the inner one is the check's opaque [`Error::VerificationFailed`].
    ///
    /// # Errors
    /// As [`Mfa::use_recovery_code`], split between the outer and the inner result.
    pub async fn use_recovery_code_notified(
        &self,
        ctx: &AccountContext,
        typed: &str,
    ) -> Result<Notified<Result<usize>>> {
        let method = MfaMethod::RecoveryCode;
        if ctx.identity_provider().is_some() {
            return Err(Error::MethodUnavailable {
                method,
                reason: Unavailable::ManagedByIdentityProvider,
            });
        }
        self.policy.ensure_allowed(method)?;
        let code = RecoveryCode::parse(typed)?;
        let user = ctx.user();
        let server_key = &self.key;
        let throttle = self.throttle;
        self.modify(ctx, |state, now| {
            // Under the key the stored set names.
            let candidate = |key_id: &KeyId| code.tag_with(server_key, key_id, user.as_str());
            state.use_recovery_code(candidate, now, &throttle)
        })
        .await
    }

    /// A fresh set of codes and their keyed hashes for `user`.
    pub(crate) fn new_recovery_codes(
        &self,
        user: &UserId,
    ) -> Result<(Vec<RecoveryCode>, Vec<crate::codes::secret::Tag>)> {
        let codes = (0..self.recovery_codes)
            .map(|_| RecoveryCode::generate())
            .collect::<Result<Vec<_>>>()?;
        let tags = codes
            .iter()
            .map(|c| c.tag(&self.key, user.as_str()))
            .collect::<Result<Vec<_>>>()?;
        Ok((codes, tags))
    }

    /// How many unused recovery codes the account has, so a UI can warn when few remain.
    ///
    /// # Errors
    /// Store errors.
    pub async fn recovery_codes_remaining(&self, user: &UserId) -> Result<usize> {
        Ok(self.account_state(user).await?.recovery.remaining())
    }
}
