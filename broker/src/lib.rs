//! The Broker: send, pull, consumer groups and offsets, topics, admin requests and registration.

pub mod config;
mod config_keys;
pub mod props;
