//! Store directory compatibility with the Java broker 5.3.3, in both directions, on one store:
//!
//! 1. a Java broker stores messages from the Java producer, then stops (SIGTERM);
//! 2. our `store` crate opens that directory in place: every message is there, byte-valid, with
//!    the tags code, key index and offset msgIds the Java side produced; it appends its own
//!    messages to the same queues and shuts down;
//! 3. the Java broker starts again on the same directory and a Java push consumer receives the
//!    Java-written and the Thrust-written messages alike;
//! 4. the Java broker is SIGKILLed while the Java producer sends, and our store recovers the
//!    crashed directory (abnormal path) with every message acknowledged SEND_OK.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use compat_tests::env::{require_setup, work_dir};
use compat_tests::process::{run, Background};
use compat_tests::servers::{BrokerSpec, JavaBroker, Namesrv, NsKind};
use compat_tests::tools::{java_driver, kv, mqadmin, JavaClient};
use serde_json::Value;
use store::message::decode_offset_msg_id;
use store::{java_hash, GetRequest, NewMessage, Store, StoreConfig, StoredMessage};

const TOPIC: &str = "StoreCompatTopic";
const JAVA_COUNT: usize = 40;
const OURS_COUNT: usize = 12;

fn broker_spec(ns: &str, root: &Path) -> BrokerSpec {
    // Later keys win in a Java properties file: point the broker at our store root.
    BrokerSpec::new("StoreCluster", "broker-store", &[ns]).on_store(root)
}

/// Same geometry as the harness's broker.conf (64 MiB commitlog segments, Java defaults else).
fn store_config(root: &Path) -> StoreConfig {
    let mut cfg = StoreConfig::new(root);
    cfg.mapped_file_size_commit_log = 64 * 1024 * 1024;
    cfg
}

/// Every record of every queue of `TOPIC`, CRC-valid by construction of `Store::get`.
fn read_topic(store: &Store) -> Vec<StoredMessage> {
    let mut out = Vec::new();
    for (topic, q) in store.queues() {
        if topic != TOPIC {
            continue;
        }
        let mut off = store.min_offset(TOPIC, q);
        while off < store.max_offset(TOPIC, q) {
            let req = GetRequest {
                topic: TOPIC,
                queue_id: q,
                offset: off,
                max_count: 32,
                max_bytes: 1 << 20,
            };
            let g = store.get(&req, None);
            assert!(
                !g.messages.is_empty(),
                "queue {q} offset {off}: {:?}",
                g.status
            );
            out.extend(g.messages.iter().map(|b| StoredMessage::decode(b).unwrap()));
            off = g.next_begin_offset;
        }
    }
    out
}

fn produce_java(ns: &str) -> Vec<Value> {
    let args = kv(
        "produce",
        &[
            ("ns", ns),
            ("topic", TOPIC),
            ("group", "pg_store"),
            ("count", "40"),
            ("tag", "TagA"),
            ("keys", "jk1 jk2"),
            ("body", "java"),
        ],
    );
    let out = run(
        &java_driver(JavaClient::V5_3_3, &args),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let sent: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|v| v.get("status").is_some())
        .collect();
    assert_eq!(sent.len(), JAVA_COUNT, "{out}");
    sent
}

/// Step 2: our store on the Java-written directory.
fn ours_reads_and_appends(root: &Path, sent: &[Value], store_host: &str) {
    let store = Store::open(store_config(root)).unwrap();
    let msgs = read_topic(&store);
    let bodies: BTreeSet<String> = msgs
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    let want: BTreeSet<String> = (0..JAVA_COUNT).map(|i| format!("java-{i}")).collect();
    assert_eq!(bodies, want);
    for m in &msgs {
        assert!(m.properties.contains("TAGS\u{1}TagA"), "{:?}", m.properties);
        let unit = store.unit(TOPIC, m.queue_id, m.queue_offset).unwrap();
        assert_eq!(
            unit.tags_code,
            i64::from(java_hash("TagA")),
            "Java's CQ tags code"
        );
        assert_eq!(unit.physical_offset, m.physical_offset);
    }
    for s in sent {
        let (_, phys) = decode_offset_msg_id(s["offsetMsgId"].as_str().unwrap()).unwrap();
        let rec = StoredMessage::decode(&store.read_record(phys).unwrap()).unwrap();
        assert_eq!(rec.queue_offset, s["queueOffset"].as_i64().unwrap());
    }
    // Java's index may hold an entry twice (its re-dispatch skip is `offset < endPhyOffset`),
    // and only hashes are compared: callers filter, as the Java client does.
    let q = store.query_offsets(TOPIC, "jk2", 64, 0, i64::MAX);
    let found: BTreeSet<i64> = q.offsets.iter().copied().collect();
    let all: BTreeSet<i64> = msgs.iter().map(|m| m.physical_offset).collect();
    assert_eq!(found, all, "Java's index finds every key");

    let queues: Vec<i32> = store
        .queues()
        .into_iter()
        .filter(|(t, _)| t == TOPIC)
        .map(|(_, q)| q)
        .collect();
    for i in 0..OURS_COUNT {
        let q = queues[i % queues.len()];
        let before = store.max_offset(TOPIC, q);
        let uniq = format!("7F000001{:024X}", 0xABCD_0000 + i);
        let props = format!(
            "TAGS\u{1}TagB\u{2}KEYS\u{1}ok{i}\u{2}UNIQ_KEY\u{1}{uniq}\u{2}WAIT\u{1}true\u{2}"
        );
        let r = store
            .put(NewMessage {
                topic: TOPIC.into(),
                queue_id: q,
                flag: 0,
                body: Bytes::from(format!("ours-{i}")),
                properties: props,
                sys_flag: 0,
                born_timestamp: store::layout::now_ms(),
                born_host: "127.0.0.1:40000".parse().unwrap(),
                store_host: store_host.parse().unwrap(),
                reconsume_times: 0,
                prepared_transaction_offset: 0,
            })
            .unwrap();
        assert_eq!(
            r.first().queue_offset,
            before,
            "offsets continue Java's numbering"
        );
    }
    store.shutdown().unwrap();
}

fn consume_java(ns: &str, expect: usize) -> Vec<Value> {
    let expect_s = expect.to_string();
    let args = kv(
        "consume",
        &[
            ("ns", ns),
            ("topic", TOPIC),
            ("group", "cg_store"),
            ("expect", expect_s.as_str()),
            ("timeout_ms", "90000"),
        ],
    );
    let consumer = Background::spawn(
        &java_driver(JavaClient::V5_3_3, &args),
        Duration::from_secs(150),
    );
    let out = consumer.finish(Duration::from_secs(150));
    out.assert_ok();
    out.json_lines()
        .into_iter()
        .filter(|v| v.get("body").is_some())
        .collect()
}

/// SIGKILL the Java broker while the Java producer sends; returns (body, physical offset) of
/// every message acknowledged SEND_OK before the kill.
fn kill_during_production(ns: &str, broker: &JavaBroker) -> Vec<(String, i64)> {
    let args = kv(
        "produce",
        &[
            ("ns", ns),
            ("topic", TOPIC),
            ("group", "pg_crash"),
            ("count", "5000"),
            ("body", "crash"),
            ("send_timeout_ms", "2000"),
        ],
    );
    let mut producer = Background::spawn(
        &java_driver(JavaClient::V5_3_3, &args),
        Duration::from_secs(120),
    );
    let started = producer.wait_json(Duration::from_secs(60), |v| {
        v["i"].as_u64().is_some_and(|i| i >= 200)
    });
    assert!(
        started.is_some(),
        "producer made no progress: {}",
        producer.stdout()
    );
    broker.server.kill();
    let out = producer.finish(Duration::from_secs(3));
    let acked: Vec<(String, i64)> = out
        .json_lines()
        .into_iter()
        .filter(|v| v["status"] == "SEND_OK")
        .map(|v| {
            let (_, phys) = decode_offset_msg_id(v["offsetMsgId"].as_str().unwrap()).unwrap();
            (format!("crash-{}", v["i"]), phys)
        })
        .collect();
    assert!(acked.len() >= 200, "{out}");
    acked
}

#[test]
fn java_store_taken_over_and_handed_back() {
    let _s = compat_tests::scenario::heavy(400);
    require_setup();
    let ns = Namesrv::start(NsKind::Java);
    let root = work_dir("store-java").join("store");
    let broker = JavaBroker::start(broker_spec(&ns.addr, &root));
    broker.wait_registered(&ns.addr, Duration::from_secs(60));
    let sent = produce_java(&ns.addr);
    let store_host = broker.addr.clone();
    broker.server.stop();
    assert!(!root.join("abort").exists(), "Java shut down cleanly");

    ours_reads_and_appends(&root, &sent, &store_host);
    assert!(!root.join("abort").exists(), "ours shut down cleanly");

    let broker = JavaBroker::start(broker_spec(&ns.addr, &root));
    broker.wait_registered(&ns.addr, Duration::from_secs(60));
    let got = consume_java(&ns.addr, JAVA_COUNT + OURS_COUNT);
    let bodies: BTreeSet<String> = got
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_string))
        .collect();
    let mut want: BTreeSet<String> = (0..JAVA_COUNT).map(|i| format!("java-{i}")).collect();
    want.extend((0..OURS_COUNT).map(|i| format!("ours-{i}")));
    assert_eq!(
        bodies, want,
        "Java consumer through the Java broker reads both writers' messages"
    );
    for m in got
        .iter()
        .filter(|m| m["body"].as_str().is_some_and(|b| b.starts_with("ours-")))
    {
        assert_eq!(m["tags"], "TagB", "{m}");
        let i = m["body"].as_str().unwrap().trim_start_matches("ours-");
        assert_eq!(m["keys"], format!("ok{i}"), "{m}");
    }

    // Java's QUERY_MESSAGE finds the keys our store put into its index file.
    let out = mqadmin(&ns.addr, &["queryMsgByKey", "-t", TOPIC, "-k", "ok3"]);
    let uniq3 = format!("7F000001{:024X}", 0xABCD_0000_usize + 3);
    assert!(
        out.stdout.contains(&uniq3),
        "queryMsgByKey ok3 through the Java broker: {out}"
    );

    let acked = kill_during_production(&ns.addr, &broker);
    assert!(
        root.join("abort").exists(),
        "a killed Java broker leaves abort"
    );
    let store = Store::open(store_config(&root)).unwrap();
    assert!(read_topic(&store).len() >= JAVA_COUNT + OURS_COUNT + acked.len());
    for (body, phys) in &acked {
        let rec = store
            .read_record(*phys)
            .expect("acknowledged message kept by recovery");
        assert_eq!(
            &StoredMessage::decode(&rec).unwrap().body[..],
            body.as_bytes()
        );
    }
    store.shutdown().unwrap();
}
