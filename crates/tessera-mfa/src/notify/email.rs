//! Rendering security events as the email an account holder receives.

use super::Recent;
use crate::{
    Actor, EmailAddress, NotifyError, Result, SecurityEvent, SecurityEventKind, SecurityNotifier,
};

/// An email about a security event, ready for the application's mailer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecurityEmail {
    /// The address to send it to: the event's [`Recipient`](crate::Recipient) address;
    /// `None` when the operation was given a bare user id, and the mailer must look
    /// the address up by [`SecurityEvent::account`].
    pub to: Option<EmailAddress>,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

impl SecurityEmail {
    /// Writes the email for `event`, in the style of the "Account Information Changed"
    /// messages that account services send: greeting the recipient by name when the
    /// event carries one, with times in UTC to the minute (`2023-11-14 22:13 UTC`). It
    /// never contains a code or a secret.
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
                    "Too many failed sign-in attempts. Sign-in is locked until {}.",
                    crate::UtcTime::new(*until)
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
            K::ToolingCredentialAdded { name } => (
                "Account information changed",
                format!(
                    "A credential for tools named \"{}\" was created.",
                    one_line(name)
                ),
            ),
            K::ToolingCredentialRevoked { name } => (
                "Account information changed",
                format!(
                    "The credential for tools named \"{}\" was revoked and no longer works.",
                    one_line(name)
                ),
            ),
            K::FactorChangeRequested { change } => (
                "Change requested",
                format!(
                    "A request to {} was sent to your administrators. Nothing changes until one of them approves it.",
                    one_line(change)
                ),
            ),
            K::FactorChangeDecided { change, approved } => (
                "Change request decided",
                format!(
                    "The request to {} was {}.",
                    one_line(change),
                    if *approved {
                        "approved and carried out"
                    } else {
                        "rejected; nothing changed"
                    }
                ),
            ),
            K::MfaReset { .. } => (
                "Security alert",
                "Your two-step verification was reset: your devices, recovery codes and phone number no longer work, and you will set up a new second step at your next sign-in."
                    .to_owned(),
            ),
        };
        let by = match &event.actor {
            Actor::AccountHolder => "from your account".to_owned(),
            Actor::Administrator { id } => format!("by an administrator ({id})"),
            Actor::System => "automatically".to_owned(),
        };
        let recipient = event.recipient.as_ref();
        let greeting = match recipient.and_then(|r| r.name.as_deref()) {
            // A name is the application's text: one line of it, no control characters,
            // so it cannot add lines or headers to the message.
            Some(name) => format!(
                "Hello {},",
                name.chars()
                    .filter(|c| !c.is_control())
                    .take(100)
                    .collect::<String>()
                    .trim()
            ),
            None => "Hello,".to_owned(),
        };
        let body = format!(
            "{greeting}\n\n{what}\n\nThis change was made {by} on {}.\n\
             If you did not expect it, contact your administrator and change your password.\n",
            event.at_utc()
        );
        Self {
            to: recipient.and_then(|r| r.email.clone()),
            subject: subject.to_owned(),
            body,
        }
    }
}

/// An example notifier that writes each event as the email the account holder would get,
/// to standard output, and keeps a copy (for examples; a service sends it with its mailer).
///
/// It keeps the newest [`DEFAULT_RECORD_CAPACITY`](crate::DEFAULT_RECORD_CAPACITY)
/// emails (or [`EmailNotifier::with_capacity`]), dropping and counting the oldest
/// ([`EmailNotifier::dropped`]), so a long-running process does not grow without bound.
#[derive(Debug, Default)]
pub struct EmailNotifier {
    quiet: bool,
    sent: Recent<SecurityEmail>,
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
            sent: Recent::default(),
        }
    }

    /// The notifier, keeping the newest `capacity` emails.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) unless
    /// `1 <= capacity <=` [`MAX_RECORD_CAPACITY`](crate::MAX_RECORD_CAPACITY).
    pub fn with_capacity(self, capacity: usize) -> Result<Self> {
        Ok(Self {
            quiet: self.quiet,
            sent: Recent::with_capacity(capacity)?,
        })
    }

    /// The emails kept, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<SecurityEmail> {
        self.sent.snapshot()
    }

    /// Takes the emails kept, oldest first, leaving none.
    pub fn drain(&self) -> Vec<SecurityEmail> {
        self.sent.drain()
    }

    /// How many emails were dropped to make room, since the start.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.sent.dropped()
    }
}

impl SecurityNotifier for EmailNotifier {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        let email = SecurityEmail::render(event);
        if !self.quiet {
            match &email.to {
                Some(to) => println!("To: {}", to.as_str()),
                None => println!("To: account {}", event.account),
            }
            println!("Subject: {}\n\n{}", email.subject, email.body);
        }
        self.sent.push(email);
        Ok(())
    }
}

/// The application's text on one line, without control characters (it cannot add lines
/// or headers to the message).
fn one_line(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
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
        let event = SecurityEvent::new(
            UserId::new("u1"),
            UnixTime::from_secs(1_700_000_000),
            Actor::administrator("ops-7"),
            SecurityEventKind::DeviceRemoved {
                method: MfaMethod::SecurityKey,
            },
        );
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
        // A time for people, not Unix seconds (issue 13, item 8).
        assert!(
            sent[0].body.contains("on 2023-11-14 22:13 UTC."),
            "{}",
            sent[0].body
        );
        assert!(!sent[0].body.contains("1700000000"));
        assert!(sent[0].body.starts_with("Hello,\n"));
        assert_eq!(
            sent[0].to, None,
            "no recipient given: the mailer looks it up"
        );
    }

    #[test]
    fn text_from_the_application_stays_on_one_line() {
        let text = body(SecurityEventKind::ToolingCredentialAdded {
            name: "deploy\nBcc: victim@example.com\r\tbot".into(),
        });
        assert!(
            text.contains(
                "A credential for tools named \"deployBcc: victim@example.combot\" was created."
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn quiet_keeps_and_counts_what_it_drops() {
        let n = EmailNotifier::quiet().with_capacity(1).unwrap();
        assert!(format!("{n:?}").contains("quiet: true"));
        assert!(format!("{:?}", EmailNotifier::new()).contains("quiet: false"));
        assert_eq!(n.dropped(), 0);
        let event = SecurityEvent::new(
            UserId::new("u1"),
            UnixTime::from_secs(1_700_000_000),
            Actor::System,
            SecurityEventKind::MfaDisabled,
        );
        for _ in 0..3 {
            n.notify(&event).await.unwrap();
        }
        assert_eq!((n.sent().len(), n.dropped()), (1, 2));
    }

    fn body(kind: SecurityEventKind) -> String {
        SecurityEmail::render(&SecurityEvent::new(
            UserId::new("u1"),
            UnixTime::from_secs(1_700_000_000),
            Actor::System,
            kind,
        ))
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
                "Too many failed sign-in attempts. Sign-in is locked until 2023-11-14 22:28 UTC."
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

    #[tokio::test]
    async fn writes_to_the_recipient_by_name() {
        let n = EmailNotifier::quiet();
        let ana = crate::AccountContext::new(UserId::new("u1"))
            .with_email(crate::EmailAddress::parse("ana@example.com").unwrap())
            .with_display_name("Ana\r\nBcc: evil@example.com");
        let event = SecurityEvent::new(
            UserId::new("u1"),
            UnixTime::from_secs(1_764_475_973),
            Actor::AccountHolder,
            SecurityEventKind::PasswordChanged,
        )
        .with_recipient(Some(ana.recipient()));
        n.notify(&event).await.unwrap();
        let email = &n.sent()[0];
        assert_eq!(
            email.to.as_ref().map(EmailAddress::as_str),
            Some("ana@example.com")
        );
        // The name is greeted on one line: its line break cannot start a header.
        assert!(
            email
                .body
                .starts_with("Hello AnaBcc: evil@example.com,\n\n"),
            "{}",
            email.body
        );
        assert!(
            email.body.contains("on 2025-11-30 04:12 UTC."),
            "{}",
            email.body
        );
    }

    #[tokio::test]
    async fn keeps_the_newest_emails_and_counts_the_dropped() {
        let n = EmailNotifier::quiet().with_capacity(2).unwrap();
        for secs in [60, 120, 180] {
            let event = SecurityEvent::new(
                UserId::new("u1"),
                UnixTime::from_secs(secs),
                Actor::System,
                SecurityEventKind::MfaDisabled,
            );
            n.notify(&event).await.unwrap();
        }
        assert_eq!(n.dropped(), 1);
        let kept = n.drain();
        assert_eq!(kept.len(), 2);
        assert!(
            kept[0].body.contains("1970-01-01 00:02 UTC"),
            "{}",
            kept[0].body
        );
        assert!(n.sent().is_empty());
        assert!(EmailNotifier::quiet().with_capacity(0).is_err());
    }
}
