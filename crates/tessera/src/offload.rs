//! Where the flows run password hashing, which costs tens of milliseconds of CPU.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why an [`Offload`] did not return the work's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OffloadError {
    /// The work did not complete: its thread panicked, or the pool shut down.
    #[error("offloaded work did not complete")]
    Failed,
    /// Every permit of a [`Bounded`] offload was taken: the work was not started.
    /// The flows answer [`Error::Busy`](crate::Error::Busy).
    #[error("the offload is busy; every permit is taken")]
    Busy,
}

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
///         tokio::task::spawn_blocking(work)
///             .await
///             .map_err(|_| OffloadError::Failed)
///     }
/// }
///
/// // At most 4 hashes at once (about the cores given to hashing): 4 × 19 MiB.
/// let offload = tessera::Bounded::new(SpawnBlocking, 4);
/// # let _ = offload;
/// ```
///
/// and passes it with [`AccountsBuilder::offload`](crate::AccountsBuilder::offload). Wrap
/// it in [`Bounded`] so that a burst of sign-ins cannot exhaust memory (each hash takes
/// 19 MiB at the default parameters) or queue without end: work beyond the permits is
/// refused at once with [`OffloadError::Busy`].
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

/// An [`Offload`] that runs at most `permits` pieces of work at once and refuses the
/// rest at once with [`OffloadError::Busy`] (the flows answer
/// [`Error::Busy`](crate::Error::Busy), which [`is_unavailable`](crate::Error::is_unavailable):
/// HTTP 503 with a short `Retry-After`).
///
/// Refusing instead of queueing is deliberate: a queue of sign-ins behind a slow hash
/// grows without bound under a burst and answers after the client has given up, while
/// a refusal costs nothing and bounds memory to `permits` × the hash's memory (19 MiB
/// each at the default Argon2id parameters). Size it to the cores given to hashing;
/// argon2id at the defaults scales about linearly with cores.
///
/// The permit is an atomic counter, taken with a compare-and-swap before the work is
/// handed to the inner offload: no runtime, no lock, no waiting. It moves *into* the
/// work and is given back when the work ends, panics, or is dropped unstarted (the
/// caller's future dropped midway); work that a runtime keeps running after its caller
/// left keeps its permit until it ends, so the bound holds for the hashes really
/// running, not only the callers waiting.
///
/// ```
/// use tessera::{Bounded, Inline, Offload, OffloadError};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let offload = Bounded::new(Inline, 2);
/// assert_eq!(offload.run(|| 6 * 7).await, Ok(42));
/// assert_eq!(offload.in_use(), 0, "the permit is back");
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Bounded<O> {
    inner: O,
    permits: usize,
    in_use: Arc<AtomicUsize>,
}

impl<O: Offload> Bounded<O> {
    /// Wraps `inner` with `permits` permits; `0` counts as `1`, so a mistaken zero
    /// slows sign-ins down instead of refusing every one.
    pub fn new(inner: O, permits: usize) -> Self {
        Self {
            inner,
            permits: permits.max(1),
            in_use: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many pieces of work may run at once.
    #[must_use]
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// How many permits are taken now (a gauge for metrics).
    #[must_use]
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }

    /// The wrapped offload.
    #[must_use]
    pub fn inner(&self) -> &O {
        &self.inner
    }

    /// Takes a permit if one is free, without waiting.
    fn try_acquire(&self) -> Option<Permit> {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.permits).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(Arc::clone(&self.in_use)))
    }
}

impl<O: Offload> Offload for Bounded<O> {
    async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self.try_acquire().ok_or(OffloadError::Busy)?;
        self.inner
            .run(move || {
                // Dropped when the work returns or unwinds; if the inner offload drops
                // the work unstarted, the closure (and the permit) go with it.
                let _permit = permit;
                work()
            })
            .await
    }
}

/// One taken permit of a [`Bounded`] offload, given back on drop.
#[derive(Debug)]
struct Permit(Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)] // tests

    use std::time::Duration;

    use super::*;

    /// A thread of its own per work: a panic in the work comes back from `join`. (The
    /// tokio blocking pool's offload is `tessera_axum::SpawnBlocking`, tested there.)
    struct OwnThread;

    impl Offload for OwnThread {
        async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
        where
            T: Send + 'static,
            F: FnOnce() -> T + Send + 'static,
        {
            std::thread::spawn(work)
                .join()
                .map_err(|_| OffloadError::Failed)
        }
    }

    /// Holds the work and never runs it, like a pool that has not got to it yet.
    struct Parked;

    impl Offload for Parked {
        async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
        where
            T: Send + 'static,
            F: FnOnce() -> T + Send + 'static,
        {
            let _held = work;
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn work_beyond_the_permits_is_busy_at_once_and_permits_return() {
        let b = Bounded::new(Parked, 1);
        let mut first = Box::pin(b.run(|| 1));
        assert!(
            tokio::time::timeout(Duration::from_millis(10), &mut first)
                .await
                .is_err()
        );
        assert_eq!(b.in_use(), 1);
        assert_eq!(b.run(|| 2).await, Err(OffloadError::Busy));
        // The caller gives up midway: the unstarted work and its permit go.
        drop(first);
        assert_eq!(b.in_use(), 0);
        assert!(b.try_acquire().is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_panicking_work_gives_its_permit_back() {
        let b = Bounded::new(OwnThread, 1);
        let panicked = b.run(|| -> u32 { panic!("work panicked") }).await;
        assert_eq!(panicked, Err(OffloadError::Failed));
        assert_eq!(b.in_use(), 0);
        assert_eq!(b.run(|| 7).await, Ok(7));
        assert_eq!(b.in_use(), 0);
    }

    #[test]
    fn zero_permits_count_as_one() {
        assert_eq!(Bounded::new(Inline, 0).permits(), 1);
        assert_eq!(Bounded::new(Inline, 4).permits(), 4);
    }

    #[test]
    fn busy_is_the_flows_busy_and_unavailable() {
        let e = crate::Error::from(OffloadError::Busy);
        assert!(matches!(e, crate::Error::Busy));
        assert!(e.is_unavailable());
        assert!(matches!(
            crate::Error::from(OffloadError::Failed),
            crate::Error::Offload
        ));
    }
}
