//! Harness that drives the real Java and Go RocketMQ clients, `mqadmin` and the Java servers
//! against Thrust and against the Java reference, side by side.
//!
//! `compat-tests/setup.sh` fetches the Maven artifacts and builds the drivers into `.cache/`;
//! the tests in `tests/` use this library to start servers ([`servers`]), run tools and drivers
//! ([`tools`]) with shared message traffic ([`traffic`]) under time limits ([`process`]), wait for conditions ([`wait`]), and read NameServer state directly ([`wire`]).
//! Every process is tied to the test process's life by `scripts/supervise.sh` or `timeout(1)`.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod admin_server;
pub mod env;
pub mod ports;
pub mod process;
pub mod rss;
pub mod scenario;
pub mod servers;
pub mod tools;
pub mod traffic;
pub mod wait;
pub mod wire;
pub mod world;
