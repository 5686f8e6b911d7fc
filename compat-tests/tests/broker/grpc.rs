//! The RocketMQ 5.x gRPC SDK (rocketmq-client-java 5.0.8) against two gRPC endpoints: Java's
//! proxy 5.3.3 in cluster mode in front of each shared stack, which turns every gRPC call into
//! remoting requests to the NameServer and the broker (SEND_MESSAGE, POP_MESSAGE, ACK_MESSAGE,
//! CHANGE_MESSAGE_INVISIBLETIME, the transaction check-back, ...), and Thrust's own endpoint
//! (`mqbroker --enable-proxy`), with no Java server at all.
//!
//! ```text
//!   GrpcDriver ──gRPC──▶ ProxyStartup -pm cluster ──remoting──▶ NameServer + broker (stack)
//!   GrpcDriver ──gRPC──▶ Thrust mqbroker --enable-proxy (its own NameServer)
//!   ClientDriver (remoting) ─────────────────────────────────▶ %DLQ%<group>
//! ```
//!
//! One scenario per endpoint and broker kind, its steps sharing one endpoint: one producer sends
//! every message type (normal, FIFO, delay, transaction) to topics of that type, then five
//! consumers run at once, each in its own group: a SimpleConsumer that receives and acks the
//! normal, delay and committed transactional messages; one in a FIFO group
//! (`consumeMessageOrderly`); one that changes a message's invisible duration and lets it come
//! back twice; one that never acks, in a group with `retryMaxTimes` 1, until the messages reach
//! `%DLQ%<group>` (read back by the remoting client); and a PushConsumer. Before them, a second
//! producer sends delay messages and recalls two by their receipts' recall handles; a sixth
//! consumer receives only the other two.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::ports::free_port;
use compat_tests::process::{run, Background, Cmd, LogDump, Output};
use compat_tests::servers::{Namesrv, NsKind, Proxy};
use compat_tests::tools::{grpc_driver, java_driver, kv, mqadmin, update_topic_with, JavaClient};
use compat_tests::traffic::bodies;
use compat_tests::wire;
use serde_json::Value;

use super::common::*;

/// Messages per kind.
pub(super) const COUNT: usize = 6;

/// How far ahead the delay messages' delivery timestamp is.
const DELAY_MS: i64 = 4000;

/// The proxy refuses a receive with an invisible duration under 10 s by default; the retry
/// steps use 2 s so that they take seconds, not minutes.
pub(super) const PROXY_KEYS: &[(&str, &str)] = &[("minInvisibleTimeMillsForRecv", "1000")];

pub(super) struct Topics {
    pub(super) normal: String,
    pub(super) fifo: String,
    pub(super) delay: String,
    pub(super) tx: String,
}

/// A topic of `message.type` `ty` (the proxy refuses a message whose type differs from its
/// topic's), through mqadmin, routed by the NameServer.
pub(super) fn typed_topic(s: &Stack, prefix: &str, ty: &str) -> String {
    let topic = unique(prefix);
    let attr = format!("+message.type={ty}");
    update_topic_with(s.ns(), CLUSTER, &topic, QUEUES, &["-a", &attr]);
    topic
}

/// A subscription group with more `mqadmin updateSubGroup` options.
pub(super) fn sub_group(s: &Stack, prefix: &str, options: &[&str]) -> String {
    let group = unique(prefix);
    let mut args = vec!["updateSubGroup", "-c", CLUSTER, "-g", &group];
    args.extend_from_slice(options);
    let out = mqadmin(s.ns(), &args);
    assert!(
        out.stdout.contains("success."),
        "updateSubGroup failed: {out}"
    );
    group
}

pub(super) fn lines_with<'a>(lines: &'a [Value], key: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l.get(key).is_some()).collect()
}

/// Every message line carries its kind's tag, keys and user property, a msgId a send
/// returned, and (unless `retried`) its first delivery attempt.
pub(super) fn check_messages(msgs: &[&Value], sent: &BTreeMap<String, String>, out: &Output) {
    for m in msgs {
        let body = m["body"].as_str().unwrap_or_default();
        let kind = body.rsplit_once('-').map(|(k, _)| k).unwrap_or_default();
        assert_eq!(m["tags"], "TagA", "tag of {m}\n{out}");
        assert_eq!(m["keys"], format!("key_{kind}"), "keys of {m}\n{out}");
        assert_eq!(m["props"]["origin"], kind, "user property of {m}\n{out}");
        assert_eq!(
            sent.get(body).map(String::as_str),
            m["msgId"].as_str(),
            "msgId of {m} is the one its send returned\n{out}"
        );
    }
}

/// The producer step on `driver` (the Java SDK's or another SDK's, with the same arguments and
/// JSON lines): every kind sent, the open transactions checked back and committed. Returns the
/// msgId each body was sent with.
pub(super) fn produce(
    driver: fn(&[String]) -> Cmd,
    ep: &str,
    t: &Topics,
) -> BTreeMap<String, String> {
    let count = COUNT.to_string();
    let delay = DELAY_MS.to_string();
    let args = kv(
        "produce",
        &[
            ("ep", ep),
            ("count", &count),
            ("normal", &t.normal),
            ("fifo", &t.fifo),
            ("delay", &t.delay),
            ("tx", &t.tx),
            ("delay_ms", &delay),
        ],
    );
    let out = run(&driver(&args), Duration::from_secs(180));
    let sent = receipts(&out, 4 * COUNT);
    let lines = out.json_lines();
    let checked: BTreeSet<&str> = lines.iter().filter_map(|l| l["check"].as_str()).collect();
    assert_eq!(
        checked,
        BTreeSet::from(["tx-2", "tx-5"]),
        "the checker is asked about the open transactions only\n{out}"
    );
    sent
}

/// A producer driver's receipts, body to msgId: it exited 0 with `count` SEND_OK results, each
/// with a msgId.
pub(super) fn receipts(out: &Output, count: usize) -> BTreeMap<String, String> {
    out.assert_ok();
    let lines = out.json_lines();
    let sent: BTreeMap<String, String> = lines_with(&lines, "status")
        .iter()
        .map(|l| {
            assert_eq!(l["status"], "SEND_OK", "{l}\n{out}");
            let id = l["msgId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "a msgId in {l}");
            (
                l["body"].as_str().unwrap_or_default().to_string(),
                id.to_string(),
            )
        })
        .collect();
    assert_eq!(sent.len(), count, "one receipt per message\n{out}");
    sent
}

/// `kind-i` for every i in `range`.
pub(super) fn named(kind: &str, range: impl Iterator<Item = usize>) -> Vec<String> {
    range.map(|i| format!("{kind}-{i}")).collect()
}

/// Receive and ack: exactly the normal, delay and committed transactional messages, each once,
/// none of the delay messages before its delivery timestamp (the broker's timer has a
/// precision of one second).
pub(super) fn check_receive(out: &Output, sent: &BTreeMap<String, String>) {
    out.assert_ok();
    let lines = out.json_lines();
    let msgs = lines_with(&lines, "body");
    check_messages(&msgs, sent, out);
    let mut want = named("normal", 0..COUNT);
    want.extend(named("delay", 0..COUNT));
    want.extend(named("tx", (0..COUNT).filter(|i| i % 3 != 1)));
    let mut got = bodies(&lines);
    got.sort();
    want.sort();
    assert_eq!(
        got, want,
        "each message received once, no rolled-back one\n{out}"
    );
    for m in &msgs {
        assert_eq!(m["attempt"], 1, "first delivery of {m}");
        let delayed = m["body"].as_str().is_some_and(|b| b.starts_with("delay-"));
        let at = m["deliverAt"].as_i64();
        assert_eq!(at.is_some(), delayed, "delivery timestamp of {m}");
        if let Some(at) = at {
            let recv = m["recvMs"].as_i64().unwrap_or_default();
            assert!(recv + 1000 >= at, "{m} received before its delivery time");
        }
    }
}

/// A FIFO group receives each message group's messages in the order they were sent.
pub(super) fn check_fifo(out: &Output, sent: &BTreeMap<String, String>) {
    out.assert_ok();
    let lines = out.json_lines();
    let msgs = lines_with(&lines, "body");
    check_messages(&msgs, sent, out);
    let mut per_group: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for m in &msgs {
        let body = m["body"].as_str().unwrap_or_default();
        let i: usize = body
            .rsplit_once('-')
            .and_then(|(_, i)| i.parse().ok())
            .unwrap_or(usize::MAX);
        let group = m["group"].as_str().unwrap_or_default().to_string();
        assert_eq!(group, format!("g{}", i % 2), "message group of {m}");
        per_group.entry(group).or_default().push(i);
    }
    let want: BTreeMap<String, Vec<usize>> = (0..2)
        .map(|g| (format!("g{g}"), (g..COUNT).step_by(2).collect()))
        .collect();
    assert_eq!(per_group, want, "in order within each message group\n{out}");
}

/// changeInvisibleDuration brings the message back long before the invisible time it was
/// received with, as delivery attempt 2; not acked, it comes back after its invisible time as
/// attempt 3; acked, it stays gone.
pub(super) fn check_invisible(out: &Output) {
    out.assert_ok();
    let lines = out.json_lines();
    let step = |name: &str| {
        lines
            .iter()
            .find(|l| l["step"] == name)
            .unwrap_or_else(|| panic!("no {name} step\n{out}"))
    };
    assert_eq!(step("received")["attempt"], 1, "{out}");
    let again = step("redelivered");
    assert_eq!(again["attempt"], 2, "{out}");
    assert!(
        again["afterMs"].as_i64().is_some_and(|ms| ms < 20_000),
        "back well before the 30 s it was received for\n{out}"
    );
    assert_eq!(step("retried")["attempt"], 3, "{out}");
    step("acked");
    assert!(lines.iter().any(|l| l["done"] == true), "{out}");
}

/// After its last attempt a message goes to `%DLQ%<group>`: the remoting client reads every
/// normal message there, and the gRPC consumer saw each of them `max_attempts` times at most.
fn check_dlq(s: &Stack, group: &str, dlq: Background, sent: &BTreeMap<String, String>) {
    let dlq_topic = format!("%DLQ%{group}");
    wait_until(
        Duration::from_secs(120),
        &format!("a route of {dlq_topic}"),
        || wire::route(s.ns(), &dlq_topic).ok().flatten().is_some(),
    );
    let read = run(
        &java_driver(
            JavaClient::V5_3_3,
            &consumer_args(s.ns(), &dlq_topic, &unique("gdlqr"), COUNT),
        ),
        Duration::from_secs(150),
    );
    let deliveries = dlq.stop();
    read.assert_ok();
    let mut got = bodies(&read.json_lines());
    got.sort();
    assert_eq!(
        got,
        named("normal", 0..COUNT),
        "the DLQ holds them all\n{read}"
    );
    for m in read.json_lines().iter().filter(|m| m.get("body").is_some()) {
        let body = m["body"].as_str().unwrap_or_default();
        assert_eq!(
            sent.get(body).map(String::as_str),
            m["msgId"].as_str(),
            "the DLQ keeps the msgId the gRPC send returned: {m}"
        );
    }
    let lines = deliveries.json_lines();
    let msgs = lines_with(&lines, "body");
    check_messages(&msgs, sent, &deliveries);
    let mut attempts: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for m in &msgs {
        let body = m["body"].as_str().unwrap_or_default();
        attempts
            .entry(body)
            .or_default()
            .insert(m["attempt"].as_i64().unwrap_or_default());
    }
    for (body, seen) in &attempts {
        assert_eq!(
            seen,
            &BTreeSet::from([1, 2]),
            "{body}: delivered at attempts 1 and 2 (retryMaxTimes 1), then to the DLQ\n{deliveries}"
        );
    }
    assert_eq!(attempts.len(), COUNT, "{deliveries}");
}

fn grpc_sdk_through_java_proxy(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let proxy = Proxy::start(s.ns(), CLUSTER, PROXY_KEYS);
    let _proxy_dump = LogDump(vec![&proxy.server]);
    grpc_sdk(s, proxy.grpc.as_str());
}

/// Every step against the gRPC endpoint `ep` in front of stack `s`.
fn grpc_sdk(s: &Stack, ep: &str) {
    let t = Topics {
        normal: typed_topic(s, "gnorm", "NORMAL"),
        fifo: typed_topic(s, "gfifo", "FIFO"),
        delay: typed_topic(s, "gdelay", "DELAY"),
        tx: typed_topic(s, "gtx", "TRANSACTION"),
    };
    let fifo_group = sub_group(s, "gfifocg", &["-o", "true"]);
    let dlq_group = sub_group(s, "gdlqcg", &["-r", "1"]);
    let sent = produce(grpc_driver, ep, &t);
    let recall_topic = typed_topic(s, "grecall", "DELAY");
    let recall_args = kv(
        "recall",
        &[
            ("ep", ep),
            ("topic", &recall_topic),
            ("count", "4"),
            ("recall", "1,3"),
        ],
    );
    check_recalls(&run(&grpc_driver(&recall_args), Duration::from_secs(120)));

    let count = COUNT.to_string();
    let all = (3 * COUNT - COUNT / 3).to_string();
    let group = unique("grecv");
    let topics = format!("{},{},{}", t.normal, t.delay, t.tx);
    let start =
        |args: Vec<String>| Background::spawn(&grpc_driver(&args), Duration::from_secs(240));
    let receive = start(kv(
        "receive",
        &[
            ("ep", ep),
            ("group", &group),
            ("topics", &topics),
            ("expect", &all),
        ],
    ));
    let fifo = start(kv(
        "receive",
        &[
            ("ep", ep),
            ("group", &fifo_group),
            ("topics", &t.fifo),
            ("expect", &count),
        ],
    ));
    let group = unique("ginv");
    let invisible = start(kv(
        "invisible",
        &[("ep", ep), ("group", &group), ("topic", &t.normal)],
    ));
    let dlq = start(kv(
        "dlq",
        &[("ep", ep), ("group", &dlq_group), ("topic", &t.normal)],
    ));
    let group = unique("gpush");
    let push = start(kv(
        "push",
        &[
            ("ep", ep),
            ("group", &group),
            ("topic", &t.normal),
            ("expect", &count),
        ],
    ));

    // The recalled messages fall due within a second of the others: a 3 s linger would see them.
    let group = unique("grecallcg");
    let not_recalled = start(kv(
        "receive",
        &[
            ("ep", ep),
            ("group", &group),
            ("topics", &recall_topic),
            ("expect", "2"),
            ("linger_ms", "3000"),
        ],
    ));

    check_receive(&receive.finish(Duration::from_secs(180)), &sent);
    check_fifo(&fifo.finish(Duration::from_secs(180)), &sent);
    check_invisible(&invisible.finish(Duration::from_secs(180)));
    let pushed = push.finish(Duration::from_secs(180));
    pushed.assert_ok();
    let mut got = bodies(&pushed.json_lines());
    got.sort();
    got.dedup();
    assert_eq!(got, named("normal", 0..COUNT), "push consumer\n{pushed}");
    check_dlq(s, &dlq_group, dlq, &sent);
    let got = not_recalled.finish(Duration::from_secs(180));
    got.assert_ok();
    let mut received = bodies(&got.json_lines());
    received.sort();
    received.dedup();
    assert_eq!(
        received,
        ["recall-0", "recall-2"],
        "the recalled messages never arrive\n{got}"
    );
}

/// `mqadmin consumerStatus -s` on a gRPC PushConsumer of Thrust's endpoint: the broker's
/// GET_CONSUMER_RUNNING_INFO with `jstackEnable` reaches the client as a
/// PrintThreadStackTraceCommand on its Telemetry stream, and the client's ThreadStackTrace comes
/// back as the consumer's running info, as Java's proxy relays it. The broker asks only clients
/// in its own tables, so only an endpoint inside the broker can answer (Java's cluster-mode proxy
/// keeps its clients to itself: the broker answers that the group is not online). Java's
/// local-mode proxy 5.3.3 never answers: its broker forwards the request rebuilt from ext fields
/// only (`AdminBrokerProcessor.callConsumer`), and the proxy reads `jstackEnable` from the decoded
/// header, which is then null. So this scenario has no Java run; Thrust answers as Java's proxy
/// means to.
fn running_info() {
    let (s, ep) = ours_with_endpoint();
    let _dump = s.dump();
    let (s, ep) = (&s, ep.as_str());
    let topic = typed_topic(s, "gstackt", "NORMAL");
    let produce = kv("produce", &[("ep", ep), ("count", "1"), ("normal", &topic)]);
    run(&grpc_driver(&produce), Duration::from_secs(120)).assert_ok();
    let group = unique("gstack");
    let mut push = Background::spawn(
        &grpc_driver(&kv(
            "push",
            &[
                ("ep", ep),
                ("group", &group),
                ("topic", &topic),
                ("expect", "1"),
                ("linger_ms", "120000"),
            ],
        )),
        Duration::from_secs(200),
    );
    // A delivery means the client is registered and its Telemetry stream is open.
    let first = push.wait_json(Duration::from_secs(60), |l| l.get("body").is_some());
    assert!(first.is_some(), "no delivery\n{}", push.stdout());
    let conns = mqadmin(s.ns(), &["consumerConnection", "-g", &group]);
    let client_id = conns
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .find(|w| w.contains('@'))
        .unwrap_or_else(|| panic!("no client id in\n{conns}"))
        .to_string();
    let status = mqadmin(
        s.ns(),
        &["consumerStatus", "-g", &group, "-i", &client_id, "-s"],
    );
    push.stop();
    let out = status.stdout.as_str();
    let stacks = out.split_once("#Consumer jstack#").map(|(_, j)| j.trim());
    assert!(
        stacks.is_some_and(|j| j.contains("Thread")),
        "the client's thread stacks in its running info\n{status}"
    );
}

/// Each delay message's receipt carries a recall handle; recalling messages 1 and 3 answers
/// their message ids; a handle whose time has passed is refused by the broker, which the
/// endpoint answers as INTERNAL_SERVER_ERROR with the broker's remark (Java's proxy maps no
/// other code for it).
fn check_recalls(out: &Output) {
    out.assert_ok();
    let lines = out.json_lines();
    let sent = receipts(out, 4);
    for l in lines_with(&lines, "status") {
        assert!(
            l["recallHandle"].as_str().is_some_and(|h| !h.is_empty()),
            "a delay message's receipt has a recall handle: {l}"
        );
    }
    let recall = |which: &str| {
        lines
            .iter()
            .find(|l| l["recall"] == which)
            .unwrap_or_else(|| panic!("no recall {which}\n{out}"))
    };
    for i in ["1", "3"] {
        let r = recall(i);
        assert_eq!(
            r["msgId"].as_str(),
            sent.get(&format!("recall-{i}")).map(String::as_str),
            "recall {i} answers the recalled message's id\n{out}"
        );
    }
    let past = recall("past");
    assert_eq!(past["error"], "InternalErrorException", "{past}");
    assert!(
        past["message"]
            .as_str()
            .is_some_and(|m| m.contains("recall failed, timestamp invalid")),
        "{past}"
    );
}

/// Thrust's NameServer and a broker of its own with the gRPC endpoint on (`--enable-proxy`, a
/// `-pc` file with the proxy keys the Java scenarios give the proxy); returns the stack and
/// the endpoint.
pub(super) fn ours_with_endpoint() -> (Stack, String) {
    let ns = Namesrv::start(NsKind::Ours);
    let dir = work_dir("ours-grpc");
    let port = free_port();
    let mut keys = vec![format!("  \"grpcServerPort\": {port}")];
    keys.extend(PROXY_KEYS.iter().map(|(k, v)| format!("  \"{k}\": {v}")));
    let pc = dir.join("rmq-proxy.json");
    std::fs::write(&pc, format!("{{\n{}\n}}\n", keys.join(",\n"))).expect("write rmq-proxy.json");
    let store = dir.join("store");
    let args = [
        "--enable-proxy".to_string(),
        "-pc".to_string(),
        pc.display().to_string(),
    ];
    let (broker, addr) = start_ours_broker_args(
        &ns.addr,
        "broker-g",
        &store,
        CLUSTER,
        &[TIMER_WHEEL, RECALL],
        &args,
    );
    let stack = Stack {
        ns,
        broker_name: "broker-g",
        broker_addr: addr,
        broker,
        store,
    };
    let ep = format!("127.0.0.1:{port}");
    wait_until(Duration::from_secs(30), "the gRPC endpoint's port", || {
        wire::port_open(&ep)
    });
    (stack, ep)
}

#[test]
fn ours_running_info_direct() {
    let _s = compat_tests::scenario::heavy(200);
    running_info();
}

#[test]
fn java_grpc_sdk_through_java_proxy() {
    let _s = compat_tests::scenario::heavy(400);
    grpc_sdk_through_java_proxy(Kind::Java);
}

#[test]
fn ours_grpc_sdk_through_java_proxy() {
    let _s = compat_tests::scenario::heavy(400);
    grpc_sdk_through_java_proxy(Kind::Ours);
}

#[test]
fn ours_grpc_sdk_direct() {
    let _s = compat_tests::scenario::heavy(300);
    let (s, ep) = ours_with_endpoint();
    let _dump = s.dump();
    grpc_sdk(&s, &ep);
}
