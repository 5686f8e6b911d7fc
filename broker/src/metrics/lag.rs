//! Consumer lag, inflight and ready messages, computed at scrape time (Java
//! `ConsumerLagCalculator`): for every subscription group with live consumers, each topic they
//! subscribe (retry topics aside) that is readable or writable, summed over its write queues.
//!
//! * lag: the queue's max offset − the committed offset; latency: since the store time of the
//!   first message not yet committed.
//! * inflight: the pull offset − the committed offset; queueing latency: since the store time of
//!   the first message not yet pulled.
//! * ready: the max offset − the pull offset.
//!
//! A POP group also gets an `is_retry=true` series for its POP retry topic. Thrust has no
//! in-memory POP inflight counter (Java's `PopInflightMessageCounter`): a POP group's offset
//! already moves at pop time, so its lag counts what was never popped and its inflight is 0.
//! Java's `estimateAccumulation` (counting only tag-matching messages) is not applied: every
//! message between the offsets counts.

use remoting::body::heartbeat::ConsumeType;

use crate::broker::Broker;
use crate::topics::{PERM_READ, PERM_WRITE, RETRY_PREFIX};

/// One (group, topic, is_retry) row of the three calculations.
pub struct LagRow {
    pub group: String,
    pub topic: String,
    pub is_retry: bool,
    pub lag: i64,
    /// Store time of the first uncommitted message, 0 if none.
    pub earliest_unconsumed: i64,
    pub inflight: i64,
    /// Store time of the first unpulled message, 0 if none.
    pub earliest_unpulled: i64,
    pub ready: i64,
}

impl LagRow {
    pub fn lag_latency(&self, now: i64) -> i64 {
        since(self.earliest_unconsumed, now)
    }
    pub fn queueing_latency(&self, now: i64) -> i64 {
        since(self.earliest_unpulled, now)
    }
}

fn since(ts: i64, now: i64) -> i64 {
    if ts == 0 {
        0
    } else {
        now - ts
    }
}

/// Java `processAllGroup`, then the three calculations per (group, topic).
pub fn rows(b: &Broker) -> Vec<LagRow> {
    let cfg = b.config();
    let mut out = Vec::new();
    for group in b.groups.names() {
        let Some(info) = b.clients.consumer_group(&group) else {
            continue;
        };
        let is_pop = info.consume_type == Some(ConsumeType::Pop);
        for topic in info.subscriptions.keys() {
            if topic.starts_with(RETRY_PREFIX) {
                continue;
            }
            if !usable(b, topic, cfg.broker_permission) {
                continue;
            }
            out.push(row(b, &group, topic, topic, false));
            if is_pop {
                let retry =
                    crate::pop::records::pop_retry_topic(topic, &group, cfg.enable_retry_topic_v2);
                out.push(row(b, &group, topic, &retry, true));
            }
        }
    }
    out
}

fn usable(b: &Broker, topic: &str, broker_perm: i32) -> bool {
    b.topics
        .get(topic)
        .is_some_and(|tc| tc.perm & broker_perm & (PERM_READ | PERM_WRITE) != 0)
}

/// The sums over `queue_topic`'s write queues, reported under `topic`.
fn row(b: &Broker, group: &str, topic: &str, queue_topic: &str, is_retry: bool) -> LagRow {
    let mut r = LagRow {
        group: group.to_string(),
        topic: topic.to_string(),
        is_retry,
        lag: 0,
        earliest_unconsumed: i64::MAX,
        inflight: 0,
        earliest_unpulled: i64::MAX,
        ready: 0,
    };
    let queues = b
        .topics
        .get(queue_topic)
        .map_or(0, |tc| tc.write_queue_nums);
    for q in 0..queues {
        let max = b.store.max_offset(queue_topic, q).max(0);
        let committed = b.offsets.query(group, queue_topic, q).filter(|o| *o >= 0);
        let consumer = committed.unwrap_or(max);
        r.lag += (max - consumer).max(0);
        r.earliest_unconsumed = r
            .earliest_unconsumed
            .min(store_time(b, queue_topic, q, consumer));
        // Java `queryPullOffset`: the pull table, else the committed offset.
        let pulled = b.metrics.pull_offset(group, queue_topic, q).or(committed);
        let pull = pulled.unwrap_or(0);
        r.inflight += (pull - committed.unwrap_or(pull)).max(0);
        r.earliest_unpulled = r.earliest_unpulled.min(store_time(b, queue_topic, q, pull));
        r.ready += (max - pulled.unwrap_or(max)).max(0);
    }
    for ts in [&mut r.earliest_unconsumed, &mut r.earliest_unpulled] {
        if *ts == i64::MAX || *ts < 0 {
            *ts = 0;
        }
    }
    r
}

/// Java `getStoreTimeStamp`: the message's store time, `i64::MAX` when there is none.
fn store_time(b: &Broker, topic: &str, q: i32, offset: i64) -> i64 {
    if offset < 0 {
        return i64::MAX;
    }
    let ts = b.store.message_store_time(topic, q, offset);
    if ts > 0 {
        ts
    } else {
        i64::MAX
    }
}
