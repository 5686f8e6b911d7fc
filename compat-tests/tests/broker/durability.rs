//! Durability: consumer offsets across a broker restart, no acknowledged message lost when the
//! broker is killed under SYNC_FLUSH load, and where a new group starts (last offset, timestamp).
//! The Broker issue's compatibility scenarios. Each runs against our stack (`mqnamesrv` +
//! `mqbroker`, release builds) and against Java's (NameServer + broker 5.3.3): the Java run
//! proves the scenario itself is right. Clients are the unmodified Java client 5.3.3 (and mqadmin
//! 5.3.3), through `thrust.compat.DurableDriver` and `ClientDriver`.
//!
//! Every scenario but one has its own NameServer and a dedicated broker (cluster
//! `DurableCluster`) on its own store, so stopping, killing and restarting it disturbs no other
//! scenario:
//!
//! ```text
//!   NameServer ── broker "dur-…" ── store/ ──(SIGTERM | SIGKILL, start again on store/)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use compat_tests::env::{require_setup, work_dir};
use compat_tests::process::{run, Background, Cmd, Output, Server};
use compat_tests::servers::{Namesrv, NsKind};
use compat_tests::tools::{java_driver, java_program, mqadmin, update_topic, JavaClient};
use compat_tests::wire;
use serde_json::Value;

use compat_tests::traffic::{self, acked_bodies, assert_none_lost};

use super::common::*;

const DURABLE_CLUSTER: &str = "DurableCluster";
const QUERY_CONSUMER_OFFSET: i32 = 14;
const GET_MIN_OFFSET: i32 = 31;

/// A NameServer and one dedicated broker of `kind` on a store that outlives its processes.
struct Dedicated {
    kind: Kind,
    ns: Namesrv,
    name: String,
    store: PathBuf,
    extra: Vec<(&'static str, &'static str)>,
    broker: Option<(Server, String)>,
}

impl Dedicated {
    fn start(kind: Kind, name: &str, extra: &[(&'static str, &'static str)]) -> Dedicated {
        require_setup();
        let ns = Namesrv::start(match kind {
            Kind::Ours => NsKind::Ours,
            Kind::Java => NsKind::Java,
        });
        let mut d = Dedicated {
            kind,
            ns,
            name: name.to_string(),
            store: work_dir(&format!("durable-{name}")).join("store"),
            extra: extra.to_vec(),
            broker: None,
        };
        d.boot();
        d
    }

    /// Starts the broker on the store (again) and waits for its registration.
    fn boot(&mut self) {
        assert!(self.broker.is_none(), "broker already running");
        let (ns, store) = (self.ns.addr.as_str(), self.store.as_path());
        self.broker = Some(match self.kind {
            Kind::Ours => {
                start_ours_broker_with(ns, &self.name, store, DURABLE_CLUSTER, &self.extra)
            }
            Kind::Java => {
                let b = start_java_broker_with(ns, &self.name, store, DURABLE_CLUSTER, &self.extra);
                (b.server, b.addr)
            }
        });
    }

    /// SIGTERM and wait: the broker's shutdown persists offsets and flushes the store.
    fn stop(&mut self) {
        if let Some((server, _)) = self.broker.take() {
            server.stop();
        }
    }

    /// SIGKILL: no shutdown hook runs; the next boot recovers from an `abort` file.
    fn kill(&mut self) {
        if let Some((server, _)) = self.broker.take() {
            server.kill();
        }
    }

    fn ns(&self) -> &str {
        &self.ns.addr
    }

    fn addr(&self) -> &str {
        self.broker.as_ref().map_or("", |(_, a)| a.as_str())
    }

    /// `mqadmin updateTopic -c DurableCluster`, then waits for the route.
    fn create_topic(&self, topic: &str, queues: u32) {
        update_topic(self.ns(), DURABLE_CLUSTER, topic, queues);
    }

    /// A numeric response field of an offset request to the broker (`None` on a non-SUCCESS).
    fn offset_request(&self, code: i32, ext: &[(&str, &str)]) -> Option<i64> {
        let reply = wire::request(self.addr(), code, ext, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("request {code} to {}: {e}", self.addr()));
        (reply.code == wire::response::SUCCESS).then(|| {
            reply
                .ext_str("offset")
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no offset in {reply:?}"))
        })
    }

    fn consumer_offset(&self, group: &str, topic: &str, queue: u32) -> Option<i64> {
        let q = queue.to_string();
        let ext = [("consumerGroup", group), ("topic", topic), ("queueId", &q)];
        self.offset_request(QUERY_CONSUMER_OFFSET, &ext)
    }

    fn min_offset(&self, topic: &str, queue: u32) -> i64 {
        let q = queue.to_string();
        self.offset_request(GET_MIN_OFFSET, &[("topic", topic), ("queueId", &q)])
            .unwrap_or_else(|| panic!("GET_MIN_OFFSET {topic}/{queue} failed"))
    }
}

impl Drop for Dedicated {
    /// Prints the logs of a failed run; the store is thrown away, so the broker is just killed
    /// (a Java broker's graceful shutdown takes many seconds).
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some((server, _)) = &self.broker {
                eprintln!("{}", server.log_tails(80));
            }
            eprintln!("{}", self.ns.server.log_tails(40));
        }
        self.kill();
    }
}

/// `thrust.compat.DurableDriver` on the Java client 5.3.3.
fn durable_driver(args: &[String]) -> Cmd {
    java_program(JavaClient::V5_3_3, "DurableDriver", args)
}

fn kv_args(mode: &str, pairs: &[(&str, String)]) -> Vec<String> {
    std::iter::once(mode.to_string())
        .chain(pairs.iter().map(|(k, v)| format!("{k}={v}")))
        .collect()
}

/// Starts a DurableDriver consumer and waits for its "ready" line.
fn start_consumer(ns: &str, topic: &str, group: &str, opts: &[(&str, String)]) -> Background {
    let mut pairs = vec![
        ("ns", ns.to_string()),
        ("topic", topic.to_string()),
        ("group", group.to_string()),
    ];
    pairs.extend(opts.iter().cloned());
    let mut c = Background::spawn(
        &durable_driver(&kv_args("consume", &pairs)),
        Duration::from_secs(180),
    );
    let ready = c.wait_json(Duration::from_secs(90), |v| {
        v.get("ready").is_some() || v.get("error").is_some()
    });
    assert!(
        ready.as_ref().is_some_and(|v| v["ready"] == true),
        "consumer did not start: {ready:?}\n{}",
        c.stdout()
    );
    c
}

/// The bodies a consumer printed.
fn bodies(out: &Output) -> BTreeSet<String> {
    traffic::bodies(&out.json_lines()).into_iter().collect()
}

fn batch_bodies(prefix: &str, count: usize) -> BTreeSet<String> {
    (0..count).map(|i| format!("{prefix}-{i}")).collect()
}

/// A sync Java 5.3.3 producer run; every send must succeed. Returns (queueId → messages sent).
fn produce_counted(ns: &str, topic: &str, b: &Batch) -> BTreeMap<i64, i64> {
    let out = run(
        &java_driver(JavaClient::V5_3_3, &producer_args(ns, topic, b)),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let mut per_queue = BTreeMap::new();
    let acks: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|l| l["status"] == "SEND_OK")
        .collect();
    assert_eq!(acks.len(), b.count, "{out}");
    for a in acks {
        *per_queue
            .entry(a["queueId"].as_i64().unwrap_or(-1))
            .or_insert(0) += 1;
    }
    per_queue
}

/// Waits for the wall clock (what store times are taken from) to pass `ms`.
fn clock_past(ms: u64) {
    wait_until(Duration::from_secs(30), "the clock to move on", || {
        now_ms() > ms
    });
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A push consumer group consumes N messages and shuts down cleanly (offsets committed); the
/// broker is stopped (SIGTERM) and started again on the same store. QUERY_CONSUMER_OFFSET and
/// `mqadmin consumerProgress` show the committed offsets, and a new consumer process of the group
/// receives exactly the M messages produced after the restart, none of the first N.
fn offsets_survive_restart(kind: Kind) {
    let mut d = Dedicated::start(kind, "dur-offsets", &[]);
    let (topic, group) = (unique("dof"), unique("dofg"));
    d.create_topic(&topic, 4);
    let first = Batch {
        body: "before",
        count: 20,
        mode: "sync",
    };
    let per_queue = produce_counted(d.ns(), &topic, &first);
    let opts = [("expect", "20".to_string()), ("linger_ms", "1000".into())];
    let c = start_consumer(d.ns(), &topic, &group, &opts);
    let out = c.finish(Duration::from_secs(150));
    out.assert_ok();
    assert_eq!(bodies(&out), batch_bodies("before", 20), "{out}");
    // The consumer's last commit, sent as it shuts down, is oneway: it can reach the broker
    // after the driver has exited, so the broker is stopped only once it holds it.
    let sent_to = |q: u32| per_queue.get(&i64::from(q)).copied().unwrap_or(0);
    wait_until(
        Duration::from_secs(30),
        "the consumer's last commit",
        || (0..4).all(|q| d.consumer_offset(&group, &topic, q) == Some(sent_to(q))),
    );

    d.stop();
    d.boot();
    for q in 0..4 {
        let sent = per_queue.get(&i64::from(q)).copied().unwrap_or(0);
        let committed = d.consumer_offset(&group, &topic, q);
        assert_eq!(committed, Some(sent), "queue {q} offset after restart");
    }
    let progress = mqadmin(d.ns(), &["consumerProgress", "-g", &group]);
    assert!(progress.stdout.contains(&topic), "{progress}");
    assert!(progress.stdout.contains("Diff Total: 0"), "{progress}");

    let second = Batch {
        body: "after",
        count: 10,
        mode: "sync",
    };
    produce_counted(d.ns(), &topic, &second);
    let opts = [("expect", "10".to_string()), ("linger_ms", "3000".into())];
    let c = start_consumer(d.ns(), &topic, &group, &opts);
    let out = c.finish(Duration::from_secs(150));
    out.assert_ok();
    assert_eq!(
        bodies(&out),
        batch_bodies("after", 10),
        "only the new messages: {out}"
    );
}

#[test]
fn java_offsets_survive_restart() {
    let _s = compat_tests::scenario::heavy(400);
    offsets_survive_restart(Kind::Java);
}

#[test]
fn ours_offsets_survive_restart() {
    let _s = compat_tests::scenario::heavy(400);
    offsets_survive_restart(Kind::Ours);
}

/// Acknowledged messages a SYNC_FLUSH broker must still have after SIGKILL.
const ACKED_BEFORE_KILL: usize = 300;

/// A SYNC_FLUSH broker is SIGKILLed while a producer sends synchronously; restarted on the same
/// store, it delivers every message it acknowledged (SEND_OK) to a new group reading from the
/// first offset. Sends that failed during the outage count for nothing.
fn sync_flush_kill_loses_no_ack(kind: Kind) {
    let mut d = Dedicated::start(kind, "dur-sync", &[("flushDiskType", "SYNC_FLUSH")]);
    let (topic, group) = (unique("dsf"), unique("dsfg"));
    d.create_topic(&topic, 4);
    let args = kv_args(
        "stream",
        &[
            ("ns", d.ns().to_string()),
            ("topic", topic.clone()),
            ("group", unique("dsfp")),
            ("count", "1000000".into()),
            ("body", "acked".into()),
        ],
    );
    let mut producer = Background::spawn(&durable_driver(&args), Duration::from_secs(240));
    let enough = producer.wait_json(Duration::from_secs(120), |v| {
        v["status"] == "SEND_OK" && v["i"].as_u64() >= Some(ACKED_BEFORE_KILL as u64 + 20)
    });
    assert!(
        enough.is_some(),
        "producer too slow:\n{}",
        producer.stdout()
    );
    d.kill();
    // Whatever the producer printed as SEND_OK was acknowledged before the kill.
    let sent = producer.finish(Duration::from_secs(1));
    let acked = acked_bodies(&sent);
    assert!(acked.len() >= ACKED_BEFORE_KILL, "{sent}");

    d.boot();
    let need = work_dir("durable-acked").join("acked.txt");
    std::fs::write(&need, acked.join("\n")).expect("write acked bodies");
    let opts = [
        ("need_file", need.display().to_string()),
        ("linger_ms", "500".into()),
    ];
    let c = start_consumer(d.ns(), &topic, &group, &opts);
    let out = c.finish(Duration::from_secs(170));
    assert_none_lost(&acked, &out);
    out.assert_ok();
}

#[test]
fn java_sync_flush_kill_loses_no_ack() {
    let _s = compat_tests::scenario::heavy(300);
    sync_flush_kill_loses_no_ack(Kind::Java);
}

#[test]
fn ours_sync_flush_kill_loses_no_ack() {
    let _s = compat_tests::scenario::heavy(300);
    sync_flush_kill_loses_no_ack(Kind::Ours);
}

/// A new group of `from` (`last` or `timestamp`) on `ns`: returns the bodies it received once
/// `expect` arrived (plus a linger for any extra).
fn new_group_receives(
    ns: &str,
    topic: &str,
    from: &str,
    ts_ms: Option<u64>,
    expect: usize,
) -> BTreeSet<String> {
    let mut opts = vec![
        ("from", from.to_string()),
        ("expect", expect.to_string()),
        ("linger_ms", "2000".to_string()),
    ];
    if let Some(ts) = ts_ms {
        opts.push(("ts_ms", ts.to_string()));
    }
    let c = start_consumer(ns, topic, &unique("dng"), &opts);
    let out = c.finish(Duration::from_secs(150));
    out.assert_ok();
    bodies(&out)
}

/// Where a new group starts on a young queue, default config. Java 5.3.3's
/// `ConsumerManageProcessor.queryConsumerOffset` answers a group without a committed offset
/// with offset 0 when the queue's min offset is 0 and `checkInMemByConsumeOffset(topic, q, 0, 1)`
/// holds: unit 0 exists and its record's pages are resident (`DefaultMappedFile.isLoaded`, which
/// is always true on a JDK whose `MappedByteBuffer` lacks `isLoaded0`, as JDK 17).
/// `accessMessageInMemoryMaxRatio` plays no part in 5.3.3 (it did in 4.9.8). So the client's
/// `computePullFromWhereWithException` never reaches its CONSUME_FROM_LAST_OFFSET
/// (GET_MAX_OFFSET) or CONSUME_FROM_TIMESTAMP (SEARCH_OFFSET_BY_TIMESTAMP) branch: both groups
/// receive the whole backlog, even with a timestamp later than every message. (Our broker checks
/// residency with `mincore`, as `isLoaded0` does on the JDKs that have it.)
fn young_queue_new_group_gets_backlog(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("dyq");
    create_topic(s, &topic);
    let young = Batch {
        body: "young",
        count: 8,
        mode: "sync",
    };
    produce_counted(s.ns(), &topic, &young);
    // A timestamp 2 s past every store time, in whole seconds as the client sends it.
    let after_all = now_ms() + 2000;
    clock_past(after_all);
    let want = batch_bodies("young", 8);
    assert_eq!(new_group_receives(s.ns(), &topic, "last", None, 8), want);
    let got = new_group_receives(s.ns(), &topic, "timestamp", Some(after_all), 8);
    assert_eq!(got, want);
}

#[test]
fn java_young_queue_new_group_gets_backlog() {
    let _s = compat_tests::scenario::light(120);
    young_queue_new_group_gets_backlog(Kind::Java);
}

#[test]
fn ours_young_queue_new_group_gets_backlog() {
    let _s = compat_tests::scenario::light(120);
    young_queue_new_group_gets_backlog(Kind::Ours);
}

/// 1 MiB CommitLog segments, so ~300 records of 4 KiB fill the first one.
const SMALL_SEGMENT: &str = "1048576";

/// Fills the first CommitLog segment (and some of the second) with 300 padded messages, stops
/// the broker, removes that segment as retention would, and starts the broker again: the queue's
/// min offset is now above 0 with a backlog left in the second segment.
fn drop_first_segment(d: &mut Dedicated, topic: &str) {
    let old = kv_args(
        "stream",
        &[
            ("ns", d.ns().to_string()),
            ("topic", topic.to_string()),
            ("group", unique("dstp")),
            ("count", "300".into()),
            ("body", "old".into()),
            ("pad", "4000".into()),
        ],
    );
    let out = run(&durable_driver(&old), Duration::from_secs(180));
    out.assert_ok();
    let acks = out
        .json_lines()
        .iter()
        .filter(|l| l["status"] == "SEND_OK")
        .count();
    assert_eq!(acks, 300, "{out}");
    d.stop();
    let first_segment = d.store.join("commitlog").join("00000000000000000000");
    std::fs::remove_file(&first_segment)
        .unwrap_or_else(|e| panic!("remove {}: {e}", first_segment.display()));
    d.boot();
    let min = d.min_offset(topic, 0);
    assert!(
        (1..305).contains(&min),
        "min offset {min} after the first segment went"
    );
}

/// Where a new group starts when the queue's first message is gone (Java 5.3.3): with
/// `accessMessageInMemoryMaxRatio=0` a young queue still hands its backlog to a new
/// CONSUME_FROM_LAST_OFFSET group (the ratio is unused, see
/// [`young_queue_new_group_gets_backlog`]). Once the oldest CommitLog segment is gone (as
/// retention removes it; here deleted while the broker is stopped, then the broker's recovery
/// corrects the queue's min offset, `ConsumeQueue.correctMinOffset`), the queue's min offset is
/// above 0, QUERY_CONSUMER_OFFSET answers QUERY_NOT_FOUND, and the client applies its
/// consume-from-where: CONSUME_FROM_LAST_OFFSET starts at GET_MAX_OFFSET (only messages sent after
/// the group took the queue arrive), CONSUME_FROM_TIMESTAMP at SEARCH_OFFSET_BY_TIMESTAMP of its
/// `consumeTimestamp` (`yyyyMMddHHmmss`, client time zone: only the batch sent after it arrives).
fn new_group_start_after_retention(kind: Kind) {
    let extra = [
        ("accessMessageInMemoryMaxRatio", "0"),
        ("mappedFileSizeCommitLog", SMALL_SEGMENT),
    ];
    let mut d = Dedicated::start(kind, "dur-start", &extra);
    let topic = unique("dst");
    d.create_topic(&topic, 1);
    let batch = |body: &'static str| Batch {
        body,
        count: 5,
        mode: "sync",
    };
    produce_counted(d.ns(), &topic, &batch("young"));
    let young = new_group_receives(d.ns(), &topic, "last", None, 5);
    assert_eq!(young, batch_bodies("young", 5), "ratio 0: still from 0");

    drop_first_segment(&mut d, &topic);

    let opts = [
        ("from", "last".to_string()),
        ("wait_queues", "1".into()),
        ("expect", "5".into()),
        ("linger_ms", "2000".into()),
    ];
    let c = start_consumer(d.ns(), &topic, &unique("dsl"), &opts);
    produce_counted(d.ns(), &topic, &batch("late"));
    let out = c.finish(Duration::from_secs(150));
    out.assert_ok();
    assert_eq!(bodies(&out), batch_bodies("late", 5), "from last: {out}");

    // "late" is now the batch before the timestamp.
    // Store times are in ms, the consume timestamp in s: 2 s either side keeps them apart.
    let ts = now_ms() + 2000;
    clock_past(ts + 2000);
    produce_counted(d.ns(), &topic, &batch("stamped"));
    let got = new_group_receives(d.ns(), &topic, "timestamp", Some(ts), 5);
    assert_eq!(got, batch_bodies("stamped", 5), "from timestamp");
}

#[test]
fn java_new_group_start_after_retention() {
    let _s = compat_tests::scenario::heavy(400);
    new_group_start_after_retention(Kind::Java);
}

#[test]
fn ours_new_group_start_after_retention() {
    let _s = compat_tests::scenario::heavy(400);
    new_group_start_after_retention(Kind::Ours);
}
