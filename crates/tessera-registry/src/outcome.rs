//! What successful operations hand back.

use tessera_otp::TimeStep;

use crate::{DeviceId, DeviceKind};

/// A sign-in code verified: which device matched, for logs and the assurance record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The device whose code matched.
    pub device_id: DeviceId,
    /// Its kind.
    pub kind: DeviceKind,
    /// The time step that matched, now stored as the device's last used step.
    pub step: TimeStep,
}

/// A security-key assertion verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssertionVerified {
    /// The security key that signed.
    pub device_id: DeviceId,
    /// The signature counter now stored.
    pub sign_count: u32,
}

/// Whether a user has MFA, and with which kinds of active device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MfaStatus {
    kinds: Vec<DeviceKind>,
    active_devices: usize,
}

impl MfaStatus {
    pub(crate) fn new(mut kinds: Vec<DeviceKind>) -> Self {
        let active_devices = kinds.len();
        kinds.sort_unstable();
        kinds.dedup();
        Self {
            kinds,
            active_devices,
        }
    }

    /// True when at least one device is active: MFA is on for the user.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        !self.kinds.is_empty()
    }

    /// The kinds of the active devices, each once, in a stable order.
    #[must_use]
    pub fn active_kinds(&self) -> &[DeviceKind] {
        &self.kinds
    }

    /// Whether an active device of `kind` exists.
    #[must_use]
    pub fn has(&self, kind: DeviceKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// How many devices are active.
    #[must_use]
    pub const fn active_devices(&self) -> usize {
        self.active_devices
    }
}
