//! Drop-in takeover of a store written by the Java 4.x broker, and back.
//!
//! The Java side is `rocketmq-broker` 4.9.7 (see `JavaBrokerVersion::V4_9_7`: 4.9.8's broker
//! was never published to Maven Central, and its store and config-file code equals 4.9.7's);
//! clients are the Java client 4.9.8, admin commands mqadmin 5.3.3. One of our NameServers
//! serves every broker in turn; each broker runs with the same name and broker.conf keys on the
//! same store directory:
//!
//! ```text
//!   Java 4.x ──SIGTERM──▶ ours ──SIGTERM──▶ Java 4.x          (store/ shared)
//!   Java 4.x ──SIGKILL (abort file left)──▶ ours
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use compat_tests::env::{cache_dir, require_setup, work_dir};
use compat_tests::process::{run, Background, LogDump, Output};
use compat_tests::servers::{Broker, BrokerSpec, JavaBrokerVersion, Namesrv, NsKind};
use compat_tests::tools::{java_driver, java_program, kv, mqadmin, update_topic, JavaClient};
use compat_tests::wire;
use serde_json::Value;

use compat_tests::traffic::{acked_bodies, assert_none_lost};

use super::common::*;

const QUERY_CONSUMER_OFFSET: i32 = 14;
const GET_MAX_OFFSET: i32 = 30;
const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
const GET_ALL_SUBSCRIPTIONGROUP_CONFIG: i32 = 201;
const CLIENT: JavaClient = JavaClient::V4_9_8;

/// The Java 4.x broker named `name` on `store`, registered with `ns`.
fn start_java4(ns: &str, name: &str, store: &Path) -> Broker {
    let jars = cache_dir().join("java/broker-4.9.7/.complete");
    assert!(
        jars.exists(),
        "{} is missing: run compat-tests/setup.sh",
        jars.display()
    );
    let mut spec = BrokerSpec::new(CLUSTER, name, &[ns]).on_store(store);
    spec.java_version = JavaBrokerVersion::V4_9_7;
    let broker = Broker::start_with(NsKind::Java, spec);
    broker.wait_registered(ns, Duration::from_secs(60));
    broker
}

/// What one producer run stored: msgIds and messages per queue.
struct Sent {
    ids: Vec<String>,
    per_queue: BTreeMap<u32, i64>,
}

/// A sync 4.9.8-client producer run; every send must be SEND_OK from broker `name`.
fn produce4(ns: &str, topic: &str, name: &str, b: &Batch) -> Sent {
    let out = run(
        &java_driver(CLIENT, &producer_args(ns, topic, b)),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let acks: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|l| l.get("status").is_some())
        .collect();
    assert_eq!(acks.len(), b.count, "one result per message: {out}");
    let mut sent = Sent {
        ids: Vec::new(),
        per_queue: BTreeMap::new(),
    };
    for a in &acks {
        assert_eq!(a["status"], "SEND_OK", "{a}: {out}");
        assert_eq!(a["broker"], name, "{a}");
        let queue = a["queueId"].as_u64().expect("queueId") as u32;
        *sent.per_queue.entry(queue).or_insert(0) += 1;
        sent.ids
            .push(a["msgId"].as_str().unwrap_or_default().to_string());
    }
    sent
}

/// A 4.9.8-client push consumer of `group` from its committed offsets (from the first message
/// for a new group) through `ClientDriver`, which prints tags, keys and properties; it halts
/// without committing, so it suits only groups whose offsets do not matter.
fn consume4(ns: &str, topic: &str, group: &str, expect: usize) -> Output {
    let c = consumer(&java_driver(
        CLIENT,
        &consumer_args_linger(ns, topic, group, expect, 1_000),
    ));
    c.finish(Duration::from_secs(150))
}

/// `group` (4.9.8 client, `DurableDriver`) receives exactly the messages of `b`, with the msgIds
/// in `ids`, lingers `linger_ms`, then shuts down cleanly, which commits its offsets
/// (UPDATE_CONSUMER_OFFSET, one oneway request per queue).
fn consume_committing(
    ns: &str,
    topic: &str,
    group: &str,
    b: &Batch,
    ids: &[String],
    linger_ms: u64,
) {
    let linger_ms = linger_ms.to_string();
    let args = kv(
        "consume",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", group),
            ("expect", &b.count.to_string()),
            ("linger_ms", &linger_ms),
        ],
    );
    let out =
        consumer(&java_program(CLIENT, "DurableDriver", &args)).finish(Duration::from_secs(150));
    out.assert_ok();
    let msgs: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|m| m.get("body").is_some())
        .collect();
    let got: BTreeSet<&str> = msgs.iter().filter_map(|m| m["body"].as_str()).collect();
    let want: BTreeSet<String> = (0..b.count).map(|i| format!("{}-{i}", b.body)).collect();
    let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
    assert_eq!(
        got, want,
        "group {group} receives exactly {}-*: {out}",
        b.body
    );
    for m in &msgs {
        let id = m["msgId"].as_str().unwrap_or_default();
        assert!(ids.iter().any(|s| s == id), "unknown msgId in {m}");
    }
}

/// `group`'s committed offsets of `topic`'s queues `0..queues` on the broker at `addr`
/// (`QUERY_CONSUMER_OFFSET`; `None` where the broker has none).
fn committed(addr: &str, group: &str, topic: &str, queues: u32) -> Vec<Option<i64>> {
    (0..queues)
        .map(|q| {
            let q = q.to_string();
            let ext = [("consumerGroup", group), ("topic", topic), ("queueId", &q)];
            let reply = wire::request(addr, QUERY_CONSUMER_OFFSET, &ext, Duration::from_secs(10))
                .unwrap_or_else(|e| panic!("QUERY_CONSUMER_OFFSET to {addr}: {e}"));
            (reply.code == wire::response::SUCCESS)
                .then(|| reply.ext_str("offset").and_then(|s| s.parse().ok()))
                .flatten()
        })
        .collect()
}

/// Waits until the broker at `addr` holds `want` as `group`'s offsets of `topic`. The 4.x
/// consumer's last commit, sent as it shuts down, is oneway: it can reach the broker after the
/// driver has exited.
fn assert_committed_eventually(addr: &str, group: &str, topic: &str, want: &[Option<i64>]) {
    let mut last = Vec::new();
    let reached = compat_tests::wait::poll(Duration::from_secs(30), || {
        last = committed(addr, group, topic, want.len() as u32);
        last == want
    });
    assert!(
        reached,
        "{group}'s offsets of {topic} on {addr}: {last:?}, want {want:?}"
    );
}

/// Offsets per queue of `0..queues` after the runs in `sent`.
fn expected_offsets(sent: &[&Sent], queues: u32) -> Vec<Option<i64>> {
    (0..queues)
        .map(|q| Some(sent.iter().filter_map(|s| s.per_queue.get(&q)).sum()))
        .collect()
}

/// The max offset (next queue offset) of `topic` queue `queue` on the broker at `addr`.
fn max_offset(addr: &str, topic: &str, queue: u32) -> i64 {
    let q = queue.to_string();
    let ext = [("topic", topic), ("queueId", q.as_str())];
    let reply = wire::request(addr, GET_MAX_OFFSET, &ext, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("GET_MAX_OFFSET to {addr}: {e}"));
    assert_eq!(
        reply.code,
        wire::response::SUCCESS,
        "{topic}/{queue}: {reply:?}"
    );
    reply
        .ext_str("offset")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no offset in {reply:?}"))
}

/// Messages of `group`'s retry topic and of the delay level 1 queue, on the broker at `addr`.
fn retry_counts(addr: &str, group: &str) -> (i64, i64) {
    (
        max_offset(addr, &format!("%RETRY%{group}"), 0),
        max_offset(addr, SCHEDULE_TOPIC, 0),
    )
}

/// Level 1's delivered offset in `config/delayOffset.json` (bare integer keys, as Java writes).
fn delay_level1_offset(store: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(store.join("config/delayOffset.json")).ok()?;
    let v = wire::parse_fastjson(&text).ok()?;
    v["offsetTable"]["1"].as_i64()
}

/// (readQueueNums, writeQueueNums) of `broker` in `topic`'s route.
fn queue_nums(ns: &str, topic: &str, broker: &str) -> (i64, i64) {
    let route = wire::route(ns, topic)
        .unwrap_or_else(|e| panic!("route {topic}: {e}"))
        .unwrap_or_else(|| panic!("no route for {topic}"));
    let qd = route["queueDatas"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|q| q["brokerName"] == broker)
        .unwrap_or_else(|| panic!("{broker} not in the route of {topic}: {route}"));
    (
        qd["readQueueNums"].as_i64().unwrap_or(-1),
        qd["writeQueueNums"].as_i64().unwrap_or(-1),
    )
}

/// The subscription group `group` from `GET_ALL_SUBSCRIPTIONGROUP_CONFIG` at `addr`.
fn subscription_group(addr: &str, group: &str) -> Value {
    let reply = wire::request(
        addr,
        GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
        &[],
        Duration::from_secs(10),
    )
    .unwrap_or_else(|e| panic!("GET_ALL_SUBSCRIPTIONGROUP_CONFIG to {addr}: {e}"));
    assert_eq!(reply.code, wire::response::SUCCESS, "{reply:?}");
    let body = wire::parse_fastjson(&String::from_utf8_lossy(&reply.body)).expect("group table");
    body["subscriptionGroupTable"][group].clone()
}

/// The settings `updateSubGroup` gave the group survive on the broker at `addr`.
fn assert_group_settings(addr: &str, group: &str) {
    let g = subscription_group(addr, group);
    assert_eq!(g["groupName"], group, "{addr}: {g}");
    assert_eq!(g["retryMaxTimes"], 7, "{addr}: {g}");
    assert_eq!(g["retryQueueNums"], 2, "{addr}: {g}");
    assert_eq!(g["consumeBroadcastEnable"], false, "{addr}: {g}");
}

/// Every msgId in `ids` is listed by `mqadmin queryMsgByKey -t topic -k key`.
fn assert_query_by_key(ns: &str, topic: &str, key: &str, ids: &[String]) {
    let out = mqadmin(ns, &["queryMsgByKey", "-t", topic, "-k", key]);
    for id in ids {
        assert!(out.stdout.contains(id.as_str()), "{id} by key {key}: {out}");
    }
}

/// Messages the retry group answers RECONSUME_LATER once.
const RETRIED: i64 = 3;

fn sync_batch(body: &'static str, count: usize) -> Batch {
    Batch {
        body,
        count,
        mode: "sync",
    }
}

/// A Java 4.x broker writes a store (two topics created with mqadmin, a subscription group,
/// messages with tags, keys and properties, a group's committed offsets); ours takes it over
/// after a SIGTERM and serves routes, the group, offsets, key queries and all messages, then
/// appends; the Java 4.x broker takes the store back and serves what ours wrote.
#[test]
fn java4_store_taken_over_and_back() {
    let _s = compat_tests::scenario::heavy(400);
    require_setup();
    let namesrv = Namesrv::start(NsKind::Ours);
    let ns = namesrv.addr.clone();
    let store = work_dir("takeover4").join("store");
    let name = "broker-t4";
    let (topic, wide) = (unique("t4"), unique("t4w"));
    let (group, sub) = (unique("t4g"), unique("t4s"));
    // Batch is not Clone: each check gets its own copy of a run's description.
    let a = || sync_batch("java4a", 10);
    let b = || sync_batch("java4b", 6);
    let c = || sync_batch("ours4c", 5);

    // 1. The Java 4.x broker writes the store.
    let java = start_java4(&ns, name, &store);
    let _logs = LogDump(vec![&java.server, &namesrv.server]);
    update_topic(&ns, CLUSTER, &topic, 4);
    update_topic(&ns, CLUSTER, &wide, 6);
    let up = mqadmin(
        &ns,
        &[
            "updateSubGroup",
            "-b",
            &java.addr,
            "-g",
            &sub,
            "-r",
            "7",
            "-q",
            "2",
            "-d",
            "false",
        ],
    );
    assert!(up.stdout.contains("success"), "updateSubGroup: {up}");
    assert_group_settings(&java.addr, &sub);
    let sent_a = produce4(&ns, &topic, name, &a());
    // A new group on the Java broker: its ConsumerOffsetManager.commitOffset creates the group's
    // offset map by get-then-put, and can lose one of the first commits when they are handled
    // together. Lingering 16 s takes two periodic persists (10 s and 15 s after the start)
    // before the one at shutdown, the later ones into an existing map.
    consume_committing(&ns, &topic, &group, &a(), &sent_a.ids, 16_000);
    let sent_b = produce4(&ns, &topic, name, &b());
    // Consume retry: each first delivery answered RECONSUME_LATER goes back through delay level 1
    // (SCHEDULE_TOPIC_XXXX queue 0, progress in delayOffset.json) into %RETRY%<group>.
    produce4(&ns, &wide, name, &sync_batch("java4r", RETRIED as usize));
    let retry_group = unique("t4r");
    let expect = RETRIED.to_string();
    let pairs = [
        ("ns", ns.as_str()),
        ("topic", wide.as_str()),
        ("group", retry_group.as_str()),
        ("expect", expect.as_str()),
    ];
    run(
        &broker_driver(CLIENT, &kv("retry", &pairs)),
        Duration::from_secs(150),
    )
    .assert_ok();
    assert_eq!(retry_counts(&java.addr, &retry_group), (RETRIED, RETRIED));
    let after_a = expected_offsets(&[&sent_a], 4);
    assert_committed_eventually(&java.addr, &group, &topic, &after_a);
    java.server.stop();
    assert!(
        !store.join("abort").exists(),
        "the Java broker stopped cleanly"
    );
    assert_eq!(
        delay_level1_offset(&store),
        Some(RETRIED),
        "Java's delayOffset.json"
    );

    // 2. Ours takes the store over.
    let (ours, addr) = start_ours_broker_with(&ns, name, &store, CLUSTER, &[TIMER_WHEEL]);
    let _logs = LogDump(vec![&ours]);
    assert_eq!(queue_nums(&ns, &topic, name), (4, 4));
    assert_eq!(queue_nums(&ns, &wide, name), (6, 6));
    assert_group_settings(&addr, &sub);
    assert_eq!(
        committed(&addr, &group, &topic, 4),
        after_a,
        "offsets in ours"
    );
    assert_query_by_key(&ns, &topic, "key_java4a", &sent_a.ids);
    let all_ab: Vec<String> = sent_a.ids.iter().chain(&sent_b.ids).cloned().collect();
    let everyone = unique("t4all");
    check_received(
        &consume4(&ns, &topic, &everyone, a().count + b().count),
        &[a(), b()],
        &all_ab,
    );
    // the group resumes where it stopped on the Java broker: exactly the unconsumed rest
    consume_committing(&ns, &topic, &group, &b(), &sent_b.ids, 1_500);
    let after_b = expected_offsets(&[&sent_a, &sent_b], 4);
    assert_committed_eventually(&addr, &group, &topic, &after_b);
    let sent_c = produce4(&ns, &topic, name, &c());
    // Ours resumed delay level 1 where Java left it: nothing delivered twice into the retry topic
    // (its delivery task has long run: the level's units were due 1 s after they were stored).
    assert_eq!(retry_counts(&addr, &retry_group), (RETRIED, RETRIED));
    ours.stop();
    assert!(!store.join("abort").exists(), "ours stopped cleanly");
    assert_eq!(
        delay_level1_offset(&store),
        Some(RETRIED),
        "our delayOffset.json"
    );

    // 3. The Java 4.x broker takes the store back.
    let java = start_java4(&ns, name, &store);
    let _logs = LogDump(vec![&java.server]);
    assert_eq!(queue_nums(&ns, &topic, name), (4, 4));
    assert_eq!(queue_nums(&ns, &wide, name), (6, 6));
    assert_group_settings(&java.addr, &sub);
    assert_eq!(retry_counts(&java.addr, &retry_group), (RETRIED, RETRIED));
    assert_eq!(
        committed(&java.addr, &group, &topic, 4),
        after_b,
        "offsets ours wrote"
    );
    assert_query_by_key(&ns, &topic, "key_ours4c", &sent_c.ids);
    consume_committing(&ns, &topic, &group, &c(), &sent_c.ids, 1_500);
    let all: Vec<String> = all_ab.iter().chain(&sent_c.ids).cloned().collect();
    let total = a().count + b().count + c().count;
    check_received(
        &consume4(&ns, &topic, &unique("t4back"), total),
        &[a(), b(), c()],
        &all,
    );
    java.server.stop();
}

/// Messages a SIGKILLed Java 4.x broker must still have: the ones it acknowledged.
const ACKED_BEFORE_KILL: u64 = 200;

/// A Java 4.x broker is SIGKILLed while a 4.9.8 producer sends synchronously (ASYNC_FLUSH, the
/// default: acknowledged records are in the page cache, the checkpoint lags); ours starts on the
/// store with its `abort` file, recovers, and a new group receives every acknowledged message.
#[test]
fn java4_killed_store_recovers_in_ours() {
    let _s = compat_tests::scenario::heavy(300);
    require_setup();
    let namesrv = Namesrv::start(NsKind::Ours);
    let ns = namesrv.addr.clone();
    let store = work_dir("takeover4-kill").join("store");
    let name = "broker-k4";
    let topic = unique("k4");
    let java = start_java4(&ns, name, &store);
    let _logs = LogDump(vec![&java.server, &namesrv.server]);
    update_topic(&ns, CLUSTER, &topic, 4);
    let args = kv(
        "stream",
        &[
            ("ns", ns.as_str()),
            ("topic", topic.as_str()),
            ("group", &unique("k4p")),
            ("count", "1000000"),
            ("body", "acked"),
        ],
    );
    let mut producer = Background::spawn(
        &java_program(CLIENT, "DurableDriver", &args),
        Duration::from_secs(240),
    );
    let enough = producer.wait_json(Duration::from_secs(120), |v| {
        v["status"] == "SEND_OK" && v["i"].as_u64() >= Some(ACKED_BEFORE_KILL)
    });
    assert!(
        enough.is_some(),
        "producer too slow:\n{}",
        producer.stdout()
    );
    java.server.kill();
    // Whatever the producer printed as SEND_OK was acknowledged before the kill.
    let sent = producer.finish(Duration::from_secs(1));
    let acked = acked_bodies(&sent);
    assert!(acked.len() as u64 > ACKED_BEFORE_KILL, "{sent}");
    assert!(store.join("abort").exists(), "a killed broker leaves abort");

    let (ours, _) = start_ours_broker_with(&ns, name, &store, CLUSTER, &[TIMER_WHEEL]);
    let _logs = LogDump(vec![&ours]);
    let need = work_dir("takeover4-acked").join("acked.txt");
    std::fs::write(&need, acked.join("\n")).expect("write acked bodies");
    let group = unique("k4g");
    let need_arg = need.display().to_string();
    let args = kv(
        "consume",
        &[
            ("ns", ns.as_str()),
            ("topic", topic.as_str()),
            ("group", group.as_str()),
            ("need_file", need_arg.as_str()),
            ("linger_ms", "500"),
        ],
    );
    let c = consumer(&java_program(CLIENT, "DurableDriver", &args));
    let out = c.finish(Duration::from_secs(170));
    assert_none_lost(&acked, &out);
    out.assert_ok();
}
