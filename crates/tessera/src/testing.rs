//! Tools to attack your own deployment in tests (feature `testing`): an account store
//! that adds latency and fails on command (or breaks a guarantee, [`Flaw`], to show a
//! suite catches it), a capture of the audit events, and the
//! conformance suite every [`AccountStore`] must pass ([`run_account_store_conformance`],
//! beside `tessera_registry::testing::run_conformance` and
//! `tessera_mfa::testing::run_conformance` for the other two stores).
//!
//! The device and MFA stores have their twins in `tessera_registry::testing` and
//! `tessera_mfa::testing`, sharing one [`Faults`] vocabulary, so a test can slow down
//! or break any store, or all of them, and count what reached them:
//!
//! ```
//! use std::time::Duration;
//! use tessera::testing::{ChaosAccountStore, Faults};
//! use tessera::InMemoryAccountStore;
//!
//! let faults = Faults::new();
//! faults.set_latency(Duration::from_micros(200), Duration::from_millis(2));
//! let accounts = ChaosAccountStore::new(InMemoryAccountStore::new(), faults.clone());
//! # let _ = accounts;
//! faults.fail_saves(true); // every save fails from now on, nothing is written
//! ```

mod conformance;

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tessera_mfa::Version;
use tessera_registry::UserId;
pub use tessera_registry::testing::{Faults, sleep};
use tessera_store::testing::overwrite_version;

use crate::{Account, AccountStore, StoreError, Versioned};

pub use conformance::run_account_store_conformance;

/// An [`AccountStore`] that waits the [`Faults`]' latency before each call and fails
/// when told to, without touching the store it wraps; or, with a [`Flaw`], a store that
/// breaks a guarantee, to check that a conformance suite catches it.
#[derive(Debug)]
pub struct ChaosAccountStore<S> {
    inner: S,
    faults: Arc<Faults>,
    flaw: Option<Flaw>,
}

/// A guarantee of [`AccountStore`] that a flawed [`ChaosAccountStore`] breaks, as a
/// faulty implementation would: [`run_account_store_conformance`] must refuse it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flaw {
    /// Saves ignore the expected version (no compare-and-set).
    LastWriteWins,
    /// Saves compare the version, let other tasks run, then write over whatever is
    /// stored: sequential conflicts are reported, but two writers at one version both
    /// succeed, as a read-then-write outside a transaction.
    RacyCompareAndSet,
    /// Loads (by id or by username) drop the account's lifecycle (a temporary password,
    /// an owed enrolment, tooling credentials), as a mapping that forgot a column would.
    ForgetsLifecycle,
    /// A create whose username is taken reports success (and writes nothing).
    HidesDuplicates,
    /// A username no account has finds the first account, as a query that lost its
    /// condition would.
    FindsAnyUsername,
    /// Lists in reverse order.
    ListsBackwards,
}

impl<S> ChaosAccountStore<S> {
    /// Wraps `inner`, steered by `faults`.
    pub fn new(inner: S, faults: Arc<Faults>) -> Self {
        Self {
            inner,
            faults,
            flaw: None,
        }
    }

    /// Wraps `inner`, breaking the guarantee `flaw` names (and injecting no faults).
    pub fn flawed(inner: S, flaw: Flaw) -> Self {
        Self {
            inner,
            faults: Faults::new(),
            flaw: Some(flaw),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// A loaded account as the flaw returns it.
    fn loaded(&self, found: Option<Versioned<Account>>) -> Option<Versioned<Account>> {
        found.map(|mut a| {
            if self.flaw == Some(Flaw::ForgetsLifecycle) {
                a.value.lifecycle = crate::AccountLifecycle::default();
            }
            a
        })
    }
}

fn injected() -> StoreError {
    StoreError::backend("injected fault")
}

impl<S: AccountStore> AccountStore for ChaosAccountStore<S> {
    async fn load(&self, id: &UserId) -> Result<Option<Versioned<Account>>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        Ok(self.loaded(self.inner.load(id).await?))
    }

    async fn find_by_username(
        &self,
        username: &str,
    ) -> Result<Option<Versioned<Account>>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        let mut found = self.inner.find_by_username(username).await?;
        if found.is_none()
            && self.flaw == Some(Flaw::FindsAnyUsername)
            && let Some(first) = self.inner.list(None, 1).await?.pop()
        {
            found = self.inner.load(first.id()).await?;
        }
        Ok(self.loaded(found))
    }

    async fn create(&self, account: &Account) -> Result<Version, StoreError> {
        self.faults.before_save().await.map_err(|()| injected())?;
        match self.inner.create(account).await {
            Err(StoreError::Duplicate) if self.flaw == Some(Flaw::HidesDuplicates) => {
                Ok(Version::new(1))
            }
            result => result,
        }
    }

    async fn save(&self, account: &Versioned<Account>) -> Result<Version, StoreError> {
        self.faults.before_save().await.map_err(|()| injected())?;
        // The flaw overwrites whatever is stored now, as if the version were not checked.
        let overwrite;
        let account = match self.flaw {
            Some(flaw @ (Flaw::LastWriteWins | Flaw::RacyCompareAndSet)) => {
                let racy = flaw == Flaw::RacyCompareAndSet;
                let id = account.value.id();
                let current = overwrite_version(account.version, racy, || async move {
                    let stored = self.inner.load(id).await?;
                    stored.map(|a| a.version).ok_or(StoreError::Conflict)
                })
                .await?;
                overwrite = Versioned::new(current, account.value.clone());
                &overwrite
            }
            _ => account,
        };
        // A lost race on command (`Faults::conflict_next_saves`): nothing written.
        let result = if self.faults.conflict_now() {
            Err(StoreError::Conflict)
        } else {
            self.inner.save(account).await
        };
        self.faults.after_save(&result);
        result
    }

    /// A listing is a read: it waits, fails and counts as a load does.
    async fn list(&self, after: Option<&UserId>, limit: usize) -> Result<Vec<Account>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        let mut listed = self.inner.list(after, limit).await?;
        if self.flaw == Some(Flaw::ListsBackwards) {
            listed.reverse();
        }
        Ok(listed)
    }
}

/// One audit event as [`AuditLog`] captured it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEvent {
    /// The `event` field.
    pub event: String,
    /// The `account` field, when the event named one.
    pub account: Option<String>,
    /// The `reason` field, for failures.
    pub reason: Option<String>,
    /// The `actor` field, for administrator actions.
    pub actor: Option<String>,
    /// The `kind` field, for `security_event`.
    pub kind: Option<String>,
    /// The `by` field, for `security_event`: who caused it.
    pub by: Option<String>,
}

/// Captures every audit event of the process (target [`crate::audit::AUDIT_TARGET`]),
/// for tests that assert what the event stream saw. Install it once per test binary
/// with [`AuditLog::install`]; it is the process's global `tracing` subscriber, so it
/// records events from every runtime worker thread.
#[derive(Debug, Default)]
pub struct AuditLog {
    events: Mutex<Vec<AuditEvent>>,
}

static LOG: OnceLock<&'static AuditLog> = OnceLock::new();

impl AuditLog {
    /// Installs the capture as the global subscriber (once; later calls return the same
    /// log). Returns `None` when another global subscriber was installed first.
    pub fn install() -> Option<&'static Self> {
        let mut installed_now = false;
        let log = *LOG.get_or_init(|| {
            installed_now = true;
            Box::leak(Box::default())
        });
        if installed_now {
            tracing::subscriber::set_global_default(Capture(log)).ok()?;
        }
        Some(log)
    }

    /// Every event captured so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The events named `event` that named `account`.
    pub fn named(&self, account: &UserId, event: &str) -> Vec<AuditEvent> {
        let mut events = self.for_account(account);
        events.retain(|e| e.event == event);
        events
    }

    /// The `security_event`s of kind `kind` that named `account`.
    pub fn security_events(&self, account: &UserId, kind: &str) -> Vec<AuditEvent> {
        let mut events = self.named(account, "security_event");
        events.retain(|e| e.kind.as_deref() == Some(kind));
        events
    }

    /// The events that named `account`.
    pub fn for_account(&self, account: &UserId) -> Vec<AuditEvent> {
        self.events()
            .into_iter()
            .filter(|e| e.account.as_deref() == Some(account.as_str()))
            .collect()
    }

    /// How many events named `account` with this `event` and `reason`.
    pub fn count(&self, account: &UserId, event: &str, reason: Option<&str>) -> usize {
        self.for_account(account)
            .iter()
            .filter(|e| e.event == event && e.reason.as_deref() == reason)
            .count()
    }
}

struct Capture(&'static AuditLog);

#[derive(Default)]
struct Fields(AuditEvent);

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let slot = match field.name() {
            "event" => return self.0.event = value.to_owned(),
            "account" => &mut self.0.account,
            "reason" => &mut self.0.reason,
            "actor" => &mut self.0.actor,
            "kind" => &mut self.0.kind,
            "by" => &mut self.0.by,
            _ => return,
        };
        *slot = Some(value.to_owned());
    }

    // Every field the capture keeps is text, and arrives through `record_str` (an
    // `Option<&str>` that is `Some` too); the others (`error`'s Display) are not kept.
    fn record_debug(&mut self, _field: &tracing::field::Field, _value: &dyn std::fmt::Debug) {}
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == crate::audit::AUDIT_TARGET
    }

    fn new_span(&self, _span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _span: &tracing::span::Id, _values: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _span: &tracing::span::Id, _follows: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.0
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fields.0);
    }

    fn enter(&self, _span: &tracing::span::Id) {}

    fn exit(&self, _span: &tracing::span::Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capture keeps the audit target's events, with their text fields (an
    /// optional field when set), and nothing another target logs.
    #[test]
    fn the_capture_keeps_audit_events_only() {
        let log = AuditLog::install().expect("no other subscriber in this binary");
        let account = UserId::new("capture-test-account");
        let actor: Option<&str> = Some("root");
        tracing::warn!(
            target: crate::audit::AUDIT_TARGET,
            event = "unlocked",
            account = account.as_str(),
            actor,
            reason = "ticket 1",
            kind = "k",
            by = "administrator",
            error = %"not kept",
        );
        tracing::warn!(target: "elsewhere", event = "unlocked", account = account.as_str());
        assert_eq!(
            log.for_account(&account),
            [AuditEvent {
                event: "unlocked".into(),
                account: Some(account.as_str().into()),
                reason: Some("ticket 1".into()),
                actor: Some("root".into()),
                kind: Some("k".into()),
                by: Some("administrator".into()),
            }]
        );
    }
}
