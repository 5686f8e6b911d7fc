//! Clients routed through the NameServer under test to the Java broker: the Java client 5.3.3
//! and 4.9.8, the Go client, and NameServer failover.

use std::collections::BTreeSet;
use std::time::Duration;

use compat_tests::process::{run, Background, Cmd, Output};
use compat_tests::servers::NsKind;
use compat_tests::tools::{go_driver_cmd, java_driver, kv, JavaClient};
use compat_tests::wire;
use compat_tests::world::{world, BROKER};
use serde_json::Value;

use crate::common::{create_topic, unique, wait_route};

const PRODUCE_TIMEOUT: Duration = Duration::from_secs(120);
const QUEUES: u32 = 4;

/// One batch of messages a producer sends, and what the consumer must then see.
struct Batch {
    body: String,
    count: usize,
    mode: &'static str,
}

impl Batch {
    fn new(body: &str, count: usize, mode: &'static str) -> Self {
        Batch {
            body: body.to_string(),
            count,
            mode,
        }
    }

    fn args(&self, ns: &str, topic: &str) -> Vec<String> {
        let count = self.count.to_string();
        kv(
            "produce",
            &[
                ("ns", ns),
                ("topic", topic),
                ("group", &format!("{}_pg", self.body)),
                ("count", &count),
                ("mode", self.mode),
                ("body", &self.body),
                ("tag", "TagA"),
                ("keys", &format!("key_{}", self.body)),
                ("prop.origin", &self.body),
            ],
        )
    }

    fn bodies(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.count).map(|i| format!("{}-{i}", self.body))
    }
}

/// Runs a producer driver and checks every send result; returns the msgIds.
fn produce(cmd: &Cmd, batch: &Batch) -> Vec<String> {
    let out = run(cmd, PRODUCE_TIMEOUT);
    out.assert_ok();
    let results: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|v| v.get("status").is_some())
        .collect();
    assert_eq!(
        results.len(),
        batch.count,
        "one send result per message expected: {out}"
    );
    let mut ids = Vec::new();
    for r in &results {
        assert_eq!(r["status"], "SEND_OK", "send result {r}: {out}");
        assert_eq!(r["broker"], BROKER, "routed to the wrong broker: {r}");
        assert!(
            r["queueId"].as_u64().is_some_and(|q| q < u64::from(QUEUES)),
            "queueId out of range: {r}"
        );
        assert!(
            r["offsetMsgId"].as_str().is_some_and(|s| s.len() == 32),
            "offsetMsgId: {r}"
        );
        ids.push(r["msgId"].as_str().unwrap_or_default().to_string());
    }
    ids
}

fn consumer_args(ns: &str, topic: &str, group: &str, expect: usize) -> Vec<String> {
    kv(
        "consume",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", group),
            ("expect", &expect.to_string()),
            ("timeout_ms", "120000"),
        ],
    )
}

fn start_consumer(cmd: &Cmd) -> Background {
    let mut consumer = Background::spawn(cmd, Duration::from_secs(180));
    let ready = consumer.wait_json(Duration::from_secs(60), |v| {
        v.get("ready").is_some() || v.get("error").is_some()
    });
    assert!(
        ready.as_ref().is_some_and(|v| v["ready"] == true),
        "consumer did not start: {ready:?}\n{}",
        consumer.stdout()
    );
    consumer
}

/// Checks that the consumer got exactly the batches' messages, with their tag, keys and property.
fn check_received(out: &Output, batches: &[Batch], sent_ids: &[String]) {
    out.assert_ok();
    let msgs: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|v| v.get("body").is_some())
        .collect();
    let got: BTreeSet<String> = msgs
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_string))
        .collect();
    let want: BTreeSet<String> = batches.iter().flat_map(Batch::bodies).collect();
    assert_eq!(
        got, want,
        "received bodies differ from the sent ones\n{out}"
    );
    let sent: BTreeSet<&str> = sent_ids.iter().map(String::as_str).collect();
    for m in &msgs {
        let body = m["body"].as_str().unwrap_or_default();
        let origin = body.rsplit_once('-').map(|(o, _)| o).unwrap_or_default();
        assert_eq!(m["tags"], "TagA", "tag of {m}");
        assert_eq!(m["keys"], format!("key_{origin}"), "keys of {m}");
        assert_eq!(m["props"]["origin"], origin, "user property of {m}");
        let id = m["msgId"].as_str().unwrap_or_default();
        assert!(
            sent.is_empty() || sent.contains(id),
            "msgId {id} was never returned by a send"
        );
    }
}

/// A Java 5.3.3 push consumer receives what Java 5.3.3 and 4.9.8 producers send, every client
/// finding the broker through the NameServer under test.
pub fn java_clients(kind: NsKind) {
    let w = world();
    let _dump = w.dump_on_failure();
    let _perm = w.read_perm();
    let ns = &w.ns(kind).addr;
    let (topic, group) = (unique("java"), unique("cg"));
    create_topic(ns, &topic, QUEUES);
    let batches = [
        Batch::new("j5sync", 10, "sync"),
        Batch::new("j4sync", 10, "sync"),
        Batch::new("j5async", 5, "async"),
    ];
    let expect = batches.iter().map(|b| b.count).sum();
    let consumer = start_consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(ns, &topic, &group, expect),
    ));
    let mut ids = produce(
        &java_driver(JavaClient::V5_3_3, &batches[0].args(ns, &topic)),
        &batches[0],
    );
    ids.extend(produce(
        &java_driver(JavaClient::V4_9_8, &batches[1].args(ns, &topic)),
        &batches[1],
    ));
    ids.extend(produce(
        &java_driver(JavaClient::V5_3_3, &batches[2].args(ns, &topic)),
        &batches[2],
    ));
    check_received(&consumer.finish(Duration::from_secs(150)), &batches, &ids);
}

/// The Go producer (sync and async) and the Go push consumer, through the NameServer under test.
pub fn go_clients(kind: NsKind) {
    let w = world();
    let _dump = w.dump_on_failure();
    let _perm = w.read_perm();
    let ns = &w.ns(kind).addr;
    let (topic, group) = (unique("go"), unique("cg"));
    create_topic(ns, &topic, QUEUES);
    let batches = [
        Batch::new("gosync", 10, "sync"),
        Batch::new("goasync", 5, "async"),
    ];
    let consumer = start_consumer(&go_driver_cmd(&consumer_args(ns, &topic, &group, 15)));
    let mut ids = produce(&go_driver_cmd(&batches[0].args(ns, &topic)), &batches[0]);
    ids.extend(produce(
        &go_driver_cmd(&batches[1].args(ns, &topic)),
        &batches[1],
    ));
    check_received(&consumer.finish(Duration::from_secs(150)), &batches, &ids);
}

/// The broker is registered with two NameServers; clients given both (a Java 4.9.8 push consumer,
/// Java 5.3.3, Java 4.9.8 and Go producers) keep working after one of them is killed (SIGKILL),
/// whichever one they had picked.
pub fn namesrv_failover(kind: NsKind) {
    let w = world();
    let _dump = w.dump_on_failure();
    let _perm = w.read_perm();
    let (primary, spare) = (w.ns(kind), w.spare(kind));
    let both = format!("{};{}", primary.addr, spare.addr);
    let (topic, group) = (unique("failover"), unique("cg"));
    create_topic(&primary.addr, &topic, QUEUES);
    wait_route(&spare.addr, &topic);
    let batches = [
        Batch::new("before", 10, "sync"),
        Batch::new("afterj4", 10, "sync"),
        Batch::new("aftergo", 10, "sync"),
    ];
    let consumer = start_consumer(&java_driver(
        JavaClient::V4_9_8,
        &consumer_args(&both, &topic, &group, 30),
    ));
    let mut ids = produce(
        &java_driver(JavaClient::V5_3_3, &batches[0].args(&both, &topic)),
        &batches[0],
    );

    spare.server.kill();
    assert!(
        !wire::port_open(&spare.addr),
        "the killed NameServer still accepts connections"
    );
    ids.extend(produce(
        &java_driver(JavaClient::V4_9_8, &batches[1].args(&both, &topic)),
        &batches[1],
    ));
    ids.extend(produce(
        &go_driver_cmd(&batches[2].args(&both, &topic)),
        &batches[2],
    ));
    check_received(&consumer.finish(Duration::from_secs(150)), &batches, &ids);
    assert!(
        wire::route(&primary.addr, &topic).is_ok_and(|r| r.is_some()),
        "the surviving NameServer lost the route"
    );
}
