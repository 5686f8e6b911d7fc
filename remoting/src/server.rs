//! The remoting server: accepts TCP connections and runs each one as a [`Connection`] whose
//! requests go to a [`Handler`] (one task per request, or the reader for requests answered
//! without waiting, so requests pipeline and replies leave in completion order). The server can also call its clients over their own connection
//! ([`Connection::request`], [`Connection::send_oneway`]).
//!
//! Connection limit: a connection accepted while [`Connections::max`] are open is closed at once
//! (counted and logged, see [`Connections`]); the ones already open are not affected.
//!
//! Bad input: a frame that cannot be framed or whose header cannot be decoded closes only that
//! connection, as Java's `NettyDecoder` does (it catches every decode exception and closes the
//! channel; no error reply is possible because the opaque is part of the header). An unknown
//! request code is the handler's business (answer `REQUEST_CODE_NOT_SUPPORTED`).
//!
//! Plain TCP only: Java's "permissive" TLS (a first byte `0x16` starts a TLS handshake) and the
//! HAProxy PROXY preamble are not implemented; such a connection reads as an oversize frame and is
//! closed. Java and Go clients use plaintext by default.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::connection::Live;
pub use crate::connection::{Connection, ConnectionOptions, Connections, Handler};

/// A bound, not yet running server.
pub struct Server<H: Handler> {
    listener: TcpListener,
    handler: Arc<H>,
    options: ConnectionOptions,
    connections: Arc<Connections>,
    live: Arc<Live>,
    shutdown: watch::Sender<bool>,
}

/// Stops a spawned server: no new connections are accepted and live ones are closed.
#[derive(Clone)]
pub struct ShutdownHandle {
    shutdown: watch::Sender<bool>,
}

impl ShutdownHandle {
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl<H: Handler> Server<H> {
    /// Binds `addr` (use port 0 for an ephemeral port in tests).
    pub async fn bind(addr: impl ToSocketAddrs, handler: Arc<H>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let (shutdown, _) = watch::channel(false);
        Ok(Server {
            listener,
            handler,
            options: ConnectionOptions::default(),
            connections: Arc::default(),
            live: Arc::default(),
            shutdown,
        })
    }

    /// Per-connection limits (in-flight requests, idle timeout) for connections accepted later.
    pub fn with_options(mut self, options: ConnectionOptions) -> Self {
        self.options = options;
        self
    }

    /// Counts this server's connections in `connections` and accepts no more than its limit;
    /// other servers may share it.
    pub fn with_connections(mut self, connections: Arc<Connections>) -> Self {
        self.connections = connections;
        self
    }

    /// The counts of this server's connections (open, holding a read buffer, refused).
    pub fn connections(&self) -> Arc<Connections> {
        self.connections.clone()
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shutdown: self.shutdown.clone(),
        }
    }

    /// Runs the server on a new task; returns its shutdown handle and the task.
    pub fn spawn(self) -> (ShutdownHandle, JoinHandle<()>) {
        let handle = self.shutdown_handle();
        (handle, tokio::spawn(self.run()))
    }

    /// Accepts connections until shut down.
    pub async fn run(self) {
        let mut stop = self.shutdown.subscribe();
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = stop.wait_for(|s| *s) => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Per-connection accept errors (e.g. reset before accept, fd exhaustion)
                    // must not stop the server.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let Some(admitted) = self.connections.admit(&self.live) else {
                self.connections.refuse(peer);
                // Closes the socket before anything is set up for it.
                drop(stream);
                continue;
            };
            let admitted = Some(admitted);
            let handler = self.handler.clone();
            if let Err(e) =
                Connection::spawn_admitted(stream, peer, handler, self.options, admitted)
            {
                tracing::warn!(error = %e, "connection setup failed");
            }
        }
        self.live.close_all();
    }
}
