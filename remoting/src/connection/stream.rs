//! What a connection reads from and writes to: the TCP socket itself, or TLS over it. The reader
//! and writer tasks are generic over the two halves, so a plain connection runs the same code as
//! before TLS existed (readiness, then a non-blocking read straight into the frame buffer).
//!
//! TLS has no readiness of its own: waiting for it means reading. Its reader waits by reading
//! into a small buffer of its own (held only until the next read takes its bytes), and reads
//! without waiting by polling with a waker that does nothing (a `Pending` then means "would
//! block"; the next wait polls again with the task's waker).

use std::io;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{Interest, ReadHalf};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

/// An accepted or connected stream, before its tasks start.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }
}

/// The reading half as the reader task uses it.
pub(super) trait ReadSide: Send + 'static {
    /// Ready when a read may find bytes (or the end of the stream, or an error).
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Reads what there is without waiting: `WouldBlock` when nothing, `Ok(0)` at the end.
    /// `buf` has spare capacity.
    fn try_read_buf(&mut self, buf: &mut BytesMut) -> io::Result<usize>;
}

impl ReadSide for OwnedReadHalf {
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // `poll_read_ready` keeps the waker in the socket's own slot; the `readable()` future
        // would carry a waiter node in the task's state all the while it is idle.
        self.as_ref().poll_read_ready(cx)
    }

    /// A read that leaves room in the buffer has drained the socket, so it also clears the
    /// socket's readiness, as tokio's own `poll_read` does: the reader then goes back to waiting
    /// at once instead of first making a read that finds nothing (one `recv` per request saved
    /// when a client has one request in flight). Readiness that came in meanwhile is kept (tokio
    /// clears only the readiness event it read before), and so is a closed stream's.
    fn try_read_buf(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        let spare = buf.capacity() - buf.len();
        let mut got = 0;
        let read = self.as_ref().try_io(Interest::READABLE, || {
            got = OwnedReadHalf::try_read_buf(self, buf)?;
            if 0 < got && got < spare {
                Err(io::ErrorKind::WouldBlock.into())
            } else {
                Ok(got)
            }
        });
        match read {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && got > 0 => Ok(got),
            other => other,
        }
    }
}

/// Bytes a TLS wait reads at most (one TLS record carries at most 16 KiB).
const TLS_WAIT_CHUNK: usize = 16 * 1024;

/// The reading half of a TLS connection.
pub(super) struct TlsRead {
    io: ReadHalf<TlsStream<TcpStream>>,
    /// What the last wait read, for the next `try_read_buf`.
    waited: BytesMut,
    eof: bool,
}

impl TlsRead {
    pub(super) fn new(io: ReadHalf<TlsStream<TcpStream>>) -> TlsRead {
        TlsRead {
            io,
            waited: BytesMut::new(),
            eof: false,
        }
    }
}

impl ReadSide for TlsRead {
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.eof || !self.waited.is_empty() {
            return Poll::Ready(Ok(()));
        }
        self.waited.reserve(TLS_WAIT_CHUNK);
        match tokio_util::io::poll_read_buf(std::pin::Pin::new(&mut self.io), cx, &mut self.waited)
        {
            Poll::Ready(Ok(0)) => {
                self.eof = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                // An idle connection holds no buffer.
                self.waited = BytesMut::new();
                Poll::Pending
            }
        }
    }

    fn try_read_buf(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        if !self.waited.is_empty() {
            let n = self.waited.len();
            if buf.is_empty() {
                *buf = std::mem::take(&mut self.waited);
            } else {
                buf.extend_from_slice(&self.waited);
                self.waited = BytesMut::new();
            }
            return Ok(n);
        }
        if self.eof {
            return Ok(0);
        }
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        match tokio_util::io::poll_read_buf(std::pin::Pin::new(&mut self.io), &mut cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}
