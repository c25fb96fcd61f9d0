//! Checks shared by the store crates' conformance suites and tests (feature `testing`).
//!
//! Every store trait has one shape (load a versioned aggregate, save it if the version
//! is unchanged) and every error type one set of jiff-style predicates, so the checks
//! of that shape are written once, here, and each crate's suite calls them with its own
//! store or error: [`join_all`] and [`one_wins`] for concurrent saves, [`check_page`]
//! and [`check_paging`] for listings, [`Class`] and [`assert_one_class`] for the
//! "every variant answers exactly one predicate" tests; [`yield_once`] and
//! [`overwrite_version`] for flawed stores that must let a race happen.
//!
//! Nothing here needs a runtime: the futures are polled on whichever runtime awaits
//! them.

use std::fmt::{Debug, Display};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use crate::{StoreError, UserId, Version};

/// A boxed future, as [`join_all`] takes them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Polls every future until all are done, on whichever runtime awaits this: the
/// concurrency of the conformance suites, with no runtime of its own. The results come
/// back in the order of the futures.
pub async fn join_all<'a, T>(futures: Vec<BoxFuture<'a, T>>) -> Vec<T> {
    let mut futures = futures;
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in futures.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// Checks that of concurrent saves at one version exactly one won and every other one
/// is a [`StoreError::Conflict`]; returns the winner's index and its new version.
///
/// # Panics
/// If no save, or more than one, won, or a loser failed with anything but a conflict.
#[track_caller]
pub fn one_wins(what: &str, results: &[Result<Version, StoreError>]) -> (usize, Version) {
    let won: Vec<(usize, Version)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().ok().map(|v| (i, *v)))
        .collect();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict)))
        .count();
    let n = results.len();
    assert_eq!(
        (won.len(), conflicts),
        (1, n.saturating_sub(1)),
        "of {n} concurrent {what} saves at one version exactly one must win and the others conflict"
    );
    won[0]
}

/// Checks one page of a listing of users (`what` names the method): at most `limit`
/// ids, sorted in byte order without repeats, all strictly after `after`; returns them.
///
/// # Panics
/// If the listing failed or broke one of those rules.
#[track_caller]
pub fn check_page<E: Display>(
    what: &str,
    after: Option<&UserId>,
    limit: usize,
    result: Result<Vec<UserId>, E>,
) -> Vec<UserId> {
    let ids = result.unwrap_or_else(|e| panic!("{what} failed: {e}"));
    assert!(
        ids.len() <= limit,
        "{what} returned {} ids for a limit of {limit}",
        ids.len()
    );
    assert!(
        ids.windows(2)
            .all(|w| w[0].as_str().as_bytes() < w[1].as_str().as_bytes()),
        "{what} must return ids sorted in byte order, without repeats"
    );
    assert!(
        after.is_none_or(|a| ids
            .iter()
            .all(|id| id.as_str().as_bytes() > a.as_str().as_bytes())),
        "{what} must return only ids strictly after its cursor"
    );
    ids
}

/// Checks keyset paging over ten `users` already saved under one fresh `prefix` (each
/// id is the prefix and a suffix, so nobody else's rows interleave): the whole listing
/// after the prefix, pages of three resuming exactly after their cursor, a page ending
/// on the last user, nothing of ours after it and nothing at all after the greatest id.
/// An empty store must list nothing, and a limit of 0 nothing. `list(after, limit)` is
/// one call of the store's listing, checked with [`check_page`].
///
/// # Panics
/// If `users` is not ten ids, or the listing breaks one of those rules.
pub async fn check_paging<F, Fut, E>(what: &str, prefix: &UserId, users: &[UserId], list: F)
where
    F: Fn(Option<UserId>, usize) -> Fut,
    Fut: Future<Output = Result<Vec<UserId>, E>>,
    E: Display,
{
    assert_eq!(users.len(), 10, "check_paging takes ten users");
    let page = async |after: Option<&UserId>, limit: usize| {
        check_page(what, after, limit, list(after.cloned(), limit).await)
    };
    let mut sorted = users.to_vec();
    sorted.sort_by(|a, b| a.as_str().as_bytes().cmp(b.as_str().as_bytes()));
    let users = sorted;
    // An empty store lists nothing (checked only when the store starts empty, so that
    // the suite still runs against a shared database).
    if page(None, 1).await.is_empty() {
        assert!(
            page(None, 100).await.is_empty(),
            "an empty store lists nothing"
        );
    }
    assert!(page(None, 0).await.is_empty(), "a limit of 0 lists nothing");

    let all = page(Some(prefix), 10).await;
    assert_eq!(
        all, users,
        "ten users listed after their prefix, in byte order"
    );
    let mut cursor = prefix.clone();
    for chunk in users.chunks(3) {
        let got = page(Some(&cursor), 3).await;
        assert_eq!(
            got.get(..chunk.len()),
            Some(chunk),
            "pages of three resume exactly after the cursor"
        );
        cursor = chunk[chunk.len() - 1].clone();
    }
    let tail = page(Some(&users[4]), 5).await;
    assert_eq!(tail, users[5..].to_vec(), "a page ending on the last user");
    let after_last = page(Some(&users[9]), 10).await;
    assert!(
        after_last
            .iter()
            .all(|id| !id.as_str().starts_with(prefix.as_str())),
        "nothing of ours after the last user"
    );
    let beyond = UserId::new("\u{10ffff}\u{10ffff}\u{10ffff}\u{10ffff}");
    assert!(
        page(Some(&beyond), 10).await.is_empty(),
        "nothing is listed after the greatest id"
    );
}

/// The one class of answer an error's predicates give (issue 13's jiff-style
/// predicates: `is_verification_failed`, `is_invalid_input`, `retry_after`,
/// `is_conflict`, `is_unavailable`), or `None` for an error that answers none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Class {
    /// `is_verification_failed()`.
    VerificationFailed,
    /// `is_invalid_input()`.
    InvalidInput,
    /// `retry_after().is_some()`.
    RetryAfter,
    /// `is_conflict()`.
    Conflict,
    /// `is_unavailable()`.
    Unavailable,
    /// No predicate (a configuration error: a bug to fix, not an answer to give).
    None,
}

/// Every class the predicates of `$e` answer, as a `Vec<Class>`; `retry_after` as a
/// second argument adds that predicate, for the error types that have it.
#[macro_export]
macro_rules! answered {
    ($e:expr) => {{
        use $crate::testing::Class;
        let e = $e;
        [
            (e.is_verification_failed(), Class::VerificationFailed),
            (e.is_invalid_input(), Class::InvalidInput),
            (e.is_conflict(), Class::Conflict),
            (e.is_unavailable(), Class::Unavailable),
        ]
        .into_iter()
        .filter_map(|(yes, c)| yes.then_some(c))
        .collect::<Vec<Class>>()
    }};
    ($e:expr, retry_after) => {{
        let e = $e;
        let mut got = $crate::answered!(e);
        if e.retry_after().is_some() {
            got.push($crate::testing::Class::RetryAfter);
        }
        got
    }};
}

/// Checks that `e` answered (`got`, from [`answered!`](crate::answered)) exactly the one
/// class it must (`want`), or none for [`Class::None`].
///
/// # Panics
/// If it answered another class, more than one, or (for `want` not `None`) none.
#[track_caller]
pub fn assert_one_class<E: Debug>(e: &E, want: Class, got: &[Class]) {
    if want == Class::None {
        assert!(got.is_empty(), "{e:?} answers {got:?}");
    } else {
        assert_eq!(got, [want], "{e:?}");
    }
}

/// Pending once (waking itself at once), then ready: the pause of a database round trip.
/// A deliberately flawed store awaits it between its read and its write, so that the
/// other futures of a [`join_all`] run in between and the lost update it allows shows.
pub async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// The version a deliberately flawed save writes at, read through `stored` (the version
/// the store holds now), so that the save lands whatever version the caller read: a
/// store without compare-and-set. With `racy` it first compares: a conflict when
/// `expected` is not what is stored, else a pause ([`yield_once`]) before reading it
/// again, in which another writer at the same version can save, and both succeed.
///
/// # Errors
/// A conflict from the comparison, or what `stored` returns.
pub async fn overwrite_version<F, Fut>(
    expected: Version,
    racy: bool,
    stored: F,
) -> Result<Version, StoreError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Version, StoreError>>,
{
    if racy {
        if stored().await? != expected {
            return Err(StoreError::Conflict);
        }
        yield_once().await;
    }
    stored().await
}

/// Runs `future` to completion on this thread by polling it in a loop: for tests of
/// futures that never wait on anything outside themselves (in-memory stores, inline
/// offloads), with no runtime. A future that waits on a real event spins until it comes.
pub fn block_on<F: Future>(future: F) -> F::Output {
    use std::task::{Context, Waker};
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(v) = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            return v;
        }
    }
}

/// The checkers are tests' only defence against a store that breaks its contract, so each
/// is shown to pass a store that keeps it and to fail one that breaks it.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail by panicking.

    use std::collections::BTreeSet;
    use std::sync::Mutex;

    use super::*;

    /// A future that is pending once before it is ready, as a save waiting on a lock is.
    fn after_one_yield<T: Send + 'static>(value: T) -> BoxFuture<'static, T> {
        Box::pin(async move {
            yield_once().await;
            value
        })
    }

    /// Counts the wakes it is given.
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn yield_once_is_pending_once_and_wakes_itself() {
        use std::sync::atomic::Ordering;
        use std::task::{Context, Waker};
        let counter = std::sync::Arc::new(CountingWaker(0.into()));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(yield_once());
        assert!(future.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            1,
            "it wakes its task to be polled again"
        );
        assert!(future.as_mut().poll(&mut cx).is_ready());
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    }

    /// Without `racy` the stored version is read once and written over; with it, a
    /// mismatch is a conflict after one read, and a match reads again after the pause
    /// (where another writer may have saved), answering the newer version.
    #[test]
    fn overwrite_version_compares_only_when_racy() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let reads = AtomicU64::new(0);
        // The stored version moves on by one at every read: 5, then 6, then 7 ...
        let stored = || async {
            Ok::<_, StoreError>(Version::new(5 + reads.fetch_add(1, Ordering::SeqCst)))
        };
        let run = |expected: u64, racy: bool| {
            reads.store(0, Ordering::SeqCst);
            let got = block_on(overwrite_version(Version::new(expected), racy, stored));
            let got = got.map_err(|e| matches!(e, StoreError::Conflict));
            (got, reads.load(Ordering::SeqCst))
        };
        assert_eq!(run(1, false), (Ok(Version::new(5)), 1));
        assert_eq!(run(1, true), (Err(true), 1), "a conflict after one read");
        assert_eq!(
            run(5, true),
            (Ok(Version::new(6)), 2),
            "read again after the pause"
        );
        let failing = || async { Err::<Version, _>(StoreError::Duplicate) };
        assert!(matches!(
            block_on(overwrite_version(Version::new(5), true, failing)),
            Err(StoreError::Duplicate)
        ));
    }

    #[test]
    fn join_all_returns_every_result_in_order() {
        let futures: Vec<BoxFuture<'_, u32>> = vec![
            after_one_yield(1),
            Box::pin(async { 2 }),
            after_one_yield(3),
        ];
        assert_eq!(block_on(join_all(futures)), [1, 2, 3]);
        assert!(block_on(join_all(Vec::<BoxFuture<'_, u32>>::new())).is_empty());
    }

    #[test]
    fn one_wins_names_the_winner() {
        let v = Version::new(8);
        assert_eq!(one_wins("x", &[Ok(v)]), (0, v));
        assert_eq!(
            one_wins(
                "x",
                &[Err(StoreError::Conflict), Ok(v), Err(StoreError::Conflict)]
            ),
            (1, v)
        );
    }

    #[test]
    #[should_panic(expected = "exactly one must win")]
    fn one_wins_refuses_two_winners() {
        let _ = one_wins("x", &[Ok(Version::new(1)), Ok(Version::new(1))]);
    }

    #[test]
    #[should_panic(expected = "exactly one must win")]
    fn one_wins_refuses_a_loser_that_did_not_conflict() {
        let _ = one_wins("x", &[Ok(Version::new(1)), Err(StoreError::Duplicate)]);
    }

    fn ids(names: &[&str]) -> Vec<UserId> {
        names.iter().map(|n| UserId::new(*n)).collect()
    }

    #[test]
    fn check_page_returns_a_good_page() {
        let page = ids(&["a1", "a2", "a3"]);
        let after = UserId::new("a");
        assert_eq!(
            check_page("list", Some(&after), 3, Ok::<_, StoreError>(page.clone())),
            page
        );
        assert_eq!(
            check_page("list", None, 5, Ok::<_, StoreError>(page.clone())),
            page
        );
    }

    #[test]
    #[should_panic(expected = "for a limit of 2")]
    fn check_page_refuses_more_than_the_limit() {
        check_page("list", None, 2, Ok::<_, StoreError>(ids(&["a", "b", "c"])));
    }

    #[test]
    #[should_panic(expected = "sorted in byte order")]
    fn check_page_refuses_repeats() {
        check_page("list", None, 5, Ok::<_, StoreError>(ids(&["a", "a"])));
    }

    #[test]
    #[should_panic(expected = "strictly after its cursor")]
    fn check_page_refuses_the_cursor_itself() {
        let after = UserId::new("b");
        check_page(
            "list",
            Some(&after),
            5,
            Ok::<_, StoreError>(ids(&["b", "c"])),
        );
    }

    #[test]
    #[should_panic(expected = "list failed")]
    fn check_page_refuses_an_error() {
        check_page("list", None, 5, Err::<Vec<UserId>, _>(StoreError::Conflict));
    }

    /// Ten users under a prefix, and a listing over them that keeps or breaks the rules.
    fn paging(skip_cursor: bool) {
        let prefix = UserId::new("p-");
        let users: Vec<UserId> = (0..10)
            .rev()
            .map(|i| UserId::new(format!("p-{i}")))
            .collect();
        let store: Mutex<BTreeSet<String>> =
            Mutex::new(users.iter().map(|u| u.as_str().to_owned()).collect());
        let list = |after: Option<UserId>, limit: usize| {
            let rows = store.lock().unwrap().clone();
            async move {
                let ids: Vec<UserId> = rows
                    .iter()
                    .filter(|id| {
                        skip_cursor
                            || after
                                .as_ref()
                                .is_none_or(|a| id.as_bytes() > a.as_str().as_bytes())
                    })
                    .take(limit)
                    .map(UserId::new)
                    .collect();
                Ok::<_, StoreError>(ids)
            }
        };
        block_on(check_paging("list", &prefix, &users, list));
    }

    #[test]
    fn check_paging_passes_a_correct_listing() {
        paging(false);
    }

    #[test]
    #[should_panic(expected = "strictly after its cursor")]
    fn check_paging_fails_a_listing_that_ignores_its_cursor() {
        paging(true);
    }

    #[test]
    fn assert_one_class_passes_the_one_class() {
        assert_one_class(&StoreError::Conflict, Class::Conflict, &[Class::Conflict]);
        assert_one_class(&StoreError::Duplicate, Class::None, &[]);
    }

    #[test]
    #[should_panic(expected = "Conflict")]
    fn assert_one_class_fails_another_class() {
        assert_one_class(
            &StoreError::Conflict,
            Class::Conflict,
            &[Class::Unavailable],
        );
    }

    #[test]
    #[should_panic(expected = "answers")]
    fn assert_one_class_fails_an_answer_where_none_is_due() {
        assert_one_class(&StoreError::Duplicate, Class::None, &[Class::Conflict]);
    }
}
