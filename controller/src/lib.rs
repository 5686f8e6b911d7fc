//! Thrust's controller: the automatic-failover service of RocketMQ 5.x controller mode,
//! wire-compatible with Java's (`rocketmq-controller` 5.3.3), embedded in `mqnamesrv`
//! (`enableControllerInNamesrv=true`) or standalone (`mqcontroller`).
//!
//! * [`replicas`]: the replicated state (broker sets, broker ids, masters, epochs, sync-state
//!   sets), the requests over it and the events that change it.
//! * [`log`]: the durable event log the state is rebuilt from.
//! * [`heartbeat`]: broker liveness.
//! * [`config`]: `ControllerConfig` keys.
//! * [`server`] / [`dispatch`] / [`handlers`]: the running controller, its one dispatch table
//!   and the request handlers.
//! * [`raft`]: a group of several controllers (`controllerDLegerPeers` with more than one
//!   peer) agreeing through Raft, as Java's DLedger controllers do; one peer is a controller
//!   alone on its own event log. Java's jRaft controller is refused at start-up.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod dispatch;
pub mod error;
pub mod handlers;
pub mod heartbeat;
pub mod log;
pub mod raft;
pub mod replicas;
pub mod server;

pub use config::ControllerConfig;
pub use error::{Error, Result};
pub use server::{start, ConfigState, Controller, Running, Shared};
