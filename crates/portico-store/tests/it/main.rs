//! The contract of `Store`: every behaviour is one function over an `Arc<dyn Store>`, run
//! once on SQLite (a file in a temporary directory) and once on PostgreSQL (a database made
//! for the test and dropped after it).
//!
//! PostgreSQL must be reachable: at `postgres://postgres@127.0.0.1:5432/test`, or at the admin
//! URL in `PORTICO_TEST_POSTGRES_URL`. When it is not, the PostgreSQL tests fail.

#[macro_use]
mod harness;
mod fixtures;

mod apis;
mod applications;
mod builtin_idp;
mod concurrency;
mod config_version;
mod connect;
mod developers;
mod idempotency;
mod idp_deletions;
mod providers;
mod registrations;
mod sessions;
mod settings;
mod strategies;
