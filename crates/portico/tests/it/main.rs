//! Portico's end-to-end tests: the real binary's wiring, real HTTP, real databases, and the
//! Auth0 emulator standing in for Auth0.

mod bad_input;
mod builtin_idp;
mod demo;
mod failures;
mod journey;
mod key_rotation;
mod readme;
mod support;
