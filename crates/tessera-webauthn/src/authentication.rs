//! The authentication ceremony (second factor and step-up), checked through the
//! registry so that the counter and flags are saved with compare-and-set.

use std::sync::{Mutex, PoisonError};

use tessera_otp::{Clock, Rejected};
use tessera_registry::{
    AssertionVerifier, DeviceId, DeviceRegistry, DeviceStore, KeyFlags, SecurityKey, UserId,
};
use webauthn_rs::prelude::{
    AuthenticationResult, Credential, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PublicKeyCredential, RequestChallengeResponse, SecurityKeyAuthentication, WebauthnError,
};

use crate::ceremony::{self, AUTHENTICATION, Flavor};
use crate::relying_party::{from_value, to_value};
use crate::{
    AuthenticationCeremony, CeremonyLedger, CredentialIndex, Error, Refusal, RelyingParty,
    UserVerification,
};

/// A security key's assertion verified and stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyUsed {
    /// The registry's device that signed.
    pub device_id: DeviceId,
    /// The signature counter now stored.
    pub sign_count: u32,
    /// The flags the assertion carried, now stored with the key.
    pub flags: KeyFlags,
}

/// What the check inside the registry's write found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Refused(Refusal),
    PossibleClone,
    Verified(KeyFlags),
}

/// An authentication ceremony opened (not expired, recorded as used) with the
/// browser's response, ready to be checked inside the registry's write: the
/// [`AssertionVerifier::Assertion`] of [`RelyingParty`].
///
/// After the registry refused it, [`refusal`](Self::refusal) says why (for audit: a
/// possible clone is worth telling the account holder).
#[derive(Debug)]
pub struct OpenedAssertion {
    flavor: Flavor,
    state: serde_json::Value,
    response: PublicKeyCredential,
    credential_id: Vec<u8>,
    outcome: Mutex<Option<Outcome>>,
}

impl OpenedAssertion {
    /// Why the last check refused the assertion, as this crate's error:
    /// [`Error::PossibleClone`], [`Error::Refused`] (with
    /// [`Refusal::UnknownCredential`] when the registry found no active key of the
    /// user with this credential id, so never asked the verifier). `None` when it
    /// verified.
    #[must_use]
    pub fn refusal(&self) -> Option<Error> {
        let outcome = *self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            None => Some(Error::Refused(Refusal::UnknownCredential)),
            Some(Outcome::Verified(_)) => None,
            Some(Outcome::Refused(r)) => Some(Error::Refused(r)),
            Some(Outcome::PossibleClone) => Some(Error::PossibleClone { device_id: None }),
        }
    }

    /// The credential id the response names.
    #[must_use]
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    pub(crate) fn new(
        flavor: Flavor,
        state: serde_json::Value,
        response: PublicKeyCredential,
    ) -> Self {
        Self {
            flavor,
            state,
            credential_id: response.raw_id.clone(),
            response,
            outcome: Mutex::new(None),
        }
    }

    fn record(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
    }
}

impl<C: Clock, L: CeremonyLedger, I: CredentialIndex> RelyingParty<C, L, I> {
    /// Starts an authentication (second factor at sign-in, or step-up) with `keys`,
    /// the user's active security keys ([`security_keys`](crate::security_keys)): the
    /// options for the browser's `navigator.credentials.get()` and the sealed state.
    ///
    /// Under [`UserVerification::Required`] the options require user verification
    /// and the finish enforces it.
    ///
    /// # Errors
    /// [`Error::Refused`] with [`Refusal::UnknownCredential`] when no key was given
    /// (or none was registered through this crate); [`Error::Seal`].
    pub fn start_authentication(
        &self,
        user: &UserId,
        keys: &[SecurityKey],
    ) -> Result<(RequestChallengeResponse, AuthenticationCeremony), Error> {
        let credentials: Vec<Credential> = keys
            .iter()
            .filter_map(|k| k.relying_party_record())
            .filter_map(|r| serde_json::from_str(r).ok())
            .collect();
        if credentials.is_empty() {
            return Err(Error::Refused(Refusal::UnknownCredential));
        }
        let w = &self.webauthn;
        let refused = |e: WebauthnError| Error::from_webauthn(&e);
        let (options, flavor, mut state) = if self.user_verification() == UserVerification::Required
        {
            let keys: Vec<Passkey> = credentials.into_iter().map(Passkey::from).collect();
            let (o, s) = w.start_passkey_authentication(&keys).map_err(refused)?;
            (o, Flavor::Passkey, to_value(&s)?)
        } else {
            let keys: Vec<webauthn_rs::prelude::SecurityKey> = credentials
                .into_iter()
                .map(webauthn_rs::prelude::SecurityKey::from)
                .collect();
            let (o, s) = w.start_securitykey_authentication(&keys).map_err(refused)?;
            (o, Flavor::SecurityKey, to_value(&s)?)
        };
        // The credentials come back from the registry at the finish, with the counter
        // and flags as stored then: the state stays short and never goes stale.
        set_credentials(&mut state, serde_json::Value::Array(vec![]));
        let payload = self.payload(flavor, state)?;
        let sealed = ceremony::seal(&self.keyring, AUTHENTICATION, self.rp_id(), user, &payload)?;
        Ok((options, AuthenticationCeremony(sealed)))
    }

    /// Opens `ceremony` for `user` (refusing it when it does not open, has expired or
    /// was used), records it as used, and pairs it with the browser's `response`.
    /// Nothing is verified yet: pass the result, with this relying party as the
    /// verifier, to the facade's `Accounts::finish_with_security_key` (which counts
    /// the attempt in the throttle first) or to
    /// `DeviceRegistry::verify_assertion_unthrottled`.
    ///
    /// # Errors
    /// [`Error::InvalidState`], [`Error::Expired`], [`Error::AlreadyUsed`],
    /// [`Error::Store`] when the ledger fails.
    pub async fn open_authentication(
        &self,
        user: &UserId,
        ceremony: AuthenticationCeremony,
        response: PublicKeyCredential,
    ) -> Result<OpenedAssertion, Error> {
        let payload = self.consume(AUTHENTICATION, user, &ceremony.0).await?;
        if payload.flavor == Flavor::Discoverable {
            return Err(Error::InvalidState);
        }
        Ok(OpenedAssertion::new(
            payload.flavor,
            payload.state,
            response,
        ))
    }

    /// Finishes an authentication: [`open_authentication`](Self::open_authentication),
    /// then the registry's check with this relying party as verifier. The assertion
    /// is checked against the user's key as stored at that moment (origin, relying
    /// party id, challenge, signature, user presence, user verification per policy),
    /// the counter must grow, and the new counter, flags and last-used time are saved
    /// in one compare-and-set write: of two finishes racing with one assertion, one
    /// succeeds.
    ///
    /// # Warning
    /// **No rate limit** of its own. At sign-in and step-up use the facade, which
    /// counts every attempt in the MFA throttle before checking; or count first
    /// yourself.
    ///
    /// # Errors
    /// As [`open_authentication`](Self::open_authentication); then
    /// [`Error::Refused`] with the check that failed ([`Refusal::UnknownCredential`]
    /// for a credential that is not one of this user's active keys);
    /// [`Error::PossibleClone`] when the counter did not grow; [`Error::Registry`] when
    /// the store fails.
    pub async fn finish_authentication<S: DeviceStore, RC: Clock>(
        &self,
        registry: &DeviceRegistry<S, RC>,
        user: &UserId,
        ceremony: AuthenticationCeremony,
        response: PublicKeyCredential,
    ) -> Result<KeyUsed, Error> {
        let opened = self.open_authentication(user, ceremony, response).await?;
        self.verify_opened(registry, user, &opened).await
    }

    /// The registry's check of an opened assertion, with this relying party as the
    /// verifier, and the refusal explained.
    pub(crate) async fn verify_opened<S: DeviceStore, RC: Clock>(
        &self,
        registry: &DeviceRegistry<S, RC>,
        user: &UserId,
        opened: &OpenedAssertion,
    ) -> Result<KeyUsed, Error> {
        match registry
            .verify_assertion_unthrottled(user, self, opened)
            .await
        {
            Ok(v) => {
                let outcome = *opened
                    .outcome
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let flags = match outcome {
                    Some(Outcome::Verified(flags)) => flags,
                    _ => KeyFlags::default(),
                };
                Ok(KeyUsed {
                    device_id: v.device_id,
                    sign_count: v.sign_count,
                    flags,
                })
            }
            Err(tessera_registry::Error::Rejected) => {
                Err(match opened.refusal() {
                    Some(Error::PossibleClone { .. }) => Error::PossibleClone {
                        device_id: device_of(registry, user, opened.credential_id()).await,
                    },
                    Some(e) => e,
                    // Verified inside, then refused by the registry's own counter
                    // rule (it is the same rule): a possible clone as well.
                    None => Error::PossibleClone {
                        device_id: device_of(registry, user, opened.credential_id()).await,
                    },
                })
            }
            Err(e) => Err(Error::Registry(e)),
        }
    }

    /// webauthn-rs's check of `assertion` against `key` as the registry holds it now.
    fn check(
        &self,
        key: &SecurityKey,
        assertion: &OpenedAssertion,
    ) -> Result<(u32, KeyFlags), Outcome> {
        let Some(mut credential) = key
            .relying_party_record()
            .and_then(|r| serde_json::from_str::<Credential>(r).ok())
        else {
            return Err(Outcome::Refused(Refusal::UnknownCredential));
        };
        // The record must be this key's (a store edited by hand could pair them wrongly).
        if credential.cred_id.as_slice() != key.credential_id() {
            return Err(Outcome::Refused(Refusal::UnknownCredential));
        }
        // The registry's counter and flags are the authoritative ones (webauthn-rs's
        // record was written at registration).
        credential.counter = key.sign_count();
        credential.backup_eligible = key.flags().backup_eligible;
        credential.backup_state = key.flags().backup_state;
        let w = &self.webauthn;
        if assertion.flavor == Flavor::Discoverable {
            let result = from_value::<DiscoverableAuthentication>(assertion.state.clone())
                .map_err(|_| Outcome::Refused(Refusal::Other))
                .and_then(|s| {
                    w.finish_discoverable_authentication_v2(&assertion.response, s, &credential)
                        .map_err(outcome)
                })?;
            return self.accept(&result);
        }
        let mut state = assertion.state.clone();
        let Ok(credential) = serde_json::to_value(&credential) else {
            return Err(Outcome::Refused(Refusal::Credential));
        };
        set_credentials(&mut state, serde_json::Value::Array(vec![credential]));
        let result = match assertion.flavor {
            Flavor::Passkey => from_value::<PasskeyAuthentication>(state)
                .map_err(|_| Outcome::Refused(Refusal::Other))
                .and_then(|s| {
                    w.finish_passkey_authentication(&assertion.response, &s)
                        .map_err(outcome)
                }),
            Flavor::SecurityKey | Flavor::AttestedPasskey | Flavor::Discoverable => {
                from_value::<SecurityKeyAuthentication>(state)
                    .map_err(|_| Outcome::Refused(Refusal::Other))
                    .and_then(|s| {
                        w.finish_securitykey_authentication(&assertion.response, &s)
                            .map_err(outcome)
                    })
            }
        }?;
        self.accept(&result)
    }

    /// The rules on a verified result that do not depend on webauthn-rs's settings.
    fn accept(&self, result: &AuthenticationResult) -> Result<(u32, KeyFlags), Outcome> {
        // The policy as it is now, whatever it was when the ceremony started (a state
        // from before the policy became Required asked only for presence).
        if self.user_verification() == UserVerification::Required && !result.user_verified() {
            return Err(Outcome::Refused(Refusal::UserVerification));
        }
        // The counter rule (it must grow, unless the key keeps none: 0 and 0) is
        // webauthn-rs's, applied against the registry's counter put into the state
        // above; its `CredentialPossibleCompromise` is `Outcome::PossibleClone`. A
        // second copy of the rule here could never decide anything (mutation testing
        // showed it), and the clone test pins webauthn-rs's.
        Ok((
            result.counter(),
            KeyFlags::new(
                result.backup_eligible(),
                result.backup_state(),
                result.user_verified(),
            ),
        ))
    }
}

fn outcome(e: WebauthnError) -> Outcome {
    match e {
        WebauthnError::CredentialPossibleCompromise => Outcome::PossibleClone,
        e => Outcome::Refused(Refusal::from_webauthn(&e)),
    }
}

/// Puts `credentials` into a webauthn-rs authentication state's JSON.
fn set_credentials(state: &mut serde_json::Value, credentials: serde_json::Value) {
    if let Some(ast) = state.get_mut("ast").and_then(|v| v.as_object_mut()) {
        ast.insert("credentials".into(), credentials);
    }
}

/// The device holding `credential_id`, for the audit of a possible clone.
async fn device_of<S: DeviceStore, RC: Clock>(
    registry: &DeviceRegistry<S, RC>,
    user: &UserId,
    credential_id: &[u8],
) -> Option<DeviceId> {
    let loaded = registry.store().load(user).await.ok()?;
    loaded
        .value
        .iter()
        .find(|d| {
            d.security_key()
                .is_some_and(|k| k.credential_id() == credential_id)
        })
        .map(tessera_registry::Device::id)
}

/// The relying party checks assertions for the registry (and so for the facade's
/// `Accounts::finish_with_security_key`) inside its compare-and-set write.
impl<C: Clock, L: CeremonyLedger, I: CredentialIndex> AssertionVerifier for RelyingParty<C, L, I> {
    type Assertion = OpenedAssertion;

    fn credential_id<'a>(&self, assertion: &'a OpenedAssertion) -> &'a [u8] {
        &assertion.credential_id
    }

    fn verify(&self, key: &SecurityKey, assertion: &OpenedAssertion) -> Result<u32, Rejected> {
        self.verify_with_flags(key, assertion)
            .map(|(count, _)| count)
    }

    fn verify_with_flags(
        &self,
        key: &SecurityKey,
        assertion: &OpenedAssertion,
    ) -> Result<(u32, Option<KeyFlags>), Rejected> {
        match self.check(key, assertion) {
            Ok((count, flags)) => {
                assertion.record(Outcome::Verified(flags));
                Ok((count, Some(flags)))
            }
            Err(o) => {
                assertion.record(o);
                Err(Rejected)
            }
        }
    }
}
