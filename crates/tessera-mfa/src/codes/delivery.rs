//! Sending codes by email or SMS through the application's provider.

use std::future::Future;

use tessera_otp::UnixTime;

use crate::notify::Recent;
use crate::{EmailAddress, OneTimeCode, PhoneNumber, Purpose};

/// Where a code goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Destination {
    /// An email address.
    Email(EmailAddress),
    /// A phone number, for SMS.
    Sms(PhoneNumber),
}

impl Destination {
    /// The masked form, for display.
    #[must_use]
    pub fn masked(&self) -> String {
        match self {
            Self::Email(e) => e.masked(),
            Self::Sms(p) => p.masked(),
        }
    }

    /// The send-limit key (`email:` + the lowercased address, or `sms:` + E.164), so
    /// case variations of one address share a budget.
    #[must_use]
    pub fn key(&self) -> crate::DestinationKey {
        crate::DestinationKey(match self {
            Self::Email(e) => format!("email:{}", e.as_str().to_lowercase()),
            Self::Sms(p) => format!("sms:{}", p.as_str()),
        })
    }
}

/// A message carrying a one-time code.
#[derive(Debug)]
pub struct CodeMessage {
    /// Where to send it.
    pub destination: Destination,
    /// What the code is for (the text should say so).
    pub purpose: Purpose,
    /// The code; `Debug` redacts it, [`OneTimeCode::expose`] reads it.
    pub code: OneTimeCode,
    /// When the code stops working.
    pub expires_at: UnixTime,
}

impl CodeMessage {
    /// A plain text for the message, e.g. "Your sign-in code is 123456. It expires in 5
    /// minutes. Never share it." (`now` decides the minutes).
    #[must_use]
    pub fn text(&self, now: UnixTime) -> String {
        let what = match self.purpose {
            Purpose::SignIn => "sign-in code",
            Purpose::PhoneVerification => "code to verify this phone number",
            Purpose::StepUp => "confirmation code",
            Purpose::PasswordReset => "password reset code",
        };
        let minutes = self
            .expires_at
            .saturating_duration_since(now)
            .as_secs()
            .div_ceil(60);
        format!(
            "Your {what} is {}. It expires in {minutes} minutes. Never share it with anyone.",
            self.code.expose()
        )
    }
}

/// The provider failed to send. The provider's own error is the
/// [`source`](std::error::Error::source), so a service can log it; it must never carry
/// the code.
#[derive(Debug, thiserror::Error)]
#[error("the code message could not be delivered")]
pub struct DeliveryError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl DeliveryError {
    /// Wraps the provider's error (anything that converts into a boxed error, a
    /// `String` or `&str` too).
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(e.into())
    }
}

/// Sends code messages by email or SMS (the application's provider).
pub trait CodeDelivery: Send + Sync {
    /// Sends one message. An error makes the challenge unusable.
    fn deliver(
        &self,
        message: &CodeMessage,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

impl<D: CodeDelivery + ?Sized> CodeDelivery for std::sync::Arc<D> {
    fn deliver(
        &self,
        message: &CodeMessage,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send {
        (**self).deliver(message)
    }
}

/// Prints each message to standard output, for examples and local development.
///
/// It prints the code: never use it where stdout is collected as a log.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsoleDelivery;

impl ConsoleDelivery {
    /// The line printed for `message`: where it goes, the code, what for and until when.
    fn line(message: &CodeMessage) -> String {
        let to = match &message.destination {
            Destination::Email(e) => format!("email {e}"),
            Destination::Sms(p) => format!("sms {p}"),
        };
        format!(
            "[{to}] code {} for {} (expires {})",
            message.code.expose(),
            message.purpose.as_str(),
            crate::UtcTime::new(message.expires_at).rfc3339()
        )
    }
}

impl CodeDelivery for ConsoleDelivery {
    async fn deliver(&self, message: &CodeMessage) -> Result<(), DeliveryError> {
        println!("{}", Self::line(message));
        Ok(())
    }
}

/// Keeps messages in memory so tests can read the codes; can be told to fail.
///
/// It keeps the newest [`DEFAULT_RECORD_CAPACITY`](crate::DEFAULT_RECORD_CAPACITY)
/// messages (or [`InMemoryDelivery::with_capacity`]), dropping and counting the oldest
/// ([`InMemoryDelivery::dropped`]), so a long-running process does not grow without
/// bound. The codes it keeps are live secrets: it is for tests and examples only.
#[derive(Debug, Default)]
pub struct InMemoryDelivery {
    sent: Recent<CodeMessage>,
    fail: std::sync::atomic::AtomicBool,
}

impl InMemoryDelivery {
    /// An empty outbox keeping the newest
    /// [`DEFAULT_RECORD_CAPACITY`](crate::DEFAULT_RECORD_CAPACITY) messages.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty outbox keeping the newest `capacity` messages.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) unless
    /// `1 <= capacity <=` [`MAX_RECORD_CAPACITY`](crate::MAX_RECORD_CAPACITY).
    pub fn with_capacity(capacity: usize) -> crate::Result<Self> {
        Ok(Self {
            sent: Recent::with_capacity(capacity)?,
            fail: std::sync::atomic::AtomicBool::default(),
        })
    }

    /// Makes later deliveries fail (`true`) or succeed again.
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many delivered messages are kept (not drained or dropped).
    #[must_use]
    pub fn count(&self) -> usize {
        self.sent.len()
    }

    /// How many messages were dropped to make room, since the start.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.sent.dropped()
    }

    /// Takes the messages kept, oldest first, leaving none.
    pub fn drain(&self) -> Vec<CodeMessage> {
        self.sent.drain()
    }

    /// The code in the last message kept that went to `destination`.
    #[must_use]
    pub fn last_code_to(&self, destination: &Destination) -> Option<OneTimeCode> {
        self.sent
            .find_last(|m| (&m.destination == destination).then(|| m.code.clone()))
    }

    /// The code in the last message kept.
    #[must_use]
    pub fn last_code(&self) -> Option<OneTimeCode> {
        self.sent.find_last(|m| Some(m.code.clone()))
    }
}

impl CodeDelivery for InMemoryDelivery {
    async fn deliver(&self, message: &CodeMessage) -> Result<(), DeliveryError> {
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(DeliveryError::new("in-memory delivery set to fail"));
        }
        let copy = CodeMessage {
            destination: message.destination.clone(),
            purpose: message.purpose,
            code: message.code.clone(),
            expires_at: message.expires_at,
        };
        self.sent.push(copy);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: u64) -> CodeMessage {
        CodeMessage {
            destination: Destination::Email(EmailAddress::parse("ana@example.com").unwrap()),
            purpose: Purpose::SignIn,
            code: OneTimeCode::generate(6).unwrap(),
            expires_at: UnixTime::from_secs(n),
        }
    }

    #[tokio::test]
    async fn the_console_prints_destination_code_purpose_and_expiry() {
        let mut m = message(1_700_000_000);
        m.code = OneTimeCode::parse("123456").unwrap();
        assert_eq!(
            ConsoleDelivery::line(&m),
            "[email ana@example.com] code 123456 for sign_in (expires 2023-11-14T22:13:20Z)"
        );
        m.destination = Destination::Sms(crate::PhoneNumber::parse("+14155552671").unwrap());
        assert!(ConsoleDelivery::line(&m).starts_with("[sms +14155552671] code 123456"));
        ConsoleDelivery.deliver(&m).await.unwrap();
    }

    #[test]
    fn destination_keys_name_the_channel_and_the_address() {
        let email = Destination::Email(EmailAddress::parse("ana@example.com").unwrap());
        let sms = Destination::Sms(crate::PhoneNumber::parse("+1 415 555 2671").unwrap());
        assert_eq!(email.key().as_str(), "email:ana@example.com");
        assert_eq!(sms.key().as_str(), "sms:+14155552671");
    }

    #[tokio::test]
    async fn the_in_memory_delivery_keeps_the_newest_messages() {
        let out = InMemoryDelivery::with_capacity(2).unwrap();
        let mut codes = Vec::new();
        for n in 0..5 {
            let m = message(n);
            codes.push(m.code.expose().to_owned());
            out.deliver(&m).await.unwrap();
        }
        assert_eq!((out.count(), out.dropped()), (2, 3));
        assert_eq!(
            out.last_code().map(|c| c.expose().to_owned()),
            codes.last().cloned()
        );
        let kept: Vec<u64> = out.drain().iter().map(|m| m.expires_at.as_secs()).collect();
        assert_eq!(kept, [3, 4]);
        assert_eq!((out.count(), out.last_code().is_none()), (0, true));
        assert!(InMemoryDelivery::with_capacity(0).is_err());
    }
}
