//! The CommitLog record: encode, validate, decode (`CommitLog.DefaultAppendMessageCallback`,
//! `MessageExtEncoder`, `CommitLog.checkMessageAndReturnSize`, `MessageDecoder`).
//!
//! ```text
//!  0 TOTALSIZE i32 | 4 MAGIC i32 | 8 BODYCRC i32 | 12 QUEUEID i32 | 16 FLAG i32
//! 20 QUEUEOFFSET i64 | 28 PHYSICALOFFSET i64 | 36 SYSFLAG i32 | 40 BORNTIMESTAMP i64
//! 48 BORNHOST 4|16 + port i32 | STORETIMESTAMP i64 | STOREHOST 4|16 + port i32
//! RECONSUMETIMES i32 | PREPAREDTRANSACTIONOFFSET i64 | BODYLEN i32 | BODY
//! TOPICLEN i8 (V1) | i16 (V2) | TOPIC | PROPLEN i16 | PROPERTIES
//! ```
//! All big-endian. A segment ends with an 8-byte blank record `remaining | BLANK_MAGIC`.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;

use crate::error::{Result, StoreError};
use crate::props;

/// `MessageDecoder.MESSAGE_MAGIC_CODE` (V1, 1-byte topic length).
pub const MAGIC_V1: i32 = 0xDAA3_20A7_u32 as i32;
/// `MESSAGE_MAGIC_CODE_V2` (5.x, 2-byte topic length, only for topics longer than 127 bytes).
pub const MAGIC_V2: i32 = 0xDAA3_20AB_u32 as i32;
/// `BLANK_MAGIC_CODE`, the end-of-segment filler.
pub const MAGIC_BLANK: i32 = 0xCBD4_3194_u32 as i32;
/// `END_FILE_MIN_BLANK_LENGTH`: a record fits only if `size + 8 <= remaining`.
pub const END_FILE_MIN_BLANK_LENGTH: usize = 8;

/// `MessageSysFlag` bits.
pub mod sysflag {
    pub const COMPRESSED: i32 = 0x1;
    pub const MULTI_TAGS: i32 = 0x2;
    pub const TRANSACTION_MASK: i32 = 0xC;
    pub const TRANSACTION_NOT_TYPE: i32 = 0x0;
    pub const TRANSACTION_PREPARED: i32 = 0x4;
    pub const TRANSACTION_COMMIT: i32 = 0x8;
    pub const TRANSACTION_ROLLBACK: i32 = 0xC;
    pub const BORNHOST_V6: i32 = 0x10;
    pub const STOREHOST_V6: i32 = 0x20;

    /// NOT_TYPE and COMMIT records take a queue offset and a consume-queue unit.
    pub fn takes_queue_offset(sys_flag: i32) -> bool {
        matches!(
            sys_flag & TRANSACTION_MASK,
            TRANSACTION_NOT_TYPE | TRANSACTION_COMMIT
        )
    }
}

/// `UtilAll.crc32`: zlib CRC32 masked to 31 bits. The mask matters: Java recovery truncates
/// everything after a record whose stored value differs.
pub fn crc32(data: &[u8]) -> i32 {
    (crc32fast::hash(data) & 0x7FFF_FFFF) as i32
}

/// Java `String.hashCode()` over UTF-16 code units with wrapping i32 arithmetic.
pub fn java_hash(s: &str) -> i32 {
    java_hash_from(0, s)
}

/// [`java_hash`] of a string that starts with one whose hash is `h` and goes on with `s`: the
/// hash of a concatenation, taken piece by piece without building it.
pub fn java_hash_from(h: i32, s: &str) -> i32 {
    let step = |h: i32, c: i32| h.wrapping_mul(31).wrapping_add(c);
    if !s.is_ascii() {
        return s.encode_utf16().fold(h, |h, c| step(h, i32::from(c)));
    }
    // One UTF-16 unit per byte, taken four at a time: `h·31⁴ + a·31³ + b·31² + c·31 + d` is
    // what four steps make (mod 2³²), with one dependent multiply instead of four. Every send
    // hashes its property names and index keys, a 32-digit `UNIQ_KEY` among them.
    let mut quads = s.as_bytes().chunks_exact(4);
    let mut h = h;
    for q in &mut quads {
        let [a, b, c, d] = [q[0], q[1], q[2], q[3]].map(i32::from);
        h = h
            .wrapping_mul(923_521)
            .wrapping_add(a * 29_791 + b * 961 + c * 31 + d);
    }
    quads
        .remainder()
        .iter()
        .fold(h, |h, &b| step(h, i32::from(b)))
}

/// Tags code of a message (`MessageExtBrokerInner.tagsString2tagsCode`): hash of `TAGS`,
/// sign-extended; 0 without a tag.
pub fn tags_code(tags: Option<&str>) -> i64 {
    match tags {
        Some(t) if !t.is_empty() => i64::from(java_hash(t)),
        _ => 0,
    }
}

/// A message to store, as the broker describes it. The body is copied once, straight into the
/// mapped CommitLog segment.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    pub body: Bytes,
    /// Java property string (`name\x01value\x02…`), stored as given.
    pub properties: String,
    /// Sys flag from the producer; the IPv6 host bits are set by the store from the addresses.
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
}

fn host_len(addr: &SocketAddr) -> usize {
    match addr.ip() {
        IpAddr::V4(_) => 8,
        IpAddr::V6(_) => 20,
    }
}

/// Sys flag with the IPv6 bits set from the actual address families.
pub fn effective_sys_flag(msg: &NewMessage) -> i32 {
    let mut f = msg.sys_flag & !(sysflag::BORNHOST_V6 | sysflag::STOREHOST_V6);
    if msg.born_host.is_ipv6() {
        f |= sysflag::BORNHOST_V6;
    }
    if msg.store_host.is_ipv6() {
        f |= sysflag::STOREHOST_V6;
    }
    f
}

/// Encoded length of a record and whether it needs the V2 magic; checks Java's limits.
pub fn record_len(msg: &NewMessage, max_body: usize) -> Result<(usize, bool)> {
    let topic_len = msg.topic.len();
    if topic_len == 0 || topic_len > 255 {
        return Err(StoreError::MessageIllegal(format!(
            "topic length {topic_len} not in 1..=255"
        )));
    }
    if msg.body.len() > max_body {
        return Err(StoreError::MessageIllegal(format!(
            "body size {} exceeds maxMessageSize {max_body}",
            msg.body.len()
        )));
    }
    if msg.properties.len() > i16::MAX as usize {
        return Err(StoreError::MessageIllegal(format!(
            "properties size {} exceeds 32767",
            msg.properties.len()
        )));
    }
    // MessageExtEncoder.calMsgLength: 4+4+4+4+4+8+8+4+8 + born + 8 + store + 4+8 + 4+B + t+T + 2+P
    // = 74 + hosts + B + t + T + P (91 + B + T + P for IPv4/IPv4/V1; the storage spec's §2.2
    // "72 + …" form is off by two). V2 only when the topic does not fit a signed byte.
    let v2 = topic_len > 127;
    let len = 74
        + host_len(&msg.born_host)
        + host_len(&msg.store_host)
        + msg.body.len()
        + if v2 { 2 } else { 1 }
        + topic_len
        + msg.properties.len();
    Ok((len, v2))
}

/// Fields the store fills in under the append lock.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub store_timestamp: i64,
    pub body_crc: i32,
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn put(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    fn host(&mut self, addr: &SocketAddr) {
        match addr.ip() {
            IpAddr::V4(ip) => self.put(&ip.octets()),
            IpAddr::V6(ip) => self.put(&ip.octets()),
        }
        self.put(&i32::from(addr.port()).to_be_bytes());
    }
}

/// Encode a record into `buf` (exactly `len` bytes from [`record_len`]).
pub fn encode(buf: &mut [u8], msg: &NewMessage, v2: bool, p: &Placement) {
    let total = buf.len() as i32;
    let mut c = Cursor { buf, pos: 0 };
    c.put(&total.to_be_bytes());
    c.put(&(if v2 { MAGIC_V2 } else { MAGIC_V1 }).to_be_bytes());
    c.put(&p.body_crc.to_be_bytes());
    c.put(&msg.queue_id.to_be_bytes());
    c.put(&msg.flag.to_be_bytes());
    c.put(&p.queue_offset.to_be_bytes());
    c.put(&p.physical_offset.to_be_bytes());
    c.put(&effective_sys_flag(msg).to_be_bytes());
    c.put(&msg.born_timestamp.to_be_bytes());
    c.host(&msg.born_host);
    c.put(&p.store_timestamp.to_be_bytes());
    c.host(&msg.store_host);
    c.put(&msg.reconsume_times.to_be_bytes());
    c.put(&msg.prepared_transaction_offset.to_be_bytes());
    c.put(&(msg.body.len() as i32).to_be_bytes());
    c.put(&msg.body);
    if v2 {
        c.put(&(msg.topic.len() as i16).to_be_bytes());
    } else {
        c.put(&[msg.topic.len() as u8]);
    }
    c.put(msg.topic.as_bytes());
    c.put(&(msg.properties.len() as i16).to_be_bytes());
    c.put(msg.properties.as_bytes());
    debug_assert_eq!(c.pos, c.buf.len());
}

/// Encode the 8-byte end-of-segment blank.
pub fn encode_blank(remaining: usize) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(remaining as i32).to_be_bytes());
    b[4..].copy_from_slice(&MAGIC_BLANK.to_be_bytes());
    b
}

/// Offset message id (`MessageDecoder.createMessageId`): store host + port + physical offset,
/// upper-case hex.
pub fn offset_msg_id(store_host: &SocketAddr, physical_offset: i64) -> String {
    let mut s = String::with_capacity(56);
    push_offset_msg_id(&mut s, store_host, physical_offset);
    s
}

/// [`offset_msg_id`] appended to `out`: a batch's reply lists one per message.
pub fn push_offset_msg_id(out: &mut String, store_host: &SocketAddr, physical_offset: i64) {
    let mut raw = [0u8; 28];
    let ip = match store_host.ip() {
        IpAddr::V4(ip) => {
            raw[..4].copy_from_slice(&ip.octets());
            4
        }
        IpAddr::V6(ip) => {
            raw[..16].copy_from_slice(&ip.octets());
            16
        }
    };
    raw[ip..ip + 4].copy_from_slice(&i32::from(store_host.port()).to_be_bytes());
    raw[ip + 4..ip + 12].copy_from_slice(&physical_offset.to_be_bytes());
    push_upper_hex(out, &raw[..ip + 12]);
}

/// Upper-case hex of `raw` (one allocation; msg ids are built on every send).
pub fn upper_hex(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len() * 2);
    push_upper_hex(&mut s, raw);
    s
}

/// Upper-case hex of `raw` appended to `out`, 32 bytes of it at a time, each byte's two digits
/// from one table entry.
fn push_upper_hex(out: &mut String, raw: &[u8]) {
    out.reserve(raw.len() * 2);
    for part in raw.chunks(32) {
        let mut hex = [0u8; 64];
        for (pair, &b) in hex.chunks_exact_mut(2).zip(part) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
        }
        out.push_str(std::str::from_utf8(&hex[..part.len() * 2]).expect("hex digits are ASCII"));
    }
}

/// The two upper-case hex digits of every byte.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut t = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = [DIGITS[b >> 4], DIGITS[b & 0xF]];
        b += 1;
    }
    t
};

/// Decode an offset message id back to (store host, physical offset).
pub fn decode_offset_msg_id(id: &str) -> Option<(SocketAddr, i64)> {
    if !id.is_ascii() || id.len() % 2 != 0 {
        return None;
    }
    let raw: Option<Vec<u8>> = (0..id.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&id[i..i + 2], 16).ok())
        .collect();
    let raw = raw?;
    let ip_len = match raw.len() {
        16 => 4,
        28 => 16,
        _ => return None,
    };
    let ip: IpAddr = if ip_len == 4 {
        <[u8; 4]>::try_from(&raw[..4]).ok()?.into()
    } else {
        <[u8; 16]>::try_from(&raw[..16]).ok()?.into()
    };
    let port = i32::from_be_bytes(raw[ip_len..ip_len + 4].try_into().ok()?);
    let off = i64::from_be_bytes(raw[ip_len + 4..].try_into().ok()?);
    Some((SocketAddr::new(ip, u16::try_from(port).ok()?), off))
}

pub use props::{parse_properties, properties_to_string};

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
