//! One device, one user: the registry's side of the store's fingerprint claims.
//!
//! A hardware token (its serial and its seed) and an authenticator app's seed are
//! claimed in the store, as keyed [`DeviceFingerprint`]s, before the device is stored
//! active, and released when it is removed. The order of every claiming operation:
//!
//! 1. a dry run of the change on a copy of the user's devices, so that nothing is
//!    claimed (and nothing about other users is told) unless the device's codes
//!    verify and the change would be saved;
//! 2. the claims, one per key of the keyring (see [`fingerprints`]); a claim held by
//!    another user refuses the operation with [`Error::DeviceBelongsToAnotherUser`];
//! 3. the change itself (load → change → conditional save, as every operation);
//! 4. when it fails, the claims made by step 2 are released, except those that a
//!    device the user now has still needs (a concurrent request of the same user
//!    stored the device meanwhile). Best effort: a failed release leaves a claim
//!    without a device, which refuses that device to other users until its holder
//!    enrols and removes it (or an administrator releases it in the store).

use std::collections::HashSet;

use tessera_otp::Clock;

use super::DeviceRegistry;
use crate::fingerprint::{Material, fingerprints};
use crate::{
    Credential, Device, DeviceFingerprint, DeviceStore, Error, FingerprintClaim, StoreError, UserId,
};

impl<S: DeviceStore, C: Clock> DeviceRegistry<S, C> {
    /// The fingerprints of what identifies `device`: its serial, if a hardware token,
    /// and its seed, if it opens (a seed that does not open cannot be fingerprinted;
    /// its claim, if any, stays).
    pub(super) fn device_fingerprints(
        &self,
        user: &UserId,
        device: &Device,
    ) -> Vec<DeviceFingerprint> {
        let Credential::Totp(cred) = &device.credential else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(serial) = &cred.serial {
            out.extend(fingerprints(&self.keyring, Material::Serial(serial)).unwrap_or_default());
        }
        if let Ok(secret) = self.seeds(user).open(device.id, &cred.sealed) {
            out.extend(fingerprints(&self.keyring, Material::Seed(&secret)).unwrap_or_default());
        }
        out
    }

    /// Claims every fingerprint in `fps` for `user`, in order; returns those newly
    /// claimed. On a claim held by another user, releases the ones this call made and
    /// refuses.
    pub(super) async fn claim_all(
        &self,
        user: &UserId,
        fps: &[DeviceFingerprint],
    ) -> Result<Vec<DeviceFingerprint>, Error> {
        let mut made = Vec::new();
        for fp in fps {
            match self.store.claim_fingerprint(fp, user).await {
                Ok(FingerprintClaim::New) => made.push(*fp),
                Ok(_) => {}
                Err(e) => {
                    self.release_unneeded(user, &made).await;
                    return Err(match e {
                        StoreError::Duplicate => Error::DeviceBelongsToAnotherUser,
                        other => Error::from(other),
                    });
                }
            }
        }
        Ok(made)
    }

    /// Releases each of `fps` that no device `user` has now needs. Best effort: a
    /// failure leaves the claim (see the module docs).
    pub(super) async fn release_unneeded(&self, user: &UserId, fps: &[DeviceFingerprint]) {
        if fps.is_empty() {
            return;
        }
        let Ok(loaded) = self.store.load(user).await else {
            return;
        };
        let needed: HashSet<DeviceFingerprint> = loaded
            .value
            .iter()
            .flat_map(|d| self.device_fingerprints(user, d))
            .collect();
        for fp in fps.iter().filter(|fp| !needed.contains(fp)) {
            // Ignored on purpose: the operation's own outcome is what the caller needs.
            let _ = self.store.release_fingerprint(fp, user).await;
        }
    }

    /// Claims `fps`, then runs `op`; when `op` fails, releases the claims it made.
    pub(super) async fn with_claims<T>(
        &self,
        user: &UserId,
        fps: &[DeviceFingerprint],
        op: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let made = self.claim_all(user, fps).await?;
        match op.await {
            Ok(out) => Ok(out),
            Err(e) => {
                self.release_unneeded(user, &made).await;
                Err(e)
            }
        }
    }

    /// Claims the fingerprints of every device `user` has (active or pending):
    /// devices stored before fingerprints existed have no claim, and a pass of this
    /// over every user ([`DeviceStore::list_users`]) adds them. Returns how many
    /// claims were made.
    ///
    /// A device whose fingerprint another user already holds is left as it is (two
    /// users already share it: an administrator decides which keeps it) and reported
    /// as [`Error::DeviceBelongsToAnotherUser`] once the user's other claims are made.
    ///
    /// # Errors
    /// [`Error::DeviceBelongsToAnotherUser`], [`Error::Store`].
    pub async fn claim_existing_devices(&self, user: &UserId) -> Result<usize, Error> {
        let loaded = self.store.load(user).await?;
        let mut made = 0;
        let mut shared = false;
        for device in &loaded.value {
            for fp in self.device_fingerprints(user, device) {
                match self.store.claim_fingerprint(&fp, user).await {
                    Ok(FingerprintClaim::New) => made += 1,
                    Ok(_) => {}
                    Err(StoreError::Duplicate) => shared = true,
                    Err(e) => return Err(Error::from(e)),
                }
            }
        }
        if shared {
            return Err(Error::DeviceBelongsToAnotherUser);
        }
        Ok(made)
    }
}
