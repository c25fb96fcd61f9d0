//! The pure changes to an account's remembered devices. No I/O, no clock, no async.

use std::time::Duration;

use tessera_otp::UnixTime;

use super::MAX_REMEMBERED_DEVICES;
use crate::state::Outcome;
use crate::{
    AccountState, Actor, Error, RememberedDevice, RememberedDeviceId, Result, SecurityEventKind,
};

impl AccountState {
    /// Remembers `device` (its times set from `now` and `ttl`), after dropping the
    /// expired ones; at [`MAX_REMEMBERED_DEVICES`] the oldest is pushed out. Only while
    /// MFA is on.
    pub(crate) fn remember(
        &mut self,
        mut device: RememberedDevice,
        now: UnixTime,
        ttl: Duration,
    ) -> Result<Outcome<RememberedDevice>> {
        if !self.settings.enabled {
            return Err(Error::MfaNotEnabled);
        }
        self.remembered.retain(|d| d.expires_at > now);
        if self.remembered.len() >= MAX_REMEMBERED_DEVICES {
            self.remembered.remove(0);
        }
        device.created_at = now;
        device.expires_at = now.saturating_add(ttl);
        self.remembered.push(device.clone());
        Ok(Outcome::changed(device))
    }

    /// The remembered devices that have not expired at `now`.
    pub(crate) fn live_remembered(&self, now: UnixTime) -> Vec<RememberedDevice> {
        let mut live = self.remembered.clone();
        live.retain(|d| d.expires_at > now);
        live
    }

    /// Forgets one remembered device.
    pub(crate) fn revoke_remembered(&mut self, id: RememberedDeviceId) -> Result<Outcome<()>> {
        let before = self.remembered.len();
        self.remembered.retain(|d| d.id != id);
        if self.remembered.len() == before {
            return Err(Error::UnknownRememberedDevice);
        }
        Ok(Outcome::changed(()))
    }

    /// Forgets every remembered device; the value is how many.
    pub(crate) fn revoke_all_remembered(&mut self, actor: &Actor) -> Outcome<usize> {
        let n = self.remembered.len();
        if n == 0 {
            return Outcome::unchanged(0);
        }
        self.remembered.clear();
        Outcome::changed(n).with_event(actor.clone(), SecurityEventKind::RememberedDevicesRevoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MfaSettings;
    use crate::codes::secret::single_key_id;

    const T0: UnixTime = UnixTime::from_secs(1_700_000_000);
    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn device(n: u8) -> RememberedDevice {
        RememberedDevice {
            id: RememberedDeviceId::generate().unwrap(),
            tag: [n; 32],
            key_id: single_key_id(),
            label: format!("device {n}"),
            created_at: UnixTime::from_secs(0),
            expires_at: UnixTime::from_secs(0),
        }
    }

    fn enabled() -> AccountState {
        AccountState {
            settings: MfaSettings {
                enabled: true,
                preferred: None,
            },
            ..AccountState::default()
        }
    }

    #[test]
    fn only_while_mfa_is_on() {
        let mut state = AccountState::default();
        assert!(matches!(
            state.remember(device(1), T0, DAY),
            Err(Error::MfaNotEnabled)
        ));
        assert!(state.remembered.is_empty());
    }

    #[test]
    fn the_oldest_goes_at_the_cap_and_expired_ones_first() {
        let mut state = enabled();
        for n in 0..20u8 {
            let at = T0.saturating_add(Duration::from_secs(u64::from(n)));
            state.remember(device(n), at, DAY).unwrap();
        }
        assert_eq!(state.remembered.len(), MAX_REMEMBERED_DEVICES);
        let first = state.remembered[0].id;
        let out = state.remember(device(99), T0, DAY).unwrap();
        assert_eq!(out.value.expires_at(), T0.saturating_add(DAY));
        assert_eq!(state.remembered.len(), MAX_REMEMBERED_DEVICES);
        assert!(state.remembered.iter().all(|d| d.id != first));
        // A day later every one has expired: they are dropped, not pushed out one by one.
        let later = T0.saturating_add(DAY + DAY);
        assert!(state.live_remembered(later).is_empty());
        state.remember(device(7), later, DAY).unwrap();
        assert_eq!(state.remembered.len(), 1);
    }

    #[test]
    fn a_device_expiring_at_that_instant_is_dropped_when_another_is_remembered() {
        let mut state = enabled();
        state.remember(device(1), T0, DAY).unwrap();
        state
            .remember(device(2), T0.saturating_add(Duration::from_secs(1)), DAY)
            .unwrap();
        // At the first one's expiry: it goes, the second (a second younger) stays.
        state
            .remember(device(3), T0.saturating_add(DAY), DAY)
            .unwrap();
        let tags: Vec<u8> = state.remembered.iter().map(|d| d.tag[0]).collect();
        assert_eq!(tags, [2, 3]);
    }

    #[test]
    fn revoking_one_and_all() {
        let mut state = enabled();
        let kept = state.remember(device(1), T0, DAY).unwrap().value;
        let gone = state.remember(device(2), T0, DAY).unwrap().value;
        state.revoke_remembered(gone.id()).unwrap();
        assert!(matches!(
            state.revoke_remembered(gone.id()),
            Err(Error::UnknownRememberedDevice)
        ));
        assert_eq!(state.live_remembered(T0), [kept]);
        let out = state.revoke_all_remembered(&Actor::AccountHolder);
        assert_eq!((out.write, out.value), (true, 1));
        assert_eq!(out.events[0].1, SecurityEventKind::RememberedDevicesRevoked);
        let none = state.revoke_all_remembered(&Actor::AccountHolder);
        assert!(!none.write && none.events.is_empty());
    }
}
