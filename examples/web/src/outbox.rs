//! The development outbox: the emails, text messages and security notifications the
//! application "sent", kept in memory for `/dev/outbox`.

use std::sync::{Arc, Mutex};

use tessera::mfa::{
    CodeMessage, DeliveryError, Destination, NotifyError, SecurityEmail, SecurityEvent,
};
use tessera::{
    Clock, CodeDelivery, InMemoryDelivery, RecordingNotifier, SecurityNotifier, SystemClock,
};

/// One message as the outbox page shows it.
#[derive(Clone, Debug)]
pub struct Sent {
    /// "Email", "SMS" or "Security notification".
    pub channel: &'static str,
    /// The recipient, masked as a log would show it.
    pub to: String,
    /// The subject (notifications) or purpose.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// Delivery and notifier in one: [`InMemoryDelivery`] and [`RecordingNotifier`]
/// record for tests, and each message is rendered for the outbox page.
///
/// A development stand-in only: it keeps one-time codes in memory for a page to show,
/// which a real provider must never do.
#[derive(Clone, Default)]
pub struct Outbox {
    sent: Arc<Mutex<Vec<Sent>>>,
    delivery: Arc<InMemoryDelivery>,
    notifier: Arc<RecordingNotifier>,
}

impl Outbox {
    /// Every message, newest first.
    pub fn messages(&self) -> Vec<Sent> {
        let sent = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sent.iter().rev().cloned().collect()
    }

    fn push(&self, message: Sent) {
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: a development page, not an archive.
        if sent.len() >= 500 {
            sent.remove(0);
        }
        sent.push(message);
    }
}

impl CodeDelivery for Outbox {
    async fn deliver(&self, message: &CodeMessage) -> Result<(), DeliveryError> {
        let (channel, to) = match &message.destination {
            Destination::Email(e) => ("Email", e.masked().to_string()),
            Destination::Sms(p) => ("SMS", p.masked().to_string()),
            _ => ("Message", String::new()),
        };
        self.push(Sent {
            channel,
            to,
            subject: format!("{:?}", message.purpose),
            body: message.text(SystemClock.now()).to_string(),
        });
        self.delivery.deliver(message).await
    }
}

impl SecurityNotifier for Outbox {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        let email = SecurityEmail::render(event);
        self.push(Sent {
            channel: "Security notification",
            to: email
                .to
                .as_ref()
                .map(|e| e.masked().to_string())
                .unwrap_or_default(),
            subject: email.subject.clone(),
            body: email.body.clone(),
        });
        self.notifier.notify(event).await
    }
}
