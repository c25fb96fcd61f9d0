//! Rendering security events as the email an account holder receives.

use std::sync::{Mutex, PoisonError};

use crate::{Actor, NotifyError, SecurityEvent, SecurityEventKind, SecurityNotifier};

/// An email about a security event, ready for the application's mailer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityEmail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

impl SecurityEmail {
    /// Writes the email for `event`, in the style of the "Account Information Changed"
    /// messages that account services send. It never contains a code or a secret.
    #[must_use]
    pub fn render(event: &SecurityEvent) -> Self {
        use SecurityEventKind as K;
        let (subject, what) = match &event.kind {
            K::MfaEnabled { preferred } => (
                "Account information changed",
                format!(
                    "Multi-factor authentication was turned on. Sign-in will ask for your {}. Any older recovery codes no longer work.",
                    preferred.display_name()
                ),
            ),
            K::MfaDisabled => (
                "Account information changed",
                "Multi-factor authentication was turned off.".to_owned(),
            ),
            K::PreferredMethodChanged { from, to, fallback } => {
                let name = |m: &Option<crate::MfaMethod>| {
                    m.map_or("none", crate::MfaMethod::display_name).to_owned()
                };
                let why = if *fallback {
                    format!(" because your {} can no longer be used", name(from))
                } else {
                    String::new()
                };
                (
                    "Account information changed",
                    format!(
                        "Your preferred sign-in method changed from {} to {}{why}.",
                        name(from),
                        name(to)
                    ),
                )
            }
            K::DeviceAdded { method } => (
                "Account information changed",
                format!("A new {} was added to your account.", method.display_name()),
            ),
            K::DeviceRemoved { method } => (
                "Account information changed",
                format!(
                    "Your {} was removed from your account.",
                    method.display_name()
                ),
            ),
            K::PhoneLinked => (
                "Account information changed",
                "A phone number was verified and can now receive sign-in codes.".to_owned(),
            ),
            K::PhoneUnlinked => (
                "Account information changed",
                "The phone number for sign-in codes was removed or changed.".to_owned(),
            ),
            K::PasswordChanged => (
                "Account information changed",
                "Your password was changed.".to_owned(),
            ),
            K::RecoveryCodesRegenerated { count } => (
                "New recovery codes",
                format!(
                    "A new set of {count} recovery codes was created. Any older codes no longer work."
                ),
            ),
            K::RecoveryCodeUsed { remaining } => (
                "A recovery code was used",
                format!("A recovery code was used to sign in. {remaining} unused codes remain."),
            ),
            K::CodeReuseDetected { method } => (
                "Security alert",
                format!(
                    "A sign-in code from your {} was used again. If this was not you, change your password.",
                    method.display_name()
                ),
            ),
            K::LockedOut { until } => (
                "Security alert",
                format!(
                    "Too many failed sign-in attempts. Sign-in is locked until {} (Unix time).",
                    until.as_secs()
                ),
            ),
            K::LockedPermanently => (
                "Security alert",
                "Too many failed sign-in attempts. Sign-in is locked until an administrator unlocks your account."
                    .to_owned(),
            ),
            K::Unlocked { .. } => (
                "Account information changed",
                "Your account was unlocked and its failed sign-in attempts were cleared."
                    .to_owned(),
            ),
            K::RememberedDevicesRevoked => (
                "Account information changed",
                "Every device that skipped the second sign-in step must now ask for it again."
                    .to_owned(),
            ),
        };
        let by = match &event.actor {
            Actor::AccountHolder => "from your account".to_owned(),
            Actor::Administrator { id } => format!("by an administrator ({id})"),
            Actor::System => "automatically".to_owned(),
        };
        let body = format!(
            "Hello,\n\n{what}\n\nThis change was made {by} at {} (Unix time).\n\
             If you did not expect it, contact your administrator and change your password.\n",
            event.at.as_secs()
        );
        Self {
            subject: subject.to_owned(),
            body,
        }
    }
}

/// An example notifier that writes each event as the email the account holder would get,
/// to standard output, and keeps a copy (for examples; a service sends it with its mailer).
#[derive(Debug, Default)]
pub struct EmailNotifier {
    quiet: bool,
    sent: Mutex<Vec<SecurityEmail>>,
}

impl EmailNotifier {
    /// A notifier that prints each email.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A notifier that only keeps the emails (for tests).
    #[must_use]
    pub fn quiet() -> Self {
        Self {
            quiet: true,
            sent: Mutex::default(),
        }
    }

    /// The emails written so far.
    #[must_use]
    pub fn sent(&self) -> Vec<SecurityEmail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl SecurityNotifier for EmailNotifier {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        let email = SecurityEmail::render(event);
        if !self.quiet {
            println!(
                "To: account {}\nSubject: {}\n\n{}",
                event.account, email.subject, email.body
            );
        }
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(email);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MfaMethod;
    use tessera_otp::UnixTime;
    use tessera_registry::UserId;

    #[tokio::test]
    async fn renders_account_information_changed() {
        let n = EmailNotifier::quiet();
        let event = SecurityEvent {
            account: UserId::new("u1"),
            at: UnixTime::from_secs(1_700_000_000),
            actor: Actor::administrator("ops-7"),
            kind: SecurityEventKind::DeviceRemoved {
                method: MfaMethod::SecurityKey,
            },
        };
        n.notify(&event).await.unwrap();
        let sent = n.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].subject, "Account information changed");
        assert!(
            sent[0]
                .body
                .contains("Your security key was removed from your account.")
        );
        assert!(sent[0].body.contains("administrator (ops-7)"));
        assert!(sent[0].body.contains("1700000000"));
    }

    fn body(kind: SecurityEventKind) -> String {
        SecurityEmail::render(&SecurityEvent {
            account: UserId::new("u1"),
            at: UnixTime::from_secs(1_700_000_000),
            actor: Actor::System,
            kind,
        })
        .body
    }

    #[test]
    fn every_removed_device_reads_correctly() {
        for (method, line) in [
            (
                MfaMethod::AuthenticatorApp,
                "Your authenticator app was removed from your account.",
            ),
            (
                MfaMethod::HardwareToken,
                "Your hardware token was removed from your account.",
            ),
        ] {
            let text = body(SecurityEventKind::DeviceRemoved { method });
            assert!(text.contains(line), "{text}");
            assert!(!text.contains(" A authenticator"), "{text}");
        }
    }

    #[test]
    fn lockout_and_new_recovery_codes_say_what_happened() {
        // The lockout counts every failed attempt (passwords too, in the facade).
        let text = body(SecurityEventKind::LockedOut {
            until: UnixTime::from_secs(1_700_000_900),
        });
        assert!(
            text.contains(
                "Too many failed sign-in attempts. Sign-in is locked until 1700000900 (Unix time)."
            ),
            "{text}"
        );
        let text = body(SecurityEventKind::RecoveryCodesRegenerated { count: 10 });
        assert!(
            text.contains(
                "A new set of 10 recovery codes was created. Any older codes no longer work."
            ),
            "{text}"
        );
    }
}
