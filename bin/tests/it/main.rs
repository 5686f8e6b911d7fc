//! Tests of the server binaries as users run them: command lines, config files, signals.
//!
//! One test binary for the crate: each file here is a module, so the crate and its
//! dependencies are linked once for all of them.
#![allow(clippy::unwrap_used)]

mod child;
mod mqbroker;
mod mqbroker_disk_full;
mod mqcontroller;
mod mqnamesrv;
