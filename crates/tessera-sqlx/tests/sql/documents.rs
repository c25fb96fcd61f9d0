//! What is stored: JSON documents with a format number, read back strictly.

use std::error::Error as _;

use tessera_registry::DeviceStore;
use tessera_sqlx::{DOCUMENT_FORMAT, Error, SqlDeviceStore, SqlPool};
use tessera_store::{StoreError, UserId, Versioned};

use crate::common::{exec, scalar};
use crate::on_both;

async fn text(pool: &SqlPool, sql: &str) -> String {
    scalar(pool, sql).await
}

/// The row holds a JSON array of devices, the format number beside it, and version 1
/// after the first save.
#[tokio::test]
async fn a_saved_aggregate_is_a_json_document_with_its_format() {
    on_both!(
        "a_saved_aggregate_is_a_json_document_with_its_format",
        |db| {
            let pool = db.migrated(2).await;
            let store = SqlDeviceStore::new(&pool);
            let u = UserId::new("doc");
            store.save(&u, &Versioned::default()).await.unwrap();
            assert_eq!(
                text(
                    &pool,
                    "SELECT CAST(version AS TEXT) || ' ' || CAST(format AS TEXT) || ' ' || data \
                 FROM tessera_devices WHERE user_id = 'doc'"
                )
                .await,
                format!("1 {DOCUMENT_FORMAT} []")
            );
        }
    );
}

/// A row written by a newer release (another format) is refused with the format named,
/// not misread; a corrupt document is a backend error that does not quote it.
#[tokio::test]
async fn unknown_formats_and_corrupt_documents_are_refused_clearly() {
    on_both!(
        "unknown_formats_and_corrupt_documents_are_refused_clearly",
        |db| {
            let pool = db.migrated(2).await;
            let store = SqlDeviceStore::new(&pool);
            exec(
                &pool,
                "INSERT INTO tessera_devices (user_id, version, format, data) \
             VALUES ('future', 3, 2, '{\"devices\":[]}')",
            )
            .await;
            let e = store.load(&UserId::new("future")).await.unwrap_err();
            let StoreError::Backend(inner) = &e else {
                panic!("{e:?}")
            };
            let inner = inner.downcast_ref::<Error>().unwrap();
            assert!(matches!(
                inner,
                Error::UnsupportedFormat {
                    table: "tessera_devices",
                    format: 2,
                    known: 1
                }
            ));
            assert_eq!(
                inner.to_string(),
                "a stored document in tessera_devices has format 2, this release reads format 1"
            );
            // Nothing overwrites it through the registry either: every change starts
            // with that refused load.

            exec(
                &pool,
                "INSERT INTO tessera_devices (user_id, version, format, data) \
             VALUES ('corrupt', 1, 1, '[{\"secret-ish\":\"hunter2\"}]')",
            )
            .await;
            let e = store.load(&UserId::new("corrupt")).await.unwrap_err();
            let chain = format!("{e} / {} / {}", e.source().unwrap(), {
                e.source().unwrap().source().unwrap()
            });
            assert!(
                chain.starts_with("store backend failed / a stored document in tessera_devices")
            );
            assert!(
                !chain.contains("hunter2") && !chain.contains("secret-ish"),
                "{chain}"
            );
        }
    );
}

/// A backend failure keeps the driver's error as the source of the source.
#[tokio::test]
async fn backend_errors_keep_the_driver_error() {
    on_both!("backend_errors_keep_the_driver_error", |db| {
        // Not migrated: the table is missing.
        let store = SqlDeviceStore::new(db.pool(1).await);
        let e = store.load(&UserId::new("x")).await.unwrap_err();
        let StoreError::Backend(inner) = &e else {
            panic!("{e:?}")
        };
        let inner = inner.downcast_ref::<Error>().unwrap();
        assert!(matches!(inner, Error::Database(_)), "{inner:?}");
        let driver = inner.source().unwrap().to_string();
        assert!(driver.contains("tessera_devices"), "{driver}");
    });
}
