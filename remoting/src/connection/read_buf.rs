//! The reader's buffer, held only while there is something to read.
//!
//! ```text
//!  idle ──readable──▶ take a chunk, read ──▶ frames split off (`split_to`, bodies stay slices)
//!   ▲                                            │
//!   └── nothing more to read and no partial frame: give the chunk back
//! ```
//!
//! A connection in the middle of a burst keeps its chunk and reads into its spare room; a partial
//! frame keeps its bytes (the decoder reserves the whole frame). Frames already split off keep
//! their part of the chunk alive until their handlers drop them, as before.

use bytes::BytesMut;

use super::stream::ReadSide;
use super::Admitted;

/// Bytes reserved when the buffer has less than [`READ_MIN`] spare. 64 KiB was measured with 32
/// producer threads sending 1 KiB messages: no fewer reads per message (requests arrive in small
/// bursts), only more memory per busy connection.
const READ_CHUNK: usize = 16 * 1024;
/// Spare room worth one more read before a new chunk is reserved.
const READ_MIN: usize = 4 * 1024;

pub(super) struct ReadBuffer {
    buf: BytesMut,
    /// Whether `buf` owns (part of) an allocation, as counted in `Connections::read_buffers`.
    held: bool,
    /// The server's counts (none for client connections).
    admitted: Option<Admitted>,
}

impl ReadBuffer {
    pub(super) fn new(admitted: Option<Admitted>) -> Self {
        ReadBuffer {
            buf: BytesMut::new(),
            held: false,
            admitted,
        }
    }

    /// The unread bytes, for the decoder.
    pub(super) fn bytes(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Reads what the socket has without waiting (`WouldBlock` when it has nothing), taking a
    /// chunk first if there is too little room. `Ok(0)` is the peer's end of stream.
    pub(super) fn read_from(&mut self, read: &mut impl ReadSide) -> std::io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < READ_MIN {
            self.buf.reserve(READ_CHUNK);
        }
        if !self.held {
            self.held = true;
            if let Some(a) = &self.admitted {
                a.counts().buffer_taken();
            }
        }
        read.try_read_buf(&mut self.buf)
    }

    /// Gives the chunk back unless it holds the start of a frame.
    pub(super) fn release_if_empty(&mut self) {
        if self.held && self.buf.is_empty() {
            self.buf = BytesMut::new();
            self.release();
        }
    }

    fn release(&mut self) {
        self.held = false;
        if let Some(a) = &self.admitted {
            a.counts().buffer_released();
        }
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        if self.held {
            self.release();
        }
    }
}
