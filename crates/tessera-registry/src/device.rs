//! A device as the registry keeps it, and a user's devices as one versioned aggregate.

use tessera_keyring::Sealed;
use tessera_otp::{Drift, TimeStep, TotpParams, UnixTime};

use crate::{DeviceId, DeviceKind, DeviceName};

/// Whether a device may be used to sign in, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum DeviceState {
    /// Enrolled but not yet activated with codes; never verifies a sign-in.
    Pending {
        /// From this instant on the enrolment can no longer be activated.
        expires_at: UnixTime,
    },
    /// Activated: verifies sign-ins.
    Active,
}

/// A device's state as seen at a given instant, for listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceStatus {
    /// Waiting for activation until `expires_at`.
    Pending {
        /// The instant the enrolment expires.
        expires_at: UnixTime,
    },
    /// A pending device whose enrolment window has passed; it still occupies a slot
    /// until the next device is added, which removes it.
    Expired,
    /// In use for sign-in.
    Active,
}

/// What a TOTP device (authenticator app or hardware token) verifies with.
///
/// The seed is held **sealed** ([`Sealed`]): encrypted with the registry's
/// [`Keyring`](tessera_keyring::Keyring) and bound to its purpose
/// (`"tessera-registry/totp-seed"`), its user and its device, so a seed copied to
/// another user's or device's record does not open. There is no accessor for the seed
/// in the clear: the registry opens it in memory for the operation that needs it and
/// wipes it afterwards. Stores and the `serde` form see only the sealed text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TotpCredential {
    pub(crate) sealed: Sealed,
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_impl::totp_params"))]
    pub(crate) params: TotpParams,
    pub(crate) serial: Option<String>,
    pub(crate) last_used_step: Option<TimeStep>,
    pub(crate) drift: Drift,
}

impl TotpCredential {
    /// Builds the credential as a store kept it.
    #[must_use]
    pub fn from_parts(
        sealed: Sealed,
        params: TotpParams,
        serial: Option<String>,
        last_used_step: Option<TimeStep>,
        drift: Drift,
    ) -> Self {
        Self {
            sealed,
            params,
            serial,
            last_used_step,
            drift,
        }
    }

    /// The sealed seed, as a store persists it (its text form is
    /// `tsk1.<key id>.<nonce>.<ciphertext>`). [`Sealed::key_id`] says which key sealed
    /// it, for rotation.
    #[must_use]
    pub const fn sealed_secret(&self) -> &Sealed {
        &self.sealed
    }

    /// The TOTP parameters (hash, digits, period, T0).
    #[must_use]
    pub const fn params(&self) -> TotpParams {
        self.params
    }

    /// A hardware token's serial number.
    #[must_use]
    pub fn serial(&self) -> Option<&str> {
        self.serial.as_deref()
    }

    /// The last time step accepted (sign-in, activation or resync): it and every step
    /// before it are refused from now on.
    #[must_use]
    pub const fn last_used_step(&self) -> Option<TimeStep> {
        self.last_used_step
    }

    /// How far the device's clock runs ahead or behind, from the last resync or
    /// two-code activation.
    #[must_use]
    pub const fn drift(&self) -> Drift {
        self.drift
    }
}

/// A FIDO2/WebAuthn security key: what the registry keeps of its registration.
///
/// The registry does not check signatures itself: see
/// [`AssertionVerifier`](crate::AssertionVerifier).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SecurityKey {
    pub(crate) credential_id: Vec<u8>,
    pub(crate) public_key: Vec<u8>,
    pub(crate) sign_count: u32,
    pub(crate) aaguid: [u8; 16],
    /// Added for `tessera-webauthn`; absent in older documents, hence the defaults.
    #[cfg_attr(feature = "serde", serde(default))]
    pub(crate) flags: KeyFlags,
    #[cfg_attr(feature = "serde", serde(default))]
    pub(crate) relying_party_record: Option<String>,
}

/// What a security key's authenticator data said about it (WebAuthn Level 3, §6.1
/// "flags"): kept with the key, refreshed by every verified assertion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct KeyFlags {
    /// The credential may be backed up (synced) by its provider (BE): a passkey
    /// rather than a key bound to one device.
    pub backup_eligible: bool,
    /// The credential is backed up now (BS).
    pub backup_state: bool,
    /// The person was verified (PIN, biometric) at the last ceremony (UV).
    pub user_verified: bool,
}

impl KeyFlags {
    /// Flags as the authenticator data reported them.
    #[must_use]
    pub const fn new(backup_eligible: bool, backup_state: bool, user_verified: bool) -> Self {
        Self {
            backup_eligible,
            backup_state,
            user_verified,
        }
    }
}

impl SecurityKey {
    /// Most bytes in a credential id (WebAuthn Level 2, §4 "Credential ID").
    pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;
    /// Most bytes of a public key kept (a COSE key; RSA-4096 fits well within).
    pub const MAX_PUBLIC_KEY_LEN: usize = 2048;

    /// A registration as the application's WebAuthn library produced it.
    ///
    /// # Errors
    /// [`Error::InvalidDevice`](crate::Error::InvalidDevice) for an empty or oversized
    /// credential id or public key.
    pub fn new(
        credential_id: &[u8],
        public_key: &[u8],
        sign_count: u32,
        aaguid: [u8; 16],
    ) -> Result<Self, crate::Error> {
        if credential_id.is_empty() || credential_id.len() > Self::MAX_CREDENTIAL_ID_LEN {
            return Err(crate::Error::InvalidDevice(
                "credential id must be 1 to 1023 bytes",
            ));
        }
        if public_key.is_empty() || public_key.len() > Self::MAX_PUBLIC_KEY_LEN {
            return Err(crate::Error::InvalidDevice(
                "public key must be 1 to 2048 bytes",
            ));
        }
        Ok(Self {
            credential_id: credential_id.to_vec(),
            public_key: public_key.to_vec(),
            sign_count,
            aaguid,
            flags: KeyFlags::default(),
            relying_party_record: None,
        })
    }

    /// Most bytes of the relying party's own record of the credential kept
    /// ([`with_relying_party_record`](Self::with_relying_party_record)); an attestation
    /// chain of three certificates fits well within.
    pub const MAX_RELYING_PARTY_RECORD_LEN: usize = 32 * 1024;

    /// The key with its flags as the registration or last assertion reported them.
    #[must_use]
    pub const fn with_flags(mut self, flags: KeyFlags) -> Self {
        self.flags = flags;
        self
    }

    /// The key with the WebAuthn library's own serialized record of the credential
    /// (for `tessera-webauthn`, webauthn-rs's credential as JSON), which it needs to
    /// start and check later ceremonies. It holds no secret: a public key, the
    /// credential id, flags, and the attestation it was registered with.
    ///
    /// # Errors
    /// [`Error::InvalidDevice`](crate::Error::InvalidDevice) for an empty record or
    /// one longer than [`MAX_RELYING_PARTY_RECORD_LEN`](Self::MAX_RELYING_PARTY_RECORD_LEN).
    pub fn with_relying_party_record(mut self, record: String) -> Result<Self, crate::Error> {
        if record.is_empty() || record.len() > Self::MAX_RELYING_PARTY_RECORD_LEN {
            return Err(crate::Error::InvalidDevice(
                "relying party record must be 1 to 32768 bytes",
            ));
        }
        self.relying_party_record = Some(record);
        Ok(self)
    }

    /// The flags from the registration, refreshed by every verified assertion.
    #[must_use]
    pub const fn flags(&self) -> KeyFlags {
        self.flags
    }

    /// The WebAuthn library's serialized record of the credential, if one was kept.
    #[must_use]
    pub fn relying_party_record(&self) -> Option<&str> {
        self.relying_party_record.as_deref()
    }

    /// The credential id the authenticator returns with every assertion.
    #[must_use]
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    /// The credential's public key (COSE encoded, as the WebAuthn library gave it).
    #[must_use]
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// The last signature counter accepted.
    #[must_use]
    pub const fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// The authenticator model's AAGUID.
    #[must_use]
    pub const fn aaguid(&self) -> [u8; 16] {
        self.aaguid
    }
}

/// What a device verifies with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Credential {
    /// A TOTP secret and its state (authenticator app, hardware token).
    Totp(TotpCredential),
    /// A FIDO security key.
    SecurityKey(SecurityKey),
}

/// One MFA device of a user.
///
/// `Debug` never shows a secret. Devices are made by the registry's operations; stores
/// rebuild them with [`Device::from_parts`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Device {
    pub(crate) id: DeviceId,
    pub(crate) name: DeviceName,
    pub(crate) kind: DeviceKind,
    pub(crate) state: DeviceState,
    pub(crate) created_at: UnixTime,
    pub(crate) activated_at: Option<UnixTime>,
    pub(crate) last_used_at: Option<UnixTime>,
    pub(crate) credential: Credential,
}

impl Device {
    /// Rebuilds a device as a store kept it, field by field.
    #[allow(clippy::too_many_arguments)] // One argument per stored field, for stores.
    #[must_use]
    pub fn from_parts(
        id: DeviceId,
        name: DeviceName,
        kind: DeviceKind,
        state: DeviceState,
        created_at: UnixTime,
        activated_at: Option<UnixTime>,
        last_used_at: Option<UnixTime>,
        credential: Credential,
    ) -> Self {
        Self {
            id,
            name,
            kind,
            state,
            created_at,
            activated_at,
            last_used_at,
            credential,
        }
    }

    /// The device's id.
    #[must_use]
    pub const fn id(&self) -> DeviceId {
        self.id
    }

    /// The name its owner gave it.
    #[must_use]
    pub const fn name(&self) -> &DeviceName {
        &self.name
    }

    /// Its kind.
    #[must_use]
    pub const fn kind(&self) -> DeviceKind {
        self.kind
    }

    /// Its stored state.
    #[must_use]
    pub const fn state(&self) -> DeviceState {
        self.state
    }

    /// Its state at instant `now`: a pending device is expired from `expires_at` on.
    #[must_use]
    pub fn status(&self, now: UnixTime) -> DeviceStatus {
        match self.state {
            DeviceState::Active => DeviceStatus::Active,
            DeviceState::Pending { expires_at } if now >= expires_at => DeviceStatus::Expired,
            DeviceState::Pending { expires_at } => DeviceStatus::Pending { expires_at },
        }
    }

    /// Whether it verifies sign-ins.
    #[must_use]
    pub const fn is_active(&self) -> bool {
        matches!(self.state, DeviceState::Active)
    }

    /// When it was enrolled.
    #[must_use]
    pub const fn created_at(&self) -> UnixTime {
        self.created_at
    }

    /// When it was activated.
    #[must_use]
    pub const fn activated_at(&self) -> Option<UnixTime> {
        self.activated_at
    }

    /// When it last verified a sign-in.
    #[must_use]
    pub const fn last_used_at(&self) -> Option<UnixTime> {
        self.last_used_at
    }

    /// What it verifies with.
    #[must_use]
    pub const fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Its TOTP credential, for an authenticator app or hardware token.
    #[must_use]
    pub const fn totp(&self) -> Option<&TotpCredential> {
        match &self.credential {
            Credential::Totp(t) => Some(t),
            Credential::SecurityKey(_) => None,
        }
    }

    /// Its security-key registration.
    #[must_use]
    pub const fn security_key(&self) -> Option<&SecurityKey> {
        match &self.credential {
            Credential::SecurityKey(k) => Some(k),
            Credential::Totp(_) => None,
        }
    }

    /// What may be shown about the device at `now` (no secret, no key material).
    #[must_use]
    pub fn info(&self, now: UnixTime) -> DeviceInfo {
        DeviceInfo {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind,
            status: self.status(now),
            created_at: self.created_at,
            activated_at: self.activated_at,
            last_used_at: self.last_used_at,
            serial: self.totp().and_then(|t| t.serial.clone()),
        }
    }
}

/// A device as listed to its owner or an administrator: no secret, no key material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// The device's id.
    pub id: DeviceId,
    /// Its name.
    pub name: DeviceName,
    /// Its kind.
    pub kind: DeviceKind,
    /// Its state at the instant of listing.
    pub status: DeviceStatus,
    /// When it was enrolled.
    pub created_at: UnixTime,
    /// When it was activated.
    pub activated_at: Option<UnixTime>,
    /// When it last verified a sign-in.
    pub last_used_at: Option<UnixTime>,
    /// A hardware token's serial number.
    pub serial: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_key_parts_are_kept() {
        let key = SecurityKey::new(&[7; 16], &[1; 65], 3, [9; 16]).unwrap();
        assert_eq!(key.credential_id(), &[7; 16]);
        assert_eq!(key.public_key(), &[1; 65]);
        assert_eq!(key.sign_count(), 3);
        assert_eq!(key.aaguid(), [9; 16]);
    }

    /// The relying party's record is 1 to 32 KiB, both bounds inclusive.
    #[test]
    fn relying_party_record_is_1_to_32_kib() {
        let key = SecurityKey::new(&[7; 16], &[1; 65], 0, [0; 16]).unwrap();
        let with = |len: usize| key.clone().with_relying_party_record("r".repeat(len));
        let at_limit = with(32_768).unwrap();
        assert_eq!(at_limit.relying_party_record().map(str::len), Some(32_768));
        assert!(with(1).is_ok());
        for bad in [0, 32_769] {
            assert!(
                matches!(with(bad), Err(crate::Error::InvalidDevice(_))),
                "{bad}"
            );
        }
    }
}
