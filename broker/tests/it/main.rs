//! Black-box tests of the broker: a real broker on a loopback port, driven over the wire.
//!
//! One test binary for the crate: each file here is a module, so the crate and its
//! dependencies are linked once for all of them.
#![allow(clippy::unwrap_used)]

mod acl;
mod admin;
mod admin_views;
mod bad_input;
mod clients;
mod common;
mod config;
mod connections;
mod metrics;
mod paths;
mod recall;
mod replication;
mod send_pull;
mod transactions;
