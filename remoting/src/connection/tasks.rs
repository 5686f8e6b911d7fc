//! The tasks behind a [`Connection`]: the reader (frames in, requests dispatched, responses
//! matched), one task per request, and the writer (frames out, batched flushes).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures::FutureExt;
use tokio::io::AsyncReadExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_util::codec::Decoder;

use super::writer::FrameWriter;

use super::{Connection, ConnectionOptions, Handler};
use crate::code::response;
use crate::codec::RemotingCodec;
use crate::command::{Command, FLAG_RESPONSE};
use crate::error::CodecError;

/// Bytes the reader asks the socket for at least (a burst of pipelined requests fits). 64 KiB
/// was measured with 32 producer threads sending 1 KiB messages: no fewer reads per message
/// (requests arrive in small bursts), only more memory per connection, so it stays at 16 KiB.
const READ_CHUNK: usize = 16 * 1024;

enum Event {
    Read(std::io::Result<usize>),
    Closed,
    IdleCheck,
}

/// Reads frames and answers them. Every complete frame already buffered is handled before the
/// socket is read again, so a burst of pipelined requests costs one read, and (with inline
/// handlers, see [`Handler::answer_inline`]) its replies are queued together for one write.
pub(super) async fn read_loop<H: Handler>(
    mut read: OwnedReadHalf,
    conn: Connection,
    handler: Arc<H>,
    options: ConnectionOptions,
) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut closed = conn.inner.closed.subscribe();
    let in_flight = Arc::new(Semaphore::new(options.max_in_flight));
    // One timer for the connection's life, re-armed when it fires: creating a timer per read
    // would cost a timer-wheel registration each time.
    let idle = tokio::time::sleep(options.idle_timeout.unwrap_or(Duration::MAX / 4));
    tokio::pin!(idle);
    tracing::debug!(peer = %conn.peer(), connection = conn.id(), "connection open");
    'conn: loop {
        loop {
            match RemotingCodec.decode(&mut buf) {
                Ok(Some(cmd)) if cmd.is_response() => conn.complete(cmd),
                Ok(Some(cmd)) => dispatch(&conn, &handler, &in_flight, cmd).await,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(peer = %conn.peer(), error = %e, "undecodable frame; closing connection");
                    break 'conn;
                }
            }
        }
        buf.reserve(READ_CHUNK);
        let event = tokio::select! {
            n = read.read_buf(&mut buf) => Event::Read(n),
            _ = closed.wait_for(|c| *c) => Event::Closed,
            _ = &mut idle, if options.idle_timeout.is_some() => Event::IdleCheck,
        };
        match event {
            Event::Closed | Event::Read(Ok(0)) => break,
            Event::Read(Ok(_)) => conn.touch(),
            Event::Read(Err(e)) => {
                tracing::debug!(peer = %conn.peer(), error = %e, "read failed; closing connection");
                break;
            }
            Event::IdleCheck => {
                let timeout = options.idle_timeout.unwrap_or_default();
                let left = timeout.saturating_sub(conn.idle_for());
                if left.is_zero() {
                    tracing::info!(peer = %conn.peer(), "connection idle too long; closing");
                    break;
                }
                idle.as_mut().reset(tokio::time::Instant::now() + left);
            }
        }
    }
    conn.close();
    tracing::debug!(peer = %conn.peer(), connection = conn.id(), "connection closed");
    handler.on_close(&conn);
}

/// Answers the request on the reader when the handler says it may, otherwise on its own task,
/// or answers SYSTEM_BUSY when too many are in flight.
async fn dispatch<H: Handler>(
    conn: &Connection,
    handler: &Arc<H>,
    in_flight: &Arc<Semaphore>,
    req: Command,
) {
    if handler.answer_inline(&req) {
        return answer(conn, handler.as_ref(), req).await;
    }
    match in_flight.clone().try_acquire_owned() {
        Ok(permit) => {
            let (conn, handler) = (conn.clone(), handler.clone());
            tokio::spawn(async move {
                answer(&conn, handler.as_ref(), req).await;
                drop(permit);
            });
        }
        Err(_) if req.is_oneway() => {
            tracing::warn!(peer = %conn.peer(), code = req.code, "too many requests; oneway request dropped");
        }
        Err(_) => {
            let busy = Command::response(
                response::SYSTEM_BUSY,
                "[OVERLOAD]system busy, start flow control for a while".to_owned(),
            );
            let _ = conn.send(busy.into_reply_to(&req)).await;
        }
    }
}

/// Runs the handler and queues its reply (unless oneway); a panic is answered SYSTEM_ERROR.
async fn answer<H: Handler>(conn: &Connection, handler: &H, req: Command) {
    let oneway = req.is_oneway();
    let (code, opaque, serialize_type) = (req.code, req.opaque, req.serialize_type);
    let reply = match AssertUnwindSafe(handler.handle(conn, req))
        .catch_unwind()
        .await
    {
        Ok(reply) => reply,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            tracing::error!(peer = %conn.peer(), code, panic = %what, "request handler panicked");
            Some(Command::response(
                response::SYSTEM_ERROR,
                format!("internal error while processing request code {code}: {what}"),
            ))
        }
    };
    if let (Some(mut reply), false) = (reply, oneway) {
        // As `Command::into_reply_to`, from the three fields kept of the consumed request.
        reply.opaque = opaque;
        reply.flag |= FLAG_RESPONSE;
        reply.serialize_type = serialize_type;
        // A closed connection has nobody left to answer.
        let _ = conn.send(reply).await;
    }
}

pub(super) async fn write_loop(
    write: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Command>,
    mut closed: watch::Receiver<bool>,
    conn: Connection,
) {
    let mut out = FrameWriter::new(write);
    loop {
        let cmd = tokio::select! {
            cmd = rx.recv() => cmd,
            _ = closed.wait_for(|c| *c) => None,
        };
        let Some(cmd) = cmd else { break };
        push(&mut out, cmd);
        // Batch whatever else is already queued into one vectored write.
        while out.pending() < BATCH_BYTES {
            let Ok(cmd) = rx.try_recv() else { break };
            push(&mut out, cmd);
        }
        if let Err(e) = out.flush().await {
            tracing::debug!(peer = %conn.peer(), error = %e, "write failed; closing connection");
            break;
        }
        conn.touch();
    }
    conn.close();
    let _ = out.shutdown().await;
}

/// Stop batching queued frames once this much is waiting to be written.
const BATCH_BYTES: usize = 1024 * 1024;

/// Queues one frame. A frame too large for the peer's decoder (which would close the connection
/// on it) is not sent: a response is replaced by a `SYSTEM_ERROR` response with the same opaque so
/// the caller learns why, a request is dropped with an error log.
fn push(out: &mut FrameWriter, cmd: Command) {
    let Err(CodecError::FrameTooLarge { length, max }) = out.push(&cmd) else {
        return;
    };
    tracing::error!(
        code = cmd.code,
        opaque = cmd.opaque,
        length,
        "frame larger than the peer accepts; not sent"
    );
    if cmd.is_response() {
        let remark = format!("response of {length} bytes exceeds the {max}-byte frame limit");
        let mut error = Command::response(response::SYSTEM_ERROR, remark);
        error.opaque = cmd.opaque;
        error.serialize_type = cmd.serialize_type;
        // A bare error response is far below the limit.
        let _ = out.push(&error);
    }
}
