//! Latency and fault injection for stores: [`sleep`], [`Faults`] and
//! [`ChaosDeviceStore`].
//!
//! The shape is shared by every Tessera crate's `testing` feature: a `Faults` handle,
//! shared through an `Arc` so that a test can change it mid-run, and one
//! `Chaos<Name>Store<S>` wrapper per store trait that waits the latency before each
//! call and fails, without touching the inner store, when told to.

use std::cmp::{Ordering as CmpOrdering, Reverse};
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::{
    Device, DeviceFingerprint, DeviceStore, FingerprintClaim, StoreError, UserId, Version,
    Versioned,
};
use tessera_store::Result;

/// Waits `d` on any async runtime (or none): one background thread, started on first
/// use, wakes each sleeping task at its deadline. Library crates depend on no runtime,
/// and neither does this.
///
/// A zero duration is ready at once. Should the operating system refuse the timer
/// thread, every sleep is ready at once (the latency is lost, nothing panics).
pub fn sleep(d: Duration) -> impl Future<Output = ()> + Send {
    Sleep {
        deadline: Instant::now().checked_add(d),
        state: None,
    }
}

/// The state a sleeping task shares with the timer thread.
#[derive(Debug, Default)]
struct SleepState {
    /// `(done, waker)`, under one lock so that a wake cannot fall between a poll's
    /// check and its storing of the waker.
    inner: Mutex<(bool, Option<Waker>)>,
}

impl SleepState {
    fn lock(&self) -> MutexGuard<'_, (bool, Option<Waker>)> {
        // Each critical section is one assignment: a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fire(&self) {
        let waker = {
            let mut g = self.lock();
            g.0 = true;
            g.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

#[derive(Debug)]
struct Sleep {
    /// `None` when the deadline overflows `Instant`: never ready, as a real sleep that
    /// long would be.
    deadline: Option<Instant>,
    state: Option<Arc<SleepState>>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        if Instant::now() >= deadline {
            return Poll::Ready(());
        }
        match &self.state {
            Some(state) => {
                let mut g = state.lock();
                if g.0 {
                    return Poll::Ready(());
                }
                g.1 = Some(cx.waker().clone());
                Poll::Pending
            }
            None => {
                let state = Arc::new(SleepState::default());
                state.lock().1 = Some(cx.waker().clone());
                let Some(timer) = timer() else {
                    return Poll::Ready(());
                };
                timer.add(deadline, Arc::clone(&state));
                self.state = Some(state);
                Poll::Pending
            }
        }
    }
}

/// One pending deadline; ordered by time, then by arrival.
#[derive(Debug)]
struct Entry {
    at: Instant,
    seq: u64,
    state: Arc<SleepState>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

#[derive(Debug, Default)]
struct Timer {
    queue: Mutex<(u64, BinaryHeap<Reverse<Entry>>)>,
    changed: Condvar,
}

impl Timer {
    fn lock(&self) -> MutexGuard<'_, (u64, BinaryHeap<Reverse<Entry>>)> {
        // Pushes and pops cannot leave the heap half-changed: a poisoned lock is fine.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, at: Instant, state: Arc<SleepState>) {
        let mut q = self.lock();
        q.0 = q.0.wrapping_add(1);
        let seq = q.0;
        q.1.push(Reverse(Entry { at, seq, state }));
        drop(q);
        self.changed.notify_one();
    }

    fn run(&self) {
        let mut q = self.lock();
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while q.1.peek().is_some_and(|Reverse(e)| e.at <= now) {
                if let Some(Reverse(e)) = q.1.pop() {
                    due.push(e.state);
                }
            }
            if !due.is_empty() {
                // Wakers run the runtime's code: not under the queue's lock.
                drop(q);
                due.iter().for_each(|s| s.fire());
                q = self.lock();
                continue;
            }
            q = match q
                .1
                .peek()
                .map(|Reverse(e)| e.at.saturating_duration_since(now))
            {
                None => self.changed.wait(q).unwrap_or_else(PoisonError::into_inner),
                Some(wait) => {
                    self.changed
                        .wait_timeout(q, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

/// The timer thread, started on first use; `None` if it could not be started.
fn timer() -> Option<&'static Timer> {
    static TIMER: OnceLock<Option<&'static Timer>> = OnceLock::new();
    *TIMER.get_or_init(|| {
        // Leaked on purpose: the thread lives as long as the process.
        let timer: &'static Timer = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("tessera-testing-sleep".to_owned())
            .spawn(move || timer.run())
            .ok()
            .map(|_| timer)
    })
}

/// Latency and faults to inject into a store, shared through an [`Arc`] so that a
/// test can change them mid-run; counts every call.
///
/// Every setting takes effect for the calls that start after it.
#[derive(Debug)]
pub struct Faults {
    min_latency_ns: AtomicU64,
    max_latency_ns: AtomicU64,
    fail_loads: AtomicBool,
    fail_saves: AtomicBool,
    fail_next_saves: AtomicU32,
    conflict_next_saves: AtomicU32,
    /// Saves left to succeed before every save fails; `u32::MAX` when unarmed.
    saves_before_failing: AtomicU32,
    fail_claims: AtomicBool,
    claims: AtomicU64,
    loads: AtomicU64,
    saves: AtomicU64,
    injected: AtomicU64,
    conflicts: AtomicU64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            min_latency_ns: AtomicU64::new(0),
            max_latency_ns: AtomicU64::new(0),
            fail_loads: AtomicBool::new(false),
            fail_saves: AtomicBool::new(false),
            fail_next_saves: AtomicU32::new(0),
            conflict_next_saves: AtomicU32::new(0),
            saves_before_failing: AtomicU32::new(u32::MAX),
            fail_claims: AtomicBool::new(false),
            claims: AtomicU64::new(0),
            loads: AtomicU64::new(0),
            saves: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            conflicts: AtomicU64::new(0),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Faults {
    /// No latency, no faults, counters at zero.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Each store call first waits a uniformly random time in `[min, max]` (a `max`
    /// below `min` is taken as `min`; zero for both turns latency off).
    pub fn set_latency(&self, min: Duration, max: Duration) {
        self.min_latency_ns.store(nanos(min), Ordering::SeqCst);
        self.max_latency_ns
            .store(nanos(max.max(min)), Ordering::SeqCst);
    }

    /// While on, every load fails with the backend error `"injected fault"`.
    pub fn fail_loads(&self, on: bool) {
        self.fail_loads.store(on, Ordering::SeqCst);
    }

    /// While on, every save fails with the backend error `"injected fault"`, and
    /// nothing is written.
    pub fn fail_saves(&self, on: bool) {
        self.saves_before_failing.store(u32::MAX, Ordering::SeqCst);
        self.fail_saves.store(on, Ordering::SeqCst);
    }

    /// The next `n` saves fail (nothing written); replaces any count still pending.
    pub fn fail_next_saves(&self, n: u32) {
        self.fail_next_saves.store(n, Ordering::SeqCst);
    }

    /// The next `n` saves answer [`StoreError::Conflict`] without writing, as if
    /// another request had saved first: to run the caller's retry loop and its limit
    /// (a registry gives up after [`RegistryConfig::max_attempts`](crate::RegistryConfig::max_attempts)).
    /// Replaces any count still pending; counted in [`injected`](Self::injected) and
    /// [`conflicts`](Self::conflicts).
    pub fn conflict_next_saves(&self, n: u32) {
        self.conflict_next_saves.store(n, Ordering::SeqCst);
    }

    /// The next `n` saves succeed, then every save fails, as if
    /// [`fail_saves`](Self::fail_saves) were turned on at that instant: to break an
    /// operation between two of its writes. `fail_saves(false)` disarms it.
    pub fn fail_saves_after(&self, n: u32) {
        self.fail_saves.store(false, Ordering::SeqCst);
        self.saves_before_failing
            .store(n.min(u32::MAX - 1), Ordering::SeqCst);
    }

    /// While on, every fingerprint claim and release fails with the backend error
    /// `"injected fault"`, and nothing is written. Claims have their own switch so
    /// that the save faults above keep hitting the devices' saves.
    pub fn fail_claims(&self, on: bool) {
        self.fail_claims.store(on, Ordering::SeqCst);
    }

    /// Fingerprint claims and releases attempted so far, failed ones included.
    #[must_use]
    pub fn claims(&self) -> u64 {
        self.claims.load(Ordering::SeqCst)
    }

    /// Counts a fingerprint claim or release, waits the latency, and says whether it
    /// must fail. For wrappers, as [`before_save`](Self::before_save).
    ///
    /// # Errors
    /// `Err(())` while [`fail_claims`](Self::fail_claims) is on.
    // The unit error is the shared shape: each wrapper maps it to its store's error.
    #[allow(clippy::result_unit_err)]
    pub async fn before_claim(&self) -> Result<(), ()> {
        self.claims.fetch_add(1, Ordering::SeqCst);
        sleep(self.latency()).await;
        self.inject(self.fail_claims.load(Ordering::SeqCst))
    }

    /// Loads attempted so far, failed ones included.
    #[must_use]
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::SeqCst)
    }

    /// Saves attempted so far, failed ones included.
    #[must_use]
    pub fn saves(&self) -> u64 {
        self.saves.load(Ordering::SeqCst)
    }

    /// Faults injected so far (loads and saves made to fail, conflicts answered).
    #[must_use]
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Saves answered with [`StoreError::Conflict`] so far: injected ones and the
    /// inner store's own (a lost race), as counted by [`after_save`](Self::after_save).
    #[must_use]
    pub fn conflicts(&self) -> u64 {
        self.conflicts.load(Ordering::SeqCst)
    }

    /// Whether this save must answer [`StoreError::Conflict`] without writing (one of
    /// [`conflict_next_saves`](Self::conflict_next_saves)). For wrappers: call it after
    /// [`before_save`](Self::before_save) let the save through.
    #[must_use]
    pub fn conflict_now(&self) -> bool {
        let conflict = self
            .conflict_next_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if conflict {
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        conflict
    }

    /// Counts the outcome of a save for [`conflicts`](Self::conflicts). For wrappers:
    /// call it with every save's result, injected conflicts included.
    pub fn after_save<T>(&self, result: &Result<T, StoreError>) {
        if matches!(result, Err(StoreError::Conflict)) {
            self.conflicts.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// This call's latency, drawn now: the thread's generator is not `Send`, so it
    /// must not live across the wait.
    fn latency(&self) -> Duration {
        let min = self.min_latency_ns.load(Ordering::SeqCst);
        let max = self.max_latency_ns.load(Ordering::SeqCst).max(min);
        if max == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::random_range(min..=max))
    }

    fn inject(&self, fail: bool) -> Result<(), ()> {
        if fail {
            self.injected.fetch_add(1, Ordering::SeqCst);
            Err(())
        } else {
            Ok(())
        }
    }

    /// Counts a load, waits the latency, and says whether the load must fail. For
    /// wrappers: call it first, and on `Err` return the store's backend error without
    /// calling the inner store.
    ///
    /// # Errors
    /// `Err(())` while [`fail_loads`](Self::fail_loads) is on.
    // The unit error is the shared shape: each wrapper maps it to its store's error.
    #[allow(clippy::result_unit_err)]
    pub async fn before_load(&self) -> Result<(), ()> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        sleep(self.latency()).await;
        self.inject(self.fail_loads.load(Ordering::SeqCst))
    }

    /// Counts a save, waits the latency, and says whether the save must fail (while
    /// [`fail_saves`](Self::fail_saves) is on, or for the next
    /// [`fail_next_saves`](Self::fail_next_saves)).
    ///
    /// # Errors
    /// `Err(())` when the save must fail.
    // The unit error is the shared shape: each wrapper maps it to its store's error.
    #[allow(clippy::result_unit_err)]
    pub async fn before_save(&self) -> Result<(), ()> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        sleep(self.latency()).await;
        let next = self
            .fail_next_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let armed = self.saves_before_failing.fetch_update(
            Ordering::SeqCst,
            Ordering::SeqCst,
            |n| match n {
                u32::MAX => None,
                0 => Some(0),
                n => Some(n - 1),
            },
        );
        if armed == Ok(0) {
            self.fail_saves.store(true, Ordering::SeqCst);
        }
        self.inject(next || self.fail_saves.load(Ordering::SeqCst))
    }
}

/// A [`DeviceStore`] that waits the [`Faults`]' latency before each call and fails
/// when told to, with the backend error `"injected fault"` and without touching the
/// inner store (so an injected save failure writes nothing, as the trait asks).
#[derive(Debug)]
pub struct ChaosDeviceStore<S> {
    inner: S,
    faults: Arc<Faults>,
}

impl<S> ChaosDeviceStore<S> {
    /// Wraps `inner`; `faults` may be shared with the test and with other wrappers.
    pub const fn new(inner: S, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }

    /// The wrapped store, to inspect it without latency or faults.
    pub const fn inner(&self) -> &S {
        &self.inner
    }

    /// The faults this store injects.
    pub const fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }
}

fn injected() -> StoreError {
    StoreError::backend("injected fault")
}

impl<S: DeviceStore> DeviceStore for ChaosDeviceStore<S> {
    async fn load(&self, user: &UserId) -> Result<Versioned<Vec<Device>>> {
        self.faults.before_load().await.map_err(|()| injected())?;
        self.inner.load(user).await
    }

    async fn save(&self, user: &UserId, devices: &Versioned<Vec<Device>>) -> Result<Version> {
        self.faults.before_save().await.map_err(|()| injected())?;
        let result = if self.faults.conflict_now() {
            Err(StoreError::Conflict)
        } else {
            self.inner.save(user, devices).await
        };
        self.faults.after_save(&result);
        result
    }

    /// A listing is a read: it waits, fails and counts as a load does.
    async fn list_users(&self, after: Option<&UserId>, limit: usize) -> Result<Vec<UserId>> {
        self.faults.before_load().await.map_err(|()| injected())?;
        self.inner.list_users(after, limit).await
    }

    async fn claim_fingerprint(
        &self,
        fingerprint: &DeviceFingerprint,
        user: &UserId,
    ) -> Result<FingerprintClaim> {
        self.faults.before_claim().await.map_err(|()| injected())?;
        self.inner.claim_fingerprint(fingerprint, user).await
    }

    async fn release_fingerprint(
        &self,
        fingerprint: &DeviceFingerprint,
        user: &UserId,
    ) -> Result<()> {
        self.faults.before_claim().await.map_err(|()| injected())?;
        self.inner.release_fingerprint(fingerprint, user).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on;

    #[test]
    fn sleep_waits_at_least_its_duration() {
        let start = Instant::now();
        block_on(sleep(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20));
        block_on(sleep(Duration::ZERO));
    }

    #[test]
    fn sleep_wakes_the_task_through_its_waker() {
        // A waker that counts: the timer thread must call it.
        struct Count(std::sync::atomic::AtomicU32);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicU32::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let mut f = std::pin::pin!(sleep(Duration::from_millis(5)));
        assert!(
            f.as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        while count.0.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(f.poll(&mut Context::from_waker(&waker)).is_ready());
    }

    #[test]
    fn faults_count_and_fail_as_told() {
        let f = Faults::new();
        assert_eq!(block_on(f.before_load()), Ok(()));
        f.fail_loads(true);
        assert_eq!(block_on(f.before_load()), Err(()));
        f.fail_loads(false);
        f.fail_next_saves(2);
        assert_eq!(block_on(f.before_save()), Err(()));
        assert_eq!(block_on(f.before_save()), Err(()));
        assert_eq!(block_on(f.before_save()), Ok(()));
        f.fail_saves(true);
        assert_eq!(block_on(f.before_save()), Err(()));
        assert_eq!((f.loads(), f.saves(), f.injected()), (2, 4, 4));

        f.set_latency(Duration::from_millis(3), Duration::from_millis(4));
        let start = Instant::now();
        let _ = block_on(f.before_load());
        assert!(start.elapsed() >= Duration::from_millis(3));
    }

    /// `fail_saves_after(n)`: n saves pass, then every one fails until disarmed; claims
    /// are counted whether they fail or not.
    #[test]
    fn saves_fail_after_a_count_and_claims_are_counted() {
        let f = Faults::new();
        f.fail_saves_after(2);
        assert_eq!(block_on(f.before_save()), Ok(()));
        assert_eq!(block_on(f.before_save()), Ok(()));
        assert_eq!(block_on(f.before_save()), Err(()));
        assert_eq!(block_on(f.before_save()), Err(()));
        f.fail_saves(false);
        assert_eq!(block_on(f.before_save()), Ok(()));
        f.fail_saves_after(0);
        assert_eq!(block_on(f.before_save()), Err(()));
        f.fail_saves(false);

        assert_eq!(f.claims(), 0);
        assert_eq!(block_on(f.before_claim()), Ok(()));
        f.fail_claims(true);
        assert_eq!(block_on(f.before_claim()), Err(()));
        assert_eq!(f.claims(), 2);
    }

    /// The timer's deadlines order by time, then arrival, and compare equal only when
    /// both agree.
    #[test]
    fn deadlines_order_by_time_then_arrival() {
        let now = Instant::now();
        let entry = |at: Instant, seq| Entry {
            at,
            seq,
            state: Arc::new(SleepState {
                inner: Mutex::new((false, None)),
            }),
        };
        let (a, b) = (entry(now, 1), entry(now, 2));
        let later = entry(now + Duration::from_millis(1), 0);
        assert!(a == entry(now, 1));
        assert!(a != b);
        assert_eq!(a.partial_cmp(&b), Some(CmpOrdering::Less));
        assert_eq!(later.partial_cmp(&b), Some(CmpOrdering::Greater));
        assert_eq!(a.partial_cmp(&entry(now, 1)), Some(CmpOrdering::Equal));
    }

    /// Injected conflicts write nothing and are counted with the inner store's own.
    #[test]
    fn injected_conflicts_write_nothing_and_count_with_real_ones() {
        let faults = Faults::new();
        let store = ChaosDeviceStore::new(crate::InMemoryDeviceStore::new(), Arc::clone(&faults));
        let ana = UserId::new("ana");
        let none = Versioned::default();
        faults.conflict_next_saves(2);
        for _ in 0..2 {
            let refused = block_on(store.save(&ana, &none));
            assert!(matches!(refused, Err(StoreError::Conflict)));
        }
        assert_eq!(
            block_on(store.inner().load(&ana)).unwrap().version,
            Version::NEW
        );
        let saved = block_on(store.save(&ana, &none)).unwrap();
        assert_eq!(saved, Version::NEW.next());
        // A lost race of the inner store's own: counted, not injected.
        let stale = block_on(store.save(&ana, &none));
        assert!(matches!(stale, Err(StoreError::Conflict)));
        assert_eq!((faults.conflicts(), faults.injected()), (3, 2));
    }
}
