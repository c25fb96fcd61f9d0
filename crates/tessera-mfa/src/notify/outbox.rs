//! A notifier that never sits on an answer's path: events go to a bounded in-memory
//! queue that the application drains in the background.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

use crate::{Error, NotifyError, Result, SecurityEvent, SecurityNotifier};

/// Default capacity of an outbox.
pub const DEFAULT_OUTBOX_CAPACITY: usize = 1024;
/// Largest capacity of an outbox.
pub const MAX_OUTBOX_CAPACITY: usize = 1 << 20;

#[derive(Debug)]
struct Queue {
    events: VecDeque<SecurityEvent>,
    capacity: usize,
    /// Live [`OutboxNotifier`] handles; at zero, `recv` ends once the queue is empty.
    senders: usize,
    waiting: Vec<Waker>,
}

#[derive(Debug)]
struct Shared(Mutex<Queue>);

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // Every critical section leaves the queue consistent, so a poisoned lock is too.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A [`SecurityNotifier`] whose `notify` only pushes the event onto a bounded queue:
/// it never blocks and never waits for delivery, so a slow mailer cannot make one
/// answer slower than another (issue 12, item 12: a replayed code must not take longer
/// to refuse than a wrong one). The application drains the [`Outbox`] into its real
/// notifier in a background task:
///
/// ```
/// # use tessera_mfa::{OutboxNotifier, RecordingNotifier, SecurityNotifier};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (notifier, outbox) = OutboxNotifier::new(1024)?;
/// let mailer = RecordingNotifier::new(); // the real, slow notifier
/// let drain = async move {
///     while let Some(event) = outbox.recv().await {
///         if let Err(e) = mailer.notify(&event).await {
///             eprintln!("{e}"); // log it; retry if the mailer allows
///         }
///     }
/// };
/// // tokio::spawn(drain); then give `notifier` to `Mfa::new`.
/// drop(notifier);
/// drain.await; // ends once every notifier handle is gone and the queue is empty
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// When the queue is full, `notify` returns a [`NotifyError`] (the change stays stored
/// and the caller sees it in [`Notified::notify_error`](crate::Notified)); events are
/// never dropped silently. Events still queued when the process stops are lost: an
/// application that needs them durable writes them to its database in the same
/// transaction instead.
#[derive(Debug)]
pub struct OutboxNotifier {
    shared: Arc<Shared>,
}

/// The receiving end of an [`OutboxNotifier`]: events in the order they were queued,
/// each once.
#[derive(Debug)]
pub struct Outbox {
    shared: Arc<Shared>,
}

impl OutboxNotifier {
    /// A notifier and its outbox, holding at most `capacity` undelivered events.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `1 <= capacity <=` [`MAX_OUTBOX_CAPACITY`].
    pub fn new(capacity: usize) -> Result<(Self, Outbox)> {
        if !(1..=MAX_OUTBOX_CAPACITY).contains(&capacity) {
            return Err(Error::InvalidConfig("an outbox holds 1 to 1048576 events"));
        }
        let shared = Arc::new(Shared(Mutex::new(Queue {
            events: VecDeque::new(),
            capacity,
            senders: 1,
            waiting: Vec::new(),
        })));
        Ok((
            Self {
                shared: shared.clone(),
            },
            Outbox { shared },
        ))
    }
}

impl Clone for OutboxNotifier {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for OutboxNotifier {
    fn drop(&mut self) {
        let waiting = {
            let mut q = self.shared.lock();
            q.senders -= 1;
            if q.senders == 0 {
                std::mem::take(&mut q.waiting)
            } else {
                Vec::new()
            }
        };
        waiting.into_iter().for_each(Waker::wake);
    }
}

impl SecurityNotifier for OutboxNotifier {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        let waiting = {
            let mut q = self.shared.lock();
            if q.events.len() >= q.capacity {
                return Err(NotifyError("the notification outbox is full".into()));
            }
            q.events.push_back(event.clone());
            std::mem::take(&mut q.waiting)
        };
        // Woken outside the lock, so a receiver polled at once does not contend.
        waiting.into_iter().for_each(Waker::wake);
        Ok(())
    }
}

impl Outbox {
    /// The next event, waiting for one; `None` once every [`OutboxNotifier`] handle is
    /// dropped and the queue is empty. Runtime-agnostic.
    pub async fn recv(&self) -> Option<SecurityEvent> {
        poll_fn(|cx| {
            let mut q = self.shared.lock();
            if let Some(e) = q.events.pop_front() {
                return Poll::Ready(Some(e));
            }
            if q.senders == 0 {
                return Poll::Ready(None);
            }
            if !q.waiting.iter().any(|w| w.will_wake(cx.waker())) {
                q.waiting.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// The next event if one is queued, without waiting.
    #[must_use]
    pub fn try_recv(&self) -> Option<SecurityEvent> {
        self.shared.lock().events.pop_front()
    }

    /// How many events wait to be delivered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shared.lock().events.len()
    }

    /// Whether no event waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
