//! The two stacks (ours and Java's) and the helpers every scenario shares: topic creation,
//! producer and consumer runs through the Java drivers, and the received-message checks.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use compat_tests::env::{require_setup, require_workspace_bin, work_dir};
use compat_tests::ports::free_broker_port;
use compat_tests::process::{run, Cmd, LogDump, Output, Server};
pub(crate) use compat_tests::servers::TIMER_WHEEL;
use compat_tests::servers::{
    BrokerSpec, JavaBroker, Namesrv, NsKind, JAVA_TIMER_FLUSH, TLS_PERMISSIVE,
};
use compat_tests::tools::{java_driver, java_program, kv, update_topic, JavaClient};
use compat_tests::traffic::{msg_ids, send_results};
use compat_tests::wait;
use compat_tests::wire;

pub(crate) const CLUSTER: &str = "DefaultCluster";

pub(crate) const QUEUES: u32 = 4;

/// Broker keys both stacks get: a short transaction check interval so the check-back scenario
/// is short. `transactionTimeOut` stays at its 6 s default: Java 5.3.3 writes commit/rollback op
/// markers in batches every 3 s, and a shorter timeout would have it check resolved messages.
pub(crate) const EXTRA: &[(&str, &str)] = &[("transactionCheckInterval", "2000")];

/// Message recall (RECALL_MESSAGE, 5.3.2+) on, for the brokers whose scenarios recall timer
/// messages: the shared stacks and the gRPC endpoint's.
pub(crate) const RECALL: (&str, &str) = ("recallMessageEnable", "true");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Ours,
    Java,
}

/// One NameServer with one broker registered.
pub(crate) struct Stack {
    pub(crate) ns: Namesrv,
    pub(crate) broker_name: &'static str,
    pub(crate) broker_addr: String,
    pub(crate) broker: Server,
    /// The broker's `storePathRootDir` (its CommitLog is `commitlog/` inside).
    pub(crate) store: PathBuf,
}

impl Stack {
    pub(crate) fn ns(&self) -> &str {
        &self.ns.addr
    }

    pub(crate) fn dump(&self) -> LogDump<'_> {
        LogDump(vec![&self.broker, &self.ns.server])
    }
}

pub(crate) fn stack(kind: Kind) -> &'static Stack {
    static OURS: OnceLock<Stack> = OnceLock::new();
    static JAVA: OnceLock<Stack> = OnceLock::new();
    require_setup();
    match kind {
        Kind::Ours => OURS.get_or_init(start_ours),
        Kind::Java => JAVA.get_or_init(start_java),
    }
}

/// The shared stacks carry the timer-message scenarios (`features`, `records`) and delete topics:
/// their brokers run the timer wheel ([`TIMER_WHEEL`]; Java's flushed as [`JAVA_TIMER_FLUSH`] says)
/// and take recalls ([`RECALL`]).
/// They also serve TLS and plain connections alike, as Java's servers do by default: the
/// default-server TLS scenarios (`tls`) run on them.
pub(crate) fn start_java() -> Stack {
    let ns = Namesrv::start_props(NsKind::Java, &[], &[TLS_PERMISSIVE.to_string()]);
    let mut spec = BrokerSpec::new(CLUSTER, "broker-j", &[ns.addr.as_str()]);
    spec.props.push(TLS_PERMISSIVE.to_string());
    spec.extra = EXTRA
        .iter()
        .chain([&TIMER_WHEEL, &RECALL, &JAVA_TIMER_FLUSH])
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let broker = JavaBroker::start(spec);
    broker.wait_registered(&ns.addr, Duration::from_secs(60));
    Stack {
        broker_name: "broker-j",
        broker_addr: broker.addr.clone(),
        broker: broker.server,
        store: broker.store,
        ns,
    }
}

/// Our broker with the same broker.conf keys the harness gives the Java broker.
pub(crate) fn start_ours() -> Stack {
    let ns = Namesrv::start(NsKind::Ours);
    let store = work_dir("ours-broker").join("store");
    let (broker, addr) = start_ours_broker_with(
        &ns.addr,
        "broker-o",
        &store,
        CLUSTER,
        &[TIMER_WHEEL, RECALL],
    );
    Stack {
        ns,
        broker_name: "broker-o",
        broker_addr: addr,
        broker,
        store,
    }
}

/// Starts `mqbroker` named `name` on `store` in cluster `cluster`, with `extra` broker.conf keys
/// last (a later key wins), and waits until `ns` routes its broker-name topic.
pub(crate) fn start_ours_broker_with(
    ns: &str,
    name: &str,
    store: &std::path::Path,
    cluster: &str,
    extra: &[(&str, &str)],
) -> (Server, String) {
    start_ours_broker_args(ns, name, store, cluster, extra, &[])
}

/// [`start_ours_broker_with`] with more `mqbroker` arguments (`--enable-proxy -pc <file>`).
pub(crate) fn start_ours_broker_args(
    ns: &str,
    name: &str,
    store: &std::path::Path,
    cluster: &str,
    extra: &[(&str, &str)],
    args: &[String],
) -> (Server, String) {
    let bin = require_workspace_bin("mqbroker");
    let dir = work_dir(&format!("ours-broker-{name}"));
    let port = free_broker_port();
    let mut conf = format!(
        "brokerClusterName={cluster}\nbrokerName={name}\nbrokerId=0\nbrokerRole=ASYNC_MASTER\n\
         flushDiskType=ASYNC_FLUSH\nlistenPort={port}\nhaListenPort={}\nbindAddress=127.0.0.1\n\
         brokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\nstorePathRootDir={}\nstorePathCommitLog={}\n\
         mappedFileSizeCommitLog=67108864\nautoCreateTopicEnable=true\nautoCreateSubscriptionGroup=true\n\
         timerWheelEnable=false\n",
        port + 1,
        store.display(),
        store.join("commitlog").display(),
    );
    for (k, v) in EXTRA.iter().chain(extra) {
        conf.push_str(&format!("{k}={v}\n"));
    }
    let conf_path = dir.join("broker.conf");
    std::fs::write(&conf_path, conf).expect("write broker.conf");
    let cmd = Cmd::new(bin.display().to_string(), &dir)
        .args(["-c".to_string(), conf_path.display().to_string()])
        .args(["-n".to_string(), ns.to_string()])
        .args(args.iter().cloned())
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

/// The Java broker 5.3.3 named `name` on `store` in cluster `cluster`, with `extra` broker.conf
/// keys last (a later key wins).
pub(crate) fn start_java_broker_with(
    ns: &str,
    name: &str,
    store: &std::path::Path,
    cluster: &str,
    extra: &[(&str, &str)],
) -> JavaBroker {
    let mut spec = BrokerSpec::new(cluster, name, &[ns]).on_store(store);
    spec.extra
        .extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let broker = JavaBroker::start(spec);
    broker.wait_registered(ns, Duration::from_secs(60));
    broker
}

pub(crate) use compat_tests::wait::wait_until;

pub(crate) fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "ct_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `mqadmin updateTopic -c DefaultCluster` with [`QUEUES`] queues, then waits for the route.
pub(crate) fn create_topic(s: &Stack, topic: &str) {
    update_topic(s.ns(), CLUSTER, topic, QUEUES);
}

pub(crate) use compat_tests::traffic::{
    check_received, consumer, consumer_args, consumer_args_linger, producer_args, Batch,
};

/// Runs a producer; every send must be SEND_OK on the stack's broker. Returns the msgIds.
pub(crate) fn produce(s: &Stack, cmd: &Cmd, b: &Batch) -> Vec<String> {
    let results = send_results(cmd, b.count);
    for r in &results {
        assert_eq!(r["broker"], s.broker_name, "{r}");
        let off = r["offsetMsgId"].as_str().unwrap_or_default();
        assert!(off.starts_with("7F000001"), "store host 127.0.0.1 in {r}");
    }
    msg_ids(&results)
}

/// `thrust.compat.BrokerDriver` (compat-tests/java/client) on the Java client `v`.
pub(crate) fn broker_driver(v: JavaClient, args: &[String]) -> Cmd {
    java_program(v, "BrokerDriver", args)
}

/// Runs one BrokerDriver `mode` on `topic` through the stack's NameServer; it must exit 0.
pub(crate) fn drive(
    v: JavaClient,
    mode: &str,
    s: &Stack,
    topic: &str,
    pairs: &[(&str, &str)],
    timeout_secs: u64,
) -> Output {
    let mut all = vec![("ns", s.ns()), ("topic", topic)];
    all.extend_from_slice(pairs);
    let out = run(
        &broker_driver(v, &kv(mode, &all)),
        Duration::from_secs(timeout_secs),
    );
    out.assert_ok();
    out
}

/// A Java 5.3.3 producer run without checking which broker answered.
pub(crate) fn produce_any(ns: &str, topic: &str, b: &Batch) -> Vec<String> {
    let cmd = java_driver(JavaClient::V5_3_3, &producer_args(ns, topic, b));
    msg_ids(&send_results(&cmd, b.count))
}

const QUERY_CONSUMER_OFFSET: i32 = 14;
const GET_MAX_OFFSET: i32 = 30;
const GET_CONSUMER_LIST_BY_GROUP: i32 = 38;

/// How many consumers the broker lists in `group` (GET_CONSUMER_LIST_BY_GROUP).
pub(crate) fn group_size(s: &Stack, group: &str) -> usize {
    wire::request(
        &s.broker_addr,
        GET_CONSUMER_LIST_BY_GROUP,
        &[("consumerGroup", group)],
        Duration::from_secs(3),
    )
    .and_then(|r| r.json())
    .map_or(0, |v| v["consumerIdList"].as_array().map_or(0, Vec::len))
}

/// `group`'s committed offset and the end (max offset) of each queue `0..queues` of `topic` on
/// the broker at `addr`; `None` where the broker answers without one.
pub(crate) fn committed_and_ends(
    addr: &str,
    topic: &str,
    group: &str,
    queues: u32,
) -> Vec<(Option<i64>, Option<i64>)> {
    let ask = |code: i32, q: &str| {
        wire::request(
            addr,
            code,
            &[("consumerGroup", group), ("topic", topic), ("queueId", q)],
            Duration::from_secs(3),
        )
        .ok()
        .filter(|r| r.code == 0)
        .and_then(|r| r.ext_str("offset").and_then(|o| o.parse::<i64>().ok()))
    };
    (0..queues)
        .map(|q| {
            let q = q.to_string();
            (ask(QUERY_CONSUMER_OFFSET, &q), ask(GET_MAX_OFFSET, &q))
        })
        .collect()
}

/// Waits until the broker at `addr` holds `group`'s committed offset of every queue `0..queues`
/// of `topic` at the queue's end: what a consumer persists (every 5 s) has reached the broker.
/// A timeout names what the broker held.
pub(crate) fn wait_offsets_committed(addr: &str, topic: &str, group: &str, queues: u32) {
    let mut last = Vec::new();
    let reached = wait::poll(Duration::from_secs(60), || {
        last = committed_and_ends(addr, topic, group, queues);
        last.iter().all(|(done, end)| end.is_some() && done == end)
    });
    assert!(
        reached,
        "{group}'s offsets of {topic} on {addr} never reached the queues' ends: \
         (committed, end) per queue {last:?}"
    );
}

/// The queue ids and group size of a consumer's latest allocation, from the `alloc` lines
/// GroupDriver and OrderedDriver print (`{"alloc":"0,3,5","cids":N}`).
pub(crate) fn latest_allocation(lines: &[serde_json::Value]) -> Option<(BTreeSet<u64>, u64)> {
    let last = lines.iter().rev().find(|l| l.get("alloc").is_some())?;
    let ids = last["alloc"]
        .as_str()?
        .split(',')
        .filter(|q| !q.is_empty())
        .filter_map(|q| q.parse().ok())
        .collect();
    Some((ids, last["cids"].as_u64()?))
}

/// Every consumer's latest allocation is from a round that saw all of them (one output per
/// consumer), the allocations are disjoint and they cover queues `0..queues`.
pub(crate) fn allocations_settled(outputs: &[Vec<serde_json::Value>], queues: u64) -> bool {
    let mut covered = BTreeSet::new();
    for lines in outputs {
        let Some((ids, cids)) = latest_allocation(lines) else {
            return false;
        };
        if cids != outputs.len() as u64 || ids.iter().any(|q| !covered.insert(*q)) {
            return false;
        }
    }
    covered == (0..queues).collect()
}
