//! Users' MFA devices in `tessera_devices`.

use std::time::{SystemTime, UNIX_EPOCH};

use tessera_registry::{Device, DeviceFingerprint, DeviceStore, FingerprintClaim};
use tessera_store::{StoreError, UserId, Version, Versioned};

use crate::SqlPool;
use crate::document::{backend, decode, encode};
use crate::pool::Arg;
use crate::table::{Doc, list_keys, load_doc, save_doc};

const TABLE: &str = "tessera_devices";

/// A [`DeviceStore`] in the `tessera_devices` table: one row per user, the devices as
/// one JSON document (TOTP seeds only sealed), compare-and-set on `version`; device
/// fingerprint claims in `tessera_device_fingerprints`, one row per fingerprint (its
/// primary key makes the claim atomic).
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

    async fn claim_fingerprint(
        &self,
        fingerprint: &DeviceFingerprint,
        user: &UserId,
    ) -> Result<FingerprintClaim, StoreError> {
        self.claim(fingerprint, user).await
    }

    async fn release_fingerprint(
        &self,
        fingerprint: &DeviceFingerprint,
        user: &UserId,
    ) -> Result<(), StoreError> {
        self.pool
            .execute(
                "DELETE FROM tessera_device_fingerprints WHERE fingerprint = $1 AND user_id = $2",
                &[Arg::Text(&fingerprint.to_hex()), Arg::Text(user.as_str())],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// How often a claim is tried when the holder it met released the claim in between
/// (an insert that found a row, then a read that found none): each retry means a
/// release happened, so a few suffice.
const CLAIM_ATTEMPTS: usize = 3;

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl SqlDeviceStore {
    async fn claim(
        &self,
        fingerprint: &DeviceFingerprint,
        user: &UserId,
    ) -> Result<FingerprintClaim, StoreError> {
        let key = fingerprint.to_hex();
        for _ in 0..CLAIM_ATTEMPTS {
            // The primary key decides: of concurrent inserts of one fingerprint exactly
            // one inserts a row, on both databases, at any isolation level.
            let inserted = self
                .pool
                .execute(
                    "INSERT INTO tessera_device_fingerprints (fingerprint, user_id, created_at)
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[
                        Arg::Text(&key),
                        Arg::Text(user.as_str()),
                        Arg::Int(unix_now()),
                    ],
                )
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(FingerprintClaim::New);
            }
            let holder = self
                .pool
                .fetch_text(
                    "SELECT user_id FROM tessera_device_fingerprints WHERE fingerprint = $1",
                    &key,
                )
                .await
                .map_err(backend)?;
            match holder {
                Some(h) if h == user.as_str() => return Ok(FingerprintClaim::AlreadyHeld),
                Some(_) => return Err(StoreError::Duplicate),
                // Released between the insert and the read: try again.
                None => {}
            }
        }
        Err(StoreError::Conflict)
    }
}
