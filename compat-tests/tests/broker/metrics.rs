//! The broker's metrics over Prometheus (`metricsExporterType=PROM`): the same traffic against a
//! broker of each kind with its own NameServer, then its `/metrics` scraped. Every family, sample
//! name, label-name set and histogram boundary the Java 5.3.3 broker shows for this traffic must
//! be there, with counters and gauges that agree with the traffic.
//!
//! ```text
//!   scenario NameServer ── broker "broker-metrics" (MetricsCluster, PROM on a free port, timer wheel)
//!   MetricsDriver traffic (Java client 5.3.3, one JVM, clients online while scraped):
//!     producer  <g>-p   20 normal + 1 delay level 1 + 1 timer (1 s) → T, 2 → D, 5 "hold" → T
//!     tx        <g>-tx  1 half committed, 1 rolled back → T
//!     push      <g>-c   consumes T, holds the 5 "hold" messages unconsumed (lag 5, inflight 5)
//!     push      <g>-dlq consumes D, always RECONSUME_LATER, maxReconsumeTimes 1 → 2 to %DLQ%
//! ```
//!
//! The expected families below are the Java broker's (`java_prometheus_metrics` proves them).
//! What a Prometheus scrape of the two brokers cannot show identically, and why:
//! - sample timestamps, and every latency, size and duration value (`*_milliseconds`,
//!   `*_seconds`, `rocketmq_storage_size_bytes`, `rocketmq_throughput_*`, `rocketmq_message_size`
//!   sums): they measure each broker's own clock, disk and stored bytes;
//! - `rocketmq_topic_number` and `rocketmq_consumer_group_number`: each broker's own system topics
//!   and groups count in them;
//! - `rocketmq_messages_out_total{consumer_group="CID_RMQ_SYS_TRANS"}`: when Java's transaction
//!   check reads its op topic depends on its check timer;
//! - the order of families and of labels, and number formatting (`2.7E10` or `27000000000`);
//! - the `# TYPE`/`# HELP` name of a family with a unit: Java's exporter names it without the unit
//!   (`# TYPE rocketmq_storage_size gauge` above `rocketmq_storage_size_bytes`); either name is
//!   accepted, sample names must match;
//! - `target_info` and `otel_scope_info`: Java types them `info`, which only OpenMetrics knows;
//!   only their presence is checked, and a scrape with Prometheus' Accept header must parse.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use compat_tests::ports::free_port;
use compat_tests::process::Background;
use compat_tests::tools::{java_program, kv, update_topic, JavaClient};
use compat_tests::wait::eventually;

use super::common::*;
use super::limits::dedicated;

const CLUSTER_M: &str = "MetricsCluster";
const BROKER: &str = "broker-metrics";
/// The driver's counts: normal messages, held (lagging) ones, messages sent to the DLQ topic.
const COUNT: u64 = 20;
const LAG: u64 = 5;
const DLQ: u64 = 2;

/// Labels every broker sample carries (`metricsLabel` adds more, unset here).
const COMMON: &[&str] = &["otel_scope_name", "cluster", "node_id", "node_type"];
const STORE: &[&str] = &["storage_medium", "storage_type"];
const STORE_TOPIC: &[&str] = &["storage_medium", "storage_type", "topic"];
const IN: &[&str] = &["is_system", "message_type", "topic"];
const OUT: &[&str] = &["consumer_group", "is_system", "topic"];
const LAGS: &[&str] = &["consumer_group", "is_retry", "is_system", "topic"];

/// One family as Java 5.3.3 serves it: `# TYPE` name, type, sample base name (with the unit
/// suffix the exporter appends), its own labels besides [`COMMON`], histogram boundaries.
struct Family {
    name: &'static str,
    kind: &'static str,
    sample: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
}

const fn f(
    name: &'static str,
    kind: &'static str,
    sample: &'static str,
    labels: &'static [&'static str],
) -> Family {
    Family {
        name,
        kind,
        sample,
        labels,
        buckets: &[],
    }
}

const fn h(
    name: &'static str,
    sample: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
) -> Family {
    Family {
        name,
        kind: "histogram",
        sample,
        labels,
        buckets,
    }
}

/// The families of the Java broker's scrape after this traffic (notes: BrokerMetricsManager,
/// PopMetricsManager, DefaultStoreMetricsManager, RemotingMetricsManager).
const FAMILIES: &[Family] = &[
    f(
        "rocketmq_broker_permission",
        "gauge",
        "rocketmq_broker_permission",
        &[],
    ),
    f(
        "rocketmq_topic_number",
        "gauge",
        "rocketmq_topic_number",
        &[],
    ),
    f(
        "rocketmq_consumer_group_number",
        "gauge",
        "rocketmq_consumer_group_number",
        &[],
    ),
    f(
        "rocketmq_processor_watermark",
        "gauge",
        "rocketmq_processor_watermark",
        &["processor"],
    ),
    f(
        "rocketmq_messages_in_total",
        "counter",
        "rocketmq_messages_in_total",
        IN,
    ),
    f(
        "rocketmq_throughput_in_total",
        "counter",
        "rocketmq_throughput_in_total",
        IN,
    ),
    h(
        "rocketmq_message_size",
        "rocketmq_message_size",
        IN,
        &[1024.0, 4096.0, 524288.0, 1048576.0, 2097152.0, 4194304.0],
    ),
    f(
        "rocketmq_messages_out_total",
        "counter",
        "rocketmq_messages_out_total",
        OUT,
    ),
    f(
        "rocketmq_throughput_out_total",
        "counter",
        "rocketmq_throughput_out_total",
        OUT,
    ),
    h(
        "rocketmq_topic_create_execution_time",
        "rocketmq_topic_create_execution_time_milliseconds",
        &["invocation_status", "is_system"],
        &[10.0, 100.0, 1000.0, 3000.0, 5000.0],
    ),
    f(
        "rocketmq_producer_connections",
        "gauge",
        "rocketmq_producer_connections",
        &["language", "protocol_type", "version"],
    ),
    f(
        "rocketmq_consumer_connections",
        "gauge",
        "rocketmq_consumer_connections",
        &[
            "consume_mode",
            "consumer_group",
            "is_system",
            "language",
            "protocol_type",
            "version",
        ],
    ),
    f(
        "rocketmq_consumer_lag_messages",
        "gauge",
        "rocketmq_consumer_lag_messages",
        LAGS,
    ),
    f(
        "rocketmq_consumer_lag_latency",
        "gauge",
        "rocketmq_consumer_lag_latency_milliseconds",
        LAGS,
    ),
    f(
        "rocketmq_consumer_inflight_messages",
        "gauge",
        "rocketmq_consumer_inflight_messages",
        LAGS,
    ),
    f(
        "rocketmq_consumer_queueing_latency",
        "gauge",
        "rocketmq_consumer_queueing_latency_milliseconds",
        LAGS,
    ),
    f(
        "rocketmq_consumer_ready_messages",
        "gauge",
        "rocketmq_consumer_ready_messages",
        LAGS,
    ),
    f(
        "rocketmq_send_to_dlq_messages_total",
        "counter",
        "rocketmq_send_to_dlq_messages_total",
        OUT,
    ),
    f(
        "rocketmq_commit_messages_total",
        "counter",
        "rocketmq_commit_messages_total",
        &["topic"],
    ),
    f(
        "rocketmq_rollback_messages_total",
        "counter",
        "rocketmq_rollback_messages_total",
        &["topic"],
    ),
    h(
        "rocketmq_finish_message_latency",
        "rocketmq_finish_message_latency_milliseconds",
        &["topic"],
        &[5.0, 60.0, 600.0, 3600.0, 43200.0, 86400.0],
    ),
    f(
        "rocketmq_half_messages",
        "gauge",
        "rocketmq_half_messages",
        &["topic"],
    ),
    h(
        "rocketmq_rpc_latency",
        "rocketmq_rpc_latency_milliseconds",
        &[
            "is_long_polling",
            "protocol_type",
            "request_code",
            "response_code",
            "result",
        ],
        &[1.0, 3.0, 5.0, 7.0, 10.0, 100.0, 1000.0, 2000.0, 3000.0],
    ),
    f(
        "rocketmq_storage_size",
        "gauge",
        "rocketmq_storage_size_bytes",
        STORE,
    ),
    f(
        "rocketmq_storage_flush_behind_bytes",
        "gauge",
        "rocketmq_storage_flush_behind_bytes",
        STORE,
    ),
    f(
        "rocketmq_storage_dispatch_behind_bytes",
        "gauge",
        "rocketmq_storage_dispatch_behind_bytes",
        STORE,
    ),
    f(
        "rocketmq_storage_message_reserve_time",
        "gauge",
        "rocketmq_storage_message_reserve_time_milliseconds",
        STORE,
    ),
    f(
        "rocketmq_timer_enqueue_lag",
        "gauge",
        "rocketmq_timer_enqueue_lag",
        STORE,
    ),
    f(
        "rocketmq_timer_enqueue_latency",
        "gauge",
        "rocketmq_timer_enqueue_latency_milliseconds",
        STORE,
    ),
    f(
        "rocketmq_timer_dequeue_lag",
        "gauge",
        "rocketmq_timer_dequeue_lag",
        STORE,
    ),
    f(
        "rocketmq_timer_dequeue_latency",
        "gauge",
        "rocketmq_timer_dequeue_latency_milliseconds",
        STORE,
    ),
    f(
        "rocketmq_timer_message_snapshot",
        "gauge",
        "rocketmq_timer_message_snapshot",
        &["storage_medium", "storage_type", "timer_bound_s"],
    ),
    f(
        "rocketmq_timing_messages",
        "gauge",
        "rocketmq_timing_messages",
        STORE_TOPIC,
    ),
    f(
        "rocketmq_timer_enqueue_total",
        "counter",
        "rocketmq_timer_enqueue_total",
        STORE_TOPIC,
    ),
    f(
        "rocketmq_timer_dequeue_total",
        "counter",
        "rocketmq_timer_dequeue_total",
        STORE_TOPIC,
    ),
    h(
        "rocketmq_delay_message_latency",
        "rocketmq_delay_message_latency_seconds",
        STORE_TOPIC,
        &[60.0, 600.0, 3600.0, 43200.0, 86400.0, 259200.0],
    ),
    h(
        "rocketmq_pop_buffer_scan_time_consume",
        "rocketmq_pop_buffer_scan_time_consume_milliseconds",
        &[],
        &[1.0, 10.0, 100.0, 1000.0, 2000.0, 3000.0],
    ),
    f(
        "rocketmq_pop_offset_buffer_size",
        "gauge",
        "rocketmq_pop_offset_buffer_size",
        &[],
    ),
    f(
        "rocketmq_pop_checkpoint_buffer_size",
        "gauge",
        "rocketmq_pop_checkpoint_buffer_size",
        &[],
    ),
    f(
        "rocketmq_pop_revive_lag",
        "gauge",
        "rocketmq_pop_revive_lag_milliseconds",
        &["queue_id"],
    ),
    f(
        "rocketmq_pop_revive_latency",
        "gauge",
        "rocketmq_pop_revive_latency_milliseconds",
        &["queue_id"],
    ),
];

/// The families a Java broker with the timer wheel serves before any client connected.
const IDLE: &[&str] = &[
    "rocketmq_broker_permission",
    "rocketmq_topic_number",
    "rocketmq_consumer_group_number",
    "rocketmq_processor_watermark",
    "rocketmq_storage_size",
    "rocketmq_storage_flush_behind_bytes",
    "rocketmq_storage_dispatch_behind_bytes",
    "rocketmq_timer_enqueue_lag",
    "rocketmq_timer_enqueue_latency",
    "rocketmq_timer_dequeue_lag",
    "rocketmq_timer_dequeue_latency",
    "rocketmq_timer_message_snapshot",
    "rocketmq_pop_buffer_scan_time_consume",
    "rocketmq_pop_offset_buffer_size",
    "rocketmq_pop_checkpoint_buffer_size",
    "rocketmq_pop_revive_lag",
    "rocketmq_pop_revive_latency",
];

/// Every other family name a Java 5.3.3 broker defines (features this traffic does not use):
/// a family outside [`FAMILIES`] and these is not Java's.
const OTHER_JAVA: &[&str] = &[
    "rocketmq_consumer_group_create_execution_time",
    "rocketmq_pop_revive_in_message_total",
    "rocketmq_pop_revive_out_message_total",
    "rocketmq_pop_revive_retry_messages_total",
    "rocketmq_rocksdb_bytes_written",
    "rocketmq_rocksdb_bytes_read",
    "rocketmq_rocksdb_times_written_self",
    "rocketmq_rocksdb_times_written_other",
    "rocketmq_rocksdb_rate_cache_hit",
    "rocketmq_rocksdb_times_compressed",
    "rocketmq_rocksdb_read_amplification_bytes",
    "rocketmq_rocksdb_times_read",
];

/// `BrokerController`'s request thread pools, as `rocketmq_processor_watermark` names them.
const PROCESSORS: &[&str] = &[
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

/// `TimerMessageStore`'s snapshot bounds (`timer_bound_s`).
const TIMER_BOUNDS: &[&str] = &["5", "60", "300", "900", "3600", "14400", "28800", "86400"];

/// The Accept header Prometheus 2.x scrapes with.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,\
    application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

struct Sample {
    /// The `# TYPE` name above the sample.
    family: String,
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

struct Scrape {
    text: String,
    /// `# TYPE` name → type.
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let mut types = BTreeMap::new();
        let mut samples = Vec::new();
        let mut family = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
                assert!(
                    types
                        .insert(name.to_string(), kind.trim().to_string())
                        .is_none(),
                    "family {name} typed twice:\n{text}"
                );
                family = name.to_string();
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (name, labels, rest) = parse_sample(line);
            let value = rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no value in {line:?}"));
            samples.push(Sample {
                family: family.clone(),
                name,
                labels,
                value,
            });
        }
        Scrape {
            text,
            types,
            samples,
        }
    }

    /// The samples named `name` whose labels include every pair of `with`.
    fn find<'a>(
        &'a self,
        name: &'a str,
        with: &'a [(&str, &str)],
    ) -> impl Iterator<Item = &'a Sample> {
        self.samples.iter().filter(move |s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// The value of the one sample `name` with `with`; None when there is none or several.
    fn one(&self, name: &str, with: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<&Sample> = self.find(name, with).collect();
        match found[..] {
            [s] => Some(s.value),
            _ => None,
        }
    }

    fn has_family(&self, fam: &Family) -> bool {
        self.samples.iter().any(|s| in_family(s, fam))
    }
}

/// Whether `s` is one of `fam`'s samples: its sample name (with `_count`/`_sum`/`_bucket` for a
/// histogram) under either `# TYPE` name (see the module comment).
fn in_family(s: &Sample, fam: &Family) -> bool {
    let base = if fam.kind == "histogram" {
        ["_count", "_sum", "_bucket"]
            .iter()
            .find_map(|suffix| s.name.strip_suffix(suffix))
            .unwrap_or("")
    } else {
        s.name.as_str()
    };
    base == fam.sample && (s.family == fam.name || s.family == fam.sample)
}

/// `name{k="v",...} rest` → (name, labels, rest), with the text format's escapes undone.
fn parse_sample(line: &str) -> (String, BTreeMap<String, String>, String) {
    let mut labels = BTreeMap::new();
    let Some(open) = line.find('{') else {
        let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
        return (name.to_string(), labels, rest.to_string());
    };
    let name = line[..open].to_string();
    let mut chars = line[open + 1..].char_indices().peekable();
    let base = open + 1;
    let end = loop {
        while chars.peek().is_some_and(|(_, c)| *c == ',' || *c == ' ') {
            chars.next();
        }
        match chars.peek() {
            Some((i, '}')) => break base + i + 1,
            None => panic!("unterminated labels in {line:?}"),
            _ => {}
        }
        let mut key = String::new();
        for (_, c) in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        assert_eq!(
            chars.next().map(|(_, c)| c),
            Some('"'),
            "label value in {line:?}"
        );
        let mut value = String::new();
        while let Some((_, c)) = chars.next() {
            match c {
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => panic!("bad escape in {line:?}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        assert!(
            labels.insert(key.clone(), value).is_none(),
            "label {key} twice in {line:?}"
        );
    };
    (name, labels, line[end..].trim().to_string())
}

/// GET `/metrics` from `addr` with an optional Accept header: (Content-Type, body).
fn http_get(addr: &str, accept: Option<&str>) -> std::io::Result<(String, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let accept = accept.map_or_else(String::new, |a| format!("Accept: {a}\r\n"));
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {text:?}")))?;
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default();
    if !status.contains(" 200") {
        return Err(std::io::Error::other(format!("status {status}")));
    }
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(body)?
    } else {
        body.to_string()
    };
    Ok((header("content-type").unwrap_or_default(), body))
}

fn dechunk(mut rest: &str) -> std::io::Result<String> {
    let bad = |what: &str| std::io::Error::other(format!("bad chunked body: {what}"));
    let mut out = String::new();
    loop {
        let (size, tail) = rest.split_once("\r\n").ok_or_else(|| bad("size line"))?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| bad(size))?;
        if size == 0 {
            return Ok(out);
        }
        let chunk = tail.get(..size).ok_or_else(|| bad("short chunk"))?;
        out.push_str(chunk);
        rest = tail[size..]
            .strip_prefix("\r\n")
            .ok_or_else(|| bad("chunk end"))?;
    }
}

fn scrape(addr: &str) -> Scrape {
    let (_, body) = http_get(addr, None).unwrap_or_else(|e| panic!("GET {addr}/metrics: {e}"));
    Scrape::parse(body)
}

/// Label pairs a sample must have.
type Labels<'a> = &'a [(&'a str, &'a str)];

/// Every way a scrape differs from Java's, collected so that one run names them all.
#[derive(Default)]
struct Diffs(Vec<String>);

impl Diffs {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    /// The one sample `name` with `with` has the value `want`.
    fn value(&mut self, m: &Scrape, name: &str, with: &[(&str, &str)], want: f64) {
        let found: Vec<f64> = m.find(name, with).map(|s| s.value).collect();
        self.check(found == [want], || {
            format!("{name} {with:?}: want one sample = {want}, got {found:?}")
        });
    }

    /// The one sample `name` with `with` satisfies `pred` (`what` says how).
    fn test(
        &mut self,
        m: &Scrape,
        name: &str,
        with: &[(&str, &str)],
        what: &str,
        pred: impl Fn(f64) -> bool,
    ) {
        let found: Vec<f64> = m.find(name, with).map(|s| s.value).collect();
        self.check(matches!(found[..], [v] if pred(v)), || {
            format!("{name} {with:?}: want one sample {what}, got {found:?}")
        });
    }

    /// Fails the test with every difference, and the scrape they were found in.
    fn finish(self, m: &Scrape) {
        assert!(
            self.0.is_empty(),
            "{} differences from the Java broker's metrics:\n  {}\n--- scrape:\n{}",
            self.0.len(),
            self.0.join("\n  "),
            m.text
        );
    }
}

/// Every sample of `families` in `scrape`: the family is there, typed as Java types it, its label
/// names are exactly [`COMMON`] plus its own (plus `le` on buckets), and its histograms are
/// well-formed.
fn check_shapes(d: &mut Diffs, scrape: &Scrape, families: &[&Family], when: &str) {
    for fam in families {
        if !scrape.has_family(fam) {
            d.0.push(format!("{when}: no {} ({})", fam.name, fam.sample));
            continue;
        }
        let kind = scrape
            .types
            .get(fam.name)
            .or_else(|| scrape.types.get(fam.sample));
        d.check(kind.is_some_and(|k| k == fam.kind), || {
            format!("{when}: {} typed {kind:?}, Java: {}", fam.name, fam.kind)
        });
        let own: BTreeSet<&str> = COMMON.iter().chain(fam.labels).copied().collect();
        let mut shown = BTreeSet::new();
        for s in scrape.samples.iter().filter(|s| in_family(s, fam)) {
            let mut want = own.clone();
            if fam.kind == "histogram" && s.name.ends_with("_bucket") {
                want.insert("le");
            }
            let got: BTreeSet<&str> = s.labels.keys().map(String::as_str).collect();
            if got != want && shown.insert(s.name.clone()) {
                d.0.push(format!("{when}: {} labels {got:?}, Java: {want:?}", s.name));
            }
            let common = [
                ("otel_scope_name", "broker-meter"),
                ("cluster", CLUSTER_M),
                ("node_id", BROKER),
                ("node_type", "broker"),
            ];
            for (k, v) in common {
                let got = s.labels.get(k).map(String::as_str);
                if got != Some(v) && shown.insert(format!("{}{k}", s.name)) {
                    d.0.push(format!("{when}: {} {k}={got:?}, Java: {v:?}", s.name));
                }
            }
            d.check(s.value.is_finite() && s.value >= 0.0, || {
                format!("{when}: {} {:?} = {}", s.name, s.labels, s.value)
            });
        }
        if fam.kind == "histogram" {
            check_histogram(d, scrape, fam, when);
        }
    }
}

/// Per series: buckets at exactly Java's boundaries then +Inf, cumulative, +Inf = _count, a _sum.
fn check_histogram(d: &mut Diffs, scrape: &Scrape, fam: &Family, when: &str) {
    let series = |s: &Sample| -> Vec<(String, String)> {
        s.labels
            .iter()
            .filter(|(k, _)| *k != "le")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let count_name = format!("{}_count", fam.sample);
    let sum_name = format!("{}_sum", fam.sample);
    let bucket_name = format!("{}_bucket", fam.sample);
    for c in scrape.samples.iter().filter(|s| s.name == count_name) {
        let key = series(c);
        let of_series = |name: &str| -> Vec<&Sample> {
            scrape
                .samples
                .iter()
                .filter(|s| s.name == name && series(s) == key)
                .collect()
        };
        let sums = of_series(&sum_name).len();
        d.check(sums == 1, || {
            format!("{when}: {sums} {sum_name} for {key:?}")
        });
        let buckets = of_series(&bucket_name);
        let bounds: Vec<Option<f64>> = buckets
            .iter()
            .map(|b| b.labels.get("le").and_then(|le| le.parse::<f64>().ok()))
            .collect();
        let want: Vec<Option<f64>> = fam
            .buckets
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .map(Some)
            .collect();
        d.check(bounds == want, || {
            format!("{when}: {bucket_name} boundaries {bounds:?}, Java: {want:?}")
        });
        let values: Vec<f64> = buckets.iter().map(|b| b.value).collect();
        d.check(values.windows(2).all(|w| w[0] <= w[1]), || {
            format!("{when}: {bucket_name} {key:?} not cumulative: {values:?}")
        });
        d.check(values.last() == Some(&c.value), || {
            format!(
                "{when}: {bucket_name} +Inf {:?} vs {count_name} {}",
                values.last(),
                c.value
            )
        });
    }
}

/// The scenario on a broker of `kind`.
fn prometheus_metrics(kind: Kind) {
    let prom_port = free_port().to_string();
    let s = dedicated(
        kind,
        CLUSTER_M,
        BROKER,
        &[
            ("metricsExporterType", "PROM"),
            ("metricsPromExporterHost", "127.0.0.1"),
            ("metricsPromExporterPort", prom_port.as_str()),
            TIMER_WHEEL,
        ],
    );
    let _dump = s.dump();
    let prom = format!("127.0.0.1:{prom_port}");
    let mut d = Diffs::default();

    // Before any client: the broker's own gauges.
    let idle = eventually(Duration::from_secs(60), "the metrics endpoint", || {
        http_get(&prom, None)
            .ok()
            .map(|(_, body)| Scrape::parse(body))
    });
    let idle_families: Vec<&Family> = FAMILIES.iter().filter(|f| IDLE.contains(&f.name)).collect();
    check_shapes(&mut d, &idle, &idle_families, "idle");

    let topic = unique("mt");
    let dlq_topic = unique("md");
    let group = unique("mg");
    update_topic(s.ns(), CLUSTER_M, &topic, QUEUES);
    update_topic(s.ns(), CLUSTER_M, &dlq_topic, QUEUES);
    let (count, lag, dlq) = (COUNT.to_string(), LAG.to_string(), DLQ.to_string());
    let args = kv(
        "traffic",
        &[
            ("ns", s.ns()),
            ("topic", &topic),
            ("dlq_topic", &dlq_topic),
            ("group", &group),
            ("count", &count),
            ("lag", &lag),
            ("dlq", &dlq),
            ("timeout_ms", "150000"),
        ],
    );
    let mut driver = Background::spawn(
        &java_program(JavaClient::V5_3_3, "MetricsDriver", &args),
        Duration::from_secs(400),
    );
    let lagging = driver.wait_json(Duration::from_secs(240), |l| {
        l.get("lagging").is_some() || l.get("error").is_some()
    });
    assert!(
        lagging.as_ref().is_some_and(|l| l.get("lagging").is_some()),
        "the traffic did not complete: {lagging:?}\n{}",
        driver.stdout()
    );

    let (g_c, g_dlq) = (format!("{group}-c"), format!("{group}-dlq"));
    let (t, d_topic) = (topic.as_str(), dlq_topic.as_str());
    let retry = format!("%RETRY%{g_dlq}");
    // Lag and the DLQ count settle once both consumers commit their offsets and the retries ran,
    // and a push consumer's first periodic offset commit (UPDATE_CONSUMER_OFFSET) comes 10 s
    // after it starts; a broker that never gets there is then compared as it is.
    let settled = |m: &Scrape| {
        m.find(
            "rocketmq_rpc_latency_milliseconds_count",
            &[
                ("request_code", "update_consumer_offset"),
                ("protocol_type", "remoting"),
                ("result", "oneway"),
            ],
        )
        .count()
            > 0
            && m.one(
                "rocketmq_consumer_lag_messages",
                &[("consumer_group", &g_c), ("topic", t)],
            ) == Some(LAG as f64)
            && m.one(
                "rocketmq_consumer_lag_messages",
                &[("consumer_group", &g_dlq), ("topic", d_topic)],
            ) == Some(0.0)
            && m.one(
                "rocketmq_send_to_dlq_messages_total",
                &[("consumer_group", &g_dlq), ("topic", d_topic)],
            ) == Some(DLQ as f64)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let m = loop {
        let m = scrape(&prom);
        if settled(&m) || std::time::Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(Duration::from_millis(500));
    };

    // Families and label names: Java's, and nothing Java does not define.
    check_shapes(
        &mut d,
        &m,
        &FAMILIES.iter().collect::<Vec<_>>(),
        "after traffic",
    );
    let mut unknown = BTreeSet::new();
    for s in &m.samples {
        let known = FAMILIES.iter().any(|f| in_family(s, f))
            || OTHER_JAVA.iter().any(|f| s.name.starts_with(f))
            || s.name == "target_info"
            || s.name == "otel_scope_info";
        if !known && unknown.insert(s.name.clone()) {
            d.0.push(format!(
                "{} (# TYPE {}) is no Java 5.3.3 broker metric",
                s.name, s.family
            ));
        }
    }
    d.value(
        &m,
        "otel_scope_info",
        &[("otel_scope_name", "broker-meter")],
        1.0,
    );
    d.value(&m, "target_info", &[], 1.0);

    // Messages in, by topic and type (Java counts a delay-level message when sent, under
    // SCHEDULE_TOPIC_XXXX, and again when due, under its topic; a timer message once, under
    // rmq_sys_wheel_timer; a half message under RMQ_SYS_TRANS_HALF_TOPIC, its commit not; a retry
    // when its delay ends, under %RETRY%<group>).
    let n = |v: u64| v as f64;
    let ins: &[(&str, &str, &str, u64)] = &[
        (t, "normal", "false", COUNT + LAG),
        (t, "delay", "false", 1),
        ("SCHEDULE_TOPIC_XXXX", "delay", "true", 1),
        ("rmq_sys_wheel_timer", "delay", "true", 1),
        ("RMQ_SYS_TRANS_HALF_TOPIC", "transaction", "true", 2),
        (d_topic, "normal", "false", DLQ),
        (&retry, "delay", "false", DLQ),
    ];
    for (topic, ty, sys, want) in ins {
        let with = [
            ("topic", *topic),
            ("message_type", *ty),
            ("is_system", *sys),
        ];
        d.value(&m, "rocketmq_messages_in_total", &with, n(*want));
        d.value(&m, "rocketmq_message_size_count", &with, n(*want));
        let bytes = m.one("rocketmq_throughput_in_total", &with);
        d.check(bytes.is_some_and(|b| b > 0.0), || {
            format!("rocketmq_throughput_in_total {with:?} = {bytes:?}")
        });
        let sum = m.one("rocketmq_message_size_sum", &with);
        d.check(sum == bytes, || {
            format!("rocketmq_message_size_sum {with:?} = {sum:?}, throughput in {bytes:?}")
        });
    }
    let series: Vec<String> = m
        .find("rocketmq_messages_in_total", &[])
        .map(|s| {
            format!(
                "{}/{}",
                s.labels.get("topic").map_or("", String::as_str),
                s.labels.get("message_type").map_or("", String::as_str)
            )
        })
        .collect();
    d.check(series.len() == ins.len(), || {
        format!(
            "rocketmq_messages_in_total series {series:?}, Java: only the {} above",
            ins.len()
        )
    });

    // Messages out, by topic and group (counted when pulled: 20 + delay + timer + committed + 5
    // held; the delay service's reads of SCHEDULE_TOPIC_XXXX: the delayed message, 2 retries).
    let outs: &[(&str, &str, &str, u64)] = &[
        (t, &g_c, "false", COUNT + 3 + LAG),
        (d_topic, &g_dlq, "false", DLQ),
        ("SCHEDULE_TOPIC_XXXX", "SCHEDULE_CONSUMER", "true", 1 + DLQ),
    ];
    for (topic, group, sys, want) in outs {
        let with = [
            ("topic", *topic),
            ("consumer_group", *group),
            ("is_system", *sys),
        ];
        d.value(&m, "rocketmq_messages_out_total", &with, n(*want));
        d.test(&m, "rocketmq_throughput_out_total", &with, "> 0", |v| {
            v > 0.0
        });
    }

    // Consumer lag, inflight, ready: G-c holds 5 it pulled; G-dlq is done (its retries are in
    // %RETRY%, which the lag skips).
    for (group, topic, lag) in [(g_c.as_str(), t, LAG), (g_dlq.as_str(), d_topic, 0)] {
        let with = [
            ("consumer_group", group),
            ("topic", topic),
            ("is_retry", "false"),
            ("is_system", "false"),
        ];
        d.value(&m, "rocketmq_consumer_lag_messages", &with, n(lag));
        d.value(&m, "rocketmq_consumer_inflight_messages", &with, n(lag));
        d.value(&m, "rocketmq_consumer_ready_messages", &with, 0.0);
        d.value(
            &m,
            "rocketmq_consumer_queueing_latency_milliseconds",
            &with,
            0.0,
        );
        let latency = "rocketmq_consumer_lag_latency_milliseconds";
        if lag > 0 {
            d.test(&m, latency, &with, "> 0", |v| v > 0.0);
        } else {
            d.value(&m, latency, &with, 0.0);
        }
    }
    d.value(
        &m,
        "rocketmq_send_to_dlq_messages_total",
        &[
            ("consumer_group", &g_dlq),
            ("topic", d_topic),
            ("is_system", "false"),
        ],
        n(DLQ),
    );

    // Transactions, timer, connections.
    d.value(&m, "rocketmq_commit_messages_total", &[("topic", t)], 1.0);
    d.value(&m, "rocketmq_rollback_messages_total", &[("topic", t)], 1.0);
    d.value(&m, "rocketmq_half_messages", &[("topic", t)], 0.0);
    d.value(
        &m,
        "rocketmq_finish_message_latency_milliseconds_count",
        &[("topic", t)],
        1.0,
    );
    d.value(&m, "rocketmq_timer_enqueue_total", &[("topic", t)], 1.0);
    d.value(&m, "rocketmq_timer_dequeue_total", &[("topic", t)], 1.0);
    d.value(&m, "rocketmq_timing_messages", &[("topic", t)], 0.0);
    d.value(
        &m,
        "rocketmq_delay_message_latency_seconds_count",
        &[("topic", t)],
        1.0,
    );
    let client = [
        ("language", "java"),
        ("version", "v5_3_3"),
        ("protocol_type", "remoting"),
    ];
    // One per producer group and client connection: <g>-p, <g>-tx, and the CLIENT_INNER_PRODUCER
    // of each of the driver's 4 client instances.
    d.value(&m, "rocketmq_producer_connections", &client, 6.0);
    for g in [&g_c, &g_dlq] {
        let mut with = client.to_vec();
        with.extend([
            ("consumer_group", g.as_str()),
            ("consume_mode", "push"),
            ("is_system", "false"),
        ]);
        d.value(&m, "rocketmq_consumer_connections", &with, 1.0);
    }

    // Broker gauges.
    d.value(&m, "rocketmq_broker_permission", &[], 6.0);
    d.test(&m, "rocketmq_topic_number", &[], ">= 2", |v| v >= 2.0);
    d.test(&m, "rocketmq_consumer_group_number", &[], ">= 2", |v| {
        v >= 2.0
    });
    let processors: BTreeSet<&str> = m
        .find("rocketmq_processor_watermark", &[])
        .filter_map(|s| s.labels.get("processor").map(String::as_str))
        .collect();
    d.check(processors == PROCESSORS.iter().copied().collect(), || {
        format!("rocketmq_processor_watermark processors {processors:?}, Java: {PROCESSORS:?}")
    });
    let bounds: BTreeSet<&str> = m
        .find("rocketmq_timer_message_snapshot", &[])
        .filter_map(|s| s.labels.get("timer_bound_s").map(String::as_str))
        .collect();
    d.check(bounds == TIMER_BOUNDS.iter().copied().collect(), || {
        format!("rocketmq_timer_message_snapshot bounds {bounds:?}, Java: {TIMER_BOUNDS:?}")
    });
    d.test(&m, "rocketmq_storage_size_bytes", &[], "> 0", |v| v > 0.0);
    d.test(
        &m,
        "rocketmq_storage_message_reserve_time_milliseconds",
        &[],
        "> 0",
        |v| v > 0.0,
    );
    let revive = m.find("rocketmq_pop_revive_lag_milliseconds", &[]).count();
    d.check(revive == 8, || {
        format!(
            "rocketmq_pop_revive_lag_milliseconds: {revive} series, Java: one per revive queue (8)"
        )
    });

    // RPCs, as the broker answered them (names: RequestCode/ResponseCode fields, lower case).
    let rpc = |code: &str, with: &[(&str, &str)]| {
        let mut all = vec![("request_code", code), ("protocol_type", "remoting")];
        all.extend_from_slice(with);
        m.find("rocketmq_rpc_latency_milliseconds_count", &all)
            .map(|s| s.value)
            .sum::<f64>()
    };
    // 20 + delay + timer + 2 to D + 5 held, and the 2 half messages; each DLQ message sent
    // back twice. A count of None only has to be above 0.
    let ok: &[(&str, &str)] = &[("response_code", "success"), ("result", "success")];
    let rpcs: &[(&str, Labels, Option<u64>)] = &[
        ("send_message_v2", ok, Some(COUNT + 4 + DLQ + LAG)),
        ("consumer_send_msg_back", ok, Some(2 * DLQ)),
        ("end_transaction", &[("result", "oneway")], Some(2)),
        ("update_and_create_topic", ok, Some(2)),
        (
            "pull_message",
            &[("response_code", "success"), ("is_long_polling", "false")],
            None,
        ),
        ("pull_message", &[("is_long_polling", "true")], None),
        ("heart_beat", ok, None),
        ("update_consumer_offset", &[("result", "oneway")], None),
        ("query_consumer_offset", &[], None),
    ];
    for (code, with, want) in rpcs {
        let got = rpc(code, with);
        let right = want.map_or(got > 0.0, |w| got == n(w));
        d.check(right, || {
            format!("rocketmq_rpc_latency_milliseconds_count {code} {with:?}: {got}, want {want:?}")
        });
    }
    d.value(
        &m,
        "rocketmq_topic_create_execution_time_milliseconds_count",
        &[("invocation_status", "success"), ("is_system", "false")],
        2.0,
    );

    // What Prometheus itself asks for must parse: OpenMetrics, or the 0.0.4 text format with
    // only the types that format has.
    match http_get(&prom, Some(PROMETHEUS_ACCEPT)) {
        Ok((ctype, body)) if ctype.starts_with("application/openmetrics-text") => {
            d.check(body.trim_end().ends_with("# EOF"), || {
                "OpenMetrics answer without # EOF".to_string()
            });
        }
        Ok((ctype, body)) => {
            d.check(ctype.starts_with("text/plain"), || {
                format!("content type {ctype}")
            });
            for kind in Scrape::parse(body).types.values() {
                d.check(
                    ["counter", "gauge", "histogram", "summary", "untyped"]
                        .contains(&kind.as_str()),
                    || format!("# TYPE .. {kind} in the 0.0.4 text format (Prometheus refuses it)"),
                );
            }
        }
        Err(e) => {
            d.0.push(format!("scrape with Prometheus' Accept header: {e}"))
        }
    }
    driver.stop();
    d.finish(&m);
}

#[test]
fn java_prometheus_metrics() {
    let _s = compat_tests::scenario::heavy(180);
    prometheus_metrics(Kind::Java);
}

#[test]
fn ours_prometheus_metrics() {
    let _s = compat_tests::scenario::heavy(180);
    prometheus_metrics(Kind::Ours);
}
