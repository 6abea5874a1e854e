//! The [`Store`] on SQLite: one file in WAL mode, ids as TEXT, times as INTEGER microseconds.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteQueryResult, SqliteRow,
};
use sqlx::{Executor, Row, Sqlite, Transaction};
use time::OffsetDateTime;
use uuid::fmt::Hyphenated;
use uuid::Uuid;

use portico_core::id::*;
use portico_core::model::{self, *};
use portico_core::ports::{Store, StoreError, StoreResult};

use crate::error;
use crate::rows::{self, Columns};

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// Connections in the pool. Readers run side by side under WAL; writers take turns, each
/// waiting up to [`BUSY_TIMEOUT`] for the write lock.
const MAX_CONNECTIONS: u32 = 4;

/// How long a statement waits for a lock that another connection holds before failing with
/// `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Portico's data in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens the database of a `sqlite:` URL, creating the file when it is missing, and applies
    /// the migrations.
    pub async fn connect(database_url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(database_url)
            .map_err(|error| error::setup("invalid SQLite database URL", error))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // Local connections are cheap to keep, and an in-memory database lives only as long
            // as one of them does.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|error| error::setup("cannot open the SQLite database", error))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|error| error::setup("cannot migrate the SQLite database", error))?;
        tracing::info!(backend = "sqlite", "the database is migrated and ready");
        Ok(Self { pool })
    }

    /// A write transaction that holds the write lock from its start.
    ///
    /// A deferred transaction that reads first and writes later cannot wait for the lock: SQLite
    /// fails it at once with `SQLITE_BUSY` when another connection wrote in between.
    /// `BEGIN IMMEDIATE` waits for the lock (up to the busy timeout) before doing anything.
    async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error::backend)
    }

    async fn fetch_one<T>(
        &self,
        query: Query<'_>,
        decode: fn(&SqliteRow) -> StoreResult<T>,
    ) -> StoreResult<T> {
        match query
            .fetch_optional(&self.pool)
            .await
            .map_err(error::backend)?
        {
            Some(row) => decode(&row),
            None => Err(StoreError::NotFound),
        }
    }

    async fn fetch_all<T>(
        &self,
        query: Query<'_>,
        decode: fn(&SqliteRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = query.fetch_all(&self.pool).await.map_err(error::backend)?;
        rows.iter().map(decode).collect()
    }
}

fn id<Kind>(id: Id<Kind>) -> Hyphenated {
    id.as_uuid().hyphenated()
}

fn optional_id<Kind>(id: Option<Id<Kind>>) -> Option<Hyphenated> {
    id.map(self::id)
}

fn time(time: OffsetDateTime) -> i64 {
    rows::micros(time)
}

/// `NotFound` when a write by id touched no row.
fn one_row(result: SqliteQueryResult) -> StoreResult<()> {
    if result.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

impl Columns for SqliteRow {
    fn uuid(&self, column: &'static str) -> StoreResult<Uuid> {
        self.try_get::<Hyphenated, _>(column)
            .map(Hyphenated::into_uuid)
            .map_err(|_| rows::invalid(column))
    }

    fn optional_uuid(&self, column: &'static str) -> StoreResult<Option<Uuid>> {
        self.try_get::<Option<Hyphenated>, _>(column)
            .map(|uuid| uuid.map(Hyphenated::into_uuid))
            .map_err(|_| rows::invalid(column))
    }

    fn time(&self, column: &'static str) -> StoreResult<OffsetDateTime> {
        let micros = self.integer(column)?;
        rows::from_micros(micros, column)
    }

    fn optional_time(&self, column: &'static str) -> StoreResult<Option<OffsetDateTime>> {
        let micros: Option<i64> = self.try_get(column).map_err(|_| rows::invalid(column))?;
        micros
            .map(|micros| rows::from_micros(micros, column))
            .transpose()
    }

    fn text(&self, column: &'static str) -> StoreResult<String> {
        self.try_get(column).map_err(|_| rows::invalid(column))
    }

    fn optional_text(&self, column: &'static str) -> StoreResult<Option<String>> {
        self.try_get(column).map_err(|_| rows::invalid(column))
    }

    fn optional_bytes(&self, column: &'static str) -> StoreResult<Option<Vec<u8>>> {
        self.try_get(column).map_err(|_| rows::invalid(column))
    }

    fn integer(&self, column: &'static str) -> StoreResult<i64> {
        self.try_get(column).map_err(|_| rows::invalid(column))
    }

    fn boolean(&self, column: &'static str) -> StoreResult<bool> {
        self.try_get(column).map_err(|_| rows::invalid(column))
    }

    fn json<T: DeserializeOwned>(&self, column: &'static str) -> StoreResult<T> {
        let text: String = self.text(column)?;
        serde_json::from_str(&text).map_err(|_| rows::invalid(column))
    }
}

// ---------------------------------------------------------------- Statements used twice

const INSERT_DCR_PROVIDER: &str = "INSERT INTO dcr_providers (id, name, provider_type, issuer, \
     dcr_config_type, initial_client_id, initial_client_secret, initial_client_audience, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

const UPSERT_DCR_PROVIDER: &str = "INSERT INTO dcr_providers (id, name, provider_type, issuer, \
     dcr_config_type, initial_client_id, initial_client_secret, initial_client_audience, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     provider_type = excluded.provider_type, issuer = excluded.issuer, \
     dcr_config_type = excluded.dcr_config_type, \
     initial_client_id = excluded.initial_client_id, \
     initial_client_secret = excluded.initial_client_secret, \
     initial_client_audience = excluded.initial_client_audience, \
     updated_at = excluded.updated_at";

fn bind_dcr_provider<'q>(sql: &'q str, provider: &'q model::DcrProvider) -> Query<'q> {
    let config = rows::dcr_columns(&provider.dcr_config);
    sqlx::query(sql)
        .bind(id(provider.id))
        .bind(&provider.name)
        .bind(provider.provider_type.as_str())
        .bind(provider.issuer.as_str())
        .bind(config.config_type)
        .bind(config.initial_client_id)
        .bind(config.initial_client_secret)
        .bind(config.initial_client_audience)
        .bind(time(provider.created_at))
        .bind(time(provider.updated_at))
}

const INSERT_AUTH_STRATEGY: &str = "INSERT INTO auth_strategies (id, name, strategy_type, \
     dcr_provider_id, openid_connect, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

const UPSERT_AUTH_STRATEGY: &str = "INSERT INTO auth_strategies (id, name, strategy_type, \
     dcr_provider_id, openid_connect, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
     strategy_type = excluded.strategy_type, dcr_provider_id = excluded.dcr_provider_id, \
     openid_connect = excluded.openid_connect, updated_at = excluded.updated_at";

fn bind_auth_strategy<'q>(sql: &'q str, strategy: &'q AuthStrategy) -> StoreResult<Query<'q>> {
    Ok(sqlx::query(sql)
        .bind(id(strategy.id))
        .bind(&strategy.name)
        .bind(rows::strategy_type(strategy.strategy_type))
        .bind(optional_id(strategy.dcr_provider_id))
        .bind(rows::json_text(&strategy.openid_connect)?)
        .bind(time(strategy.created_at))
        .bind(time(strategy.updated_at)))
}

const STRATEGY_REFERENCES: &str = "auth strategy refers to a missing dcr provider";
const APPLICATION_REFERENCES: &str =
    "application refers to a missing developer, auth strategy or dcr provider";

async fn insert_idp_deletion<'e>(
    executor: impl Executor<'e, Database = Sqlite>,
    deletion: &PendingIdpDeletion,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO idp_deletions (id, dcr_provider_id, client_id, attempts, next_attempt_at, \
         last_error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id(deletion.id))
    .bind(id(deletion.dcr_provider_id))
    .bind(&deletion.client_id)
    .bind(i64::from(deletion.attempts))
    .bind(time(deletion.next_attempt_at))
    .bind(&deletion.last_error)
    .bind(time(deletion.created_at))
    .execute(executor)
    .await
    .map_err(|error| error::write(error, "idp deletion refers to a missing dcr provider"))?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    // ------------------------------------------------------------ Portal settings

    async fn portal_settings(&self) -> StoreResult<PortalSettings> {
        let query = sqlx::query("SELECT * FROM portal_settings WHERE id = 1");
        self.fetch_one(query, rows::portal_settings).await
    }

    async fn update_portal_settings(&self, settings: &PortalSettings) -> StoreResult<()> {
        let setup = settings.application_setup;
        let result = sqlx::query(
            "UPDATE portal_settings SET auto_approve_developers = $1, \
             auto_approve_registrations = $2, default_auth_strategy_id = $3, \
             setup_dcr_provider_id = $4, setup_auth_strategy_id = $5 WHERE id = 1",
        )
        .bind(settings.auto_approve_developers)
        .bind(settings.auto_approve_registrations)
        .bind(optional_id(settings.default_auth_strategy_id))
        .bind(optional_id(setup.map(|setup| setup.dcr_provider_id)))
        .bind(optional_id(setup.map(|setup| setup.auth_strategy_id)))
        .execute(&self.pool)
        .await
        .map_err(|error| {
            error::write(
                error,
                "portal settings refer to a missing auth strategy or dcr provider",
            )
        })?;
        one_row(result)
    }

    // ------------------------------------------------------------ DCR providers

    async fn insert_dcr_provider(&self, provider: &model::DcrProvider) -> StoreResult<()> {
        bind_dcr_provider(INSERT_DCR_PROVIDER, provider)
            .execute(&self.pool)
            .await
            .map_err(|error| error::write(error, "dcr provider"))?;
        Ok(())
    }

    async fn dcr_provider(&self, provider_id: DcrProviderId) -> StoreResult<model::DcrProvider> {
        let query = sqlx::query("SELECT * FROM dcr_providers WHERE id = $1").bind(id(provider_id));
        self.fetch_one(query, rows::dcr_provider).await
    }

    async fn dcr_providers(&self) -> StoreResult<Vec<model::DcrProvider>> {
        let query = sqlx::query("SELECT * FROM dcr_providers ORDER BY created_at, id");
        self.fetch_all(query, rows::dcr_provider).await
    }

    async fn update_dcr_provider(&self, provider: &model::DcrProvider) -> StoreResult<()> {
        let config = rows::dcr_columns(&provider.dcr_config);
        let result = sqlx::query(
            "UPDATE dcr_providers SET name = $2, provider_type = $3, issuer = $4, \
             dcr_config_type = $5, initial_client_id = $6, initial_client_secret = $7, \
             initial_client_audience = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(id(provider.id))
        .bind(&provider.name)
        .bind(provider.provider_type.as_str())
        .bind(provider.issuer.as_str())
        .bind(config.config_type)
        .bind(config.initial_client_id)
        .bind(config.initial_client_secret)
        .bind(config.initial_client_audience)
        .bind(time(provider.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "dcr provider"))?;
        one_row(result)
    }

    async fn delete_dcr_provider(&self, provider_id: DcrProviderId) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM dcr_providers WHERE id = $1")
            .bind(id(provider_id))
            .execute(&self.pool)
            .await
            .map_err(|error| error::write(error, "dcr provider in use"))?;
        one_row(result)
    }

    // ------------------------------------------------------------ Auth strategies

    async fn insert_auth_strategy(&self, strategy: &AuthStrategy) -> StoreResult<()> {
        bind_auth_strategy(INSERT_AUTH_STRATEGY, strategy)?
            .execute(&self.pool)
            .await
            .map_err(|error| error::write(error, STRATEGY_REFERENCES))?;
        Ok(())
    }

    async fn auth_strategy(&self, strategy_id: AuthStrategyId) -> StoreResult<AuthStrategy> {
        let query =
            sqlx::query("SELECT * FROM auth_strategies WHERE id = $1").bind(id(strategy_id));
        self.fetch_one(query, rows::auth_strategy).await
    }

    async fn auth_strategies(&self) -> StoreResult<Vec<AuthStrategy>> {
        let query = sqlx::query("SELECT * FROM auth_strategies ORDER BY created_at, id");
        self.fetch_all(query, rows::auth_strategy).await
    }

    async fn update_auth_strategy(&self, strategy: &AuthStrategy) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE auth_strategies SET name = $2, strategy_type = $3, dcr_provider_id = $4, \
             openid_connect = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(id(strategy.id))
        .bind(&strategy.name)
        .bind(rows::strategy_type(strategy.strategy_type))
        .bind(optional_id(strategy.dcr_provider_id))
        .bind(rows::json_text(&strategy.openid_connect)?)
        .bind(time(strategy.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, STRATEGY_REFERENCES))?;
        one_row(result)
    }

    async fn delete_auth_strategy(&self, strategy_id: AuthStrategyId) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM auth_strategies WHERE id = $1")
            .bind(id(strategy_id))
            .execute(&self.pool)
            .await
            .map_err(|error| error::write(error, "auth strategy in use"))?;
        one_row(result)
    }

    async fn save_application_setup(
        &self,
        provider: &model::DcrProvider,
        strategy: &AuthStrategy,
    ) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        bind_dcr_provider(UPSERT_DCR_PROVIDER, provider)
            .execute(&mut *transaction)
            .await
            .map_err(|error| error::write(error, "dcr provider"))?;
        bind_auth_strategy(UPSERT_AUTH_STRATEGY, strategy)?
            .execute(&mut *transaction)
            .await
            .map_err(|error| error::write(error, STRATEGY_REFERENCES))?;
        sqlx::query(
            "UPDATE portal_settings SET default_auth_strategy_id = $1, \
             setup_dcr_provider_id = $2, setup_auth_strategy_id = $1 WHERE id = 1",
        )
        .bind(id(strategy.id))
        .bind(id(provider.id))
        .execute(&mut *transaction)
        .await
        .map_err(error::backend)?;
        transaction.commit().await.map_err(error::backend)
    }

    // ------------------------------------------------------------ APIs

    async fn insert_api(&self, api: &Api) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO apis (id, name, slug, description, version, upstream_url, routes, \
             auth_strategy_id, published, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id(api.id))
        .bind(&api.name)
        .bind(&api.slug)
        .bind(&api.description)
        .bind(&api.version)
        .bind(api.upstream_url.as_str())
        .bind(rows::json_text(&api.routes)?)
        .bind(optional_id(api.auth_strategy_id))
        .bind(api.published)
        .bind(time(api.created_at))
        .bind(time(api.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "api refers to a missing auth strategy"))?;
        Ok(())
    }

    async fn api(&self, api_id: ApiId) -> StoreResult<Api> {
        let query = sqlx::query("SELECT * FROM apis WHERE id = $1").bind(id(api_id));
        self.fetch_one(query, rows::api).await
    }

    async fn apis(&self) -> StoreResult<Vec<Api>> {
        let query = sqlx::query("SELECT * FROM apis ORDER BY created_at, id");
        self.fetch_all(query, rows::api).await
    }

    async fn update_api(&self, api: &Api) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE apis SET name = $2, slug = $3, description = $4, version = $5, \
             upstream_url = $6, routes = $7, auth_strategy_id = $8, published = $9, \
             updated_at = $10 WHERE id = $1",
        )
        .bind(id(api.id))
        .bind(&api.name)
        .bind(&api.slug)
        .bind(&api.description)
        .bind(&api.version)
        .bind(api.upstream_url.as_str())
        .bind(rows::json_text(&api.routes)?)
        .bind(optional_id(api.auth_strategy_id))
        .bind(api.published)
        .bind(time(api.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "api refers to a missing auth strategy"))?;
        one_row(result)
    }

    async fn delete_api(&self, api_id: ApiId) -> StoreResult<()> {
        // Registrations go with it (ON DELETE CASCADE).
        let result = sqlx::query("DELETE FROM apis WHERE id = $1")
            .bind(id(api_id))
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        one_row(result)
    }

    // ------------------------------------------------------------ Developers

    async fn insert_developer(&self, developer: &Developer) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO developers (id, email, full_name, status, password_hash, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id(developer.id))
        .bind(&developer.email)
        .bind(&developer.full_name)
        .bind(developer.status.as_str())
        .bind(&developer.password_hash)
        .bind(time(developer.created_at))
        .bind(time(developer.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "developer"))?;
        Ok(())
    }

    async fn developer(&self, developer_id: DeveloperId) -> StoreResult<Developer> {
        let query = sqlx::query("SELECT * FROM developers WHERE id = $1").bind(id(developer_id));
        self.fetch_one(query, rows::developer).await
    }

    async fn developer_by_email(&self, email: &str) -> StoreResult<Developer> {
        let query = sqlx::query("SELECT * FROM developers WHERE email = $1").bind(email);
        self.fetch_one(query, rows::developer).await
    }

    async fn developers(&self) -> StoreResult<Vec<Developer>> {
        let query = sqlx::query("SELECT * FROM developers ORDER BY created_at, id");
        self.fetch_all(query, rows::developer).await
    }

    async fn update_developer(&self, developer: &Developer) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE developers SET email = $2, full_name = $3, status = $4, \
             password_hash = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(id(developer.id))
        .bind(&developer.email)
        .bind(&developer.full_name)
        .bind(developer.status.as_str())
        .bind(&developer.password_hash)
        .bind(time(developer.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "developer"))?;
        one_row(result)
    }

    // ------------------------------------------------------------ Sessions

    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, developer_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.token_hash)
        .bind(id(session.developer_id))
        .bind(time(session.created_at))
        .bind(time(session.expires_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "session refers to a missing developer"))?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: OffsetDateTime) -> StoreResult<Session> {
        let query = sqlx::query("SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(time(now));
        self.fetch_one(query, rows::session).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        one_row(result)
    }

    async fn delete_sessions_of(&self, developer_id: DeveloperId) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE developer_id = $1")
            .bind(id(developer_id))
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        Ok(())
    }

    async fn purge_expired(
        &self,
        now: OffsetDateTime,
        keys_created_before: OffsetDateTime,
    ) -> StoreResult<u64> {
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(time(now))
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        let keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(time(keys_created_before))
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        Ok(sessions.rows_affected() + keys.rows_affected())
    }

    // ------------------------------------------------------------ Applications

    async fn insert_application(
        &self,
        application: &Application,
        idempotency_key: Option<&str>,
    ) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        sqlx::query(
            "INSERT INTO applications (id, developer_id, name, description, redirect_uri, \
             client_id, auth_strategy_id, dcr_provider_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id(application.id))
        .bind(id(application.developer_id))
        .bind(&application.name)
        .bind(&application.description)
        .bind(&application.redirect_uri)
        .bind(&application.client_id)
        .bind(id(application.auth_strategy_id))
        .bind(id(application.dcr_provider_id))
        .bind(time(application.created_at))
        .bind(time(application.updated_at))
        .execute(&mut *transaction)
        .await
        .map_err(|error| error::write(error, APPLICATION_REFERENCES))?;
        if let Some(key) = idempotency_key {
            let completed = sqlx::query(
                "UPDATE idempotency_keys SET application_id = $3 \
                 WHERE developer_id = $1 AND idempotency_key = $2 AND application_id IS NULL",
            )
            .bind(id(application.developer_id))
            .bind(key)
            .bind(id(application.id))
            .execute(&mut *transaction)
            .await
            .map_err(error::backend)?;
            if completed.rows_affected() == 0 {
                // Dropping the transaction rolls the application back.
                return Err(StoreError::Conflict("idempotency key".to_owned()));
            }
        }
        transaction.commit().await.map_err(error::backend)
    }

    async fn application(&self, application_id: ApplicationId) -> StoreResult<Application> {
        let query =
            sqlx::query("SELECT * FROM applications WHERE id = $1").bind(id(application_id));
        self.fetch_one(query, rows::application).await
    }

    async fn application_by_client_id(
        &self,
        dcr_provider_id: DcrProviderId,
        client_id: &str,
    ) -> StoreResult<Application> {
        let query =
            sqlx::query("SELECT * FROM applications WHERE dcr_provider_id = $1 AND client_id = $2")
                .bind(id(dcr_provider_id))
                .bind(client_id);
        self.fetch_one(query, rows::application).await
    }

    async fn applications(
        &self,
        developer_id: Option<DeveloperId>,
    ) -> StoreResult<Vec<Application>> {
        let query = match developer_id {
            Some(developer_id) => sqlx::query(
                "SELECT * FROM applications WHERE developer_id = $1 ORDER BY created_at, id",
            )
            .bind(id(developer_id)),
            None => sqlx::query("SELECT * FROM applications ORDER BY created_at, id"),
        };
        self.fetch_all(query, rows::application).await
    }

    async fn update_application(&self, application: &Application) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE applications SET developer_id = $2, name = $3, description = $4, \
             redirect_uri = $5, client_id = $6, auth_strategy_id = $7, dcr_provider_id = $8, \
             updated_at = $9 WHERE id = $1",
        )
        .bind(id(application.id))
        .bind(id(application.developer_id))
        .bind(&application.name)
        .bind(&application.description)
        .bind(&application.redirect_uri)
        .bind(&application.client_id)
        .bind(id(application.auth_strategy_id))
        .bind(id(application.dcr_provider_id))
        .bind(time(application.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, APPLICATION_REFERENCES))?;
        one_row(result)
    }

    async fn delete_application(
        &self,
        application_id: ApplicationId,
        deletion: Option<&PendingIdpDeletion>,
    ) -> StoreResult<()> {
        let mut transaction = self.begin().await?;
        // Registrations and completed idempotency keys go with it (ON DELETE CASCADE).
        let result = sqlx::query("DELETE FROM applications WHERE id = $1")
            .bind(id(application_id))
            .execute(&mut *transaction)
            .await
            .map_err(error::backend)?;
        one_row(result)?;
        if let Some(deletion) = deletion {
            insert_idp_deletion(&mut *transaction, deletion).await?;
        }
        transaction.commit().await.map_err(error::backend)
    }

    // ------------------------------------------------------------ Idempotency keys

    async fn reserve_idempotency_key(
        &self,
        developer_id: DeveloperId,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<IdempotencyState> {
        let abandoned_before = now - rows::IDEMPOTENCY_RESERVATION_TIMEOUT;
        for _ in 0..rows::RESERVE_ATTEMPTS {
            // Either a new reservation, or the takeover of an abandoned one, in one statement.
            let reserved = sqlx::query(
                "INSERT INTO idempotency_keys (developer_id, idempotency_key, request_hash, \
                 application_id, created_at) VALUES ($1, $2, $3, NULL, $4) \
                 ON CONFLICT (developer_id, idempotency_key) DO UPDATE \
                 SET request_hash = excluded.request_hash, created_at = excluded.created_at \
                 WHERE idempotency_keys.application_id IS NULL \
                 AND idempotency_keys.created_at < $5",
            )
            .bind(id(developer_id))
            .bind(key)
            .bind(request_hash)
            .bind(time(now))
            .bind(time(abandoned_before))
            .execute(&self.pool)
            .await
            .map_err(|error| {
                error::write(error, "idempotency key refers to a missing developer")
            })?;
            if reserved.rows_affected() == 1 {
                return Ok(IdempotencyState::Reserved);
            }
            let holder = sqlx::query(
                "SELECT request_hash, application_id FROM idempotency_keys \
                 WHERE developer_id = $1 AND idempotency_key = $2",
            )
            .bind(id(developer_id))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::backend)?;
            if let Some(row) = holder {
                return rows::idempotency_state(&row);
            }
            // Released between the two statements: the key is free again, so try again.
        }
        Err(StoreError::Backend(
            "the idempotency key kept changing hands; giving up".to_owned(),
        ))
    }

    async fn release_idempotency_key(
        &self,
        developer_id: DeveloperId,
        key: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys \
             WHERE developer_id = $1 AND idempotency_key = $2 AND application_id IS NULL",
        )
        .bind(id(developer_id))
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(error::backend)?;
        Ok(())
    }

    // ------------------------------------------------------------ Registrations

    async fn insert_registration(&self, registration: &Registration) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO registrations (id, application_id, api_id, status, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id(registration.id))
        .bind(id(registration.application_id))
        .bind(id(registration.api_id))
        .bind(registration.status.as_str())
        .bind(time(registration.created_at))
        .bind(time(registration.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| {
            error::write(error, "registration refers to a missing application or api")
        })?;
        Ok(())
    }

    async fn registration(&self, registration_id: RegistrationId) -> StoreResult<Registration> {
        let query =
            sqlx::query("SELECT * FROM registrations WHERE id = $1").bind(id(registration_id));
        self.fetch_one(query, rows::registration).await
    }

    async fn registrations_of(
        &self,
        application_id: ApplicationId,
    ) -> StoreResult<Vec<Registration>> {
        let query = sqlx::query(
            "SELECT * FROM registrations WHERE application_id = $1 ORDER BY created_at, id",
        )
        .bind(id(application_id));
        self.fetch_all(query, rows::registration).await
    }

    async fn registrations(
        &self,
        status: Option<ApprovalStatus>,
    ) -> StoreResult<Vec<Registration>> {
        let query = match status {
            Some(status) => {
                sqlx::query("SELECT * FROM registrations WHERE status = $1 ORDER BY created_at, id")
                    .bind(status.as_str())
            }
            None => sqlx::query("SELECT * FROM registrations ORDER BY created_at, id"),
        };
        self.fetch_all(query, rows::registration).await
    }

    async fn update_registration(&self, registration: &Registration) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE registrations SET application_id = $2, api_id = $3, status = $4, \
             updated_at = $5 WHERE id = $1",
        )
        .bind(id(registration.id))
        .bind(id(registration.application_id))
        .bind(id(registration.api_id))
        .bind(registration.status.as_str())
        .bind(time(registration.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| {
            error::write(error, "registration refers to a missing application or api")
        })?;
        one_row(result)
    }

    async fn delete_registration(&self, registration_id: RegistrationId) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM registrations WHERE id = $1")
            .bind(id(registration_id))
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        one_row(result)
    }

    // ------------------------------------------------------------ IdP deletions

    async fn enqueue_idp_deletion(&self, deletion: &PendingIdpDeletion) -> StoreResult<()> {
        insert_idp_deletion(&self.pool, deletion).await
    }

    async fn due_idp_deletions(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<PendingIdpDeletion>> {
        let query = sqlx::query(
            "SELECT * FROM idp_deletions WHERE next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(time(now))
        .bind(i64::from(limit));
        self.fetch_all(query, rows::idp_deletion).await
    }

    async fn idp_deletions(&self) -> StoreResult<Vec<PendingIdpDeletion>> {
        let query = sqlx::query("SELECT * FROM idp_deletions ORDER BY created_at, id");
        self.fetch_all(query, rows::idp_deletion).await
    }

    async fn update_idp_deletion(&self, deletion: &PendingIdpDeletion) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE idp_deletions SET dcr_provider_id = $2, client_id = $3, attempts = $4, \
             next_attempt_at = $5, last_error = $6 WHERE id = $1",
        )
        .bind(id(deletion.id))
        .bind(id(deletion.dcr_provider_id))
        .bind(&deletion.client_id)
        .bind(i64::from(deletion.attempts))
        .bind(time(deletion.next_attempt_at))
        .bind(&deletion.last_error)
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "idp deletion refers to a missing dcr provider"))?;
        one_row(result)
    }

    async fn remove_idp_deletion(&self, deletion_id: PendingDeletionId) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM idp_deletions WHERE id = $1")
            .bind(id(deletion_id))
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        one_row(result)
    }

    async fn config_version(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT version FROM config_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(error::backend)?;
        row.integer("version")
    }

    // ------------------------------------------------------------ Built-in IdP

    async fn insert_builtin_client(&self, client: &BuiltinClient) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO builtin_clients (client_id, secret_hash, name, audience, \
             application_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&client.client_id)
        .bind(&client.secret_hash)
        .bind(&client.name)
        .bind(&client.audience)
        .bind(optional_id(client.application_id))
        .bind(time(client.created_at))
        .bind(time(client.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "builtin client"))?;
        Ok(())
    }

    async fn builtin_client(&self, client_id: &str) -> StoreResult<BuiltinClient> {
        let query =
            sqlx::query("SELECT * FROM builtin_clients WHERE client_id = $1").bind(client_id);
        self.fetch_one(query, rows::builtin_client).await
    }

    async fn update_builtin_client(&self, client: &BuiltinClient) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE builtin_clients SET secret_hash = $2, name = $3, audience = $4, \
             application_id = $5, updated_at = $6 WHERE client_id = $1",
        )
        .bind(&client.client_id)
        .bind(&client.secret_hash)
        .bind(&client.name)
        .bind(&client.audience)
        .bind(optional_id(client.application_id))
        .bind(time(client.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "builtin client"))?;
        one_row(result)
    }

    async fn delete_builtin_client(&self, client_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM builtin_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&self.pool)
            .await
            .map_err(error::backend)?;
        Ok(())
    }

    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, private_key, public_jwk, created_at, \
             retires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(&key.private_key.0)
        .bind(&key.public_jwk)
        .bind(time(key.created_at))
        .bind(key.retires_at.map(time))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "signing key"))?;
        Ok(())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        let query = sqlx::query("SELECT * FROM signing_keys ORDER BY created_at, kid");
        self.fetch_all(query, rows::signing_key).await
    }

    async fn update_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE signing_keys SET algorithm = $2, private_key = $3, public_jwk = $4, \
             retires_at = $5 WHERE kid = $1",
        )
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(&key.private_key.0)
        .bind(&key.public_jwk)
        .bind(key.retires_at.map(time))
        .execute(&self.pool)
        .await
        .map_err(|error| error::write(error, "signing key"))?;
        one_row(result)
    }
}
