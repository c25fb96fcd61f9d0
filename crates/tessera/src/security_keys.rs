//! FIDO security keys and passkeys in the flows (feature `webauthn`), on
//! [`tessera_webauthn`]'s relying party: registration under the binding rules of every
//! other factor, the second factor at sign-in and step-up counted in the throttle
//! before anything is checked, and a possible cloned key audited and told.
//!
//! The relying party is the application's (one per site: its id, origins, policy,
//! ceremony ledger and credential index); each flow takes it by reference, so one
//! [`Accounts`] can serve several sites. The ceremony states come back by value,
//! sealed; keep them in the server-side session like a [`SecondFactorChallenge`].

use tessera_mfa::{Actor, MfaMethod, MfaStore};
use tessera_otp::Clock;
use tessera_registry::DeviceStore;
use tessera_webauthn::{
    AuthenticationCeremony, CeremonyLedger, CreationChallengeResponse, CredentialIndex,
    RegistrationCeremony, RelyingParty, RequestChallengeResponse, parse_authentication_response,
    parse_registration_response, security_keys,
};

use crate::audit::{self, Reason};
use crate::mfa_flows::AuthenticatorAdded;
use crate::{
    AccountStore, Accounts, Assurance, Error, Result, SecondFactorChallenge, SetupSession,
};
use tessera_mfa::Notified;

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// Starts registering a security key or passkey: the options for the browser's
    /// `navigator.credentials.create()` (the account's keys excluded) and the sealed
    /// ceremony to keep in the session.
    ///
    /// Binding a factor: the same fresh authentication as
    /// [`start_authenticator_setup`](Self::start_authenticator_setup).
    ///
    /// # Errors
    /// The binding errors ([`Error::StepUpRequired`], [`Error::ReauthenticationRequired`],
    /// …); [`Error::SecurityKey`] when the relying party refuses to start.
    pub async fn start_security_key_setup<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        rp: &RelyingParty<impl Clock, impl CeremonyLedger, impl CredentialIndex>,
    ) -> Result<(CreationChallengeResponse, RegistrationCeremony)> {
        let account = self
            .require_factor_setup(session.into(), MfaMethod::SecurityKey)
            .await?;
        let existing = security_keys(&self.registry, &account.id).await?;
        Ok(rp.start_registration(&account.id, &account.username, &account.username, &existing)?)
    }

    /// Finishes registering a key from the browser's response (its JSON, as posted):
    /// verified by the relying party, claimed across accounts, counted in the eight
    /// devices, then handled as every bound factor is (notice, MFA on the first time
    /// when `enable_mfa`, the sign-in an enrolment ends in).
    ///
    /// # Errors
    /// The binding errors (checked again: the session may have changed meanwhile);
    /// [`Error::SecurityKey`] for a refused response (wrong origin, challenge, an
    /// authenticator the organisation does not allow, a credential already registered,
    /// an expired or used ceremony, the ninth device); store errors.
    pub async fn finish_security_key_setup<'s>(
        &self,
        session: impl Into<SetupSession<'s>>,
        rp: &RelyingParty<impl Clock, impl CeremonyLedger, impl CredentialIndex>,
        ceremony: RegistrationCeremony,
        response: &str,
        name: &str,
        enable_mfa: bool,
    ) -> Result<Notified<AuthenticatorAdded>> {
        let session = session.into();
        let account = self
            .require_factor_setup(session, MfaMethod::SecurityKey)
            .await?;
        let response = parse_registration_response(response)?;
        let key = rp
            .finish_registration(&self.registry, &account.id, ceremony, &response, name)
            .await?;
        let info = self.device_info(&account.id, key.device_id).await?;
        self.factor_bound(session, &account, info, enable_mfa).await
    }

    /// The options for `navigator.credentials.get()` and the sealed ceremony, for a
    /// second-factor challenge (sign-in or step-up) that offers security keys.
    ///
    /// # Errors
    /// [`Error::MethodNotOffered`] when the challenge does not offer security keys;
    /// [`Error::SecurityKey`]; store errors.
    pub async fn start_security_key(
        &self,
        challenge: &SecondFactorChallenge,
        rp: &RelyingParty<impl Clock, impl CeremonyLedger, impl CredentialIndex>,
    ) -> Result<(RequestChallengeResponse, AuthenticationCeremony)> {
        challenge.require_security_key()?;
        let keys = security_keys(&self.registry, &challenge.account).await?;
        Ok(rp.start_authentication(&challenge.account, &keys)?)
    }

    /// Finishes the second factor with the browser's assertion (its JSON, as posted):
    /// the ceremony is used up, the attempt counted in the account's throttle, then
    /// the signature, origin, challenge, user verification and counter are checked
    /// inside the registry's compare-and-set write.
    ///
    /// Every refusal is the one [`Error::VerificationFailed`]; the reason goes to the
    /// audit log. A signature counter that did not grow is audited as
    /// `possible_cloned_key` and told to the account holder as code reuse of the key.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::MethodNotOffered`].
    pub async fn finish_security_key(
        &self,
        challenge: &SecondFactorChallenge,
        rp: &RelyingParty<impl Clock, impl CeremonyLedger, impl CredentialIndex>,
        ceremony: AuthenticationCeremony,
        response: &str,
    ) -> Result<Assurance> {
        challenge.require_security_key()?;
        let user = &challenge.account;
        let refused = |reason| {
            audit::failed("second_factor_failed", Some(user), reason);
            Error::VerificationFailed
        };
        let response = parse_authentication_response(response)
            .map_err(|_| refused(Reason::WrongSecondFactor))?;
        let opened = rp
            .open_authentication(user, ceremony, response)
            .await
            .map_err(|_| refused(Reason::WrongSecondFactor))?;
        let result = self.finish_with_security_key(challenge, rp, &opened).await;
        if result.is_err()
            && matches!(
                opened.refusal(),
                Some(tessera_webauthn::Error::PossibleClone { .. })
            )
        {
            audit::failed("possible_cloned_key", Some(user), Reason::WrongSecondFactor);
            if let Some(e) = self
                .mfa
                .report_code_reuse(user, MfaMethod::SecurityKey, Actor::AccountHolder)
                .await
            {
                audit::notify_failed(user, &e);
            }
        }
        result
    }
}
