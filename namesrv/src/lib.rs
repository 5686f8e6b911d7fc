//! The NameServer: a route registry of brokers, topics, clusters and KV config, wire-compatible
//! with Apache RocketMQ's `mqnamesrv` (4.9.8 and 5.3.3).
//!
//! * [`route`]: the route tables under one lock (Java `RouteInfoManager`).
//! * [`kv`]: the persisted KV config (Java `KVConfigManager`).
//! * [`body`]: the JSON/binary bodies, byte-compatible with Java's fastjson output.
//! * [`config`]: `NamesrvConfig` keys (their properties text is `remoting::props`).
//! * [`server`] / [`dispatch`] / [`handlers`]: the running server, its one dispatch table and
//!   the request handlers.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod body;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod handlers;
pub mod kv;
pub mod route;
pub mod server;

pub use config::NamesrvConfig;
pub use error::{Error, Result};
pub use kv::KvConfigManager;
pub use route::RouteInfoManager;
pub use server::{start, ConfigState, NameServer, Running};
