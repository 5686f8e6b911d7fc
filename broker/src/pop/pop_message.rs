//! POP_MESSAGE (200050), Java `PopMessageProcessor` with `PopLongPollingService`.
//!
//! Checks in Java's order: poll already late by more than 500 ms (210) → broker readable →
//! `maxMsgNums` ≤ 32 (29) → timer wheel on (1) → topic (17) → topic readable → queue id (29)
//! → group (26) → group consume enabled → a non-TAG filter is refused as in pulls.
//!
//! One pop draws 0..99: below `popFromRetryProbability` the group's POP retry topic is read
//! first, else the topic first and the retry topic only to fill the batch. `queueId=-1` walks
//! every read queue from a random one. Each queue is read under its try-lock from the group's
//! offset; what is found gets one CK in revive queue `n % reviveQueueNum` and the offset moves
//! past it. Messages of the retry topic go back re-encoded under the topic asked for, with
//! `POP_CK` set (unless `popResponseReturnActualRetryTopic`); for the others the client builds
//! `POP_CK` from `startOffsetInfo` / `msgOffsetInfo`. Nothing found: the request is parked until
//! a message arrives in one of its queues or `pollTime` passes (210, `NO_MESSAGE_IN_QUEUE`).
//!
//! An orderly pop (`order=true`, Java's FIFO consumers) reads no retry topic and writes no CK:
//! it skips the queues still blocked by an earlier pop of another attempt, records what it hands
//! out in [`super::order_info`], and leaves the group's offset where the pop started. It reports
//! revive queue 999 and each message's earlier deliveries in `orderCountInfo`. A parked orderly
//! pop also wakes when an ack frees one of its queues, or when the invisible time of what blocks
//! one runs out (`enableNotifyAfterPopOrderLockRelease`).

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use remoting::code::response as rc;
use remoting::headers::{PopMessageRequestHeader, PopMessageResponseHeader};
use remoting::Command;
use store::props::{parse_properties, put, to_java_string};
use store::{GetRequest, GetResult, GetStatus, StoredMessage};

use super::records::{self, CheckPoint, ExtraInfo, POP_ORDER_REVIVE_QUEUE};
use super::{lock_key, order_wake, put_revive_record, random_100, Parked};
use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::{Reject, Reply};
use crate::persist::now_millis;
use crate::subscription::SubscriptionData;
use crate::topics::{TopicConfig, PERM_READ, RETRY_PREFIX};

const FAQ: &str = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";
/// Java `MAX_PULL_MSG_SIZE`.
const MAX_BYTES: usize = 128 * 1024 * 1024;
/// Java `ConsumeInitMode.MIN`.
const INIT_MODE_MIN: i32 = 0;

pub async fn handle(b: &Arc<Broker>, conn: &remoting::Connection, req: Command) -> Reply {
    let h: PopMessageRequestHeader = req.decode_header()?;
    let cfg = b.config();
    let now = now_millis();
    // Java fills a missing or zero bornTime with the arrival time.
    let born = if h.born_time == 0 { now } else { h.born_time };
    if now - born - h.poll_time > 500 {
        return Err(Reject::code(
            rc::POLLING_TIMEOUT,
            format!(
                "the broker[{}] pop message is timeout too much",
                cfg.broker_ip1
            ),
        ));
    }
    let tc = check(b, &cfg, &h, conn.peer())?;
    let sub = match h.exp.as_deref().filter(|e| !e.is_empty()) {
        Some(exp) => SubscriptionData::build(&h.topic, exp, h.exp_type.as_deref()),
        None => SubscriptionData::build(&h.topic, "*", None),
    };
    if let Some(refused) = sub.unsupported_filter() {
        return Err(refused);
    }
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis((born + h.poll_time - now).max(0) as u64);
    serve(b, &cfg, &h, &tc, &sub, deadline).await
}

/// Pops until something is found, parked between tries until one of the queues moves or the
/// poll time is over (Java `PopLongPollingService`: a woken request runs again).
async fn serve(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    tc: &TopicConfig,
    sub: &SubscriptionData,
    deadline: tokio::time::Instant,
) -> Reply {
    let mut watchers: Vec<_> = watched_queues(b, cfg, h, tc)
        .into_iter()
        .filter_map(|(t, q)| b.store.subscribe(&t, q).ok())
        .collect();
    if h.order {
        watchers.push(b.pop.order_released());
    }
    let mut parked = None;
    loop {
        let popped = pop_once(b, cfg, h, tc, sub);
        if !popped.records.is_empty() {
            return Ok(respond(rc::SUCCESS, "FOUND", h, popped));
        }
        if h.poll_time <= 0 || tokio::time::Instant::now() >= deadline {
            return Ok(respond(
                rc::POLLING_TIMEOUT,
                "NO_MESSAGE_IN_QUEUE",
                h,
                popped,
            ));
        }
        if parked.is_none() {
            let key = lock_key(&h.topic, &h.consumer_group, h.queue_id);
            parked = Parked::enter(&b.pop, key, cfg);
            if parked.is_none() {
                return Ok(respond(rc::POLLING_FULL, "NO_MESSAGE_IN_QUEUE", h, popped));
            }
        }
        let wake = if h.order {
            let qids = asked_queues(h.queue_id, tc.read_queue_nums);
            order_wake(b, cfg, (&h.topic, &h.consumer_group), qids, deadline)
        } else {
            deadline
        };
        if !wait_any(&mut watchers, wake).await && tokio::time::Instant::now() >= deadline {
            let popped = pop_once(b, cfg, h, tc, sub);
            let (code, remark) = if popped.records.is_empty() {
                (rc::POLLING_TIMEOUT, "NO_MESSAGE_IN_QUEUE")
            } else {
                (rc::SUCCESS, "FOUND")
            };
            return Ok(respond(code, remark, h, popped));
        }
    }
}

fn check(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    peer: std::net::SocketAddr,
) -> Result<TopicConfig, Reject> {
    if cfg.broker_permission & PERM_READ == 0 {
        return Err(Reject::no_permission(format!(
            "the broker[{}] pop message is forbidden",
            cfg.broker_ip1
        )));
    }
    if h.max_msg_nums > 32 {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            format!(
                "the broker[{}] pop message's num is greater than 32",
                cfg.broker_ip1
            ),
        ));
    }
    if !cfg.timer_wheel_enable {
        return Err(Reject::system(format!(
            "the broker[{}] pop message is forbidden because timerWheelEnable is false",
            cfg.broker_ip1
        )));
    }
    let tc = check_topic(b, &h.topic, h.queue_id, peer, "peeking")?;
    check_group(b, cfg, &h.consumer_group)?;
    Ok(tc)
}

/// Topic exists, is readable and has the queue (`queueId` −1: all of them).
pub(crate) fn check_topic(
    b: &Broker,
    topic: &str,
    queue_id: i32,
    peer: std::net::SocketAddr,
    verb: &str,
) -> Result<TopicConfig, Reject> {
    let Some(tc) = b.topics.get(topic) else {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("topic[{topic}] not exist, apply first please! {FAQ}"),
        ));
    };
    if !tc.readable() {
        return Err(Reject::no_permission(format!(
            "the topic[{topic}] {verb} message is forbidden"
        )));
    }
    if queue_id >= tc.read_queue_nums {
        return Err(Reject::code(
            rc::INVALID_PARAMETER,
            format!(
                "queueId[{queue_id}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}] consumer:[/{peer}]",
                tc.read_queue_nums
            ),
        ));
    }
    Ok(tc)
}

pub(crate) fn check_group(b: &Broker, cfg: &BrokerConfig, group: &str) -> Result<(), Reject> {
    let Some(g) = b.groups.find_or_create(group, cfg) else {
        return Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group [{group}] does not exist, {FAQ}"),
        ));
    };
    if !g.consume_enable {
        return Err(Reject::no_permission(format!(
            "subscription group no permission, {group}"
        )));
    }
    Ok(())
}

/// The queues whose new messages wake a parked pop: the ones asked for and the retry topics'.
pub(crate) fn watched_queues(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    tc: &TopicConfig,
) -> Vec<(String, i32)> {
    let mut v: Vec<(String, i32)> = if h.queue_id < 0 {
        (0..tc.read_queue_nums)
            .map(|q| (h.topic.clone(), q))
            .collect()
    } else {
        vec![(h.topic.clone(), h.queue_id)]
    };
    for v2 in [false, true] {
        let retry = records::pop_retry_topic(&h.topic, &h.consumer_group, v2);
        if v2 == cfg.enable_retry_topic_v2 || b.topics.contains(&retry) {
            v.push((retry, 0));
        }
    }
    v
}

/// The queue ids a request names: one, or all read queues for −1.
pub(crate) fn asked_queues(queue_id: i32, read_queue_nums: i32) -> Vec<i32> {
    if queue_id < 0 {
        (0..read_queue_nums).collect()
    } else {
        vec![queue_id]
    }
}

/// Waits until one of the queues moves (true) or the deadline passes (false).
pub(crate) async fn wait_any(
    watchers: &mut [tokio::sync::watch::Receiver<i64>],
    deadline: tokio::time::Instant,
) -> bool {
    if watchers.is_empty() {
        tokio::time::sleep_until(deadline).await;
        return false;
    }
    let changed = futures::future::select_all(watchers.iter_mut().map(|rx| Box::pin(rx.changed())));
    matches!(
        tokio::time::timeout_at(deadline, changed).await,
        Ok((Ok(()), _, _))
    )
}

/// What one pass over the queues found.
pub(crate) struct Popped {
    pub records: Vec<Bytes>,
    pub rest: i64,
    pub start_info: String,
    pub msg_info: String,
    pub pop_time: i64,
    pub revive_qid: i32,
    /// An orderly pop's delivery counts (`orderCountInfo`).
    pub order_count_info: Option<String>,
}

/// One pass: retry topic and queues in Java's order, until `maxMsgNums` are found.
fn pop_once(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    tc: &TopicConfig,
    sub: &SubscriptionData,
) -> Popped {
    let random = random_100();
    let mut p = Popped {
        records: Vec::new(),
        rest: 0,
        start_info: String::new(),
        msg_info: String::new(),
        pop_time: now_millis(),
        revive_qid: if h.order {
            POP_ORDER_REVIVE_QUEUE
        } else {
            b.pop.next_revive_qid(cfg.revive_queue_num)
        },
        order_count_info: h.order.then(String::new),
    };
    let need_retry = random < cfg.pop_from_retry_probability;
    let retry_v1 = cfg.enable_retry_topic_v2
        && cfg.retrieve_message_from_pop_retry_topic_v1
        && random % 2 == 0;
    let retry_topic = records::pop_retry_topic(
        &h.topic,
        &h.consumer_group,
        cfg.enable_retry_topic_v2 && !retry_v1,
    );
    let all = SubscriptionData::build(&retry_topic, "*", None);
    // Orderly pops read no retry topic: what is not acked comes back from the queue itself.
    if need_retry && !h.order {
        pop_topic(b, cfg, h, &retry_topic, &all, random, &mut p);
    }
    if h.queue_id < 0 {
        pop_topic(b, cfg, h, &tc.topic_name, sub, random, &mut p);
    } else {
        pop_queue(b, cfg, h, &h.topic, h.queue_id, sub, &mut p);
    }
    if !need_retry && (p.records.len() as i32) < h.max_msg_nums && !h.order {
        pop_topic(b, cfg, h, &retry_topic, &all, random, &mut p);
    }
    p
}

fn pop_topic(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    topic: &str,
    sub: &SubscriptionData,
    random: i32,
    p: &mut Popped,
) {
    let Some(tc) = b.topics.get(topic) else {
        return;
    };
    let n = tc.read_queue_nums;
    for i in 0..n {
        pop_queue(b, cfg, h, topic, (random + i) % n, sub, p);
    }
}

/// Java `getPopOffset`: the group's offset, else the initial one (committed when `init`).
pub(crate) fn pop_offset(
    b: &Broker,
    cfg: &BrokerConfig,
    group: &str,
    topic: &str,
    qid: i32,
    init_mode: i32,
    init: bool,
) -> i64 {
    if let Some(o) = b.offsets.query(group, topic, qid).filter(|o| *o >= 0) {
        return o;
    }
    let min = b.store.min_offset(topic, qid);
    let offset = if init_mode == INIT_MODE_MIN || topic.starts_with(RETRY_PREFIX) {
        min
    } else if cfg.init_pop_offset_by_check_msg_in_mem
        && min <= 0
        && b.store.in_memory(topic, qid, 0)
    {
        0
    } else {
        (b.store.max_offset(topic, qid) - 1).max(0)
    };
    if init {
        b.offsets.commit(group, topic, qid, offset);
    }
    offset
}

fn pop_queue(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    topic: &str,
    qid: i32,
    sub: &SubscriptionData,
    p: &mut Popped,
) {
    let group = &h.consumer_group;
    let key = lock_key(topic, group, qid);
    if !b.pop.try_lock(&key) {
        if !h.order {
            let offset = pop_offset(b, cfg, group, topic, qid, h.init_mode, false);
            p.rest += b.store.max_offset(topic, qid) - offset;
        }
        return;
    }
    pop_locked(b, cfg, h, topic, qid, sub, p);
    b.pop.unlock(&key);
}

fn pop_locked(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    topic: &str,
    qid: i32,
    sub: &SubscriptionData,
    p: &mut Popped,
) {
    let group = &h.consumer_group;
    let mut offset = pop_offset(b, cfg, group, topic, qid, h.init_mode, true);
    // Java `resetPopOffset`: a reset asked by `mqadmin resetOffsetByTime` wins.
    if let Some(reset) = b.offsets.take_reset(group, topic, qid) {
        b.order_info.clear_block(topic, group, qid);
        b.offsets.commit(group, topic, qid, reset);
        offset = reset;
    }
    // A blocked queue adds nothing to `restNum`: its backlog would wake parked pops for
    // messages they cannot have (Java's note); the ack that frees it wakes them.
    if h.order
        && b.order_info.check_block(
            h.attempt_id.as_deref(),
            (topic, group, qid),
            h.invisible_time,
            now_millis(),
        )
    {
        return;
    }
    let want = h.max_msg_nums - p.records.len() as i32;
    if want <= 0 {
        p.rest += b.store.max_offset(topic, qid) - offset;
        return;
    }
    let mut r = read(b, topic, qid, offset, want, sub);
    if matches!(
        r.status,
        GetStatus::OffsetTooSmall | GetStatus::OffsetOverflowBadly | GetStatus::OffsetFoundNull
    ) {
        offset = r.next_begin_offset;
        b.offsets.commit(group, topic, qid, offset);
        r = read(b, topic, qid, offset, want, sub);
    }
    if r.status == GetStatus::Found && !r.messages.is_empty() {
        if h.order {
            hand_out_orderly(b, cfg, h, (topic, qid), offset, &r, p);
        } else if !hide(b, cfg, h, (topic, qid), offset, &r, p) {
            p.rest += r.messages.len() as i64;
            return;
        }
    } else if matches!(
        r.status,
        GetStatus::NoMatchedMessage
            | GetStatus::OffsetFoundNull
            | GetStatus::MessageWasRemoving
            | GetStatus::NoMatchedLogicQueue
    ) && r.next_begin_offset > -1
    {
        // Java `addCkMock`: nothing to hide, only the offset moves past the filtered range.
        b.offsets.commit(group, topic, qid, r.next_begin_offset);
    }
    p.rest += r.max_offset - r.next_begin_offset;
    let retry = topic.starts_with(RETRY_PREFIX);
    for rec in r.messages {
        if retry && !cfg.pop_response_return_actual_retry_topic {
            match as_original_topic(&rec, h, p, &cfg.broker_name, offset) {
                Some(re) => p.records.push(re),
                None => tracing::warn!(topic, "pop: undecodable retry record skipped"),
            }
        } else {
            p.records.push(rec);
        }
    }
}

/// Java `appendCheckPoint`: one CK for what was read from `offset`, then the group's offset
/// moves past it (Java's buffer service commits it once the CK is stored). False when the CK
/// could not be stored: the messages are then not returned.
fn hide(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    (topic, qid): (&str, i32),
    offset: i64,
    r: &GetResult,
    p: &mut Popped,
) -> bool {
    let group = &h.consumer_group;
    let ck = CheckPoint {
        start_offset: offset,
        pop_time: p.pop_time,
        invisible_time: h.invisible_time,
        num: r.messages.len() as u8,
        queue_id: qid,
        topic: topic.to_string(),
        cid: group.clone(),
        queue_offset_diff: Some(
            r.queue_offsets
                .iter()
                .map(|o| (o - offset) as i32)
                .collect(),
        ),
        broker_name: Some(cfg.broker_name.clone()),
        ..Default::default()
    };
    let deliver = ck.revive_time() - records::ACK_TIME_INTERVAL;
    let (uniq, json) = (ck.unique_id(), ck.to_json());
    let owner = (ck.cid.as_str(), ck.topic.as_str());
    if let Err(e) = put_revive_record(b, owner, p.revive_qid, records::CK_TAG, uniq, json, deliver)
    {
        tracing::warn!(topic, qid, "pop check-point not stored: {e}");
        return false;
    }
    b.offsets.commit(group, topic, qid, r.next_begin_offset);
    records::push_start_offset_info(&mut p.start_info, topic, qid, offset);
    records::push_msg_offset_info(&mut p.msg_info, topic, qid, &r.queue_offsets);
    count(b, cfg, group, (topic, qid), r);
    true
}

/// Java's orderly path: no CK; the queue's order info records what was handed out (blocking
/// the queue until it is acked or visible again) and the group's offset stays at the start,
/// where acks move it.
fn hand_out_orderly(
    b: &Broker,
    cfg: &BrokerConfig,
    h: &PopMessageRequestHeader,
    (topic, qid): (&str, i32),
    offset: i64,
    r: &GetResult,
    p: &mut Popped,
) {
    let group = &h.consumer_group;
    let counts = p.order_count_info.get_or_insert_with(String::new);
    b.order_info.update(
        h.attempt_id.as_deref(),
        (topic, group, qid),
        p.pop_time,
        h.invisible_time,
        &r.queue_offsets,
        now_millis(),
        counts,
    );
    b.offsets.commit(group, topic, qid, offset);
    records::push_start_offset_info(&mut p.start_info, topic, qid, offset);
    records::push_msg_offset_info(&mut p.msg_info, topic, qid, &r.queue_offsets);
    count(b, cfg, group, (topic, qid), r);
}

fn read(
    b: &Broker,
    topic: &str,
    qid: i32,
    offset: i64,
    want: i32,
    sub: &SubscriptionData,
) -> GetResult {
    let req = GetRequest {
        topic,
        queue_id: qid,
        offset,
        max_count: want.max(1) as usize,
        max_bytes: MAX_BYTES,
    };
    if sub.matches_all() {
        b.store.get(&req, None)
    } else {
        let filter = |code: i64| sub.matches_tags_code(code);
        b.store.get(&req, Some(&filter))
    }
}

fn count(b: &Broker, cfg: &BrokerConfig, group: &str, (topic, qid): (&str, i32), r: &GetResult) {
    let bytes: usize = r.messages.iter().map(|m| m.len()).sum();
    b.metrics
        .on_pop(group, (topic, qid), r.messages.len() as u64, bytes as u64);
    b.stats_items.get_found(
        &cfg.broker_cluster_name,
        group,
        (topic, crate::topics::is_system_topic(topic, cfg)),
        r.messages.len() as u64,
        bytes as u64,
    );
}

/// A retry-topic record re-encoded as Java's `MessageDecoder.encode` writes it: the topic asked
/// for, `POP_CK` added if absent, everything else as stored.
fn as_original_topic(
    rec: &Bytes,
    h: &PopMessageRequestHeader,
    p: &Popped,
    broker: &str,
    ck_offset: i64,
) -> Option<Bytes> {
    let m = StoredMessage::decode(rec)?;
    let mut props = parse_properties(&m.properties);
    if store::props::get(&props, "POP_CK").is_none() {
        let info = ExtraInfo::build(
            ck_offset,
            p.pop_time,
            h.invisible_time,
            p.revive_qid,
            &m.topic,
            broker,
            m.queue_id,
            m.queue_offset,
        );
        put(&mut props, "POP_CK", info);
    }
    let new = m.to_new(h.topic.clone(), m.queue_id, to_java_string(&mut props));
    let (len, v2) = store::message::record_len(&new, usize::MAX).ok()?;
    let mut buf = BytesMut::zeroed(len);
    let placement = store::message::Placement {
        queue_offset: m.queue_offset,
        physical_offset: m.physical_offset,
        store_timestamp: m.store_timestamp,
        body_crc: m.body_crc,
    };
    store::message::encode(&mut buf, &new, v2, &placement);
    Some(buf.freeze())
}

fn respond(code: i32, remark: &str, h: &PopMessageRequestHeader, p: Popped) -> Command {
    let header = PopMessageResponseHeader {
        pop_time: p.pop_time,
        invisible_time: h.invisible_time,
        revive_qid: p.revive_qid,
        rest_num: p.rest,
        start_offset_info: Some(p.start_info),
        msg_offset_info: Some(p.msg_info),
        order_count_info: p.order_count_info,
    };
    let cmd = Command::response(code, Some(remark.to_string())).with_header(&header);
    if code != rc::SUCCESS {
        return cmd;
    }
    let mut body = BytesMut::with_capacity(p.records.iter().map(Bytes::len).sum());
    for r in &p.records {
        body.extend_from_slice(r);
    }
    cmd.with_body(body.freeze())
}
