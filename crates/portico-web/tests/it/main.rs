//! Contract snapshots (a change to the public API is always a visible diff) and the pages
//! tested without a browser.

mod json_errors;
mod openapi;
mod pages;
