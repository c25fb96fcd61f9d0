//! Security notifications to the account holder.

mod email;
mod outbox;
mod recent;
mod time;

pub use email::{EmailNotifier, SecurityEmail};
pub use outbox::{DEFAULT_OUTBOX_CAPACITY, MAX_OUTBOX_CAPACITY, Outbox, OutboxNotifier};
pub(crate) use recent::Recent;
pub use recent::{DEFAULT_RECORD_CAPACITY, MAX_RECORD_CAPACITY};
pub use time::UtcTime;

use std::future::Future;

use tessera_otp::UnixTime;
use tessera_registry::UserId;

use crate::{Actor, EmailAddress, MfaMethod, Result};

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
    /// A named administrator reset the account's MFA after every factor was lost: MFA
    /// off, recovery codes void, the phone number unlinked, remembered devices
    /// forgotten; the account sets up a second factor again at its next sign-in.
    MfaReset {
        /// The administrator's identifier.
        by: String,
    },
    /// A named credential for tools and command lines was created (the `tessera`
    /// facade's tooling credentials).
    ToolingCredentialAdded {
        /// The name the holder gave it.
        name: String,
    },
    /// A tooling credential was revoked.
    ToolingCredentialRevoked {
        /// Its name.
        name: String,
    },
    /// The holder asked an administrator for a change of factors the organisation does
    /// not let holders make themselves (the `tessera` facade's change requests).
    FactorChangeRequested {
        /// What was asked, in words ("remove the device “Work phone”").
        change: String,
    },
    /// An administrator decided a change request.
    FactorChangeDecided {
        /// What was asked, in words.
        change: String,
        /// Whether it was approved (and carried out) or rejected.
        approved: bool,
    },
}

/// Whom a security message goes to: the account's email address and the name to greet
/// it by, as the application gave them in the [`AccountContext`](crate::AccountContext)
/// of the operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipient {
    /// The address to write to, if the application gave one.
    pub email: Option<EmailAddress>,
    /// The name to greet, if the application gave one
    /// ([`AccountContext::with_display_name`](crate::AccountContext::with_display_name)).
    pub name: Option<String>,
}

/// A security event: what happened, to which account, when, who did it, and whom to
/// tell.
///
/// [`recipient`](Self::recipient) is set when the operation was given an
/// [`AccountContext`](crate::AccountContext) (every operation that takes an
/// [`Account`](crate::Account) accepts one); when it was given a bare [`UserId`], it is
/// `None` and the notifier looks the address up by [`account`](Self::account).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecurityEvent {
    /// The account.
    pub account: UserId,
    /// Whom to tell, when the operation knew it.
    pub recipient: Option<Recipient>,
    /// When it happened (see [`SecurityEvent::at_utc`] to show it to people).
    pub at: UnixTime,
    /// Who did it.
    pub actor: Actor,
    /// What happened.
    pub kind: SecurityEventKind,
}

impl SecurityEvent {
    /// An event, with no recipient (see [`SecurityEvent::with_recipient`]).
    #[must_use]
    pub fn new(account: UserId, at: UnixTime, actor: Actor, kind: SecurityEventKind) -> Self {
        Self {
            account,
            recipient: None,
            at,
            actor,
            kind,
        }
    }

    /// The event, addressed to `recipient`.
    #[must_use]
    pub fn with_recipient(mut self, recipient: Option<Recipient>) -> Self {
        self.recipient = recipient;
        self
    }

    /// When it happened, for a message (`2023-11-14 22:13 UTC`) or a log
    /// ([`UtcTime::rfc3339`]).
    #[must_use]
    pub fn at_utc(&self) -> UtcTime {
        UtcTime::new(self.at)
    }
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

/// Records events in memory, for tests and examples: the newest
/// [`DEFAULT_RECORD_CAPACITY`] (or [`RecordingNotifier::with_capacity`]), the oldest
/// dropped and counted ([`RecordingNotifier::dropped`]), so a long-running process
/// that keeps one does not grow without bound; [`RecordingNotifier::drain`] takes them.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    events: Recent<SecurityEvent>,
    fail: std::sync::atomic::AtomicBool,
}

impl RecordingNotifier {
    /// An empty recorder keeping the newest [`DEFAULT_RECORD_CAPACITY`] events.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty recorder keeping the newest `capacity` events.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) unless
    /// `1 <= capacity <=` [`MAX_RECORD_CAPACITY`].
    pub fn with_capacity(capacity: usize) -> Result<Self> {
        Ok(Self {
            events: Recent::with_capacity(capacity)?,
            fail: std::sync::atomic::AtomicBool::default(),
        })
    }

    /// The events kept, oldest first.
    #[must_use]
    pub fn events(&self) -> Vec<SecurityEvent> {
        self.events.snapshot()
    }

    /// The kinds of the events kept, oldest first.
    #[must_use]
    pub fn kinds(&self) -> Vec<SecurityEventKind> {
        self.events().into_iter().map(|e| e.kind).collect()
    }

    /// Takes the events kept, oldest first, leaving none.
    pub fn drain(&self) -> Vec<SecurityEvent> {
        self.events.drain()
    }

    /// How many events were dropped to make room, since the start.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.events.dropped()
    }

    /// Forgets the events kept.
    pub fn clear(&self) {
        self.events.clear();
    }

    /// Makes later calls fail (after recording the event), to test failure handling.
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, std::sync::atomic::Ordering::SeqCst);
    }
}

impl SecurityNotifier for RecordingNotifier {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        self.events.push(event.clone());
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(NotifyError("recording notifier set to fail".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(secs: u64) -> SecurityEvent {
        SecurityEvent::new(
            UserId::new("u1"),
            UnixTime::from_secs(secs),
            Actor::System,
            SecurityEventKind::PasswordChanged,
        )
    }

    #[tokio::test]
    async fn the_recorder_keeps_the_newest_events_and_counts_the_dropped() {
        let n = RecordingNotifier::with_capacity(3).unwrap();
        for secs in 0..10 {
            n.notify(&event(secs)).await.unwrap();
        }
        let kept: Vec<u64> = n.events().iter().map(|e| e.at.as_secs()).collect();
        assert_eq!((kept, n.dropped()), (vec![7, 8, 9], 7));
        assert_eq!(n.drain().len(), 3);
        assert!(n.events().is_empty());
        assert_eq!(RecordingNotifier::new().events.dropped(), 0);
        assert!(RecordingNotifier::with_capacity(0).is_err());
        assert!(RecordingNotifier::with_capacity(MAX_RECORD_CAPACITY + 1).is_err());
    }

    #[test]
    fn an_event_renders_its_time_for_people_and_logs() {
        let e = event(1_700_000_000);
        assert_eq!(e.at_utc().to_string(), "2023-11-14 22:13 UTC");
        assert_eq!(e.at_utc().rfc3339(), "2023-11-14T22:13:20Z");
    }
}
