//! PEEK_MESSAGE (200052), NOTIFICATION (200054) and POLLING_INFO (200055): Java
//! `PeekMessageProcessor`, `NotificationProcessor`, `PollingInfoProcessor`.
//!
//! A peek reads like a pop from the group's offset (or the queue's minimum) but writes no CK
//! and moves nothing; it answers PULL_NOT_FOUND when there is nothing. A notification answers
//! at once whether a pop would find something, else parks like a pop until a message arrives
//! or `pollTime` passes (`hasMsg=false`); an orderly one (`order=true`) does not count the
//! queues an orderly pop of another attempt blocks, and also looks again when one is freed.
//! POLLING_INFO counts the pops and notifications parked on one `topic@group@queueId`.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use remoting::code::response as rc;
use remoting::headers::{
    NotificationRequestHeader, NotificationResponseHeader, PeekMessageRequestHeader,
    PollingInfoRequestHeader, PollingInfoResponseHeader, PopMessageRequestHeader,
    PopMessageResponseHeader,
};
use remoting::Command;
use store::{GetRequest, GetStatus};

use super::pop_message::{asked_queues, check_group, check_topic, wait_any, watched_queues};
use super::records::pop_retry_topic;
use super::{lock_key, order_wake, random_100, Parked};
use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::{Reject, Reply};
use crate::persist::now_millis;
use crate::topics::PERM_READ;

fn broker_readable(cfg: &BrokerConfig) -> Result<(), Reject> {
    if cfg.broker_permission & PERM_READ == 0 {
        return Err(Reject::no_permission(format!(
            "the broker[{}] peeking message is forbidden",
            cfg.broker_ip1
        )));
    }
    Ok(())
}

/// Java's peek/notification offset: the group's, else the queue's minimum.
fn offset_of(b: &Broker, group: &str, topic: &str, qid: i32) -> i64 {
    b.offsets
        .query(group, topic, qid)
        .filter(|o| *o >= 0)
        .unwrap_or_else(|| b.store.min_offset(topic, qid))
}

/// The queues of `topic` starting at `random`, or none when the topic does not exist.
fn queues(b: &Broker, topic: &str, random: i32) -> Vec<i32> {
    let n = b.topics.get(topic).map_or(0, |t| t.read_queue_nums);
    (0..n).map(|i| (random + i) % n).collect()
}

pub async fn peek(b: &Arc<Broker>, conn: &remoting::Connection, req: Command) -> Reply {
    let h: PeekMessageRequestHeader = req.decode_header()?;
    let cfg = b.config();
    broker_readable(&cfg)?;
    let tc = check_topic(b, &h.topic, h.queue_id, conn.peer(), "peeking")?;
    check_group(b, &cfg, &h.consumer_group)?;
    let (plan, normal_end, need_retry) = peek_plan(b, &cfg, &h, &tc.topic_name);
    let mut found = Vec::new();
    let mut rest = 0;
    for (i, (topic, qid)) in plan.iter().enumerate() {
        // Java reads the retry topic last only while the batch is not full.
        if i == normal_end && !need_retry && found.len() as i32 >= h.max_msg_nums {
            break;
        }
        let offset = offset_of(b, &h.consumer_group, topic, *qid);
        rest += b.store.max_offset(topic, *qid) - offset;
        let want = h.max_msg_nums - found.len() as i32;
        if want > 0 {
            found.extend(peek_queue(b, topic, *qid, offset, want));
        }
    }
    let header = PopMessageResponseHeader {
        rest_num: rest,
        ..Default::default()
    };
    if found.is_empty() {
        return Ok(
            Command::response(rc::PULL_NOT_FOUND, Some("NO_MESSAGE_IN_QUEUE".into()))
                .with_header(&header),
        );
    }
    let mut body = BytesMut::new();
    for r in &found {
        body.extend_from_slice(r);
    }
    Ok(Command::response(rc::SUCCESS, Some("FOUND".into()))
        .with_header(&header)
        .with_body(body.freeze()))
}

/// The queues a peek reads, in Java's order: the POP retry topic first one time in five, else
/// last; with the index where the retry topic's queues start when they come last.
fn peek_plan(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PeekMessageRequestHeader,
    topic: &str,
) -> (Vec<(String, i32)>, usize, bool) {
    let random = random_100();
    let retry = pop_retry_topic(&h.topic, &h.consumer_group, cfg.enable_retry_topic_v2);
    let need_retry = random % 5 == 0;
    let retry_queues: Vec<(String, i32)> = queues(b, &retry, random)
        .into_iter()
        .map(|q| (retry.clone(), q))
        .collect();
    let mut plan = Vec::new();
    if need_retry {
        plan.extend(retry_queues.iter().cloned());
    }
    if h.queue_id < 0 {
        plan.extend(
            queues(b, topic, random)
                .into_iter()
                .map(|q| (h.topic.clone(), q)),
        );
    } else {
        plan.push((h.topic.clone(), h.queue_id));
    }
    let normal_end = plan.len();
    if !need_retry {
        plan.extend(retry_queues);
    }
    (plan, normal_end, need_retry)
}

/// Up to `want` records of one queue from `offset` (moved to the queue's range if outside).
fn peek_queue(b: &Broker, topic: &str, qid: i32, offset: i64, want: i32) -> Vec<bytes::Bytes> {
    let read = |offset: i64| {
        let r = GetRequest {
            topic,
            queue_id: qid,
            offset,
            max_count: want as usize,
            max_bytes: 128 * 1024 * 1024,
        };
        b.store.get(&r, None)
    };
    let mut r = read(offset);
    if matches!(
        r.status,
        GetStatus::OffsetTooSmall | GetStatus::OffsetOverflowBadly
    ) {
        r = read(r.next_begin_offset);
    }
    r.messages
}

pub async fn notification(b: &Arc<Broker>, conn: &remoting::Connection, req: Command) -> Reply {
    let h: NotificationRequestHeader = req.decode_header()?;
    let cfg = b.config();
    broker_readable(&cfg)?;
    let tc = check_topic(b, &h.topic, h.queue_id, conn.peer(), "peeking")?;
    check_group(b, &cfg, &h.consumer_group)?;
    let as_pop = PopMessageRequestHeader {
        consumer_group: h.consumer_group.clone(),
        topic: h.topic.clone(),
        queue_id: h.queue_id,
        ..Default::default()
    };
    let mut watchers: Vec<_> = watched_queues(b, &cfg, &as_pop, &tc)
        .into_iter()
        .filter_map(|(t, q)| b.store.subscribe(&t, q).ok())
        .collect();
    if h.order {
        watchers.push(b.pop.order_released());
    }
    let now = now_millis();
    let born = if h.born_time == 0 { now } else { h.born_time };
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis((born + h.poll_time - now).max(0) as u64);
    let mut parked = None;
    let mut polling_full = false;
    let has_msg = loop {
        if has_message(b, &cfg, &h, &tc.topic_name) {
            break true;
        }
        if h.poll_time <= 0 || tokio::time::Instant::now() >= deadline {
            break false;
        }
        if parked.is_none() {
            parked = Parked::enter(
                &b.pop,
                lock_key(&h.topic, &h.consumer_group, h.queue_id),
                &cfg,
            );
            if parked.is_none() {
                polling_full = true;
                break false;
            }
        }
        let wake = if h.order {
            let qids = asked_queues(h.queue_id, tc.read_queue_nums);
            order_wake(b, &cfg, (&h.topic, &h.consumer_group), qids, deadline)
        } else {
            deadline
        };
        if !wait_any(&mut watchers, wake).await && tokio::time::Instant::now() >= deadline {
            break has_message(b, &cfg, &h, &tc.topic_name);
        }
    };
    let header = NotificationResponseHeader {
        has_msg,
        polling_full,
    };
    Ok(Command::response(rc::SUCCESS, None).with_header(&header))
}

/// Whether a pop of the group would find anything (retry topics included).
fn has_message(b: &Broker, cfg: &BrokerConfig, h: &NotificationRequestHeader, topic: &str) -> bool {
    let random = random_100();
    let mut topics = vec![pop_retry_topic(
        topic,
        &h.consumer_group,
        cfg.enable_retry_topic_v2,
    )];
    if cfg.enable_retry_topic_v2 && cfg.retrieve_message_from_pop_retry_topic_v1 {
        topics.push(pop_retry_topic(topic, &h.consumer_group, false));
    }
    // Java checks the block of the topic asked for, under the queue id of the queue it looks
    // at, retry topics' included.
    let blocked = |q: i32| {
        h.order
            && b.order_info.check_block(
                h.attempt_id.as_deref(),
                (&h.topic, &h.consumer_group, q),
                0,
                now_millis(),
            )
    };
    let ahead = |t: &str, q: i32| {
        !blocked(q) && b.store.max_offset(t, q) - offset_of(b, &h.consumer_group, t, q) > 0
    };
    let normal = if h.queue_id < 0 {
        queues(b, topic, random)
            .into_iter()
            .any(|q| ahead(topic, q))
    } else {
        ahead(topic, h.queue_id)
    };
    normal
        || topics
            .iter()
            .any(|t| queues(b, t, random).into_iter().any(|q| ahead(t, q)))
}

pub fn polling_info(b: &Arc<Broker>, conn: &remoting::Connection, req: Command) -> Reply {
    let h: PollingInfoRequestHeader = req.decode_header()?;
    let cfg = b.config();
    broker_readable(&cfg)?;
    check_topic(b, &h.topic, h.queue_id, conn.peer(), "peeking")?;
    check_group(b, &cfg, &h.consumer_group)?;
    let header = PollingInfoResponseHeader {
        polling_num: b
            .pop
            .parked(&lock_key(&h.topic, &h.consumer_group, h.queue_id)) as i32,
    };
    Ok(Command::response(rc::SUCCESS, None).with_header(&header))
}
