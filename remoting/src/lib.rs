//! RocketMQ remoting: `RemotingCommand` framing, JSON and ROCKETMQ headers, request and response
//! codes, typed custom headers, fastjson-compatible bodies, and a tokio server and client.
//!
//! Layers, bottom up: [`command`] (the value), [`codec`] (sans-IO bytes ↔ command), [`header`] /
//! [`headers`] (typed ext fields), [`body`] (JSON bodies), [`connection`] (one socket's tasks),
//! [`server`] and [`client`].

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod body;
pub mod client;
pub mod code;
pub mod codec;
pub mod command;
pub mod connection;
pub mod error;
pub mod header;
pub mod headers;
pub mod server;

pub use client::Client;
pub use command::{Command, ExtFields, LanguageCode, SerializeType};
pub use connection::{Connection, ConnectionOptions, Handler};
pub use error::{BodyError, CodecError, HeaderError, RemotingError};
pub use header::CustomHeader;
pub use server::Server;
