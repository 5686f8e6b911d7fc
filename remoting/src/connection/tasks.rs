//! The tasks behind a [`Connection`]: the reader (frames in, requests dispatched, responses
//! matched), one task per request, and the writer (frames out, batched flushes).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::{FutureExt, StreamExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio_util::codec::FramedRead;

use super::writer::FrameWriter;

use super::{Connection, ConnectionOptions, Handler};
use crate::code::response;
use crate::codec::RemotingCodec;
use crate::command::Command;
use crate::error::CodecError;

enum Event {
    Frame(Option<Result<Command, CodecError>>),
    Closed,
    IdleCheck,
}

pub(super) async fn read_loop<H: Handler>(
    read: OwnedReadHalf,
    conn: Connection,
    handler: Arc<H>,
    options: ConnectionOptions,
) {
    let mut frames = FramedRead::new(read, RemotingCodec);
    let mut closed = conn.inner.closed.subscribe();
    let in_flight = Arc::new(Semaphore::new(options.max_in_flight));
    tracing::debug!(peer = %conn.peer(), connection = conn.id(), "connection open");
    loop {
        let idle_left = options
            .idle_timeout
            .map(|t| t.saturating_sub(conn.idle_for()));
        if idle_left.is_some_and(|left| left.is_zero()) {
            tracing::info!(peer = %conn.peer(), "connection idle too long; closing");
            break;
        }
        let event = tokio::select! {
            next = frames.next() => Event::Frame(next),
            _ = closed.wait_for(|c| *c) => Event::Closed,
            _ = sleep_or_forever(idle_left) => Event::IdleCheck,
        };
        match event {
            Event::Closed | Event::Frame(None) => break,
            Event::IdleCheck => continue,
            Event::Frame(Some(Err(e))) => {
                tracing::warn!(peer = %conn.peer(), error = %e, "undecodable frame; closing connection");
                break;
            }
            Event::Frame(Some(Ok(cmd))) => {
                conn.touch();
                if cmd.is_response() {
                    conn.complete(cmd);
                } else {
                    dispatch(&conn, &handler, &in_flight, cmd).await;
                }
            }
        }
    }
    conn.close();
    tracing::debug!(peer = %conn.peer(), connection = conn.id(), "connection closed");
    handler.on_close(&conn);
}

async fn sleep_or_forever(duration: Option<std::time::Duration>) {
    match duration {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Runs the request on its own task, or answers SYSTEM_BUSY when too many are in flight.
async fn dispatch<H: Handler>(
    conn: &Connection,
    handler: &Arc<H>,
    in_flight: &Arc<Semaphore>,
    req: Command,
) {
    match in_flight.clone().try_acquire_owned() {
        Ok(permit) => {
            tokio::spawn(serve(conn.clone(), handler.clone(), req, permit));
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

async fn serve<H: Handler>(
    conn: Connection,
    handler: Arc<H>,
    req: Command,
    _permit: OwnedSemaphorePermit,
) {
    let oneway = req.is_oneway();
    let template = Command {
        body: None,
        ..req.clone()
    };
    let code = req.code;
    let reply = match AssertUnwindSafe(handler.handle(&conn, req))
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
    if let (Some(reply), false) = (reply, oneway) {
        // A closed connection has nobody left to answer.
        let _ = conn.send(reply.into_reply_to(&template)).await;
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
