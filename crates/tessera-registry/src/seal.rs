//! TOTP seeds sealed at rest: every seed in a stored aggregate is a
//! [`Sealed`] value bound to its purpose, its user and its device, and is opened in
//! memory only for the one operation that needs it.

use tessera_keyring::{Binding, KeyId, Keyring, Sealed};
use tessera_otp::Secret;

use crate::{Credential, Device, DeviceId, Error, UserId};

/// The purpose every TOTP seed is sealed for (the associated data's first field).
pub(crate) const SEED_PURPOSE: &str = "tessera-registry/totp-seed";

/// Seals and opens the seeds of one user's devices with the registry's keyring.
#[derive(Clone, Copy)]
pub(crate) struct Seeds<'a> {
    keyring: &'a Keyring,
    user: &'a UserId,
}

impl<'a> Seeds<'a> {
    pub(crate) const fn new(keyring: &'a Keyring, user: &'a UserId) -> Self {
        Self { keyring, user }
    }

    /// Seals `secret` for `device` of this user with the active key.
    pub(crate) fn seal(&self, device: DeviceId, secret: &Secret) -> Result<Sealed, Error> {
        let device = device.as_u128().to_be_bytes();
        self.keyring
            .seal(&self.binding(&device), secret.expose_bytes())
            .map_err(Error::SealedSecret)
    }

    /// Opens the seed of `device`; it opens only for this user and this device.
    pub(crate) fn open(&self, device: DeviceId, sealed: &Sealed) -> Result<Secret, Error> {
        let device = device.as_u128().to_be_bytes();
        let plain = self
            .keyring
            .open(&self.binding(&device), sealed)
            .map_err(Error::SealedSecret)?;
        // A value that opened was sealed by the registry from a valid secret; a length
        // refused here means the keyring itself was misused, so it is the same error.
        Secret::from_bytes(&plain)
            .map_err(|_| Error::SealedSecret(tessera_keyring::Error::OpenFailed))
    }

    /// Re-seals with the active key every seed sealed with another key, in place.
    ///
    /// A seed that does not open (its key is not loaded, or it was tampered with or
    /// moved) is left exactly as stored, so nothing is lost; its key id is reported.
    pub(crate) fn reseal_stale(&self, devices: &mut [Device]) -> Resealed {
        let mut out = Resealed::default();
        for device in devices.iter_mut() {
            let id = device.id;
            let Credential::Totp(cred) = &mut device.credential else {
                continue;
            };
            if self.keyring.is_current(&cred.sealed) {
                continue;
            }
            match self
                .open(id, &cred.sealed)
                .and_then(|secret| self.seal(id, &secret))
            {
                Ok(sealed) => {
                    cred.sealed = sealed;
                    out.resealed += 1;
                }
                Err(_) => out.unopened.push((id, cred.sealed.key_id().clone())),
            }
        }
        out
    }

    fn binding<'b>(&'b self, device: &'b [u8]) -> Binding<'b> {
        Binding::new(SEED_PURPOSE)
            .owner(self.user.as_str().as_bytes())
            .owner(device)
    }
}

/// What [`Seeds::reseal_stale`] did to one aggregate.
#[derive(Debug, Default)]
pub(crate) struct Resealed {
    /// Seeds now sealed with the active key.
    pub(crate) resealed: u64,
    /// The devices whose seeds could not be opened (left as stored), with the id of
    /// the key that sealed each.
    pub(crate) unopened: Vec<(DeviceId, KeyId)>,
}
