//! The Broker: send, pull, consumer groups and offsets, topics, admin requests and registration.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
mod config_keys;
pub mod groups;
pub mod locks;
pub mod offset_table;
pub mod persist;
pub mod props;
pub mod subscription;
pub mod topics;
