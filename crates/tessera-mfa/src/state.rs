//! The stored state of one account, and of one delivery destination.

use tessera_otp::UnixTime;

use crate::{Actor, MfaSettings, PhoneNumber, SecurityEventKind};

/// A phone number linked to an account, verified or not.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PhoneLink {
    pub(crate) number: PhoneNumber,
    pub(crate) verified_at: Option<UnixTime>,
}

impl PhoneLink {
    /// The number.
    #[must_use]
    pub fn number(&self) -> &PhoneNumber {
        &self.number
    }

    /// Whether an SMS code sent to the number came back; only then is SMS a method.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }

    /// When the number was verified.
    #[must_use]
    pub fn verified_at(&self) -> Option<UnixTime> {
        self.verified_at
    }
}

/// Everything this crate keeps about one account, stored as one versioned aggregate.
///
/// A store persists it as it is (e.g. as a JSON document with the `serde` feature) and
/// must keep it whole: the version check on save is what makes single use, send limits
/// and throttling atomic. It holds no secrets: codes and tokens appear only as keyed
/// hashes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AccountState {
    pub(crate) settings: MfaSettings,
    pub(crate) phone: Option<PhoneLink>,
    pub(crate) recovery: crate::recovery::RecoveryState,
    pub(crate) challenges: Vec<crate::codes::challenge::StoredChallenge>,
    /// When codes were sent for this account (pruned to the send window).
    pub(crate) sends: Vec<UnixTime>,
    pub(crate) throttle: crate::ThrottleState,
    pub(crate) remembered: Vec<crate::RememberedDevice>,
}

impl AccountState {
    /// The MFA settings.
    #[must_use]
    pub fn settings(&self) -> &MfaSettings {
        &self.settings
    }

    /// The linked phone number, if any.
    #[must_use]
    pub fn phone(&self) -> Option<&PhoneLink> {
        self.phone.as_ref()
    }

    /// Forgets what must not outlive MFA: remembered devices and pending challenges.
    pub(crate) fn on_mfa_disabled(&mut self) {
        self.remembered.clear();
        self.challenges
            .retain(|c| c.purpose == crate::Purpose::PhoneVerification);
    }

    /// Forgets what must not outlive the password; returns whether anything changed.
    pub(crate) fn on_password_changed(&mut self) -> bool {
        let had = !self.remembered.is_empty();
        self.remembered.clear();
        had
    }

    /// How many email/SMS challenges are stored (pending, possibly expired).
    #[must_use]
    pub fn pending_challenges(&self) -> usize {
        self.challenges.len()
    }

    /// The throttle counters.
    #[must_use]
    pub fn throttle(&self) -> &crate::ThrottleState {
        &self.throttle
    }

    /// The remembered devices, expired ones included until the next change prunes them.
    #[must_use]
    pub fn remembered_devices(&self) -> &[crate::RememberedDevice] {
        &self.remembered
    }

    /// How many unused recovery codes remain.
    #[must_use]
    pub fn recovery_codes_remaining(&self) -> usize {
        self.recovery.remaining()
    }
}

/// What a pure change to an account's state decided: whether to save, the value for the
/// caller, and the events to send once the save succeeded.
///
/// Every change is a method on [`AccountState`] (beside the concept it belongs to:
/// `settings/change.rs`, `throttle/change.rs`, …) that takes the instant and the
/// configuration and returns one of these, so the rules are tested without a store, a
/// clock or a runtime; [`Mfa`](crate::Mfa) only loads, applies and saves.
#[derive(Debug)]
pub(crate) struct Outcome<R> {
    /// Whether the state changed and must be saved.
    pub(crate) write: bool,
    pub(crate) value: R,
    pub(crate) events: Vec<(Actor, SecurityEventKind)>,
}

impl<R> Outcome<R> {
    pub(crate) fn unchanged(value: R) -> Self {
        Self {
            write: false,
            value,
            events: Vec::new(),
        }
    }

    pub(crate) fn changed(value: R) -> Self {
        Self {
            write: true,
            value,
            events: Vec::new(),
        }
    }

    /// `changed` or `unchanged` as `write` says.
    pub(crate) fn written(write: bool, value: R) -> Self {
        Self {
            write,
            value,
            events: Vec::new(),
        }
    }

    pub(crate) fn with_event(mut self, actor: Actor, kind: SecurityEventKind) -> Self {
        self.events.push((actor, kind));
        self
    }
}
