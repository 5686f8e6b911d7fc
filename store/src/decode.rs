//! Reading stored records back: the validation recovery and dispatch use
//! (`CommitLog.checkMessageAndReturnSize`) and a field-level decode for the broker
//! (`MessageDecoder.decode`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;

use crate::layout::SCHEDULE_TOPIC;
use crate::message::{crc32, sysflag, tags_code, NewMessage, MAGIC_BLANK, MAGIC_V1, MAGIC_V2};
use crate::props::{self, keys};

/// What a consume queue and the index need from a record (Java `DispatchRequest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchInfo<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub physical_offset: i64,
    pub size: i32,
    pub tags_code: i64,
    pub store_timestamp: i64,
    pub queue_offset: i64,
    pub keys: Option<&'a str>,
    pub uniq_key: Option<&'a str>,
    pub sys_flag: i32,
    pub prepared_transaction_offset: i64,
}

/// Outcome of validating the bytes at one position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked<'a> {
    /// A good record.
    Message(DispatchInfo<'a>),
    /// End-of-segment blank: continue at the next segment.
    Blank,
    /// Not a valid record: end of data here. `reason` is for the log.
    Bad { reason: String },
}

/// Delay-level table (`messageDelayLevel`) in milliseconds; level *i* is `levels[i-1]`.
#[derive(Debug, Clone)]
pub struct DelayLevels(pub Vec<i64>);

impl DelayLevels {
    /// Parse `"1s 5s 10s 30s 1m … 2h"` (units s, m, h, d).
    pub fn parse(s: &str) -> Result<DelayLevels, String> {
        let mut out = Vec::new();
        for tok in s.split_whitespace() {
            let (num, unit) = tok.split_at(tok.len() - 1);
            let mult = match unit {
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => return Err(format!("bad delay level {tok:?}")),
            };
            let n: i64 = num
                .parse()
                .map_err(|_| format!("bad delay level {tok:?}"))?;
            out.push(n * mult);
        }
        Ok(DelayLevels(out))
    }

    /// `computeDeliverTimestamp`: store time + delay of the (clamped) level; +1000 if unknown.
    pub fn deliver_timestamp(&self, level: i32, store_timestamp: i64) -> i64 {
        let max = self.0.len() as i32;
        let level = level.min(max);
        match usize::try_from(level - 1).ok().and_then(|i| self.0.get(i)) {
            Some(d) => store_timestamp + d,
            None => store_timestamp + 1000,
        }
    }
}

/// The consume-queue tags field for a record: `TAGS` hash, or the delivery time for
/// `SCHEDULE_TOPIC_XXXX` records carrying `DELAY` > 0.
pub fn cq_tags_code(topic: &str, properties: &str, store_ts: i64, delays: &DelayLevels) -> i64 {
    let [tags, delay] = props::properties(properties, [keys::TAGS, keys::DELAY]);
    scheduled_delivery(topic, delay, store_ts, delays).unwrap_or_else(|| tags_code(tags))
}

/// The delivery time that is the tags code of a `SCHEDULE_TOPIC_XXXX` record whose `DELAY`
/// (the property's value) is above 0.
pub(crate) fn scheduled_delivery(
    topic: &str,
    delay: Option<&str>,
    store_ts: i64,
    delays: &DelayLevels,
) -> Option<i64> {
    if topic != SCHEDULE_TOPIC {
        return None;
    }
    let level = delay?.parse::<i32>().ok()?;
    (level > 0).then(|| delays.deliver_timestamp(level, store_ts))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn host(&mut self, v6: bool) -> Option<SocketAddr> {
        let ip: IpAddr = if v6 {
            Ipv6Addr::from(<[u8; 16]>::try_from(self.take(16)?).ok()?).into()
        } else {
            Ipv4Addr::from(<[u8; 4]>::try_from(self.take(4)?).ok()?).into()
        };
        let port = self.i32()?;
        Some(SocketAddr::new(ip, port as u16))
    }
}

/// Every field of a stored record; the body is a view of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub total_size: i32,
    pub magic: i32,
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: Bytes,
    pub topic: String,
    pub properties: String,
}

impl StoredMessage {
    /// This record to be stored again (as Java builds a `MessageExtBrokerInner` from a
    /// `MessageExt`): what the producer set is kept; topic, queue and properties are new.
    pub fn to_new(&self, topic: String, queue_id: i32, properties: String) -> NewMessage {
        NewMessage {
            topic,
            queue_id,
            flag: self.flag,
            body: self.body.clone(),
            properties,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
        }
    }

    /// Decode one record from the start of `buf` (no CRC check; see [`check_record`]).
    pub fn decode(buf: &Bytes) -> Option<StoredMessage> {
        let mut r = Reader { b: buf, pos: 0 };
        let total_size = r.i32()?;
        let magic = r.i32()?;
        if magic != MAGIC_V1 && magic != MAGIC_V2 {
            return None;
        }
        let body_crc = r.i32()?;
        let queue_id = r.i32()?;
        let flag = r.i32()?;
        let queue_offset = r.i64()?;
        let physical_offset = r.i64()?;
        let sys_flag = r.i32()?;
        let born_timestamp = r.i64()?;
        let born_host = r.host(sys_flag & sysflag::BORNHOST_V6 != 0)?;
        let store_timestamp = r.i64()?;
        let store_host = r.host(sys_flag & sysflag::STOREHOST_V6 != 0)?;
        let reconsume_times = r.i32()?;
        let prepared_transaction_offset = r.i64()?;
        let body_len = usize::try_from(r.i32()?).ok()?;
        let body_start = r.pos;
        r.take(body_len)?;
        let body = buf.slice(body_start..body_start + body_len);
        let topic_len = if magic == MAGIC_V2 {
            usize::try_from(r.i16()?).ok()?
        } else {
            usize::try_from(i8::from_be_bytes([r.take(1)?[0]])).ok()?
        };
        let topic = String::from_utf8(r.take(topic_len)?.to_vec()).ok()?;
        let props_len = usize::try_from(r.i16()?).ok()?;
        let properties = String::from_utf8(r.take(props_len)?.to_vec()).ok()?;
        (r.pos == usize::try_from(total_size).ok()?).then_some(StoredMessage {
            total_size,
            magic,
            body_crc,
            queue_id,
            flag,
            queue_offset,
            physical_offset,
            sys_flag,
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body,
            topic,
            properties,
        })
    }
}

/// Validate the record at the start of `buf` (the rest of its segment) like
/// `checkMessageAndReturnSize`: size, magic, body CRC (if `check_crc`), field lengths, UTF-8.
pub fn check_record<'a>(buf: &'a [u8], check_crc: bool, delays: &DelayLevels) -> Checked<'a> {
    let bad = |reason: &str| Checked::Bad {
        reason: reason.to_string(),
    };
    if buf.len() < 8 {
        return bad("fewer than 8 bytes left in segment");
    }
    let total = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let magic = i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
    if magic == MAGIC_BLANK {
        return Checked::Blank;
    }
    if magic != MAGIC_V1 && magic != MAGIC_V2 {
        return bad(&format!("bad magic code {magic:#010x}"));
    }
    let Some(len) = usize::try_from(total)
        .ok()
        .filter(|&l| l >= 8 && l <= buf.len())
    else {
        return bad(&format!(
            "total size {total} does not fit the {} bytes left",
            buf.len()
        ));
    };
    let rec = &buf[..len];
    let mut r = Reader { b: rec, pos: 8 };
    match parse_dispatch(&mut r, magic, check_crc, delays) {
        Ok(mut info) if r.pos == len => {
            info.size = total;
            Checked::Message(info)
        }
        Ok(_) => bad(&format!(
            "total size {total} differs from the field lengths {}",
            r.pos
        )),
        Err(reason) => bad(&reason),
    }
}

fn parse_dispatch<'a>(
    r: &mut Reader<'a>,
    magic: i32,
    check_crc: bool,
    delays: &DelayLevels,
) -> Result<DispatchInfo<'a>, String> {
    let short = || "record shorter than its fields".to_string();
    let body_crc = r.i32().ok_or_else(short)?;
    let queue_id = r.i32().ok_or_else(short)?;
    let _flag = r.i32().ok_or_else(short)?;
    let queue_offset = r.i64().ok_or_else(short)?;
    let physical_offset = r.i64().ok_or_else(short)?;
    let sys_flag = r.i32().ok_or_else(short)?;
    let _born_ts = r.i64().ok_or_else(short)?;
    r.host(sys_flag & sysflag::BORNHOST_V6 != 0)
        .ok_or_else(short)?;
    let store_timestamp = r.i64().ok_or_else(short)?;
    r.host(sys_flag & sysflag::STOREHOST_V6 != 0)
        .ok_or_else(short)?;
    let _reconsume = r.i32().ok_or_else(short)?;
    let prepared_transaction_offset = r.i64().ok_or_else(short)?;
    let body_len =
        usize::try_from(r.i32().ok_or_else(short)?).map_err(|_| "negative body length")?;
    let body = r.take(body_len).ok_or_else(short)?;
    if check_crc && crc32(body) != body_crc {
        return Err(format!(
            "body CRC mismatch: stored {body_crc}, computed {}",
            crc32(body)
        ));
    }
    let topic_len = if magic == MAGIC_V2 {
        usize::try_from(r.i16().ok_or_else(short)?).map_err(|_| "negative topic length")?
    } else {
        let b = r.take(1).ok_or_else(short)?[0];
        usize::try_from(i8::from_be_bytes([b])).map_err(|_| "negative topic length")?
    };
    let topic = std::str::from_utf8(r.take(topic_len).ok_or_else(short)?)
        .map_err(|_| "topic is not UTF-8")?;
    let props_len =
        usize::try_from(r.i16().ok_or_else(short)?).map_err(|_| "negative properties length")?;
    let properties = std::str::from_utf8(r.take(props_len).ok_or_else(short)?)
        .map_err(|_| "properties are not UTF-8")?;
    let [tags, delay, index_keys, uniq_key] = props::properties(
        properties,
        [keys::TAGS, keys::DELAY, keys::KEYS, keys::UNIQ_KEY],
    );
    Ok(DispatchInfo {
        tags_code: scheduled_delivery(topic, delay, store_timestamp, delays)
            .unwrap_or_else(|| tags_code(tags)),
        keys: index_keys,
        uniq_key,
        topic,
        queue_id,
        physical_offset,
        size: 0,
        store_timestamp,
        queue_offset,
        sys_flag,
        prepared_transaction_offset,
    })
}

/// Fast check used on every record served: magic is a message magic, the declared size matches
/// the view, and the body CRC matches. The store never serves a record failing it.
pub fn record_intact(rec: &[u8]) -> bool {
    let Some(head) = rec.get(..40) else {
        return false;
    };
    let rd = |i: usize| i32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let (size, magic, crc, sys_flag) = (rd(0), rd(4), rd(8), rd(36));
    if (magic != MAGIC_V1 && magic != MAGIC_V2) || usize::try_from(size).ok() != Some(rec.len()) {
        return false;
    }
    let born = if sys_flag & sysflag::BORNHOST_V6 != 0 {
        20
    } else {
        8
    };
    let stored = if sys_flag & sysflag::STOREHOST_V6 != 0 {
        20
    } else {
        8
    };
    let len_pos = 48 + born + 8 + stored + 12;
    let Some(len) = rec.get(len_pos..len_pos + 4) else {
        return false;
    };
    let body_len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
    let Ok(body_len) = usize::try_from(body_len) else {
        return false;
    };
    match rec.get(len_pos + 4..len_pos + 4 + body_len) {
        Some(body) => crc32(body) == crc,
        None => false,
    }
}
