//! Between the broker's messages and the protocol's: a popped message as a
//! `apache.rocketmq.v2.Message` (Java `GrpcConverter.buildMessage`), its receipt handle (Java
//! `ReceiptHandle`: the POP extra info and the CommitLog offset, space-separated), and the
//! property names Java reserves.

use std::collections::HashMap;

use bytes::Bytes;
use store::props::parse_pairs;
use store::StoredMessage;

use super::proto::{self, encoding, message_type};
use crate::pop::records::{self, ExtraInfo};

/// Java `MessageConst.STRING_HASH_SET`: property names a client may not set, and that are not
/// handed to a client as user properties.
pub const SYSTEM_PROPERTIES: &[&str] = &[
    "TRACE_ON",
    "MSG_REGION",
    "KEYS",
    "TAGS",
    "WAIT",
    "DELAY",
    "RETRY_TOPIC",
    "REAL_TOPIC",
    "REAL_QID",
    "TRAN_MSG",
    "PGROUP",
    "MIN_OFFSET",
    "MAX_OFFSET",
    "BUYER_ID",
    "ORIGIN_MESSAGE_ID",
    "TRANSFER_FLAG",
    "CORRECTION_FLAG",
    "MQ2_FLAG",
    "RECONSUME_TIME",
    "UNIQ_KEY",
    "MAX_RECONSUME_TIMES",
    "CONSUME_START_TIME",
    "POP_CK",
    "POP_CK_OFFSET",
    "1ST_POP_TIME",
    "TRAN_PREPARED_QUEUE_OFFSET",
    "DUP_INFO",
    "EXTEND_UNIQ_INFO",
    "INSTANCE_ID",
    "CORRELATION_ID",
    "REPLY_TO_CLIENT",
    "TTL",
    "ARRIVE_TIME",
    "PUSH_REPLY_TIME",
    "CLUSTER",
    "MSG_TYPE",
    "INNER_MULTI_QUEUE_OFFSET",
    "TIMER_DELAY_MS",
    "TIMER_DELAY_SEC",
    "TIMER_DELIVER_MS",
    "TIMER_ENQUEUE_MS",
    "TIMER_DEQUEUE_MS",
    "TIMER_ROLL_TIMES",
    "TIMER_OUT_MS",
    "TIMER_DEL_UNIQKEY",
    "TIMER_DELAY_LEVEL",
    "__BORNHOST",
    "BORN_TIMESTAMP",
    "DLQ_ORIGIN_TOPIC",
    "DLQ_ORIGIN_MESSAGE_ID",
    "__CRC32#",
];

pub fn is_system_property(name: &str) -> bool {
    SYSTEM_PROPERTIES.contains(&name)
}

/// A receipt handle taken apart (Java `ReceiptHandle.decode`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptHandle {
    pub info: ExtraInfo,
    /// The message's CommitLog offset, −1 when the handle has none.
    pub commit_log_offset: i64,
    /// The handle as the client gave it: the broker's `extraInfo`.
    pub text: String,
}

impl ReceiptHandle {
    pub fn decode(text: &str) -> Result<ReceiptHandle, String> {
        let fields: Vec<&str> = text.split(' ').collect();
        if fields.len() < 8 {
            return Err(format!("Parse failed, dataList size {}", fields.len()));
        }
        let info = ExtraInfo::parse(text)?;
        if info.queue_offset.is_none() {
            return Err(format!("receipt handle {text}: no queue offset"));
        }
        let commit_log_offset = match fields.get(8) {
            Some(f) => f
                .parse()
                .map_err(|_| format!("receipt handle {text}: commit log offset"))?,
            None => -1,
        };
        Ok(ReceiptHandle {
            info,
            commit_log_offset,
            text: text.to_string(),
        })
    }

    pub fn queue_offset(&self) -> i64 {
        self.info.queue_offset.unwrap_or(-1)
    }

    /// Java `ReceiptHandle.getRealTopic`: the topic the message was popped from.
    pub fn real_topic(&self, topic: &str, group: &str) -> String {
        records::real_topic(topic, group, &self.info.retry).unwrap_or_else(|| topic.to_string())
    }
}

/// The messages of a POP_MESSAGE answer with their receipt handles (Java
/// `LocalMessageService.popMessage` and `ConsumerProcessor.createHandle`): a message the broker
/// gave a `POP_CK` keeps it; the others get one built from `startOffsetInfo` and
/// `msgOffsetInfo`.
pub fn popped(
    body: &[u8],
    header: &remoting::headers::PopMessageResponseHeader,
    broker_name: &str,
) -> Vec<(StoredMessage, String)> {
    let msgs = decode_all(body);
    let starts = offset_info(header.start_offset_info.as_deref().unwrap_or_default());
    let offsets = offset_info(header.msg_offset_info.as_deref().unwrap_or_default());
    let mut seen: HashMap<(String, i32), usize> = HashMap::new();
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        let ck = store::props::property(&m.properties, "POP_CK").map(str::to_string);
        let info = match ck {
            Some(ck) => ck,
            None => {
                let key = (records::retry_mark(&m.topic).to_string(), m.queue_id);
                let index = seen.entry(key.clone()).or_insert(0);
                let queue_offset = offsets
                    .get(&key)
                    .and_then(|list| list.get(*index))
                    .copied()
                    .unwrap_or(m.queue_offset);
                *index += 1;
                let start = starts
                    .get(&key)
                    .and_then(|l| l.first())
                    .copied()
                    .unwrap_or(m.queue_offset);
                ExtraInfo::build(
                    start,
                    header.pop_time,
                    header.invisible_time,
                    header.revive_qid,
                    &m.topic,
                    broker_name,
                    m.queue_id,
                    queue_offset,
                )
            }
        };
        let handle = format!("{info} {}", m.physical_offset);
        out.push((m, handle));
    }
    out
}

/// The records of a message batch body, one after another.
pub fn decode_all(mut body: &[u8]) -> Vec<StoredMessage> {
    let mut out = Vec::new();
    while body.len() >= 4 {
        let size = i32::from_be_bytes([body[0], body[1], body[2], body[3]]);
        let Some(size) = usize::try_from(size)
            .ok()
            .filter(|s| *s >= 4 && *s <= body.len())
        else {
            break;
        };
        if let Some(m) = StoredMessage::decode(&Bytes::copy_from_slice(&body[..size])) {
            out.push(m);
        }
        body = &body[size..];
    }
    out
}

/// `<mark> <queueId> <o1>,<o2>…` entries, `;`-joined, by (mark, queue id).
fn offset_info(s: &str) -> HashMap<(String, i32), Vec<i64>> {
    let mut out = HashMap::new();
    for entry in s.split(';').filter(|e| !e.is_empty()) {
        let mut f = entry.split(' ');
        let (Some(mark), Some(qid), Some(list)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Ok(qid) = qid.parse::<i32>() else {
            continue;
        };
        let offsets = list.split(',').filter_map(|o| o.parse().ok()).collect();
        out.insert((mark.to_string(), qid), offsets);
    }
    out
}

/// Java `GrpcConverter.buildMessage`, with the topic the client asked for. The body digest is
/// CRC32 (one of the protocol's digest types, checked by every SDK), where Java sends MD5.
pub fn to_proto(m: &StoredMessage, topic: &str, handle: Option<String>) -> proto::Message {
    let props = parse_pairs(&m.properties);
    let get = |k: &str| props.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let user_properties = props
        .iter()
        .filter(|(k, _)| !is_system_property(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ty = if get("TRAN_MSG") == Some("true") {
        message_type::TRANSACTION
    } else if get("DELAY").is_some()
        || get("TIMER_DELIVER_MS").is_some()
        || get("TIMER_DELAY_SEC").is_some()
    {
        message_type::DELAY
    } else if get("__SHARDINGKEY").is_some() {
        message_type::FIFO
    } else {
        message_type::NORMAL
    };
    let delivery = match get("TIMER_DELAY_SEC").and_then(|s| s.parse::<i64>().ok()) {
        Some(sec) => Some(crate::persist::now_millis() + sec * 1000),
        None => get("TIMER_DELIVER_MS").and_then(|s| s.parse::<i64>().ok()),
    };
    let uniq = get("UNIQ_KEY")
        .map(str::to_string)
        .unwrap_or_else(|| store::offset_msg_id(&m.store_host, m.physical_offset));
    let born_host = match get("__BORNHOST").filter(|h| !h.trim().is_empty()) {
        Some(h) => h.to_string(),
        None => m.born_host.ip().to_string(),
    };
    let compressed = m.sys_flag & store::message::sysflag::COMPRESSED != 0;
    let system = proto::SystemProperties {
        tag: get("TAGS").map(str::to_string),
        keys: get("KEYS")
            .map(|k| k.split(' ').map(str::to_string).collect())
            .unwrap_or_default(),
        message_id: uniq,
        body_digest: Some(proto::Digest {
            r#type: proto::digest_type::CRC32,
            checksum: format!("{:X}", crc32fast::hash(&m.body)),
        }),
        body_encoding: if compressed {
            encoding::GZIP
        } else {
            encoding::IDENTITY
        },
        message_type: ty,
        born_timestamp: Some(proto::Timestamp::from_millis(m.born_timestamp)),
        born_host,
        store_timestamp: Some(proto::Timestamp::from_millis(m.store_timestamp)),
        store_host: format_addr(&m.store_host),
        delivery_timestamp: delivery.map(proto::Timestamp::from_millis),
        receipt_handle: handle,
        queue_id: m.queue_id,
        queue_offset: Some(m.queue_offset),
        invisible_duration: None,
        delivery_attempt: Some(m.reconsume_times + 1),
        message_group: get("__SHARDINGKEY").map(str::to_string),
        trace_context: get("TRACE_CONTEXT").map(str::to_string),
        orphaned_transaction_recovery_duration: None,
        dead_letter_queue: match (get("DLQ_ORIGIN_TOPIC"), get("DLQ_ORIGIN_MESSAGE_ID")) {
            (Some(t), Some(id)) => Some(proto::DeadLetterQueue {
                topic: t.to_string(),
                message_id: id.to_string(),
            }),
            _ => None,
        },
    };
    proto::Message {
        topic: Some(proto::Resource {
            resource_namespace: String::new(),
            name: topic.to_string(),
        }),
        user_properties,
        system_properties: Some(system),
        body: m.body.clone(),
    }
}

/// Java `NetworkUtil.socketAddress2String`: `ip:port`, an IPv6 address without brackets.
fn format_addr(a: &std::net::SocketAddr) -> String {
    format!("{}:{}", a.ip(), a.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_handles_as_java_writes_them() {
        let h = ReceiptHandle::decode("5 1700000000000 30000 3 0 broker-a 1 7 123456").unwrap();
        assert_eq!(h.info.ck_queue_offset, 5);
        assert_eq!(h.info.queue_id, 1);
        assert_eq!(h.queue_offset(), 7);
        assert_eq!(h.commit_log_offset, 123456);
        assert_eq!(h.real_topic("T", "G"), "T");
        let retry = ReceiptHandle::decode("5 1700000000000 30000 3 1 broker-a 0 7").unwrap();
        assert_eq!(retry.commit_log_offset, -1);
        assert_eq!(retry.real_topic("T", "G"), "%RETRY%G_T");
        assert!(ReceiptHandle::decode("1 2 3").is_err());
    }

    #[test]
    fn offset_infos() {
        let m = offset_info("0 1 5,6,7;1 0 2");
        assert_eq!(m[&("0".to_string(), 1)], [5, 6, 7]);
        assert_eq!(m[&("1".to_string(), 0)], [2]);
    }
}
