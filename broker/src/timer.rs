//! 5.x timer messages (Java `HookUtils.transformTimerMessage`, `TimerMessageStore`): a message
//! with `TIMER_DELIVER_MS` (absolute), `TIMER_DELAY_SEC` or `TIMER_DELAY_MS` (relative) is
//! stored in `rmq_sys_wheel_timer` queue 0 with `TIMER_OUT_MS` (rounded down to
//! `timerPrecisionMs`), `REAL_TOPIC` and `REAL_QID`, and stored again in its real topic when due
//! with `TIMER_ENQUEUE_MS` and `TIMER_DEQUEUE_MS` added. Java's `convertMessage` builds that
//! record's properties before it clears `REAL_TOPIC`/`REAL_QID`, so the record keeps them.
//!
//! Java keeps pending timers in its own `timerlog`/`timerwheel` files; here they are an
//! in-memory index rebuilt at start by reading the timer queue from a low-water mark (the
//! smallest queue offset not yet delivered), kept as the consumer offset of group
//! `CID_RMQ_SYS_TIMER`. Delivery is at-least-once across a crash.
//!
//! A record with `TIMER_DEL_UNIQKEY` (`topic+uniqId`, a recall or a producer's delete) is a
//! delete marker: it is never delivered, and the message of that key due in the same slot is
//! not delivered either (Java's `deleteList` of a slot).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use store::props::{
    get, java_map_order, parse_properties, properties_to_string, put, PARSED_MAP_CAPACITY,
};
use store::{NewMessage, StoredMessage};

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::Reject;
use crate::persist::{now_millis, DataVersion};
use crate::topics::TIMER_TOPIC;

const PROGRESS_GROUP: &str = "CID_RMQ_SYS_TIMER";
const TIMER_KEYS: [&str; 3] = ["TIMER_DELIVER_MS", "TIMER_DELAY_SEC", "TIMER_DELAY_MS"];
/// Java `MessageConst.PROPERTY_TIMER_DEL_UNIQKEY`.
const DELETE_KEY: &str = "TIMER_DEL_UNIQKEY";

/// The slot a delivery time falls in, its `TIMER_OUT_MS` (Java `transformTimerMessage`): rounded
/// down to `timerPrecisionMs`, a time on the boundary into the slot before.
pub fn slot_of(deliver_ms: i64, precision_ms: i32) -> i64 {
    let precision = i64::from(precision_ms.max(1));
    if deliver_ms % precision == 0 {
        deliver_ms - precision
    } else {
        deliver_ms / precision * precision
    }
}

/// Java `TimerMessageStore.buildDeleteKey`: what a delete marker names.
pub fn delete_key(real_topic: &str, uniq_key: &str) -> String {
    format!("{real_topic}+{uniq_key}")
}

/// Moves a timer message into the timer topic; others pass unchanged (a `DELAY` level wins and
/// drops the timer properties, as Java's `checkIfTimerMessage` does).
pub fn to_timer_topic(msg: NewMessage, cfg: &BrokerConfig) -> Result<NewMessage, Reject> {
    to_timer_topic_in(msg, cfg, PARSED_MAP_CAPACITY)
}

/// [`to_timer_topic`] for a message whose properties Java keeps in a map of `capacity` (the
/// broker's own records, built in a `new HashMap<>()`, are re-encoded in that map's order).
pub fn to_timer_topic_in(
    mut msg: NewMessage,
    cfg: &BrokerConfig,
    capacity: usize,
) -> Result<NewMessage, Reject> {
    let encode = |props: &mut Vec<(String, String)>| {
        java_map_order(props, capacity);
        properties_to_string(props.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    };
    // Most messages carry no timer property: answered without parsing them into a map.
    if !store::props::has_any(&msg.properties, &TIMER_KEYS) {
        return Ok(msg);
    }
    let mut props = parse_properties(&msg.properties);
    let delay_level = get(&props, "DELAY")
        .and_then(|d| d.parse::<i32>().ok())
        .unwrap_or(0);
    if delay_level > 0 {
        props.retain(|(k, _)| !TIMER_KEYS.contains(&k.as_str()));
        msg.properties = encode(&mut props);
        return Ok(msg);
    }
    if msg.topic == TIMER_TOPIC || get(&props, "TIMER_OUT_MS").is_some() {
        return Ok(msg);
    }
    if !cfg.timer_wheel_enable {
        return Err(Reject::system(
            "accurate timer message is not enabled, timerWheelEnable is false",
        ));
    }
    let illegal = || {
        Reject::illegal(format!(
            "timer message illegal, the delay time should not be bigger than the max delay {}ms; or if set del msg, the delay time should be bigger than the current time",
            i64::from(cfg.timer_max_delay_sec) * 1000
        ))
    };
    let now = now_millis();
    let parse = |k: &str| get(&props, k).map(|v| v.trim().parse::<i64>());
    let deliver = match (
        parse("TIMER_DELAY_SEC"),
        parse("TIMER_DELAY_MS"),
        parse("TIMER_DELIVER_MS"),
    ) {
        (Some(s), _, _) => now + s.map_err(|_| illegal())? * 1000,
        (None, Some(ms), _) => now + ms.map_err(|_| illegal())?,
        (None, None, Some(at)) => at.map_err(|_| illegal())?,
        (None, None, None) => return Ok(msg),
    };
    if deliver <= now {
        // A delete marker for a time already past could delete nothing.
        if get(&props, DELETE_KEY).is_some() {
            return Err(illegal());
        }
        return Ok(msg);
    }
    if deliver - now > i64::from(cfg.timer_max_delay_sec) * 1000 {
        return Err(illegal());
    }
    let deliver = slot_of(deliver, cfg.timer_precision_ms);
    put(&mut props, "TIMER_OUT_MS", deliver.to_string());
    put(&mut props, "REAL_TOPIC", msg.topic.clone());
    put(&mut props, "REAL_QID", msg.queue_id.to_string());
    msg.properties = encode(&mut props);
    msg.topic = TIMER_TOPIC.to_string();
    msg.queue_id = 0;
    Ok(msg)
}

/// Pending timers as (deliver ms, timer-queue offset), and the next queue offset to index.
#[derive(Default)]
struct TimerState {
    pending: BTreeSet<(i64, i64)>,
    read: Option<i64>,
    /// Java `TimerMetrics.timingCount`: pending timers per real topic, (count, last change ms).
    counts: BTreeMap<String, (i64, i64)>,
    /// When the last round delivered everything due (Java checkpoint `lastReadTimeMs`).
    last_round_ms: i64,
    /// Delete markers not yet applied: (slot, delete key) → real topic.
    deletes: BTreeMap<(i64, String), String>,
}

/// What a slave last got from its master's GET_TIMER_CHECK_POINT / GET_TIMER_METRICS; a slave
/// answers those with them, as Java's slave answers with the checkpoint it synced.
#[derive(Default)]
struct FromMaster {
    checkpoint: Option<Vec<u8>>,
    metrics: Option<Vec<u8>>,
}

#[derive(Default)]
pub struct TimerIndex {
    state: Mutex<TimerState>,
    /// Bumped when the indexed timer-queue offset moves (checkpoint `dataVersion`).
    checkpoint_version: DataVersion,
    /// Bumped when a topic's pending count changes (metrics `dataVersion`).
    metrics_version: DataVersion,
    from_master: Mutex<FromMaster>,
}

/// A pending count and when it changed (Java `TimerMetrics.Metric`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    count: i64,
    time_stamp: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricsWrapper {
    data_version: crate::persist::DataVersionJson,
    timing_count: BTreeMap<String, Metric>,
}

impl TimerIndex {
    /// GET_TIMER_CHECK_POINT body (Java `TimerCheckpoint.encode`, 56 bytes): lastReadTimeMs,
    /// lastTimerLogFlushPos (0: no timer log here), lastTimerQueueOffset and
    /// masterTimerQueueOffset (the next timer-queue offset indexed), then the data version's
    /// stateVersion, timestamp and counter.
    pub fn checkpoint_body(&self) -> Vec<u8> {
        if let Some(b) = self.mirror().checkpoint.clone() {
            return b;
        }
        let (read, last) = {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            (st.read.unwrap_or(0), st.last_round_ms)
        };
        let v = self.checkpoint_version.snapshot();
        [last, 0, read, read, v.state_version, v.timestamp, v.counter]
            .iter()
            .flat_map(|x| x.to_be_bytes())
            .collect()
    }

    /// GET_TIMER_METRICS body (Java `TimerMetrics.encode`).
    pub fn metrics_body(&self) -> Vec<u8> {
        if let Some(b) = self.mirror().metrics.clone() {
            return b;
        }
        let timing_count = {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            st.counts
                .iter()
                .map(|(t, (count, ts))| {
                    let m = Metric {
                        count: *count,
                        time_stamp: *ts,
                    };
                    (t.clone(), m)
                })
                .collect()
        };
        let w = MetricsWrapper {
            data_version: self.metrics_version.snapshot(),
            timing_count,
        };
        serde_json::to_vec(&w).unwrap_or_default()
    }

    /// A slave keeps its master's checkpoint (a 56-byte body).
    pub fn set_master_checkpoint(&self, body: Vec<u8>) {
        self.mirror().checkpoint = Some(body);
    }

    /// A slave keeps its master's metrics (a JSON body).
    pub fn set_master_metrics(&self, body: Vec<u8>) {
        self.mirror().metrics = Some(body);
    }

    fn mirror(&self) -> std::sync::MutexGuard<'_, FromMaster> {
        self.from_master.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the timer metrics read (Java `TimerMessageStore`'s behind figures, `TimerMetrics`).
pub struct TimerView {
    /// Records of the timer topic not yet indexed, and the store time of the first of them.
    pub enqueue_behind: i64,
    pub first_unindexed_store_ms: Option<i64>,
    /// The oldest due time of the pending timers already due.
    pub oldest_due_ms: Option<i64>,
    /// Pending timers per real topic.
    pub counts: Vec<(String, i64)>,
    /// The delivery times of every pending timer.
    pub pending_at: Vec<i64>,
}

impl TimerIndex {
    /// A snapshot for the metrics.
    pub fn view(&self, b: &Broker, now: i64) -> TimerView {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let max = b.store.max_offset(TIMER_TOPIC, 0);
        let read = st.read.unwrap_or(max);
        TimerView {
            enqueue_behind: (max - read).max(0),
            first_unindexed_store_ms: (read < max)
                .then(|| b.store.message_store_time(TIMER_TOPIC, 0, read))
                .filter(|t| *t > 0),
            oldest_due_ms: st
                .pending
                .first()
                .map(|(at, _)| *at)
                .filter(|at| *at <= now),
            counts: st
                .counts
                .iter()
                .map(|(t, (n, _))| (t.clone(), *n))
                .collect(),
            pending_at: st.pending.iter().map(|(at, _)| *at).collect(),
        }
    }
}

fn count_change(counts: &mut BTreeMap<String, (i64, i64)>, topic: &str, by: i64, now: i64) {
    let e = counts.entry(topic.to_string()).or_insert((0, now));
    e.0 += by;
    e.1 = now;
}

/// The delivery task: every 100 ms index newly stored timers and deliver the due ones.
pub async fn run(b: Arc<Broker>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while !b.is_shutting_down() {
        tick.tick().await;
        if b.config().timer_wheel_enable && b.acts_as_master() {
            step(&b);
        }
    }
}

fn record(b: &Broker, offset: i64) -> Option<StoredMessage> {
    let unit = b.store.unit(TIMER_TOPIC, 0, offset)?;
    let rec = b.store.read_range(unit.physical_offset, unit.size)?;
    StoredMessage::decode(&rec)
}

/// One round: index, deliver, record the low-water mark.
pub fn step(b: &Broker) {
    let mut guard = b.timers.state.lock().unwrap_or_else(|e| e.into_inner());
    let TimerState {
        pending,
        read,
        counts,
        last_round_ms,
        deletes,
    } = &mut *guard;
    let now = now_millis();
    let indexed_from = *read;
    let mut next = read.unwrap_or_else(|| {
        let min = b.store.min_offset(TIMER_TOPIC, 0);
        b.offsets
            .query(PROGRESS_GROUP, TIMER_TOPIC, 0)
            .unwrap_or(min)
            .max(min)
    });
    let max = b.store.max_offset(TIMER_TOPIC, 0);
    while next < max {
        if let Some(m) = record(b, next) {
            let props = parse_properties(&m.properties);
            let at = get(&props, "TIMER_OUT_MS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let topic = get(&props, "REAL_TOPIC").unwrap_or_default();
            match get(&props, DELETE_KEY) {
                Some(key) => {
                    deletes.insert((at, key.to_string()), topic.to_string());
                    count_change(counts, topic, -1, now);
                }
                None => {
                    pending.insert((at, next));
                    count_change(counts, topic, 1, now);
                    b.metrics.on_timer_enqueue(topic, at - m.born_timestamp);
                }
            }
            b.timers.metrics_version.next();
        }
        next += 1;
    }
    *read = Some(next);
    if indexed_from != *read {
        b.timers.checkpoint_version.next();
    }
    let precision = i64::from(b.config().timer_precision_ms.max(1));
    while let Some(&(at, offset)) = pending.first() {
        if at > now {
            break;
        }
        let due = record(b, offset).filter(|m| !deleted(deletes, at, m));
        if let Some(real) = due.and_then(|m| real_message(m, now, precision)) {
            let topic = real.topic.clone();
            match b.store.put(real) {
                Ok(put) => {
                    b.stats_items.put_result(b, &topic, &put);
                    b.metrics.on_timer_dequeue(&topic);
                    count_change(counts, &topic, -1, now);
                    b.timers.metrics_version.next();
                }
                Err(e) => {
                    tracing::warn!(offset, "deliver timer message: {e}");
                    break;
                }
            }
        }
        pending.pop_first();
    }
    // A marker whose message was not in its slot deletes nothing; Java counts it back. The
    // markers of a slot still pending (a failed put above) wait for it.
    let done_until = pending.first().map_or(now, |&(at, _)| now.min(at - 1));
    while let Some(entry) = deletes.first_entry() {
        if entry.key().0 > done_until {
            break;
        }
        let topic = entry.remove();
        count_change(counts, &topic, 1, now);
        b.timers.metrics_version.next();
    }
    *last_round_ms = now;
    let low = pending.iter().map(|(_, o)| *o).min().unwrap_or(next);
    // Recorded only when it moves: a broker that never had a timer message keeps no offsets
    // for the progress group (Java keeps its timer progress out of consumerOffset.json).
    let min = b.store.min_offset(TIMER_TOPIC, 0);
    if b.offsets
        .query(PROGRESS_GROUP, TIMER_TOPIC, 0)
        .unwrap_or(min)
        != low
    {
        b.offsets.commit(PROGRESS_GROUP, TIMER_TOPIC, 0, low);
    }
}

/// Whether a delete marker of slot `at` names `m` (its real topic and `UNIQ_KEY`); the marker is
/// used up.
fn deleted(deletes: &mut BTreeMap<(i64, String), String>, at: i64, m: &StoredMessage) -> bool {
    if deletes.is_empty() {
        return false;
    }
    let props = store::props::parse_pairs(&m.properties);
    let (Some(topic), Some(uniq)) = (get(&props, "REAL_TOPIC"), get(&props, "UNIQ_KEY")) else {
        return false;
    };
    deletes.remove(&(at, delete_key(topic, uniq))).is_some()
}

/// Java `TimerMessageStore.convert`: real topic and queue, the timer record's properties plus
/// `TIMER_ENQUEUE_MS` and `TIMER_DEQUEUE_MS` (now). Java's enqueue time is its wheel's write time
/// (`currWriteTimeMs`, a multiple of `timerPrecisionMs`) when the wheel read the record; here the
/// record's store time rounded down the same way.
fn real_message(m: StoredMessage, now: i64, precision: i64) -> Option<NewMessage> {
    let mut props = parse_properties(&m.properties);
    let enqueued = m.store_timestamp / precision * precision;
    put(&mut props, "TIMER_ENQUEUE_MS", enqueued.to_string());
    put(&mut props, "TIMER_DEQUEUE_MS", now.to_string());
    crate::schedule::to_real_topic(m, &mut props)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(props: &str) -> NewMessage {
        crate::schedule::test_message(1, props)
    }

    #[test]
    fn timer_properties_move_the_message() {
        let cfg = BrokerConfig::default();
        let m = to_timer_topic(msg("TIMER_DELAY_SEC\u{1}5\u{2}"), &cfg).unwrap();
        assert_eq!((m.topic.as_str(), m.queue_id), (TIMER_TOPIC, 0));
        let props = parse_properties(&m.properties);
        let out: i64 = get(&props, "TIMER_OUT_MS").unwrap().parse().unwrap();
        assert_eq!(out % 1000, 0, "rounded to timerPrecisionMs");
        assert_eq!(get(&props, "REAL_TOPIC"), Some("T"));
        let too_far = to_timer_topic(msg("TIMER_DELAY_SEC\u{1}999999\u{2}"), &cfg).unwrap_err();
        assert_eq!(too_far.response_code(), 13);
        let past = to_timer_topic(msg("TIMER_DELIVER_MS\u{1}1\u{2}"), &cfg).unwrap();
        assert_eq!(past.topic, "T", "a time in the past is delivered at once");
        let level =
            to_timer_topic(msg("DELAY\u{1}2\u{2}TIMER_DELAY_SEC\u{1}5\u{2}"), &cfg).unwrap();
        assert_eq!(level.topic, "T");
        assert!(!level.properties.contains("TIMER_DELAY_SEC"), "DELAY wins");
    }
}
