//! `tessera report mfa` on a temporary SQLite database made by the test.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use tessera::otp::{Secret, Totp, TotpParams};
use tessera::registry::{ActivationPolicy, HardwareToken};
use tessera::{
    Accounts, InMemoryDelivery, Keyring, ManualClock, Password, RegistryConfig, UnixTime,
};
use tessera_sqlx::SqlStores;

use crate::common::run;

const HEADER: &str = "user,user_id,identity_provider,password_enabled,password_last_changed,\
user_creation_time,mfa_active,mfa_preferred,authenticator_apps,hardware_tokens,\
security_keys,sms_available,email_available,recovery_codes_left,mfa_devices,\
mfa_last_used,locked,locked_until,temporary_password,enrolment_required,\
tooling_credentials,pending_change_requests";

/// A folder of its own, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tessera-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Three accounts: "ana" with a hardware token, "bob" with a password only, and a
/// federated "-fed" (a name a spreadsheet would read as a formula) whose provider's
/// name has a comma and quotes.
fn make_database(path: &std::path::Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let stores = SqlStores::open_sqlite(path).await.unwrap();
        let config = RegistryConfig::builder("Acme")
            .activation(ActivationPolicy::OneCode)
            .build()
            .unwrap();
        let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
        let accounts = Accounts::builder(Arc::new(Keyring::ephemeral().unwrap()), config)
            .notifier(tessera::mfa::NoNotifier)
            .delivery(InMemoryDelivery::new())
            .build(
                stores.accounts.clone(),
                stores.devices.clone(),
                stores.mfa.clone(),
                clock,
            )
            .unwrap();
        let password = Password::new("correct horse battery staple");
        let ana = accounts
            .create_account("ana", "ana@example.com", &password)
            .await
            .unwrap();
        accounts
            .create_account("bob", "bob@example.com", &password)
            .await
            .unwrap();
        accounts
            .create_federated_account("-fed", "fed@example.com", "Okta, Inc. \"EU\"")
            .await
            .unwrap();
        let seed = Secret::generate();
        let code = Totp::new(&seed, TotpParams::DEFAULT)
            .generate(UnixTime::from_secs(1_700_000_000))
            .unwrap();
        let token = HardwareToken::new("Token", "GALT-1", seed, TotpParams::DEFAULT).unwrap();
        accounts
            .registry()
            .add_hardware_token(ana.id(), &token, &[code.expose()])
            .await
            .unwrap();
        stores.pool().close().await;
    });
}

fn split(line: &str) -> Vec<String> {
    // The rows of this test quote only the provider's field: enough of a reader here
    // (the writer's grammar is checked by its property test).
    let mut fields = Vec::new();
    let mut rest = line;
    while !rest.is_empty() || fields.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted
                .match_indices('"')
                .find(|(i, _)| quoted[i + 1..].starts_with(',') || i + 1 == quoted.len())
                .map(|(i, _)| i)
                .unwrap();
            fields.push(quoted[..end].replace("\"\"", "\""));
            rest = quoted[end + 1..].strip_prefix(',').unwrap_or("");
        } else {
            let (field, tail) = rest.split_once(',').unwrap_or((rest, ""));
            fields.push(field.to_owned());
            rest = tail;
        }
    }
    fields
}

#[test]
fn the_mfa_report_lists_every_account_as_csv_and_json() {
    let dir = TempDir::new("report");
    let db = dir.0.join("tessera.db");
    make_database(&db);
    let db = db.to_str().unwrap();

    let r = run(&["report", "mfa", "--database", db]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with("\r\n"));
    let lines: Vec<&str> = r.stdout.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], HEADER);
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| split(l)).collect();
    let by_user = |u: &str| rows.iter().find(|r| r[0] == u).unwrap().clone();
    let ana = by_user("ana");
    assert_eq!(ana.len(), 22);
    assert_eq!(
        (ana[3].as_str(), ana[9].as_str(), ana[14].as_str()),
        ("true", "1", "1"),
        "{ana:?}"
    );
    assert_eq!(ana[5], "2023-11-14T22:13:20Z");
    assert_eq!((ana[2].as_str(), ana[15].as_str()), ("N/A", "N/A"));
    assert_eq!(ana[18..], ["false", "false", "0", "0"]);
    let fed = by_user("'-fed");
    assert_eq!(fed[2], "Okta, Inc. \"EU\"");
    assert_eq!(fed[3], "false");
    assert!(
        r.stdout.contains("\"Okta, Inc. \"\"EU\"\"\""),
        "{}",
        r.stdout
    );
    let bo = by_user("bob");
    assert_eq!((bo[6].as_str(), bo[14].as_str()), ("false", "0"));
    // No secret or address in the report.
    assert!(!r.stdout.contains("@example.com") && !r.stdout.contains("GALT"));

    let r = run(&[
        "report",
        "mfa",
        "--database",
        &format!("sqlite:{db}"),
        "--format",
        "json",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want: Vec<&str> = HEADER.split(',').collect();
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want);
    let fed = rows.iter().find(|r| r["user"] == "-fed").unwrap();
    assert_eq!(fed["identity_provider"], "Okta, Inc. \"EU\"");
    assert_eq!(fed["mfa_last_used"], Value::Null);
}

#[test]
fn the_mfa_report_refuses_a_missing_database_and_creates_nothing() {
    let dir = TempDir::new("missing");
    let db = dir.0.join("nothing.db");
    let r = run(&["report", "mfa", "--database", db.to_str().unwrap()]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("no database file"), "{}", r.stderr);
    assert!(!db.exists());
    let r = run(&["report", "mfa", "--database", "x.db", "--format", "xml"]);
    assert_eq!(r.status, 2);
    // A PostgreSQL URL's password is never repeated, whatever goes wrong.
    let r = run(&[
        "report",
        "mfa",
        "--database",
        "postgres://admin:hunter2@127.0.0.1:1/db",
    ]);
    assert_eq!(r.status, 2);
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    // The other spelling of the scheme is a server too, never a file path.
    let r = run(&[
        "report",
        "mfa",
        "--database",
        "postgresql://admin:hunter2@127.0.0.1:1/db",
    ]);
    assert_eq!(r.status, 2);
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    assert!(!r.stderr.contains("no database file"), "{}", r.stderr);
}
