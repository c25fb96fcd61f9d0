//! `tessera report mfa`: every account's MFA state from a Tessera database, as CSV
//! (an AWS-style credential report) or JSON.

use std::sync::Arc;

use serde_json::{Value, json};
use tessera::{
    Accounts, InMemoryDelivery, Keyring, MfaMethod, MfaStatus, RegistryConfig, SystemClock,
    UnixTime,
};
use tessera_sqlx::{SqlAccountStore, SqlDeviceStore, SqlMfaStore, SqlPool};

use crate::Failure;
use crate::args::ReportMfaArgs;
use crate::csv;

/// Accounts read per page.
const PAGE: usize = 500;

/// The columns, in order: the CSV header and the JSON keys.
pub(crate) const COLUMNS: [&str; 22] = [
    "user",
    "user_id",
    "identity_provider",
    "password_enabled",
    "password_last_changed",
    "user_creation_time",
    "mfa_active",
    "mfa_preferred",
    "authenticator_apps",
    "hardware_tokens",
    "security_keys",
    "sms_available",
    "email_available",
    "recovery_codes_left",
    "mfa_devices",
    "mfa_last_used",
    "locked",
    "locked_until",
    "temporary_password",
    "enrolment_required",
    "tooling_credentials",
    "pending_change_requests",
];

pub(crate) fn mfa(args: &ReportMfaArgs) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| Failure::Input("could not start the async runtime".to_owned()))?;
    runtime.block_on(report(args))
}

async fn report(args: &ReportMfaArgs) -> Result<(), Failure> {
    let pool = open(&args.database).await?;
    // The report opens no seed and checks no code: a throwaway keyring is enough, and
    // the command needs none of the service's keys.
    let keyring =
        Keyring::ephemeral().map_err(|_| input("the system's random generator failed"))?;
    let config =
        RegistryConfig::new("tessera report").map_err(|_| input("internal configuration"))?;
    let accounts = Accounts::builder(Arc::new(keyring), config)
        .notifier(tessera::mfa::NoNotifier)
        .delivery(InMemoryDelivery::new())
        .build(
            SqlAccountStore::new(&pool),
            SqlDeviceStore::new(&pool),
            SqlMfaStore::new(&pool),
            SystemClock,
        )
        .map_err(|_| input("internal configuration"))?;

    let csv = args.format == "csv";
    let mut out = std::io::stdout().lock();
    let mut json_rows = Vec::new();
    if csv {
        write(&mut out, &csv::record(&COLUMNS))?;
    }
    let mut cursor = None;
    loop {
        let page = accounts
            .mfa_status_page(cursor.as_ref(), PAGE)
            .await
            .map_err(|e| read_failed(&e))?;
        for status in &page.accounts {
            if csv {
                write(&mut out, &csv::record(&csv_row(status)))?;
            } else {
                json_rows.push(json_row(status));
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if !csv {
        let text = serde_json::to_string_pretty(&Value::Array(json_rows))
            .map_err(|_| input("could not write json"))?;
        write(&mut out, &format!("{text}\n"))?;
    }
    pool.close().await;
    Ok(())
}

fn input(message: &str) -> Failure {
    Failure::Input(message.to_owned())
}

/// A store error, with its cause: a driver's message names tables and columns, never
/// a password (the URL is not repeated).
fn read_failed(e: &dyn std::error::Error) -> Failure {
    let mut message = format!("could not read the database: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Failure::Input(message)
}

/// A closed pipe ends the report quietly, as `head` expects.
fn write(out: &mut impl std::io::Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes())
        .map_err(|_| Failure::Silent(0))
}

/// Opens the database without migrating it or creating anything.
async fn open(database: &str) -> Result<SqlPool, Failure> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(tessera_sqlx::ACQUIRE_TIMEOUT)
            .connect(database)
            .await
            // The URL may hold a password: the message never repeats it.
            .map_err(|e| read_failed(&e))?;
        return Ok(pool.into());
    }
    let path = database.strip_prefix("sqlite:").unwrap_or(database);
    let path = path.strip_prefix("//").unwrap_or(path);
    if !std::path::Path::new(path).is_file() {
        return Err(input("no database file at this path"));
    }
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(tessera_sqlx::sqlite_options(path).create_if_missing(false))
        .await
        .map_err(|e| read_failed(&e))?;
    Ok(pool.into())
}

/// `t` as RFC 3339 in UTC with whole seconds (`2023-11-14T22:13:20Z`), as the
/// security messages' [`UtcTime`](tessera::mfa::UtcTime) writes it for machines.
pub(crate) fn iso8601(t: UnixTime) -> String {
    tessera::mfa::UtcTime::new(t).rfc3339()
}

fn time_or_na(t: Option<UnixTime>) -> String {
    t.map_or_else(|| "N/A".to_owned(), iso8601)
}

fn csv_row(s: &MfaStatus) -> Vec<String> {
    vec![
        csv::text(&s.username).into_owned(),
        csv::text(s.account.as_str()).into_owned(),
        s.identity_provider
            .as_deref()
            .map_or_else(|| "N/A".to_owned(), |p| csv::text(p).into_owned()),
        s.password_enabled.to_string(),
        time_or_na(s.password_changed_at),
        iso8601(s.created_at),
        s.mfa_enabled.to_string(),
        s.preferred.map_or("N/A", MfaMethod::as_str).to_owned(),
        s.authenticator_apps.to_string(),
        s.hardware_tokens.to_string(),
        s.security_keys.to_string(),
        s.sms.to_string(),
        s.email.to_string(),
        s.recovery_codes_left.to_string(),
        s.device_count().to_string(),
        time_or_na(s.last_used_at),
        s.locked.to_string(),
        time_or_na(s.locked_until),
        s.temporary_password.to_string(),
        s.enrolment_required.to_string(),
        s.tooling_credentials.to_string(),
        s.pending_change_requests.to_string(),
    ]
}

fn json_row(s: &MfaStatus) -> Value {
    let time = |t: Option<UnixTime>| t.map(iso8601);
    json!({
        "user": s.username,
        "user_id": s.account.as_str(),
        "identity_provider": s.identity_provider,
        "password_enabled": s.password_enabled,
        "password_last_changed": time(s.password_changed_at),
        "user_creation_time": iso8601(s.created_at),
        "mfa_active": s.mfa_enabled,
        "mfa_preferred": s.preferred.map(MfaMethod::as_str),
        "authenticator_apps": s.authenticator_apps,
        "hardware_tokens": s.hardware_tokens,
        "security_keys": s.security_keys,
        "sms_available": s.sms,
        "email_available": s.email,
        "recovery_codes_left": s.recovery_codes_left,
        "mfa_devices": s.device_count(),
        "mfa_last_used": time(s.last_used_at),
        "locked": s.locked,
        "locked_until": time(s.locked_until),
        "temporary_password": s.temporary_password,
        "enrolment_required": s.enrolment_required,
        "tooling_credentials": s.tooling_credentials,
        "pending_change_requests": s.pending_change_requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_instants() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (4_107_542_399, "2100-02-28T23:59:59Z"),
        ] {
            assert_eq!(iso8601(UnixTime::from_secs(secs)), text);
        }
    }
}
