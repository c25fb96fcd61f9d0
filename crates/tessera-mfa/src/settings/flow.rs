//! Enabling, disabling and choosing methods; fallback; device and password events.

use tessera_otp::Clock;
use tessera_registry::{DeviceKind, UserId};

use crate::{
    Account, AccountContext, Actor, AvailabilityTable, Error, Mfa, MfaMethod, MfaSettings,
    MfaStore, Notified, Result, SecurityEventKind, SecurityNotifier,
};

/// What sign-in needs after the password, for one account.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignInPlan {
    /// MFA is off and the organisation does not require it.
    NoSecondFactor,
    /// The organisation requires MFA but the account has not enabled it: the application
    /// must send the person through enrolment.
    EnrolmentRequired,
    /// Ask for a second factor.
    SecondFactor {
        /// The method to offer first: the preferred method when available, else the
        /// strongest available; `None` when only recovery codes are left.
        primary: Option<MfaMethod>,
        /// Every available method, strongest first (recovery codes included), for a
        /// "try another way" list.
        available: Vec<MfaMethod>,
    },
}

/// What [`Mfa::enable`] returns.
#[derive(Debug)]
#[non_exhaustive]
pub struct Enabled {
    /// The settings now stored.
    pub settings: MfaSettings,
    /// The recovery codes issued when MFA was turned on, to show the account holder
    /// once; `None` when MFA was already on (its codes are kept) or the policy does
    /// not allow recovery codes.
    pub recovery_codes: Option<crate::RecoveryCodeSet>,
}

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Every method with "available" or the reason it is not.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    pub async fn availability(&self, ctx: &AccountContext) -> Result<AvailabilityTable> {
        let state = self.account_state(ctx.user()).await?;
        Ok(AvailabilityTable::compute(ctx, &state, &self.policy))
    }

    /// The account's MFA settings.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    pub async fn settings(&self, user: &UserId) -> Result<MfaSettings> {
        Ok(self.account_state(user).await?.settings)
    }

    /// Turns MFA on with `preferred` (or, when `None`, the policy's default method if it
    /// is available, else the strongest available method, never SMS while the policy's
    /// SMS warning flag is on). Emits [`SecurityEventKind::MfaEnabled`]. Enabling an
    /// enabled account with another preferred method changes the preferred method
    /// instead, and keeps its recovery codes.
    ///
    /// Turning MFA on (off → on) always voids every older recovery code and, when the
    /// policy allows recovery codes, issues a fresh set, returned once in
    /// [`Enabled::recovery_codes`]: a code minted earlier, that the
    /// owner may never have seen, can never complete a second factor.
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; [`Error::NoMethodAvailable`] when no method
    /// other than recovery codes is available; [`Error::MethodUnavailable`] or
    /// [`Error::NotPreferable`] for a bad `preferred`; [`Error::SmsNeedsExplicitChoice`]
    /// when `preferred` is `None` and only SMS is left; [`Error::Randomness`]; store
    /// errors.
    pub async fn enable(
        &self,
        ctx: &AccountContext,
        preferred: Option<MfaMethod>,
        actor: Actor,
    ) -> Result<Notified<Enabled>> {
        ctx.ensure_local()?;
        let policy = &self.policy;
        let issue = policy.allows(MfaMethod::RecoveryCode);
        let (codes, tags) = if issue {
            self.new_recovery_codes(ctx.user())?
        } else {
            (Vec::new(), Vec::new())
        };
        let fresh = crate::recovery::RecoveryState {
            unused: tags,
            key_id: self.key.active_id().clone(),
            generated_at: None,
        };
        let n = self
            .modify(ctx, |state, now| {
                state.enable(ctx, preferred, &actor, policy, &fresh, now)
            })
            .await?;
        let (settings, turned_on) = n.value;
        Ok(Notified {
            value: Enabled {
                settings,
                recovery_codes: (turned_on && issue).then_some(crate::RecoveryCodeSet { codes }),
            },
            notify_error: n.notify_error,
        })
    }

    /// Turns MFA off, forgetting the preferred method, pending challenges and remembered
    /// devices. Emits [`SecurityEventKind::MfaDisabled`].
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; [`Error::MfaRequired`] while the policy
    /// requires MFA for the account; store errors.
    pub async fn disable(
        &self,
        ctx: &AccountContext,
        actor: Actor,
    ) -> Result<Notified<MfaSettings>> {
        ctx.ensure_local()?;
        if self.policy.requires_mfa(ctx.user()) {
            return Err(Error::MfaRequired);
        }
        self.modify(ctx, |state, _now| Ok(state.disable(&actor)))
            .await
    }

    /// Chooses the method offered first at sign-in. Emits
    /// [`SecurityEventKind::PreferredMethodChanged`] when it changes.
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; [`Error::MfaNotEnabled`];
    /// [`Error::MethodUnavailable`] or [`Error::NotPreferable`]; store errors.
    pub async fn set_preferred(
        &self,
        ctx: &AccountContext,
        method: MfaMethod,
        actor: Actor,
    ) -> Result<Notified<MfaSettings>> {
        ctx.ensure_local()?;
        let policy = &self.policy;
        self.modify(ctx, |state, _now| {
            state.set_preferred(ctx, method, &actor, policy)
        })
        .await
    }

    /// Re-checks the preferred method after something it depends on changed (a device
    /// removed or deactivated, the policy changed): when it is no longer available, the
    /// strongest available method takes its place and the account holder is told with
    /// [`SecurityEventKind::PreferredMethodChanged`] (`fallback: true`, actor
    /// [`Actor::System`]).
    ///
    /// # Errors
    /// Store errors.
    pub async fn reconcile(&self, ctx: &AccountContext) -> Result<Notified<MfaSettings>> {
        let policy = &self.policy;
        self.modify(ctx, |state, _now| Ok(state.reconcile(ctx, policy)))
            .await
    }

    /// Decides whether `actor` may remove or replace one of the account's devices; the
    /// facade calls it before asking the registry to remove a device.
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`], [`Error::SelfServiceRemovalForbidden`],
    /// [`Error::AnonymousAdministrator`].
    pub fn authorize_device_removal(&self, ctx: &AccountContext, actor: &Actor) -> Result<()> {
        ctx.ensure_local()?;
        self.policy.authorize_device_removal(actor)
    }

    /// Records that a device of `kind` was added (and activated) in the registry: emits
    /// [`SecurityEventKind::DeviceAdded`], and when MFA is on without a preferred method,
    /// makes the strongest available method preferred. `ctx` lists the devices *after*
    /// the addition.
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; store errors.
    pub async fn device_added(
        &self,
        ctx: &AccountContext,
        kind: DeviceKind,
        actor: Actor,
    ) -> Result<Notified<MfaSettings>> {
        ctx.ensure_local()?;
        let method = MfaMethod::from_device_kind(kind);
        self.device_event(ctx, actor, SecurityEventKind::DeviceAdded { method })
            .await
    }

    /// Records that a device of `kind` was removed from the registry: emits
    /// [`SecurityEventKind::DeviceRemoved`] and, when that was the preferred method's
    /// last device, falls back as [`Mfa::reconcile`] does. `ctx` lists the devices
    /// *after* the removal.
    ///
    /// # Errors
    /// Store errors.
    pub async fn device_removed(
        &self,
        ctx: &AccountContext,
        kind: DeviceKind,
        actor: Actor,
    ) -> Result<Notified<MfaSettings>> {
        let method = MfaMethod::from_device_kind(kind);
        self.device_event(ctx, actor, SecurityEventKind::DeviceRemoved { method })
            .await
    }

    /// A device event, told first, then the fallback step.
    async fn device_event(
        &self,
        ctx: &AccountContext,
        actor: Actor,
        event: SecurityEventKind,
    ) -> Result<Notified<MfaSettings>> {
        let policy = &self.policy;
        self.modify(ctx, |state, _now| {
            Ok(state.device_changed(ctx, policy, &actor, event.clone()))
        })
        .await
    }

    /// What sign-in must ask for after the password.
    ///
    /// # Errors
    /// Store errors.
    pub async fn sign_in_plan(&self, ctx: &AccountContext) -> Result<SignInPlan> {
        if ctx.identity_provider().is_some() {
            // No store I/O: the identity provider already did (or skipped) MFA.
            return Ok(SignInPlan::NoSecondFactor);
        }
        let state = self.account_state(ctx.user()).await?;
        Ok(state.sign_in_plan(ctx, &self.policy))
    }

    /// Tells the account holder about `kind`, done by `actor`, for the events that
    /// happen outside the MFA state (the facade's tooling credentials). Nothing is
    /// stored; the notifier's error, if any, is returned.
    pub async fn tell_holder(
        &self,
        account: &(impl Account + ?Sized),
        actor: Actor,
        kind: SecurityEventKind,
    ) -> Option<crate::NotifyError> {
        let now = self.clock.now();
        self.emit(account, now, vec![(actor, kind)]).await
    }

    /// Tells the account holder that a code was presented again after it had been used
    /// (the registry detects TOTP replays; the facade reports them here). Nothing is
    /// stored.
    pub async fn report_code_reuse(
        &self,
        account: &(impl Account + ?Sized),
        method: MfaMethod,
        actor: Actor,
    ) -> Option<crate::NotifyError> {
        let now = self.clock.now();
        self.emit(
            account,
            now,
            vec![(actor, SecurityEventKind::CodeReuseDetected { method })],
        )
        .await
    }
}

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Records a password change (the facade calls it after storing the new hash): forgets
    /// every remembered device and emits [`SecurityEventKind::PasswordChanged`].
    ///
    /// # Errors
    /// Store errors.
    pub async fn password_changed(
        &self,
        account: &(impl Account + ?Sized),
        actor: Actor,
    ) -> Result<Notified<()>> {
        self.modify(account, |state, _now| Ok(state.password_changed(&actor)))
            .await
    }
}
