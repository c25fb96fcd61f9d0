//! The registry: every operation is load → pure change → conditional save, retried.

use std::sync::Arc;

use tessera_keyring::Keyring;
use tessera_otp::{Clock, Drift, KeyUri, Secret, UnixTime};
use zeroize::Zeroizing;

use crate::change::ReuseCheck;
use crate::fingerprint::{Material, fingerprints};
use crate::seal::Seeds;
use crate::{
    AssertionVerified, AssertionVerifier, Device, DeviceId, DeviceInfo, DeviceName, DeviceStore,
    Enrolment, Error, HardwareToken, MfaStatus, RegistryConfig, Rejection, SecurityKey, UserId,
    Verified, change,
};

mod claims;

/// Most characters in the account label shown by authenticator apps.
pub const MAX_ACCOUNT_LABEL_LEN: usize = 256;

/// A user's MFA devices over a [`DeviceStore`], with time from a [`Clock`].
///
/// The registry keeps no state of its own: every operation loads the user's devices,
/// applies one change in memory and saves it only if nobody saved in between,
/// reloading and trying again up to [`RegistryConfig::max_attempts`] times. A failed
/// operation saves nothing, so the stored devices are exactly as before. Every save
/// also re-seals, with the keyring's active key, each of the user's seeds sealed with
/// an older key (one that does not open is left as stored).
///
/// ```
/// use tessera_otp::{Clock, ManualClock, Totp, UnixTime};
/// use tessera_registry::{
///     ActivationPolicy, DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId,
/// };
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     loop {
/// #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
/// #             return v;
/// #         }
/// #     }
/// # }
/// # block_on(async {
/// let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
/// let config = RegistryConfig::builder("Acme").activation(ActivationPolicy::OneCode).build()?;
/// let keyring = std::sync::Arc::new(tessera_keyring::Keyring::ephemeral()?);
/// let registry = DeviceRegistry::new(InMemoryDeviceStore::new(), clock.clone(), config, keyring);
/// let ana = UserId::new("ana");
///
/// // Enrol: show `enrolment.uri()` as a QR code; the app computes codes.
/// let enrolment = registry.start_enrolment(&ana, "Phone", "ana@example.com").await?;
/// let app = Totp::new(enrolment.secret(), Default::default());
/// let code = app.generate(clock.now())?;
/// registry.finish_enrolment(&ana, enrolment.device_id(), &[code.expose()]).await?;
/// assert!(registry.mfa_status(&ana).await?.is_enabled());
///
/// // 30 s later the next code checks; the same code twice is refused. (No rate
/// // limit here: sign-in goes through the `tessera` facade, which throttles.)
/// clock.advance(std::time::Duration::from_secs(30));
/// let code = app.generate(clock.now())?;
/// let verified = registry.verify_unthrottled(&ana, code.expose()).await?;
/// assert_eq!(verified.device_id, enrolment.device_id());
/// assert!(registry.verify_unthrottled(&ana, code.expose()).await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })
/// # .map_err(|e| e.to_string())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DeviceRegistry<S, C> {
    store: S,
    clock: C,
    config: RegistryConfig,
    keyring: Arc<Keyring>,
}

impl<S: DeviceStore, C: Clock> DeviceRegistry<S, C> {
    /// A registry over `store`, reading the time from `clock`, sealing every TOTP seed
    /// with `keyring`'s active key.
    ///
    /// The keyring is required: there is no way to store a seed in the clear. It must
    /// hold every key that sealed a stored seed (a seed whose key is missing fails with
    /// [`Error::SealedSecret`], and nothing stored changes). Share one `Arc` between
    /// registries and instances so that they all seal and open alike.
    pub const fn new(store: S, clock: C, config: RegistryConfig, keyring: Arc<Keyring>) -> Self {
        Self {
            store,
            clock,
            config,
            keyring,
        }
    }

    /// The keyring that seals and opens the stored seeds.
    pub const fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    /// Seals and opens `user`'s seeds.
    fn seeds<'a>(&'a self, user: &'a UserId) -> Seeds<'a> {
        Seeds::new(&self.keyring, user)
    }

    /// The store.
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// The configuration.
    pub const fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Load → change → conditional save, retried on conflict.
    async fn update<T, F>(&self, user: &UserId, change: F) -> Result<T, Error>
    where
        F: FnMut(&mut Vec<Device>, UnixTime) -> Result<T, Error> + Send,
        T: Send,
    {
        self.update_or::<T, Error, F>(user, change).await
    }

    /// [`update`](Self::update) for a change whose failure carries more than an
    /// [`Error`] (a [`Rejection`]); a failed change saves nothing.
    async fn update_or<T, E, F>(&self, user: &UserId, mut change: F) -> Result<T, E>
    where
        F: FnMut(&mut Vec<Device>, UnixTime) -> Result<T, E> + Send,
        T: Send,
        E: From<Error> + Send,
    {
        for _ in 0..self.config.max_attempts() {
            let mut devices = self.store.load(user).await.map_err(Error::from)?;
            let out = change(&mut devices.value, self.clock.now())?;
            // Re-seal on write: a seed sealed with a retired-to-be key moves to the
            // active key in the same save. One that does not open stays as stored.
            self.seeds(user).reseal_stale(&mut devices.value);
            match self.store.save(user, &devices).await {
                Ok(_) => return Ok(out),
                Err(crate::StoreError::Conflict) => continue,
                Err(e) => return Err(Error::Store(e).into()),
            }
        }
        Err(Error::Conflict.into())
    }

    /// Starts enrolling an authenticator app: a pending device with a fresh secret,
    /// finished by [`finish_enrolment`](Self::finish_enrolment).
    ///
    /// `name` is the device's name (unique per user); `account` is the label the app
    /// shows next to the issuer (an email address, a user name).
    ///
    /// When the user already has a **pending** app of that name (the enrolment page was
    /// reloaded, or the person came back), that enrolment is resumed instead, as
    /// [`resume_enrolment`](Self::resume_enrolment) does: the same device and secret,
    /// its expiry renewed. An active device of that name is still
    /// [`Error::DuplicateName`]; an expired enrolment frees its name and slot, and a
    /// fresh secret is issued.
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::DuplicateName`], [`Error::TooManyDevices`]
    /// (pending devices count), [`Error::InvalidDevice`] for an empty or overlong
    /// account label, [`Error::Otp`] for a label the otpauth:// URI cannot carry (a
    /// `:`, a leading space), [`Error::SealedSecret`] when the seed cannot be sealed
    /// (the system's generator failed) or a resumed seed does not open,
    /// [`Error::Conflict`], [`Error::Store`].
    pub async fn start_enrolment(
        &self,
        user: &UserId,
        name: &str,
        account: &str,
    ) -> Result<Enrolment, Error> {
        let name = DeviceName::new(name)?;
        let account = account_label(account)?;
        let params = self.config.totp_params();
        // Every enrolment gets its own secret, sized for its hash (RFC 6238 Appendix B).
        let secret = Secret::generate_len(params.algorithm().recommended_secret_len())?;
        // Built before anything is stored, so a label the URI cannot carry stores nothing.
        let key = KeyUri::totp(account, Some(self.config.issuer()), secret.clone(), params)?;
        let seeds = self.seeds(user);
        let started = self
            .update(user, |devices, now| {
                let app = change::NewApp {
                    name: &name,
                    secret: &secret,
                    now,
                    config: &self.config,
                    seeds,
                };
                match change::start_app(devices, app)? {
                    change::Started::New(id) => {
                        Ok((id, None, now.saturating_add(self.config.pending_ttl())))
                    }
                    change::Started::Resumed(id) => {
                        let (secret, params, expires_at) =
                            change::resume_app(devices, id, now, &self.config, &seeds)?;
                        Ok((id, Some((secret, params)), expires_at))
                    }
                }
            })
            .await?;
        let (device_id, key, expires_at) = match started {
            (id, None, expires_at) => (id, key, expires_at),
            (id, Some((secret, params)), expires_at) => (
                id,
                KeyUri::totp(account, Some(self.config.issuer()), secret, params)?,
                expires_at,
            ),
        };
        Ok(Enrolment {
            device_id,
            uri: Zeroizing::new(key.to_uri()),
            key,
            expires_at,
        })
    }

    /// Shows a pending authenticator-app enrolment again (the enrolment page was
    /// reloaded): the same device and the same secret, opened from its sealed form, as
    /// a fresh [`Enrolment`] whose URI carries `account` as the label. The expiry is
    /// renewed to a full [`RegistryConfig::pending_ttl`] from now: the person is
    /// looking at it.
    ///
    /// The secret is shown again, so call this only for the signed-in user who started
    /// the enrolment, under the same checks as starting it.
    ///
    /// # Errors
    /// [`Error::DeviceNotFound`]; [`Error::AlreadyActive`] for an active device;
    /// [`Error::EnrolmentExpired`] once its time has passed (start again: a fresh
    /// secret); [`Error::InvalidDevice`] or [`Error::Otp`] for a label the URI cannot
    /// carry; [`Error::SealedSecret`] when the seed does not open; [`Error::Conflict`],
    /// [`Error::Store`].
    pub async fn resume_enrolment(
        &self,
        user: &UserId,
        device: DeviceId,
        account: &str,
    ) -> Result<Enrolment, Error> {
        let account = account_label(account)?;
        let seeds = self.seeds(user);
        let (secret, params, expires_at) = self
            .update(user, |devices, now| {
                change::resume_app(devices, device, now, &self.config, &seeds)
            })
            .await?;
        let key = KeyUri::totp(account, Some(self.config.issuer()), secret, params)?;
        Ok(Enrolment {
            device_id: device,
            uri: Zeroizing::new(key.to_uri()),
            key,
            expires_at,
        })
    }

    /// Cancels a pending (or expired) enrolment: the device is deleted with its sealed
    /// seed, freeing its slot and its name at once; codes from the app that scanned it
    /// never activate anything. Returns what it was.
    ///
    /// # Errors
    /// [`Error::DeviceNotFound`]; [`Error::AlreadyActive`] for an active device (that
    /// is [`remove`](Self::remove), which the application guards with its own rules);
    /// [`Error::Conflict`], [`Error::Store`].
    pub async fn cancel_enrolment(
        &self,
        user: &UserId,
        device: DeviceId,
    ) -> Result<DeviceInfo, Error> {
        self.update(user, |devices, now| {
            change::cancel_enrolment(devices, device, now)
        })
        .await
    }

    /// Finishes an enrolment: the pending authenticator app becomes active once codes
    /// from it verify, two consecutive codes or one, as [`RegistryConfig::activation`]
    /// says. The step used counts as used.
    ///
    /// A key issued with SHA-256 or SHA-512 whose codes fail, but match under SHA-1, is
    /// refused with [`Error::AppIgnoresAlgorithm`]: the app ignored the algorithm, and
    /// the person should enrol again with SHA-1 or another app. It is never accepted.
    ///
    /// # Errors
    /// [`Error::Rejected`] when the codes do not verify; [`Error::AppIgnoresAlgorithm`];
    /// [`Error::ActivationCodes`],
    /// [`Error::Otp`] for a malformed code, [`Error::DeviceNotFound`],
    /// [`Error::EnrolmentExpired`], [`Error::AlreadyActive`], [`Error::SealedSecret`]
    /// when the device's seed does not open, [`Error::DeviceBelongsToAnotherUser`]
    /// when another user holds the seed's fingerprint claim, [`Error::Conflict`],
    /// [`Error::Store`].
    ///
    /// Once the codes verify, the seed's keyed fingerprint is claimed in the store for
    /// the user before the device is stored active (one seed, one user); see
    /// [`DeviceStore::claim_fingerprint`].
    pub async fn finish_enrolment(
        &self,
        user: &UserId,
        device: DeviceId,
        codes: &[&str],
    ) -> Result<DeviceInfo, Error> {
        let seeds = self.seeds(user);
        // A dry run first: the seed is claimed only once the codes verify.
        let mut copy = self.store.load(user).await?.value;
        change::finish_app(
            &mut copy,
            device,
            codes,
            self.clock.now(),
            &self.config,
            &seeds,
        )?;
        let fps = copy
            .iter()
            .find(|d| d.id == device)
            .map(|d| self.device_fingerprints(user, d))
            .unwrap_or_default();
        let finish = self.update(user, |devices, now| {
            change::finish_app(devices, device, codes, now, &self.config, &seeds)
        });
        self.with_claims(user, &fps, finish).await
    }

    /// Adds a hardware TOTP token an administrator imported; it is active at once if
    /// its codes verify under the activation policy.
    ///
    /// # Errors
    /// [`Error::Rejected`], [`Error::AppIgnoresAlgorithm`] (a SHA-256/512 token whose
    /// codes are SHA-1 codes), [`Error::ActivationCodes`], [`Error::DuplicateName`],
    /// [`Error::DuplicateDevice`] (serial or secret already registered for the user),
    /// [`Error::TooManyDevices`], [`Error::SealedSecret`] when the secret cannot be
    /// sealed, [`Error::Conflict`], [`Error::Store`]. (A stored seed that does not open
    /// cannot be compared for [`Error::DuplicateDevice`]; it is passed over.)
    /// [`Error::DeviceBelongsToAnotherUser`] when another user holds the token's
    /// serial or seed (its keyed fingerprint, claimed in the store once the codes
    /// verify and before the token is stored; serials compare ignoring ASCII case).
    pub async fn add_hardware_token(
        &self,
        user: &UserId,
        token: &HardwareToken,
        codes: &[&str],
    ) -> Result<DeviceId, Error> {
        let seeds = self.seeds(user);
        // A dry run first: serial and seed are claimed only once the codes verify, so
        // a serial alone never tells whether another user has the token.
        let mut copy = self.store.load(user).await?.value;
        change::add_hardware_token(
            &mut copy,
            token,
            codes,
            self.clock.now(),
            &self.config,
            &seeds,
        )?;
        let mut fps = fingerprints(&self.keyring, Material::Serial(token.serial()))?;
        fps.extend(fingerprints(&self.keyring, Material::Seed(token.secret()))?);
        let add = self.update(user, |devices, now| {
            change::add_hardware_token(devices, token, codes, now, &self.config, &seeds)
        });
        self.with_claims(user, &fps, add).await
    }

    /// Registers a security key after the application's WebAuthn registration
    /// ceremony; it is active at once.
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::DuplicateName`], [`Error::DuplicateDevice`]
    /// (credential id already registered), [`Error::TooManyDevices`],
    /// [`Error::Conflict`], [`Error::Store`].
    pub async fn register_security_key(
        &self,
        user: &UserId,
        name: &str,
        key: &SecurityKey,
    ) -> Result<DeviceId, Error> {
        let name = DeviceName::new(name)?;
        self.update(user, |devices, now| {
            change::register_security_key(devices, name.clone(), key, now, &self.config)
        })
        .await
    }

    /// Verifies a sign-in code (as typed) against every active TOTP device of the
    /// user, and stores the matched device's step and time of use.
    ///
    /// Each accepted step is stored by the conditional save, so when the same code
    /// arrives twice, also concurrently, exactly one request succeeds.
    ///
    /// # Warning
    ///
    /// **No rate limit.** This method checks every code it is given, as fast as the
    /// caller calls it: a six-digit code falls to about a million guesses, which an
    /// unthrottled endpoint answers in well under a second. It is not the sign-in
    /// check. Sign in and step up through the `tessera` facade
    /// (`Accounts::finish_second_factor`, `Accounts::start_step_up`), which counts
    /// every attempt in the MFA throttle (`tessera_mfa::Mfa::begin_attempt`)
    /// *before* the code is checked; or count the attempt in your own throttle, and
    /// refuse when it cannot be counted, *before* calling this.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every kind of failure of the code (wrong, malformed,
    /// reused, out of window, no active device); [`Error::SealedSecret`] when no device
    /// matched and a device's seed did not open (such a device is skipped, the others
    /// are checked as usual; nothing is stored); [`Error::Conflict`], [`Error::Store`].
    pub async fn verify_unthrottled(&self, user: &UserId, code: &str) -> Result<Verified, Error> {
        let seeds = self.seeds(user);
        self.update(user, |devices, now| {
            change::verify_code(devices, code, now, &self.config, ReuseCheck::Skip, &seeds)
                .map_err(Rejection::into_error)
        })
        .await
    }

    /// [`verify_unthrottled`](Self::verify_unthrottled), and on failure also whether the code was a replay:
    /// one that an active device of the user had produced for a time step already
    /// used ([`Rejection::reuse`]), so that the application can warn the account
    /// holder (the code was observed, or phished) and log it.
    ///
    /// The answer to the person signing in must stay the one opaque failure:
    /// [`Rejection`] displays as, and converts into, the same [`Error`] that
    /// [`verify_unthrottled`](Self::verify_unthrottled) returns. The replay check runs in the same loop over
    /// every active device, matched or not, with the same constant-time comparisons,
    /// and costs a second computation of each device's codes.
    ///
    /// ```
    /// use tessera_otp::{Clock, ManualClock, Totp, UnixTime};
    /// use tessera_registry::{
    ///     ActivationPolicy, DeviceRegistry, Error, InMemoryDeviceStore, RegistryConfig, UserId,
    /// };
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     use std::task::{Context, Poll, Waker};
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop {
    /// #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
    /// #             return v;
    /// #         }
    /// #     }
    /// # }
    /// # block_on(async {
    /// let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
    /// let config = RegistryConfig::builder("Acme").activation(ActivationPolicy::OneCode).build()?;
    /// let keyring = std::sync::Arc::new(tessera_keyring::Keyring::ephemeral()?);
    /// let registry = DeviceRegistry::new(InMemoryDeviceStore::new(), clock.clone(), config, keyring);
    /// let ana = UserId::new("ana");
    /// let enrolment = registry.start_enrolment(&ana, "Phone", "ana@example.com").await?;
    /// let app = Totp::new(enrolment.secret(), Default::default());
    /// let code = app.generate(clock.now())?;
    /// registry.finish_enrolment(&ana, enrolment.device_id(), &[code.expose()]).await?;
    ///
    /// // The activation code again: refused as any wrong code is, and seen as a replay.
    /// let refused = registry.verify_unthrottled_reporting_reuse(&ana, code.expose()).await.unwrap_err();
    /// assert!(matches!(refused.error(), Error::Rejected));
    /// assert_eq!(refused.to_string(), Error::Rejected.to_string());
    /// assert_eq!(refused.reuse().map(|r| r.device_id), Some(enrolment.device_id()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })
    /// # .map_err(|e| e.to_string())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Warning
    ///
    /// **No rate limit.** This method checks every code it is given, as fast as the
    /// caller calls it: a six-digit code falls to about a million guesses, which an
    /// unthrottled endpoint answers in well under a second. It is not the sign-in
    /// check. Sign in and step up through the `tessera` facade
    /// (`Accounts::finish_second_factor`, `Accounts::start_step_up`), which counts
    /// every attempt in the MFA throttle (`tessera_mfa::Mfa::begin_attempt`)
    /// *before* the code is checked; or count the attempt in your own throttle, and
    /// refuse when it cannot be counted, *before* calling this.
    ///
    /// # Errors
    /// A [`Rejection`] whose error is [`Error::Rejected`] for every kind of failure of
    /// the code, with [`Rejection::reuse`] set for a replay; or
    /// [`Error::SealedSecret`] (as for [`verify_unthrottled`](Self::verify_unthrottled)),
    /// [`Error::Conflict`], [`Error::Store`] inside it.
    pub async fn verify_unthrottled_reporting_reuse(
        &self,
        user: &UserId,
        code: &str,
    ) -> Result<Verified, Rejection> {
        let seeds = self.seeds(user);
        self.update_or(user, |devices, now| {
            change::verify_code(devices, code, now, &self.config, ReuseCheck::Report, &seeds)
        })
        .await
    }

    /// Verifies a security-key assertion with the application's `verifier`, and
    /// stores the key's new signature counter, which must grow (WebAuthn §6.1.1), the
    /// flags the verifier reports ([`AssertionVerifier::verify_with_flags`]) and the
    /// time of use, in one compare-and-set write.
    ///
    /// # Warning
    ///
    /// **No rate limit.** Every assertion given is checked. An assertion cannot be
    /// guessed as a code can, but the attempts still belong in the account's throttle:
    /// use the `tessera` facade (`Accounts::finish_with_security_key`), which counts
    /// each attempt in the MFA throttle before checking, or count it yourself *before*
    /// calling this.
    ///
    /// # Errors
    /// [`Error::Rejected`] for an unknown credential, a bad assertion or a counter that
    /// did not grow; [`Error::Conflict`], [`Error::Store`].
    pub async fn verify_assertion_unthrottled<V: AssertionVerifier>(
        &self,
        user: &UserId,
        verifier: &V,
        assertion: &V::Assertion,
    ) -> Result<AssertionVerified, Error> {
        let credential_id = verifier.credential_id(assertion);
        self.update(user, |devices, now| {
            change::verify_assertion(
                devices,
                credential_id,
                |key| verifier.verify_with_flags(key, assertion),
                now,
            )
        })
        .await
    }

    /// Resynchronises an active TOTP device from two consecutive codes, searching
    /// [`RegistryConfig::resync_range`] steps either way; stores and returns the drift.
    ///
    /// # Errors
    /// [`Error::ResyncFailed`], [`Error::Otp`] for a malformed code,
    /// [`Error::DeviceNotFound`], [`Error::NotActive`], [`Error::WrongKind`],
    /// [`Error::SealedSecret`] when the device's seed does not open,
    /// [`Error::Conflict`], [`Error::Store`].
    pub async fn resync(
        &self,
        user: &UserId,
        device: DeviceId,
        first: &str,
        second: &str,
    ) -> Result<Drift, Error> {
        let seeds = self.seeds(user);
        self.update(user, |devices, now| {
            change::resync(devices, device, first, second, now, &self.config, &seeds)
        })
        .await
    }

    /// Renames a device (trimmed, 1–64 characters, unique per user ignoring case).
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::DuplicateName`], [`Error::DeviceNotFound`],
    /// [`Error::Conflict`], [`Error::Store`].
    pub async fn rename(&self, user: &UserId, device: DeviceId, name: &str) -> Result<(), Error> {
        let name = DeviceName::new(name)?;
        self.update(user, |devices, _| {
            change::rename(devices, device, name.clone())
        })
        .await
    }

    /// Removes (deactivates) a device: it verifies nothing from now on, and its slot is
    /// free. Returns what it was, for the security notification. Its fingerprint
    /// claims are released after the save, so another user may enrol the device;
    /// best effort: a failed release is not reported (the claim then stays, and
    /// refuses the device to others, until it is released in the store).
    ///
    /// # Errors
    /// [`Error::DeviceNotFound`], [`Error::Conflict`], [`Error::Store`].
    pub async fn remove(&self, user: &UserId, device: DeviceId) -> Result<DeviceInfo, Error> {
        let mut removed = None;
        let info = self
            .update(user, |devices, now| {
                removed = devices.iter().find(|d| d.id == device).cloned();
                change::remove(devices, device, now)
            })
            .await?;
        // The device's claims go with it (best effort: see the `claims` module).
        if let Some(d) = removed {
            self.release_unneeded(user, &self.device_fingerprints(user, &d))
                .await;
        }
        Ok(info)
    }

    /// The user's devices with their status now, in order of enrolment.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn list(&self, user: &UserId) -> Result<Vec<DeviceInfo>, Error> {
        let loaded = self.store.load(user).await?;
        let now = self.clock.now();
        Ok(loaded.value.iter().map(|d| d.info(now)).collect())
    }

    /// Whether MFA is on for the user, and with which kinds of active device.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn mfa_status(&self, user: &UserId) -> Result<MfaStatus, Error> {
        let loaded = self.store.load(user).await?;
        Ok(change::mfa_status(&loaded.value))
    }
}

/// The label an authenticator app shows next to the issuer, trimmed and checked.
fn account_label(account: &str) -> Result<&str, Error> {
    let account = account.trim();
    let len = account.chars().count();
    if len == 0 || len > MAX_ACCOUNT_LABEL_LEN || account.chars().any(char::is_control) {
        return Err(Error::InvalidDevice(
            "account label must be 1 to 256 characters without control characters",
        ));
    }
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An account label is trimmed, then 1 to 256 characters (not bytes), inclusive,
    /// without control characters.
    #[test]
    fn account_labels_are_1_to_256_characters_without_controls() {
        assert_eq!(
            account_label("  alice@example.com ").ok(),
            Some("alice@example.com")
        );
        let at_limit = "\u{e9}".repeat(MAX_ACCOUNT_LABEL_LEN);
        assert_eq!(account_label(&at_limit).ok(), Some(at_limit.as_str()));
        for bad in [
            String::new(),
            "   ".to_owned(),
            "\u{e9}".repeat(MAX_ACCOUNT_LABEL_LEN + 1),
            "ali\u{7}ce".to_owned(),
            "ali\nce".to_owned(),
        ] {
            assert!(
                matches!(account_label(&bad), Err(Error::InvalidDevice(_))),
                "{bad:?}"
            );
        }
        assert_eq!(MAX_ACCOUNT_LABEL_LEN, 256);
    }
}
