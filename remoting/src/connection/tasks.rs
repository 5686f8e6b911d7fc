//! The tasks behind a [`Connection`]: the reader (frames in, requests dispatched, responses
//! matched), one task per request, and the writer (frames out, batched flushes).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::OptionFuture;
use futures::FutureExt;
use tokio_util::codec::Decoder;

use super::read_buf::ReadBuffer;
use super::stream::ReadSide;
use super::writer::FrameWriter;
use super::{Admitted, Connection, ConnectionOptions, Handler};
use crate::code::response;
use crate::codec::RemotingCodec;
use crate::command::{Command, FLAG_RESPONSE};
use crate::error::CodecError;

enum Event {
    Readable(std::io::Result<()>),
    Closed,
    IdleCheck,
}

/// Reads frames and answers them. Every complete frame already buffered is handled before the
/// socket is read again, so a burst of pipelined requests costs one read, and (with inline
/// handlers, see [`Handler::answer_inline`]) its replies are queued together for one write.
///
/// The reader waits for readiness holding no buffer: one is taken when the socket has bytes and
/// given back once the socket has nothing more and no partial frame is left (see
/// [`ReadBuffer`]), so an idle connection costs only its tasks.
pub(super) async fn read_loop<H: Handler, R: ReadSide>(
    mut read: R,
    conn: Connection,
    handler: Arc<H>,
    options: ConnectionOptions,
    admitted: Option<Admitted>,
) {
    let mut buf = ReadBuffer::new(admitted);
    // One timer for the connection's life, re-armed when it fires: creating a timer per read
    // would cost a timer-wheel registration each time.
    let idle = tokio::time::sleep(options.idle_timeout.unwrap_or(Duration::MAX / 4));
    tokio::pin!(idle);
    tracing::debug!(peer = %conn.peer(), connection = conn.id(), "connection open");
    // Whether the socket may have bytes: the last read returned some, or readiness was signalled.
    let mut may_read = false;
    loop {
        if conn.is_closed() {
            break;
        }
        if may_read {
            match buf.read_from(&mut read) {
                Ok(0) => break,
                Ok(_) => {
                    conn.touch();
                    // One clock read per read, shared by the frames it completes.
                    let received = Instant::now();
                    if let Err(e) = handle_frames(&conn, &handler, &mut buf, received).await {
                        tracing::warn!(peer = %conn.peer(), error = %e, "undecodable frame; closing connection");
                        break;
                    }
                    // A peer that always has more to send must not keep this worker to itself.
                    tokio::task::consume_budget().await;
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => may_read = false,
                Err(e) => {
                    tracing::debug!(peer = %conn.peer(), error = %e, "read failed; closing connection");
                    break;
                }
            }
        }
        buf.release_if_empty();
        let event = tokio::select! {
            ready = std::future::poll_fn(|cx| read.poll_read_ready(cx)) => Event::Readable(ready),
            _ = conn.wait_closed() => Event::Closed,
            _ = &mut idle, if options.idle_timeout.is_some() => Event::IdleCheck,
        };
        match event {
            Event::Readable(Ok(())) => may_read = true,
            Event::Closed => break,
            Event::Readable(Err(e)) => {
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
    drop(buf);
    conn.close();
    tracing::debug!(peer = %conn.peer(), connection = conn.id(), "connection closed");
    handler.on_close(&conn);
}

/// Handles every complete frame in `buf`: responses complete our requests, requests (stamped
/// `received`) are dispatched.
async fn handle_frames<H: Handler>(
    conn: &Connection,
    handler: &Arc<H>,
    buf: &mut ReadBuffer,
    received: Instant,
) -> Result<(), CodecError> {
    while let Some(wait) = next_wait(conn, handler, buf, received)? {
        wait.await;
    }
    Ok(())
}

/// Handles frames from `buf` until one leaves something to wait for, or none is left. Not
/// async, so no decoded command is part of the reader's state.
fn next_wait<'a, H: Handler>(
    conn: &'a Connection,
    handler: &'a Arc<H>,
    buf: &mut ReadBuffer,
    received: Instant,
) -> Result<Option<Wait<'a>>, CodecError> {
    while let Some(mut cmd) = RemotingCodec.decode(buf.bytes())? {
        if cmd.is_response() {
            conn.complete(cmd);
            continue;
        }
        cmd.received = Some(received);
        if let Some(wait) = dispatch(conn, handler, cmd) {
            return Ok(Some(wait));
        }
    }
    Ok(None)
}

/// What the reader has to wait for before it reads on: the answer to a request it answers
/// itself, or the queueing of a SYSTEM_BUSY reply.
///
/// Boxed: a task is allocated at the size of its largest state, and a handler's future can be
/// kilobytes that every idle connection's reader would otherwise carry for nothing.
/// (`None` only for an empty slot, see [`in_box`].)
type Wait<'a> = Pin<Box<dyn Future<Output = Option<()>> + Send + 'a>>;

/// Answers the request on its own task, or hands back the wait for an answer on the reader (when
/// the handler says it may) or for SYSTEM_BUSY (when too many are in flight).
fn dispatch<'a, H: Handler>(
    conn: &'a Connection,
    handler: &'a Arc<H>,
    req: Command,
) -> Option<Wait<'a>> {
    if handler.answer_inline(&req) {
        return Some(in_box(|| answer(conn, handler.as_ref(), req)));
    }
    match conn.inner.in_flight.try_acquire() {
        Ok(permit) => {
            permit.forget();
            let (conn, handler) = (conn.clone(), handler.clone());
            // Boxed: a task's cell is the size of its future, copied in when it is spawned and
            // written over when it ends; a handler's future is kilobytes, a box is a pointer.
            tokio::spawn(in_box(|| async move {
                let _permit = InFlight(&conn);
                answer(&conn, handler.as_ref(), req).await;
            }));
            None
        }
        Err(_) if req.is_oneway() => {
            tracing::warn!(peer = %conn.peer(), code = req.code, "too many requests; oneway request dropped");
            None
        }
        Err(_) => {
            let busy = Command::response(
                response::SYSTEM_BUSY,
                "[OVERLOAD]system busy, start flow control for a while".to_owned(),
            );
            let reply = busy.into_reply_to(&req);
            Some(in_box(|| async move {
                let _ = conn.send(reply).await;
            }))
        }
    }
}

/// Boxes the future `make` returns, built in place: `Box::pin(fut)` builds it on the stack and
/// then copies all of it into the box, kilobytes for a handler's future, though only its captured
/// arguments are set before it first runs. An empty slot is allocated first (`Box::default`
/// writes its value into the allocation, where `Box::pin(None)` would copy a slot's worth of
/// stack) and the future is written into it, which the compiler does without the copy.
fn in_box<'a, F: Future<Output = ()> + Send + 'a>(make: impl FnOnce() -> F) -> Wait<'a> {
    let mut slot = Box::into_pin(Box::<OptionFuture<F>>::default());
    slot.set(OptionFuture::from(Some(make())));
    slot
}

/// A request counted in the connection's `in_flight` until its task ends (or is dropped).
struct InFlight<'a>(&'a Connection);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.inner.in_flight.add_permits(1);
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

/// Writes queued frames, batching whatever is queued into one vectored write. Between bursts
/// it holds no buffer: the frame buffer and the queue's slots go back to the allocator before
/// it waits.
pub(super) async fn write_loop<W>(write: W, conn: Connection)
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut out = FrameWriter::new(write);
    let queue = &conn.inner.queue;
    loop {
        let Some(cmd) = queue.pop() else {
            // Closing the connection closes the queue, which wakes this wait.
            if conn.is_closed() {
                break;
            }
            out.release();
            queue.release_if_empty();
            queue.queued().await;
            continue;
        };
        push(&mut out, cmd);
        while out.pending() < BATCH_BYTES {
            let Some(cmd) = queue.pop() else { break };
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
fn push<W>(out: &mut FrameWriter<W>, cmd: Command) {
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
