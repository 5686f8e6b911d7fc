//! The Broker issue's compatibility scenarios. Each runs against our stack (`mqnamesrv` +
//! `mqbroker`, release builds) and against Java's (NameServer + broker 5.3.3): the Java run
//! proves the scenario itself is right. Clients are the unmodified Java client 5.3.3 and 4.9.8,
//! the Go client, the C++ client and mqadmin 5.3.3, all finding the broker through the NameServer.
//!
//! ```text
//!   ours: mqnamesrv ── mqbroker "broker-o"      java: NamesrvStartup ── BrokerStartup "broker-j"
//! ```
//! Both stacks are started once per test binary, on first use; every process dies with it.

#[path = "broker/admin.rs"]
mod admin;
#[path = "broker/clients.rs"]
mod clients;
#[path = "broker/common.rs"]
mod common;
#[path = "broker/config.rs"]
mod config;
#[path = "broker/consumers.rs"]
mod consumers;
#[path = "broker/cpp.rs"]
mod cpp;
#[path = "broker/diskfull.rs"]
mod diskfull;
#[path = "broker/durability.rs"]
mod durability;
#[path = "broker/features.rs"]
mod features;
#[path = "broker/limits.rs"]
mod limits;
#[path = "broker/records.rs"]
mod records;
#[path = "broker/takeover.rs"]
mod takeover;
#[path = "broker/takeover498.rs"]
mod takeover498;
