//! Integration tests of the Auth0 emulator, driven over real HTTP as Portico would drive it.
//!
//! One test binary with modules, so the crate links its tests once.

mod binary;
mod faults;
mod grants;
mod lifecycle;
mod management_auth;
mod management_clients;
mod support;
mod token_endpoint;
mod well_known;
