//! One TCP connection, shared by the server and the client: a reader task, a writer task fed by
//! a bounded queue, one task per inbound request (or the reader itself for requests the handler
//! answers without waiting, [`Handler::answer_inline`]), and a table of our own outstanding requests
//! keyed by opaque (responses can arrive in any order, requests flow both ways).
//!
//! A frame that cannot be decoded closes the connection (Java `NettyDecoder` catches, logs and
//! closes the channel, whatever failed: length, header JSON, binary header). Inbound responses
//! whose opaque matches nothing are dropped (Java logs a warning). Like Java's
//! `NettyRemotingAbstract.processRequestCommand`, a request beyond the in-flight limit is answered
//! `SYSTEM_BUSY` ("[OVERLOAD]…") and a handler that panics is answered `SYSTEM_ERROR`; oneway
//! requests are never answered. A connection with no traffic either way for the idle timeout
//! (Java `serverChannelMaxIdleTimeSeconds`, 120 s) is closed.
//!
//! An idle connection holds no buffer: the reader waits for readiness and takes a read buffer
//! only when there are bytes (see `read_buf.rs`), the writer gives its frame buffer and the queue's
//! slots back after each burst, and a handler's future never becomes part of a task's resting
//! state. What stays is the two tasks and the shared state, about 2 KiB.

mod counts;
mod queue;
mod read_buf;
mod stream;
mod tasks;
mod writer;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{oneshot, Notify, Semaphore};

pub(crate) use self::counts::{Admitted, Live};
pub use self::counts::{Connections, REFUSAL_LOG_EVERY};
use self::queue::WriteQueue;
pub use self::stream::Stream;
use crate::command::Command;
use crate::error::RemotingError;

/// Frames queued for the writer before senders wait.
const WRITE_QUEUE: usize = 1024;

/// Per-connection behaviour limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionOptions {
    /// Inbound requests being handled at once; more are answered `SYSTEM_BUSY`.
    pub max_in_flight: usize,
    /// Close after this long without reading or writing a frame; `None` = never.
    pub idle_timeout: Option<Duration>,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions {
            // Java's largest processor queue is 100 000 (pull); a suspended pull holds a task here.
            max_in_flight: 65_536,
            idle_timeout: Some(Duration::from_secs(120)),
        }
    }
}

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// Serves requests arriving on a connection (the server's dispatch, or a client's callback for
/// broker→client requests).
pub trait Handler: Send + Sync + 'static {
    /// One call per request, each in its own task (or on the reader, see
    /// [`Handler::answer_inline`]). `Some(reply)` is sent with the request's
    /// opaque, the response flag and the request's serialize type; it is dropped for oneway
    /// requests, which must not be answered.
    fn handle(
        &self,
        conn: &Connection,
        req: Command,
    ) -> impl Future<Output = Option<Command>> + Send;

    /// Whether `req` may be answered on the connection's reader task instead of a task of its
    /// own. Say `true` only for requests whose `handle` finishes without waiting on anything
    /// (it may still wait for room in the reply queue): the connection reads its next frame only
    /// after the reply is queued, so a request that waits (a long-polling pull) would stall every
    /// request behind it. Answering inline saves a task spawn per request and lets the replies
    /// to a burst of pipelined requests leave in one write. Inline requests are not counted
    /// against `max_in_flight`. Default: `false`.
    fn answer_inline(&self, _req: &Command) -> bool {
        false
    }

    /// Called once when the connection is gone.
    fn on_close(&self, _conn: &Connection) {}
}

type Pending = Mutex<HashMap<i32, oneshot::Sender<Command>>>;

struct Inner {
    id: u64,
    peer: SocketAddr,
    queue: WriteQueue,
    pending: Pending,
    /// `true` once the connection is closed; `closing` wakes the tasks waiting for that.
    closed: AtomicBool,
    closing: Notify,
    /// Inbound requests being handled on tasks of their own (`max_in_flight` permits).
    in_flight: Semaphore,
    /// When the connection last read or wrote a frame (ms since `born`), for the idle timeout.
    born: tokio::time::Instant,
    last_io_ms: AtomicU64,
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
    /// Starts the reader and writer tasks of `stream` with default options; requests go to
    /// `handler`.
    pub fn spawn<H: Handler>(stream: TcpStream, handler: Arc<H>) -> std::io::Result<Connection> {
        Connection::spawn_with(stream, handler, ConnectionOptions::default())
    }

    /// Starts the reader and writer tasks of `stream`; requests go to `handler`.
    pub fn spawn_with<H: Handler>(
        stream: TcpStream,
        handler: Arc<H>,
        options: ConnectionOptions,
    ) -> std::io::Result<Connection> {
        let peer = stream.peer_addr()?;
        Connection::spawn_admitted(Stream::Plain(stream), peer, handler, options, None)
    }

    /// As [`Connection::spawn_with`], over a plain or TLS stream, counted in a server's
    /// [`Connections`] until it closes. `peer` comes from `accept`: a peer that sent its requests
    /// and reset the connection before this runs has no address left to ask for, and its
    /// requests are still read and handled.
    pub(crate) fn spawn_admitted<H: Handler>(
        stream: Stream,
        peer: SocketAddr,
        handler: Arc<H>,
        options: ConnectionOptions,
        mut admitted: Option<Admitted>,
    ) -> std::io::Result<Connection> {
        // Java sets TCP_NODELAY on both sides; small request/response frames must not wait.
        stream.tcp().set_nodelay(true)?;
        let conn = Connection {
            inner: Arc::new(Inner {
                id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
                peer,
                queue: WriteQueue::new(WRITE_QUEUE),
                pending: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
                closing: Notify::new(),
                in_flight: Semaphore::new(options.max_in_flight),
                born: tokio::time::Instant::now(),
                last_io_ms: AtomicU64::new(0),
            }),
        };
        if let Some(a) = admitted.as_mut() {
            // Before the reader starts, so that its end always finds the entry to remove.
            a.register(&conn);
        }
        match stream {
            Stream::Plain(tcp) => {
                let (read, write) = tcp.into_split();
                conn.start(read, write, handler, options, admitted);
            }
            Stream::Tls(tls) => {
                let (read, write) = tokio::io::split(*tls);
                conn.start(
                    stream::TlsRead::new(read),
                    write,
                    handler,
                    options,
                    admitted,
                );
            }
        }
        Ok(conn)
    }

    fn start<H: Handler, R: stream::ReadSide, W>(
        &self,
        read: R,
        write: W,
        handler: Arc<H>,
        options: ConnectionOptions,
        admitted: Option<Admitted>,
    ) where
        W: tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        tokio::spawn(tasks::write_loop(write, self.clone()));
        tokio::spawn(tasks::read_loop(
            read,
            self.clone(),
            handler,
            options,
            admitted,
        ));
    }

    /// A connection with no socket: what is sent on it waits in its queue for the owner to take
    /// with [`Connection::next_sent`]. The gRPC endpoint's clients are such connections, held in
    /// the broker's client tables like any remoting client (Java's proxy `GrpcClientChannel`), so
    /// the broker's own requests to them (a transaction check) reach their gRPC stream.
    pub fn detached(peer: SocketAddr) -> Connection {
        Connection {
            inner: Arc::new(Inner {
                id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
                peer,
                queue: WriteQueue::new(WRITE_QUEUE),
                pending: Mutex::new(HashMap::new()),
                closed: AtomicBool::new(false),
                closing: Notify::new(),
                in_flight: Semaphore::new(ConnectionOptions::default().max_in_flight),
                born: tokio::time::Instant::now(),
                last_io_ms: AtomicU64::new(0),
            }),
        }
    }

    /// The next frame sent on a [`Connection::detached`] connection, `None` once it is closed.
    pub async fn next_sent(&self) -> Option<Command> {
        loop {
            if let Some(cmd) = self.inner.queue.pop() {
                return Some(cmd);
            }
            if self.is_closed() {
                return None;
            }
            // A push between the pop and this wait leaves its notification stored.
            tokio::select! {
                _ = self.inner.queue.queued() => {}
                _ = self.wait_closed() => {}
            }
        }
    }

    /// Process-unique id of this connection.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    pub fn peer(&self) -> SocketAddr {
        self.inner.peer
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    /// Closes the connection: the writer stops, outstanding requests fail.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.closing.notify_waiters();
        self.inner.queue.close();
        self.fail_pending();
    }

    /// Returns once the connection is closed.
    async fn wait_closed(&self) {
        loop {
            let notified = self.inner.closing.notified();
            tokio::pin!(notified);
            // Registered before the check, so a close in between still wakes us.
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Queues a frame as is (request, oneway request or response).
    pub async fn send(&self, cmd: Command) -> Result<(), RemotingError> {
        if self.is_closed() {
            return Err(RemotingError::ConnectionClosed);
        }
        self.inner
            .queue
            .push(cmd)
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

    /// Answers a request sent on a [`Connection::detached`] connection, as a response read from
    /// a socket answers one: its owner relays the request elsewhere (a gRPC client's Telemetry
    /// stream) and hands the answer back here. One matching no request is dropped.
    pub fn deliver_response(&self, response: Command) {
        self.complete(response);
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

    fn touch(&self) {
        let ms = self.inner.born.elapsed().as_millis() as u64;
        self.inner.last_io_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// Time since the last frame read or written.
    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.inner.last_io_ms.load(Ordering::Relaxed));
        self.inner.born.elapsed().saturating_sub(last)
    }

    fn fail_pending(&self) {
        // Dropping the senders wakes every waiter with ConnectionClosed.
        self.lock_pending().clear();
    }
}
