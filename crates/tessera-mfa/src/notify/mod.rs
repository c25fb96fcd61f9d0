//! Security notifications to the account holder.

mod email;
mod outbox;

pub use email::{EmailNotifier, SecurityEmail};
pub use outbox::{DEFAULT_OUTBOX_CAPACITY, MAX_OUTBOX_CAPACITY, Outbox, OutboxNotifier};

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tessera_otp::UnixTime;
use tessera_registry::UserId;

use crate::{Actor, MfaMethod};

/// What happened to an account.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityEventKind {
    /// MFA was turned on, with this preferred method. Every older recovery code is
    /// void; a new set was issued when the policy allows recovery codes.
    MfaEnabled {
        /// The preferred method chosen.
        preferred: MfaMethod,
    },
    /// MFA was turned off.
    MfaDisabled,
    /// The preferred method changed.
    PreferredMethodChanged {
        /// The method before.
        from: Option<MfaMethod>,
        /// The method now; `None` when only recovery codes are left.
        to: Option<MfaMethod>,
        /// `true` when the change is an automatic fallback because `from` stopped being
        /// available, `false` when someone chose it.
        fallback: bool,
    },
    /// A device was added to the registry.
    DeviceAdded {
        /// The method the device provides.
        method: MfaMethod,
    },
    /// A device was removed from the registry.
    DeviceRemoved {
        /// The method the device provided.
        method: MfaMethod,
    },
    /// A phone number was linked and verified; SMS codes can now be used.
    PhoneLinked,
    /// The phone number was removed or replaced by an unverified one.
    PhoneUnlinked,
    /// The password was changed.
    PasswordChanged,
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated {
        /// How many codes the new set has.
        count: usize,
    },
    /// A recovery code was used.
    RecoveryCodeUsed {
        /// How many unused codes remain.
        remaining: usize,
    },
    /// A one-time code that had already been used was presented again.
    CodeReuseDetected {
        /// The method the code belongs to.
        method: MfaMethod,
    },
    /// Too many failed attempts (second factors, and passwords where the application
    /// counts them, as the `tessera` facade does): sign-in is locked until `until`.
    /// Sent once per transition into a lock, however many attempts race.
    LockedOut {
        /// When attempts are accepted again.
        until: UnixTime,
    },
    /// The hard limit of consecutive failures was reached (NIST SP 800-63B §5.2.2):
    /// sign-in is locked until an administrator unlocks the account. Sent once.
    LockedPermanently,
    /// A named administrator cleared the account's lockout and failure count.
    Unlocked {
        /// The administrator's identifier.
        by: String,
    },
    /// Every remembered device was forgotten (sign out everywhere, password change).
    RememberedDevicesRevoked,
}

/// A security event: what happened, to which account, when, and who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityEvent {
    /// The account.
    pub account: UserId,
    /// When it happened.
    pub at: UnixTime,
    /// Who did it.
    pub actor: Actor,
    /// What happened.
    pub kind: SecurityEventKind,
}

/// A notifier failed; the change it reported stays stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the security notification could not be sent: {0}")]
pub struct NotifyError(pub String);

/// Tells the account holder about security events (by email, push, a message queue).
///
/// Called exactly once per event, after the change is stored and never before. A failure
/// does not undo the change: it comes back to the caller in [`Notified::notify_error`].
pub trait SecurityNotifier: Send + Sync {
    /// Delivers one event.
    fn notify(&self, event: &SecurityEvent)
    -> impl Future<Output = Result<(), NotifyError>> + Send;
}

impl<N: SecurityNotifier + ?Sized> SecurityNotifier for std::sync::Arc<N> {
    fn notify(
        &self,
        event: &SecurityEvent,
    ) -> impl Future<Output = Result<(), NotifyError>> + Send {
        (**self).notify(event)
    }
}

/// The result of an operation that stored a change and then notified about it.
#[derive(Debug)]
#[must_use = "the notification error should at least be logged"]
pub struct Notified<T> {
    /// What the operation returned; the change is stored.
    pub value: T,
    /// Set when a notification could not be sent; log it, the change stays.
    pub notify_error: Option<NotifyError>,
}

impl<T> Notified<T> {
    /// The value, dropping any notification error (after logging it, please).
    pub fn into_value(self) -> T {
        self.value
    }
}

/// A notifier that drops every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoNotifier;

impl SecurityNotifier for NoNotifier {
    async fn notify(&self, _event: &SecurityEvent) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// Records events in memory, for tests and examples.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    events: Mutex<Vec<SecurityEvent>>,
    fail: std::sync::atomic::AtomicBool,
}

impl RecordingNotifier {
    /// An empty recorder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event received so far, oldest first.
    #[must_use]
    pub fn events(&self) -> Vec<SecurityEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The kinds of the events received so far, oldest first.
    #[must_use]
    pub fn kinds(&self) -> Vec<SecurityEventKind> {
        self.events().into_iter().map(|e| e.kind).collect()
    }

    /// Forgets the events received so far.
    pub fn clear(&self) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Makes later calls fail (after recording the event), to test failure handling.
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, std::sync::atomic::Ordering::SeqCst);
    }
}

impl SecurityNotifier for RecordingNotifier {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(NotifyError("recording notifier set to fail".into()));
        }
        Ok(())
    }
}
