//! The pure changes to an account's settings: enabling, disabling, choosing the preferred
//! method, falling back when it goes, and the device and password events. No I/O, no
//! clock, no async: [`Mfa`](crate::Mfa) loads, applies one of these and saves.

use tessera_otp::UnixTime;

use crate::recovery::RecoveryState;
use crate::state::Outcome;
use crate::{
    AccountContext, AccountState, Actor, AvailabilityTable, Error, MfaMethod, MfaSettings,
    OrgPolicy, Result, SecurityEventKind, SignInPlan,
};

/// The fallback rule: keep the preferred method while it is available, else take the
/// strongest available method that may be preferred.
pub(crate) fn fallback(settings: &MfaSettings, table: &AvailabilityTable) -> Option<MfaMethod> {
    match settings.preferred {
        Some(m) if table.is_available(m) => Some(m),
        _ => table.strongest_preferable(),
    }
}

fn check_preferable(table: &AvailabilityTable, method: MfaMethod) -> Result<MfaMethod> {
    if !method.is_preferable() {
        return Err(Error::NotPreferable);
    }
    match table.get(method).reason() {
        None => Ok(method),
        Some(reason) => Err(Error::MethodUnavailable { method, reason }),
    }
}

fn default_choice(policy: &OrgPolicy, table: &AvailabilityTable) -> Result<MfaMethod> {
    match policy.default_method() {
        Some(m) if table.is_available(m) => Ok(m),
        _ => table
            .strongest_preferable()
            .ok_or(Error::SmsNeedsExplicitChoice),
    }
}

impl AccountState {
    /// Turns MFA on with `preferred` (or the policy's default, else the strongest
    /// available method), installing `fresh` as the recovery set when the policy allows
    /// recovery codes. On an enabled account, changes the preferred method instead and
    /// keeps the recovery codes. The value says whether MFA was turned on.
    pub(crate) fn enable(
        &mut self,
        ctx: &AccountContext,
        preferred: Option<MfaMethod>,
        actor: &Actor,
        policy: &OrgPolicy,
        fresh: &RecoveryState,
        now: UnixTime,
    ) -> Result<Outcome<(MfaSettings, bool)>> {
        let table = AvailabilityTable::compute(ctx, self, policy);
        if !table.any_preferable() {
            return Err(Error::NoMethodAvailable);
        }
        let chosen = match preferred {
            Some(m) => check_preferable(&table, m)?,
            None if self.settings.enabled => {
                return Ok(Outcome::unchanged((self.settings, false)));
            }
            None => default_choice(policy, &table)?,
        };
        if self.settings.enabled {
            let out = self.prefer(chosen, actor);
            return Ok(Outcome {
                write: out.write,
                value: (out.value, false),
                events: out.events,
            });
        }
        self.settings = MfaSettings {
            enabled: true,
            preferred: Some(chosen),
        };
        let issue = policy.allows(MfaMethod::RecoveryCode);
        // Older codes are void whether or not a new set is issued.
        self.recovery = RecoveryState {
            unused: if issue {
                fresh.unused.clone()
            } else {
                Vec::new()
            },
            key_id: fresh.key_id.clone(),
            generated_at: issue.then_some(now),
        };
        // One event: `MfaEnabled` tells the holder that any older recovery codes are
        // void and a new set was issued.
        Ok(Outcome::changed((self.settings, true)).with_event(
            actor.clone(),
            SecurityEventKind::MfaEnabled { preferred: chosen },
        ))
    }

    /// Turns MFA off, forgetting the preferred method, pending challenges and
    /// remembered devices.
    pub(crate) fn disable(&mut self, actor: &Actor) -> Outcome<MfaSettings> {
        if !self.settings.enabled {
            return Outcome::unchanged(self.settings);
        }
        self.settings = MfaSettings::default();
        self.on_mfa_disabled();
        Outcome::changed(self.settings).with_event(actor.clone(), SecurityEventKind::MfaDisabled)
    }

    /// Chooses `method` as the preferred method, if it is available and preferable.
    pub(crate) fn set_preferred(
        &mut self,
        ctx: &AccountContext,
        method: MfaMethod,
        actor: &Actor,
        policy: &OrgPolicy,
    ) -> Result<Outcome<MfaSettings>> {
        if !self.settings.enabled {
            return Err(Error::MfaNotEnabled);
        }
        let table = AvailabilityTable::compute(ctx, self, policy);
        let chosen = check_preferable(&table, method)?;
        Ok(self.prefer(chosen, actor))
    }

    fn prefer(&mut self, chosen: MfaMethod, actor: &Actor) -> Outcome<MfaSettings> {
        let from = self.settings.preferred;
        if from == Some(chosen) {
            return Outcome::unchanged(self.settings);
        }
        self.settings.preferred = Some(chosen);
        Outcome::changed(self.settings).with_event(
            actor.clone(),
            SecurityEventKind::PreferredMethodChanged {
                from,
                to: Some(chosen),
                fallback: false,
            },
        )
    }

    /// The fallback step shared by every change that can make the preferred method
    /// unavailable: the strongest available method takes its place, and the account
    /// holder is told (actor [`Actor::System`], `fallback: true`).
    pub(crate) fn reconcile(
        &mut self,
        ctx: &AccountContext,
        policy: &OrgPolicy,
    ) -> Outcome<MfaSettings> {
        if !self.settings.enabled {
            return Outcome::unchanged(self.settings);
        }
        let table = AvailabilityTable::compute(ctx, self, policy);
        let from = self.settings.preferred;
        let to = fallback(&self.settings, &table);
        if from == to {
            return Outcome::unchanged(self.settings);
        }
        self.settings.preferred = to;
        Outcome::changed(self.settings).with_event(
            Actor::System,
            SecurityEventKind::PreferredMethodChanged {
                from,
                to,
                fallback: from.is_some(),
            },
        )
    }

    /// A device was added or removed (`event`, told first), then the fallback step;
    /// `ctx` lists the devices after the change.
    pub(crate) fn device_changed(
        &mut self,
        ctx: &AccountContext,
        policy: &OrgPolicy,
        actor: &Actor,
        event: SecurityEventKind,
    ) -> Outcome<MfaSettings> {
        let mut out = self.reconcile(ctx, policy);
        out.events.insert(0, (actor.clone(), event));
        out
    }

    /// A password change: every remembered device is forgotten, and the holder told.
    pub(crate) fn password_changed(&mut self, actor: &Actor) -> Outcome<()> {
        let write = self.on_password_changed();
        Outcome::written(write, ()).with_event(actor.clone(), SecurityEventKind::PasswordChanged)
    }

    /// What sign-in must ask for after the password.
    pub(crate) fn sign_in_plan(&self, ctx: &AccountContext, policy: &OrgPolicy) -> SignInPlan {
        if ctx.identity_provider().is_some() {
            // The identity provider already did (or skipped) MFA in its own sign-in.
            return SignInPlan::NoSecondFactor;
        }
        if !self.settings.enabled {
            return if policy.requires_mfa(ctx.user()) {
                SignInPlan::EnrolmentRequired
            } else {
                SignInPlan::NoSecondFactor
            };
        }
        let table = AvailabilityTable::compute(ctx, self, policy);
        SignInPlan::SecondFactor {
            primary: fallback(&self.settings, &table),
            available: table.available().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use tessera_registry::{DeviceKind, UserId};

    use super::*;
    use crate::codes::secret::single_key_id;

    const T0: UnixTime = UnixTime::from_secs(1_700_000_000);

    fn ctx(kinds: &[DeviceKind]) -> AccountContext {
        AccountContext::new(UserId::new("ana")).with_active_devices(kinds.iter().copied())
    }

    fn fresh() -> RecoveryState {
        RecoveryState {
            unused: Vec::new(),
            key_id: single_key_id(),
            generated_at: None,
        }
    }

    fn kinds(out: &Outcome<impl Sized>) -> Vec<SecurityEventKind> {
        out.events.iter().map(|(_, k)| k.clone()).collect()
    }

    #[test]
    fn enabling_picks_the_strongest_and_issues_codes_once() {
        let mut state = AccountState::default();
        let app = ctx(&[DeviceKind::AuthenticatorApp]);
        let policy = OrgPolicy::default();
        let out = state
            .enable(&app, None, &Actor::AccountHolder, &policy, &fresh(), T0)
            .unwrap();
        assert!(out.write && out.value.1);
        assert_eq!(out.value.0.preferred(), Some(MfaMethod::AuthenticatorApp));
        assert_eq!(state.recovery.generated_at, Some(T0));
        assert_eq!(
            kinds(&out),
            [SecurityEventKind::MfaEnabled {
                preferred: MfaMethod::AuthenticatorApp
            }]
        );
        // Enabling again without a choice changes nothing and keeps the set.
        let later = UnixTime::from_secs(1_800_000_000);
        let again = state
            .enable(&app, None, &Actor::AccountHolder, &policy, &fresh(), later)
            .unwrap();
        assert!(!again.write && !again.value.1);
        assert_eq!(state.recovery.generated_at, Some(T0));
    }

    #[test]
    fn enabling_without_a_method_is_refused() {
        let mut state = AccountState::default();
        let err = state
            .enable(
                &ctx(&[]),
                None,
                &Actor::AccountHolder,
                &OrgPolicy::default(),
                &fresh(),
                T0,
            )
            .unwrap_err();
        assert!(matches!(err, Error::NoMethodAvailable));
        assert_eq!(
            state,
            AccountState::default(),
            "a refused change changes nothing"
        );
    }

    #[test]
    fn the_preferred_method_falls_back_when_its_device_goes() {
        let mut state = AccountState::default();
        let both = ctx(&[DeviceKind::AuthenticatorApp, DeviceKind::SecurityKey]);
        let policy = OrgPolicy::default();
        let actor = Actor::AccountHolder;
        state
            .enable(&both, None, &actor, &policy, &fresh(), T0)
            .unwrap();
        assert_eq!(state.settings.preferred(), Some(MfaMethod::SecurityKey));
        // Choosing the weaker app is allowed while it is available.
        let chosen = state
            .set_preferred(&both, MfaMethod::AuthenticatorApp, &actor, &policy)
            .unwrap();
        assert!(chosen.write);
        // The app goes: the key takes its place, told as a fallback by the system.
        let out = state.device_changed(
            &ctx(&[DeviceKind::SecurityKey]),
            &policy,
            &actor,
            SecurityEventKind::DeviceRemoved {
                method: MfaMethod::AuthenticatorApp,
            },
        );
        assert_eq!(
            kinds(&out),
            [
                SecurityEventKind::DeviceRemoved {
                    method: MfaMethod::AuthenticatorApp
                },
                SecurityEventKind::PreferredMethodChanged {
                    from: Some(MfaMethod::AuthenticatorApp),
                    to: Some(MfaMethod::SecurityKey),
                    fallback: true,
                },
            ]
        );
        assert_eq!(out.events[1].0, Actor::System);
    }

    #[test]
    fn disabling_forgets_remembered_devices_and_plans_follow_the_policy() {
        let mut state = AccountState::default();
        let app = ctx(&[DeviceKind::AuthenticatorApp]);
        let required = OrgPolicy::builder().require_mfa(true).build().unwrap();
        assert_eq!(
            state.sign_in_plan(&app, &required),
            SignInPlan::EnrolmentRequired
        );
        assert_eq!(
            state.sign_in_plan(&app, &OrgPolicy::default()),
            SignInPlan::NoSecondFactor
        );
        state
            .enable(&app, None, &Actor::AccountHolder, &required, &fresh(), T0)
            .unwrap();
        assert!(matches!(
            state.sign_in_plan(&app, &required),
            SignInPlan::SecondFactor {
                primary: Some(MfaMethod::AuthenticatorApp),
                ..
            }
        ));
        let out = state.disable(&Actor::AccountHolder);
        assert!(out.write);
        assert_eq!(kinds(&out), [SecurityEventKind::MfaDisabled]);
        assert!(!state.disable(&Actor::AccountHolder).write);
        let changed = state.password_changed(&Actor::AccountHolder);
        assert!(!changed.write, "nothing remembered, nothing to save");
        assert_eq!(kinds(&changed), [SecurityEventKind::PasswordChanged]);
    }
}
