//! End-to-end tests of the gateway against the Auth0 emulator, a real SQLite store and a
//! real upstream HTTP server, all started in-process on ephemeral ports.

mod access;
mod bad_input;
mod changes;
mod idp;
mod refusals;
mod support;
mod upstream_errors;
