//! 5.x POP consumption (Java `PopMessageProcessor`, `AckMessageProcessor`,
//! `ChangeInvisibleTimeProcessor`, `PeekMessageProcessor`, `NotificationProcessor`,
//! `PollingInfoProcessor`, `QueryAssignmentProcessor`, `PopReviveService`): the broker keeps
//! each consumer's progress, and a popped message comes back by itself when it is not acked in
//! time.
//!
//! ```text
//!  POP_MESSAGE ─▶ read queue(s) from the group's offset ─▶ offset := next   (at pop time)
//!       │                         └─▶ CK {so,pt,it,d…} ─▶ timer (due popTime+invisibleTime−1 s)
//!  ACK_MESSAGE ─────────────────────▶ ack {ao,so,pt…} ─▶ timer (due popTime+invisibleTime)
//!                                                            │ both land in
//!                                      rmq_sys_REVIVE_LOG_<cluster>, queue ck# % reviveQueueNum
//!  revive task (one per revive queue, group CID_RMQ_SYS_REVIVE_GROUP):
//!       pair acks with CKs ─▶ un-acked offsets ─▶ %RETRY%<group>_<topic> (reconsumeTimes+1)
//! ```
//! Records are Java's ([`records`]), so a store moves between Java and Thrust with pops in
//! flight: the CK/ack messages wait in the timer topic as Java's do ([`crate::timer`]).
//!
//! Orderly POP (`order=true`, the 5.x FIFO consumers) takes another road: no CK, no retry topic.
//! The queue stays blocked for other pops until what was handed out is acked or visible again,
//! the group's offset moves only with acks, and what comes back is counted
//! ([`order_info`], `config/consumerOrderInfo.json` as Java's).
//!
//! * [`pop_message`]: POP_MESSAGE with long polling. [`ack`]: ACK_MESSAGE, BATCH_ACK_MESSAGE,
//!   CHANGE_MESSAGE_INVISIBLETIME. [`peek`]: PEEK_MESSAGE, NOTIFICATION, POLLING_INFO.
//!   [`revive`]: the revive task. [`assignment`]: QUERY_ASSIGNMENT. [`order_info`]: the
//!   orderly pops' table.
//!
//! Where Thrust differs or stops: check-points are written at once (Java's
//! `enablePopBufferMerge=false`, its default; `true` is refused at start), so the consumer
//! offset is committed as soon as the CK is stored, where Java's buffer service commits it a
//! few milliseconds later. The 5.3 RocksDB-backed POP consumer service
//! (`popConsumerKVServiceEnable`) is refused. Java's
//! remoting broker sends no POP message to a DLQ (the 5.x client acks a message that failed
//! `maxReconsumeTimes` times), and neither does Thrust.

pub mod ack;
pub mod assignment;
pub mod order_info;
pub mod peek;
pub mod pop_message;
pub mod records;
pub mod revive;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use remoting::code::response as rc;
use store::props::{java_map_order, properties_to_string, MESSAGE_MAP_CAPACITY};
use store::NewMessage;

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::Reject;
use crate::persist::now_millis;

/// POP's in-memory state: the CK counter, the queue try-locks, the parked requests.
#[derive(Default)]
pub struct PopState {
    /// Java `ckMessageNumber`: picks the revive queue of each pop.
    ck_counter: AtomicU64,
    /// Java `QueueLockManager`: `topic@group@queueId` of the queues being popped right now.
    /// A std mutex: held only to insert or remove a key, never across an await.
    locked: Mutex<HashSet<String>>,
    /// Pops and notifications parked waiting for messages, by `topic@group@queueId`
    /// (POLLING_INFO, `popPollingSize`), and their total (`maxPopPollingSize`). Same rule as
    /// `locked`.
    parked: Mutex<HashMap<String, i64>>,
    parked_total: AtomicI64,
    /// Bumped when an orderly queue may have become free (an ack, a changed invisible time):
    /// parked orderly pops and notifications look again (Java `notifyMessageArriving`).
    order_released: tokio::sync::watch::Sender<i64>,
}

impl PopState {
    fn next_revive_qid(&self, revive_queue_num: i32) -> i32 {
        let n = self.ck_counter.fetch_add(1, Ordering::Relaxed);
        (n % revive_queue_num.max(1) as u64) as i32
    }

    /// Takes the queue's lock if it is free.
    fn try_lock(&self, key: &str) -> bool {
        let mut l = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        l.insert(key.to_string())
    }

    fn unlock(&self, key: &str) {
        let mut l = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        l.remove(key);
    }

    /// Wakes the parked orderly requests.
    pub(crate) fn release_order(&self) {
        self.order_released.send_modify(|n| *n += 1);
    }

    /// A receiver that sees the next [`Self::release_order`].
    pub(crate) fn order_released(&self) -> tokio::sync::watch::Receiver<i64> {
        self.order_released.subscribe()
    }

    /// Spins for the queue's lock, as Java's acks do: a pop holds it only while it reads.
    pub(crate) async fn lock(&self, key: &str) {
        while !self.try_lock(key) {
            tokio::task::yield_now().await;
        }
    }

    /// How many requests are parked on `topic@group@queueId`.
    pub fn parked(&self, key: &str) -> i64 {
        let p = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        p.get(key).copied().unwrap_or(0)
    }
}

/// Counts a parked request for as long as it lives (Java `PopLongPollingService.polling`).
struct Parked<'a> {
    state: &'a PopState,
    key: String,
}

impl<'a> Parked<'a> {
    /// `None` when the broker (`maxPopPollingSize`) or the key (`popPollingSize`) is full:
    /// POLLING_FULL.
    fn enter(state: &'a PopState, key: String, cfg: &BrokerConfig) -> Option<Parked<'a>> {
        if state.parked_total.load(Ordering::Relaxed) >= cfg.max_pop_polling_size {
            return None;
        }
        let mut p = state.parked.lock().unwrap_or_else(|e| e.into_inner());
        let n = p.entry(key.clone()).or_insert(0);
        if *n > i64::from(cfg.pop_polling_size) {
            return None;
        }
        *n += 1;
        state.parked_total.fetch_add(1, Ordering::Relaxed);
        drop(p);
        crate::metrics::note_long_polling();
        Some(Parked { state, key })
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        let mut p = self.state.parked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = p.get_mut(&self.key) {
            *n -= 1;
            if *n <= 0 {
                p.remove(&self.key);
            }
        }
        self.state.parked_total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// When a parked orderly request must look again: the earliest time one of its blocked queues
/// stops blocking (Java's `ConsumerOrderInfoLockManager` wakes it then, under
/// `enableNotifyAfterPopOrderLockRelease`), at the latest `deadline`.
pub(crate) fn order_wake(
    b: &Broker,
    cfg: &BrokerConfig,
    (topic, group): (&str, &str),
    qids: Vec<i32>,
    deadline: tokio::time::Instant,
) -> tokio::time::Instant {
    if !cfg.enable_notify_after_pop_order_lock_release {
        return deadline;
    }
    let now = now_millis();
    let free = qids
        .into_iter()
        .filter_map(|q| b.order_info.lock_free_timestamp((topic, group, q), now))
        .min();
    match free {
        // One millisecond late rather than early: the two clocks are read apart.
        Some(t) => deadline.min(
            tokio::time::Instant::now() + std::time::Duration::from_millis((t - now) as u64 + 1),
        ),
        None => deadline,
    }
}

/// `topic@group@queueId` (Java `KeyBuilder.buildPollingKey`, the lock key).
fn lock_key(topic: &str, group: &str, qid: i32) -> String {
    format!("{topic}@{group}@{qid}")
}

/// A random 0..99 (Java `random.nextInt(100)`).
fn random_100() -> i32 {
    crate::send::random_queue(100)
}

/// Stores a CK or ack record of `owner` (group, topic) in the revive topic as Java's
/// `buildCkMsg` / `appendAck` build it: tag, `UNIQ_KEY`, and `TIMER_DELIVER_MS` so the timer
/// holds it until it is due.
pub(crate) fn put_revive_record(
    b: &Broker,
    owner: (&str, &str),
    revive_qid: i32,
    tag: &str,
    uniq_key: String,
    body: String,
    deliver_ms: i64,
) -> Result<(), Reject> {
    let cfg = b.config();
    let host = b.store_host();
    let topic = records::revive_topic(&cfg.broker_cluster_name);
    let msg = revive_record(topic, host, revive_qid, tag, uniq_key, body, deliver_ms);
    let msg = crate::timer::to_timer_topic_in(msg, &cfg, MESSAGE_MAP_CAPACITY)?;
    let topic = msg.topic.clone();
    let put = b.store.put(msg);
    b.metrics
        .on_revive_put(owner, tag == records::CK_TAG, put.is_ok());
    match put {
        Ok(put) => {
            b.stats_items.put_result(b, &topic, &put);
            Ok(())
        }
        Err(e) => Err(Reject::code(
            rc::SYSTEM_ERROR,
            format!("put {tag} record: {e}"),
        )),
    }
}

/// The revive-topic message of a CK or ack before the timer takes it: Java's
/// `MessageExtBrokerInner` with `setTags`, `setDeliverTimeMs` and `UNIQ_KEY` in a new map.
fn revive_record(
    topic: String,
    host: std::net::SocketAddr,
    revive_qid: i32,
    tag: &str,
    uniq_key: String,
    body: String,
    deliver_ms: i64,
) -> NewMessage {
    let mut props = vec![
        ("TAGS".to_string(), tag.to_string()),
        ("TIMER_DELIVER_MS".to_string(), deliver_ms.to_string()),
        ("UNIQ_KEY".to_string(), uniq_key),
    ];
    java_map_order(&mut props, MESSAGE_MAP_CAPACITY);
    let properties = properties_to_string(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    NewMessage {
        topic,
        queue_id: revive_qid,
        flag: 0,
        body: Bytes::from(body.into_bytes()),
        properties,
        sys_flag: 0,
        born_timestamp: now_millis(),
        born_host: host,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_point_timer_copy_has_javas_property_order() {
        let deliver = now_millis() + 60_000;
        let host = "127.0.0.1:10911".parse().unwrap();
        let uniq = "T@1@5@G@1700000000000@b@ck".to_string();
        let msg = revive_record(
            "rmq_sys_REVIVE_LOG_C".into(),
            host,
            3,
            "ck",
            uniq,
            "{}".into(),
            deliver,
        );
        let cfg = BrokerConfig::default();
        let timer = crate::timer::to_timer_topic_in(msg, &cfg, MESSAGE_MAP_CAPACITY).unwrap();
        let names: Vec<&str> = store::props::parse_pairs(&timer.properties)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        // Printed by Java 5.3.3 for the same map (`buildCkMsg`, then `transformTimerMessage`).
        assert_eq!(
            names,
            [
                "REAL_TOPIC",
                "TIMER_DELIVER_MS",
                "UNIQ_KEY",
                "TAGS",
                "TIMER_OUT_MS",
                "REAL_QID"
            ]
        );
    }
}
