//! Pre-encoded request frames and a lean response reader, so that the tool's own cost per
//! message stays a copy and a few patched bytes: the broker, not the load generator, should be
//! what a run measures.
//!
//! A [`Template`] is one complete SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE frame encoded once by
//! `remoting`'s codec, with the places that change per request noted: the opaque (written as a
//! fixed-width number, 10 digits in a JSON header, an i32 in a ROCKETMQ header), each message's
//! `UNIQ_KEY` (32 hex digits, the client-side message id Java's producer sets) and, when stamped,
//! the send time in the body.

use bytes::{Buf, BytesMut};
use remoting::code::request as rq;
use remoting::headers::SendMessageRequestHeaderV2;
use remoting::{Command, SerializeType};

/// Opaques are `OPAQUE_BASE + n`, `n < OPAQUE_SPAN`: ten digits in JSON whatever `n` is.
pub const OPAQUE_BASE: i32 = 1_000_000_000;
pub const OPAQUE_SPAN: u32 = 1_000_000_000;

const UNIQ_PLACEHOLDER: &[u8; 32] = b"UNIQ_KEY_PLACEHOLDER_0123456789Z";
/// What starts a stamped body: then the send time, ns since the tool's clock base, big-endian.
pub const STAMP_MAGIC: &[u8; 8] = b"thrstamp";

/// One request frame and where to patch it.
pub struct Template {
    bytes: Vec<u8>,
    opaque_at: usize,
    json: bool,
    uniq_at: Vec<usize>,
    stamp_at: Vec<usize>,
    /// Messages and body bytes one request carries.
    pub messages: u64,
    pub payload: u64,
}

/// What a [`Template`] sends.
pub struct SendSpec<'a> {
    pub serialize: SerializeType,
    pub group: &'a str,
    pub topic: &'a str,
    pub queue: i32,
    pub size: usize,
    pub batch: usize,
    pub oneway: bool,
    pub stamped: bool,
}

/// The message-properties string Java's producer sends for a plain message: WAIT (its
/// `waitStoreMsgOK`, true) and the client-side id.
fn properties(uniq: bool) -> Vec<u8> {
    let mut p = b"WAIT\x01true\x02".to_vec();
    if uniq {
        p.extend_from_slice(b"UNIQ_KEY\x01");
        p.extend_from_slice(UNIQ_PLACEHOLDER);
        p.push(2);
    }
    p
}

fn body(size: usize, stamped: bool) -> Vec<u8> {
    let mut b = vec![b'x'; size];
    if stamped {
        b[..8].copy_from_slice(STAMP_MAGIC);
    }
    b
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if &hay[i..i + needle.len()] == needle {
            at.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    at
}

impl Template {
    pub fn send(s: &SendSpec) -> Result<Template, String> {
        if s.stamped && s.size < 16 {
            return Err("--size must be at least 16 to carry the send time".into());
        }
        let born = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let batched = s.batch > 1;
        // A batch's own properties carry no id; each message inside has one (Java
        // `DefaultMQProducer.batch` sets them before encoding the body).
        let props = String::from_utf8(properties(!batched)).map_err(|e| e.to_string())?;
        let h = SendMessageRequestHeaderV2 {
            a: s.group.into(),
            b: s.topic.into(),
            c: "TBW102".into(),
            d: 4,
            e: s.queue,
            f: 0,
            g: born,
            h: 0,
            i: Some(props),
            j: Some(0),
            k: Some(false),
            l: None,
            m: Some(batched),
            n: None,
        };
        let mut payload = Vec::new();
        let mut stamp_in_body = Vec::new();
        if batched {
            // Java `MessageDecoder.encodeMessages`: per message total size, magic 0, body CRC 0,
            // flag, body length, body, properties length (i16), properties.
            let props = properties(true);
            for _ in 0..s.batch {
                let total = 4 + 4 + 4 + 4 + 4 + s.size + 2 + props.len();
                payload.extend_from_slice(&(total as i32).to_be_bytes());
                payload.extend_from_slice(&[0; 12]);
                payload.extend_from_slice(&(s.size as i32).to_be_bytes());
                stamp_in_body.push(payload.len());
                payload.extend_from_slice(&body(s.size, s.stamped));
                payload.extend_from_slice(&(props.len() as i16).to_be_bytes());
                payload.extend_from_slice(&props);
            }
        } else {
            stamp_in_body.push(0);
            payload = body(s.size, s.stamped);
        }
        let code = if batched {
            rq::SEND_BATCH_MESSAGE
        } else {
            rq::SEND_MESSAGE_V2
        };
        let mut cmd = Command::request(code)
            .with_header(&h)
            .with_body(payload.clone());
        cmd.serialize_type = s.serialize;
        cmd.opaque = OPAQUE_BASE;
        if s.oneway {
            cmd = cmd.oneway();
        }
        let mut out = BytesMut::new();
        remoting::codec::encode(&cmd, &mut out);
        let bytes = out.to_vec();
        let body_start = bytes.len() - payload.len();
        let json = s.serialize == SerializeType::Json;
        let opaque_at = if json {
            let key = format!("\"opaque\":{OPAQUE_BASE}");
            find_all(&bytes[..body_start], key.as_bytes())
                .first()
                .map(|at| at + key.len() - 10)
                .ok_or("the encoded header has no opaque")?
        } else {
            // length, header-length word, code (2), language (1), version (2).
            8 + 5
        };
        let uniq_at = find_all(&bytes, UNIQ_PLACEHOLDER);
        if uniq_at.len() != s.batch {
            return Err("the encoded frame lost a message id".into());
        }
        let stamp_at = if s.stamped {
            stamp_in_body.iter().map(|at| body_start + at + 8).collect()
        } else {
            Vec::new()
        };
        Ok(Template {
            bytes,
            opaque_at,
            json,
            uniq_at,
            stamp_at,
            messages: s.batch as u64,
            payload: (s.batch * s.size) as u64,
        })
    }

    /// Appends the frame with opaque `OPAQUE_BASE + n`, fresh ids from `ids` and, when
    /// stamped, `stamp`.
    pub fn write(&self, out: &mut Vec<u8>, n: u32, ids: &mut IdGen, stamp: u64) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        let f = &mut out[start..];
        let opaque = OPAQUE_BASE as u32 + n % OPAQUE_SPAN;
        if self.json {
            let mut v = opaque;
            for d in f[self.opaque_at..self.opaque_at + 10].iter_mut().rev() {
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
        } else {
            f[self.opaque_at..self.opaque_at + 4].copy_from_slice(&opaque.to_be_bytes());
        }
        for &at in &self.uniq_at {
            ids.next(&mut f[at..at + 32]);
        }
        for &at in &self.stamp_at {
            f[at..at + 8].copy_from_slice(&stamp.to_be_bytes());
        }
    }
}

/// Client-side message ids: 32 upper-case hex digits, as Java's `MessageClientIDSetter` makes
/// (its layout: address, pid, then a per-process counter), unique per connection.
pub struct IdGen {
    prefix: [u8; 16],
    counter: u64,
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

impl IdGen {
    pub fn new(connection: u32) -> Self {
        let mut prefix = [0u8; 16];
        let seed = (0x7F00_0001u64 << 32) | (u64::from(std::process::id() & 0xFFFF) << 16);
        let v = seed | u64::from(connection & 0xFFFF);
        hex(v, &mut prefix);
        IdGen { prefix, counter: 0 }
    }

    fn next(&mut self, out: &mut [u8]) {
        out[..16].copy_from_slice(&self.prefix);
        hex(self.counter, &mut out[16..32]);
        self.counter += 1;
    }
}

fn hex(mut v: u64, out: &mut [u8]) {
    for d in out.iter_mut().rev() {
        *d = HEX[(v & 15) as usize];
        v >>= 4;
    }
}

/// What the tool needs of a response: its code and opaque (and the remark, for errors).
pub struct Reply {
    pub code: i32,
    pub opaque: i32,
    pub remark: Option<String>,
}

/// Takes the complete frames off the front of `buf`; `Err` when the stream is not remoting.
pub fn next_reply(buf: &mut BytesMut) -> Result<Option<Reply>, String> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if !(4..=remoting::codec::MAX_FRAME_LENGTH).contains(&len) {
        return Err(format!("bad frame length {len}"));
    }
    if buf.len() < 4 + len {
        buf.reserve(4 + len - buf.len());
        return Ok(None);
    }
    buf.advance(4);
    let frame = buf.split_to(len);
    let word = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    let hlen = (word & 0x00FF_FFFF) as usize;
    if 4 + hlen > frame.len() {
        return Err(format!("bad header length {hlen}"));
    }
    let header = &frame[4..4 + hlen];
    if word >> 24 == 1 && hlen >= 17 {
        // ROCKETMQ header: code i16, language, version i16, opaque i32, flag i32, remark.
        let code = i32::from(i16::from_be_bytes([header[0], header[1]]));
        let opaque = i32::from_be_bytes([header[5], header[6], header[7], header[8]]);
        let rlen = i32::from_be_bytes([header[13], header[14], header[15], header[16]]);
        let remark = (code != 0 && rlen > 0 && 17 + rlen as usize <= hlen)
            .then(|| String::from_utf8_lossy(&header[17..17 + rlen as usize]).into_owned());
        return Ok(Some(Reply {
            code,
            opaque,
            remark,
        }));
    }
    if let Some((0, opaque)) = json_code_opaque(header) {
        return Ok(Some(Reply {
            code: 0,
            opaque,
            remark: None,
        }));
    }
    // A failure (or a header the scan does not follow): the codec's full parse, for the remark.
    let mut cmd = remoting::codec::json::read_header(header).map_err(|e| e.to_string())?;
    Ok(Some(Reply {
        code: cmd.code,
        opaque: cmd.opaque,
        remark: cmd.remark.take(),
    }))
}

/// The top-level `code` and `opaque` of a JSON header, read without building the command: a
/// successful reply needs nothing else. `None` when either is missing or not a plain integer.
fn json_code_opaque(h: &[u8]) -> Option<(i32, i32)> {
    let (mut code, mut opaque) = (None, None);
    let (mut depth, mut i) = (0usize, 0usize);
    while i < h.len() {
        match h[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            b'"' => {
                let start = i + 1;
                i = start;
                while i < h.len() && h[i] != b'"' {
                    i += if h[i] == b'\\' { 2 } else { 1 };
                }
                let key = h.get(start..i)?;
                if depth == 1 && h.get(i + 1) == Some(&b':') && (key == b"code" || key == b"opaque")
                {
                    let digits = h[i + 2..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit() || **c == b'-')
                        .count();
                    let v: i32 = std::str::from_utf8(&h[i + 2..i + 2 + digits])
                        .ok()?
                        .parse()
                        .ok()?;
                    if key == b"code" {
                        code = Some(v);
                    } else {
                        opaque = Some(v);
                    }
                    i += 1 + digits;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Some((code?, opaque?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(serialize: SerializeType, batch: usize) -> SendSpec<'static> {
        SendSpec {
            serialize,
            group: "g",
            topic: "T",
            queue: 3,
            size: 100,
            batch,
            oneway: false,
            stamped: true,
        }
    }

    #[test]
    fn json_scan_reads_the_top_level_code_and_opaque_only() {
        let h = br#"{"code":0,"extFields":{"opaque":"7","msgId":"a\"code\":3","queueId":"1"},"flag":1,"language":"JAVA","opaque":1000000042,"serializeTypeCurrentRPC":"JSON","version":479}"#;
        assert_eq!(json_code_opaque(h), Some((0, 1_000_000_042)));
        assert_eq!(
            json_code_opaque(br#"{"code":-1006,"opaque":5}"#),
            Some((-1006, 5))
        );
        assert_eq!(json_code_opaque(br#"{"flag":1,"opaque":5}"#), None);
        let mut cmd = Command::response(0, None).with_ext("queueOffset", "12");
        cmd.opaque = OPAQUE_BASE + 9;
        cmd.serialize_type = SerializeType::Json;
        let mut buf = BytesMut::new();
        remoting::codec::encode(&cmd, &mut buf);
        let r = next_reply(&mut buf).unwrap().unwrap();
        assert_eq!((r.code, r.opaque), (0, OPAQUE_BASE + 9));
    }

    #[test]
    fn patched_frames_decode_with_their_opaque_ids_and_stamp() {
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            for batch in [1, 4] {
                let t = Template::send(&spec(ser, batch)).unwrap();
                let mut ids = IdGen::new(7);
                let mut out = Vec::new();
                t.write(&mut out, 42, &mut ids, 0x0102_0304_0506_0708);
                t.write(&mut out, 43, &mut ids, 9);
                let mut buf = BytesMut::from(&out[..]);
                let mut decode = || {
                    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
                    buf.advance(4);
                    remoting::codec::decode_frame(buf.split_to(len).freeze()).unwrap()
                };
                let first = decode();
                let second = decode();
                assert_eq!(first.opaque, OPAQUE_BASE + 42);
                assert_eq!(second.opaque, OPAQUE_BASE + 43);
                let body = first.body.clone().unwrap();
                if batch == 1 {
                    let h: SendMessageRequestHeaderV2 = first.decode_header().unwrap();
                    let props = h.i.unwrap();
                    assert!(props.contains("UNIQ_KEY\u{1}7F000001"), "{props:?}");
                    assert!(!props.contains("PLACEHOLDER"));
                    assert_eq!(&body[..8], STAMP_MAGIC);
                    assert_eq!(&body[8..16], &0x0102_0304_0506_0708u64.to_be_bytes());
                } else {
                    assert_eq!(first.code, rq::SEND_BATCH_MESSAGE);
                    let text = String::from_utf8_lossy(&body);
                    assert_eq!(text.matches("UNIQ_KEY\u{1}7F000001").count(), 4);
                    assert!(!text.contains("PLACEHOLDER"));
                }
            }
        }
    }
}
