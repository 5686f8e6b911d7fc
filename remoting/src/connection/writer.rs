//! Outbound frames without copying large bodies: headers (and small bodies) are encoded into one
//! buffer, a large body goes out as its own chunk straight from the `Bytes` it already lives in
//! (e.g. a PULL response's view of stored messages), all sent with vectored writes. The buffer is
//! taken when the first frame of a burst is queued and given back by [`FrameWriter::release`]
//! once the burst is written.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::codec::{encode_header, MAX_FRAME_LENGTH};
use crate::command::Command;
use crate::error::CodecError;

/// Bodies up to this size are copied next to their header (one chunk beats a tiny extra iovec).
const COPY_BODY_MAX: usize = 16 * 1024;
/// iovecs per `writev` call (Linux allows 1024): a few PULL responses of 32 records each.
const MAX_SLICES: usize = 256;
/// Bytes reserved when the buffer cannot take the next header and small body.
const WRITE_CHUNK: usize = 8 * 1024;
/// Room kept for a header (most are a few hundred bytes; a longer one grows the buffer).
const HEADER_ROOM: usize = 512;

pub(super) struct FrameWriter<W> {
    /// The socket's write half, or TLS's.
    io: W,
    /// Headers and small bodies not yet cut into a chunk.
    buf: BytesMut,
    chunks: VecDeque<Bytes>,
    pending: usize,
}

impl<W> FrameWriter<W> {
    pub(super) fn new(io: W) -> Self {
        FrameWriter {
            io,
            buf: BytesMut::new(),
            chunks: VecDeque::new(),
            pending: 0,
        }
    }

    /// Bytes queued and not yet written.
    pub(super) fn pending(&self) -> usize {
        self.pending
    }

    /// Queues one frame, or refuses it if the peer's decoder would reject its length.
    pub(super) fn push(&mut self, cmd: &Command) -> Result<(), CodecError> {
        let body_len = cmd.body_len();
        let room = HEADER_ROOM
            + if body_len > COPY_BODY_MAX {
                0
            } else {
                body_len
            };
        if self.buf.capacity() - self.buf.len() < room {
            self.buf.reserve(room.max(WRITE_CHUNK));
        }
        let start = self.buf.len();
        let length = encode_header(cmd, &mut self.buf);
        if length > MAX_FRAME_LENGTH {
            self.buf.truncate(start);
            return Err(CodecError::FrameTooLarge {
                length: length as i64,
                max: MAX_FRAME_LENGTH,
            });
        }
        self.pending += length + 4;
        let parts = cmd.body.iter().chain(&cmd.body_rest);
        if body_len > COPY_BODY_MAX {
            self.chunks.push_back(self.buf.split().freeze());
            self.chunks.extend(parts.cloned());
        } else {
            parts.for_each(|part| self.buf.put_slice(part));
        }
        Ok(())
    }

    /// Gives the buffers back to the allocator; call when everything queued is written.
    pub(super) fn release(&mut self) {
        if self.buf.capacity() > 0 {
            self.buf = BytesMut::new();
        }
        if self.chunks.capacity() > 0 {
            self.chunks = VecDeque::new();
        }
    }
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// Writes everything queued.
    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.chunks.push_back(self.buf.split().freeze());
        }
        while !self.chunks.is_empty() {
            let slices: Vec<IoSlice<'_>> = self
                .chunks
                .iter()
                .take(MAX_SLICES)
                .map(|c| IoSlice::new(c))
                .collect();
            let mut written = self.io.write_vectored(&slices).await?;
            if written == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            self.pending = self.pending.saturating_sub(written);
            while written > 0 {
                let Some(front) = self.chunks.front_mut() else {
                    break;
                };
                if front.len() <= written {
                    written -= front.len();
                    self.chunks.pop_front();
                } else {
                    front.advance(written);
                    written = 0;
                }
            }
        }
        self.pending = 0;
        // TLS keeps the records it could not write yet; a TCP socket's flush does nothing.
        self.io.flush().await
    }

    pub(super) async fn shutdown(&mut self) -> std::io::Result<()> {
        self.io.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_frame;

    fn written(parts: Vec<Bytes>) -> (Vec<u8>, usize) {
        let cmd = Command::response(0, None).with_body_parts(parts);
        let mut w = FrameWriter::new(Vec::new());
        w.push(&cmd).unwrap();
        w.push(&cmd).unwrap();
        let chunks = w.chunks.len();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(w.flush()).unwrap();
        (w.io, chunks)
    }

    fn bodies(mut wire: &[u8]) -> Vec<Bytes> {
        let mut out = Vec::new();
        while !wire.is_empty() {
            let len = u32::from_be_bytes(wire[..4].try_into().unwrap()) as usize;
            let frame = Bytes::copy_from_slice(&wire[4..4 + len]);
            out.push(
                decode_frame(frame)
                    .unwrap()
                    .body
                    .clone()
                    .unwrap_or_default(),
            );
            wire = &wire[4 + len..];
        }
        out
    }

    #[test]
    fn large_body_parts_go_out_as_their_own_chunks() {
        let part = |b: u8| Bytes::from(vec![b; COPY_BODY_MAX / 2 + 1]);
        let (wire, chunks) = written(vec![part(1), part(2), part(3)]);
        // Per frame: the header's chunk and the three parts, not copied.
        assert_eq!(chunks, 8);
        let expected: Vec<u8> = [part(1), part(2), part(3)].concat();
        assert_eq!(bodies(&wire), vec![Bytes::from(expected); 2]);
    }

    #[test]
    fn small_body_parts_are_copied_next_to_their_header() {
        let parts = vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cde")];
        let (wire, chunks) = written(parts);
        assert_eq!(chunks, 0, "nothing cut into a chunk before the flush");
        assert_eq!(bodies(&wire), vec![Bytes::from_static(b"abcde"); 2]);
    }
}
