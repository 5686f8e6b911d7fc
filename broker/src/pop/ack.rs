//! ACK_MESSAGE (200051), BATCH_ACK_MESSAGE (200151) and CHANGE_MESSAGE_INVISIBLETIME (200053),
//! Java `AckMessageProcessor` and `ChangeInvisibleTimeProcessor`.
//!
//! An ack is a record in the revive queue the pop used, due when the message would come back
//! (`popTime + invisibleTime`), so the revive task meets it before or with the CK it cancels.
//! Changing the invisible time writes a new one-message CK (pop time = now) and acks the old one.
//!
//! Acks and changes of an orderly pop (revive queue 999) go to its order info instead
//! ([`super::order_info`]): an ack commits the first offset still un-acked and wakes the parked
//! pops once the queue is free; a change sets the message's next visible time.
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

use super::records::{self, Ack, CheckPoint, ExtraInfo, POP_ORDER_REVIVE_QUEUE};
use super::{lock_key, put_revive_record};
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
        let q = (h.topic.as_str(), h.consumer_group.as_str(), h.queue_id);
        let times = (info.pop_time, info.invisible_time);
        ack_orderly(b, q, h.offset, times, conn.peer()).await?;
        return Ok(Command::response(rc::SUCCESS, None));
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

pub async fn batch_ack(b: &Arc<Broker>, conn: &remoting::Connection, req: Command) -> Reply {
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
    // Java keeps acking after an orderly ack it refuses, and answers the refusal at the end.
    let mut refused = None;
    for a in acks {
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
        if a.revive_queue_id == POP_ORDER_REVIVE_QUEUE {
            let q = (topic.as_str(), a.consumer_group.as_str(), a.queue_id);
            for o in offsets {
                let times = (a.pop_time, a.invisible_time);
                if let Err(e) = ack_orderly(b, q, o, times, conn.peer()).await {
                    refused = Some(e);
                }
            }
            continue;
        }
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
    match refused {
        Some(e) => Err(e),
        None => Ok(Command::response(rc::SUCCESS, None)),
    }
}

/// Java `ackOrderly`: under the queue's lock, marks the offset acked and commits the first
/// offset still un-acked (unless an offset reset waits); wakes the parked pops when the queue is
/// free. An ack below the committed offset is late and changes nothing; one of an older pop is
/// ignored; one the pop did not hand out is MESSAGE_ILLEGAL.
async fn ack_orderly(
    b: &Broker,
    (topic, group, qid): (&str, &str, i32),
    offset: i64,
    (pop_time, invisible_time): (i64, i64),
    peer: std::net::SocketAddr,
) -> Result<(), Reject> {
    let committed = || b.offsets.query(group, topic, qid).unwrap_or(-1);
    if offset < committed() {
        return Ok(());
    }
    let key = lock_key(topic, group, qid);
    b.pop.lock(&key).await;
    let result = (|| {
        let old = committed();
        if offset < old {
            return Ok(());
        }
        let q = (topic, group, qid);
        let next = b.order_info.commit_and_next(q, offset, pop_time);
        if next > -1 {
            if !b.offsets.has_reset(group, topic, qid) {
                b.offsets.commit(group, topic, qid, next);
            }
            if !b
                .order_info
                .check_block(None, q, invisible_time, now_millis())
            {
                b.pop.release_order();
            }
        } else if next == -1 {
            return Err(Reject::illegal(format!(
                "offset is illegal, key:{key}, old:{old}, commit:{offset}, next:{next}, /{peer}"
            )));
        }
        Ok(())
    })();
    b.pop.unlock(&key);
    result
}

/// Stores an ack record; Java logs a failed put and still answers SUCCESS.
fn append(b: &Broker, ack: &Ack, revive_qid: i32, deliver_ms: i64) {
    let acked = ack.ack_offset_list.as_ref().map_or(1, Vec::len) as u64;
    b.metrics.on_pop_done(
        &ack.consumer_group,
        (&ack.topic, ack.queue_id),
        ack.pop_time,
        acked,
    );
    let tag = if ack.ack_offset_list.is_some() {
        records::BATCH_ACK_TAG
    } else {
        records::ACK_TAG
    };
    if let Err(e) = put_revive_record(
        b,
        (&ack.consumer_group, &ack.topic),
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
        return Ok(change_orderly(b, &h, &info).await);
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
        (&ck.cid, &ck.topic),
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

/// Java `processChangeInvisibleTimeForOrder`: the message's next visible time in the queue's
/// order info, under the queue's lock; no CK. A change below the committed offset is late and
/// answers SUCCESS without a header, as Java's.
async fn change_orderly(
    b: &Broker,
    h: &ChangeInvisibleTimeRequestHeader,
    info: &ExtraInfo,
) -> Command {
    let (topic, group, qid) = (h.topic.as_str(), h.consumer_group.as_str(), h.queue_id);
    let committed = || b.offsets.query(group, topic, qid).unwrap_or(-1);
    if h.offset < committed() {
        return Command::response(rc::SUCCESS, None);
    }
    let key = lock_key(topic, group, qid);
    b.pop.lock(&key).await;
    if h.offset < committed() {
        b.pop.unlock(&key);
        return Command::response(rc::SUCCESS, None);
    }
    let next_visible = now_millis() + h.invisible_time;
    b.order_info.update_next_visible_time(
        (topic, group, qid),
        h.offset,
        info.pop_time,
        next_visible,
    );
    b.pop.unlock(&key);
    // A shorter invisible time frees the queue sooner: parked pops look at it again.
    b.pop.release_order();
    let header = ChangeInvisibleTimeResponseHeader {
        pop_time: info.pop_time,
        invisible_time: next_visible - info.pop_time,
        revive_qid: info.revive_qid,
    };
    Command::response(rc::SUCCESS, None).with_header(&header)
}
