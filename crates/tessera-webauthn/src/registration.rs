//! The registration ceremony: a new security key or passkey becomes a registry device.

use tessera_otp::Clock;
use tessera_registry::{
    DeviceId, DeviceName, DeviceRegistry, DeviceStore, KeyFlags, SecurityKey, UserId,
};
use webauthn_rs::prelude::{
    AttestationMetadata, AttestedPasskey, AttestedPasskeyRegistration, CreationChallengeResponse,
    Credential, CredentialID, Passkey, PasskeyRegistration, RegisterPublicKeyCredential,
    SecurityKeyRegistration, Uuid,
};

use crate::ceremony::{self, Flavor, Payload, REGISTRATION};
use crate::relying_party::{from_value, to_value};
use crate::{
    CeremonyLedger, Claim, CredentialIndex, Error, MAX_USER_NAME_LEN, RegistrationCeremony,
    RelyingParty, UserVerification,
};

/// A security key just registered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisteredKey {
    /// The registry's new device (kind security key, active).
    pub device_id: DeviceId,
    /// The authenticator model, when attested (zero otherwise).
    pub aaguid: Uuid,
    /// Its flags at registration.
    pub flags: KeyFlags,
}

impl<C: Clock, L: CeremonyLedger, I: CredentialIndex> RelyingParty<C, L, I> {
    /// Starts registering a security key for `user`: the options for the browser's
    /// `navigator.credentials.create()` (serialise them to JSON) and the sealed state.
    ///
    /// `existing` are the user's keys ([`security_keys`](crate::security_keys)): their credential ids are
    /// excluded, so an authenticator that holds one declines instead of registering
    /// twice. `user_name` and `display_name` are shown by some authenticators.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an empty or overlong (more than
    /// [`MAX_USER_NAME_LEN`] characters) name; [`Error::Refused`] when webauthn-rs
    /// refuses to start; [`Error::Seal`].
    pub fn start_registration(
        &self,
        user: &UserId,
        user_name: &str,
        display_name: &str,
        existing: &[SecurityKey],
    ) -> Result<(CreationChallengeResponse, RegistrationCeremony), Error> {
        for n in [user_name, display_name] {
            if n.trim().is_empty()
                || n.chars().count() > MAX_USER_NAME_LEN
                || n.chars().any(char::is_control)
            {
                return Err(Error::InvalidConfig(
                    "user and display names must be 1 to 256 characters without control characters",
                ));
            }
        }
        let handle = self.user_handle(user);
        let exclude: Vec<CredentialID> = existing
            .iter()
            .map(|k| CredentialID::from(k.credential_id().to_vec()))
            .collect();
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let roots = self.settings.roots.clone();
        let w = &self.webauthn;
        let (options, flavor, mut state) = match (self.settings.user_verification, roots) {
            (UserVerification::Required, Some(roots)) => {
                let (o, s) = w
                    .start_attested_passkey_registration(
                        handle,
                        user_name,
                        display_name,
                        exclude,
                        roots,
                        None,
                    )
                    .map_err(|e| Error::from_webauthn(&e))?;
                (o, Flavor::AttestedPasskey, to_value(&s)?)
            }
            (UserVerification::Required, None) => {
                let (o, s) = w
                    .start_passkey_registration(handle, user_name, display_name, exclude)
                    .map_err(|e| Error::from_webauthn(&e))?;
                (o, Flavor::Passkey, to_value(&s)?)
            }
            (_, roots) => {
                let (o, s) = w
                    .start_securitykey_registration(
                        handle,
                        user_name,
                        display_name,
                        exclude,
                        roots,
                        None,
                    )
                    .map_err(|e| Error::from_webauthn(&e))?;
                (o, Flavor::SecurityKey, to_value(&s)?)
            }
        };
        // Kept short for the sealed text: the roots come back from the settings at the
        // finish, and the exclusion is the registry's and the index's to enforce.
        if let Some(s) = state.as_object_mut() {
            s.remove("ca_list");
            if let Some(rs) = s.get_mut("rs").and_then(|v| v.as_object_mut()) {
                rs.insert(
                    "exclude_credentials".into(),
                    serde_json::Value::Array(vec![]),
                );
            }
        }
        let options = if self.settings.passwordless {
            prefer_discoverable(options)?
        } else {
            options
        };
        let options = browser_compatible(options)?;
        let payload = self.payload(flavor, state)?;
        let sealed = ceremony::seal(&self.keyring, REGISTRATION, self.rp_id(), user, &payload)?;
        Ok((options, RegistrationCeremony(sealed)))
    }

    /// Finishes a registration: checks the browser's `response` against the sealed
    /// `ceremony` (origin, relying party id, challenge, attestation and its roots,
    /// user verification per policy, AAGUID allow-list), claims the credential id in
    /// the [`CredentialIndex`], and registers the key in `registry` as an active
    /// security-key device named `name` (counted in the user's eight).
    ///
    /// The ceremony is used up by this call whatever its outcome (except a `name`
    /// the registry refuses, checked first).
    ///
    /// Binding a new factor is sensitive: call this only after the facade's step-up
    /// (Tessera's invariant 9), as for any other device.
    ///
    /// # Errors
    /// [`Error::InvalidState`], [`Error::Expired`], [`Error::AlreadyUsed`];
    /// [`Error::Refused`] with the check that failed; [`Error::AuthenticatorNotAllowed`];
    /// [`Error::CredentialInUse`] when any account (this one included) holds the
    /// credential id; [`Error::Registry`] (invalid or duplicate name, too many devices,
    /// the store failed); [`Error::Store`] when the index or ledger fails.
    pub async fn finish_registration<S: DeviceStore, RC: Clock>(
        &self,
        registry: &DeviceRegistry<S, RC>,
        user: &UserId,
        ceremony: RegistrationCeremony,
        response: &RegisterPublicKeyCredential,
        name: &str,
    ) -> Result<RegisteredKey, Error> {
        DeviceName::new(name)?;
        let payload = self.consume(REGISTRATION, user, &ceremony.0).await?;
        let credential = self.verify_registration(&payload, response)?;
        // The policy as it is now, whatever it was when the ceremony started.
        if self.settings.user_verification == UserVerification::Required
            && !credential.user_verified
        {
            return Err(Error::Refused(crate::Refusal::UserVerification));
        }
        let aaguid = match &credential.attestation.metadata {
            AttestationMetadata::Packed { aaguid } | AttestationMetadata::Tpm { aaguid, .. } => {
                Some(*aaguid)
            }
            _ => None,
        };
        if let Some(allowed) = &self.settings.aaguids
            && !aaguid.is_some_and(|a| allowed.contains(&a))
        {
            return Err(Error::AuthenticatorNotAllowed);
        }
        let aaguid = aaguid.unwrap_or(Uuid::nil());
        let flags = KeyFlags::new(
            credential.backup_eligible,
            credential.backup_state,
            credential.user_verified,
        );
        let key = to_registry_key(&credential, *aaguid.as_bytes(), flags)?;
        let claim = self
            .index
            .claim(key.credential_id(), user)
            .await
            .map_err(Error::Store)?;
        if claim == Claim::TakenByAnother {
            return Err(Error::CredentialInUse);
        }
        match registry.register_security_key(user, name, &key).await {
            Ok(device_id) => Ok(RegisteredKey {
                device_id,
                aaguid,
                flags,
            }),
            Err(e) => {
                // Undo a claim this call made; one made earlier for this user (an
                // interrupted registration) is left, as it was.
                if claim == Claim::Claimed {
                    self.index
                        .release(key.credential_id(), user)
                        .await
                        .map_err(Error::Store)?;
                }
                Err(match e {
                    tessera_registry::Error::DuplicateDevice => Error::CredentialInUse,
                    e => Error::Registry(e),
                })
            }
        }
    }

    /// Removes a device of `user` through the registry and, for a security key,
    /// releases its credential id in the [`CredentialIndex`] (so the key can be
    /// registered again, to this account or another). Returns what was removed, for
    /// the security notification. Removing a factor is sensitive: call it after the
    /// facade's step-up, under the organisation's self-service rules.
    ///
    /// # Errors
    /// [`Error::Registry`] ([`DeviceNotFound`](tessera_registry::Error::DeviceNotFound),
    /// the store failed); [`Error::Store`] when the index fails after the removal (the
    /// claim stays with the user, who may claim it again: harmless).
    pub async fn remove_device<S: DeviceStore, RC: Clock>(
        &self,
        registry: &DeviceRegistry<S, RC>,
        user: &UserId,
        device: DeviceId,
    ) -> Result<tessera_registry::DeviceInfo, Error> {
        let loaded = registry
            .store()
            .load(user)
            .await
            .map_err(|e| Error::Registry(e.into()))?;
        let credential_id = loaded
            .value
            .iter()
            .find(|d| d.id() == device)
            .and_then(|d| d.security_key())
            .map(|k| k.credential_id().to_vec());
        let removed = registry.remove(user, device).await?;
        if let Some(id) = credential_id {
            self.index.release(&id, user).await.map_err(Error::Store)?;
        }
        Ok(removed)
    }

    /// webauthn-rs's check of a registration response against the opened state.
    fn verify_registration(
        &self,
        payload: &Payload,
        response: &RegisterPublicKeyCredential,
    ) -> Result<Credential, Error> {
        let mut state = payload.state.clone();
        let roots = match &self.settings.roots {
            Some(r) => to_value(r)?,
            None => serde_json::Value::Null,
        };
        if let Some(s) = state.as_object_mut()
            && payload.flavor != Flavor::Passkey
        {
            s.insert("ca_list".into(), roots);
        }
        let w = &self.webauthn;
        let refused = |e: webauthn_rs::prelude::WebauthnError| Error::from_webauthn(&e);
        Ok(match payload.flavor {
            Flavor::SecurityKey => {
                let s: SecurityKeyRegistration = from_value(state)?;
                w.finish_securitykey_registration(response, &s)
                    .map_err(refused)?
                    .into()
            }
            Flavor::Passkey => {
                let s: PasskeyRegistration = from_value(state)?;
                let key: Passkey = w
                    .finish_passkey_registration(response, &s)
                    .map_err(refused)?;
                key.into()
            }
            // Not a registration's state.
            Flavor::Discoverable => return Err(Error::InvalidState),
            Flavor::AttestedPasskey => {
                let s: AttestedPasskeyRegistration = from_value(state)?;
                let key: AttestedPasskey = w
                    .finish_attested_passkey_registration(response, &s)
                    .map_err(refused)?;
                key.into()
            }
        })
    }
}

/// The registry's record of a new credential: its id, its public key (webauthn-rs's
/// COSE key as JSON), counter, AAGUID, flags, and webauthn-rs's whole credential.
fn to_registry_key(
    credential: &Credential,
    aaguid: [u8; 16],
    flags: KeyFlags,
) -> Result<SecurityKey, Error> {
    let public_key = serde_json::to_vec(&credential.cred)
        .map_err(|_| Error::Refused(crate::Refusal::Credential))?;
    let record = serde_json::to_string(credential)
        .map_err(|_| Error::Refused(crate::Refusal::Credential))?;
    Ok(SecurityKey::new(
        credential.cred_id.as_slice(),
        &public_key,
        credential.counter,
        aaguid,
    )?
    .with_flags(flags)
    .with_relying_party_record(record)?)
}

/// Asks the authenticator for a discoverable credential (WebAuthn Level 3, §5.4.6
/// `residentKey: "preferred"`): only a hint to the browser, nothing in the state
/// depends on it (a key that cannot store one still registers, for second-factor use).
/// The options as browsers accept them: a request for a server-side (non-discoverable)
/// credential carries no `credProtect` extension.
///
/// webauthn-rs asks every security key for `credentialProtectionPolicy:
/// userVerificationRequired` (not enforced), and Chromium refuses the whole request
/// when the credential is not discoverable ("Requested protection policy is
/// inconsistent or incongruent with other requested parameters", kanidm/webauthn-rs#490):
/// no security key could be registered from Chrome. Only the options sent to the
/// browser change; the extension was never enforced, the sealed state still records
/// what webauthn-rs asked, and user verification is checked per policy as before.
fn browser_compatible(
    options: CreationChallengeResponse,
) -> Result<CreationChallengeResponse, Error> {
    let mut json = to_value(&options)?;
    let Some(public_key) = json.get_mut("publicKey").and_then(|p| p.as_object_mut()) else {
        return Ok(options);
    };
    let discoverable = public_key
        .get("authenticatorSelection")
        .and_then(|a| a.get("residentKey"))
        .and_then(|r| r.as_str())
        .is_some_and(|r| r == "preferred" || r == "required");
    if discoverable {
        return Ok(options);
    }
    if let Some(extensions) = public_key
        .get_mut("extensions")
        .and_then(|e| e.as_object_mut())
    {
        extensions.remove("credentialProtectionPolicy");
        extensions.remove("enforceCredentialProtectionPolicy");
    }
    from_value(json)
}

fn prefer_discoverable(
    options: CreationChallengeResponse,
) -> Result<CreationChallengeResponse, Error> {
    let mut json = to_value(&options)?;
    if let Some(sel) = json
        .get_mut("publicKey")
        .and_then(|p| p.get_mut("authenticatorSelection"))
        .and_then(|a| a.as_object_mut())
    {
        sel.insert("residentKey".into(), "preferred".into());
    }
    from_value(json)
}
