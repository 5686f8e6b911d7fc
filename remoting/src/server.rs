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
//! TLS ([`Server::with_tls`], see [`crate::tls`]): in `permissive` and `enforcing` mode a new
//! connection waits on a task of its own until its first byte tells TLS from plain, then
//! handshakes (at most [`HANDSHAKE_TIMEOUT`]) or is served or closed; without TLS, or in
//! `disabled` mode, the socket is served at once. The HAProxy PROXY preamble is not implemented:
//! such a connection reads as an oversize frame and is closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::connection::{Admitted, Live, Stream};
pub use crate::connection::{Connection, ConnectionOptions, Connections, Handler};
use crate::tls::{detect, Detected, ServerTls};

/// How long a TLS handshake may take (Netty `SslHandler`'s default handshake timeout).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound, not yet running server.
pub struct Server<H: Handler> {
    listener: TcpListener,
    handler: Arc<H>,
    options: ConnectionOptions,
    connections: Arc<Connections>,
    live: Arc<Live>,
    tls: Option<Arc<ServerTls>>,
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
            tls: None,
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

    /// Serves TLS connections as `tls`'s mode says (none: plain connections only).
    pub fn with_tls(mut self, tls: Arc<ServerTls>) -> Self {
        self.tls = Some(tls);
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
            match self.tls.as_ref().filter(|t| t.detecting().is_some()) {
                Some(tls) => {
                    let accept = Accept {
                        tls: tls.clone(),
                        options: self.options,
                        stop: self.shutdown.subscribe(),
                    };
                    tokio::spawn(accept.run(stream, peer, handler, admitted));
                }
                None => spawn(Stream::Plain(stream), peer, handler, self.options, admitted),
            }
        }
        self.live.close_all();
    }
}

fn spawn<H: Handler>(
    stream: Stream,
    peer: SocketAddr,
    handler: Arc<H>,
    options: ConnectionOptions,
    admitted: Option<Admitted>,
) {
    if let Err(e) = Connection::spawn_admitted(stream, peer, handler, options, admitted) {
        tracing::warn!(error = %e, "connection setup failed");
    }
}

/// A new connection of a server that tells TLS from plain (Java `TlsModeHandler`).
struct Accept {
    tls: Arc<ServerTls>,
    options: ConnectionOptions,
    stop: watch::Receiver<bool>,
}

impl Accept {
    async fn run<H: Handler>(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        handler: Arc<H>,
        admitted: Option<Admitted>,
    ) {
        let Accept {
            tls,
            options,
            mut stop,
        } = self;
        let stream = tokio::select! {
            stream = classify(&tls, options, stream, peer) => stream,
            _ = stop.wait_for(|s| *s) => None,
        };
        // A connection refused or lost here gives its place back as `admitted` drops.
        if let Some(stream) = stream {
            spawn(stream, peer, handler, options, admitted);
        }
    }
}

/// Waits for the first byte (at most the idle timeout) and handshakes if it starts TLS.
async fn classify(
    tls: &ServerTls,
    options: ConnectionOptions,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<Stream> {
    classify_stream(tls, options.idle_timeout, stream, peer).await
}

/// What an accepted connection is by its first byte (waited for at most `idle`): TLS after its
/// handshake, plain, or closed (`None`). For servers of other protocols in the same modes, as
/// the gRPC endpoint is.
pub async fn classify_stream(
    tls: &ServerTls,
    idle: Option<Duration>,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<Stream> {
    let mut first = [0u8; 1];
    let wait = idle.unwrap_or(Duration::MAX / 4);
    match tokio::time::timeout(wait, stream.peek(&mut first)).await {
        Ok(Ok(1..)) => {}
        // Closed, failed or silent before sending anything.
        _ => return None,
    }
    match detect(tls.mode(), first[0]) {
        Detected::Plain => Some(Stream::Plain(stream)),
        Detected::Refuse => {
            tracing::warn!(%peer, mode = tls.mode().name(),
                    "a client intends to establish an insecure connection while this server is in TLS enforcing mode; closed");
            None
        }
        // Boxed: a connection waiting for its first byte does not carry the handshake's state.
        Detected::Tls => Box::pin(handshake(tls.detecting()?, stream, peer)).await,
    }
}

/// The server side of the TLS handshake, at most [`HANDSHAKE_TIMEOUT`].
async fn handshake(
    acceptor: &tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
) -> Option<Stream> {
    // The handshake's small flights must not wait for ACKs either.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(%peer, error = %e, "TCP_NODELAY failed; closed");
        return None;
    }
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(Stream::Tls(Box::new(tls.into()))),
        Ok(Err(e)) => {
            tracing::warn!(%peer, error = %e, "TLS handshake failed; closed");
            None
        }
        Err(_) => {
            tracing::warn!(%peer, "TLS handshake timed out; closed");
            None
        }
    }
}
