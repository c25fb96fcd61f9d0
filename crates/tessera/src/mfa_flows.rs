//! Second-factor management: authenticator apps, phone numbers, MFA on and off, the
//! preferred method, recovery codes, lost devices.

use tessera_mfa::{
    Actor, AvailabilityTable, ChallengeTicket, CodeDelivery, MfaMethod, MfaSettings, MfaStore,
    Notified, PhoneNumber, Purpose, RecoveryCodeSet, SecurityNotifier,
};
use tessera_otp::{Clock, Drift};
use tessera_registry::{DeviceId, DeviceInfo, DeviceStore, Enrolment, UserId};

use crate::accounts::first;
use crate::{AccountStore, Accounts, Assurance, Error, Offload, Result, SessionRevoker};

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
}

impl<A, D, M, N, Q, R, C, H> Accounts<A, D, M, N, Q, R, C, H>
where
    A: AccountStore,
    D: DeviceStore,
    M: MfaStore,
    N: SecurityNotifier,
    Q: CodeDelivery,
    R: SessionRevoker,
    C: Clock,
    H: Offload,
{
    /// Begins setting up an authenticator app: a pending device named `device_name`
    /// with a fresh secret. Show [`Enrolment::uri`] as a QR code (or the secret for
    /// manual entry) once, then [`confirm_authenticator`](Self::confirm_authenticator).
    /// The app shows the account's email address next to the issuer.
    ///
    /// # Errors
    /// [`Error::ManagedByIdentityProvider`]; [`Error::Registry`] with `TooManyDevices`
    /// (eight, pending ones included), `DuplicateName`, `InvalidName`; store errors.
    pub async fn begin_authenticator_setup(
        &self,
        assurance: &Assurance,
        device_name: &str,
    ) -> Result<Enrolment> {
        let account = self.load(&assurance.account).await?.value;
        if let Some(provider) = &account.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        Ok(self
            .registry
            .begin_enrolment(&account.id, device_name, account.email.as_str())
            .await?)
    }

    /// Confirms an authenticator app with codes from it (two consecutive codes by
    /// default), tells the account holder a device was added, and turns MFA on with it
    /// when `enable_mfa` (generating recovery codes the first time).
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] when the codes do not verify; [`Error::Registry`]
    /// (`EnrolmentExpired`, `ActivationCodes`, `DeviceNotFound`, …); [`Error::Mfa`];
    /// store errors.
    pub async fn confirm_authenticator(
        &self,
        assurance: &Assurance,
        device: DeviceId,
        codes: &[&str],
        enable_mfa: bool,
    ) -> Result<Notified<AuthenticatorAdded>> {
        let account = self.load(&assurance.account).await?.value;
        let info = self.registry.activate(&account.id, device, codes).await?;
        let ctx = self.context(&account).await?;
        let added = self
            .mfa
            .device_added(&ctx, info.kind, Actor::AccountHolder)
            .await?;
        let mut notify_error = added.notify_error;
        let mut settings = added.value;
        let mut recovery_codes = None;
        if enable_mfa && !settings.enabled() {
            let enabled = self.enable_mfa(assurance, None).await?;
            notify_error = first(notify_error, enabled.notify_error);
            settings = enabled.value.settings;
            recovery_codes = enabled.value.recovery_codes;
        }
        Ok(Notified {
            value: AuthenticatorAdded {
                device: info,
                settings,
                recovery_codes,
            },
            notify_error,
        })
    }

    /// Links a phone number (unverified) and sends it an SMS code; complete with
    /// [`verify_phone`](Self::verify_phone).
    ///
    /// # Errors
    /// [`Error::Mfa`] with `InvalidPhoneNumber`, `MethodUnavailable` (SMS disallowed),
    /// send limits or delivery failures; store errors.
    pub async fn link_phone(&self, assurance: &Assurance, number: &str) -> Result<ChallengeTicket> {
        let number = PhoneNumber::parse(number)?;
        let account = self.load(&assurance.account).await?.value;
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

    /// Verifies the linked phone number with the SMS code; SMS becomes available.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] (throttled as any second factor); store errors.
    pub async fn verify_phone(
        &self,
        assurance: &Assurance,
        ticket: &ChallengeTicket,
        typed: &str,
    ) -> Result<Notified<()>> {
        if ticket.purpose != Purpose::PhoneVerification {
            return Err(Error::VerificationFailed);
        }
        let n = self
            .mfa
            .verify_code(&assurance.account, &ticket.id, typed)
            .await?;
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
        let account = self.load(&assurance.account).await?.value;
        let ctx = self.context(&account).await?;
        Ok(self.mfa.availability(&ctx).await?)
    }

    /// Turns MFA on, with `preferred` or the policy's choice; the first time, a set of
    /// recovery codes is generated to show once (when the policy allows them).
    ///
    /// # Errors
    /// [`Error::Mfa`] (`NoMethodAvailable`, `MethodUnavailable`, `NotPreferable`,
    /// `SmsNeedsExplicitChoice`, `ManagedByIdentityProvider`); store errors.
    pub async fn enable_mfa(
        &self,
        assurance: &Assurance,
        preferred: Option<MfaMethod>,
    ) -> Result<Notified<MfaEnabled>> {
        let account = self.load(&assurance.account).await?.value;
        let ctx = self.context(&account).await?;
        let enabled = self
            .mfa
            .enable(&ctx, preferred, Actor::AccountHolder)
            .await?;
        let mut notify_error = enabled.notify_error;
        let mut recovery_codes = None;
        let never_generated = self
            .mfa
            .availability(&ctx)
            .await?
            .get(MfaMethod::RecoveryCode)
            .reason()
            == Some(tessera_mfa::Unavailable::NotConfigured);
        if never_generated {
            let set = self
                .mfa
                .regenerate_recovery_codes(&ctx, Actor::AccountHolder)
                .await?;
            notify_error = first(notify_error, set.notify_error);
            recovery_codes = Some(set.value);
        }
        Ok(Notified {
            value: MfaEnabled {
                settings: enabled.value,
                recovery_codes,
            },
            notify_error,
        })
    }

    /// Turns MFA off (an MFA-protected operation: needs a recent second factor).
    ///
    /// # Errors
    /// [`Error::StepUpRequired`]; [`Error::Mfa`] (`MfaRequired` by the organisation,
    /// `ManagedByIdentityProvider`); store errors.
    pub async fn disable_mfa(&self, assurance: &Assurance) -> Result<Notified<MfaSettings>> {
        self.require_step_up(assurance).await?;
        let account = self.load(&assurance.account).await?.value;
        let ctx = self.context(&account).await?;
        Ok(self.mfa.disable(&ctx, Actor::AccountHolder).await?)
    }

    /// Chooses the method offered first at sign-in.
    ///
    /// # Errors
    /// [`Error::Mfa`] (`MfaNotEnabled`, `MethodUnavailable`, `NotPreferable`); store
    /// errors.
    pub async fn set_preferred_method(
        &self,
        assurance: &Assurance,
        method: MfaMethod,
    ) -> Result<Notified<MfaSettings>> {
        let account = self.load(&assurance.account).await?.value;
        let ctx = self.context(&account).await?;
        Ok(self
            .mfa
            .set_preferred(&ctx, method, Actor::AccountHolder)
            .await?)
    }

    /// A new set of recovery codes to show once, voiding the old set (an MFA-protected
    /// operation when MFA is on).
    ///
    /// # Errors
    /// [`Error::StepUpRequired`]; [`Error::Mfa`]; store errors.
    pub async fn regenerate_recovery_codes(
        &self,
        assurance: &Assurance,
    ) -> Result<Notified<RecoveryCodeSet>> {
        self.require_step_up(assurance).await?;
        let account = self.load(&assurance.account).await?.value;
        let ctx = self.context(&account).await?;
        Ok(self
            .mfa
            .regenerate_recovery_codes(&ctx, Actor::AccountHolder)
            .await?)
    }

    /// The account's devices with their status, in order of enrolment.
    ///
    /// # Errors
    /// Store errors.
    pub async fn devices(&self, assurance: &Assurance) -> Result<Vec<DeviceInfo>> {
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
        Ok(self
            .registry
            .resync(&assurance.account, device, first_code, second_code)
            .await?)
    }

    /// Removes one of the signed-in account's devices (a lost phone): allowed when the
    /// organisation permits self-service removal, and MFA-protected (a recovery-code
    /// sign-in is a recent second factor). The preferred method falls back when it was
    /// this device's, and the account holder is told.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `SelfServiceRemovalForbidden` (an administrator must use
    /// [`admin_remove_device`](Self::admin_remove_device)); [`Error::StepUpRequired`];
    /// [`Error::Registry`] with `DeviceNotFound`; store errors.
    pub async fn remove_device(
        &self,
        assurance: &Assurance,
        device: DeviceId,
    ) -> Result<Notified<DeviceInfo>> {
        self.remove(
            &assurance.account,
            device,
            Actor::AccountHolder,
            Some(assurance),
        )
        .await
    }

    /// An administrator removes a device of `account` (for organisations that forbid
    /// self-service removal, or a person locked out of every method). The
    /// administrator is named in the security event.
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
        self.remove(account, device, Actor::administrator(admin_id), None)
            .await
    }

    async fn remove(
        &self,
        user: &UserId,
        device: DeviceId,
        actor: Actor,
        assurance: Option<&Assurance>,
    ) -> Result<Notified<DeviceInfo>> {
        let account = self.load(user).await?.value;
        let ctx = self.context(&account).await?;
        self.mfa.authorize_device_removal(&ctx, &actor)?;
        if let Some(assurance) = assurance {
            self.require_step_up(assurance).await?;
        }
        let removed = self.registry.remove(user, device).await?;
        let ctx = self.context(&account).await?;
        let n = self.mfa.device_removed(&ctx, removed.kind, actor).await?;
        Ok(Notified {
            value: removed,
            notify_error: n.notify_error,
        })
    }
}
