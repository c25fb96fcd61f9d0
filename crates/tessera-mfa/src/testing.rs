//! Latency- and fault-injecting store wrappers, so that the races and store failures of
//! a real deployment can be replayed against any [`MfaStore`] (feature `testing`).
//!
//! ```
//! use std::time::Duration;
//! use tessera_mfa::testing::{ChaosStore, Faults};
//! use tessera_mfa::InMemoryStore;
//!
//! let faults = Faults::new();
//! faults.set_latency(Duration::from_micros(200), Duration::from_millis(2));
//! let store = ChaosStore::new(InMemoryStore::new(), faults.clone());
//! faults.fail_next_saves(1); // the next save fails with "injected fault"
//! # let _ = store;
//! ```

use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tessera_registry::UserId;

use crate::{
    AccountState, DestinationKey, DestinationState, MfaStore, StoreError, Version, Versioned,
};

// lead: replace with tessera_registry::testing
/// A runtime-agnostic async sleep (a std thread wakes the waker); no tokio in library
/// crates.
pub fn sleep(d: Duration) -> impl Future<Output = ()> + Send {
    Sleep {
        deadline: Instant::now() + d,
    }
}

struct Sleep {
    deadline: Instant,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        timer().register(self.deadline, cx.waker().clone());
        Poll::Pending
    }
}

/// One waiting sleeper; the heap is ordered by the earliest deadline first.
struct Entry(Instant, Waker);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.cmp(&self.0)
    }
}

/// One timer thread for every sleep: thousands of concurrent sleeps cost no thread each.
struct Timer {
    heap: Mutex<BinaryHeap<Entry>>,
    changed: Condvar,
}

impl Timer {
    fn register(&self, deadline: Instant, waker: Waker) {
        self.heap
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Entry(deadline, waker));
        self.changed.notify_one();
    }

    fn run(&self) {
        let mut heap = self.heap.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let now = Instant::now();
            while heap.peek().is_some_and(|e| e.0 <= now) {
                if let Some(Entry(_, waker)) = heap.pop() {
                    waker.wake();
                }
            }
            heap = match heap.peek() {
                Some(e) => {
                    let wait = e.0.saturating_duration_since(now);
                    self.changed
                        .wait_timeout(heap, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .changed
                    .wait(heap)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let t: &'static Timer = Box::leak(Box::new(Timer {
            heap: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
        }));
        // If the thread cannot start, sleeps never end; a test then hangs visibly
        // rather than passing with no latency.
        let _ = std::thread::Builder::new()
            .name("tessera-mfa-testing-timer".into())
            .spawn(move || t.run());
        t
    })
}

// lead: replace with tessera_registry::testing
/// Latency and faults to inject, shared through an `Arc` so a test can change them
/// mid-run; counts calls.
#[derive(Debug, Default)]
pub struct Faults {
    min_latency_ns: AtomicU64,
    max_latency_ns: AtomicU64,
    fail_loads: AtomicBool,
    fail_saves: AtomicBool,
    fail_next_saves: AtomicU32,
    loads: AtomicU64,
    saves: AtomicU64,
    injected: AtomicU64,
    rng: AtomicU64,
}

impl Faults {
    /// No latency, no faults.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            rng: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
            ..Self::default()
        })
    }

    /// Each store call waits a uniformly random time in `[min, max]`.
    pub fn set_latency(&self, min: Duration, max: Duration) {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.min_latency_ns.store(ns(min), Ordering::SeqCst);
        self.max_latency_ns
            .store(ns(max.max(min)), Ordering::SeqCst);
    }

    /// Every load fails while on.
    pub fn fail_loads(&self, on: bool) {
        self.fail_loads.store(on, Ordering::SeqCst);
    }

    /// Every save fails while on (nothing is written).
    pub fn fail_saves(&self, on: bool) {
        self.fail_saves.store(on, Ordering::SeqCst);
    }

    /// The next `n` saves fail.
    pub fn fail_next_saves(&self, n: u32) {
        self.fail_next_saves.store(n, Ordering::SeqCst);
    }

    /// Loads attempted.
    #[must_use]
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::SeqCst)
    }

    /// Saves attempted.
    #[must_use]
    pub fn saves(&self) -> u64 {
        self.saves.load(Ordering::SeqCst)
    }

    /// Faults injected.
    #[must_use]
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Counts a load, waits the latency, and says whether it must fail.
    ///
    /// # Errors
    /// `Err(())` when loads are set to fail.
    pub async fn before_load(&self) -> Result<(), ()> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.wait().await;
        if self.fail_loads.load(Ordering::SeqCst) {
            self.injected.fetch_add(1, Ordering::SeqCst);
            return Err(());
        }
        Ok(())
    }

    /// Counts a save, waits the latency, and says whether it must fail.
    ///
    /// # Errors
    /// `Err(())` when saves are set to fail, or for each of the next `n` saves.
    pub async fn before_save(&self) -> Result<(), ()> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.wait().await;
        let next = self
            .fail_next_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if next || self.fail_saves.load(Ordering::SeqCst) {
            self.injected.fetch_add(1, Ordering::SeqCst);
            return Err(());
        }
        Ok(())
    }

    async fn wait(&self) {
        let min = self.min_latency_ns.load(Ordering::SeqCst);
        let max = self.max_latency_ns.load(Ordering::SeqCst);
        if max == 0 {
            return;
        }
        // xorshift64: test latency needs spread, not unpredictability.
        let r = self
            .rng
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |mut x| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                Some(x)
            })
            .unwrap_or(0);
        let span = max.saturating_sub(min).saturating_add(1);
        sleep(Duration::from_nanos(min + r % span)).await;
    }
}

fn injected() -> StoreError {
    StoreError::Backend("injected fault".into())
}

/// An [`MfaStore`] wrapper that waits the [`Faults`]' latency before each call and
/// fails when told to, without touching the inner store.
#[derive(Debug)]
pub struct ChaosStore<S> {
    inner: S,
    faults: Arc<Faults>,
}

impl<S: MfaStore> ChaosStore<S> {
    /// Wraps `inner`, injecting `faults`.
    pub fn new(inner: S, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The faults, to change mid-run.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }
}

impl<S: MfaStore> MfaStore for ChaosStore<S> {
    async fn load_account(&self, user: &UserId) -> Result<Versioned<AccountState>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        self.inner.load_account(user).await
    }

    async fn save_account(
        &self,
        user: &UserId,
        expected: Version,
        state: &AccountState,
    ) -> Result<Version, StoreError> {
        self.faults.before_save().await.map_err(|()| injected())?;
        self.inner.save_account(user, expected, state).await
    }

    async fn load_destination(
        &self,
        key: &DestinationKey,
    ) -> Result<Versioned<DestinationState>, StoreError> {
        self.faults.before_load().await.map_err(|()| injected())?;
        self.inner.load_destination(key).await
    }

    async fn save_destination(
        &self,
        key: &DestinationKey,
        expected: Version,
        state: &DestinationState,
    ) -> Result<Version, StoreError> {
        self.faults.before_save().await.map_err(|()| injected())?;
        self.inner.save_destination(key, expected, state).await
    }
}
