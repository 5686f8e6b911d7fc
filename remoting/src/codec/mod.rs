//! Sans-IO framing of RocketMQ remoting commands (Java `NettyDecoder`, `NettyEncoder`,
//! `RemotingCommand.decode` / `fastEncodeHeader`).
//!
//! ```text
//! 0        4      5            8              8+H
//! | length | type | header len | header …     | body …          |
//!   i32 BE   u8     u24 BE       JSON|ROCKETMQ  length−4−H bytes
//! ```
//!
//! `length` counts everything after itself. Java's `LengthFieldBasedFrameDecoder` caps the whole
//! frame *including* the 4 length bytes at 16 MiB, so the largest accepted `length` is
//! [`MAX_FRAME_LENGTH`] = 16 777 212. A bad length is detected from the first 4 bytes, before any
//! buffer is reserved; the body stays a zero-copy slice of the frame.

pub mod binary;
pub mod json;
mod json_fast;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::command::{Command, SerializeType};
use crate::error::CodecError;

/// Largest accepted value of the length prefix (16 MiB − 4, see the module doc).
pub const MAX_FRAME_LENGTH: usize = 16 * 1024 * 1024 - 4;

/// Decodes one frame *without* its 4-byte length prefix: header-length word, header, body.
pub fn decode_frame(frame: Bytes) -> Result<Command, CodecError> {
    if frame.len() < 4 {
        return Err(CodecError::FrameTooShort(frame.len() as i64));
    }
    let word = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    let type_code = (word >> 24) as u8;
    let header_len = (word & 0x00FF_FFFF) as usize;
    let available = frame.len() - 4;
    if header_len > available {
        return Err(CodecError::HeaderLength {
            header_len,
            available,
        });
    }
    let header = &frame[4..4 + header_len];
    let mut cmd = match SerializeType::from_code(type_code) {
        Some(SerializeType::Json) => json::read_header(header)?,
        Some(SerializeType::RocketMq) => binary::read_header(header)?,
        None => return Err(CodecError::UnknownSerializeType(type_code)),
    };
    if header_len < available {
        cmd.body = Some(frame.slice(4 + header_len..));
    }
    Ok(cmd)
}

/// Appends the complete frame of `cmd` (length prefix included) in `cmd.serialize_type`.
pub fn encode(cmd: &Command, dst: &mut BytesMut) {
    dst.reserve(8 + 256 + cmd.body_len());
    encode_header(cmd, dst);
    for part in cmd.body.iter().chain(&cmd.body_rest) {
        dst.put_slice(part);
    }
}

/// Appends the length prefix, header-length word and header of `cmd`, but not its body (the
/// length counts the body). Returns the frame's `length` value. Lets a writer send a large body
/// from its own buffer instead of copying it.
pub fn encode_header(cmd: &Command, dst: &mut BytesMut) -> usize {
    let body_len = cmd.body_len();
    let start = dst.len();
    dst.put_u64(0); // length and header-length word, patched below
    match cmd.serialize_type {
        SerializeType::Json => json::write_header(cmd, dst),
        SerializeType::RocketMq => binary::write_header(cmd, dst),
    }
    let header_len = dst.len() - start - 8;
    let length = 4 + header_len + body_len;
    let word = (u32::from(cmd.serialize_type.code()) << 24) | (header_len as u32 & 0x00FF_FFFF);
    dst[start..start + 4].copy_from_slice(&(length as u32).to_be_bytes());
    dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
    length
}

/// `tokio_util` codec over [`decode_frame`] / [`encode`]. The encoder refuses frames the peer's
/// decoder would reject (Java closes the connection on them).
#[derive(Debug, Default, Clone, Copy)]
pub struct RemotingCodec;

impl Decoder for RemotingCodec {
    type Item = Command;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Command>, CodecError> {
        if src.len() < 4 {
            return Ok(None);
        }
        let length = i32::from_be_bytes([src[0], src[1], src[2], src[3]]);
        let length = check_length(length)?;
        if src.len() < 4 + length {
            // Room for the rest of this frame and a few more of its size (up to READ_AHEAD):
            // reserving only the rest, every frame larger than the spare room would straddle the
            // end of its buffer and be copied into a new one.
            let ahead = (3 * (4 + length)).min(READ_AHEAD);
            src.reserve(4 + length - src.len() + ahead);
            return Ok(None);
        }
        src.advance(4);
        let frame = src.split_to(length).freeze();
        decode_frame(frame).map(Some)
    }
}

/// Bytes a partial frame reserves beyond its own end, for the frames that follow it.
const READ_AHEAD: usize = 64 * 1024;

/// Netty rejects negative lengths and frames over the cap; a frame shorter than the
/// header-length word cannot be a command.
fn check_length(length: i32) -> Result<usize, CodecError> {
    if length < 0 || length as usize > MAX_FRAME_LENGTH {
        return Err(CodecError::FrameTooLarge {
            length: i64::from(length),
            max: MAX_FRAME_LENGTH,
        });
    }
    if length < 4 {
        return Err(CodecError::FrameTooShort(i64::from(length)));
    }
    Ok(length as usize)
}

impl Encoder<Command> for RemotingCodec {
    type Error = CodecError;

    fn encode(&mut self, cmd: Command, dst: &mut BytesMut) -> Result<(), CodecError> {
        let start = dst.len();
        encode(&cmd, dst);
        let length = dst.len() - start - 4;
        if length > MAX_FRAME_LENGTH {
            dst.truncate(start);
            return Err(CodecError::FrameTooLarge {
                length: length as i64,
                max: MAX_FRAME_LENGTH,
            });
        }
        Ok(())
    }
}

/// Decodes every complete frame at the front of `data` until the first error or the first
/// incomplete frame. The fuzz target's entry point: it must never panic, whatever the input.
pub fn decode_all(data: &[u8]) -> Vec<Result<Command, CodecError>> {
    let mut buf = BytesMut::from(data);
    let mut out = Vec::new();
    loop {
        match RemotingCodec.decode(&mut buf) {
            Ok(Some(cmd)) => out.push(Ok(cmd)),
            Ok(None) => break,
            Err(e) => {
                out.push(Err(e));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod tests;
