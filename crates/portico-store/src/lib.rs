//! Portico's [`Store`] on SQLite and on PostgreSQL, through sqlx.
//!
//! [`connect`] picks the backend once, from the scheme of the database URL, applies that
//! backend's migrations (`migrations/sqlite` or `migrations/postgres`, embedded in the binary)
//! and hands back an `Arc<dyn Store>`. Each backend is its own type, [`SqliteStore`] and
//! [`PostgresStore`], with its own SQL; what they share (turning rows into domain objects and
//! database errors into [`StoreError`]s) lives in private modules. Queries are checked at run
//! time, so building the crate needs no database.
//!
//! What every backend guarantees, beyond the [`Store`] trait's own documentation:
//!
//! - Times are kept to the microsecond: the nanoseconds of an `OffsetDateTime` are truncated on
//!   write, and times read back are in UTC. A value written with whole microseconds reads back
//!   equal (`==`) to what was written.
//! - `update_*` methods write every field except the id and `created_at`.
//! - Lists come oldest first (by `created_at`, then id); due IdP deletions come by
//!   `next_attempt_at`, then id.
//! - A uniqueness rule broken reports `StoreError::Conflict` naming the rule: `developer email`,
//!   `api slug`, `registration`, `application client_id`, or `<object> id` for a reused id.
//!   A write that refers to a missing row, and the deletion of a row still in use, also
//!   report `Conflict`; a missing row on get, update or delete reports `NotFound`.
//! - `Backend` messages come from the driver and never carry the values that were bound.
//! - Deleting a DCR provider drops its queued IdP deletions (they could not run any more).
//! - An auth strategy or DCR provider that the portal settings name (as the default strategy
//!   or as Application Setup) is in use and cannot be deleted.
//! - `config_version` moves, in the same transaction, on every write to providers,
//!   strategies, APIs, applications, registrations and the portal settings, cascades
//!   included.
//! - `insert_application` with an `Idempotency-Key` fails with `Conflict("idempotency key")`,
//!   and inserts nothing, when the caller no longer holds the reservation (it was released,
//!   or taken over after [`IDEMPOTENCY_RESERVATION_TIMEOUT`]).

mod error;
mod postgres;
mod rows;
mod sqlite;

use std::path::Path;
use std::sync::Arc;

use portico_core::ports::{Store, StoreError};

pub use postgres::PostgresStore;
pub use rows::IDEMPOTENCY_RESERVATION_TIMEOUT;
pub use sqlite::SqliteStore;

/// Opens the database that `database_url` names, migrates it, and returns its store.
///
/// `sqlite:<path>` or `sqlite://<path>` (with optional parameters such as `?mode=rwc`) selects
/// SQLite, creating the file when it is missing; `postgres://` or `postgresql://` selects
/// PostgreSQL.
pub async fn connect(database_url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match Backend::from_url(database_url)? {
        Backend::Sqlite => Arc::new(SqliteStore::connect(database_url).await?),
        Backend::Postgres => Arc::new(PostgresStore::connect(database_url).await?),
    };
    Ok(store)
}

/// The database systems Portico can keep its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend that a database URL's scheme selects.
    pub fn from_url(database_url: &str) -> Result<Self, StoreError> {
        // Only the scheme is looked at, and only it is ever quoted: the rest may hold a password.
        let scheme = database_url
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(Backend::Sqlite),
            Some("postgres" | "postgresql") => Ok(Backend::Postgres),
            Some(scheme)
                if scheme.len() <= 16 && scheme.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Err(StoreError::Backend(format!(
                    "unsupported database URL scheme `{scheme}`: use sqlite: or postgres://"
                )))
            }
            _ => Err(StoreError::Backend(
                "the database URL must start with sqlite: or postgres://".to_owned(),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The `sqlite://` URL of a database file at `path`, created when missing (`mode=rwc`).
///
/// Characters that would end the path early in a URL (`?`, `#`) and `%` itself are
/// percent-encoded, so any path round-trips.
pub fn sqlite_url(path: &Path) -> String {
    let path = path.to_string_lossy();
    let mut url = String::with_capacity(path.len() + 20);
    url.push_str("sqlite://");
    for character in path.chars() {
        match character {
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            '#' => url.push_str("%23"),
            other => url.push(other),
        }
    }
    url.push_str("?mode=rwc");
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        for url in [
            "sqlite:portico.db",
            "sqlite://data/portico.db?mode=rwc",
            "sqlite::memory:",
        ] {
            assert_eq!(Backend::from_url(url).unwrap(), Backend::Sqlite, "{url}");
        }
        for url in [
            "postgres://portico@db/portico",
            "postgresql://portico:secret@db:5432/portico",
            "POSTGRES://db/portico",
        ] {
            assert_eq!(Backend::from_url(url).unwrap(), Backend::Postgres, "{url}");
        }
    }

    #[test]
    fn other_schemes_are_refused_without_quoting_the_url() {
        let error = Backend::from_url("mysql://root:hunter2@db/portico").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`mysql`"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");

        let error = Backend::from_url("hunter2").unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
    }

    #[test]
    fn sqlite_urls_escape_what_would_end_the_path() {
        assert_eq!(
            sqlite_url(Path::new("/data/a?b#c%d.db")),
            "sqlite:///data/a%3Fb%23c%25d.db?mode=rwc"
        );
    }
}
