//! Opening stores from URLs; these tests are not part of the per-backend contract.

use portico_core::ports::StoreError;
use portico_store::Backend;
use sqlx::{Connection, SqliteConnection};

use crate::fixtures::*;
use crate::harness::PostgresDatabase;

#[tokio::test]
async fn sqlite_creates_the_file_and_keeps_the_data_across_reopens() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("nested name?.db");
    let url = portico_store::sqlite_url(&path);
    let ada = developer("ada@example.com");
    {
        let store = portico_store::connect(&url).await.unwrap();
        store.insert_developer(&ada).await.unwrap();
    }
    assert!(path.exists());

    // Opening again applies no migration twice and finds the data.
    let store = portico_store::connect(&url).await.unwrap();
    assert_eq!(store.developer(ada.id).await.unwrap(), ada);
}

#[tokio::test]
async fn sqlite_accepts_both_url_forms() {
    let directory = tempfile::tempdir().unwrap();
    let plain = directory.path().join("plain.db");
    let with_slashes = directory.path().join("slashes.db");
    for url in [
        format!("sqlite:{}", plain.display()),
        format!("sqlite://{}?mode=rwc", with_slashes.display()),
    ] {
        assert_eq!(Backend::from_url(&url).unwrap(), Backend::Sqlite);
        let store = portico_store::connect(&url).await.unwrap();
        assert!(
            store
                .portal_settings()
                .await
                .unwrap()
                .auto_approve_developers
        );
    }
    assert!(plain.exists());
    assert!(with_slashes.exists());
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode() {
    let directory = tempfile::tempdir().unwrap();
    let url = portico_store::sqlite_url(&directory.path().join("portico.db"));
    let _store = portico_store::connect(&url).await.unwrap();

    // The journal mode is a property of the file, so a plain connection sees it.
    let mut connection = SqliteConnection::connect(&url).await.unwrap();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn postgresql_scheme_selects_postgres_and_migrations_apply_once() {
    let database = PostgresDatabase::create().await;
    let url = database.url.replacen("postgres://", "postgresql://", 1);
    assert!(url.starts_with("postgresql://"));
    assert_eq!(Backend::from_url(&url).unwrap(), Backend::Postgres);
    let ada = developer("ada@example.com");
    let outcome = async {
        portico_store::connect(&url)
            .await?
            .insert_developer(&ada)
            .await?;
        portico_store::connect(&url).await?.developer(ada.id).await
    }
    .await;
    database.drop().await;
    assert_eq!(outcome.unwrap(), ada);
}

#[tokio::test]
async fn unsupported_schemes_and_unreachable_servers_fail() {
    for url in ["mysql://root@localhost/portico", "portico.db"] {
        assert!(matches!(
            portico_store::connect(url).await,
            Err(StoreError::Backend(_))
        ));
    }
    assert!(matches!(
        portico_store::connect("postgres://postgres@127.0.0.1:1/portico").await,
        Err(StoreError::Backend(_))
    ));
}
