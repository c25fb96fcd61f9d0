//! Passwordless sign-in with passkeys (discoverable credentials), when the
//! organisation turns it on ([`RelyingPartyBuilder::passwordless`]).
//!
//! [`RelyingPartyBuilder::passwordless`]: crate::RelyingPartyBuilder::passwordless

use tessera_otp::Clock;
use tessera_registry::{DeviceRegistry, DeviceStore, UserId};
use webauthn_rs::prelude::{PublicKeyCredential, RequestChallengeResponse, WebauthnError};

use crate::ceremony::{self, Flavor, PASSKEY_SIGN_IN};
use crate::relying_party::to_value;
use crate::{
    CeremonyLedger, CredentialIndex, Error, KeyUsed, OpenedAssertion, PasskeySignInCeremony,
    Refusal, RelyingParty,
};

/// The binding owner of a sign-in state: none is known yet (the purpose keeps it apart
/// from every user's states).
fn nobody() -> UserId {
    UserId::new("")
}

impl<C: Clock, L: CeremonyLedger, I: CredentialIndex> RelyingParty<C, L, I> {
    /// Starts a passwordless sign-in: options for `navigator.credentials.get()` with
    /// no allowed credentials and `mediation: "conditional"` (the browser offers the
    /// site's passkeys in the username field's autofill), and the sealed state.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when passwordless sign-in is off; [`Error::Seal`].
    pub fn start_passkey_sign_in(
        &self,
    ) -> Result<(RequestChallengeResponse, PasskeySignInCeremony), Error> {
        if !self.passwordless() {
            return Err(Error::InvalidConfig("passwordless sign-in is off"));
        }
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e: WebauthnError| Error::from_webauthn(&e))?;
        let payload = self.payload(Flavor::Discoverable, to_value(&state)?)?;
        let sealed = ceremony::seal(
            &self.keyring,
            PASSKEY_SIGN_IN,
            self.rp_id(),
            &nobody(),
            &payload,
        )?;
        Ok((options, PasskeySignInCeremony(sealed)))
    }

    /// Opens a passwordless sign-in (refusing it when it does not open, has expired or
    /// was used; it is recorded as used) and finds the account: the
    /// [`CredentialIndex`] owner of the credential id the response names, whose
    /// [`user_handle`](Self::user_handle) must be the one the authenticator returned.
    /// Nothing is verified yet: count the attempt in the account's throttle, then
    /// check the returned assertion with this relying party as the verifier
    /// (`Accounts::finish_with_security_key` or
    /// `DeviceRegistry::verify_assertion_unthrottled` for the returned user).
    ///
    /// The account is found before anything is verified: do not tell the person
    /// which account it was until the check succeeded.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when passwordless sign-in is off;
    /// [`Error::InvalidState`], [`Error::Expired`], [`Error::AlreadyUsed`];
    /// [`Error::Refused`] with [`Refusal::UnknownCredential`] for a credential no
    /// account holds, a missing user handle, or one that is not its owner's;
    /// [`Error::Store`].
    pub async fn identify_passkey_sign_in(
        &self,
        ceremony: PasskeySignInCeremony,
        response: PublicKeyCredential,
    ) -> Result<(UserId, OpenedAssertion), Error> {
        if !self.passwordless() {
            return Err(Error::InvalidConfig("passwordless sign-in is off"));
        }
        let payload = self
            .consume(PASSKEY_SIGN_IN, &nobody(), &ceremony.0)
            .await?;
        if payload.flavor != Flavor::Discoverable {
            return Err(Error::InvalidState);
        }
        let unknown = Error::Refused(Refusal::UnknownCredential);
        let Ok((handle, credential_id)) = self
            .webauthn
            .identify_discoverable_authentication(&response)
        else {
            return Err(unknown);
        };
        let Some(user) = self
            .index
            .owner(credential_id)
            .await
            .map_err(Error::Store)?
        else {
            return Err(unknown);
        };
        if self.user_handle(&user) != handle {
            return Err(unknown);
        }
        Ok((
            user,
            OpenedAssertion::new(payload.flavor, payload.state, response),
        ))
    }

    /// Finishes a passwordless sign-in: [`identify_passkey_sign_in`](Self::identify_passkey_sign_in),
    /// then the registry's check for that account (user verification required, the
    /// counter must grow, counter and flags saved with compare-and-set). Returns the
    /// account and the key.
    ///
    /// # Warning
    /// **No rate limit** of its own: at sign-in use the facade, which counts the
    /// attempt against the account before the check.
    ///
    /// # Errors
    /// As [`identify_passkey_sign_in`](Self::identify_passkey_sign_in), then as
    /// [`finish_authentication`](Self::finish_authentication).
    pub async fn finish_passkey_sign_in<S: DeviceStore, RC: Clock>(
        &self,
        registry: &DeviceRegistry<S, RC>,
        ceremony: PasskeySignInCeremony,
        response: PublicKeyCredential,
    ) -> Result<(UserId, KeyUsed), Error> {
        let (user, opened) = self.identify_passkey_sign_in(ceremony, response).await?;
        let used = self.verify_opened(registry, &user, &opened).await?;
        Ok((user, used))
    }
}
