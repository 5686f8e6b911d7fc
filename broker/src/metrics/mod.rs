//! The broker's metrics (Java `BrokerMetricsManager`, `RemotingMetricsManager`,
//! `DefaultStoreMetricsManager`, `PopMetricsManager`): with `metricsExporterType=PROM`, served
//! at `http://<metricsPromExporterHost or brokerIP1>:<metricsPromExporterPort>/metrics` in the
//! Prometheus text format, with Java's metric names, units, label names and values.
//!
//! Requests touch the metrics through one call each ([`Metrics::on_rpc`], [`Metrics::on_send`],
//! [`Metrics::on_pull`], ...). With metrics off those return at once; with metrics on they add
//! to atomics in series found without allocating ([`registry`]). Everything Java computes in
//! gauge callbacks (counts, connections, consumer lag, store state) is computed when scraped
//! ([`collect`]).

mod collect;
mod http;
mod lag;
pub mod names;
pub mod registry;
pub mod text;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use remoting::Command;

use crate::broker::{Broker, StartError};
use crate::config::BrokerConfig;
use crate::config_values::MetricsExporterType;
use registry::{Counter, Histogram, Labelled, Series};

/// RPC latency buckets, ms (Java `RemotingMetricsManager.getMetricsView`).
pub const RPC_LATENCY_BOUNDS: [u64; 9] = [1, 3, 5, 7, 10, 100, 1000, 2000, 3000];
/// Message size buckets, bytes: 1 KiB, 4 KiB, 512 KiB, 1, 2, 4 MiB.
pub const MESSAGE_SIZE_BOUNDS: [u64; 6] = [1024, 4096, 524_288, 1_048_576, 2_097_152, 4_194_304];
/// Topic and group creation time buckets, ms.
pub const CREATE_TIME_BOUNDS: [u64; 5] = [10, 100, 1000, 3000, 5000];
/// Transaction finish latency buckets (Java records seconds against them).
pub const FINISH_LATENCY_BOUNDS: [u64; 6] = [5, 60, 600, 3600, 43_200, 86_400];

/// Timer set-latency buckets, seconds: 1 min, 10 min, 1 h, 12 h, 1 day, 3 days.
pub const DELAY_LATENCY_BOUNDS: [u64; 6] = [60, 600, 3600, 43_200, 86_400, 259_200];
/// `rocketmq_timer_message_snapshot`'s `timer_bound_s` (Java `TimerMetrics` distribution).
pub const TIMER_DIST_SECONDS: [i64; 8] = [5, 60, 300, 900, 3600, 14_400, 28_800, 86_400];

/// Java `RemotingMetricsConstant` results. Java's `write_channel_failed` and `cancelled` follow
/// the socket write, which here is queued to the connection's writer and never refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpcResult {
    Success,
    Oneway,
}

impl RpcResult {
    fn label(self) -> &'static str {
        match self {
            RpcResult::Success => "success",
            RpcResult::Oneway => "oneway",
        }
    }
}

/// What a send asked for: its topic and properties (the message type).
#[derive(Clone, Copy)]
pub struct SendRequest<'a> {
    pub topic: &'a str,
    pub properties: Option<&'a str>,
}

/// One RPC latency series: request code, response code, long-polling, result.
type RpcKey = (i32, i32, bool, RpcResult);

/// Messages and bytes of one `in` or `out` series, and (for `in`) the size histogram.
#[derive(Default)]
struct Flow {
    messages: Counter,
    bytes: Counter,
    sizes: Histogram<7>,
}

/// A gauge kept up to date by the requests (a consumer's pull offset on one queue, Java
/// `ConsumerOffsetManager.pullOffsetTable`; a topic's half messages).
#[derive(Default)]
struct Level(AtomicI64);

/// The recording side, present when an exporter is on.
struct Registry {
    /// Java `LABEL_MAP`: the `metricsLabel` pairs, `aggregation=delta` with `metricsInDelta`,
    /// then node_type, cluster and node_id (later keys win, as Java's map puts).
    common: Vec<(String, String)>,
    /// Tells this registry's series apart in a thread's [`LAST_IN`].
    id: u64,
    rpc: Series<RpcKey, Histogram<10>>,
    /// The `rpc` series of a successful two-way answer not held, by request code below
    /// [`RPC_DIRECT`]: most requests find theirs with one load instead of a lookup.
    rpc_direct: Box<[OnceLock<Arc<Histogram<10>>>]>,
    /// topic, message_type.
    messages_in: Labelled<2, Flow>,
    /// topic, consumer_group, is_retry ("" when the label is absent: only POP sets it).
    messages_out: Labelled<3, Flow>,
    /// consumer_group, topic.
    send_to_dlq: Labelled<2, Counter>,
    /// topic (commit, rollback, finish latency).
    commits: Labelled<1, Counter>,
    rollbacks: Labelled<1, Counter>,
    finish_latency: Labelled<1, Histogram<7>>,
    /// invocation_status, is_system (`rocketmq_topic_create_execution_time`).
    topic_create: Labelled<2, Histogram<6>>,
    /// invocation_status (`rocketmq_consumer_group_create_execution_time`).
    group_create: Labelled<1, Histogram<6>>,
    /// topic, group, queue id.
    pull_offsets: Labelled<3, Level>,
    /// consumer_group, topic, revive_message_type, put_status.
    revive_in: Labelled<4, Counter>,
    /// consumer_group, topic, queue_id, revive_message_type.
    revive_out: Labelled<4, Counter>,
    /// consumer_group, topic, put_status.
    revive_retry: Labelled<3, Counter>,
    /// topic (real): timer messages indexed and delivered, and their set latency.
    timer_enqueued: Labelled<1, Counter>,
    timer_dequeued: Labelled<1, Counter>,
    delay_latency: Labelled<1, Histogram<7>>,
    /// topic: half messages not yet committed or rolled back (Java `TransactionMetrics`, which
    /// Java also persists; here they count from start).
    half_messages: Labelled<1, Level>,
    /// topic (as read), group, queue id: POP messages in flight.
    pop_inflight: Labelled<3, Level>,
    /// When the metrics started: pops from before are not counted in flight.
    started_ms: i64,
    /// `enableScheduleMessageStats`: Java counts delayed deliveries only with it.
    schedule_stats: bool,
    /// The configuration at start (which topics are system topics).
    start_config: BrokerConfig,
}

/// Request codes with a slot in `Registry::rpc_direct` (every code a client sends per message).
const RPC_DIRECT: usize = 512;

/// Source of `Registry::id`.
static NEXT_REGISTRY: AtomicU64 = AtomicU64::new(0);

/// The `messages_in` series a thread last counted a send under.
struct LastIn {
    registry: u64,
    topic: String,
    kind: &'static str,
    flow: Arc<Flow>,
}

thread_local! {
    /// Sends come in runs of one topic: the next one finds its series with a comparison, not a
    /// lookup.
    static LAST_IN: RefCell<Option<LastIn>> = const { RefCell::new(None) };
}

tokio::task_local! {
    /// Set while a request is held as a long poll (Java `RemotingCommand.setSuspended`).
    static LONG_POLLING: Cell<bool>;
}

/// The requests a handler may hold for long polling (pull, POP and its notification).
fn may_long_poll(code: i32) -> bool {
    use remoting::code::request as rq;
    matches!(
        code,
        rq::PULL_MESSAGE
            | rq::LITE_PULL_MESSAGE
            | rq::POP_MESSAGE
            | rq::PEEK_MESSAGE
            | rq::NOTIFICATION
    )
}

/// Marks the request being handled as held for long polling (`is_long_polling=true`); nothing
/// when metrics are off.
pub fn note_long_polling() {
    let _ = LONG_POLLING.try_with(|c| c.set(true));
}

/// The broker's metrics; a no-op unless `metricsExporterType` turns an exporter on.
pub struct Metrics {
    registry: Option<Box<Registry>>,
    /// Where the Prometheus listener is bound (port 0 asked: the port given).
    bound: OnceLock<SocketAddr>,
}

impl Metrics {
    /// Built at broker open; the exporter types Thrust does not have are refused by the key
    /// table before this runs.
    pub fn new(cfg: &BrokerConfig) -> Metrics {
        let registry = match cfg.metrics_exporter_type {
            MetricsExporterType::Disable => None,
            _ => Some(Box::new(Registry::new(cfg))),
        };
        Metrics {
            registry,
            bound: OnceLock::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.registry.is_some()
    }

    /// The Prometheus listener's address once bound.
    pub fn prom_addr(&self) -> Option<SocketAddr> {
        self.bound.get().copied()
    }

    /// Runs `handle` on `req` and records its latency, response code and whether it was held
    /// as a long poll ([`note_long_polling`]); topic and group creations also get their
    /// execution-time histograms.
    pub async fn observe<F, Fut>(&self, req: Command, handle: F) -> Command
    where
        F: FnOnce(Command) -> Fut,
        Fut: Future<Output = Command>,
    {
        if !self.enabled() {
            return handle(req).await;
        }
        let (code, oneway) = (req.code, req.is_oneway());
        let created_topic = (code == remoting::code::request::UPDATE_AND_CREATE_TOPIC)
            .then(|| req.ext_fields.get("topic").unwrap_or_default().to_string());
        // From the read that brought the frame, as Java's from its decoding.
        let start = req.received.unwrap_or_else(Instant::now);
        // Only these can be held; every other request skips the task-local's scope.
        let (resp, long_polling) = if may_long_poll(code) {
            LONG_POLLING
                .scope(Cell::new(false), async {
                    let resp = handle(req).await;
                    (resp, LONG_POLLING.with(Cell::get))
                })
                .await
        } else {
            (handle(req).await, false)
        };
        let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.on_rpc(code, resp.code, oneway, long_polling, ms);
        self.on_create(code, created_topic.as_deref(), resp.code, ms);
        resp
    }

    /// Java's `topicCreateExecuteTime` and `consumerGroupCreateExecuteTime`.
    fn on_create(&self, code: i32, topic: Option<&str>, response: i32, ms: u64) {
        use remoting::code::request as rq;
        let Some(r) = &self.registry else { return };
        let ok = response == remoting::code::response::SUCCESS;
        let status = if ok { "success" } else { "failure" };
        match code {
            rq::UPDATE_AND_CREATE_TOPIC | rq::UPDATE_AND_CREATE_TOPIC_LIST => {
                let system =
                    topic.is_some_and(|t| crate::topics::is_system_topic(t, &r.start_config));
                r.topic_create.with([status, bool_label(system)], |h| {
                    h.record(&CREATE_TIME_BOUNDS, ms)
                });
            }
            rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
            | rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST => {
                r.group_create
                    .with([status], |h| h.record(&CREATE_TIME_BOUNDS, ms));
            }
            _ => {}
        }
    }

    /// One answered request (Java `NettyRemotingAbstract.writeResponse`): its time from arrival
    /// to answer, `long_polling` when a pull or pop was suspended.
    pub fn on_rpc(&self, code: i32, response: i32, oneway: bool, long_polling: bool, ms: u64) {
        let Some(r) = &self.registry else { return };
        let result = if oneway {
            RpcResult::Oneway
        } else {
            RpcResult::Success
        };
        let key = (code, response, long_polling, result);
        let direct = (response == remoting::code::response::SUCCESS
            && !long_polling
            && result == RpcResult::Success)
            .then(|| usize::try_from(code).ok().and_then(|c| r.rpc_direct.get(c)))
            .flatten();
        match direct {
            Some(slot) => slot
                .get_or_init(|| r.rpc.handle_key(&key, |k| *k))
                .record(&RPC_LATENCY_BOUNDS, ms),
            None => r
                .rpc
                .with_key(&key, |k| *k, |h| h.record(&RPC_LATENCY_BOUNDS, ms)),
        }
    }

    /// A stored send (Java `SendMessageProcessor.handlePutMessageResult`): `topic` as stored
    /// (the schedule or half topic when rewritten), the type from the request's topic and
    /// properties. Retry and DLQ topics are not counted. A half message counts for its topic's
    /// `rocketmq_half_messages` (Java `TransactionMetrics`).
    pub fn on_send(&self, topic: &str, request: SendRequest<'_>, msgs: u64, bytes: u64) {
        let Some(r) = &self.registry else { return };
        if topic == crate::topics::TRANS_HALF_TOPIC {
            r.half_messages
                .with([request.topic], |n| n.0.fetch_add(msgs as i64, Relaxed));
        }
        if is_retry_or_dlq(topic) || msgs == 0 {
            return;
        }
        let kind = names::message_type(request.properties.unwrap_or(""));
        r.record_in(topic, kind, msgs, bytes);
    }

    /// A half message of `topic` discarded after too many checks.
    pub fn on_half_discarded(&self, topic: &str) {
        let Some(r) = &self.registry else { return };
        r.half_messages.with([topic], |n| n.0.fetch_sub(1, Relaxed));
    }

    /// A delayed message delivered to its topic (Java `ScheduleMessageService`): out of the
    /// schedule topic for `SCHEDULE_CONSUMER`, into `topic` as a delay message.
    pub fn on_schedule_delivery(&self, topic: &str, put: &store::PutResult) {
        let msgs = put.records.len() as u64;
        let bytes: u64 = put
            .records
            .iter()
            .map(|p| u64::from(p.size.unsigned_abs()))
            .sum();
        let Some(r) = self.registry.as_ref().filter(|r| r.schedule_stats) else {
            return;
        };
        r.record_out(
            crate::topics::SCHEDULE_TOPIC,
            "SCHEDULE_CONSUMER",
            "",
            msgs,
            bytes,
        );
        r.record_in(topic, "delay", msgs, bytes);
    }

    /// A pull's answer (Java `PullMessageProcessor`): the pull offset it moves the consumer to,
    /// and the messages found (not counted for retry and DLQ topics).
    pub fn on_pull(&self, group: &str, topic: &str, queue_id: i32, next: i64, found: (u64, u64)) {
        let Some(r) = &self.registry else { return };
        let mut qid = itoa_buf();
        let q = fmt_i32(&mut qid, queue_id);
        r.pull_offsets
            .with([topic, group, q], |p| p.0.store(next, Relaxed));
        if found.0 > 0 && !is_retry_or_dlq(topic) {
            r.record_out(topic, group, "", found.0, found.1);
        }
    }

    /// Messages the broker read for itself as `group` (Java `TransactionalMessageBridge`: the
    /// transaction check's reads; `PopReviveService`: the revive topic's).
    pub fn on_broker_read(&self, group: &str, topic: &str, msgs: u64, bytes: u64) {
        let Some(r) = &self.registry else { return };
        if msgs > 0 {
            r.record_out(topic, group, "", msgs, bytes);
        }
    }

    /// A POP check-point (`ck`) or ack record of `owner` (group, topic) put to the revive topic
    /// (Java `PopMetricsManager.incPopRevive*PutCount`).
    pub fn on_revive_put(&self, owner: (&str, &str), ck: bool, ok: bool) {
        let Some(r) = &self.registry else { return };
        let (group, topic) = owner;
        let kind = if ck { "CK" } else { "ACK" };
        r.revive_in
            .with([group, topic, kind, put_status(ok)], |c| c.add(1));
    }

    /// A check-point or ack of `owner` read from revive queue `qid`.
    pub fn on_revive_get(&self, owner: (&str, &str), ck: bool, qid: i32) {
        let Some(r) = &self.registry else { return };
        let (group, topic) = owner;
        let kind = if ck { "CK" } else { "ACK" };
        let mut buf = itoa_buf();
        let q = fmt_i32(&mut buf, qid);
        r.revive_out.with([group, topic, q, kind], |c| c.add(1));
    }

    /// A message of `owner` the revive task put back to the POP retry topic.
    pub fn on_revive_retry(&self, owner: (&str, &str), ok: bool) {
        let Some(r) = &self.registry else { return };
        let (group, topic) = owner;
        r.revive_retry
            .with([group, topic, put_status(ok)], |c| c.add(1));
    }

    /// Messages a POP found reading queue `qid` of `read_topic` (Java `PopMessageProcessor`):
    /// counted under the topic popped, `is_retry` when read from its POP retry topic, and in
    /// flight until acked or revived (Java `PopInflightMessageCounter`).
    pub fn on_pop(&self, group: &str, (read_topic, qid): (&str, i32), msgs: u64, bytes: u64) {
        let Some(r) = &self.registry else { return };
        if msgs == 0 {
            return;
        }
        let mut buf = itoa_buf();
        let q = fmt_i32(&mut buf, qid);
        r.pop_inflight.with([read_topic, group, q], |n| {
            n.0.fetch_add(msgs as i64, Relaxed)
        });
        let retry = read_topic.starts_with(crate::topics::RETRY_PREFIX);
        let topic = crate::pop::records::normal_topic(read_topic, group);
        r.record_out(topic, group, bool_label(retry), msgs, bytes);
    }

    /// `n` messages of queue `qid` popped at `pop_time` acked, their invisible time changed, or
    /// revived: no longer in flight (popped before this start: never counted, as in Java).
    pub fn on_pop_done(&self, group: &str, (topic, qid): (&str, i32), pop_time: i64, n: u64) {
        let Some(r) = &self.registry else { return };
        if pop_time < r.started_ms {
            return;
        }
        let mut buf = itoa_buf();
        let q = fmt_i32(&mut buf, qid);
        r.pop_inflight.find([topic, group, q], |c| {
            let _ =
                c.0.fetch_update(Relaxed, Relaxed, |v| Some((v - n as i64).max(0)));
        });
    }

    /// The messages of a queue popped and not yet acked.
    fn pop_inflight(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        let Some(r) = &self.registry else { return 0 };
        let mut buf = itoa_buf();
        let q = fmt_i32(&mut buf, queue_id);
        r.pop_inflight
            .find([topic, group, q], |c| c.0.load(Relaxed))
            .unwrap_or(0)
    }

    /// A timer message of `topic` indexed, due `delay_ms` after it was born (Java
    /// `incTimerEnqueueCount`, `timerMessageSetLatency` in seconds).
    pub fn on_timer_enqueue(&self, topic: &str, delay_ms: i64) {
        let Some(r) = &self.registry else { return };
        r.timer_enqueued.with([topic], |c| c.add(1));
        let secs = u64::try_from(delay_ms / 1000).unwrap_or(0);
        r.delay_latency
            .with([topic], |h| h.record(&DELAY_LATENCY_BOUNDS, secs));
    }

    /// A timer message delivered to `topic` (Java `incTimerDequeueCount`).
    pub fn on_timer_dequeue(&self, topic: &str) {
        let Some(r) = &self.registry else { return };
        r.timer_dequeued.with([topic], |c| c.add(1));
    }

    /// A message sent back to the DLQ (Java `sendToDlqMessages`): the group, the original topic.
    pub fn on_send_to_dlq(&self, group: &str, topic: &str) {
        let Some(r) = &self.registry else { return };
        r.send_to_dlq.with([group, topic], |c| c.add(1));
    }

    /// An END_TRANSACTION that committed or rolled back a half message of `topic` born at
    /// `born_ms` (Java records the commit's latency in seconds).
    pub fn on_end_transaction(&self, topic: &str, commit: bool, born_ms: i64) {
        let Some(r) = &self.registry else { return };
        let latency_s = u64::try_from((crate::persist::now_millis() - born_ms) / 1000).unwrap_or(0);
        r.half_messages.with([topic], |n| n.0.fetch_sub(1, Relaxed));
        if commit {
            r.commits.with([topic], |c| c.add(1));
            r.finish_latency
                .with([topic], |h| h.record(&FINISH_LATENCY_BOUNDS, latency_s));
        } else {
            r.rollbacks.with([topic], |c| c.add(1));
        }
    }

    /// The pull offset recorded for a queue (Java `queryPullOffset` without the fallback).
    fn pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let r = self.registry.as_ref()?;
        let mut qid = itoa_buf();
        let q = fmt_i32(&mut qid, queue_id);
        r.pull_offsets
            .find([topic, group, q], |p| p.0.load(Relaxed))
            .filter(|o| *o >= 0)
    }
}

impl Registry {
    fn new(cfg: &BrokerConfig) -> Registry {
        let limit = usize::try_from(cfg.metrics_otel_cardinality_limit)
            .unwrap_or(1)
            .max(1);
        Registry {
            common: common_labels(cfg),
            id: NEXT_REGISTRY.fetch_add(1, Relaxed),
            rpc: Series::new(limit),
            rpc_direct: (0..RPC_DIRECT).map(|_| OnceLock::new()).collect(),
            messages_in: Series::new(limit),
            messages_out: Series::new(limit),
            send_to_dlq: Series::new(limit),
            commits: Series::new(limit),
            rollbacks: Series::new(limit),
            finish_latency: Series::new(limit),
            topic_create: Series::new(limit),
            group_create: Series::new(limit),
            // Not a metric: one entry per queue pulled.
            pull_offsets: Series::new(usize::MAX),
            half_messages: Series::new(limit),
            pop_inflight: Series::new(usize::MAX),
            started_ms: crate::persist::now_millis(),
            revive_in: Series::new(limit),
            revive_out: Series::new(limit),
            revive_retry: Series::new(limit),
            timer_enqueued: Series::new(limit),
            timer_dequeued: Series::new(limit),
            delay_latency: Series::new(limit),
            schedule_stats: cfg.enable_schedule_message_stats,
            start_config: cfg.clone(),
        }
    }

    fn record_in(&self, topic: &str, kind: &'static str, msgs: u64, bytes: u64) {
        LAST_IN.with_borrow_mut(|last| {
            let same = last
                .as_ref()
                .is_some_and(|l| l.registry == self.id && l.kind == kind && l.topic == topic);
            if !same {
                let flow = self.messages_in.handle([topic, kind]);
                match last {
                    Some(l) => {
                        l.topic.clear();
                        l.topic.push_str(topic);
                        (l.registry, l.kind, l.flow) = (self.id, kind, flow);
                    }
                    None => {
                        *last = Some(LastIn {
                            registry: self.id,
                            topic: topic.to_owned(),
                            kind,
                            flow,
                        })
                    }
                }
            }
            if let Some(l) = last {
                l.flow.messages.add(msgs);
                l.flow.bytes.add(bytes);
                l.flow
                    .sizes
                    .record(&MESSAGE_SIZE_BOUNDS, bytes / msgs.max(1));
            }
        });
    }

    fn record_out(&self, topic: &str, group: &str, retry: &str, msgs: u64, bytes: u64) {
        self.messages_out.with([topic, group, retry], |f| {
            f.messages.add(msgs);
            f.bytes.add(bytes);
        });
    }
}

/// Java `BrokerMetricsManager.init`'s `LABEL_MAP`. A `metricsLabel` item that is not exactly
/// `key:value` is skipped, as Java skips it with a warning.
fn common_labels(cfg: &BrokerConfig) -> Vec<(String, String)> {
    let mut map: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: &str| {
        map.retain(|(key, _)| key != k);
        map.push((k.to_string(), v.to_string()));
    };
    for item in cfg.metrics_label.split(',').filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = item.split(':').collect();
        match parts.as_slice() {
            [k, v] if !k.is_empty() || !v.is_empty() => put(k, v),
            _ => tracing::warn!("metricsLabel is not valid: {}", cfg.metrics_label),
        }
    }
    if cfg.metrics_in_delta {
        put("aggregation", "delta");
    }
    put("node_type", "broker");
    put("cluster", &cfg.broker_cluster_name);
    put("node_id", &cfg.broker_name);
    map
}

fn is_retry_or_dlq(topic: &str) -> bool {
    topic.starts_with(crate::topics::RETRY_PREFIX) || topic.starts_with(crate::topics::DLQ_PREFIX)
}

/// Java `PutMessageStatus.name()`: PUT_OK, or (Thrust's store errors not being told apart here)
/// UNKNOWN_ERROR.
fn put_status(ok: bool) -> &'static str {
    if ok {
        "PUT_OK"
    } else {
        "UNKNOWN_ERROR"
    }
}

fn bool_label(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn itoa_buf() -> [u8; 12] {
    [0; 12]
}

/// `v` in decimal into `buf`, without allocating.
fn fmt_i32(buf: &mut [u8; 12], v: i32) -> &str {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cursor, "{v}");
    let n = cursor.position() as usize;
    std::str::from_utf8(&buf[..n]).unwrap_or("0")
}

/// Starts the exporter `metricsExporterType` names: PROM binds its listener.
pub async fn start(b: &Arc<Broker>) -> Result<(), StartError> {
    let cfg = b.config();
    if cfg.metrics_exporter_type != MetricsExporterType::Prom {
        return Ok(());
    }
    // Java: a blank metricsPromExporterHost means brokerIP1.
    let host = if cfg.metrics_prom_exporter_host.trim().is_empty() {
        cfg.broker_ip1.clone()
    } else {
        cfg.metrics_prom_exporter_host.clone()
    };
    let addr = format!("{host}:{}", cfg.metrics_prom_exporter_port);
    let listener = tokio::net::TcpListener::bind(addr.as_str())
        .await
        .map_err(|source| StartError::Bind {
            addr: addr.clone(),
            source,
        })?;
    if let Ok(a) = listener.local_addr() {
        let _ = b.metrics.bound.set(a);
        tracing::info!("metrics served at http://{a}/metrics");
    }
    tokio::spawn(http::serve(b.clone(), listener));
    Ok(())
}

/// The exposition, as one scrape answers (`names`: only those metrics; empty: all).
pub fn scrape(b: &Broker, format: text::Format, names: &[String]) -> String {
    let families = collect::families(b);
    text::write(&families, format, crate::persist::now_millis(), names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prom() -> Metrics {
        Metrics::new(&BrokerConfig {
            metrics_exporter_type: MetricsExporterType::Prom,
            ..BrokerConfig::default()
        })
    }

    fn messages_in(m: &Metrics) -> Vec<(String, u64, u64)> {
        let mut seen = Vec::new();
        if let Some(r) = &m.registry {
            r.messages_in.each(
                |k, f| {
                    let k = k.map(|k| k.0.join("/")).unwrap_or_default();
                    seen.push((k, f.messages.get(), f.bytes.get()));
                },
                |f| f.messages.get() > 0,
            );
        }
        seen
    }

    /// A thread's remembered series is one registry's: two brokers in one process, topics
    /// alternating, each count lands where it belongs.
    #[test]
    fn sends_count_under_their_own_registry_and_topic() {
        let (a, b) = (prom(), prom());
        let send = |m: &Metrics, topic: &str, props: &str| {
            let request = SendRequest {
                topic,
                properties: Some(props),
            };
            m.on_send(topic, request, 1, 100);
        };
        for _ in 0..3 {
            send(&a, "T1", "");
            send(&b, "T1", "");
            send(&a, "T2", "");
            send(&a, "T2", "DELAY\u{1}3");
        }
        assert_eq!(
            messages_in(&a),
            vec![
                ("T1/normal".to_string(), 3, 300),
                ("T2/normal".to_string(), 3, 300),
                ("T2/delay".to_string(), 3, 300)
            ]
        );
        assert_eq!(messages_in(&b), vec![("T1/normal".to_string(), 3, 300)]);
    }

    /// Successful answers take the direct slot, the rest the table; both end in one series per
    /// label set.
    #[test]
    fn rpc_latency_series_are_one_per_label_set() {
        let m = prom();
        for ms in [0, 2, 50] {
            m.on_rpc(310, 0, false, false, ms);
            m.on_rpc(310, 1, false, false, ms);
            m.on_rpc(11, 0, false, true, ms);
            m.on_rpc(2001, 0, false, false, ms);
        }
        let mut seen = Vec::new();
        if let Some(r) = &m.registry {
            r.rpc
                .each(|k, h| seen.push((k.copied(), h.count())), |h| h.count() > 0);
        }
        assert_eq!(
            seen,
            vec![
                (Some((310, 0, false, RpcResult::Success)), 3),
                (Some((310, 1, false, RpcResult::Success)), 3),
                (Some((11, 0, true, RpcResult::Success)), 3),
                (Some((2001, 0, false, RpcResult::Success)), 3)
            ]
        );
    }
}
