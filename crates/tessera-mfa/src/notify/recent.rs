//! The bounded memory of the in-memory notifiers and delivery: the newest messages,
//! the oldest dropped and counted.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use crate::{Error, Result};

/// Default number of messages an in-memory notifier or delivery keeps
/// ([`RecordingNotifier`](crate::RecordingNotifier),
/// [`EmailNotifier`](crate::EmailNotifier), [`InMemoryDelivery`](crate::InMemoryDelivery)).
pub const DEFAULT_RECORD_CAPACITY: usize = 1024;
/// Most messages an in-memory notifier or delivery may be told to keep.
pub const MAX_RECORD_CAPACITY: usize = 1 << 20;

/// The newest `capacity` items, and how many older ones were dropped to make room.
#[derive(Debug)]
pub(crate) struct Recent<T> {
    inner: Mutex<Kept<T>>,
}

#[derive(Debug)]
struct Kept<T> {
    items: VecDeque<T>,
    capacity: usize,
    dropped: u64,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Self::bounded(DEFAULT_RECORD_CAPACITY)
    }
}

impl<T> Recent<T> {
    fn bounded(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Kept {
                items: VecDeque::new(),
                capacity,
                dropped: 0,
            }),
        }
    }

    /// Keeps the newest `capacity` items.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `1 <= capacity <=` [`MAX_RECORD_CAPACITY`].
    pub(crate) fn with_capacity(capacity: usize) -> Result<Self> {
        if !(1..=MAX_RECORD_CAPACITY).contains(&capacity) {
            return Err(Error::InvalidConfig(
                "an in-memory record keeps 1 to 1048576 messages",
            ));
        }
        Ok(Self::bounded(capacity))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept<T>> {
        // Items are pushed and popped whole: a poisoned lock still guards a
        // consistent queue.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, item: T) {
        let mut kept = self.lock();
        if kept.items.len() >= kept.capacity {
            kept.items.pop_front();
            kept.dropped = kept.dropped.saturating_add(1);
        }
        kept.items.push_back(item);
    }

    /// Takes the items kept, oldest first, leaving none.
    pub(crate) fn drain(&self) -> Vec<T> {
        self.lock().items.drain(..).collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().items.clear();
    }

    /// How many items were dropped to make room, since the start.
    pub(crate) fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// How many items are kept now.
    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// The newest item that `pick` maps to `Some`.
    pub(crate) fn find_last<R>(&self, pick: impl Fn(&T) -> Option<R>) -> Option<R> {
        self.lock().items.iter().rev().find_map(pick)
    }
}

impl<T: Clone> Recent<T> {
    /// The items kept, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<T> {
        self.lock().items.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_counts_the_dropped() {
        let r = Recent::with_capacity(3).unwrap();
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!((r.snapshot(), r.dropped()), (vec![2, 3, 4], 2));
        assert_eq!(r.find_last(|i| (i % 2 == 1).then_some(*i)), Some(3));
        assert_eq!(r.drain(), [2, 3, 4]);
        assert_eq!((r.len(), r.dropped()), (0, 2));
    }

    #[test]
    fn capacity_bounds() {
        assert!(Recent::<u8>::with_capacity(0).is_err());
        assert!(Recent::<u8>::with_capacity(MAX_RECORD_CAPACITY + 1).is_err());
        assert!(Recent::<u8>::with_capacity(MAX_RECORD_CAPACITY).is_ok());
    }
}
