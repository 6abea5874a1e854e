//! Contract snapshots: a change to the public API is always a visible diff.

mod json_errors;
mod openapi;
