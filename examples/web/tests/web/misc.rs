//! The smaller parts in-process (`oneshot`): the development outbox (what it keeps, its
//! bound, each channel), the password check's typed context and its script, adding a
//! hardware token, the development identity provider's refusals and server failure,
//! and the bound on a form's size.

#![allow(clippy::expect_used)]

use crate::common::{
    body, fetch, location, now_secs, open, page, post, router, router_and_pool, send, signed_in,
};
use axum::Router;
use axum::http::{StatusCode, header};
use tessera::mfa::{
    Actor, CodeMessage, Destination, EmailAddress, OneTimeCode, PhoneNumber, Purpose,
    SecurityEvent, SecurityEventKind, UserId,
};
use tessera::{CodeDelivery, SecurityNotifier, UnixTime};
use tessera_web_example::Outbox;
use tower::ServiceExt;

fn now() -> UnixTime {
    UnixTime::from_secs(now_secs())
}

fn message(destination: Destination, code: &str) -> CodeMessage {
    CodeMessage {
        destination,
        purpose: Purpose::PasswordReset,
        code: OneTimeCode::parse(code).expect("a code"),
        expires_at: now().saturating_add(std::time::Duration::from_secs(600)),
    }
}

fn email(address: &str) -> Destination {
    Destination::Email(EmailAddress::parse(address).expect("an address"))
}

// --- The outbox -------------------------------------------------------------------

/// Each channel is kept with its masked recipient, purpose and text, newest first.
#[tokio::test]
async fn the_outbox_keeps_each_channel_newest_first() {
    let outbox = Outbox::default();
    assert!(outbox.messages().is_empty());
    outbox
        .deliver(&message(email("ana@example.com"), "123456"))
        .await
        .expect("delivered");
    let phone = PhoneNumber::parse("+40 721 234 567").expect("a number");
    let masked_phone = phone.masked();
    outbox
        .deliver(&message(Destination::Sms(phone), "654321"))
        .await
        .expect("delivered");
    outbox
        .notify(&SecurityEvent::new(
            UserId::new("u-1"),
            now(),
            Actor::AccountHolder,
            SecurityEventKind::MfaDisabled,
        ))
        .await
        .expect("notified");

    let sent = outbox.messages();
    assert_eq!(sent.len(), 3);
    let (notice, sms, mail) = (&sent[0], &sent[1], &sent[2]);
    assert_eq!(mail.channel, "Email");
    assert_eq!(mail.to, "a***@example.com");
    assert_eq!(mail.subject, "PasswordReset");
    assert!(
        mail.body
            .starts_with("Your password reset code is 123456. It expires in "),
        "{}",
        mail.body
    );
    assert_eq!(sms.channel, "SMS");
    assert_eq!(sms.to, masked_phone);
    assert!(sms.to.ends_with("67") && sms.to.contains('*'), "{}", sms.to);
    assert!(sms.body.contains("654321"), "{}", sms.body);
    assert_eq!(notice.channel, "Security notification");
    assert_eq!(notice.to, "", "the event named no recipient");
    assert_eq!(notice.subject, "Account information changed");
    assert!(
        notice
            .body
            .contains("Multi-factor authentication was turned off."),
        "{}",
        notice.body
    );
}

/// The outbox keeps the newest 500 messages: the 501st drops the oldest.
#[tokio::test]
async fn the_outbox_keeps_the_newest_five_hundred() {
    let outbox = Outbox::default();
    for i in 0..500 {
        outbox
            .deliver(&message(email("ana@example.com"), &format!("{i:06}")))
            .await
            .expect("delivered");
    }
    let sent = outbox.messages();
    assert_eq!(sent.len(), 500);
    assert!(sent[0].body.contains("000499"), "{}", sent[0].body);
    assert!(sent[499].body.contains("000000"), "{}", sent[499].body);

    outbox
        .deliver(&message(email("ana@example.com"), "000500"))
        .await
        .expect("delivered");
    let sent = outbox.messages();
    assert_eq!(sent.len(), 500);
    assert!(sent[0].body.contains("000500"), "{}", sent[0].body);
    assert!(sent[499].body.contains("000001"), "{}", sent[499].body);
}

/// The application's notifier is the outbox: turning MFA on is told to the account's
/// address, and the page lists it.
#[tokio::test]
async fn the_outbox_page_lists_security_notifications() {
    let router = router().await;
    let _ = crate::common::with_app(&router, "nadia").await;
    let outbox = page(&router, "/dev/outbox", "").await;
    assert!(
        outbox.contains(
            "<tr><td>Security notification</td><td>n***@example.com</td><td>Account information changed</td>"
        ),
        "{outbox}"
    );
    assert!(
        outbox.contains("Multi-factor authentication was turned on."),
        "{outbox}"
    );
}

// --- The password check -----------------------------------------------------------

async fn check(router: &Router, cookie: &str, csrf: &str, form: &str) -> String {
    let mut request = post("/password/check", cookie, form);
    request
        .headers_mut()
        .insert("x-csrf-token", csrf.parse().expect("header"));
    let response = router.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

/// Before sign-up, the username and address typed so far are what the password must
/// not contain; a blank one is none at all.
#[tokio::test]
async fn the_password_check_uses_the_typed_name_and_address_only_when_given() {
    let router = router().await;
    let (cookie, csrf) = open(&router, "/sign-up").await;
    let strong = "kowalski+quiet+lanterns+drift";
    assert_eq!(
        check(&router, &cookie, &csrf, &format!("password={strong}")).await,
        ""
    );
    let said = check(
        &router,
        &cookie,
        &csrf,
        &format!("password={strong}&username=Kowalski"),
    )
    .await;
    assert!(said.to_lowercase().contains("username"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    // The same for the address typed: its part before @ is not to be in the password.
    let said = check(
        &router,
        &cookie,
        &csrf,
        &format!("password={strong}&email=kowalski%40example.com"),
    )
    .await;
    assert!(said.to_lowercase().contains("email"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    for blank in ["", "+++"] {
        assert_eq!(
            check(
                &router,
                &cookie,
                &csrf,
                &format!("password={strong}&username={blank}&email={blank}"),
            )
            .await,
            "",
            "{blank:?}"
        );
    }
}

#[tokio::test]
async fn the_password_script_is_served_as_javascript() {
    let router = router().await;
    let response = fetch(&router, "/static/password.js", "").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        body(response).await,
        include_str!("../../static/password.js")
    );
}

// --- Hardware tokens --------------------------------------------------------------

/// A token's seed (base32, 20 bytes), as a seed sheet prints it in groups.
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SEED_SHEET: &str = "GEZD+GNBV+GY3T+QOJQ+GEZD+GNBV+GY3T+QOJQ";

/// The first factor added turns MFA on (the recovery codes shown once); the sign-in
/// then asks for the token's code.
#[tokio::test]
async fn a_hardware_token_is_added_and_turns_mfa_on() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "horia").await;
    let (first, second) = crate::common::consecutive_codes(SEED);
    let added = send(
        &router,
        "/credentials/hardware-token",
        &cookie,
        &format!(
            "name=Desk+token&serial=SN-0042&seed={SEED_SHEET}&first={first}&second={second}&csrf={csrf}"
        ),
    )
    .await;
    assert_eq!(added.status(), StatusCode::OK);
    let done = body(added).await;
    assert!(
        done.contains("Your hardware token is added and multi-factor authentication is on."),
        "{done}"
    );
    let credentials = page(&router, "/credentials", &cookie).await;
    assert!(credentials.contains("Desk token"), "{credentials}");

    let (cookie, _) = crate::common::at_second_factor(&router, "horia").await;
    let asked = page(&router, "/sign-in/second-factor", &cookie).await;
    assert!(
        asked.contains("Enter the code your hardware token shows."),
        "{asked}"
    );
}

/// A seed that is not base32, or a serial that is not valid: back to the page with
/// the reason, nothing added.
#[tokio::test]
async fn a_hardware_token_with_a_bad_seed_or_serial_is_refused() {
    let router = router().await;
    let (cookie, csrf) = signed_in(&router, "horia").await;
    for (form, reason) in [
        (
            format!("name=Token&serial=SN-1&seed=not+base32%21&first=1&second=2&csrf={csrf}"),
            "The seed must be the base32 text on the token",
        ),
        (
            format!("name=Token&serial=&seed={SEED}&first=1&second=2&csrf={csrf}"),
            "The name or serial number is not valid",
        ),
    ] {
        let refused = send(&router, "/credentials/hardware-token", &cookie, &form).await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER, "{reason}");
        assert_eq!(location(&refused), "/credentials", "{reason}");
        let credentials = page(&router, "/credentials", &cookie).await;
        assert!(credentials.contains(reason), "{credentials}");
        assert!(credentials.contains("0 of 8 devices"), "{credentials}");
    }
    // Two codes that are not the token's: refused too.
    let refused = send(
        &router,
        "/credentials/hardware-token",
        &cookie,
        &format!("name=Token&serial=SN-1&seed={SEED}&first=000000&second=000001&csrf={csrf}"),
    )
    .await;
    assert_eq!(location(&refused), "/credentials");
    let credentials = page(&router, "/credentials", &cookie).await;
    assert!(credentials.contains("0 of 8 devices"), "{credentials}");
}

// --- The development identity provider --------------------------------------------

const PROVIDER_PAGE: &str = "/dev/identity-provider";

/// A valid username whose address cannot be made (its part before @ longer than 64
/// bytes): refused with the reason, not a server failure.
#[tokio::test]
async fn the_provider_refuses_a_username_that_makes_no_address() {
    let router = router().await;
    let (cookie, csrf) = open(&router, PROVIDER_PAGE).await;
    let name = "%C3%A9".repeat(40);
    let refused = send(
        &router,
        PROVIDER_PAGE,
        &cookie,
        &format!("username={name}&csrf={csrf}"),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let said = body(refused).await;
    assert!(said.contains(r#"role="alert""#), "{said}");
    assert!(said.contains("64"), "{said}");
    assert!(!said.contains("Something went wrong"), "{said}");
    let credentials = fetch(&router, "/credentials", &cookie).await;
    assert_eq!(credentials.status(), StatusCode::SEE_OTHER);
}

/// The account cannot be created (the store fails on the insert only): 503.
#[tokio::test]
async fn the_provider_answers_a_failing_store_with_a_server_error() {
    let (router, pool) = router_and_pool().await;
    let (cookie, csrf) = open(&router, PROVIDER_PAGE).await;
    let tessera_sqlx::SqlPool::Sqlite(sqlite) = &pool else {
        panic!("the tests run on SQLite");
    };
    sqlx::query(
        "CREATE TRIGGER no_new_accounts BEFORE INSERT ON tessera_accounts \
         BEGIN SELECT RAISE(ABORT, 'the disk is full'); END",
    )
    .execute(sqlite)
    .await
    .expect("trigger");
    let response = send(
        &router,
        PROVIDER_PAGE,
        &cookie,
        &format!("username=fedora&csrf={csrf}"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let said = body(response).await;
    assert!(said.contains("Something went wrong on our side"), "{said}");
    assert!(!said.contains("disk"), "{said}");
}

// --- The bound on a form ----------------------------------------------------------

/// A form of 64 KiB is read; one byte more is refused before any handler runs.
#[tokio::test]
async fn a_form_is_read_up_to_64_kib() {
    let router = router().await;
    let (cookie, csrf) = open(&router, "/forgot-password").await;
    let form = |len: usize| {
        let head = format!("username=nobody&csrf={csrf}&pad=");
        format!("{head}{}", "x".repeat(len - head.len()))
    };
    let read = send(&router, "/forgot-password", &cookie, &form(64 * 1024)).await;
    assert_eq!(read.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&read), "/forgot-password/code");
    let refused = send(&router, "/forgot-password", &cookie, &form(64 * 1024 + 1)).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
