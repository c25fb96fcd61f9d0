//! "Sign out everywhere": revoking an account's sessions in the application.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tessera_otp::UnixTime;
use tessera_registry::UserId;

/// Revoking sessions failed. The backend's own error is the
/// [`source`](std::error::Error::source), so a service can log the driver's message; it
/// must never carry a session token.
#[derive(Debug, thiserror::Error)]
#[error("revoking the account's sessions failed")]
pub struct SessionError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl SessionError {
    /// Wraps the session backend's error (anything that converts into a boxed error, a
    /// `String` or `&str` too).
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(e.into())
    }
}

/// Deletes every session of an account: the application's side of "sign out
/// everywhere".
///
/// Sessions belong to the application (cookies, tokens, a session table). They end by
/// the account's security stamp already ([`Accounts::check_session`](crate::Accounts::check_session)
/// refuses them, whatever the store); [`Accounts::sign_out_everywhere`](crate::Accounts::sign_out_everywhere)
/// then asks this trait to delete them too, best effort, so a session table does not
/// keep dead rows. Remembered devices, which this library keeps, are revoked by the
/// flows themselves.
pub trait SessionRevoker: Send + Sync {
    /// Ends every session of `account`; returns how many ended, when the backend knows.
    fn revoke_all(
        &self,
        account: &UserId,
    ) -> impl Future<Output = Result<usize, SessionError>> + Send;
}

impl<R: SessionRevoker + ?Sized> SessionRevoker for std::sync::Arc<R> {
    fn revoke_all(
        &self,
        account: &UserId,
    ) -> impl Future<Output = Result<usize, SessionError>> + Send {
        (**self).revoke_all(account)
    }
}

/// One revocation, as [`InMemorySessionRevoker`] recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// The account whose sessions ended.
    pub account: UserId,
    /// How many sessions ended.
    pub sessions: usize,
}

/// Sessions in memory: open them with [`open`](Self::open), and every revocation is
/// recorded, for tests, examples and single-process services.
#[derive(Debug, Default)]
pub struct InMemorySessionRevoker {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    open: Vec<(UserId, UnixTime)>,
    revocations: Vec<Revocation>,
}

impl InMemorySessionRevoker {
    /// No sessions, no revocations.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        // Each change is a single push or retain: a poisoned lock guards consistent data.
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// Records a session opened for `account` at `at` (a sign-in).
    pub fn open(&self, account: &UserId, at: UnixTime) {
        self.with(|i| i.open.push((account.clone(), at)));
    }

    /// How many sessions `account` has open.
    #[must_use]
    pub fn open_sessions(&self, account: &UserId) -> usize {
        self.with(|i| i.open.iter().filter(|(a, _)| a == account).count())
    }

    /// Every revocation so far, oldest first.
    #[must_use]
    pub fn revocations(&self) -> Vec<Revocation> {
        self.with(|i| i.revocations.clone())
    }
}

impl SessionRevoker for InMemorySessionRevoker {
    async fn revoke_all(&self, account: &UserId) -> Result<usize, SessionError> {
        Ok(self.with(|i| {
            let before = i.open.len();
            i.open.retain(|(a, _)| a != account);
            let sessions = before - i.open.len();
            i.revocations.push(Revocation {
                account: account.clone(),
                sessions,
            });
            sessions
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_are_counted_and_revoked_per_account() {
        let store = InMemorySessionRevoker::new();
        let (ana, bob) = (UserId::new("ana"), UserId::new("bob"));
        let at = UnixTime::from_secs(1);
        store.open(&ana, at);
        store.open(&ana, at);
        store.open(&bob, at);
        assert_eq!(
            (store.open_sessions(&ana), store.open_sessions(&bob)),
            (2, 1)
        );
        assert_eq!(store.revoke_all(&ana).await.unwrap(), 2);
        assert_eq!(
            (store.open_sessions(&ana), store.open_sessions(&bob)),
            (0, 1)
        );
        assert_eq!(store.revoke_all(&ana).await.unwrap(), 0);
        let sessions: Vec<usize> = store.revocations().iter().map(|r| r.sessions).collect();
        assert_eq!(sessions, [2, 0]);
        assert!(store.revocations().iter().all(|r| r.account == ana));
    }
}
