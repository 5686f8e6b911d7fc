//! The Broker: send, pull, consumer groups and offsets, topics, admin requests and registration.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod admin;
pub mod admin_views;
pub mod auth;
pub mod broker;
pub mod client_table;
pub mod clients;
pub mod cold_data;
pub mod config;
mod config_keys;
mod config_reasons;
mod config_values;
pub mod consumer_admin;
pub mod controller;
pub mod dispatch;
pub mod error;
pub mod feature_off;
pub mod groups;
pub mod grpc;
pub mod ha;
pub mod locks;
pub mod metrics;
pub mod offset_table;
pub mod offsets;
pub mod persist;
pub mod pop;
pub mod pull;
pub mod queries;
pub mod recall;
pub mod register;
pub mod reply;
pub mod request_mode;
pub mod runtime_info;
pub mod schedule;
pub mod send;
pub mod stats_items;
pub mod storage;
pub mod store_admin;
pub mod subscription;
pub mod timer;
pub mod topics;
pub mod topics_admin;
pub mod transaction;

pub use broker::{start, Broker, RunningBroker, StartError};
pub use config::BrokerConfig;
