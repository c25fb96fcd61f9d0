//! Remembering a device after a successful second factor, and revoking it.

use tessera_otp::{Clock, UnixTime};
use tessera_registry::UserId;

use crate::codes::secret::{HeldSecret, find_keyed_tag};
use crate::remembered::clean_label;
use crate::{
    Account, Actor, Mfa, MfaStore, Notified, RememberToken, RememberedDevice, RememberedDeviceId,
    Result, SecurityNotifier,
};

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// Remembers the device the person just signed in from. Call it **only** right after
    /// a successful second factor for `user`; hand the token to the device (e.g. a
    /// secure, http-only cookie) and forget it: only its keyed hash is stored. It expires
    /// after the configured lifetime (default 30 days).
    ///
    /// # Errors
    /// [`Error::MfaNotEnabled`](crate::Error::MfaNotEnabled); [`Error::Randomness`](crate::Error::Randomness); store errors.
    pub async fn remember_device(
        &self,
        user: &UserId,
        label: &str,
    ) -> Result<(RememberToken, RememberedDevice)> {
        let token = RememberToken::generate()?;
        let id = RememberedDeviceId::generate()?;
        let tag = token.tag(&self.key, user.as_str())?;
        let key_id = self.key.active_id().clone();
        let label = clean_label(label);
        let ttl = self.remember_ttl;
        let device = RememberedDevice {
            id,
            tag,
            key_id,
            label,
            created_at: UnixTime::from_secs(0),
            expires_at: UnixTime::from_secs(0),
        };
        let device = self
            .modify(user, |state, now| state.remember(device.clone(), now, ttl))
            .await?
            .into_value();
        Ok((token, device))
    }

    /// Whether `token` lets `user` skip the second factor now: it must be one of *this*
    /// account's remembered devices, unexpired, and MFA must still be on. Comparison is
    /// constant time against every remembered device.
    ///
    /// # Errors
    /// Store errors.
    pub async fn is_remembered(&self, user: &UserId, token: &RememberToken) -> Result<bool> {
        let state = self.account_state(user).await?;
        let now = self.clock.now();
        if !state.settings.enabled {
            return Ok(false);
        }
        // Each device's tag is checked under the key it names (one HMAC per distinct
        // key id); a device whose key is not loaded matches nothing.
        let found = find_keyed_tag(
            state.remembered.iter().map(|d| (&d.key_id, &d.tag)),
            |key_id| token.tag_with(&self.key, key_id, user.as_str()),
        )?;
        Ok(found
            .and_then(|i| state.remembered.get(i))
            .is_some_and(|d| now < d.expires_at))
    }

    /// The account's remembered devices that have not expired.
    ///
    /// # Errors
    /// Store errors.
    pub async fn remembered_devices(&self, user: &UserId) -> Result<Vec<RememberedDevice>> {
        let now = self.clock.now();
        Ok(self.account_state(user).await?.live_remembered(now))
    }

    /// Forgets one remembered device.
    ///
    /// # Errors
    /// [`Error::UnknownRememberedDevice`](crate::Error::UnknownRememberedDevice); store errors.
    pub async fn revoke_remembered_device(
        &self,
        user: &UserId,
        id: RememberedDeviceId,
    ) -> Result<()> {
        self.modify(user, |state, _now| state.revoke_remembered(id))
            .await?
            .into_value();
        Ok(())
    }

    /// Forgets every remembered device ("sign out everywhere"; a password change and
    /// disabling MFA do it too). Emits
    /// [`SecurityEventKind::RememberedDevicesRevoked`](crate::SecurityEventKind::RememberedDevicesRevoked) when there were any. Returns how
    /// many were forgotten.
    ///
    /// # Errors
    /// Store errors.
    pub async fn revoke_all_remembered_devices(
        &self,
        account: &(impl Account + ?Sized),
        actor: Actor,
    ) -> Result<Notified<usize>> {
        self.modify(account, |state, _now| {
            Ok(state.revoke_all_remembered(&actor))
        })
        .await
    }
}
