//! The revive task (Java `PopReviveService`, one per revive queue): reads the revive queue
//! from the group `CID_RMQ_SYS_REVIVE_GROUP`'s offset, pairs acks with check-points, and for
//! every check-point that is due puts its un-acked messages into the POP retry topic (queue 0,
//! `reconsumeTimes + 1`, `1ST_POP_TIME` on the first return), then commits the queue offset of
//! the last check-point handled.
//!
//! Each round reads from the committed offset again, as Java does, so the acks of a later CK
//! are met again next round. A CK is due once the revive queue has moved more than two seconds
//! past it (`endTime − reviveTime > ackTimeInterval + 1 s`): then every ack that could cancel it
//! has been delivered by the timer. `endTime` is the newest delivery time read, or now once the
//! queue is read to its end (Java waits for three idle seconds and a timer without backlog; the
//! timer here delivers every 100 ms, so the end of the queue already means "nothing pending").
//! A message that cannot be re-put gets a new one-message CK (`rp` + 1, due later by Java's
//! `ckRewriteIntervalsInSeconds`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use store::props::{
    get, java_map_order, parse_properties, properties_to_string, put, MESSAGE_MAP_CAPACITY,
};
use store::{GetRequest, GetStatus, NewMessage, StoredMessage};

use super::put_revive_record;
use super::records::{self, Ack, CheckPoint, ACK_TIME_INTERVAL, REVIVE_GROUP};
use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::persist::now_millis;
use crate::topics::{PERM_READ, PERM_WRITE, RETRY_PREFIX};

/// Java `ckRewriteIntervalsInSeconds`.
const CK_REWRITE_INTERVALS_S: [i64; 17] = [
    10, 20, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
];
/// Messages read per step (Java reads 32 at a time).
const READ_BATCH: usize = 32;

/// Runs the revive rounds until shutdown, on the master only (as Java's `shouldRunPopRevive`).
pub async fn run(b: Arc<Broker>) {
    let mut revived: Vec<Option<i64>> = Vec::new();
    let mut slow = 1;
    while !b.is_shutting_down() {
        let cfg = b.config();
        let interval = cfg.revive_interval.max(10) as u64;
        tokio::time::sleep(Duration::from_millis(interval * slow)).await;
        if !cfg.timer_wheel_enable || !b.acts_as_master() {
            revived.clear();
            continue;
        }
        let n = cfg.revive_queue_num.max(1) as usize;
        revived.resize(n, None);
        // A round reads the store for up to reviveScanTime: off the async workers.
        let (bb, mut last) = (b.clone(), std::mem::take(&mut revived));
        let rounds = tokio::task::spawn_blocking(move || {
            let mut any = false;
            for (qid, l) in last.iter_mut().enumerate() {
                any |= round(&bb, &cfg, qid as i32, l);
            }
            (any, last)
        });
        let Ok((any, last)) = rounds.await else {
            continue;
        };
        revived = last;
        let cfg = b.config();
        // Java waits longer while nothing is due, up to reviveMaxSlow intervals.
        slow = if any {
            1
        } else {
            (slow + 1).min(cfg.revive_max_slow.max(1) as u64)
        };
    }
}

/// One round over one revive queue; true when a check-point was handled.
fn round(b: &Broker, cfg: &BrokerConfig, qid: i32, last: &mut Option<i64>) -> bool {
    let topic = records::revive_topic(&cfg.broker_cluster_name);
    let committed = b.offsets.query(REVIVE_GROUP, &topic, qid).unwrap_or(-1);
    let old = last.map_or(committed, |l| l.max(committed));
    let (cks, end_time) = scan(b, cfg, &topic, qid, old + 1);
    let mut sorted: Vec<CheckPoint> = cks.into_values().collect();
    sorted.sort_by_key(|c| c.revive_offset);
    let mut new_offset = old;
    let mut handled = false;
    for ck in sorted {
        if end_time - ck.revive_time() <= ACK_TIME_INTERVAL + 1000 {
            break;
        }
        let normal = records::normal_topic(&ck.topic, &ck.cid);
        if b.topics.contains(normal) && b.groups.get(&ck.cid).is_some() {
            revive(b, cfg, &ck, qid);
        }
        new_offset = ck.revive_offset;
        handled = true;
    }
    if new_offset > old {
        b.offsets.commit(REVIVE_GROUP, &topic, qid, new_offset);
    }
    *last = Some(new_offset);
    handled
}

/// Reads the queue from `offset`: the check-points found with the acks that follow them
/// applied, and the time the revive queue has reached.
fn scan(
    b: &Broker,
    cfg: &BrokerConfig,
    topic: &str,
    qid: i32,
    mut offset: i64,
) -> (HashMap<String, CheckPoint>, i64) {
    let started = Instant::now();
    let scan_limit = Duration::from_millis(cfg.revive_scan_time.max(0) as u64);
    let mut cks: HashMap<String, CheckPoint> = HashMap::new();
    let mut end_time = 0;
    offset = offset.max(b.store.min_offset(topic, qid));
    loop {
        if started.elapsed() > scan_limit {
            return (cks, end_time);
        }
        let req = GetRequest {
            topic,
            queue_id: qid,
            offset,
            max_count: READ_BATCH,
            max_bytes: usize::MAX,
        };
        let r = b.store.get(&req, None);
        let bytes: usize = r.messages.iter().map(|m| m.len()).sum();
        b.metrics
            .on_broker_read(REVIVE_GROUP, topic, r.messages.len() as u64, bytes as u64);
        if r.status != GetStatus::Found || r.messages.is_empty() {
            if r.next_begin_offset > offset && r.next_begin_offset < r.max_offset {
                offset = r.next_begin_offset;
                continue;
            }
            return (cks, end_time.max(now_millis()));
        }
        for (rec, qo) in r.messages.iter().zip(&r.queue_offsets) {
            if let Some(m) = StoredMessage::decode(rec) {
                let at = (*qo, qid);
                end_time = end_time.max(apply(b, &mut cks, &m, at, &cfg.broker_name));
            }
        }
        offset = r.next_begin_offset;
    }
}

/// Applies one revive record, read at `(queue offset, revive queue)`; returns its delivery
/// time (Java `getDeliverTimeMs`).
fn apply(
    b: &Broker,
    cks: &mut HashMap<String, CheckPoint>,
    m: &StoredMessage,
    (qo, qid): (i64, i32),
    broker: &str,
) -> i64 {
    let props = parse_properties(&m.properties);
    let deliver = get(&props, "TIMER_DELIVER_MS")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    match get(&props, "TAGS") {
        Some(records::CK_TAG) => {
            if let Some(mut ck) = CheckPoint::parse(&m.body).filter(names_legal) {
                b.metrics.on_revive_get((&ck.cid, &ck.topic), true, qid);
                ck.revive_offset = qo;
                cks.insert(ck.merge_key(broker), ck);
            }
        }
        Some(records::ACK_TAG) | Some(records::BATCH_ACK_TAG) => {
            if let Some(ack) = Ack::parse(&m.body) {
                b.metrics
                    .on_revive_get((&ack.consumer_group, &ack.topic), false, qid);
                mark_acked(cks, &ack, broker);
            }
        }
        _ => {}
    }
    deliver
}

/// A check-point's topic and group name queues and a retry topic (directories of the store):
/// any client may send to the revive topic, so its names are held to the rules of a created
/// topic and group before they reach the store.
fn names_legal(ck: &CheckPoint) -> bool {
    let legal = crate::topics::validate_topic_name(&ck.topic).is_ok()
        && crate::groups::validate_group_name(&ck.cid).is_ok();
    if !legal {
        tracing::warn!(topic = %ck.topic, group = %ck.cid, "revive: check-point with an illegal name skipped");
    }
    legal
}

fn mark_acked(cks: &mut HashMap<String, CheckPoint>, ack: &Ack, broker: &str) {
    let bn = ack
        .broker_name
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(broker);
    let key = records::merge_key(
        &ack.topic,
        &ack.consumer_group,
        ack.queue_id,
        ack.start_offset,
        ack.pop_time,
        bn,
    );
    if let Some(ck) = cks.get_mut(&key) {
        for o in ack.offsets() {
            if let Some(i) = ck.index_of_ack(o) {
                ck.bit_map |= 1 << i;
            }
        }
    }
}

/// Puts every un-acked message of a due check-point back.
fn revive(b: &Broker, cfg: &BrokerConfig, ck: &CheckPoint, revive_qid: i32) {
    for j in 0..usize::from(ck.num) {
        if ck.bit_map >> j & 1 == 1 {
            continue;
        }
        let offset = ck.ack_offset_by_index(j);
        let found = b
            .store
            .unit(&ck.topic, ck.queue_id, offset)
            .and_then(|u| b.store.read_range(u.physical_offset, u.size))
            .and_then(|rec| StoredMessage::decode(&rec));
        let ok = match found {
            Some(m) => revive_message(b, cfg, ck, m),
            // Gone from the store: nothing left to return (Java does not retry those).
            None => offset < b.store.min_offset(&ck.topic, ck.queue_id),
        };
        if !ok {
            re_put_ck(b, ck, offset, revive_qid);
        }
    }
}

/// Java `reviveRetry`.
fn revive_message(b: &Broker, cfg: &BrokerConfig, ck: &CheckPoint, m: StoredMessage) -> bool {
    let topic = if ck.topic.starts_with(RETRY_PREFIX) {
        ck.topic.clone()
    } else {
        records::pop_retry_topic(&ck.topic, &ck.cid, cfg.enable_retry_topic_v2)
    };
    // Java: a new message's map (`setTags` first), then `putAll` of the original's, then
    // `1ST_POP_TIME`; the string is that map's order.
    let original = parse_properties(&m.properties);
    let mut props: Vec<(String, String)> = Vec::with_capacity(original.len() + 2);
    if let Some(tags) = get(&original, "TAGS") {
        props.push(("TAGS".to_string(), tags.to_string()));
    }
    for (k, v) in original.iter() {
        put(&mut props, k.as_str(), v.clone());
    }
    if m.reconsume_times == 0 || get(&props, "1ST_POP_TIME").is_none() {
        put(&mut props, "1ST_POP_TIME", ck.pop_time.to_string());
    }
    java_map_order(&mut props, MESSAGE_MAP_CAPACITY);
    let properties = properties_to_string(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let host = b.store_host();
    let msg = NewMessage {
        topic: topic.clone(),
        queue_id: 0,
        flag: m.flag,
        body: m.body.clone(),
        properties,
        sys_flag: m.sys_flag,
        born_timestamp: m.born_timestamp,
        born_host: host,
        store_host: host,
        reconsume_times: m.reconsume_times + 1,
        prepared_transaction_offset: 0,
    };
    add_retry_topic_if_absent(b, &topic, &ck.cid);
    let put = b.store.put(msg);
    b.metrics.on_revive_retry((&ck.cid, &ck.topic), put.is_ok());
    if put.is_ok() {
        let queue = (ck.topic.as_str(), ck.queue_id);
        b.metrics.on_pop_done(&ck.cid, queue, ck.pop_time, 1);
    }
    match put {
        Ok(put) => {
            b.stats_items.put_result(b, &topic, &put);
            true
        }
        Err(e) => {
            tracing::warn!(topic, "revive: put to the retry topic failed: {e}");
            false
        }
    }
}

/// Java `addRetryTopicIfNotExist`: one queue, read-write, the group's offset starting at 0.
fn add_retry_topic_if_absent(b: &Broker, topic: &str, group: &str) {
    let (_, created) = b.topics.create_if_absent(topic, 1, PERM_READ | PERM_WRITE);
    if created && b.offsets.query(group, topic, 0).is_none() {
        b.offsets.commit(group, topic, 0, 0);
    }
}

/// Java `rePutCK`: a one-message CK for an offset that could not be returned.
fn re_put_ck(b: &Broker, old: &CheckPoint, offset: i64, revive_qid: i32) {
    let times = old.re_put_times();
    if times as usize >= CK_REWRITE_INTERVALS_S.len()
        && b.config().skip_when_c_k_re_put_reach_max_times
    {
        return;
    }
    let mut ck = CheckPoint {
        start_offset: offset,
        pop_time: old.pop_time,
        invisible_time: old.invisible_time,
        num: 1,
        queue_id: old.queue_id,
        topic: old.topic.clone(),
        cid: old.cid.clone(),
        queue_offset_diff: Some(vec![0]),
        broker_name: old.broker_name.clone(),
        re_put_times: Some((times + 1).to_string()),
        ..Default::default()
    };
    if old.revive_time() <= now_millis() {
        let i = (times.max(0) as usize).min(CK_REWRITE_INTERVALS_S.len() - 1);
        ck.invisible_time = old.invisible_time + CK_REWRITE_INTERVALS_S[i] * 1000;
    }
    let deliver = ck.revive_time() - ACK_TIME_INTERVAL;
    if let Err(e) = put_revive_record(
        b,
        (&ck.cid, &ck.topic),
        revive_qid,
        records::CK_TAG,
        ck.unique_id(),
        ck.to_json(),
        deliver,
    ) {
        tracing::warn!(topic = %ck.topic, "revive: check-point not re-put: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ck(topic: &str, cid: &str) -> CheckPoint {
        CheckPoint {
            topic: topic.into(),
            cid: cid.into(),
            ..Default::default()
        }
    }

    #[test]
    fn check_points_with_illegal_names_never_reach_the_store() {
        assert!(names_legal(&ck("TopicA", "GroupA")));
        assert!(names_legal(&ck("%RETRY%GroupA_TopicA", "GroupA")));
        assert!(!names_legal(&ck("../../etc", "GroupA")));
        assert!(!names_legal(&ck("TopicA", "g/../../x")));
        assert!(!names_legal(&ck("TopicA", "")));
    }
}
