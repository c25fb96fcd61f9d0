//! Which account holds each credential id: one credential, one account.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tessera_registry::{StoreError, UserId};

/// The answer of [`CredentialIndex::claim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Claim {
    /// The id was free and now belongs to the user.
    Claimed,
    /// The id already belonged to this user (a retried registration, or a claim left
    /// by a registration that failed after claiming): still the user's.
    AlreadyYours,
    /// Another account holds the id: the registration is refused.
    TakenByAnother,
}

/// Maps credential ids to the one account that registered each, across all users.
///
/// The registry refuses a credential id twice within one user's devices; across
/// accounts it cannot see, so the relying party claims each new id here first.
/// A SQL store implements it as a table with a unique index on the credential id
/// (`INSERT … ON CONFLICT DO NOTHING`, then read the owner); the claim must be atomic:
/// two concurrent claims of one id by two users give exactly one [`Claim::Claimed`].
///
/// The index also answers [`owner`](Self::owner) for a credential id, which a
/// passwordless (discoverable credential) sign-in needs to find the account.
pub trait CredentialIndex: Send + Sync {
    /// Claims `credential_id` for `user`.
    ///
    /// # Errors
    /// [`StoreError::Backend`]; the registration is then refused.
    fn claim(
        &self,
        credential_id: &[u8],
        user: &UserId,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Releases `credential_id` if `user` holds it (after the key was removed, or its
    /// registration failed after the claim); another user's claim is left alone.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn release(
        &self,
        credential_id: &[u8],
        user: &UserId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The account holding `credential_id`, if any.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    fn owner(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<Option<UserId>, StoreError>> + Send;
}

/// A [`CredentialIndex`] in memory: for tests, examples and a single instance.
#[derive(Debug, Default)]
pub struct InMemoryCredentialIndex {
    owners: Mutex<HashMap<Vec<u8>, UserId>>,
}

impl InMemoryCredentialIndex {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl CredentialIndex for InMemoryCredentialIndex {
    async fn claim(&self, credential_id: &[u8], user: &UserId) -> Result<Claim, StoreError> {
        // Every change under the lock is one insert or remove: a poisoned lock still
        // holds a consistent map.
        let mut owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(match owners.get(credential_id) {
            Some(owner) if owner == user => Claim::AlreadyYours,
            Some(_) => Claim::TakenByAnother,
            None => {
                owners.insert(credential_id.to_vec(), user.clone());
                Claim::Claimed
            }
        })
    }

    async fn release(&self, credential_id: &[u8], user: &UserId) -> Result<(), StoreError> {
        let mut owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        if owners.get(credential_id) == Some(user) {
            owners.remove(credential_id);
        }
        Ok(())
    }

    async fn owner(&self, credential_id: &[u8]) -> Result<Option<UserId>, StoreError> {
        let owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(owners.get(credential_id).cloned())
    }
}

impl<I: CredentialIndex> CredentialIndex for std::sync::Arc<I> {
    fn claim(
        &self,
        credential_id: &[u8],
        user: &UserId,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send {
        (**self).claim(credential_id, user)
    }

    fn release(
        &self,
        credential_id: &[u8],
        user: &UserId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).release(credential_id, user)
    }

    fn owner(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<Option<UserId>, StoreError>> + Send {
        (**self).owner(credential_id)
    }
}
