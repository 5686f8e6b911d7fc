//! The remoting client: one lazily opened connection per address, reopened after a failure;
//! requests are correlated by opaque and each call has its own timeout. Used for broker →
//! NameServer calls and in tests. With [`Client::with_tls`] every connection starts with a TLS
//! handshake (Java `NettyRemotingClient` with `useTLS`), within the connect timeout.
//!
//! Requests the peer sends to us over the connection (e.g. a broker's
//! NOTIFY_CONSUMER_IDS_CHANGED) go to the client's [`Handler`]; the default one answers
//! `REQUEST_CODE_NOT_SUPPORTED` like a Java process without a processor for the code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;

use crate::code::response;
use crate::command::Command;
use crate::connection::{Connection, ConnectionOptions, Handler, Stream};
use crate::error::RemotingError;
use crate::tls::ClientTls;

/// Answers every request with `REQUEST_CODE_NOT_SUPPORTED`.
#[derive(Debug, Default)]
pub struct NotSupported;

impl Handler for NotSupported {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        let remark = format!(" request type {} not supported", req.code);
        Some(Command::response(
            response::REQUEST_CODE_NOT_SUPPORTED,
            remark,
        ))
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// Adds credentials to each request sent (Java's client `RPCHook.doBeforeRequest`).
pub type Signer = Arc<dyn Fn(&mut Command) + Send + Sync>;

/// A connection pool keyed by `"host:port"`.
pub struct Client<H: Handler = NotSupported> {
    handler: Arc<H>,
    options: ConnectionOptions,
    tls: Option<Arc<ClientTls>>,
    signer: Option<Signer>,
    slots: Mutex<HashMap<String, Slot>>,
}

impl Default for Client<NotSupported> {
    fn default() -> Self {
        Client::new()
    }
}

impl Client<NotSupported> {
    pub fn new() -> Self {
        Client::with_handler(Arc::new(NotSupported))
    }
}

impl<H: Handler> Client<H> {
    /// A client whose connections pass inbound requests to `handler`.
    pub fn with_handler(handler: Arc<H>) -> Self {
        Client {
            handler,
            options: ConnectionOptions::default(),
            tls: None,
            signer: None,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Limits (idle timeout, in-flight requests) for connections opened from now on.
    pub fn with_options(mut self, options: ConnectionOptions) -> Self {
        self.options = options;
        self
    }

    /// Opens connections over TLS when `tls` is set.
    pub fn with_tls(mut self, tls: Option<Arc<ClientTls>>) -> Self {
        self.tls = tls;
        self
    }

    /// Signs every request sent through [`Client::invoke`] and [`Client::invoke_oneway`].
    pub fn with_signer(mut self, signer: Option<Signer>) -> Self {
        self.signer = signer;
        self
    }

    fn signed(&self, mut cmd: Command) -> Command {
        if let Some(sign) = &self.signer {
            sign(&mut cmd);
        }
        cmd
    }

    /// Sends a two-way request to `addr` and waits at most `timeout` (connecting included).
    pub async fn invoke(
        &self,
        addr: &str,
        cmd: Command,
        timeout: Duration,
    ) -> Result<Command, RemotingError> {
        let cmd = self.signed(cmd);
        let started = tokio::time::Instant::now();
        let conn = self.connection(addr, timeout).await?;
        let left = timeout.saturating_sub(started.elapsed());
        conn.request(cmd, left).await
    }

    /// Sends a oneway request to `addr`.
    pub async fn invoke_oneway(&self, addr: &str, cmd: Command) -> Result<(), RemotingError> {
        const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
        let cmd = self.signed(cmd);
        self.connection(addr, CONNECT_TIMEOUT)
            .await?
            .send_oneway(cmd)
            .await
    }

    /// The live connection to `addr`, opened now if there is none or the last one closed.
    pub async fn connection(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<Connection, RemotingError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(addr.to_owned()).or_default().clone()
        };
        // Per-address lock: concurrent callers share one connect; other addresses don't wait.
        let mut guard = slot.lock().await;
        if let Some(conn) = guard.as_ref().filter(|c| !c.is_closed()) {
            return Ok(conn.clone());
        }
        let stream = match tokio::time::timeout(timeout, self.open(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => {
                return Err(RemotingError::Connect {
                    addr: addr.to_owned(),
                    source,
                })
            }
            Err(_) => {
                return Err(RemotingError::ConnectTimeout {
                    addr: addr.to_owned(),
                    timeout,
                })
            }
        };
        let peer = stream.tcp().peer_addr();
        let conn = peer
            .and_then(|peer| {
                Connection::spawn_admitted(stream, peer, self.handler.clone(), self.options, None)
            })
            .map_err(|source| RemotingError::Connect {
                addr: addr.to_owned(),
                source,
            })?;
        *guard = Some(conn.clone());
        Ok(conn)
    }

    /// Connects to `addr` and, with TLS, handshakes. The server's certificate is checked as
    /// [`ClientTls`] says; the name sent is the address's host (an IP address sends none).
    async fn open(&self, addr: &str) -> std::io::Result<Stream> {
        let tcp = TcpStream::connect(addr).await?;
        let Some(tls) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        // The handshake's small flights must not wait for ACKs either.
        tcp.set_nodelay(true)?;
        let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let stream = tls.connector.connect(name, tcp).await?;
        Ok(Stream::Tls(Box::new(stream.into())))
    }

    /// Closes and forgets the connection to `addr`, if any.
    pub fn close(&self, addr: &str) {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(addr);
        if let Some(slot) = slot {
            if let Ok(guard) = slot.try_lock() {
                if let Some(conn) = guard.as_ref() {
                    conn.close();
                }
            }
        }
    }
}

impl<H: Handler> Drop for Client<H> {
    fn drop(&mut self) {
        let slots = std::mem::take(&mut *self.slots.lock().unwrap_or_else(|e| e.into_inner()));
        for slot in slots.into_values() {
            if let Ok(guard) = slot.try_lock() {
                if let Some(conn) = guard.as_ref() {
                    conn.close();
                }
            }
        }
    }
}
