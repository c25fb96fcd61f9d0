//! Custom delivery: `tessera_mfa::CodeDelivery` for your own SMS provider.
//!
//! A pretend SMS gateway formats each message as its API would take it and records the
//! request; a second gateway is down. The example verifies a phone number with a code
//! sent through the first, then shows that a failed delivery returns the error and
//! leaves no usable challenge behind, that the message's `Debug` form never shows the
//! code, and that the send limits refuse the sixth code in fifteen minutes (the failed
//! send counts too, so a broken provider cannot be used to pump messages).
//!
//! Run with `cargo run -p tessera-examples --example custom_delivery`.
//!
//! It prints the text messages as the pretend phone would show them, codes included:
//! a real service never prints or logs them.

use std::fmt;
use std::process::ExitCode;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tessera_examples::{BoxError, check};

use tessera_mfa::{
    AccountContext, Actor, CodeDelivery, CodeMessage, DeliveryError, Destination, InMemoryStore,
    Mfa, MfaMethod, NoNotifier, OrgPolicy, PhoneNumber, Purpose, ServerKey,
};
use tessera_otp::{Clock, ManualClock, UnixTime};
use tessera_registry::UserId;

// ─── The providers ──────────────────────────────────────────────────────────────────

/// The client of a pretend SMS gateway: it builds the request the gateway's API takes
/// and "sends" it by keeping it, where a real client would POST it over HTTPS and keep
/// nothing.
struct SmsGateway<C> {
    /// The alphanumeric sender id phones show.
    sender: &'static str,
    /// The site the codes are for, for the origin-bound last line that lets browsers and
    /// phones fill the code in (and refuse it on any other site).
    origin: &'static str,
    /// For "expires in N minutes".
    clock: C,
    sent: Mutex<Vec<SmsRequest>>,
}

/// One request to the gateway.
struct SmsRequest {
    to: String,
    from: &'static str,
    body: String,
    /// What the client logged for it: the message's `Debug` form.
    logged: String,
}

impl fmt::Debug for SmsRequest {
    /// The body carries the code, so it stays out of `Debug`, as in `CodeMessage`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsRequest")
            .field("from", &self.from)
            .field("body", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl<C: Clock> SmsGateway<C> {
    fn new(sender: &'static str, origin: &'static str, clock: C) -> Self {
        Self {
            sender,
            origin,
            clock,
            sent: Mutex::default(),
        }
    }

    fn requests(&self) -> std::sync::MutexGuard<'_, Vec<SmsRequest>> {
        // Requests are pushed whole, so a poisoned list is still consistent.
        self.sent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Most characters in one SMS in the GSM 7-bit alphabet; longer texts are split and
/// cost more.
const SMS_SEGMENT_CHARS: usize = 160;

impl<C: Clock> CodeDelivery for SmsGateway<C> {
    async fn deliver(&self, message: &CodeMessage) -> Result<(), DeliveryError> {
        // `Destination` is non-exhaustive: a provider says which kinds it handles.
        let Destination::Sms(number) = &message.destination else {
            return Err(DeliveryError::new("this gateway sends sms only"));
        };
        // What a careful client logs: the Debug form, which redacts the code and masks
        // the number.
        let logged = format!("{message:?}");
        println!("  [gateway] {logged}");
        // The crate's wording, then the origin-bound line ("@example.com #123456", the
        // WICG format that browsers' SMS autofill reads).
        let body = format!(
            "{}\n\n@{} #{}",
            message.text(self.clock.now()),
            self.origin,
            message.code.expose()
        );
        if body.chars().count() > SMS_SEGMENT_CHARS {
            return Err(DeliveryError::new("the text does not fit in one sms"));
        }
        self.requests().push(SmsRequest {
            to: number.as_str().to_owned(),
            from: self.sender,
            body,
            logged,
        });
        Ok(())
    }
}

/// A gateway that is down: every send fails, as on a timeout or a 5xx answer.
struct DownGateway;

impl CodeDelivery for DownGateway {
    async fn deliver(&self, _message: &CodeMessage) -> Result<(), DeliveryError> {
        // The provider's error, never the code or the number.
        Err(DeliveryError::new(
            "sms gateway answered 503 service unavailable",
        ))
    }
}

/// The pretend phone reads the code from the message's last line, `@origin #code`.
fn code_on_phone(body: &str) -> Option<&str> {
    body.lines().last()?.rsplit_once(" #").map(|(_, code)| code)
}

// ─── The example ────────────────────────────────────────────────────────────────────

#[tokio::main]
async fn main() -> ExitCode {
    tessera_examples::finish("custom_delivery", run().await)
}

async fn run() -> Result<(), BoxError> {
    let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
    let mfa = Mfa::new(
        InMemoryStore::new(),
        NoNotifier,
        clock.clone(),
        OrgPolicy::default(),
        ServerKey::generate()?,
    );
    let gateway = SmsGateway::new("Tessera", "example.com", clock.clone());
    let ana = UserId::new("ana");
    let ctx = AccountContext::new(ana.clone());

    println!("== Verify a phone number with a code sent through the gateway");
    let number = PhoneNumber::parse("+44 7700 900123")?;
    mfa.link_phone(&ctx, number.clone(), Actor::AccountHolder)
        .await?
        .into_value();
    let ticket = mfa
        .send_code(&ctx, MfaMethod::Sms, Purpose::PhoneVerification, &gateway)
        .await?;
    println!(
        "  code sent to {}, valid until unix time {}",
        ticket.destination_hint,
        ticket.expires_at.as_secs()
    );
    let (body, logged) = {
        let requests = gateway.requests();
        let last = requests.last().ok_or("the gateway received nothing")?;
        check(
            last.to == number.as_str() && last.from == "Tessera",
            "the gateway got one request, to the number in E.164 form",
        )?;
        (last.body.clone(), last.logged.clone())
    };
    println!("  the phone shows:");
    for line in body.lines() {
        println!("    │ {line}");
    }
    let code = code_on_phone(&body).ok_or("no code on the phone")?;
    check(
        !logged.contains(code) && logged.contains("<redacted>"),
        "the message's Debug form (what the gateway logged) does not contain the code",
    )?;
    check(
        !logged.contains(number.as_str()),
        "nor the phone number (masked)",
    )?;
    check(
        body.chars().count() <= SMS_SEGMENT_CHARS,
        "the text fits in one SMS",
    )?;
    let verified = mfa.verify_code(&ana, &ticket.id, code).await?.into_value();
    check(
        verified.purpose == Purpose::PhoneVerification,
        "the code from the phone completes the challenge",
    )?;
    let sms = mfa.availability(&ctx).await?.get(MfaMethod::Sms);
    check(
        sms.is_available(),
        "the code verified the number: SMS is now a sign-in method",
    )?;

    println!("\n== The gateway is down");
    clock.advance(Duration::from_secs(30));
    let failed = mfa
        .send_code(&ctx, MfaMethod::Sms, Purpose::SignIn, &DownGateway)
        .await;
    match &failed {
        Err(e) => println!("  send_code returned: {e}"),
        Ok(_) => println!("  send_code succeeded through a gateway that is down"),
    }
    check(
        matches!(failed, Err(tessera_mfa::Error::Delivery(_))),
        "the provider's error comes back to the caller, who can offer another method",
    )?;
    check(
        mfa.account_state(&ana).await?.pending_challenges() == 0,
        "no challenge is left pending: the code nobody received can never be used",
    )?;

    println!("\n== Send limits: five codes in fifteen minutes, at least 30 s apart");
    let mut sent = 2; // the phone verification and the failed send both count
    while sent < 5 {
        clock.advance(Duration::from_secs(30));
        mfa.send_code(&ctx, MfaMethod::Sms, Purpose::SignIn, &gateway)
            .await?;
        sent += 1;
        println!("  send {sent}: delivered");
    }
    let delivered = gateway.requests().len();
    clock.advance(Duration::from_secs(30));
    let sixth = mfa
        .send_code(&ctx, MfaMethod::Sms, Purpose::SignIn, &gateway)
        .await;
    let retry_after = match &sixth {
        Err(e @ tessera_mfa::Error::SendLimitReached { retry_after, .. }) => {
            println!("  send 6: refused, {e}");
            Some(*retry_after)
        }
        Err(e) => {
            println!("  send 6: refused, {e}");
            None
        }
        Ok(_) => None,
    };
    check(
        retry_after.is_some(),
        "the sixth send is refused with the time it may be tried again",
    )?;
    check(
        gateway.requests().len() == delivered,
        "the refused send never reached the gateway",
    )?;

    if let Some(at) = retry_after {
        clock.set(at);
        let again = mfa
            .send_code(&ctx, MfaMethod::Sms, Purpose::SignIn, &gateway)
            .await;
        check(
            again.is_ok(),
            "at that time the first send has left the window, and a code goes out again",
        )?;
    }
    let requests = gateway.requests();
    println!(
        "  the gateway's records: {} requests, e.g. {:?}",
        requests.len(),
        requests.first()
    );
    Ok(())
}
