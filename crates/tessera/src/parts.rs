//! The side parts of [`Accounts`](crate::Accounts), held behind `Arc<dyn …>`.
//!
//! The stores and the clock are type parameters of `Accounts` (they are on every hot
//! path, and a monomorphised call costs nothing). The side parts — who is told of
//! security events, how codes are delivered, how sessions are deleted, where password
//! hashing runs — are not: each is held here behind one `Arc`, the way rustls's
//! `ServerConfig` holds its resolvers, so that `Accounts` has four type parameters
//! whatever an application plugs in, clones in a few reference-count increments, and
//! names the same type after any of them is swapped.
//!
//! The traits themselves keep native `async fn`, so implementations stay plain; each
//! shared part boxes one future per call, which is noise next to sending an email or
//! hashing a password.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use tessera_mfa::{
    CodeDelivery, CodeMessage, DeliveryError, NotifyError, SecurityEvent, SecurityNotifier,
};
use tessera_registry::UserId;

use crate::{Offload, OffloadError, SessionError, SessionRevoker};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`SecurityNotifier`] made object-safe.
trait DynNotifier: Send + Sync {
    fn notify_boxed<'a>(
        &'a self,
        event: &'a SecurityEvent,
    ) -> BoxFuture<'a, Result<(), NotifyError>>;
}

impl<N: SecurityNotifier> DynNotifier for N {
    fn notify_boxed<'a>(
        &'a self,
        event: &'a SecurityEvent,
    ) -> BoxFuture<'a, Result<(), NotifyError>> {
        Box::pin(self.notify(event))
    }
}

/// Any [`SecurityNotifier`], shared: what [`Accounts`](crate::Accounts) tells of security
/// events through. Made by the builder from whatever notifier it is given.
#[derive(Clone)]
pub struct SharedNotifier(Arc<dyn DynNotifier>);

impl SharedNotifier {
    /// Shares `notifier`.
    pub fn new(notifier: impl SecurityNotifier + 'static) -> Self {
        Self(Arc::new(notifier))
    }
}

impl SecurityNotifier for SharedNotifier {
    // An async body names both borrowed lifetimes; the boxed future alone would name
    // only the shorter one, which the signature cannot spell.
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        self.0.notify_boxed(event).await
    }
}

impl fmt::Debug for SharedNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedNotifier")
    }
}

/// [`CodeDelivery`] made object-safe.
trait DynDelivery: Send + Sync {
    fn deliver_boxed<'a>(
        &'a self,
        message: &'a CodeMessage,
    ) -> BoxFuture<'a, Result<(), DeliveryError>>;
}

impl<Q: CodeDelivery> DynDelivery for Q {
    fn deliver_boxed<'a>(
        &'a self,
        message: &'a CodeMessage,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(self.deliver(message))
    }
}

/// Any [`CodeDelivery`], shared: how [`Accounts`](crate::Accounts) sends email and SMS
/// codes.
#[derive(Clone)]
pub struct SharedDelivery(Arc<dyn DynDelivery>);

impl SharedDelivery {
    /// Shares `delivery`.
    pub fn new(delivery: impl CodeDelivery + 'static) -> Self {
        Self(Arc::new(delivery))
    }
}

impl CodeDelivery for SharedDelivery {
    async fn deliver(&self, message: &CodeMessage) -> Result<(), DeliveryError> {
        self.0.deliver_boxed(message).await
    }
}

impl fmt::Debug for SharedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedDelivery")
    }
}

/// [`SessionRevoker`] made object-safe.
trait DynRevoker: Send + Sync {
    fn revoke_all_boxed<'a>(
        &'a self,
        account: &'a UserId,
    ) -> BoxFuture<'a, Result<usize, SessionError>>;
}

impl<R: SessionRevoker> DynRevoker for R {
    fn revoke_all_boxed<'a>(
        &'a self,
        account: &'a UserId,
    ) -> BoxFuture<'a, Result<usize, SessionError>> {
        Box::pin(self.revoke_all(account))
    }
}

/// Any [`SessionRevoker`], shared: which session records "sign out everywhere" deletes
/// (best effort; the security stamp is what ends the sessions).
#[derive(Clone)]
pub struct SharedSessions(Arc<dyn DynRevoker>);

impl SharedSessions {
    /// Shares `sessions`.
    pub fn new(sessions: impl SessionRevoker + 'static) -> Self {
        Self(Arc::new(sessions))
    }
}

impl SessionRevoker for SharedSessions {
    async fn revoke_all(&self, account: &UserId) -> Result<usize, SessionError> {
        self.0.revoke_all_boxed(account).await
    }
}

impl fmt::Debug for SharedSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSessions")
    }
}

/// Work handed to an erased offload: it returns nothing; its result travels back
/// through a slot the caller keeps.
type Work = Box<dyn FnOnce() + Send + 'static>;

/// [`Offload`] made object-safe (its `run` is generic over the work's result).
trait DynOffload: Send + Sync {
    fn run_boxed(&self, work: Work) -> BoxFuture<'_, Result<(), OffloadError>>;
}

impl<O: Offload> DynOffload for O {
    fn run_boxed(&self, work: Work) -> BoxFuture<'_, Result<(), OffloadError>> {
        Box::pin(self.run(work))
    }
}

/// Any [`Offload`], shared: where [`Accounts`](crate::Accounts) runs password hashing.
#[derive(Clone)]
pub struct SharedOffload(Arc<dyn DynOffload>);

impl SharedOffload {
    /// Shares `offload`.
    pub fn new(offload: impl Offload + 'static) -> Self {
        Self(Arc::new(offload))
    }
}

impl Offload for SharedOffload {
    fn run<T, F>(&self, work: F) -> impl Future<Output = Result<T, OffloadError>> + Send
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::new(Mutex::new(None));
        let filled = Arc::clone(&slot);
        let ran = self.0.run_boxed(Box::new(move || {
            let out = work();
            *filled.lock().unwrap_or_else(PoisonError::into_inner) = Some(out);
        }));
        async move {
            ran.await?;
            // An offload that reports success without running the work broke its
            // contract: the work did not complete.
            slot.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .ok_or(OffloadError::Failed)
        }
    }
}

impl fmt::Debug for SharedOffload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedOffload")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bounded, Inline};
    use tessera_store::testing::block_on;

    /// Refuses every piece of work as busy.
    struct AlwaysBusy;

    impl Offload for AlwaysBusy {
        async fn run<T, F>(&self, _work: F) -> Result<T, OffloadError>
        where
            T: Send + 'static,
            F: FnOnce() -> T + Send + 'static,
        {
            Err(OffloadError::Busy)
        }
    }

    /// Never runs the work, yet reports success (a made-up `()`, the only value it can
    /// make without the work, which is what the erased offload asks for).
    struct NeverRuns;

    impl Offload for NeverRuns {
        async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
        where
            T: Send + 'static,
            F: FnOnce() -> T + Send + 'static,
        {
            // Only `()` can be made without the work; the erased offload asks for `()`.
            let _ = work;
            let unit: Box<dyn std::any::Any> = Box::new(());
            unit.downcast::<T>()
                .map(|b| *b)
                .map_err(|_| OffloadError::Failed)
        }
    }

    /// Each wrapper names itself and nothing of what it wraps (a notifier or a delivery
    /// may hold credentials for its provider).
    #[test]
    fn debug_names_the_wrapper_only() {
        let shown = [
            format!(
                "{:?}",
                SharedNotifier::new(tessera_mfa::RecordingNotifier::new())
            ),
            format!(
                "{:?}",
                SharedDelivery::new(tessera_mfa::InMemoryDelivery::new())
            ),
            format!(
                "{:?}",
                SharedSessions::new(crate::InMemorySessionRevoker::default())
            ),
            format!("{:?}", SharedOffload::new(Inline)),
        ];
        assert_eq!(
            shown,
            [
                "SharedNotifier",
                "SharedDelivery",
                "SharedSessions",
                "SharedOffload"
            ]
        );
    }

    #[test]
    fn a_shared_offload_returns_the_work_s_result_and_its_errors() {
        assert_eq!(block_on(SharedOffload::new(Inline).run(|| 6 * 7)), Ok(42));
        let bounded = Arc::new(Bounded::new(Inline, 1));
        let shared = SharedOffload::new(Arc::clone(&bounded));
        assert_eq!(
            block_on(shared.run(|| "ran".to_owned())),
            Ok("ran".to_owned())
        );
        assert_eq!(
            bounded.in_use(),
            0,
            "the permit came back through the erasure"
        );
        assert_eq!(
            block_on(SharedOffload::new(AlwaysBusy).run(|| 1)),
            Err(OffloadError::Busy)
        );
        assert_eq!(
            block_on(SharedOffload::new(NeverRuns).run(|| 1)),
            Err(OffloadError::Failed),
            "success without a result is a failure, not a made-up value"
        );
    }
}
