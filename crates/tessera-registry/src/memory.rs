//! The in-memory device store, for tests, examples and single-process applications.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::{Device, DeviceStore, StoreError, UserId, Version, Versioned};
use tessera_store::Result;

/// A [`DeviceStore`] in a mutex-guarded map: one process, nothing survives a restart.
///
/// Compare-and-set is exact (the check and the write happen under one lock), so it
/// keeps every guarantee the trait asks for except durability.
#[derive(Debug, Default)]
pub struct InMemoryDeviceStore {
    users: Mutex<HashMap<UserId, (Version, Vec<Device>)>>,
}

impl InMemoryDeviceStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<UserId, (Version, Vec<Device>)>) -> T) -> T {
        // A panic while holding the lock cannot leave a half-written entry (each write
        // is one insert), so a poisoned map is still consistent.
        let mut guard = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

impl DeviceStore for InMemoryDeviceStore {
    async fn load(&self, user: &UserId) -> Result<Versioned<Vec<Device>>> {
        Ok(self.with(|users| {
            users
                .get(user)
                .map(|(version, devices)| Versioned::new(*version, devices.clone()))
                .unwrap_or_default()
        }))
    }

    async fn save(&self, user: &UserId, devices: &Versioned<Vec<Device>>) -> Result<Version> {
        self.with(|users| {
            let stored = users.get(user).map_or(Version::NEW, |(v, _)| *v);
            if stored != devices.version {
                return Err(StoreError::Conflict);
            }
            let next = stored.next();
            users.insert(user.clone(), (next, devices.value.clone()));
            Ok(next)
        })
    }

    async fn list_users(&self, after: Option<&UserId>, limit: usize) -> Result<Vec<UserId>> {
        // A full sort per page: fine for the small maps this store is meant for.
        let mut ids: Vec<UserId> = self.with(|users| {
            users
                .keys()
                .filter(|id| after.is_none_or(|a| id.as_str() > a.as_str()))
                .cloned()
                .collect()
        });
        ids.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
        ids.truncate(limit);
        Ok(ids)
    }
}
