//! One TCP connection, shared by the server and the client: a reader task, a writer task fed by
//! a bounded channel, one task per inbound request, and a table of our own outstanding requests
//! keyed by opaque (responses can arrive in any order, requests flow both ways).
//!
//! A frame that cannot be decoded closes the connection (Java `NettyDecoder` catches, logs and
//! closes the channel, whatever failed: length, header JSON, binary header). Inbound responses
//! whose opaque matches nothing are dropped (Java logs a warning).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::codec::RemotingCodec;
use crate::command::Command;
use crate::error::RemotingError;

/// Frames queued for the writer before senders wait.
const WRITE_QUEUE: usize = 1024;

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// Serves requests arriving on a connection (the server's dispatch, or a client's callback for
/// broker→client requests).
pub trait Handler: Send + Sync + 'static {
    /// One call per request, each in its own task. `Some(reply)` is sent with the request's
    /// opaque, the response flag and the request's serialize type; it is dropped for oneway
    /// requests, which must not be answered.
    fn handle(
        &self,
        conn: &Connection,
        req: Command,
    ) -> impl Future<Output = Option<Command>> + Send;

    /// Called once when the connection is gone.
    fn on_close(&self, _conn: &Connection) {}
}

type Pending = Mutex<HashMap<i32, oneshot::Sender<Command>>>;

struct Inner {
    id: u64,
    peer: SocketAddr,
    tx: mpsc::Sender<Command>,
    pending: Pending,
    /// `true` once the connection is closed; the writer and waiters watch it.
    closed: watch::Sender<bool>,
}

/// A cheap, clonable handle to one connection.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.inner.id)
            .field("peer", &self.inner.peer)
            .finish()
    }
}

impl Connection {
    /// Starts the reader and writer tasks of `stream`; requests go to `handler`.
    pub fn spawn<H: Handler>(stream: TcpStream, handler: Arc<H>) -> std::io::Result<Connection> {
        // Java sets TCP_NODELAY on both sides; small request/response frames must not wait.
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let (read, write) = stream.into_split();
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let (closed, closed_rx) = watch::channel(false);
        let conn = Connection {
            inner: Arc::new(Inner {
                id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
                peer,
                tx,
                pending: Mutex::new(HashMap::new()),
                closed,
            }),
        };
        tokio::spawn(write_loop(write, rx, closed_rx, conn.inner.id));
        tokio::spawn(read_loop(read, conn.clone(), handler));
        Ok(conn)
    }

    /// Process-unique id of this connection.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    pub fn peer(&self) -> SocketAddr {
        self.inner.peer
    }

    pub fn is_closed(&self) -> bool {
        *self.inner.closed.borrow()
    }

    /// Closes the connection: the writer stops, outstanding requests fail.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
        self.fail_pending();
    }

    /// Queues a frame as is (request, oneway request or response).
    pub async fn send(&self, cmd: Command) -> Result<(), RemotingError> {
        if self.is_closed() {
            return Err(RemotingError::ConnectionClosed);
        }
        self.inner
            .tx
            .send(cmd)
            .await
            .map_err(|_| RemotingError::ConnectionClosed)
    }

    /// Sends a oneway request (flag bit 1 set here).
    pub async fn send_oneway(&self, cmd: Command) -> Result<(), RemotingError> {
        self.send(cmd.oneway()).await
    }

    /// Sends a two-way request and waits for the response with the same opaque.
    pub async fn request(&self, cmd: Command, timeout: Duration) -> Result<Command, RemotingError> {
        let (code, opaque) = (cmd.code, cmd.opaque);
        let (done, wait) = oneshot::channel();
        self.lock_pending().insert(opaque, done);
        let outcome = tokio::time::timeout(timeout, async {
            self.send(cmd).await?;
            wait.await.map_err(|_| RemotingError::ConnectionClosed)
        })
        .await;
        match outcome {
            Ok(result) => {
                if result.is_err() {
                    self.lock_pending().remove(&opaque);
                }
                result
            }
            Err(_) => {
                self.lock_pending().remove(&opaque);
                Err(RemotingError::Timeout {
                    code,
                    opaque,
                    timeout,
                })
            }
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<i32, oneshot::Sender<Command>>> {
        // A poisoned table only means another task panicked mid-insert; the map is still valid.
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn complete(&self, response: Command) {
        match self.lock_pending().remove(&response.opaque) {
            Some(done) => {
                let _ = done.send(response);
            }
            None => tracing::warn!(
                peer = %self.inner.peer,
                opaque = response.opaque,
                code = response.code,
                "response matches no outstanding request; dropped"
            ),
        }
    }

    fn fail_pending(&self) {
        // Dropping the senders wakes every waiter with ConnectionClosed.
        self.lock_pending().clear();
    }
}

async fn read_loop<H: Handler>(read: OwnedReadHalf, conn: Connection, handler: Arc<H>) {
    let mut frames = FramedRead::new(read, RemotingCodec);
    let mut closed = conn.inner.closed.subscribe();
    loop {
        let next = tokio::select! {
            next = frames.next() => next,
            _ = closed.wait_for(|c| *c) => break,
        };
        match next {
            None => break,
            Some(Err(e)) => {
                tracing::warn!(peer = %conn.peer(), error = %e, "undecodable frame; closing connection");
                break;
            }
            Some(Ok(cmd)) if cmd.is_response() => conn.complete(cmd),
            Some(Ok(cmd)) => {
                tokio::spawn(serve(conn.clone(), handler.clone(), cmd));
            }
        }
    }
    conn.close();
    handler.on_close(&conn);
}

async fn serve<H: Handler>(conn: Connection, handler: Arc<H>, req: Command) {
    let oneway = req.is_oneway();
    let template = Command {
        body: None,
        ..req.clone()
    };
    let reply = handler.handle(&conn, req).await;
    if let (Some(reply), false) = (reply, oneway) {
        // A closed connection has nobody left to answer.
        let _ = conn.send(reply.into_reply_to(&template)).await;
    }
}

async fn write_loop(
    write: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Command>,
    mut closed: watch::Receiver<bool>,
    id: u64,
) {
    let mut sink = FramedWrite::new(write, RemotingCodec);
    loop {
        let cmd = tokio::select! {
            cmd = rx.recv() => cmd,
            _ = closed.wait_for(|c| *c) => None,
        };
        let Some(cmd) = cmd else { break };
        if let Err(e) = feed(&mut sink, cmd).await {
            tracing::debug!(connection = id, error = %e, "write failed; closing connection");
            break;
        }
        // Batch whatever else is already queued into one flush.
        while let Ok(cmd) = rx.try_recv() {
            if feed(&mut sink, cmd).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Writes one frame; a frame too large for the peer's decoder is dropped with an error log (the
/// peer would close the connection on it), anything else is an I/O failure.
async fn feed(
    sink: &mut FramedWrite<OwnedWriteHalf, RemotingCodec>,
    cmd: Command,
) -> Result<(), crate::error::CodecError> {
    let (code, opaque) = (cmd.code, cmd.opaque);
    match sink.feed(cmd).await {
        Err(crate::error::CodecError::FrameTooLarge { length, .. }) => {
            tracing::error!(
                code,
                opaque,
                length,
                "frame larger than the peer accepts; not sent"
            );
            Ok(())
        }
        other => other,
    }
}
