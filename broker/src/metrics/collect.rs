//! One scrape: every family Java's broker exports, from the recorded series and from the
//! broker's tables as they are now (Java's gauge callbacks).

use std::collections::BTreeMap;

use super::registry::{Counter, Histogram, SeriesKey};
use super::text::{Family, Value};
use super::{names, Flow, Registry, RpcKey};
use super::{
    CREATE_TIME_BOUNDS, DELAY_LATENCY_BOUNDS, FINISH_LATENCY_BOUNDS, MESSAGE_SIZE_BOUNDS,
    RPC_LATENCY_BOUNDS, TIMER_DIST_SECONDS,
};
use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::persist::now_millis;
use crate::topics::is_system_topic;

/// `rocketmq_pop_buffer_scan_time_consume`'s buckets, ms (Java `PopMetricsManager`).
const POP_SCAN_BOUNDS: [u64; 6] = [1, 10, 100, 1000, 2000, 3000];

/// Java's request processors with a queue (`rocketmq_processor_watermark`'s `processor`).
const PROCESSORS: [&str; 12] = [
    "send",
    "async_put",
    "pull",
    "ack",
    "query_message",
    "client_manager",
    "heartbeat",
    "lite_pull",
    "transaction",
    "consumer_manager",
    "admin",
    "reply",
];

/// Builds a sample's attributes: the common labels, then `extra` (a later key replaces an
/// earlier one, as Java's attribute builder does).
struct Labels<'a> {
    common: &'a [(String, String)],
}

impl Labels<'_> {
    fn of(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self.common.to_vec();
        for (k, val) in extra {
            v.retain(|(key, _)| key != k);
            v.push((k.to_string(), val.to_string()));
        }
        v
    }
}

fn b(v: bool) -> &'static str {
    super::bool_label(v)
}

fn hist<const B: usize>(bounds: &'static [u64], h: &Histogram<B>) -> Value {
    let (counts, sum) = h.snapshot();
    Value::Histogram {
        bounds,
        counts,
        sum,
    }
}

pub fn families(br: &Broker) -> Vec<Family> {
    let Some(r) = br.metrics.registry.as_deref() else {
        return Vec::new();
    };
    let cfg = br.config();
    let l = Labels { common: &r.common };
    let mut out = Vec::new();
    stats(br, &cfg, &l, &mut out);
    requests(r, &cfg, &l, &mut out);
    connections(br, &l, &mut out);
    lag(br, &cfg, &l, &mut out);
    transactions(r, &l, &mut out);
    rpc(r, &l, &mut out);
    storage(br, &l, &mut out);
    if cfg.timer_wheel_enable {
        timer(br, r, &cfg, &l, &mut out);
    }
    pop(br, &cfg, &l, &mut out);
    revive(r, &l, &mut out);
    out
}

/// `PopMetricsManager`'s revive counters.
fn revive(r: &Registry, l: &Labels, out: &mut Vec<Family>) {
    let mut put = Family::counter("rocketmq_pop_revive_in_message_total");
    r.revive_in.each(
        |k, c| {
            let labels = match k {
                Some(SeriesKey([group, topic, kind, status])) => l.of(&[
                    ("consumer_group", group),
                    ("topic", topic),
                    ("revive_message_type", kind),
                    ("put_status", status),
                ]),
                None => overflow(l),
            };
            put.push(labels, Value::Int(c.get() as i64));
        },
        |c| c.get() > 0,
    );
    let mut get = Family::counter("rocketmq_pop_revive_out_message_total");
    r.revive_out.each(
        |k, c| {
            let labels = match k {
                Some(SeriesKey([group, topic, qid, kind])) => l.of(&[
                    ("consumer_group", group),
                    ("topic", topic),
                    ("queue_id", qid),
                    ("revive_message_type", kind),
                ]),
                None => overflow(l),
            };
            get.push(labels, Value::Int(c.get() as i64));
        },
        |c| c.get() > 0,
    );
    let mut retry = Family::counter("rocketmq_pop_revive_retry_messages_total");
    r.revive_retry.each(
        |k, c| {
            let labels = match k {
                Some(SeriesKey([group, topic, status])) => l.of(&[
                    ("consumer_group", group),
                    ("topic", topic),
                    ("put_status", status),
                ]),
                None => overflow(l),
            };
            retry.push(labels, Value::Int(c.get() as i64));
        },
        |c| c.get() > 0,
    );
    out.extend([put, get, retry]);
}

fn stats(br: &Broker, cfg: &BrokerConfig, l: &Labels, out: &mut Vec<Family>) {
    // Thrust runs each request as a task of its own: no request waits in a processor queue.
    let mut f = Family::gauge("rocketmq_processor_watermark", None);
    for p in PROCESSORS {
        f.push(l.of(&[("processor", p)]), Value::Int(0));
    }
    out.push(f);
    let mut f = Family::gauge("rocketmq_broker_permission", None);
    f.push(l.of(&[]), Value::Int(i64::from(cfg.broker_permission)));
    out.push(f);
    let mut f = Family::gauge("rocketmq_topic_number", None);
    f.push(l.of(&[]), Value::Int(br.topics.names().len() as i64));
    out.push(f);
    let mut f = Family::gauge("rocketmq_consumer_group_number", None);
    f.push(l.of(&[]), Value::Int(br.groups.names().len() as i64));
    out.push(f);
}

fn requests(r: &Registry, cfg: &BrokerConfig, l: &Labels, out: &mut Vec<Family>) {
    let mut msgs = Family::counter("rocketmq_messages_in_total");
    let mut bytes = Family::counter("rocketmq_throughput_in_total");
    let mut size = Family::histogram("rocketmq_message_size", None, "Incoming messages size");
    r.messages_in.each(
        |k, f: &Flow| {
            let labels = match k {
                Some(SeriesKey([topic, kind])) => l.of(&[
                    ("topic", topic),
                    ("message_type", kind),
                    ("is_system", b(is_system_topic(topic, cfg))),
                ]),
                None => overflow(l),
            };
            msgs.push(labels.clone(), Value::Int(f.messages.get() as i64));
            bytes.push(labels.clone(), Value::Int(f.bytes.get() as i64));
            size.push(labels, hist(&MESSAGE_SIZE_BOUNDS, &f.sizes));
        },
        |f| f.messages.get() > 0,
    );
    let mut out_msgs = Family::counter("rocketmq_messages_out_total");
    let mut out_bytes = Family::counter("rocketmq_throughput_out_total");
    r.messages_out.each(
        |k, f: &Flow| {
            let labels = match k {
                Some(SeriesKey([topic, group, retry])) => {
                    let system = is_system_topic(topic, cfg) || names::is_sys_consumer_group(group);
                    let mut extra = vec![
                        ("topic", &**topic),
                        ("consumer_group", &**group),
                        ("is_system", b(system)),
                    ];
                    if !retry.is_empty() {
                        extra.push(("is_retry", retry));
                    }
                    l.of(&extra)
                }
                None => overflow(l),
            };
            out_msgs.push(labels.clone(), Value::Int(f.messages.get() as i64));
            out_bytes.push(labels, Value::Int(f.bytes.get() as i64));
        },
        |f| f.messages.get() > 0,
    );
    let mut dlq = Family::counter("rocketmq_send_to_dlq_messages_total");
    r.send_to_dlq.each(
        |k, c: &Counter| {
            let labels = match k {
                Some(SeriesKey([group, topic])) => {
                    let system = is_system_topic(topic, cfg) || names::is_system_group(group);
                    l.of(&[
                        ("consumer_group", group),
                        ("topic", topic),
                        ("is_system", b(system)),
                    ])
                }
                None => overflow(l),
            };
            dlq.push(labels, Value::Int(c.get() as i64));
        },
        |c| c.get() > 0,
    );
    let mut topic_create = Family::histogram(
        "rocketmq_topic_create_execution_time",
        Some("milliseconds"),
        "The distribution of create topic time",
    );
    r.topic_create.each(
        |k, h: &Histogram<6>| {
            let labels = match k {
                Some(SeriesKey([status, system])) => {
                    l.of(&[("invocation_status", status), ("is_system", system)])
                }
                None => overflow(l),
            };
            topic_create.push(labels, hist(&CREATE_TIME_BOUNDS, h));
        },
        |h| h.count() > 0,
    );
    let mut group_create = Family::histogram(
        "rocketmq_consumer_group_create_execution_time",
        Some("milliseconds"),
        "The distribution of create subscription time",
    );
    r.group_create.each(
        |k, h: &Histogram<6>| {
            let labels = match k {
                Some(SeriesKey([status])) => l.of(&[("invocation_status", status)]),
                None => overflow(l),
            };
            group_create.push(labels, hist(&CREATE_TIME_BOUNDS, h));
        },
        |h| h.count() > 0,
    );
    out.extend([
        msgs,
        bytes,
        size,
        out_msgs,
        out_bytes,
        dlq,
        topic_create,
        group_create,
    ]);
}

/// OTel's overflow series: the common labels and `otel_metric_overflow="true"`.
fn overflow(l: &Labels) -> Vec<(String, String)> {
    l.of(&[("otel_metric_overflow", "true")])
}

fn connections(br: &Broker, l: &Labels, out: &mut Vec<Family>) {
    let mut producers: BTreeMap<(String, String), i64> = BTreeMap::new();
    for chans in br.clients.producer_groups().values() {
        for c in chans {
            let key = (
                c.language.name().unwrap_or("null").to_ascii_lowercase(),
                remoting::command::version_desc(c.version).to_ascii_lowercase(),
            );
            *producers.entry(key).or_default() += 1;
        }
    }
    let mut f = Family::gauge("rocketmq_producer_connections", None);
    for ((language, version), n) in producers {
        f.push(
            l.of(&[
                ("language", &language),
                ("version", &version),
                ("protocol_type", "remoting"),
            ]),
            Value::Int(n),
        );
    }
    out.push(f);
    let mut consumers: BTreeMap<(String, String, String, &str), i64> = BTreeMap::new();
    for group in br.clients.consumer_groups() {
        let Some(info) = br.clients.consumer_group(&group) else {
            continue;
        };
        let mode = match info.consume_type {
            Some(remoting::body::heartbeat::ConsumeType::Actively) => "pull",
            Some(remoting::body::heartbeat::ConsumeType::Pop) => "pop",
            _ => "push",
        };
        for c in info.channels.values() {
            let key = (
                group.clone(),
                c.language.name().unwrap_or("null").to_ascii_lowercase(),
                remoting::command::version_desc(c.version).to_ascii_lowercase(),
                mode,
            );
            *consumers.entry(key).or_default() += 1;
        }
    }
    let mut f = Family::gauge("rocketmq_consumer_connections", None);
    for ((group, language, version, mode), n) in consumers {
        f.push(
            l.of(&[
                ("consumer_group", &group),
                ("language", &language),
                ("version", &version),
                ("consume_mode", mode),
                ("protocol_type", "remoting"),
                ("is_system", b(names::is_system_group(&group))),
            ]),
            Value::Int(n),
        );
    }
    out.push(f);
}

fn lag(br: &Broker, cfg: &BrokerConfig, l: &Labels, out: &mut Vec<Family>) {
    let now = now_millis();
    let mut lag = Family::gauge("rocketmq_consumer_lag_messages", None);
    let mut lag_latency = Family::gauge("rocketmq_consumer_lag_latency", Some("milliseconds"));
    let mut inflight = Family::gauge("rocketmq_consumer_inflight_messages", None);
    let mut queueing = Family::gauge("rocketmq_consumer_queueing_latency", Some("milliseconds"));
    let mut ready = Family::gauge("rocketmq_consumer_ready_messages", None);
    for row in super::lag::rows(br) {
        let system = is_system_topic(&row.topic, cfg) || names::is_system_group(&row.group);
        let labels = l.of(&[
            ("consumer_group", &row.group),
            ("topic", &row.topic),
            ("is_retry", b(row.is_retry)),
            ("is_system", b(system)),
        ]);
        lag.push(labels.clone(), Value::Int(row.lag));
        lag_latency.push(labels.clone(), Value::Int(row.lag_latency(now)));
        inflight.push(labels.clone(), Value::Int(row.inflight));
        queueing.push(labels.clone(), Value::Int(row.queueing_latency(now)));
        ready.push(labels, Value::Int(row.ready));
    }
    out.extend([lag, lag_latency, inflight, queueing, ready]);
}

fn transactions(r: &Registry, l: &Labels, out: &mut Vec<Family>) {
    let topic_labels = |k: Option<&SeriesKey<1>>| match k {
        Some(SeriesKey([topic])) => l.of(&[("topic", topic)]),
        None => overflow(l),
    };
    let mut commits = Family::counter("rocketmq_commit_messages_total");
    r.commits.each(
        |k, c| commits.push(topic_labels(k), Value::Int(c.get() as i64)),
        |c| c.get() > 0,
    );
    let mut rollbacks = Family::counter("rocketmq_rollback_messages_total");
    r.rollbacks.each(
        |k, c| rollbacks.push(topic_labels(k), Value::Int(c.get() as i64)),
        |c| c.get() > 0,
    );
    let mut latency = Family::histogram(
        "rocketmq_finish_message_latency",
        Some("milliseconds"),
        "Transaction finish latency",
    );
    r.finish_latency.each(
        |k, h| latency.push(topic_labels(k), hist(&FINISH_LATENCY_BOUNDS, h)),
        |h| h.count() > 0,
    );
    let mut half = Family::gauge("rocketmq_half_messages", None);
    r.half_messages.each(
        |k, n| {
            half.push(
                topic_labels(k),
                Value::Int(n.0.load(std::sync::atomic::Ordering::Relaxed)),
            )
        },
        |_| false,
    );
    out.extend([commits, rollbacks, latency, half]);
}

fn rpc(r: &Registry, l: &Labels, out: &mut Vec<Family>) {
    let mut f = Family::histogram("rocketmq_rpc_latency", Some("milliseconds"), "Rpc latency");
    r.rpc.each(
        |k: Option<&RpcKey>, h| {
            let labels = match k {
                Some((code, resp, long_polling, result)) => l.of(&[
                    ("protocol_type", "remoting"),
                    ("request_code", &names::request_code(*code)),
                    ("response_code", &names::response_code(*resp)),
                    ("is_long_polling", b(*long_polling)),
                    ("result", result.label()),
                ]),
                None => overflow(l),
            };
            f.push(labels, hist(&RPC_LATENCY_BOUNDS, h));
        },
        |h| h.count() > 0,
    );
    out.push(f);
}

/// The store's labels (Java `DefaultStoreMetricsManager.newAttributesBuilder`) and `extra`.
fn disk(l: &Labels, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![("storage_medium", "disk"), ("storage_type", "local")];
    v.extend_from_slice(extra);
    l.of(&v)
}

/// `DefaultStoreMetricsManager`'s store gauges, labelled with the local disk.
fn storage(br: &Broker, l: &Labels, out: &mut Vec<Family>) {
    let disk = |extra: &[(&str, &str)]| disk(l, extra);
    let mut size = Family::gauge("rocketmq_storage_size", Some("bytes"));
    if let Some(space) = br.store.disk_space().filter(|s| s.total > 0) {
        size.push(
            disk(&[]),
            Value::Int(space.total.saturating_sub(space.free) as i64),
        );
    }
    let mut flush = Family::gauge("rocketmq_storage_flush_behind_bytes", Some("bytes"));
    flush.push(disk(&[]), Value::Int(br.store.flush_behind_bytes() as i64));
    // Java `ReputMessageService.behind`: appended but not yet in the consume queues.
    let mut dispatch = Family::gauge("rocketmq_storage_dispatch_behind_bytes", Some("bytes"));
    let behind = br.store.commitlog_offsets().1 - br.store.dispatched_end();
    dispatch.push(disk(&[]), Value::Int(behind.max(0)));
    let mut reserve = Family::gauge(
        "rocketmq_storage_message_reserve_time",
        Some("milliseconds"),
    );
    let earliest = br.store.earliest_commitlog_time();
    if earliest > 0 {
        reserve.push(disk(&[]), Value::Int(now_millis() - earliest));
    }
    out.extend([size, flush, dispatch, reserve]);
}

/// `DefaultStoreMetricsManager`'s timer metrics (with `timerWheelEnable`). Java reports the
/// dequeue latency in seconds under its milliseconds unit; so does Thrust.
fn timer(br: &Broker, r: &Registry, cfg: &BrokerConfig, l: &Labels, out: &mut Vec<Family>) {
    let now = now_millis();
    let v = br.timers.view(br, now);
    let gauge = |name, unit, value| {
        let mut f = Family::gauge(name, unit);
        f.push(disk(l, &[]), Value::Int(value));
        f
    };
    out.push(gauge("rocketmq_timer_enqueue_lag", None, v.enqueue_behind));
    let enqueue_ms = v.first_unindexed_store_ms.map_or(0, |t| (now - t).max(0));
    out.push(gauge(
        "rocketmq_timer_enqueue_latency",
        Some("milliseconds"),
        enqueue_ms,
    ));
    // Java `TimerWheel.getAllNum(currReadTimeMs)`: every timer from the read slot on, due or not.
    let pending = v.pending_at.len() as i64;
    out.push(gauge("rocketmq_timer_dequeue_lag", None, pending));
    let dequeue_s = v.oldest_due_ms.map_or(0, |at| (now - at).max(0) / 1000);
    out.push(gauge(
        "rocketmq_timer_dequeue_latency",
        Some("milliseconds"),
        dequeue_s,
    ));
    let mut timing = Family::gauge("rocketmq_timing_messages", None);
    for (topic, n) in &v.counts {
        timing.push(disk(l, &[("topic", topic)]), Value::Int(*n));
    }
    out.push(timing);
    // Java `TimerMetrics.getTimerDistList`: the timers due in each band of seconds from now.
    let precision = i64::from(cfg.timer_precision_ms.max(1));
    let base = now / precision * precision;
    let mut snapshot = Family::gauge("rocketmq_timer_message_snapshot", None);
    let mut lower = 0;
    for bound in TIMER_DIST_SECONDS {
        let (from, to) = (base + lower * 1000, base + bound * 1000);
        let n = v
            .pending_at
            .iter()
            .filter(|at| (from..to).contains(*at))
            .count();
        let bound_label = bound.to_string();
        snapshot.push(
            disk(l, &[("timer_bound_s", &bound_label)]),
            Value::Int(n as i64),
        );
        lower = bound;
    }
    out.push(snapshot);
    let topic_labels = |k: Option<&SeriesKey<1>>| match k {
        Some(SeriesKey([topic])) => disk(l, &[("topic", topic)]),
        None => disk(l, &[("otel_metric_overflow", "true")]),
    };
    for (name, series) in [
        ("rocketmq_timer_enqueue_total", &r.timer_enqueued),
        ("rocketmq_timer_dequeue_total", &r.timer_dequeued),
    ] {
        let mut f = Family::counter(name);
        series.each(
            |k, c| f.push(topic_labels(k), Value::Int(c.get() as i64)),
            |c| c.get() > 0,
        );
        out.push(f);
    }
    let mut latency = Family::histogram(
        "rocketmq_delay_message_latency",
        Some("seconds"),
        "Timer message set latency distribution",
    );
    r.delay_latency.each(
        |k, h| latency.push(topic_labels(k), hist(&DELAY_LATENCY_BOUNDS, h)),
        |h| h.count() > 0,
    );
    out.push(latency);
}

/// `PopMetricsManager`'s gauges. Thrust writes check-points and acks at once (Java's
/// `enablePopBufferMerge=false`, which Thrust requires): its buffers are always empty.
fn pop(br: &Broker, cfg: &BrokerConfig, l: &Labels, out: &mut Vec<Family>) {
    for name in [
        "rocketmq_pop_offset_buffer_size",
        "rocketmq_pop_checkpoint_buffer_size",
    ] {
        let mut f = Family::gauge(name, None);
        f.push(l.of(&[]), Value::Int(0));
        out.push(f);
    }
    // Java's buffer service scans its (empty) buffers every few milliseconds; Thrust has none
    // to scan: the family is there, with no scan in it.
    let mut scans = Family::histogram(
        "rocketmq_pop_buffer_scan_time_consume",
        Some("milliseconds"),
        "Time consuming of pop buffer scan",
    );
    scans.push(
        l.of(&[]),
        Value::Histogram {
            bounds: &POP_SCAN_BOUNDS,
            counts: vec![0; POP_SCAN_BOUNDS.len() + 1],
            sum: 0,
        },
    );
    out.push(scans);
    let now = now_millis();
    let topic = crate::pop::records::revive_topic(&cfg.broker_cluster_name);
    let group = crate::pop::records::REVIVE_GROUP;
    let mut lag = Family::gauge("rocketmq_pop_revive_lag", Some("milliseconds"));
    let mut latency = Family::gauge("rocketmq_pop_revive_latency", Some("milliseconds"));
    for q in 0..cfg.revive_queue_num {
        let max = br.store.max_offset(&topic, q).max(0);
        // Java `getReviveBehindMessages` / `getReviveBehindMillis`, from the revive offset Java
        // reads (-1 while the group has none: an empty queue is 1 behind, as on Java).
        let offset = br.offsets.query(group, &topic, q).unwrap_or(-1);
        let behind = (max - offset).max(0);
        let millis = if behind > 1 {
            let ts = br.store.message_store_time(&topic, q, offset.max(0));
            if ts > 0 {
                (now - ts).max(0)
            } else {
                0
            }
        } else {
            0
        };
        let qid = q.to_string();
        lag.push(l.of(&[("queue_id", &qid)]), Value::Int(behind));
        latency.push(l.of(&[("queue_id", &qid)]), Value::Int(millis));
    }
    out.extend([lag, latency]);
}
