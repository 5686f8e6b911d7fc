//! Tests of the store through its public API, on real files.
//!
//! One test binary for the crate: each file here is a module, so the crate and its
//! dependencies are linked once for all of them.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod cleanup;
mod common;
mod confirm;
mod crash;
mod disk_full;
mod replica;
mod store_api;
