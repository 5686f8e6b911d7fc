//! The Broker issue's compatibility scenarios. Each runs against our stack (`mqnamesrv` +
//! `mqbroker`, release builds) and against Java's (NameServer + broker 5.3.3): the Java run
//! proves the scenario itself is right. Clients are the unmodified Java client 5.3.3 and 4.9.8,
//! the Go client and mqadmin 5.3.3, all finding the broker through the NameServer.
//!
//! ```text
//!   ours: mqnamesrv ── mqbroker "broker-o"      java: NamesrvStartup ── BrokerStartup "broker-j"
//! ```
//! Both stacks are started once per test binary, on first use; every process dies with it.

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

use compat_tests::env::{classpath, driver_classes, release_bin, require_setup, work_dir};
use compat_tests::ports::free_broker_port;
use compat_tests::process::{run, Background, Cmd, LogDump, Output, Server};
use compat_tests::servers::{java_cmd, BrokerSpec, JavaBroker, Namesrv, NsKind};
use compat_tests::tools::{go_driver_cmd, java_driver, kv, mqadmin, JavaClient};
use compat_tests::wire;
use serde_json::Value;

const CLUSTER: &str = "DefaultCluster";
const QUEUES: u32 = 4;
/// Broker keys both stacks get: a short transaction check interval so the check-back scenario
/// is short. `transactionTimeOut` stays at its 6 s default: Java 5.3.3 writes commit/rollback op
/// markers in batches every 3 s, and a shorter timeout would have it check resolved messages.
const EXTRA: &[(&str, &str)] = &[("transactionCheckInterval", "2000")];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ours,
    Java,
}

/// One NameServer with one broker registered.
struct Stack {
    ns: Namesrv,
    broker_name: &'static str,
    broker_addr: String,
    broker: Server,
}

impl Stack {
    fn ns(&self) -> &str {
        &self.ns.addr
    }

    fn dump(&self) -> LogDump<'_> {
        LogDump(vec![&self.broker, &self.ns.server])
    }
}

fn stack(kind: Kind) -> &'static Stack {
    static OURS: OnceLock<Stack> = OnceLock::new();
    static JAVA: OnceLock<Stack> = OnceLock::new();
    require_setup();
    match kind {
        Kind::Ours => OURS.get_or_init(start_ours),
        Kind::Java => JAVA.get_or_init(start_java),
    }
}

fn start_java() -> Stack {
    let ns = Namesrv::start(NsKind::Java);
    let mut spec = BrokerSpec::new(CLUSTER, "broker-j", &[ns.addr.as_str()]);
    spec.extra = EXTRA
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let broker = JavaBroker::start(spec);
    broker.wait_registered(&ns.addr, Duration::from_secs(60));
    Stack {
        broker_name: "broker-j",
        broker_addr: broker.addr.clone(),
        broker: broker.server,
        ns,
    }
}

/// Our broker with the same broker.conf keys the harness gives the Java broker.
fn start_ours() -> Stack {
    let ns = Namesrv::start(NsKind::Ours);
    let dir = work_dir("ours-broker");
    let (broker, addr) = start_ours_broker(&ns.addr, "broker-o", &dir.join("store"));
    Stack {
        ns,
        broker_name: "broker-o",
        broker_addr: addr,
        broker,
    }
}

/// Starts `mqbroker` named `name` on `store` and waits until `ns` routes its broker-name topic.
fn start_ours_broker(ns: &str, name: &str, store: &std::path::Path) -> (Server, String) {
    let bin = release_bin("mqbroker");
    assert!(
        bin.exists(),
        "{} is not built (cargo build --release --bins)",
        bin.display()
    );
    let dir = work_dir(&format!("ours-broker-{name}"));
    let port = free_broker_port();
    let mut conf = format!(
        "brokerClusterName={CLUSTER}\nbrokerName={name}\nbrokerId=0\nbrokerRole=ASYNC_MASTER\n\
         flushDiskType=ASYNC_FLUSH\nlistenPort={port}\nhaListenPort={}\nbindAddress=127.0.0.1\n\
         brokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\nstorePathRootDir={}\nstorePathCommitLog={}\n\
         mappedFileSizeCommitLog=67108864\nautoCreateTopicEnable=true\nautoCreateSubscriptionGroup=true\n",
        port + 1,
        store.display(),
        store.join("commitlog").display(),
    );
    for (k, v) in EXTRA {
        conf.push_str(&format!("{k}={v}\n"));
    }
    let conf_path = dir.join("broker.conf");
    std::fs::write(&conf_path, conf).expect("write broker.conf");
    let cmd = Cmd::new(bin.display().to_string(), &dir)
        .args(["-c".to_string(), conf_path.display().to_string()])
        .args(["-n".to_string(), ns.to_string()])
        .env("ROCKETMQ_HOME", dir.display().to_string())
        .env("HOME", dir.display().to_string());
    let broker = Server::spawn(&format!("ours-broker-{name}"), &cmd, Vec::new());
    assert!(
        broker.wait_for_console("boot success", Duration::from_secs(60)),
        "our broker did not boot\n{}",
        broker.log_tails(60)
    );
    let addr = format!("127.0.0.1:{port}");
    wait_until(Duration::from_secs(30), "our broker registered", || {
        wire::route(ns, name)
            .ok()
            .flatten()
            .is_some_and(|r| wire::route_broker_addrs(&r).contains(&addr))
    });
    (broker, addr)
}

/// The Java broker 5.3.3 named `name` on `store` (its conf's later keys override the harness's).
fn start_java_broker(ns: &str, name: &str, store: &std::path::Path) -> JavaBroker {
    let mut spec = BrokerSpec::new(CLUSTER, name, &[ns]);
    spec.extra = vec![
        ("storePathRootDir".into(), store.display().to_string()),
        (
            "storePathCommitLog".into(),
            store.join("commitlog").display().to_string(),
        ),
    ];
    let broker = JavaBroker::start(spec);
    broker.wait_registered(ns, Duration::from_secs(60));
    broker
}

fn wait_until(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        sleep(Duration::from_millis(200));
    }
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "ct_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `mqadmin updateTopic -c DefaultCluster`, then waits for the route.
fn create_topic(s: &Stack, topic: &str) {
    let q = QUEUES.to_string();
    let out = mqadmin(
        s.ns(),
        &[
            "updateTopic",
            "-c",
            CLUSTER,
            "-t",
            topic,
            "-r",
            &q,
            "-w",
            &q,
        ],
    );
    assert!(out.stdout.contains("success."), "updateTopic failed: {out}");
    wait_until(Duration::from_secs(30), "topic route", || {
        wire::route(s.ns(), topic).ok().flatten().is_some()
    });
}

/// What one producer run sends.
struct Batch {
    body: &'static str,
    count: usize,
    mode: &'static str,
}

fn producer_args(ns: &str, topic: &str, b: &Batch) -> Vec<String> {
    let count = b.count.to_string();
    kv(
        "produce",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", &format!("{}_pg", b.body)),
            ("count", &count),
            ("mode", b.mode),
            ("body", b.body),
            ("tag", "TagA"),
            ("keys", &format!("key_{}", b.body)),
            ("prop.origin", b.body),
        ],
    )
}

/// Runs a producer; every send must be SEND_OK on the stack's broker. Returns the msgIds.
fn produce(s: &Stack, cmd: &Cmd, b: &Batch) -> Vec<String> {
    let out = run(cmd, Duration::from_secs(120));
    out.assert_ok();
    let results: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|v| v.get("status").is_some())
        .collect();
    assert_eq!(results.len(), b.count, "one result per message: {out}");
    for r in &results {
        assert_eq!(r["status"], "SEND_OK", "{r}: {out}");
        assert_eq!(r["broker"], s.broker_name, "{r}");
        let off = r["offsetMsgId"].as_str().unwrap_or_default();
        assert_eq!(off.len(), 32, "offsetMsgId {r}");
        assert!(off.starts_with("7F000001"), "store host 127.0.0.1 in {r}");
    }
    results
        .iter()
        .map(|r| r["msgId"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn consumer(cmd: &Cmd) -> Background {
    let mut c = Background::spawn(cmd, Duration::from_secs(180));
    let ready = c.wait_json(Duration::from_secs(60), |v| {
        v.get("ready").is_some() || v.get("error").is_some()
    });
    assert!(
        ready.as_ref().is_some_and(|v| v["ready"] == true),
        "consumer did not start: {ready:?}\n{}",
        c.stdout()
    );
    c
}

fn consumer_args(ns: &str, topic: &str, group: &str, expect: usize) -> Vec<String> {
    consumer_args_linger(ns, topic, group, expect, 1500)
}

/// `linger_ms` keeps the consumer alive after the last message (its offset persist runs every 5 s,
/// first after 10 s).
fn consumer_args_linger(
    ns: &str,
    topic: &str,
    group: &str,
    expect: usize,
    linger_ms: u64,
) -> Vec<String> {
    kv(
        "consume",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", group),
            ("expect", &expect.to_string()),
            ("timeout_ms", "120000"),
            ("from", "first"),
            ("linger_ms", &linger_ms.to_string()),
        ],
    )
}

/// Exactly the sent bodies arrive, each with its tag, keys, user property and a sent msgId.
fn check_received(out: &Output, batches: &[Batch], ids: &[String]) {
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
    let want: BTreeSet<String> = batches
        .iter()
        .flat_map(|b| (0..b.count).map(move |i| format!("{}-{i}", b.body)))
        .collect();
    assert_eq!(got, want, "received bodies differ\n{out}");
    let sent: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    for m in &msgs {
        let origin = m["body"]
            .as_str()
            .unwrap_or_default()
            .rsplit_once('-')
            .map(|(o, _)| o)
            .unwrap_or_default();
        assert_eq!(m["tags"], "TagA", "{m}");
        assert_eq!(m["keys"], format!("key_{origin}"), "{m}");
        assert_eq!(m["props"]["origin"], origin, "{m}");
        assert!(
            sent.contains(m["msgId"].as_str().unwrap_or_default()),
            "unknown msgId in {m}"
        );
    }
}

/// Java 5.3.3 push consumer; Java 5.3.3 (sync, async), Java 4.9.8 and Go producers.
fn java_consumer_all_producers(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("jc"), unique("cg"));
    create_topic(s, &topic);
    let batches = [
        Batch {
            body: "j5sync",
            count: 10,
            mode: "sync",
        },
        Batch {
            body: "j5async",
            count: 5,
            mode: "async",
        },
        Batch {
            body: "j4sync",
            count: 10,
            mode: "sync",
        },
        Batch {
            body: "gosync",
            count: 10,
            mode: "sync",
        },
    ];
    let total = batches.iter().map(|b| b.count).sum();
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(s.ns(), &topic, &group, total),
    ));
    let mut ids = produce(
        s,
        &java_driver(
            JavaClient::V5_3_3,
            &producer_args(s.ns(), &topic, &batches[0]),
        ),
        &batches[0],
    );
    ids.extend(produce(
        s,
        &java_driver(
            JavaClient::V5_3_3,
            &producer_args(s.ns(), &topic, &batches[1]),
        ),
        &batches[1],
    ));
    ids.extend(produce(
        s,
        &java_driver(
            JavaClient::V4_9_8,
            &producer_args(s.ns(), &topic, &batches[2]),
        ),
        &batches[2],
    ));
    ids.extend(produce(
        s,
        &go_driver_cmd(&producer_args(s.ns(), &topic, &batches[3])),
        &batches[3],
    ));
    check_received(&c.finish(Duration::from_secs(150)), &batches, &ids);
}

/// Java 4.9.8 and Go push consumers in different groups both get everything.
fn other_consumers(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("oc");
    create_topic(s, &topic);
    let batches = [
        Batch {
            body: "j5",
            count: 8,
            mode: "sync",
        },
        Batch {
            body: "goasync",
            count: 6,
            mode: "async",
        },
    ];
    let j4 = consumer(&java_driver(
        JavaClient::V4_9_8,
        &consumer_args(s.ns(), &topic, &unique("cg4"), 14),
    ));
    let go = consumer(&go_driver_cmd(&consumer_args(
        s.ns(),
        &topic,
        &unique("cgo"),
        14,
    )));
    let mut ids = produce(
        s,
        &java_driver(
            JavaClient::V5_3_3,
            &producer_args(s.ns(), &topic, &batches[0]),
        ),
        &batches[0],
    );
    ids.extend(produce(
        s,
        &go_driver_cmd(&producer_args(s.ns(), &topic, &batches[1])),
        &batches[1],
    ));
    check_received(&j4.finish(Duration::from_secs(150)), &batches, &ids);
    check_received(&go.finish(Duration::from_secs(150)), &batches, &ids);
}

/// mqadmin against the broker after a produce/consume round: consumerProgress shows the group
/// caught up, topicStatus the queue offsets, brokerStatus the runtime keys clusterList needs.
fn mqadmin_views(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("adm"), unique("cg"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "adm",
        count: 8,
        mode: "sync",
    };
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &group, 8, 12_000),
    ));
    let ids = produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    check_received(&c.finish(Duration::from_secs(150)), &[batch], &ids);

    let status = mqadmin(s.ns(), &["topicStatus", "-t", &topic]);
    let max_sum: u64 = status
        .stdout
        .lines()
        .filter(|l| l.contains(s.broker_name))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(3)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .sum();
    assert_eq!(max_sum, 8, "topicStatus max offsets: {status}");

    let broker_status = mqadmin(s.ns(), &["brokerStatus", "-b", &s.broker_addr]);
    for key in [
        "putTps",
        "getTransferredTps",
        "brokerVersionDesc",
        "earliestMessageTimeStamp",
        "commitLogDiskRatio",
    ] {
        assert!(
            broker_status.stdout.contains(key),
            "brokerStatus lacks {key}: {broker_status}"
        );
    }
    let cluster = mqadmin(s.ns(), &["clusterList"]);
    assert!(
        cluster.stdout.contains(&s.broker_addr),
        "clusterList: {cluster}"
    );
    assert!(
        !cluster.stdout.contains("Exception"),
        "clusterList: {cluster}"
    );

    // offsets are committed within ~5 s by the consumer (oneway) and at its shutdown
    let progress = mqadmin(s.ns(), &["consumerProgress", "-g", &group]);
    assert!(
        progress.stdout.contains(&topic),
        "consumerProgress: {progress}"
    );
    assert!(
        progress.stdout.contains("Diff Total: 0"),
        "consumerProgress: {progress}"
    );
}

/// `thrust.compat.BrokerDriver` (compat-tests/java/client) on the Java client `v`.
fn broker_driver(v: JavaClient, args: &[String]) -> Cmd {
    let set = format!("client-{}", v.version());
    let dir = work_dir(&format!(
        "brokerdriver-{}",
        args.first().map_or("x", String::as_str)
    ));
    let cp = format!("{}:{}", driver_classes(&set).display(), classpath(&set));
    java_cmd(
        &dir,
        &["-Xms64m", "-Xmx256m"],
        &cp,
        "thrust.compat.BrokerDriver",
    )
    .args(args.iter().cloned())
}

/// Transactions from the Java client: commit and rollback at once, "unknown" resolved by the
/// broker's check-back; consumers then see exactly the committed messages.
fn transactions(kind: Kind, v: JavaClient) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("tx");
    create_topic(s, &topic);
    let out = run(
        &broker_driver(
            v,
            &kv(
                "tx",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("txpg")),
                    ("count", "6"),
                    ("linger_ms", "40000"),
                ],
            ),
        ),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let lines = out.json_lines();
    assert_eq!(
        lines.iter().filter(|l| l["status"] == "SEND_OK").count(),
        6,
        "{out}"
    );
    let checked: BTreeSet<&str> = lines.iter().filter_map(|l| l["check"].as_str()).collect();
    assert_eq!(
        checked,
        BTreeSet::from(["tx-2", "tx-5"]),
        "check-backs: {out}"
    );
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(s.ns(), &topic, &unique("txcg"), 4),
    ));
    let got: BTreeSet<String> = c
        .finish(Duration::from_secs(150))
        .json_lines()
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_string))
        .collect();
    let want: BTreeSet<String> = ["tx-0", "tx-2", "tx-3", "tx-5"]
        .iter()
        .map(|b| b.to_string())
        .collect();
    assert_eq!(got, want);
}

/// RECONSUME_LATER: the message comes back once through `%RETRY%<group>` (send-back + delay
/// level 1), with its original topic and reconsumeTimes 1.
fn consume_retry(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("retry");
    create_topic(s, &topic);
    let batch = Batch {
        body: "rt",
        count: 4,
        mode: "sync",
    };
    produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    let out = run(
        &broker_driver(
            JavaClient::V5_3_3,
            &kv(
                "retry",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("rcg")),
                    ("expect", "4"),
                    ("timeout_ms", "100000"),
                ],
            ),
        ),
        Duration::from_secs(150),
    );
    out.assert_ok();
    for l in out.json_lines().iter().filter(|l| l.get("body").is_some()) {
        assert_eq!(
            l["topic"],
            topic.as_str(),
            "retried message keeps its topic: {l}"
        );
    }
}

/// An orderly (MessageListenerOrderly) Java 4.9.8 consumer: queue locks, in-order delivery.
fn orderly(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("ord");
    create_topic(s, &topic);
    let batch = Batch {
        body: "ord",
        count: 20,
        mode: "sync",
    };
    produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    let out = run(
        &broker_driver(
            JavaClient::V4_9_8,
            &kv(
                "orderly",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("ocg")),
                    ("expect", "20"),
                ],
            ),
        ),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let done = out
        .json_lines()
        .into_iter()
        .find(|l| l.get("done").is_some());
    assert!(
        done.is_some_and(|d| d["disorder"] == 0 && d["received"] == 20),
        "{out}"
    );
}

/// A Java batch send (SEND_BATCH_MESSAGE) lands on one queue with consecutive offsets; the
/// consumer gets every message with its own keys; mqadmin finds them by key and by id.
fn batch_and_queries(kind: Kind, v: JavaClient) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("batch");
    create_topic(s, &topic);
    let out = run(
        &broker_driver(
            v,
            &kv(
                "batch",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("bpg")),
                    ("count", "5"),
                ],
            ),
        ),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let r = out
        .json_lines()
        .into_iter()
        .find(|l| l.get("status").is_some())
        .unwrap_or_default();
    assert_eq!(r["status"], "SEND_OK", "{out}");
    assert_eq!(
        r["offsetMsgId"]
            .as_str()
            .unwrap_or_default()
            .split(',')
            .count(),
        5,
        "{out}"
    );
    // Java 5.3.3 producers give the batch its own UNIQ_KEY, which the broker appends to every
    // inner message's properties (Java's MessageExtEncoder does the same), so all five share
    // one msgId and the driver, which counts distinct msgIds, waits for one and lingers.
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &unique("bcg"), 1, 5000),
    ));
    let got = c.finish(Duration::from_secs(150));
    got.assert_ok();
    let msgs: Vec<Value> = got
        .json_lines()
        .into_iter()
        .filter(|m| m.get("body").is_some())
        .collect();
    let bodies: BTreeSet<&str> = msgs.iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(bodies.len(), 5, "{got}");
    let queues: BTreeSet<u64> = msgs.iter().filter_map(|m| m["queueId"].as_u64()).collect();
    assert_eq!(queues.len(), 1, "a batch goes to one queue: {got}");
    for m in &msgs {
        assert_eq!(m["keys"], m["body"], "{m}");
    }
    let by_key = mqadmin(s.ns(), &["queryMsgByKey", "-t", &topic, "-k", "batch-3"]);
    let id3 = msgs
        .iter()
        .find(|m| m["body"] == "batch-3")
        .and_then(|m| m["msgId"].as_str())
        .unwrap_or("?");
    assert!(by_key.stdout.contains(id3), "queryMsgByKey: {by_key}");
    let off_id = msgs[0]["offsetMsgId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let by_id = mqadmin(s.ns(), &["queryMsgById", "-t", &topic, "-i", &off_id]);
    assert!(by_id.stdout.contains(&topic), "queryMsgById: {by_id}");
}

/// mqadmin's broker-side admin commands work the same way on both brokers.
fn mqadmin_admin(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("madm"), unique("mg"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "madm",
        count: 6,
        mode: "sync",
    };
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &group, 6, 12_000),
    ));
    let ids = produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    check_received(&c.finish(Duration::from_secs(150)), &[batch], &ids);
    let ok = |out: &Output, what: &str| {
        assert!(!out.stdout.contains("Exception"), "{what}: {out}");
    };
    let b = s.broker_addr.as_str();
    let stats = mqadmin(s.ns(), &["brokerConsumeStats", "-b", b]);
    ok(&stats, "brokerConsumeStats");
    assert!(stats.stdout.contains(&group), "brokerConsumeStats: {stats}");
    let upd = mqadmin(
        s.ns(),
        &[
            "updateBrokerConfig",
            "-b",
            b,
            "-k",
            "fileReservedTime",
            "-v",
            "49",
        ],
    );
    ok(&upd, "updateBrokerConfig");
    let conf = mqadmin(s.ns(), &["getBrokerConfig", "-b", b]);
    ok(&conf, "getBrokerConfig");
    assert!(
        conf.stdout
            .lines()
            .any(|l| l.contains("fileReservedTime") && l.contains("49")),
        "getBrokerConfig: {conf}"
    );
    // server-side reset to the first offset: the group's lag is the whole topic again
    let reset = mqadmin(
        s.ns(),
        &["resetOffsetByTime", "-g", &group, "-t", &topic, "-s", "0"],
    );
    ok(&reset, "resetOffsetByTime");
    let progress = mqadmin(s.ns(), &["consumerProgress", "-g", &group]);
    assert!(
        progress.stdout.contains("Diff Total: 6"),
        "consumerProgress after reset: {progress}"
    );
    let sub = unique("sg");
    let up = mqadmin(s.ns(), &["updateSubGroup", "-b", b, "-g", &sub]);
    ok(&up, "updateSubGroup");
    let del = mqadmin(s.ns(), &["deleteSubGroup", "-b", b, "-g", &sub]);
    ok(&del, "deleteSubGroup");
    let dt = mqadmin(s.ns(), &["deleteTopic", "-c", CLUSTER, "-t", &topic]);
    ok(&dt, "deleteTopic");
    wait_until(
        Duration::from_secs(30),
        "deleted topic gone from the route",
        || matches!(wire::route(s.ns(), &topic), Ok(None)),
    );
}

/// Lite pull consumers (5.3.3 sends LITE_PULL_MESSAGE, 4.9.8 PULL_MESSAGE) and two BROADCASTING
/// push consumers of one group, each of which must receive everything.
fn pull_and_broadcast(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("lp");
    create_topic(s, &topic);
    let batch = Batch {
        body: "lp",
        count: 10,
        mode: "sync",
    };
    produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    let args = |mode: &str, group: &str| {
        kv(
            mode,
            &[
                ("ns", s.ns()),
                ("topic", &topic),
                ("group", group),
                ("expect", "10"),
                ("timeout_ms", "90000"),
            ],
        )
    };
    for v in [JavaClient::V5_3_3, JavaClient::V4_9_8] {
        let out = run(
            &broker_driver(v, &args("litepull", &unique("lpg"))),
            Duration::from_secs(120),
        );
        out.assert_ok();
    }
    let group = unique("bcg");
    let first = consumer(&broker_driver(
        JavaClient::V5_3_3,
        &args("broadcast", &group),
    ));
    let second = consumer(&broker_driver(
        JavaClient::V4_9_8,
        &args("broadcast", &group),
    ));
    first.finish(Duration::from_secs(120)).assert_ok();
    second.finish(Duration::from_secs(120)).assert_ok();
}

/// 5.x timer messages (TIMER_DELAY_SEC) arrive only after their delivery time.
fn timer_messages(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("timer"), unique("tcg"));
    create_topic(s, &topic);
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(s.ns(), &topic, &group, 3),
    ));
    let out = run(
        &broker_driver(
            JavaClient::V5_3_3,
            &kv(
                "timer",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("tpg")),
                    ("count", "3"),
                    ("delay_sec", "3"),
                ],
            ),
        ),
        Duration::from_secs(60),
    );
    out.assert_ok();
    let got = c.finish(Duration::from_secs(120));
    got.assert_ok();
    for m in got.json_lines().iter().filter(|m| m.get("body").is_some()) {
        let due: i64 = m["props"]["TIMER_OUT_MS"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MAX);
        let consumed: i64 = m["props"]["CONSUME_START_TIME"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(consumed >= due, "consumed before its delivery time: {m}");
    }
}

/// Drop-in: the Java broker writes a store (messages, topics.json, consumerOffset.json,
/// subscriptionGroup.json), ours takes it over and serves the rest, then the Java broker takes
/// it back and reads what ours wrote.
#[test]
fn takeover_java_store_and_back() {
    require_setup();
    let ns = Namesrv::start(NsKind::Ours);
    let store = work_dir("takeover").join("store");
    let (topic, group) = (unique("tk"), unique("tkg"));
    let first = Batch {
        body: "byjava",
        count: 5,
        mode: "sync",
    };
    let second = Batch {
        body: "byours",
        count: 5,
        mode: "sync",
    };
    let java = start_java_broker(&ns.addr, "broker-t", &store);
    let out = mqadmin(
        &ns.addr,
        &[
            "updateTopic",
            "-c",
            CLUSTER,
            "-t",
            &topic,
            "-r",
            "4",
            "-w",
            "4",
        ],
    );
    assert!(out.stdout.contains("success."), "{out}");
    let ids = produce_any(&ns.addr, &topic, &first);
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(&ns.addr, &topic, &group, 5, 12_000),
    ));
    check_received(&c.finish(Duration::from_secs(150)), &[first], &ids);
    java.server.stop();

    let (ours, _) = start_ours_broker(&ns.addr, "broker-t", &store);
    let ids = produce_any(&ns.addr, &topic, &second);
    // the group resumes from the offsets Java committed: only the new messages arrive
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(&ns.addr, &topic, &group, 5, 3_000),
    ));
    check_received(&c.finish(Duration::from_secs(150)), &[second], &ids);
    ours.stop();

    let _java = start_java_broker(&ns.addr, "broker-t", &store);
    let all = unique("tkall");
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(&ns.addr, &topic, &all, 10),
    ));
    let got = c.finish(Duration::from_secs(150));
    got.assert_ok();
    let bodies: BTreeSet<String> = got
        .json_lines()
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        bodies.len(),
        10,
        "the Java broker reads both brokers' messages: {got}"
    );
}

/// A Java 5.3.3 producer run without checking which broker answered.
fn produce_any(ns: &str, topic: &str, b: &Batch) -> Vec<String> {
    let out = run(
        &java_driver(JavaClient::V5_3_3, &producer_args(ns, topic, b)),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let lines = out.json_lines();
    assert_eq!(
        lines.iter().filter(|l| l["status"] == "SEND_OK").count(),
        b.count,
        "{out}"
    );
    lines
        .iter()
        .filter_map(|l| l["msgId"].as_str().map(str::to_string))
        .collect()
}

/// Java clients switched to the binary ROCKETMQ header (env `ROCKETMQ_SERIALIZE_TYPE`).
fn binary_headers(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("bin"), unique("bing"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "bin",
        count: 6,
        mode: "sync",
    };
    let c = consumer(
        &java_driver(
            JavaClient::V4_9_8,
            &consumer_args(s.ns(), &topic, &group, 6),
        )
        .env("ROCKETMQ_SERIALIZE_TYPE", "ROCKETMQ"),
    );
    let ids = produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch))
            .env("ROCKETMQ_SERIALIZE_TYPE", "ROCKETMQ"),
        &batch,
    );
    check_received(&c.finish(Duration::from_secs(150)), &[batch], &ids);
}

/// Request/reply: SEND_REPLY_MESSAGE_V2 from the responder, PUSH_REPLY_MESSAGE_TO_CLIENT to the
/// requester. Run with the 4.9.8 client only: the same driver on the 5.3.3 client times out
/// against the Java broker as well (the responder never sees the request within the timeout),
/// so that variant would test the driver, not the broker.
fn request_reply(kind: Kind, v: JavaClient) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("rpc");
    create_topic(s, &topic);
    let out = run(
        &broker_driver(
            v,
            &kv(
                "rpc",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("rpcg")),
                    ("count", "3"),
                ],
            ),
        ),
        Duration::from_secs(120),
    );
    out.assert_ok();
}

#[test]
fn java_request_reply_java4() {
    request_reply(Kind::Java, JavaClient::V4_9_8);
}

#[test]
fn ours_request_reply_java4() {
    request_reply(Kind::Ours, JavaClient::V4_9_8);
}

/// mqadmin views of a live consumer: its connection (GET_CONSUMER_CONNECTION_LIST) and its
/// running info, which the broker forwards to the client (GET_CONSUMER_RUNNING_INFO).
fn live_consumer_views(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("live"), unique("lg"));
    create_topic(s, &topic);
    let mut c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &group, 1, 30_000),
    ));
    let batch = Batch {
        body: "live",
        count: 1,
        mode: "sync",
    };
    produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    assert!(
        c.wait_json(Duration::from_secs(60), |v| v.get("body").is_some())
            .is_some(),
        "no message: {}",
        c.stdout()
    );
    let conn = mqadmin(s.ns(), &["consumerConnection", "-g", &group]);
    assert!(
        conn.stdout.contains("CLUSTERING"),
        "consumerConnection: {conn}"
    );
    assert!(conn.stdout.contains(&topic), "consumerConnection: {conn}");
    let status = mqadmin(s.ns(), &["consumerStatus", "-g", &group]);
    assert!(
        !status.stdout.contains("Exception"),
        "consumerStatus: {status}"
    );
    // The running info itself goes to a file; the summary proves the forwarded call answered.
    assert!(
        status.stdout.contains("Rebalance OK"),
        "consumerStatus: {status}"
    );
    c.finish(Duration::from_secs(60)).assert_ok();
}

#[test]
fn java_live_consumer_views() {
    live_consumer_views(Kind::Java);
}

#[test]
fn ours_live_consumer_views() {
    live_consumer_views(Kind::Ours);
}

#[test]
fn java_binary_headers() {
    binary_headers(Kind::Java);
}

#[test]
fn ours_binary_headers() {
    binary_headers(Kind::Ours);
}

#[test]
fn java_timer_messages() {
    timer_messages(Kind::Java);
}

#[test]
fn ours_timer_messages() {
    timer_messages(Kind::Ours);
}

#[test]
fn java_pull_and_broadcast() {
    pull_and_broadcast(Kind::Java);
}

#[test]
fn ours_pull_and_broadcast() {
    pull_and_broadcast(Kind::Ours);
}

#[test]
fn java_mqadmin_admin() {
    mqadmin_admin(Kind::Java);
}

#[test]
fn ours_mqadmin_admin() {
    mqadmin_admin(Kind::Ours);
}

#[test]
fn java_batch_and_queries() {
    batch_and_queries(Kind::Java, JavaClient::V5_3_3);
}

#[test]
fn ours_batch_and_queries() {
    batch_and_queries(Kind::Ours, JavaClient::V5_3_3);
}

#[test]
fn ours_batch_and_queries_java4() {
    batch_and_queries(Kind::Ours, JavaClient::V4_9_8);
}

#[test]
fn java_transactions_java5() {
    transactions(Kind::Java, JavaClient::V5_3_3);
}

#[test]
fn ours_transactions_java5() {
    transactions(Kind::Ours, JavaClient::V5_3_3);
}

#[test]
fn ours_transactions_java4() {
    transactions(Kind::Ours, JavaClient::V4_9_8);
}

#[test]
fn java_consume_retry() {
    consume_retry(Kind::Java);
}

#[test]
fn ours_consume_retry() {
    consume_retry(Kind::Ours);
}

#[test]
fn java_orderly() {
    orderly(Kind::Java);
}

#[test]
fn ours_orderly() {
    orderly(Kind::Ours);
}

#[test]
fn java_java_consumer_all_producers() {
    java_consumer_all_producers(Kind::Java);
}

#[test]
fn ours_java_consumer_all_producers() {
    java_consumer_all_producers(Kind::Ours);
}

#[test]
fn java_other_consumers() {
    other_consumers(Kind::Java);
}

#[test]
fn ours_other_consumers() {
    other_consumers(Kind::Ours);
}

#[test]
fn java_mqadmin_views() {
    mqadmin_views(Kind::Java);
}

#[test]
fn ours_mqadmin_views() {
    mqadmin_views(Kind::Ours);
}
