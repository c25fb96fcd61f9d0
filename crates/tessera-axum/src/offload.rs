//! Argon2 off the async executor: tokio's blocking pool, behind the facade's bound.

use tessera::{Bounded, Offload, OffloadError};

/// Runs the facade's password work on tokio's blocking pool
/// ([`tokio::task::spawn_blocking`]), so a ~30 ms Argon2id hash never stalls the
/// executor's threads. A panic in the work is [`OffloadError::Failed`].
///
/// Unbounded by itself: use [`bounded_offload`], which wraps it in the facade's
/// [`Bounded`] (this crate does not write a second bound).
#[derive(Clone, Copy, Debug, Default)]
pub struct SpawnBlocking;

impl Offload for SpawnBlocking {
    async fn run<T, F>(&self, work: F) -> Result<T, OffloadError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| OffloadError::Failed)
    }
}

/// The offload for an axum service: [`SpawnBlocking`] with at most `permits` hashes at
/// once, the rest refused at once ([`tessera::Error::Busy`], which
/// [`AuthError`](crate::AuthError) answers 503 with `Retry-After: 1`). Size it to the
/// cores given to hashing; each hash holds 19 MiB at the default parameters, so the
/// bound is also the memory bound. `0` counts as 1.
///
/// Pass it with [`AccountsBuilder::offload`](tessera::AccountsBuilder::offload) or
/// [`Accounts::with_offload`](tessera::Accounts::with_offload). Needs a tokio runtime
/// (every axum server has one).
///
/// ```
/// use tessera_axum::bounded_offload;
///
/// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
/// let offload = bounded_offload(cores);
/// assert_eq!(offload.permits(), cores);
/// ```
#[must_use]
pub fn bounded_offload(permits: usize) -> Bounded<SpawnBlocking> {
    Bounded::new(SpawnBlocking, permits)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)] // tests

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn work_runs_on_the_blocking_pool_and_permits_come_back() {
        let offload = bounded_offload(2);
        let caller = std::thread::current().id();
        let ran_on = offload.run(|| std::thread::current().id()).await.unwrap();
        assert_ne!(ran_on, caller, "not on the calling task's thread");
        let panicked = offload.run(|| -> u8 { panic!("hash panicked") }).await;
        assert_eq!(panicked, Err(OffloadError::Failed));
        assert_eq!(offload.in_use(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn work_beyond_the_permits_is_busy() {
        let offload = std::sync::Arc::new(bounded_offload(1));
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let held = {
            let offload = offload.clone();
            tokio::spawn(async move {
                offload
                    .run(move || {
                        started_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                    })
                    .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        assert_eq!(offload.run(|| ()).await, Err(OffloadError::Busy));
        release_tx.send(()).unwrap();
        assert_eq!(held.await.unwrap(), Ok(()));
        assert_eq!(offload.run(|| 5).await, Ok(5));
    }
}
