//! ROCKETMQ binary command headers (serialize type 1), Java `RocketMQSerializable`.
//!
//! ```text
//! 0      2    3       5        9        13          17+R          21+R
//! | code | lang | version | opaque | flag | R | remark | E | ext entries … |
//!   i16    u8     i16       i32      i32   i32  UTF-8   i32
//! ext entry: key length (i16) · key UTF-8 · value length (i32) · value UTF-8
//! ```
//!
//! Java quirks kept: a zero-length string reads as null (a `""` remark is none; an entry whose
//! value is empty removes the key, as `HashMap.put(k, null)` hides it); a string longer than the
//! header is an error ("string length exceed limit"); duplicate keys: the last one wins; an unknown
//! language byte is tolerated. Invalid UTF-8 is replaced, as Java's decoder does. `code` and
//! `version` are written as 16-bit values, so codes above 32767 do not survive this encoding
//! (Java has the same limit).

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use crate::command::{Command, ExtFields, LanguageCode, SerializeType};
use crate::error::CodecError;

/// Fixed part of the header: code, language, version, opaque, flag, remark length, ext length.
pub const FIXED_LEN: usize = 2 + 1 + 2 + 4 + 4 + 4 + 4;

/// Appends the binary header of `cmd` to `out`.
pub fn write_header(cmd: &Command, out: &mut BytesMut) {
    // Truncation to 16 bits is the wire format (Java `writeShort`).
    out.put_i16(cmd.code as i16);
    // Java cannot write a null language; OTHER is the honest stand-in.
    out.put_u8(cmd.language.code().unwrap_or(7));
    out.put_i16(cmd.version as i16);
    out.put_i32(cmd.opaque);
    out.put_i32(cmd.flag);
    match cmd.remark.as_deref() {
        Some(r) if !r.is_empty() => {
            out.put_i32(r.len() as i32);
            out.put_slice(r.as_bytes());
        }
        _ => out.put_i32(0),
    }
    let len_at = out.len();
    out.put_i32(0);
    for (k, v) in cmd.ext_fields.iter() {
        // i16 key length: keys are short Java field names; longer ones cannot be represented.
        out.put_i16(k.len() as i16);
        out.put_slice(k.as_bytes());
        out.put_i32(v.len() as i32);
        out.put_slice(v.as_bytes());
    }
    let ext_len = (out.len() - len_at - 4) as i32;
    out[len_at..len_at + 4].copy_from_slice(&ext_len.to_be_bytes());
}

/// A bounds-checked reader over the header bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| {
            CodecError::BinaryHeader(format!("truncated at byte {} reading {what}", self.pos))
        })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn i16(&mut self, what: &str) -> Result<i16, CodecError> {
        let b = self.take(2, what)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self, what: &str) -> Result<i32, CodecError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Java `readStr`: length 0 → null; negative or longer than the header → error.
    fn string(&mut self, len: i64, what: &str) -> Result<Option<String>, CodecError> {
        Ok(self.text(len, what)?.map(Cow::into_owned))
    }

    /// [`Reader::string`] borrowing the header's bytes when they are valid UTF-8.
    fn text(&mut self, len: i64, what: &str) -> Result<Option<Cow<'a, str>>, CodecError> {
        if len == 0 {
            return Ok(None);
        }
        if len < 0 || len > self.buf.len() as i64 {
            return Err(CodecError::BinaryHeader(format!(
                "{what} length {len} exceeds header length {}",
                self.buf.len()
            )));
        }
        let bytes = self.take(len as usize, what)?;
        Ok(Some(String::from_utf8_lossy(bytes)))
    }
}

/// Parses a binary header (exactly the header bytes of the frame) into a command without body.
pub fn read_header(buf: &[u8]) -> Result<Command, CodecError> {
    let mut r = Reader { buf, pos: 0 };
    let mut cmd = Command::response(0, None);
    cmd.serialize_type = SerializeType::RocketMq;
    cmd.code = i32::from(r.i16("code")?);
    cmd.language = LanguageCode::from_code(i64::from(r.take(1, "language")?[0]));
    cmd.version = i32::from(r.i16("version")?);
    cmd.opaque = r.i32("opaque")?;
    cmd.flag = r.i32("flag")?;
    let remark_len = r.i32("remark length")?;
    cmd.remark = r.string(i64::from(remark_len), "remark")?;
    let ext_len = r.i32("extFields length")?;
    if ext_len > 0 {
        if ext_len as usize > buf.len() {
            return Err(CodecError::BinaryHeader(format!(
                "extFields length {ext_len} exceeds header length {}",
                buf.len()
            )));
        }
        let block = r.take(ext_len as usize, "extFields")?;
        cmd.ext_fields = read_ext(block)?;
    }
    Ok(cmd)
}

fn read_ext(block: &[u8]) -> Result<ExtFields, CodecError> {
    let mut r = Reader { buf: block, pos: 0 };
    // Keys and values are the block less its length fields.
    let mut ext = ExtFields::with_text_capacity(block.len());
    while r.pos < block.len() {
        let key_len = r.i16("ext key length")?;
        let key = r.text(i64::from(key_len), "ext key")?;
        let value_len = r.i32("ext value length")?;
        let value = r.text(i64::from(value_len), "ext value")?;
        match (key, value) {
            (Some(k), Some(v)) => ext.insert(k, v),
            (Some(k), None) => {
                ext.remove(&k);
            }
            (None, _) => {}
        }
    }
    Ok(ext)
}
