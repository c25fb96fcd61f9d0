//! Where the flows run password hashing, which costs tens of milliseconds of CPU.

use std::future::Future;

/// The offloaded work could not complete (its thread panicked, or the pool shut down).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("offloaded work did not complete")]
pub struct OffloadError;

/// Runs CPU-heavy password work (Argon2id hashing and verification, the history check
/// of a password change) where it does not stall an async executor.
///
/// This crate depends on no runtime, so it cannot move work off the executor by itself.
/// Every flow that hashes hands the work to an `Offload` instead: [`Inline`] (the
/// default) runs it on the calling task, which is right for tests, examples, command
/// line tools and blocking-tolerant contexts; a service on tokio plugs in
/// `spawn_blocking` in a few lines:
///
/// ```
/// use tessera::{Offload, OffloadError};
///
/// struct SpawnBlocking;
///
/// impl Offload for SpawnBlocking {
///     async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
///     where
///         T: Send + 'static,
///         F: FnOnce() -> T + Send + 'static,
///     {
///         tokio::task::spawn_blocking(work).await.map_err(|_| OffloadError)
///     }
/// }
/// ```
///
/// and passes it with [`Accounts::with_offload`](crate::Accounts::with_offload). Bound
/// the number of concurrent hashes (a semaphore sized to the cores) so that a burst of
/// sign-ins cannot exhaust memory: each takes 19 MiB at the default parameters.
pub trait Offload: Send + Sync {
    /// Runs `work` and returns its result.
    fn run<T, F>(&self, work: F) -> impl Future<Output = Result<T, OffloadError>> + Send
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static;
}

impl<O: Offload + ?Sized> Offload for std::sync::Arc<O> {
    fn run<T, F>(&self, work: F) -> impl Future<Output = Result<T, OffloadError>> + Send
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        (**self).run(work)
    }
}

/// Runs password work on the calling task: simple, and right wherever blocking the
/// current thread for ~30 ms is acceptable.
#[derive(Clone, Copy, Debug, Default)]
pub struct Inline;

impl Offload for Inline {
    async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        Ok(work())
    }
}
