//! The gRPC endpoint of the RocketMQ 5.x SDKs (apache/rocketmq-apis `MessagingService`), served
//! inside the broker like Java's proxy in local mode (`mqbroker --enable-proxy`, Java
//! `GrpcMessagingApplication` over `LocalMessageService`): each call becomes the broker's own
//! remoting request, built here and run through [`crate::dispatch`] in-process, so send, POP,
//! ack and the transaction end keep the broker's semantics and checks.
//!
//! ```text
//!  5.x SDK ──HTTP/2 gRPC──▶ server.rs (path → handler)
//!     QueryRoute / QueryAssignment        route.rs      this broker's queues, this endpoint
//!     Heartbeat / Telemetry / NotifyClientTermination
//!                                         clients.rs    HEART_BEAT on a detached connection
//!     SendMessage / EndTransaction /      producer.rs   SEND_MESSAGE_V2 / END_TRANSACTION /
//!     RecallMessage                                     RECALL_MESSAGE
//!     ReceiveMessage / AckMessage / ChangeInvisibleDuration / ForwardMessageToDeadLetterQueue
//!                                         consumer.rs   POP_MESSAGE / ACK_MESSAGE /
//!                                                       CHANGE_MESSAGE_INVISIBLETIME /
//!                                                       CONSUMER_SEND_MSG_BACK
//!  broker ──CHECK_TRANSACTION_STATE──▶ detached connection ──▶ Telemetry stream
//!                                        (RecoverOrphanedTransactionCommand)
//!  broker ──GET_CONSUMER_RUNNING_INFO / CONSUME_MESSAGE_DIRECTLY──▶ relay.rs ──▶ Telemetry
//!                                        (PrintThreadStackTraceCommand / VerifyMessageCommand,
//!                                         the client's answer completes the broker's request)
//! ```
//!
//! Each gRPC client (`x-mq-client-id`) is one detached [`remoting::Connection`] registered in
//! the broker's client tables by a HEART_BEAT, as Java's proxy registers a `GrpcClientChannel`:
//! the broker's requests to it arrive in that connection's queue and go out on the client's
//! Telemetry stream. Receipt handles are Java's (`ReceiptHandle`: the POP check-point info and
//! the CommitLog offset), so an SDK may move between Thrust and Java's proxy.
//!
//! Where it stops: the broker's ACL 1.0 and 5.x auth are not applied to gRPC calls, so the
//! endpoint refuses to start on a broker that has them on. TLS as Java's proxy: in the process's
//! `tls.server.mode`, permissive by default (a connection's first byte tells TLS from plain
//! text), with a certificate of its own in test mode. The
//! `PullMessage`, `UpdateOffset`, `GetOffset`, `QueryOffset` and lite-topic calls answer
//! UNIMPLEMENTED, as Java 5.3.3's proxy does (it implements none of them).

pub mod clients;
pub mod config;
pub mod consumer;
pub mod context;
pub mod convert;
pub mod producer;
pub mod proto;
pub mod relay;
pub mod route;
pub mod server;

use std::sync::Arc;

use tokio::sync::Notify;

pub use config::ProxyConfig;

use crate::broker::Broker;

/// The endpoint's shared state; every handler gets `&Arc<Endpoint>`.
pub struct Endpoint {
    pub broker: Arc<Broker>,
    pub config: ProxyConfig,
    pub clients: clients::Clients,
    pub transactions: producer::Transactions,
    pub renewals: consumer::Renewals,
    /// The broker's questions to clients awaiting their Telemetry answers.
    pub relays: relay::Relays,
    /// The port the endpoint listens on, which routes name.
    pub port: u16,
    tls: Arc<remoting::tls::ServerTls>,
    stop: Notify,
}

/// A started endpoint.
pub struct RunningEndpoint {
    pub endpoint: Arc<Endpoint>,
    /// The bound port (the one asked for, or the actual one when 0 was asked).
    pub port: u16,
}

impl RunningEndpoint {
    /// Stops accepting; calls in flight end with their connections.
    pub fn shutdown(&self) {
        self.endpoint.stop.notify_waiters();
        self.endpoint.renewals.stop();
    }
}

/// Binds `host:grpcServerPort` and serves. Refused on a broker whose ACL or auth is on (the
/// endpoint would let every client past them) and for a config the broker's own contradicts.
/// Boxed like `broker::start`: the endpoint's whole call stack then compiles once, here, and not
/// again in every program that starts it.
#[inline(never)]
pub fn start(
    broker: Arc<Broker>,
    config: ProxyConfig,
    host: &str,
) -> remoting::BoxFuture<Result<RunningEndpoint, String>> {
    Box::pin(boot(broker, config, host.to_string()))
}

async fn boot(
    broker: Arc<Broker>,
    config: ProxyConfig,
    host: String,
) -> Result<RunningEndpoint, String> {
    if broker.acl.is_some() || broker.auth.is_some() {
        return Err(
            "the gRPC endpoint does not apply the broker's ACL (aclEnable) or 5.x auth \
                    (authenticationEnabled, authorizationEnabled) to its calls: turn them off or \
                    start the broker without --enable-proxy"
                .into(),
        );
    }
    config.check_for(&broker.config().broker_cluster_name)?;
    let (key, cert) = config.tls_paths();
    let tls = remoting::tls::ServerTls::grpc(config.tls_test_mode_enable, &cert, &key)
        .map_err(|e| format!("gRPC endpoint TLS: {e}"))?;
    let addr = format!("{host}:{}", config.grpc_server_port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("gRPC endpoint: cannot listen on {addr}: {e}"))?;
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(config.grpc_server_port);
    let endpoint = Arc::new(Endpoint {
        broker,
        config,
        clients: clients::Clients::default(),
        transactions: producer::Transactions::default(),
        renewals: consumer::Renewals::default(),
        relays: relay::Relays::default(),
        port,
        tls: Arc::new(tls),
        stop: Notify::new(),
    });
    tokio::spawn(server::accept(endpoint.clone(), listener));
    consumer::spawn_renewals(&endpoint);
    Ok(RunningEndpoint { endpoint, port })
}
