//! The conformance suite for [`CredentialIndex`] implementations (feature `testing`).
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     use std::task::{Context, Poll, Waker};
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
//! #             return v;
//! #         }
//! #     }
//! # }
//! use tessera_webauthn::{InMemoryCredentialIndex, testing::run_index_conformance};
//! // In a store's test: run_index_conformance(&MyIndex::connect().await).await
//! block_on(run_index_conformance(&InMemoryCredentialIndex::new()));
//! ```

use tessera_registry::UserId;

use crate::{Claim, CredentialIndex};

/// Runs every rule a [`CredentialIndex`] must keep, panicking on the first broken one.
/// Use an empty index; the ids it claims start with `b"conformance-"`.
///
/// # Panics
/// When the index breaks a rule, or its backend fails.
#[allow(clippy::unwrap_used)] // A test suite: a failure is a panic with the location.
pub async fn run_index_conformance<I: CredentialIndex>(index: &I) {
    let (ana, bo) = (
        UserId::new("conformance-ana"),
        UserId::new("conformance-bo"),
    );
    let id = b"conformance-1".as_slice();
    assert_eq!(
        index.owner(id).await.unwrap(),
        None,
        "an unclaimed id has no owner"
    );
    assert_eq!(index.claim(id, &ana).await.unwrap(), Claim::Claimed);
    assert_eq!(index.owner(id).await.unwrap(), Some(ana.clone()));
    assert_eq!(index.claim(id, &ana).await.unwrap(), Claim::AlreadyYours);
    assert_eq!(index.claim(id, &bo).await.unwrap(), Claim::TakenByAnother);
    // Ids are bytes, compared exactly: a prefix or a longer id is another id.
    assert_eq!(
        index.claim(b"conformance-", &bo).await.unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        index.claim(b"conformance-10", &bo).await.unwrap(),
        Claim::Claimed
    );
    // Another user's release leaves the claim alone.
    index.release(id, &bo).await.unwrap();
    assert_eq!(index.owner(id).await.unwrap(), Some(ana.clone()));
    index.release(id, &ana).await.unwrap();
    assert_eq!(index.owner(id).await.unwrap(), None);
    // Released: free for anyone, and releasing again is a no-op.
    index.release(id, &ana).await.unwrap();
    assert_eq!(index.claim(id, &bo).await.unwrap(), Claim::Claimed);
    assert_eq!(index.owner(id).await.unwrap(), Some(bo));
}
