//! RocketMQ remoting: `RemotingCommand` framing, JSON and ROCKETMQ headers, request and response
//! codes, typed custom headers, fastjson-compatible bodies, and a tokio server and client.
//!
//! Layers, bottom up: [`command`] (the value), [`codec`] (sans-IO bytes ↔ command), [`header`] /
//! [`headers`] (typed ext fields), [`body`] (JSON bodies and fastjson quirks), [`connection`]
//! (one socket's tasks, plain or TLS), [`server`] and [`client`], [`tls`] (Java's TLS modes and
//! keys); beside them [`props`] (Java `.properties`
//! text), [`jfmt`] (numbers as Java prints them) and [`config_effect`] (what each config key
//! does in Thrust).
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use remoting::code::{request, response};
//! use remoting::headers::{GetKVConfigRequestHeader, GetKVConfigResponseHeader};
//! use remoting::{Client, Command, Connection, Handler, Server};
//!
//! struct Kv;
//!
//! impl Handler for Kv {
//!     async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
//!         Some(match req.code {
//!             request::GET_KV_CONFIG => match req.decode_header::<GetKVConfigRequestHeader>() {
//!                 Ok(h) => Command::response(response::SUCCESS, None)
//!                     .with_header(&GetKVConfigResponseHeader { value: Some(h.key) }),
//!                 Err(e) => e.to_response(),
//!             },
//!             code => Command::response(
//!                 response::REQUEST_CODE_NOT_SUPPORTED,
//!                 format!(" request type {code} not supported"),
//!             ),
//!         })
//!     }
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::bind("127.0.0.1:0", Arc::new(Kv)).await?;
//! let addr = server.local_addr()?.to_string();
//! let (shutdown, _task) = server.spawn();
//!
//! let client = Client::new();
//! let req = Command::request(request::GET_KV_CONFIG).with_header(&GetKVConfigRequestHeader {
//!     namespace: "ORDER_TOPIC_CONFIG".into(),
//!     key: "TopicTest".into(),
//! });
//! let reply = client.invoke(&addr, req, Duration::from_secs(3)).await?;
//! let value = reply.decode_header::<GetKVConfigResponseHeader>()?.value;
//! shutdown.shutdown();
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod body;
pub mod client;
pub mod code;
pub mod codec;
pub mod command;
pub mod config_effect;
mod config_keys;
pub mod connection;
pub mod error;
mod ext;
pub mod header;
pub mod headers;
pub mod java_opts;
pub mod jfmt;
pub mod props;
pub mod reject;
pub mod server;
pub mod tls;

#[doc(hidden)]
pub mod testutil;

pub use client::Client;
pub use command::{Command, ExtFields, LanguageCode, SerializeType};
pub use connection::{Connection, ConnectionOptions, Connections, Handler};
pub use error::{BodyError, CodecError, HeaderError, RemotingError};
pub use header::CustomHeader;
pub use reject::Reject;
pub use server::Server;

/// What a server crate's `start` and `shutdown` return. They box their `async` body because
/// rustc compiles an `async fn`'s body in every crate that awaits it: unboxed, each program and
/// test binary that starts a server compiled that server's whole request path again.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;
