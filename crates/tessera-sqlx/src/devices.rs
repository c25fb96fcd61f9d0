//! Users' MFA devices in `tessera_devices`.

use tessera_registry::{Device, DeviceStore};
use tessera_store::{StoreError, UserId, Version, Versioned};

use crate::SqlPool;
use crate::document::{decode, encode};
use crate::table::{Doc, list_keys, load_doc, save_doc};

const TABLE: &str = "tessera_devices";

/// A [`DeviceStore`] in the `tessera_devices` table: one row per user, the devices as
/// one JSON document (TOTP seeds only sealed), compare-and-set on `version`.
#[derive(Clone, Debug)]
pub struct SqlDeviceStore {
    pool: SqlPool,
}

impl SqlDeviceStore {
    /// The store on `pool` (run [`migrate`](crate::migrate) once first).
    pub fn new(pool: impl Into<SqlPool>) -> Self {
        Self { pool: pool.into() }
    }

    /// The pool it uses.
    #[must_use]
    pub fn pool(&self) -> &SqlPool {
        &self.pool
    }
}

impl DeviceStore for SqlDeviceStore {
    async fn load(&self, user: &UserId) -> Result<Versioned<Vec<Device>>, StoreError> {
        let row = load_doc(&self.pool, Doc::DEVICES, user.as_str()).await?;
        row.map_or_else(|| Ok(Versioned::default()), |row| decode(TABLE, row))
    }

    async fn save(
        &self,
        user: &UserId,
        devices: &Versioned<Vec<Device>>,
    ) -> Result<Version, StoreError> {
        let data = encode(TABLE, &devices.value)?;
        save_doc(
            &self.pool,
            Doc::DEVICES,
            user.as_str(),
            devices.version,
            &data,
        )
        .await
    }

    async fn list_users(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        list_keys(&self.pool, Doc::DEVICES, after.map(UserId::as_str), limit)
            .await
            .map(|keys| keys.into_iter().map(UserId::new).collect())
    }
}
