//! The relying party: its builder, its settings, and what its ceremonies share.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tessera_keyring::Keyring;
use tessera_otp::Clock;
use tessera_registry::{DeviceRegistry, DeviceStore, SecurityKey, UserId};
use webauthn_rs::prelude::{AttestationCaList, Uuid};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::ceremony::{self, Flavor, Payload};
use crate::config::{
    DEFAULT_TIMEOUT, MAX_AAGUIDS, MAX_ORIGINS, MAX_TIMEOUT, MIN_TIMEOUT, Settings, check_origin,
    check_rp_id,
};
use crate::{CeremonyLedger, CredentialIndex, Error, UserVerification};

/// Most characters in a user name or display name sent to the authenticator.
pub const MAX_USER_NAME_LEN: usize = 256;

/// A WebAuthn relying party over webauthn-rs, feeding the Tessera device registry.
///
/// It keeps no ceremony state of its own: every `start_*` hands a sealed state back to
/// the caller, and the matching `finish_*` takes it back, so any instance sharing the
/// keyring finishes what another started. Time comes from `C`, used ceremonies are
/// recorded in `L`, and credential ids are claimed across accounts in `I`.
#[derive(Debug)]
pub struct RelyingParty<C, L, I> {
    pub(crate) webauthn: Webauthn,
    pub(crate) settings: Settings,
    pub(crate) keyring: Arc<Keyring>,
    pub(crate) clock: C,
    pub(crate) ledger: L,
    pub(crate) index: I,
}

/// Builds a [`RelyingParty`]; [`build`](Self::build) checks every setting.
#[derive(Clone, Debug)]
#[must_use]
pub struct RelyingPartyBuilder {
    rp_id: String,
    origins: Vec<String>,
    name: Option<String>,
    user_verification: UserVerification,
    timeout: Duration,
    aaguids: Option<Vec<Uuid>>,
    roots: Option<AttestationCaList>,
    passwordless: bool,
}

impl RelyingPartyBuilder {
    /// Turns on passwordless sign-in with passkeys (discoverable credentials, the
    /// browser's passkey autofill): [`RelyingParty::start_passkey_sign_in`]. Off by
    /// default. A passkey alone then replaces password and second factor, so this
    /// needs [`UserVerification::Required`] (the passkey is two factors: the device
    /// and the PIN or biometric that unlocks it), and registrations ask the
    /// authenticator to make the credential discoverable.
    pub const fn passwordless(mut self, on: bool) -> Self {
        self.passwordless = on;
        self
    }

    /// The relying party's display name (default: its id), shown by some
    /// authenticators during registration.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Accepts responses from one more origin (another subdomain or port of the
    /// relying party id).
    pub fn allow_origin(mut self, origin: &str) -> Self {
        self.origins.push(origin.to_owned());
        self
    }

    /// The user-verification policy (default [`UserVerification::Preferred`]).
    pub const fn user_verification(mut self, policy: UserVerification) -> Self {
        self.user_verification = policy;
        self
    }

    /// How long a ceremony lasts, told to the browser and enforced on the state
    /// ([`MIN_TIMEOUT`](crate::MIN_TIMEOUT) to [`MAX_TIMEOUT`](crate::MAX_TIMEOUT),
    /// default [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)).
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Only authenticator models with these AAGUIDs may register. An AAGUID is
    /// only trustworthy when attested, so this needs
    /// [`attestation_roots`](Self::attestation_roots) too.
    pub fn allow_aaguids(mut self, aaguids: impl IntoIterator<Item = Uuid>) -> Self {
        self.aaguids = Some(aaguids.into_iter().collect());
        self
    }

    /// Only authenticators whose attestation chains to one of these roots (each
    /// with the AAGUIDs it may vouch for, webauthn-rs's `AttestationCaList`) may
    /// register. Direct attestation is requested.
    pub fn attestation_roots(mut self, roots: AttestationCaList) -> Self {
        self.roots = Some(roots);
        self
    }

    /// Checks the settings and builds the relying party.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setting: a relying party id that is not a
    /// domain name, an origin that is not `https://` on that domain (or
    /// `http://localhost`), more than [`MAX_ORIGINS`](crate::MAX_ORIGINS) origins, a
    /// name that is empty or too long, a timeout out of bounds, an empty or oversized
    /// AAGUID allow-list, an allow-list without attestation roots, empty roots.
    pub fn build<C: Clock, L: CeremonyLedger, I: CredentialIndex>(
        self,
        keyring: Arc<Keyring>,
        clock: C,
        ledger: L,
        index: I,
    ) -> Result<RelyingParty<C, L, I>, Error> {
        check_rp_id(&self.rp_id)?;
        if self.origins.len() > MAX_ORIGINS {
            return Err(Error::InvalidConfig("at most 16 origins"));
        }
        let origins = self
            .origins
            .iter()
            .map(|o| check_origin(&self.rp_id, o))
            .collect::<Result<Vec<_>, _>>()?;
        let name = self.name.unwrap_or_else(|| self.rp_id.clone());
        if name.trim().is_empty()
            || name.chars().count() > 128
            || name.chars().any(char::is_control)
        {
            return Err(Error::InvalidConfig(
                "the relying party name must be 1 to 128 characters without control characters",
            ));
        }
        if !(MIN_TIMEOUT..=MAX_TIMEOUT).contains(&self.timeout) {
            return Err(Error::InvalidConfig(
                "the timeout must be 30 seconds to 10 minutes",
            ));
        }
        if let Some(aaguids) = &self.aaguids {
            if aaguids.is_empty() || aaguids.len() > MAX_AAGUIDS {
                return Err(Error::InvalidConfig(
                    "an aaguid allow-list holds 1 to 256 aaguids",
                ));
            }
            if self.roots.is_none() {
                return Err(Error::InvalidConfig(
                    "an aaguid allow-list needs attestation roots: an unattested aaguid is only a claim",
                ));
            }
        }
        if self.passwordless && self.user_verification != UserVerification::Required {
            return Err(Error::InvalidConfig(
                "passwordless sign-in needs user verification required",
            ));
        }
        if self.roots.as_ref().is_some_and(AttestationCaList::is_empty) {
            return Err(Error::InvalidConfig("the attestation roots are empty"));
        }
        let [first, rest @ ..] = origins.as_slice() else {
            return Err(Error::InvalidConfig("at least one origin"));
        };
        let mut builder = WebauthnBuilder::new(&self.rp_id, first)
            .map_err(|_| Error::InvalidConfig("webauthn-rs refused the relying party id"))?
            .rp_name(&name)
            .timeout(self.timeout)
            .danger_set_user_presence_only_security_keys(
                self.user_verification == UserVerification::Discouraged,
            );
        for origin in rest {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = builder
            .build()
            .map_err(|_| Error::InvalidConfig("webauthn-rs refused the relying party"))?;
        Ok(RelyingParty {
            webauthn,
            settings: Settings {
                rp_id: self.rp_id,
                rp_name: name,
                origins,
                user_verification: self.user_verification,
                timeout: self.timeout,
                aaguids: self.aaguids,
                roots: self.roots,
                passwordless: self.passwordless,
            },
            keyring,
            clock,
            ledger,
            index,
        })
    }
}

/// The user's active security keys, as [`RelyingParty::start_registration`] (to exclude
/// them) and [`RelyingParty::start_authentication`] take them.
///
/// # Errors
/// [`Error::Registry`] when the store fails.
pub async fn security_keys<S: DeviceStore, RC: Clock>(
    registry: &DeviceRegistry<S, RC>,
    user: &UserId,
) -> Result<Vec<SecurityKey>, Error> {
    let loaded = registry
        .store()
        .load(user)
        .await
        .map_err(|e| Error::Registry(e.into()))?;
    Ok(loaded
        .value
        .iter()
        .filter(|d| d.is_active())
        .filter_map(|d| d.security_key().cloned())
        .collect())
}

impl RelyingParty<(), (), ()> {
    /// A builder for a relying party with id `rp_id` (a domain, e.g. `example.com`)
    /// answering browsers at `origin` (e.g. `https://login.example.com`).
    ///
    /// The relying party id is what every credential is bound to: it cannot change
    /// later without losing every registered key.
    pub fn builder(rp_id: &str, origin: &str) -> RelyingPartyBuilder {
        RelyingPartyBuilder {
            rp_id: rp_id.to_owned(),
            origins: vec![origin.to_owned()],
            name: None,
            user_verification: UserVerification::default(),
            timeout: DEFAULT_TIMEOUT,
            aaguids: None,
            roots: None,
            passwordless: false,
        }
    }
}

impl<C: Clock, L: CeremonyLedger, I: CredentialIndex> RelyingParty<C, L, I> {
    /// The relying party id.
    #[must_use]
    pub fn rp_id(&self) -> &str {
        &self.settings.rp_id
    }

    /// The relying party's display name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.settings.rp_name
    }

    /// The origins whose responses are accepted.
    #[must_use]
    pub fn origins(&self) -> &[webauthn_rs::prelude::Url] {
        &self.settings.origins
    }

    /// The user-verification policy.
    #[must_use]
    pub const fn user_verification(&self) -> UserVerification {
        self.settings.user_verification
    }

    /// How long a ceremony lasts.
    #[must_use]
    pub const fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    /// Whether passwordless passkey sign-in is on.
    #[must_use]
    pub const fn passwordless(&self) -> bool {
        self.settings.passwordless
    }

    /// Whether registration is restricted to attested authenticator models.
    #[must_use]
    pub const fn requires_attestation(&self) -> bool {
        self.settings.roots.is_some()
    }

    /// The credential index, e.g. to find the owner of a credential id.
    pub const fn index(&self) -> &I {
        &self.index
    }

    /// The ceremony ledger.
    pub const fn ledger(&self) -> &L {
        &self.ledger
    }

    /// The opaque user handle the authenticator stores for `user`: a hash of the
    /// relying party id and the user id, so no account name leaves the server.
    #[must_use]
    pub fn user_handle(&self, user: &UserId) -> Uuid {
        let mut h = Sha256::new();
        h.update(b"tessera-webauthn/user-handle\0");
        h.update(self.settings.rp_id.as_bytes());
        h.update([0]);
        h.update(user.as_str().as_bytes());
        let digest = h.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Uuid::from_bytes(bytes)
    }

    /// A payload with a fresh id expiring one timeout from now.
    pub(crate) fn payload(
        &self,
        flavor: Flavor,
        state: serde_json::Value,
    ) -> Result<Payload, Error> {
        let expires_at = self.clock.now().saturating_add(self.settings.timeout);
        Ok(Payload {
            id: *ceremony::CeremonyId::random()?.as_bytes(),
            expires_at: expires_at.as_secs(),
            flavor,
            policy: self.settings.user_verification,
            state,
        })
    }

    /// Opens a ceremony state, refuses it when expired, and records it as used.
    /// (`user` is empty for a passwordless sign-in, which has none yet.)
    pub(crate) async fn consume(
        &self,
        purpose: &str,
        user: &UserId,
        sealed: &tessera_keyring::Sealed,
    ) -> Result<Payload, Error> {
        let payload = ceremony::open(&self.keyring, purpose, self.rp_id(), user, sealed)?;
        let now = self.clock.now();
        if now >= payload.expires_at() {
            return Err(Error::Expired);
        }
        let first = self
            .ledger
            .consume(payload.id(), payload.expires_at(), now)
            .await
            .map_err(Error::Store)?;
        if !first {
            return Err(Error::AlreadyUsed);
        }
        Ok(payload)
    }
}

pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|_| Error::InvalidState)
}

pub(crate) fn from_value<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Error> {
    serde_json::from_value(v).map_err(|_| Error::InvalidState)
}
