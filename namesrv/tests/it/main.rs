//! Black-box tests of the NameServer: a real NameServer on a loopback port, driven over the wire.
//!
//! One test binary for the crate: each file here is a module, so the crate and its
//! dependencies are linked once for all of them.
#![allow(clippy::unwrap_used)]

mod admin;
mod common;
mod config;
mod connections;
mod routes;
