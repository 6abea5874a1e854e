//! Runs a contract test on each backend.

use std::future::Future;
use std::sync::Arc;

use portico_core::ports::Store;
use sqlx::{Connection, PgConnection};

/// Where the PostgreSQL server is, as an admin who may create databases.
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Declares, for each behaviour function of the calling module, one test on SQLite (in module
/// `sqlite`) and one on PostgreSQL (in module `postgres`).
macro_rules! contract_tests {
    ($($behaviour:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    crate::harness::on_sqlite(super::$behaviour).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    crate::harness::on_postgres(super::$behaviour).await;
                }
            )+
        }
    };
}

/// Runs `test` on a store in a fresh SQLite file.
pub async fn on_sqlite<Test, Run>(test: Test)
where
    Test: FnOnce(Arc<dyn Store>) -> Run,
    Run: Future<Output = ()> + Send + 'static,
{
    let directory = tempfile::tempdir().expect("a temporary directory");
    let url = portico_store::sqlite_url(&directory.path().join("portico.db"));
    let store = portico_store::connect(&url)
        .await
        .expect("the SQLite store opens");
    test(store).await;
}

/// Runs `test` on a store in a fresh PostgreSQL database, dropped afterwards even when the
/// test fails.
pub async fn on_postgres<Test, Run>(test: Test)
where
    Test: FnOnce(Arc<dyn Store>) -> Run,
    Run: Future<Output = ()> + Send + 'static,
{
    let database = PostgresDatabase::create().await;
    let store = portico_store::connect(&database.url)
        .await
        .expect("the PostgreSQL store connects and migrates");
    // A spawned task turns a panic into a value, so that the database is dropped either way.
    let outcome = tokio::spawn(test(store)).await;
    database.drop().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the test task failed: {error}"),
        }
    }
}

/// A database made for one test.
pub struct PostgresDatabase {
    admin: PgConnection,
    name: String,
    /// The URL of the database itself.
    pub url: String,
}

impl PostgresDatabase {
    pub async fn create() -> Self {
        let admin_url = std::env::var("PORTICO_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "PostgreSQL is required for these tests: cannot connect to the admin URL \
                 (set PORTICO_TEST_POSTGRES_URL to point elsewhere): {error}"
                )
            });
        let name = format!("portico_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("the test database is created");
        let mut url = url::Url::parse(&admin_url).expect("the admin URL is a URL");
        url.set_path(&format!("/{name}"));
        Self {
            admin,
            name,
            url: url.into(),
        }
    }

    /// Drops the database, on a best-effort basis: a leftover database fails no test.
    pub async fn drop(mut self) {
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(error) = sqlx::query(&statement).execute(&mut self.admin).await {
            eprintln!("could not drop the test database {}: {error}", self.name);
        }
        let _ = self.admin.close().await;
    }
}
