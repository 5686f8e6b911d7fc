//! ACK_MESSAGE (200051), BATCH_ACK_MESSAGE (200151) and CHANGE_MESSAGE_INVISIBLETIME (200053),
//! Java `AckMessageProcessor` and `ChangeInvisibleTimeProcessor`.
//!
//! An ack is a record in the revive queue the pop used, due when the message would come back
//! (`popTime + invisibleTime`), so the revive task meets it before or with the CK it cancels.
//! Changing the invisible time writes a new one-message CK (pop time = now) and acks the old one.
//!
//! Java's answers kept as they are: an offset outside the queue is NO_MESSAGE (208), a queue id
//! out of range MESSAGE_ILLEGAL, a batch without acks NO_MESSAGE; an ack whose record cannot be
//! stored is logged and still answers SUCCESS.

use std::sync::Arc;

use base64::Engine;
use remoting::code::response as rc;
use remoting::headers::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
};
use remoting::Command;
use serde::Deserialize;

use super::pop_message::orderly_refused;
use super::put_revive_record;
use super::records::{self, Ack, CheckPoint, ExtraInfo, POP_ORDER_REVIVE_QUEUE};
use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::persist::now_millis;

const FAQ: &str = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

fn topic_missing(topic: &str) -> Reject {
    Reject::code(
        rc::TOPIC_NOT_EXIST,
        format!("topic[{topic}] not exist, apply first please! {FAQ}"),
    )
}

/// Topic exists and the queue id is one of its read queues (MESSAGE_ILLEGAL otherwise).
fn check_queue(
    b: &Broker,
    topic: &str,
    qid: i32,
    peer: std::net::SocketAddr,
) -> Result<(), Reject> {
    let tc = b.topics.get(topic).ok_or_else(|| topic_missing(topic))?;
    if qid >= tc.read_queue_nums || qid < 0 {
        return Err(Reject::illegal(format!(
            "queueId[{qid}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}] consumer:[/{peer}]",
            tc.read_queue_nums
        )));
    }
    Ok(())
}

pub async fn ack(b: &Arc<Broker>, conn: &remoting::Connection, req: Command) -> Reply {
    let h: AckMessageRequestHeader = req.decode_header()?;
    check_queue(b, &h.topic, h.queue_id, conn.peer())?;
    let min = b.store.min_offset(&h.topic, h.queue_id);
    let max = b.store.max_offset(&h.topic, h.queue_id);
    if h.offset < min || h.offset > max {
        return Err(Reject::code(
            rc::NO_MESSAGE,
            format!(
                "offset is illegal, key:{}@{}, commit:{}, store:{}~{}",
                h.topic, h.queue_id, h.offset, min, max
            ),
        ));
    }
    let info = ExtraInfo::parse(&h.extra_info).map_err(Reject::system)?;
    if info.revive_qid == POP_ORDER_REVIVE_QUEUE {
        return Err(orderly_refused());
    }
    let ack = Ack {
        ack_offset: h.offset,
        start_offset: info.ck_queue_offset,
        consumer_group: h.consumer_group,
        topic: h.topic,
        queue_id: h.queue_id,
        pop_time: info.pop_time,
        broker_name: Some(info.broker_name),
        ack_offset_list: None,
    };
    append(
        b,
        &ack,
        info.revive_qid,
        info.pop_time + info.invisible_time,
    );
    Ok(Command::response(rc::SUCCESS, None))
}

/// Java `BatchAck`: one CK's acks, as offsets relative to its start offset in a bit set.
#[derive(Deserialize)]
struct BatchAck {
    #[serde(rename = "c", alias = "consumerGroup")]
    consumer_group: String,
    #[serde(rename = "t", alias = "topic")]
    topic: String,
    #[serde(rename = "r", alias = "retry")]
    retry: String,
    #[serde(rename = "so", alias = "startOffset")]
    start_offset: i64,
    #[serde(rename = "q", alias = "queueId")]
    queue_id: i32,
    #[serde(rename = "rq", alias = "reviveQueueId")]
    revive_queue_id: i32,
    #[serde(rename = "pt", alias = "popTime")]
    pop_time: i64,
    #[serde(rename = "it", alias = "invisibleTime")]
    invisible_time: i64,
    /// `BitSet.toByteArray()` as fastjson writes a byte array: base64.
    #[serde(rename = "b", alias = "bitSet")]
    bit_set: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchAckBody {
    broker_name: Option<String>,
    acks: Option<Vec<BatchAck>>,
}

pub async fn batch_ack(b: &Arc<Broker>, req: Command) -> Reply {
    let body: Option<BatchAckBody> = req
        .body
        .as_deref()
        .and_then(|raw| serde_json::from_slice(raw).ok());
    let acks = body
        .as_ref()
        .and_then(|b| b.acks.as_ref())
        .filter(|a| !a.is_empty());
    let Some(acks) = acks else {
        return Ok(Command::response(rc::NO_MESSAGE, None));
    };
    let broker = body.as_ref().and_then(|b| b.broker_name.clone());
    for a in acks {
        if a.revive_queue_id == POP_ORDER_REVIVE_QUEUE {
            return Err(orderly_refused());
        }
        let Some(topic) = records::real_topic(&a.topic, &a.consumer_group, &a.retry) else {
            return Err(Reject::system("getRetry fail, format is wrong"));
        };
        let min = b.store.min_offset(&topic, a.queue_id);
        let max = b.store.max_offset(&topic, a.queue_id);
        let bits = a
            .bit_set
            .as_deref()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .unwrap_or_default();
        let offsets: Vec<i64> = (0..bits.len() * 8)
            .filter(|i| bits[i / 8] >> (i % 8) & 1 == 1)
            .map(|i| a.start_offset + i as i64)
            .filter(|o| *o >= min && *o <= max)
            .collect();
        if offsets.is_empty() {
            continue;
        }
        let ack = Ack {
            ack_offset: -1,
            start_offset: a.start_offset,
            consumer_group: a.consumer_group.clone(),
            topic,
            queue_id: a.queue_id,
            pop_time: a.pop_time,
            broker_name: broker.clone(),
            ack_offset_list: Some(offsets),
        };
        append(b, &ack, a.revive_queue_id, a.pop_time + a.invisible_time);
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// Stores an ack record; Java logs a failed put and still answers SUCCESS.
fn append(b: &Broker, ack: &Ack, revive_qid: i32, deliver_ms: i64) {
    let tag = if ack.ack_offset_list.is_some() {
        records::BATCH_ACK_TAG
    } else {
        records::ACK_TAG
    };
    if let Err(e) = put_revive_record(
        b,
        revive_qid,
        tag,
        ack.unique_id(),
        ack.to_json(),
        deliver_ms,
    ) {
        tracing::warn!(topic = %ack.topic, "pop ack not stored: {e}");
    }
}

pub async fn change_invisible_time(
    b: &Arc<Broker>,
    conn: &remoting::Connection,
    req: Command,
) -> Reply {
    let h: ChangeInvisibleTimeRequestHeader = req.decode_header()?;
    check_queue(b, &h.topic, h.queue_id, conn.peer())?;
    let min = b.store.min_offset(&h.topic, h.queue_id);
    let max = b.store.max_offset(&h.topic, h.queue_id);
    if h.offset < min || h.offset >= max {
        return Ok(Command::response(rc::NO_MESSAGE, None));
    }
    let info = ExtraInfo::parse(&h.extra_info).map_err(Reject::system)?;
    if info.revive_qid == POP_ORDER_REVIVE_QUEUE {
        return Err(orderly_refused());
    }
    let now = now_millis();
    let ck = CheckPoint {
        start_offset: h.offset,
        pop_time: now,
        invisible_time: h.invisible_time,
        num: 1,
        queue_id: h.queue_id,
        topic: h.topic.clone(),
        cid: h.consumer_group.clone(),
        queue_offset_diff: Some(vec![0]),
        broker_name: Some(info.broker_name.clone()),
        ..Default::default()
    };
    let deliver = ck.revive_time() - records::ACK_TIME_INTERVAL;
    if let Err(e) = put_revive_record(
        b,
        info.revive_qid,
        records::CK_TAG,
        ck.unique_id(),
        ck.to_json(),
        deliver,
    ) {
        tracing::warn!(topic = %h.topic, "change invisible time: check-point not stored: {e}");
        return Ok(Command::response(rc::SYSTEM_ERROR, None));
    }
    let old = Ack {
        ack_offset: h.offset,
        start_offset: info.ck_queue_offset,
        consumer_group: h.consumer_group.clone(),
        topic: h.topic.clone(),
        queue_id: h.queue_id,
        pop_time: info.pop_time,
        broker_name: Some(info.broker_name.clone()),
        ack_offset_list: None,
    };
    append(
        b,
        &old,
        info.revive_qid,
        info.pop_time + info.invisible_time,
    );
    let header = ChangeInvisibleTimeResponseHeader {
        pop_time: now,
        invisible_time: h.invisible_time,
        revive_qid: info.revive_qid,
    };
    Ok(Command::response(rc::SUCCESS, None).with_header(&header))
}
