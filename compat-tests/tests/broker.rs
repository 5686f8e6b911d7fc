//! The Broker issue's compatibility scenarios. Each runs against our stack (`mqnamesrv` +
//! `mqbroker`, release builds) and against Java's (NameServer + broker 5.3.3): the Java run
//! proves the scenario itself is right. Clients are the unmodified Java client 5.3.3 and 4.9.8,
//! the Go client, the C++ client and mqadmin 5.3.3, all finding the broker through the NameServer.
//!
//! ```text
//!   ours: mqnamesrv ── mqbroker "broker-o"      java: NamesrvStartup ── BrokerStartup "broker-j"
//! ```
//! Both stacks are started once per test binary, on first use; every process dies with it.

mod acl;
mod admin;
mod auth;
mod clients;
mod common;
mod config;
mod consumers;
mod cpp;
mod diskfull;
mod durability;
mod failover;
mod features;
mod grpc;
mod grpc_sdks;
mod ha;
mod limits;
mod metrics;
mod mqadmin;
mod mqadmin_admin;
mod mqadmin_env;
mod mqadmin_norm;
mod pop;
mod records;
mod recovery;
mod takeover;
mod takeover498;
mod tls;
