//! Message recall, 5.3.2+ (Java `RecallMessageProcessor`, `RecallMessageHandle`): a timer
//! message's send answers a recall handle; RECALL_MESSAGE (370) with that handle stores a delete
//! marker in the timer topic, due in the same slot as the message, and the timer then delivers
//! neither ([`crate::timer`]).
//!
//! The handle is URL-safe base64 (with padding) of `v1 <topic> <brokerName> <due+1> <uniqId>`,
//! where `due` is the message's `TIMER_OUT_MS`: a client, a proxy and any broker of the group can
//! read it, so a handle from Java's broker recalls on Thrust's and back.

use std::net::SocketAddr;

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use bytes::Bytes;
use remoting::code::response as rc;
use remoting::headers::{RecallMessageRequestHeader, RecallMessageResponseHeader};
use remoting::{Command, Connection};
use store::props::{get, java_map_order, properties_to_string, MESSAGE_MAP_CAPACITY};
use store::NewMessage;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::{Reject, Reply};
use crate::persist::now_millis;
use crate::topics::{PERM_WRITE, RETRY_PREFIX, TIMER_TOPIC};

/// The recall message's tag (Java `RECALL_MESSAGE_TAG`).
const RECALL_TAG: &str = "_RECALL_TAG_";
const VERSION_1: &str = "v1";

/// Java's `Base64.getUrlEncoder()` pads; its URL decoder takes a handle with or without padding.
const HANDLE_BASE64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A decoded handle (Java `RecallMessageHandle.HandleV1`).
#[derive(Debug, PartialEq, Eq)]
pub struct Handle {
    pub topic: String,
    pub broker_name: String,
    pub timestamp: String,
    pub message_id: String,
}

impl Handle {
    /// Java `HandleV1.buildHandle` (no check of its parts, as Java).
    pub fn encode(topic: &str, broker_name: &str, timestamp: &str, message_id: &str) -> String {
        let raw = [VERSION_1, topic, broker_name, timestamp, message_id].join(" ");
        HANDLE_BASE64.encode(raw)
    }

    /// Java `RecallMessageHandle.decodeHandle`, with its one message for every failure.
    pub fn decode(handle: &str) -> Result<Handle, String> {
        let invalid = || "recall handle is invalid".to_string();
        if handle.is_empty() {
            return Err(invalid());
        }
        let raw = HANDLE_BASE64.decode(handle).map_err(|_| invalid())?;
        let raw = String::from_utf8_lossy(&raw);
        // Java's `String.split(" ")`: empty items kept, trailing ones dropped.
        let mut items: Vec<&str> = raw.split(' ').collect();
        while items.len() > 1 && items.last() == Some(&"") {
            items.pop();
        }
        if items[0] != VERSION_1 || items.len() < 5 {
            return Err(invalid());
        }
        Ok(Handle {
            topic: items[1].to_string(),
            broker_name: items[2].to_string(),
            timestamp: items[3].to_string(),
            message_id: items[4].to_string(),
        })
    }
}

/// The handle a single send answers (Java `SendMessageProcessor.attachRecallHandle`): a timer
/// message of a topic other than a retry topic, stored as `msg`; `None` for any other.
pub fn handle_of(msg: &NewMessage, broker_name: &str) -> Option<String> {
    if msg.topic != TIMER_TOPIC {
        return None;
    }
    let props = store::props::parse_pairs(&msg.properties);
    let due: i64 = get(&props, "TIMER_OUT_MS")?.parse().ok()?;
    let real_topic = get(&props, "REAL_TOPIC")?;
    if real_topic.starts_with(RETRY_PREFIX) {
        return None;
    }
    // Java adds one: the delete marker's own due time is rounded down into the same slot.
    let timestamp = (due + 1).to_string();
    let id = get(&props, "UNIQ_KEY").unwrap_or("null");
    Some(Handle::encode(real_topic, broker_name, &timestamp, id))
}

/// RECALL_MESSAGE (370). Every answer carries `MSG_REGION`, as Java's.
pub async fn handle(b: &Broker, conn: &Connection, req: Command) -> Reply {
    let cfg = b.config();
    let resp = match recall(b, &cfg, conn, &req).await {
        Ok(resp) => resp,
        Err(r) => r.into_response(),
    };
    Ok(resp.with_ext("MSG_REGION", cfg.region_id.clone()))
}

async fn recall(
    b: &Broker,
    cfg: &BrokerConfig,
    conn: &Connection,
    req: &Command,
) -> Result<Command, Reject> {
    let h: RecallMessageRequestHeader = req.decode_header()?;
    let unavailable = || {
        Reject::code(
            rc::SERVICE_NOT_AVAILABLE,
            "recall failed, broker service not available",
        )
    };
    if !cfg.recall_message_enable {
        return Err(Reject::no_permission(
            "recall failed, operation is forbidden",
        ));
    }
    if !cfg.is_master() {
        return Err(Reject::code(
            rc::SLAVE_NOT_AVAILABLE,
            "recall failed, broker service not available",
        ));
    }
    if now_millis() < cfg.start_accept_send_request_time_stamp {
        return Err(unavailable());
    }
    if cfg.broker_permission & PERM_WRITE == 0 && !cfg.allow_recall_when_broker_not_writeable {
        return Err(unavailable());
    }
    if b.topics.get(&h.topic).is_none() {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("recall failed, the topic[{}] not exist", h.topic),
        ));
    }
    let illegal = |remark: String| Reject::code(rc::ILLEGAL_OPERATION, remark);
    let handle = Handle::decode(&h.recall_handle).map_err(illegal)?;
    if h.topic != handle.topic {
        return Err(illegal("recall failed, topic not match".into()));
    }
    if cfg.broker_name != handle.broker_name {
        return Err(illegal(
            "recall failed, broker service not available".into(),
        ));
    }
    let due = handle.timestamp.parse::<i64>().unwrap_or(-1);
    let left = due - now_millis();
    if left <= 0 || left >= i64::from(cfg.timer_max_delay_sec) * 1000 {
        return Err(illegal("recall failed, timestamp invalid".into()));
    }
    let execute_error = || Reject::code(rc::SYSTEM_ERROR, "recall failed, execute error");
    let store_host = b.store_host();
    let msg = delete_marker(cfg, store_host, &h, &handle, due, conn).ok_or_else(execute_error)?;
    let topic = msg.topic.clone();
    let put = b.store.put(msg).map_err(|e| {
        tracing::warn!(topic = %h.topic, "recall: {e}");
        execute_error()
    })?;
    b.stats_items.put_result(b, &topic, &put);
    // A flush timeout still answers success, as Java's.
    let _ = put.durability.wait().await;
    let header = RecallMessageResponseHeader {
        msg_id: handle.message_id,
    };
    Ok(Command::response(rc::SUCCESS, None).with_header(&header))
}

/// Java `RecallMessageProcessor.buildMessage` as the timer hook stores it: queue 0 of the timer
/// topic, body "0", the delete key `topic+uniqId`, due in the handle's slot; properties put into
/// a new map in Java's order (an empty `TRACE_CONTEXT` included). `None` when the due time has
/// passed meanwhile (Java's WHEEL_TIMER_MSG_ILLEGAL).
fn delete_marker(
    cfg: &BrokerConfig,
    store_host: SocketAddr,
    h: &RecallMessageRequestHeader,
    handle: &Handle,
    due: i64,
    conn: &Connection,
) -> Option<NewMessage> {
    let now = now_millis();
    if due <= now {
        return None;
    }
    let slot = crate::timer::slot_of(due, cfg.timer_precision_ms);
    let mut props = vec![
        ("TAGS".to_string(), RECALL_TAG.to_string()),
        (
            "TIMER_DEL_UNIQKEY".to_string(),
            crate::timer::delete_key(&handle.topic, &handle.message_id),
        ),
        ("UNIQ_KEY".to_string(), handle.message_id.clone()),
        ("TIMER_DELIVER_MS".to_string(), handle.timestamp.clone()),
        ("BORN_TIMESTAMP".to_string(), now.to_string()),
        ("TRACE_CONTEXT".to_string(), String::new()),
    ];
    if let Some(group) = &h.producer_group {
        props.push(("PGROUP".to_string(), group.clone()));
    }
    props.extend([
        ("TIMER_OUT_MS".to_string(), slot.to_string()),
        ("REAL_TOPIC".to_string(), handle.topic.clone()),
        ("REAL_QID".to_string(), "0".to_string()),
    ]);
    java_map_order(&mut props, MESSAGE_MAP_CAPACITY);
    let properties = properties_to_string(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Some(NewMessage {
        topic: TIMER_TOPIC.to_string(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from_static(b"0"),
        properties,
        sys_flag: 0,
        born_timestamp: now,
        born_host: conn.peer(),
        store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_as_java_builds_and_reads_them() {
        let h = Handle::encode("T", "broker-a", "1733480000001", "ID1");
        // Java: Base64.getUrlEncoder() of "v1 T broker-a 1733480000001 ID1".
        assert_eq!(h, "djEgVCBicm9rZXItYSAxNzMzNDgwMDAwMDAxIElEMQ==");
        let d = Handle::decode(&h).unwrap();
        assert_eq!(
            d,
            Handle {
                topic: "T".into(),
                broker_name: "broker-a".into(),
                timestamp: "1733480000001".into(),
                message_id: "ID1".into(),
            }
        );
        assert_eq!(Handle::decode(h.trim_end_matches('=')).unwrap(), d);
        for bad in ["", "!!", "djEgVA==", "/+/+"] {
            assert_eq!(
                Handle::decode(bad).unwrap_err(),
                "recall handle is invalid",
                "{bad}"
            );
        }
        // Trailing empty items are dropped, inner ones kept.
        let two_spaces = HANDLE_BASE64.encode("v1  T b 1 id  ");
        assert_eq!(Handle::decode(&two_spaces).unwrap().topic, "");
    }

    #[test]
    fn only_a_timer_message_gets_a_handle() {
        let cfg = BrokerConfig::default();
        let msg =
            crate::schedule::test_message(1, "TIMER_DELAY_SEC\u{1}5\u{2}UNIQ_KEY\u{1}U1\u{2}");
        let timer = crate::timer::to_timer_topic(msg, &cfg).unwrap();
        let h = Handle::decode(&handle_of(&timer, "bn").unwrap()).unwrap();
        let due = get(
            &store::props::parse_pairs(&timer.properties),
            "TIMER_OUT_MS",
        )
        .unwrap()
        .parse::<i64>()
        .unwrap();
        assert_eq!((h.topic.as_str(), h.broker_name.as_str()), ("T", "bn"));
        assert_eq!(h.timestamp, (due + 1).to_string());
        assert_eq!(h.message_id, "U1");
        let plain = crate::schedule::test_message(1, "UNIQ_KEY\u{1}U1\u{2}");
        assert_eq!(handle_of(&plain, "bn"), None);
    }
}
