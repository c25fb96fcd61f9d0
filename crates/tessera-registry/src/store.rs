//! Where a user's devices live: the compare-and-set store trait.

use std::future::Future;
use std::ops::Deref;

use crate::{Device, StoreError, UserId, Version, Versioned};

/// Storage for each user's devices as one versioned aggregate.
///
/// The registry reads a user's devices with [`load`](Self::load), computes the change in
/// memory, and writes it back with [`save`](Self::save) only if nobody saved in between.
/// That one compare-and-set is what makes the eight-device cap and the at-most-once use
/// of a code hold under concurrent requests, on any number of servers.
///
/// # What an implementation must guarantee
///
/// 1. **Atomic compare-and-set on one record.** `save(user, devices)` takes the devices
///    together with the version they were read at (the [`Versioned`] that `load`
///    returned, its value changed). It writes `devices.value` and returns the new
///    version if and only if the stored version is `devices.version` at the instant of
///    writing; otherwise it writes nothing and returns [`StoreError::Conflict`]. Check
///    and write are one atomic step: two concurrent saves at one version must never
///    both succeed.
/// 2. **Versions only move forward.** A successful save stores a version greater than
///    the one read (normally one more) and returns it. Version 0 means "never saved": a
///    save at version 0 creates the record and must fail with `Conflict` when one
///    already exists (a unique key on the user id).
/// 3. **Durable before `Ok`.** When `save` returns `Ok`, the write is committed; a
///    later `load` (from any process) sees it. An error other than `Conflict` must mean
///    either "nothing was written" or be indistinguishable to the registry from it; the
///    registry reports it and does not retry.
/// 4. **Load returns the last successful save.** `load` returns exactly the devices and
///    version of the last successful `save` for that user (read-your-writes, no stale
///    replica reads), or an empty aggregate with version 0 when there is none.
/// 5. **Users are separate.** Nothing saved for one user is ever returned for another.
/// 6. **Secrets at rest.** The devices hold TOTP seeds only sealed by the registry's
///    keyring ([`TotpCredential::sealed_secret`](crate::TotpCredential::sealed_secret)):
///    a store never sees a seed in the clear, and needs no encryption of its own for
///    them. Store the sealed text as it is.
/// 7. **Paged listing.** [`list_users`](Self::list_users) returns the ids of users with
///    a stored aggregate, sorted by their string (byte order), strictly after `after`,
///    at most `limit` of them. A user saved once stays listed (with an empty aggregate
///    too). Rotation ([`DeviceRegistry::reseal_page`](crate::DeviceRegistry::reseal_page),
///    [`count_sealed_with`](crate::DeviceRegistry::count_sealed_with)) walks every user
///    with it.
///
/// `testing::run_conformance` (feature `testing`) checks 1, 2, 4, 5 and 7 against an
/// implementation.
///
/// # Sketches
///
/// SQL, one row per user with the devices serialized into `data`:
///
/// ```sql
/// CREATE TABLE user_devices (
///     user_id TEXT PRIMARY KEY,      -- the unique key that makes version 0 safe
///     version BIGINT NOT NULL,
///     data    BYTEA  NOT NULL        -- encrypted: it holds TOTP secrets
/// );
/// -- load
/// SELECT version, data FROM user_devices WHERE user_id = ?;   -- no row: version 0
/// -- save read at version > 0: Conflict unless exactly one row changed
/// UPDATE user_devices SET data = ?, version = version + 1
///  WHERE user_id = ? AND version = ?;
/// -- save read at version 0: Conflict on a unique-key violation
/// INSERT INTO user_devices (user_id, version, data) VALUES (?, 1, ?);
/// -- list_users (sort by bytes: COLLATE "C" on PostgreSQL, BINARY on SQLite)
/// SELECT user_id FROM user_devices WHERE user_id > ? ORDER BY user_id LIMIT ?;
/// ```
///
/// Redis: `WATCH key`, `GET key`, compare the version, then `MULTI` / `SET key value` /
/// `EXEC`; a nil reply from `EXEC` is a `Conflict`. (Or one Lua script that compares
/// and sets.) Use a primary, not a replica, for both calls.
///
/// DynamoDB: `PutItem` with `ConditionExpression: version = :expected` (and
/// `attribute_not_exists(user_id)` for version 0), with strongly consistent reads for
/// `load`; `ConditionalCheckFailedException` is a `Conflict`.
///
/// The futures are `Send` so that the registry's futures are too; implementations may
/// use `async fn`.
pub trait DeviceStore: Send + Sync {
    /// The user's devices and their version; an empty aggregate at version 0 for a
    /// user never saved.
    fn load(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Versioned<Vec<Device>>, StoreError>> + Send;

    /// Stores `devices.value` as the user's devices if the stored version is still
    /// `devices.version`, and returns the new version.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the stored version differs (nothing written);
    /// [`StoreError::Backend`] when the backend failed (nothing written).
    fn save(
        &self,
        user: &UserId,
        devices: &Versioned<Vec<Device>>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send;

    /// Up to `limit` ids of users with a stored aggregate, sorted by their string in
    /// byte order, strictly after `after` (from the first when `None`).
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend failed.
    fn list_users(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send;
}

/// A store behind any pointer is a store: `&S`, `Arc<S>`, `Box<S>`, so that one store
/// can be shared by registries, tasks and a test that inspects it. One impl over
/// [`Deref`] instead of one per pointer type, each forwarding the same three calls.
/// (So implement the trait on the store itself: a type of yours that derefs to a
/// store is one already.)
impl<P> DeviceStore for P
where
    P: Deref + Send + Sync,
    P::Target: DeviceStore,
{
    fn load(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Versioned<Vec<Device>>, StoreError>> + Send {
        (**self).load(user)
    }

    fn save(
        &self,
        user: &UserId,
        devices: &Versioned<Vec<Device>>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send {
        (**self).save(user, devices)
    }

    fn list_users(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send {
        (**self).list_users(after, limit)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{InMemoryDeviceStore, block_on};

    fn is_store<S: DeviceStore>(_: &S) {}

    /// The one forwarding impl covers every pointer a store is shared through, and a
    /// save through one is seen through the others.
    #[test]
    fn a_store_behind_a_reference_an_arc_or_a_box_is_a_store() {
        let arc = Arc::new(InMemoryDeviceStore::new());
        is_store(&arc);
        is_store(&&*arc);
        is_store(&Box::new(InMemoryDeviceStore::new()));
        let ana = UserId::new("ana");
        let by_ref: &InMemoryDeviceStore = &arc;
        let saved = block_on(<&InMemoryDeviceStore as DeviceStore>::save(
            &by_ref,
            &ana,
            &Versioned::default(),
        ))
        .unwrap();
        let loaded = block_on(<Arc<InMemoryDeviceStore> as DeviceStore>::load(&arc, &ana));
        assert_eq!(loaded.unwrap().version, saved);
        let boxed: Box<&InMemoryDeviceStore> = Box::new(by_ref);
        assert_eq!(block_on(boxed.list_users(None, 10)).unwrap(), [ana]);
    }
}
