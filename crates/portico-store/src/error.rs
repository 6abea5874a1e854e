//! Turning sqlx errors into [`StoreError`]s, the same way for both backends.
//!
//! Messages come from sqlx's `Display`, which carries the database's message but never the
//! values that were bound (PostgreSQL's `DETAIL`, which can quote them, is left out).

use portico_core::ports::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

/// A uniqueness rule of the schema, as each backend names it and as a conflict reports it.
struct UniqueRule {
    /// The constraint name in `migrations/postgres`.
    postgres_constraint: &'static str,
    /// The columns SQLite lists in `UNIQUE constraint failed: <columns>`.
    sqlite_columns: &'static str,
    /// The text of `StoreError::Conflict`.
    conflict: &'static str,
}

const UNIQUE_RULES: &[UniqueRule] = &[
    rule(
        "developers_email_key",
        "developers.email",
        "developer email",
    ),
    rule("apis_slug_key", "apis.slug", "api slug"),
    rule(
        "applications_dcr_provider_id_client_id_key",
        "applications.dcr_provider_id, applications.client_id",
        "application client_id",
    ),
    rule(
        "registrations_application_id_api_id_key",
        "registrations.application_id, registrations.api_id",
        "registration",
    ),
    rule("dcr_providers_pkey", "dcr_providers.id", "dcr provider id"),
    rule(
        "auth_strategies_pkey",
        "auth_strategies.id",
        "auth strategy id",
    ),
    rule("apis_pkey", "apis.id", "api id"),
    rule("developers_pkey", "developers.id", "developer id"),
    rule("sessions_pkey", "sessions.token_hash", "session token"),
    rule("applications_pkey", "applications.id", "application id"),
    rule("registrations_pkey", "registrations.id", "registration id"),
    rule("idp_deletions_pkey", "idp_deletions.id", "idp deletion id"),
    rule(
        "builtin_clients_pkey",
        "builtin_clients.client_id",
        "builtin client id",
    ),
    rule("signing_keys_pkey", "signing_keys.kid", "signing key id"),
    rule(
        "idempotency_keys_pkey",
        "idempotency_keys.developer_id, idempotency_keys.idempotency_key",
        "idempotency key",
    ),
];

const fn rule(
    postgres_constraint: &'static str,
    sqlite_columns: &'static str,
    conflict: &'static str,
) -> UniqueRule {
    UniqueRule {
        postgres_constraint,
        sqlite_columns,
        conflict,
    }
}

/// An error the database reported, for the log only.
pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// An error of a write. A broken uniqueness rule becomes a `Conflict` naming the rule; a
/// broken foreign key becomes `Conflict(foreign_key)`, which says what it means for this write:
/// a row it refers to is missing, or the row it deletes is still in use.
pub(crate) fn write(error: sqlx::Error, foreign_key: &str) -> StoreError {
    if let sqlx::Error::Database(database_error) = &error {
        if database_error.kind() == ErrorKind::UniqueViolation {
            return StoreError::Conflict(unique_rule(database_error.as_ref()).to_owned());
        }
        if is_foreign_key_violation(database_error.as_ref()) {
            return StoreError::Conflict(foreign_key.to_owned());
        }
    }
    backend(error)
}

fn is_foreign_key_violation(error: &dyn DatabaseError) -> bool {
    // SQLite reports `ON DELETE RESTRICT` as SQLITE_CONSTRAINT_TRIGGER, which sqlx does not
    // classify; its message is the same as for any other broken foreign key.
    error.kind() == ErrorKind::ForeignKeyViolation
        || error.message() == "FOREIGN KEY constraint failed"
}

fn unique_rule(error: &dyn DatabaseError) -> &'static str {
    // PostgreSQL names the constraint; SQLite names the columns in its message.
    let constraint = error.constraint();
    let sqlite_columns = error.message().strip_prefix("UNIQUE constraint failed: ");
    UNIQUE_RULES
        .iter()
        .find(|rule| {
            constraint == Some(rule.postgres_constraint)
                || sqlite_columns == Some(rule.sqlite_columns)
        })
        .map_or("unique rule", |rule| rule.conflict)
}

/// Reports a database that could not be opened or migrated.
pub(crate) fn setup(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("{what}: {error}"))
}
