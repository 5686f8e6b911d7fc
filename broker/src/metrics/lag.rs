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
//! With `estimateAccumulation` (Java's default) a tag subscription counts only the messages whose
//! tag matches, sampled as Java samples (`maxConsumeQueueScan`, `sampleCountThreshold`). With
//! `useStaticSubscription` the topics and filters are the subscription group's
//! `subscriptionDataSet` instead of what the live consumers subscribed.
//!
//! A POP group (Java's branch without buffer merge) counts from the offset its pops moved, plus
//! its messages popped and not yet acked (Java `PopInflightMessageCounter`, counted since this
//! start) in lag and inflight; it also gets an `is_retry=true` series for its POP retry topic.

use remoting::body::heartbeat::ConsumeType;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::subscription::SubscriptionData;
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
        let Some((is_pop, subs)) = subscriptions(b, &cfg, &group) else {
            continue;
        };
        for sub in &subs {
            let topic = &sub.topic;
            if topic.starts_with(RETRY_PREFIX) || !usable(b, topic, cfg.broker_permission) {
                continue;
            }
            let at = Place {
                group: &group,
                topic,
                sub,
                is_pop,
            };
            out.push(row(b, &cfg, &at, topic, false));
            if is_pop {
                let retry =
                    crate::pop::records::pop_retry_topic(topic, &group, cfg.enable_retry_topic_v2);
                out.push(row(b, &cfg, &at, &retry, true));
            }
        }
    }
    out
}

/// Whether the group pops, and its subscriptions: the live consumers' (none: skipped), or with
/// `useStaticSubscription` the group config's `subscriptionDataSet` (empty: skipped).
fn subscriptions(
    b: &Broker,
    cfg: &BrokerConfig,
    group: &str,
) -> Option<(bool, Vec<SubscriptionData>)> {
    let info = b.clients.consumer_group(group);
    let is_pop = info
        .as_ref()
        .is_some_and(|i| i.consume_type == Some(ConsumeType::Pop));
    let subs: Vec<SubscriptionData> = if cfg.use_static_subscription {
        let set = b.groups.get(group)?.subscription_data_set?;
        set.as_array()?
            .iter()
            .filter_map(|s| {
                let topic = s.get("topic")?.as_str()?;
                let expression = s.get("expression").and_then(|e| e.as_str()).unwrap_or("*");
                let kind = s.get("expressionType").and_then(|e| e.as_str());
                Some(SubscriptionData::build(topic, expression, kind))
            })
            .collect()
    } else {
        info?.subscriptions.into_values().collect()
    };
    (!subs.is_empty()).then_some((is_pop, subs))
}

fn usable(b: &Broker, topic: &str, broker_perm: i32) -> bool {
    b.topics
        .get(topic)
        .is_some_and(|tc| tc.perm & broker_perm & (PERM_READ | PERM_WRITE) != 0)
}

/// The group and subscription a row is computed for.
struct Place<'a> {
    group: &'a str,
    topic: &'a str,
    sub: &'a SubscriptionData,
    is_pop: bool,
}

/// The sums over `queue_topic`'s write queues, reported under the subscribed topic.
fn row(b: &Broker, cfg: &BrokerConfig, at: &Place, queue_topic: &str, is_retry: bool) -> LagRow {
    let group = at.group;
    let mut r = LagRow {
        group: group.to_string(),
        topic: at.topic.to_string(),
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
    // A POP retry topic has no subscription of its own: all its messages count (Java finds
    // none for it).
    let sub = (!is_retry).then_some(at.sub);
    let count = |q: i32, from: i64, to: i64| estimate(b, cfg, sub, (queue_topic, q), from, to);
    for q in 0..queues {
        let max = b.store.max_offset(queue_topic, q).max(0);
        let committed = b.offsets.query(group, queue_topic, q).filter(|o| *o >= 0);
        if at.is_pop {
            // Java's POP branch (no buffer merge): the offset moved at pop time, plus what is
            // popped and not yet acked.
            let popped = committed.unwrap_or(max);
            let inflight = b.metrics.pop_inflight(group, queue_topic, q);
            r.lag += count(q, popped, max) + inflight;
            let first_unacked = store_time(b, queue_topic, q, popped - inflight);
            r.earliest_unconsumed = r.earliest_unconsumed.min(first_unacked);
            r.inflight += inflight;
            r.earliest_unpulled = r
                .earliest_unpulled
                .min(store_time(b, queue_topic, q, popped));
            r.ready += count(q, popped, max);
            continue;
        }
        let consumer = committed.unwrap_or(max);
        r.lag += count(q, consumer, max);
        r.earliest_unconsumed = r
            .earliest_unconsumed
            .min(store_time(b, queue_topic, q, consumer));
        // Java `queryPullOffset`: the pull table, else the committed offset.
        let pulled = b.metrics.pull_offset(group, queue_topic, q).or(committed);
        let pull = pulled.unwrap_or(0);
        r.inflight += count(q, committed.unwrap_or(pull), pull);
        r.earliest_unpulled = r.earliest_unpulled.min(store_time(b, queue_topic, q, pull));
        r.ready += count(q, pulled.unwrap_or(max), max);
    }
    for ts in [&mut r.earliest_unconsumed, &mut r.earliest_unpulled] {
        if *ts == i64::MAX || *ts < 0 {
            *ts = 0;
        }
    }
    r
}

/// Java `calculateMessageCount`: the messages between two offsets, or with
/// `estimateAccumulation` and a tag filter, those whose tag matches (Java
/// `ConsumeQueue.estimateMessageCount`: past `maxConsumeQueueScan` units read or
/// `sampleCountThreshold` matches, the share found so far of the whole range).
fn estimate(
    b: &Broker,
    cfg: &BrokerConfig,
    sub: Option<&SubscriptionData>,
    (topic, q): (&str, i32),
    from: i64,
    to: i64,
) -> i64 {
    let all = (to - from).max(0);
    let Some(sub) = sub.filter(|s| s.is_tag_type() && !s.matches_all()) else {
        return all;
    };
    if !cfg.estimate_accumulation || all == 0 {
        return all;
    }
    let (mut from, mut to) = (from.max(0), to);
    let min = b.store.min_offset(topic, q);
    if from < min {
        let span = to - from;
        from = min;
        to = from + span;
    }
    let (mut raw, mut matched, mut sampled) = (0i64, 0i64, false);
    for o in from..to {
        let Some(unit) = b.store.unit(topic, q, o) else {
            break;
        };
        if sub.matches_tags_code(unit.tags_code) {
            matched += 1;
        }
        raw += 1;
        if raw >= i64::from(cfg.max_consume_queue_scan)
            || matched > i64::from(cfg.sample_count_threshold)
        {
            sampled = true;
            break;
        }
    }
    if sampled {
        (matched as f64 * (to - from) as f64 / raw as f64) as i64
    } else {
        matched
    }
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
