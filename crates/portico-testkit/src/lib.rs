//! Test support for Portico.
//!
//! Portico talks to an identity provider (Auth0) over HTTP: it creates machine-to-machine
//! clients through the Management API, grants them API audiences, rotates and deletes them,
//! and its gateway validates the RS256 access tokens that Auth0 issues. Tests cannot reach a
//! real tenant, so this crate provides [`auth0::Auth0Emulator`], an in-process double of an
//! Auth0 tenant that reproduces the wire contract written down in
//! `shared/reference/auth0-management-api.md`: the same status codes, the same error bodies,
//! the same token claims, plus switches to inject the failures a real tenant produces
//! (rate limits, 5xx answers, slow answers, outages, key rotation, clock skew).
//!
//! The crate is a dev-dependency only: nothing in it is meant to run in production. The
//! `auth0-emulator` binary serves the same emulator on a fixed port for manual testing.

pub mod auth0;
