//! Integration tests of the Auth0 provider against the in-process Auth0 emulator.

mod clients;
mod discovery;
mod http;
mod registry;
mod resilience;
mod support;
mod verify;
