//! Second-factor management: authenticator apps, phone numbers, MFA on and off, the
//! preferred method, recovery codes, lost devices.

use tessera_mfa::{
    Actor, AvailabilityTable, ChallengeTicket, MfaMethod, MfaSettings, MfaStore, Notified,
    PhoneNumber, Purpose, RecoveryCodeSet,
};
use tessera_otp::{Clock, Drift};
use tessera_password::{Password, PasswordUse};
use tessera_registry::{DeviceId, DeviceInfo, DeviceStore, Enrolment, UserId};

use crate::accounts::first;
use crate::audit;
use crate::{AccountStore, Accounts, Assurance, Error, Factor, Result, SetupSession};

/// A change that ended the account's other sessions (its security stamp moved on),
/// with the assurance this session continues with.
#[derive(Debug)]
#[non_exhaustive]
pub struct Renewed<T> {
    /// What the change returned.
    pub value: T,
    /// This session's assurance under the new security stamp: keep it in place of the
    /// old one.
    pub assurance: Assurance,
}

/// MFA turned on: the settings, and the recovery codes to show once when this was the
/// first time the account got any.
#[derive(Debug)]
#[non_exhaustive]
pub struct MfaEnabled {
    /// The settings now stored.
    pub settings: MfaSettings,
    /// A new set of recovery codes, to show once; `None` when the account had a set.
    pub recovery_codes: Option<RecoveryCodeSet>,
}

/// An authenticator app confirmed.
#[derive(Debug)]
#[non_exhaustive]
pub struct AuthenticatorAdded {
    /// The device, now active.
    pub device: DeviceInfo,
    /// The MFA settings after the addition (and after enabling MFA when asked).
    pub settings: MfaSettings,
    /// Recovery codes to show once, when MFA was enabled for the first time.
    pub recovery_codes: Option<RecoveryCodeSet>,
    /// Set up under an [`EnrolmentSession`](crate::EnrolmentSession): the full sign-in
    /// it completes (the password, then this app's codes just checked). Keep it in the
    /// session **in place of** the enrolment session. `None` for a signed-in
    /// [`Assurance`], which stays as it was.
    pub signed_in: Option<Assurance>,
}

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// Starts setting up an authenticator app: a pending device named `device_name`
    /// with a fresh secret. Show [`Enrolment::uri`] as a QR code (or the secret for
    /// manual entry), then
    /// [`finish_authenticator_setup`](Self::finish_authenticator_setup). The app shows
    /// the account's email address next to the issuer.
    ///
    /// Takes a signed-in [`Assurance`] or an
    /// [`EnrolmentSession`](crate::EnrolmentSession) (see [`SetupSession`]).
    ///
    /// Starting again with the name of the account's **pending** app (the setup page
    /// was reloaded) resumes that enrolment: the same device and secret, ten more
    /// minutes ([`resume_authenticator_setup`](Self::resume_authenticator_setup)). To
    /// drop it instead, [`cancel_authenticator_setup`](Self::cancel_authenticator_setup).
    ///
    /// Binding a factor needs fresh authentication: with MFA on, a second factor within
    /// the step-up age, as strong as the account's strongest (up to an app's); with MFA
    /// off, the password within the last 20 minutes
    /// ([`confirm_password`](Self::confirm_password)).
    ///
    /// # Errors
    /// [`Error::StepUpRequired`], [`Error::StepUpTooWeak`],
    /// [`Error::ReauthenticationRequired`], [`Error::SessionRevoked`];
    /// [`Error::ManagedByIdentityProvider`]; [`Error::Registry`] with `TooManyDevices`
    /// (eight, pending ones included), `DuplicateName` (an active device has the
    /// name), `InvalidName`; store errors.
    pub async fn start_authenticator_setup<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        device_name: &str,
    ) -> Result<Enrolment> {
        let account = self.require_app_setup(session.into()).await?;
        Ok(self
            .registry
            .start_enrolment(&account.id, device_name, account.email.as_str())
            .await?)
    }

    /// Shows a pending authenticator-app setup again (the setup page was reloaded):
    /// the same device and secret, as a fresh [`Enrolment`] with ten more minutes.
    /// It shows the secret again, so it needs the same fresh authentication as
    /// [`start_authenticator_setup`](Self::start_authenticator_setup).
    ///
    /// # Errors
    /// The binding errors; [`Error::ManagedByIdentityProvider`]; [`Error::Registry`]
    /// with `DeviceNotFound`, `AlreadyActive`, `EnrolmentExpired` (start again: a
    /// fresh secret); store errors.
    pub async fn resume_authenticator_setup<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        device: DeviceId,
    ) -> Result<Enrolment> {
        let account = self.require_app_setup(session.into()).await?;
        Ok(self
            .registry
            .resume_enrolment(&account.id, device, account.email.as_str())
            .await?)
    }

    /// Cancels a pending authenticator-app setup: the pending device and its sealed
    /// secret are deleted, its slot and name are free at once, and codes from an app
    /// that scanned it never activate. Needs the same fresh authentication as
    /// [`start_authenticator_setup`](Self::start_authenticator_setup). An active device
    /// is not cancelled (that is [`remove_device`](Self::remove_device)).
    ///
    /// # Errors
    /// The binding errors; [`Error::Registry`] with `DeviceNotFound`, `AlreadyActive`;
    /// store errors.
    pub async fn cancel_authenticator_setup<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        device: DeviceId,
    ) -> Result<DeviceInfo> {
        let assurance = session.into().assurance().into_owned();
        let account = self.require_binding(&assurance).await?;
        let cancelled = self.registry.cancel_enrolment(&account.id, device).await?;
        audit::succeeded("factor_setup_cancelled", &account.id);
        Ok(cancelled)
    }

    /// The binding checks of setting up an authenticator app, and no identity provider.
    async fn require_app_setup(&self, session: SetupSession<'_>) -> Result<crate::Account> {
        self.require_factor_setup(session, MfaMethod::AuthenticatorApp)
            .await
    }

    /// Binding a factor of `method`: fresh authentication, an account this library
    /// manages, and a method the organisation accepts (allowed, at least its minimum).
    pub(crate) async fn require_factor_setup(
        &self,
        session: SetupSession<'_>,
        method: MfaMethod,
    ) -> Result<crate::Account> {
        let account = self.require_binding(&session.assurance()).await?;
        if let Some(provider) = &account.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        if let Some(reason) = self.mfa.policy().refusal(method) {
            return Err(Error::Mfa(tessera_mfa::Error::MethodUnavailable {
                method,
                reason,
            }));
        }
        Ok(account)
    }

    /// Finishes setting up an authenticator app with codes from it (two consecutive
    /// codes by default), tells the account holder a device was added, and turns MFA
    /// on with it when `enable_mfa` (generating recovery codes the first time).
    ///
    /// Needs the same fresh authentication as
    /// [`start_authenticator_setup`](Self::start_authenticator_setup). Under an
    /// [`EnrolmentSession`](crate::EnrolmentSession) MFA is turned on whatever
    /// `enable_mfa` says (the organisation requires it), and
    /// [`AuthenticatorAdded::signed_in`] is the full sign-in that ends the enrolment.
    ///
    /// # Errors
    /// The binding errors; [`Error::VerificationFailed`] when the codes do not verify;
    /// [`Error::Registry`] (`EnrolmentExpired`, `ActivationCodes`, `DeviceNotFound`,
    /// `AppIgnoresAlgorithm`, …); [`Error::Mfa`]; store errors.
    pub async fn finish_authenticator_setup<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        device: DeviceId,
        codes: &[&str],
        enable_mfa: bool,
    ) -> Result<Notified<AuthenticatorAdded>> {
        let session = session.into();
        let account = self.require_binding(&session.assurance()).await?;
        let info = self
            .registry
            .finish_enrolment(&account.id, device, codes)
            .await?;
        self.factor_bound(session, &account, info, enable_mfa).await
    }

    /// Adds a hardware TOTP token the account holder has in hand: its serial number and
    /// seed (from the vendor's seed sheet, or what the holder programmed into it) and
    /// codes it shows now (two consecutive codes by default). It is active at once, the
    /// holder is told, and MFA turns on with it when `enable_mfa` (recovery codes the
    /// first time), as for an authenticator app.
    ///
    /// Binding a factor: the same fresh authentication as
    /// [`start_authenticator_setup`](Self::start_authenticator_setup). The codes are
    /// checked before the serial and seed are claimed, so a serial alone never tells
    /// whether another account holds the token.
    ///
    /// # Errors
    /// The binding errors; [`Error::ManagedByIdentityProvider`]; [`Error::Mfa`] with
    /// `MethodUnavailable` when the organisation does not allow hardware tokens;
    /// [`Error::Registry`] with `Rejected` or `ActivationCodes` (the codes),
    /// `DuplicateDevice` (the account has it), `DeviceBelongsToAnotherUser`,
    /// `TooManyDevices`, `DuplicateName`; store errors.
    pub async fn add_hardware_token<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        token: &tessera_registry::HardwareToken,
        codes: &[&str],
        enable_mfa: bool,
    ) -> Result<Notified<AuthenticatorAdded>> {
        let session = session.into();
        let account = self
            .require_factor_setup(session, MfaMethod::HardwareToken)
            .await?;
        let device = self
            .registry
            .add_hardware_token(&account.id, token, codes)
            .await?;
        let info = self.device_info(&account.id, device).await?;
        self.factor_bound(session, &account, info, enable_mfa).await
    }

    /// The account's device `device`, as listed.
    ///
    /// # Errors
    /// [`Error::Registry`] with `DeviceNotFound`; store errors.
    pub(crate) async fn device_info(&self, user: &UserId, device: DeviceId) -> Result<DeviceInfo> {
        self.registry
            .list(user)
            .await?
            .into_iter()
            .find(|d| d.id == device)
            .ok_or(Error::Registry(tessera_registry::Error::DeviceNotFound))
    }

    /// What follows a bound factor, whatever its kind: the audit event, the MFA
    /// bookkeeping and notice, MFA turned on (with recovery codes the first time) when
    /// asked or while enrolling, and the sign-in an enrolment ends in.
    pub(crate) async fn factor_bound(
        &self,
        session: SetupSession<'_>,
        account: &crate::Account,
        info: DeviceInfo,
        enable_mfa: bool,
    ) -> Result<Notified<AuthenticatorAdded>> {
        let enrolling = match session {
            SetupSession::Enrolment(e) => Some(e),
            _ => None,
        };
        audit::succeeded("factor_bound", &account.id);
        let ctx = self.context(account).await?;
        let added = self
            .mfa
            .device_added(&ctx, info.kind, Actor::AccountHolder)
            .await?;
        let mut notify_error = added.notify_error;
        let mut settings = added.value;
        let mut recovery_codes = None;
        if (enable_mfa || enrolling.is_some()) && !settings.enabled() {
            let enabled = self.enable_mfa(session, None).await?;
            notify_error = first(notify_error, enabled.notify_error);
            settings = enabled.value.settings;
            recovery_codes = enabled.value.recovery_codes;
        }
        // The enrolment ends in a sign-in: the password, then the factor just checked,
        // under the stamp the binding check accepted.
        let method = MfaMethod::from_device_kind(info.kind);
        let signed_in = enrolling.filter(|_| settings.enabled()).map(|e| {
            audit::succeeded("signed_in", &account.id);
            Assurance {
                account: account.id.clone(),
                factors: vec![Factor::Password, Factor::SecondFactor(method)],
                method: Some(method),
                device: Some(info.id),
                authenticated_at: e.authenticated_at,
                second_factor_at: Some(self.now()),
                stamp: e.stamp,
            }
        });
        Ok(Notified {
            value: AuthenticatorAdded {
                device: info,
                settings,
                recovery_codes,
                signed_in,
            },
            notify_error,
        })
    }

    /// Starts verifying a phone number: links it (unverified) and sends it an SMS
    /// code; finish with [`finish_phone_verification`](Self::finish_phone_verification).
    ///
    /// Binding a factor: needs the same fresh authentication as
    /// [`start_authenticator_setup`](Self::start_authenticator_setup), from an
    /// [`Assurance`] or an [`EnrolmentSession`](crate::EnrolmentSession).
    ///
    /// # Errors
    /// The binding errors; [`Error::Mfa`] with `InvalidPhoneNumber`, `MethodUnavailable`
    /// (SMS disallowed), send limits or delivery failures; store errors.
    pub async fn start_phone_verification<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        number: &str,
    ) -> Result<ChallengeTicket> {
        let session = session.into();
        let number = PhoneNumber::parse(number)?;
        let account = self.require_binding(&session.assurance()).await?;
        let ctx = self.context(&account).await?;
        let _ = self
            .mfa
            .link_phone(&ctx, number, Actor::AccountHolder)
            .await?;
        Ok(self
            .mfa
            .send_code(
                &ctx,
                MfaMethod::Sms,
                Purpose::PhoneVerification,
                &self.delivery,
            )
            .await?)
    }

    /// Finishes verifying the linked phone number with the SMS code; SMS becomes
    /// available. Under an [`EnrolmentSession`](crate::EnrolmentSession), go on with
    /// [`enable_mfa`](Self::enable_mfa) and
    /// [`finish_enrolment`](Self::finish_enrolment).
    ///
    /// Binding a factor: needs the same fresh authentication as
    /// [`start_authenticator_setup`](Self::start_authenticator_setup). A right code
    /// does not reset the failure count (only a completed sign-in or step-up does).
    ///
    /// # Errors
    /// The binding errors; [`Error::VerificationFailed`] (throttled as any second
    /// factor); store errors.
    pub async fn finish_phone_verification<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        ticket: &ChallengeTicket,
        typed: &str,
    ) -> Result<Notified<()>> {
        let session = session.into();
        if ticket.purpose != Purpose::PhoneVerification {
            return Err(Error::VerificationFailed);
        }
        let account = self.require_binding(&session.assurance()).await?;
        let n = self.mfa.verify_code(&account.id, &ticket.id, typed).await?;
        Ok(Notified {
            value: (),
            notify_error: n.notify_error,
        })
    }

    /// Every method with "available" or why not, for a settings page.
    ///
    /// # Errors
    /// Store errors.
    pub async fn availability(&self, assurance: &Assurance) -> Result<AvailabilityTable> {
        let account = self.authorize(assurance).await?;
        let ctx = self.context(&account).await?;
        Ok(self.mfa.availability(&ctx).await?)
    }

    /// Turns MFA on, with `preferred` or the policy's choice, and issues a fresh set of
    /// recovery codes to show once (when the policy allows them), voiding every older
    /// code: codes minted before MFA was on never survive it.
    ///
    /// Needs the fresh authentication of binding a factor
    /// ([`start_authenticator_setup`](Self::start_authenticator_setup)), from an
    /// [`Assurance`] or an [`EnrolmentSession`](crate::EnrolmentSession); after it, an
    /// enrolment session goes on with [`finish_enrolment`](Self::finish_enrolment).
    ///
    /// # Errors
    /// The binding errors; [`Error::Mfa`] (`NoMethodAvailable`, `MethodUnavailable`,
    /// `NotPreferable`, `SmsNeedsExplicitChoice`, `ManagedByIdentityProvider`); store
    /// errors.
    pub async fn enable_mfa<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        preferred: Option<MfaMethod>,
    ) -> Result<Notified<MfaEnabled>> {
        let account = self.require_binding(&session.into().assurance()).await?;
        let ctx = self.context(&account).await?;
        let enabled = self
            .mfa
            .enable(&ctx, preferred, Actor::AccountHolder)
            .await?;
        audit::succeeded("mfa_enabled", &account.id);
        if account.lifecycle.enrolment_required {
            self.enrolment_done(&account.id).await?;
        }
        let notify_error = enabled.notify_error;
        let enabled = enabled.value;
        Ok(Notified {
            value: MfaEnabled {
                settings: enabled.settings,
                recovery_codes: enabled.recovery_codes,
            },
            notify_error,
        })
    }

    /// Turns MFA off: an MFA-protected operation that needs a recent second factor at
    /// least as strong as the account's strongest (an email code cannot turn MFA off
    /// while an authenticator app is active). Every session ends (the security stamp
    /// moves on first); this one continues with the returned assurance.
    ///
    /// The password then becomes the only factor: when it is shorter than the policy's
    /// minimum for that (15 characters by default, NIST SP 800-63B-4), pass a
    /// `new_password` (and its confirmation), checked and stored first.
    ///
    /// # Errors
    /// [`Error::StepUpRequired`], [`Error::StepUpTooWeak`], [`Error::SessionRevoked`];
    /// [`Error::PasswordChangeRequired`] when the password is too short and no new one
    /// was given; [`Error::PasswordRejected`]; [`Error::Mfa`] (`MfaRequired` by the
    /// organisation, `ManagedByIdentityProvider`); store errors.
    pub async fn disable_mfa(
        &self,
        assurance: &Assurance,
        new_password: Option<(&Password, &Password)>,
    ) -> Result<Notified<Renewed<MfaSettings>>> {
        let account = self.authorize(assurance).await?;
        let needed = self.strongest_factor(&account).await?;
        let account = self.require_step_up(assurance, needed).await?;
        let ctx = self.context(&account).await?;
        if self.mfa.policy().requires_mfa(&account.id) {
            return Err(tessera_mfa::Error::MfaRequired.into());
        }
        let mut notify_error = None;
        let mut seen = account;
        if !seen.password_long_enough_alone && !seen.is_federated() {
            let Some((new, confirmation)) = new_password else {
                return Err(Error::PasswordChangeRequired {
                    min_length: self.policy.min_length_for(PasswordUse::OnlyFactor),
                });
            };
            // Checked for the password alone, so it is long enough to be one.
            self.set_new_password(&seen, PasswordUse::OnlyFactor, new, confirmation)
                .await?;
            audit::succeeded("password_changed", &seen.id);
            notify_error = self
                .tell_password_changed(&seen, Actor::AccountHolder)
                .await;
            seen = self.load(&seen.id).await?.value;
        }
        let stamp = self.bump_stamp(&seen.id).await?;
        let n = self.mfa.disable(&ctx, Actor::AccountHolder).await?;
        audit::succeeded("mfa_disabled", &seen.id);
        Ok(Notified {
            value: Renewed {
                value: n.value,
                assurance: Assurance {
                    stamp,
                    ..assurance.clone()
                },
            },
            notify_error: first(notify_error, n.notify_error),
        })
    }

    /// Chooses the method offered first at sign-in. Changing it is a change of MFA
    /// settings: it needs the fresh authentication of binding a factor.
    ///
    /// # Errors
    /// The binding errors; [`Error::Mfa`] (`MfaNotEnabled`, `MethodUnavailable`,
    /// `NotPreferable`); store errors.
    pub async fn set_preferred_method(
        &self,
        assurance: &Assurance,
        method: MfaMethod,
    ) -> Result<Notified<MfaSettings>> {
        let account = self.require_binding(assurance).await?;
        let ctx = self.context(&account).await?;
        Ok(self
            .mfa
            .set_preferred(&ctx, method, Actor::AccountHolder)
            .await?)
    }

    /// A new set of recovery codes to show once, voiding the old set: needs MFA on and
    /// the fresh authentication of binding a factor.
    ///
    /// # Errors
    /// The binding errors; [`Error::Mfa`] (`MfaNotEnabled` while MFA is off); store
    /// errors.
    pub async fn regenerate_recovery_codes(
        &self,
        assurance: &Assurance,
    ) -> Result<Notified<RecoveryCodeSet>> {
        let account = self.require_binding(assurance).await?;
        let ctx = self.context(&account).await?;
        Ok(self
            .mfa
            .regenerate_recovery_codes(&ctx, Actor::AccountHolder)
            .await?)
    }

    /// An administrator lifts a lockout (temporary, or the permanent one at the hard
    /// limit of consecutive failures): the counters reset, the account holder is told,
    /// and the audit events name the administrator.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `AnonymousAdministrator` for an empty `admin_id`;
    /// [`Error::AccountNotFound`]; store errors.
    pub async fn admin_unlock(&self, admin_id: &str, account: &UserId) -> Result<Notified<()>> {
        let account = self.load(account).await?.value;
        let n = self
            .mfa
            .unlock(&account.id, Actor::administrator(admin_id))
            .await?;
        audit::administrator("unlocked", &account.id, admin_id);
        Ok(n)
    }

    /// The account's devices with their status, in order of enrolment.
    ///
    /// # Errors
    /// Store errors.
    pub async fn devices(&self, assurance: &Assurance) -> Result<Vec<DeviceInfo>> {
        self.authorize(assurance).await?;
        Ok(self.registry.list(&assurance.account).await?)
    }

    /// Resynchronises a drifted TOTP device from two consecutive codes.
    ///
    /// # Errors
    /// [`Error::Registry`] (`ResyncFailed`, `DeviceNotFound`, `NotActive`, …); store
    /// errors.
    pub async fn resync_device(
        &self,
        assurance: &Assurance,
        device: DeviceId,
        first_code: &str,
        second_code: &str,
    ) -> Result<Drift> {
        self.authorize(assurance).await?;
        Ok(self
            .registry
            .resync(&assurance.account, device, first_code, second_code)
            .await?)
    }

    /// Removes one of the signed-in account's devices (a lost phone): allowed when the
    /// organisation permits self-service removal, and MFA-protected by a recent second
    /// factor at least as strong as the device (a recovery-code sign-in may remove an
    /// app; an email code may not). The preferred method falls back when it was this
    /// device's, the account holder is told, and every other session ends (the security
    /// stamp moves on first); this one continues with the returned assurance.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `SelfServiceRemovalForbidden` (an administrator must use
    /// [`admin_remove_device`](Self::admin_remove_device)); [`Error::StepUpRequired`],
    /// [`Error::StepUpTooWeak`], [`Error::SessionRevoked`]; [`Error::Registry`] with
    /// `DeviceNotFound`; store errors.
    pub async fn remove_device(
        &self,
        assurance: &Assurance,
        device: DeviceId,
    ) -> Result<Notified<Renewed<DeviceInfo>>> {
        let account = self.authorize(assurance).await?;
        let ctx = self.context(&account).await?;
        self.mfa
            .authorize_device_removal(&ctx, &Actor::AccountHolder)?;
        let target = self.device_info(&account.id, device).await?;
        let needed = MfaMethod::from_device_kind(target.kind).authority();
        self.require_step_up(assurance, Some(needed)).await?;
        let (removed, stamp, notify_error) = self
            .remove(&account.id, device, Actor::AccountHolder)
            .await?;
        Ok(Notified {
            value: Renewed {
                value: removed,
                assurance: Assurance {
                    stamp,
                    ..assurance.clone()
                },
            },
            notify_error,
        })
    }

    /// An administrator removes a device of `account` (for organisations that forbid
    /// self-service removal, or a person locked out of every method). The
    /// administrator is named in the security event and the audit events; the
    /// account's sessions end.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `AnonymousAdministrator` for an empty `admin_id`;
    /// [`Error::AccountNotFound`]; [`Error::Registry`] with `DeviceNotFound`; store errors.
    pub async fn admin_remove_device(
        &self,
        admin_id: &str,
        account: &UserId,
        device: DeviceId,
    ) -> Result<Notified<DeviceInfo>> {
        let loaded = self.load(account).await?.value;
        let ctx = self.context(&loaded).await?;
        let actor = Actor::administrator(admin_id);
        self.mfa.authorize_device_removal(&ctx, &actor)?;
        let (removed, _stamp, notify_error) = self.remove(account, device, actor).await?;
        audit::administrator("factor_removed", account, admin_id);
        Ok(Notified {
            value: removed,
            notify_error,
        })
    }

    /// Removes a device after the caller authorised it: the stamp first (every session
    /// ends even if the removal then fails, the safe side), then the device, then the
    /// MFA rules' reaction (fallback, notification).
    async fn remove(
        &self,
        user: &UserId,
        device: DeviceId,
        actor: Actor,
    ) -> Result<(
        DeviceInfo,
        crate::SecurityStamp,
        Option<tessera_mfa::NotifyError>,
    )> {
        let stamp = self.bump_stamp(user).await?;
        let removed = self.registry.remove(user, device).await?;
        audit::succeeded("factor_removed", user);
        let account = self.load(user).await?.value;
        let ctx = self.context(&account).await?;
        let n = self.mfa.device_removed(&ctx, removed.kind, actor).await?;
        Ok((removed, stamp, n.notify_error))
    }
}
