//! Master/slave replication (issue 10), each scenario on its own NameServer and group, against
//! Thrust, against Java 5.3.3 (which proves the scenario) and in mixed groups:
//!
//! ```text
//!   NameServer ── master (id 0, SYNC_MASTER | ASYNC_MASTER) ──HA port──▶ slave (id 1, SLAVE)
//!                  store-m/                                              store-s/
//! ```
//! Producers are the Java 5.3.3 and Go clients; consumers the Java client. Every group sets
//! `slaveReadEnable=true` (a 5.3.3 slave refuses pulls without it) and, for SYNC_MASTER,
//! `inSyncReplicas=2` (5.3.3's default of 1 acknowledges without waiting for a slave).

pub(crate) mod group;
mod migration;

use std::time::Duration;

use compat_tests::process::{run, Background};
use compat_tests::tools::{go_driver_cmd, java_driver, java_program, kv, mqadmin, JavaClient};
use compat_tests::traffic::{acked_bodies, assert_none_lost, send_results};

use super::common::*;
use group::*;

/// Keys of a SYNC_MASTER that waits for one slave.
pub(crate) const SYNC: &[(&str, &str)] = &[("inSyncReplicas", "2")];

pub(crate) fn durable(args: &[String]) -> compat_tests::process::Cmd {
    java_program(JavaClient::V5_3_3, "DurableDriver", args)
}

/// A DurableDriver `stream` producer in the background, printing one line per send.
pub(crate) fn stream(ns: &str, topic: &str, body: &str, pause_ms: u32) -> Background {
    let pause = pause_ms.to_string();
    let group = unique("hap");
    let args = kv(
        "stream",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", &group),
            ("count", "1000000"),
            ("body", body),
            ("pause_ms", &pause),
        ],
    );
    Background::spawn(&durable(&args), Duration::from_secs(600))
}

/// Waits until a stream producer has at least `n` acknowledged sends.
pub(crate) fn wait_acked(p: &mut Background, n: u64) {
    let got = p.wait_json(Duration::from_secs(120), |v| {
        v["status"] == "SEND_OK" && v["i"].as_u64() >= Some(n)
    });
    assert!(got.is_some(), "producer too slow:\n{}", p.stdout());
}

/// A DurableDriver consumer that exits once every body of `need` arrived (or its timeout).
pub(crate) fn consume_all(
    ns: &str,
    topic: &str,
    group: &str,
    need: &[String],
) -> compat_tests::process::Output {
    consume_to(ns, topic, group, need, "")
}

/// [`consume_all`], and then on until the consumed offset of each queue id in `drain_to`
/// (`Q:OFFSET,...`) reaches its OFFSET.
fn consume_to(
    ns: &str,
    topic: &str,
    group: &str,
    need: &[String],
    drain_to: &str,
) -> compat_tests::process::Output {
    run(
        &consume_cmd(ns, topic, group, need, drain_to, 500),
        Duration::from_secs(200),
    )
}

/// [`consume_to`] in the background, for a consumer that outlives a broker's restart: it
/// lingers `linger_ms` once done, committing its offsets every 5 s, until stopped.
fn consume_in_background(
    ns: &str,
    topic: &str,
    group: &str,
    need: &[String],
    drain_to: &str,
    linger_ms: u32,
) -> Background {
    let cmd = consume_cmd(ns, topic, group, need, drain_to, linger_ms);
    Background::spawn(&cmd, Duration::from_secs(400))
}

fn consume_cmd(
    ns: &str,
    topic: &str,
    group: &str,
    need: &[String],
    drain_to: &str,
    linger_ms: u32,
) -> compat_tests::process::Cmd {
    let file = compat_tests::env::work_dir("ha-need").join("need.txt");
    std::fs::write(&file, need.join("\n")).expect("write the needed bodies");
    let path = file.display().to_string();
    let linger = linger_ms.to_string();
    let args = kv(
        "consume",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", group),
            ("need_file", &path),
            ("timeout_ms", "150000"),
            ("linger_ms", &linger),
            ("drain_to", drain_to),
        ],
    );
    durable(&args)
}

/// Sync Java 5.3.3 sends and Go sends; every one must be acknowledged SEND_OK. Returns the
/// bodies sent.
fn produce_java_and_go(ns: &str, topic: &str, java: &Batch, go: &Batch) -> Vec<String> {
    let cmd = java_driver(JavaClient::V5_3_3, &producer_args(ns, topic, java));
    send_results(&cmd, java.count);
    send_results(&go_driver_cmd(&producer_args(ns, topic, go)), go.count);
    java.bodies().chain(go.bodies()).collect()
}

/// Master and slave of one implementation: produce under load, the slave's CommitLog is the
/// master's byte for byte, `haStatus` and `clusterList` show the slave; then the master is
/// SIGKILLed while a producer streams, and a consumer reading from the slave gets every
/// acknowledged message (SYNC_MASTER: every one; ASYNC_MASTER: those the slave had) and commits
/// its offsets to the slave. Under SYNC_MASTER the master then comes back on its store: the same
/// consumer gets what is sent after, and its offsets reach the master.
fn pair(imp: Impl, ns_kind: Kind, sync: bool) {
    let mut g = Group::new(ns_kind);
    let (role, extra) = if sync {
        ("SYNC_MASTER", SYNC)
    } else {
        ("ASYNC_MASTER", &[][..])
    };
    let name = unique("hapair");
    let m = g.add(&name, 0, role, extra);
    let s = g.add(&name, 1, "SLAVE", &[]);
    g.boot(m, imp);
    // Created before the slave starts, the topic reaches it by its first metadata sync (10 s
    // after start; then every 60 s): a slave refuses pulls of topics it does not know.
    let topic = unique("hat");
    compat_tests::tools::update_topic(g.ns(), HA_CLUSTER, &topic, 4);
    g.boot(s, imp);
    g.wait_attached(m, 0);
    g.wait_topic_synced(s, &topic);
    let java = Batch {
        body: "pairj",
        count: 600,
        mode: "sync",
    };
    let go = Batch {
        body: "pairgo",
        count: 200,
        mode: "sync",
    };
    let mut acked = produce_java_and_go(g.ns(), &topic, &java, &go);
    let end = g.wait_caught_up(m, s);
    assert_same_commitlog(&g.nodes[m].store, &g.nodes[s].store, 0, end);
    check_operations(&g, m, s);

    let mut p = stream(g.ns(), &topic, "load", 5);
    wait_acked(&mut p, 300);
    if sync {
        g.nodes[m].kill();
        acked.extend(acked_bodies(&p.finish(Duration::from_secs(1))));
    } else {
        // An ASYNC_MASTER acknowledges before the slave has a message: stop sending and let
        // the slave catch up before the kill.
        acked.extend(acked_bodies(&p.finish(Duration::from_secs(1))));
        g.wait_caught_up(m, s);
        g.nodes[m].kill();
    }
    wait_master_gone(g.ns(), &name);
    // The slave's queues end where they are: only the dead master wrote to them. Besides the
    // acknowledged messages they may hold sends the master stored but never answered, which
    // the consumer must also have consumed before its offsets can reach the ends.
    let sa = g.nodes[s].addr().to_string();
    let ends: Vec<Option<i64>> = (0..4).map(|q| max_offset(&sa, &topic, q)).collect();
    assert!(ends.iter().all(|e| e.is_some_and(|e| e > 0)), "{ends:?}");
    let drain_to: Vec<String> = ends
        .iter()
        .enumerate()
        .map(|(q, e)| format!("{q}:{}", e.unwrap_or_default()))
        .collect();
    let group = unique("hac");
    let back = Batch {
        body: "back",
        count: 200,
        mode: "sync",
    };
    // SYNC_MASTER: the master also comes back, and the consumer, still running, must go on with
    // the messages sent after it and hand its offsets back to the master.
    let mut need = acked.clone();
    if sync {
        need.extend(back.bodies());
    }
    let mut consumer = consume_in_background(
        g.ns(),
        &topic,
        &group,
        &need,
        &drain_to.join(","),
        if sync { 120_000 } else { 500 },
    );
    // With no master the client commits its offsets to the slave, which keeps them.
    wait_until(
        Duration::from_secs(90),
        "the group's offsets committed to the slave",
        || (0..4).all(|q| committed(&sa, &group, &topic, q) == ends[q as usize]),
    );
    let ends_now: Vec<Option<i64>> = (0..4).map(|q| max_offset(&sa, &topic, q)).collect();
    assert_eq!(ends, ends_now, "nothing was written to the slave");
    if !sync {
        let out = consumer.finish(Duration::from_secs(200));
        assert_none_lost(&need, &out);
        out.assert_ok();
        return;
    }
    g.boot(m, imp);
    g.wait_attached(m, commitlog_max(&sa).unwrap_or_default());
    let cmd = java_driver(JavaClient::V5_3_3, &producer_args(g.ns(), &topic, &back));
    send_results(&cmd, back.count);
    let got = consumer.wait_json(Duration::from_secs(150), |v| v.get("complete").is_some());
    assert!(
        got.is_some_and(|v| v["complete"] == true),
        "the consumer got everything:\n{}",
        consumer.stdout()
    );
    // The client commits to the master once its routes have it again (they are refreshed every
    // 30 s; until then the slave gets the commits), at its next 5 s persist.
    let ma = g.nodes[m].addr().to_string();
    let master_ends: Vec<Option<i64>> = (0..4).map(|q| max_offset(&ma, &topic, q)).collect();
    let mut last = Vec::new();
    let handed = (0..450).any(|_| {
        last = (0..4).map(|q| committed(&ma, &group, &topic, q)).collect();
        last == master_ends || {
            std::thread::sleep(Duration::from_millis(200));
            false
        }
    });
    let out = consumer.stop();
    assert!(
        handed,
        "offsets handed back to the master: committed {last:?}, queue ends {master_ends:?}\n{out}"
    );
    assert_none_lost(&need, &out);
}

/// Waits until the NameServer lists no master (id 0) for `name`, the slave still listed.
pub(crate) fn wait_master_gone(ns: &str, name: &str) {
    wait_until(
        Duration::from_secs(60),
        "the NameServer to drop the master",
        || {
            compat_tests::wire::cluster_info(ns).is_ok_and(|v| {
                let addrs = &v["brokerAddrTable"][name]["brokerAddrs"];
                addrs["0"].is_null() && !addrs["1"].is_null()
            })
        },
    );
}

/// `mqadmin haStatus` on master and slave, `clusterList` with the slave's row.
fn check_operations(g: &Group, m: usize, s: usize) {
    let (ma, sa) = (g.nodes[m].addr(), g.nodes[s].addr());
    let out = mqadmin(g.ns(), &["haStatus", "-b", ma]);
    out.assert_ok();
    assert!(out.stdout.contains("#SlaveNum\t1"), "{}", out.stdout);
    assert!(out.stdout.contains("#InSyncSlaveNum\t1"), "{}", out.stdout);
    let out = mqadmin(g.ns(), &["haStatus", "-b", sa]);
    out.assert_ok();
    assert!(
        out.stdout.contains("#MasterAddr\t127.0.0.1:"),
        "{}",
        out.stdout
    );
    let out = mqadmin(g.ns(), &["clusterList", "-c", HA_CLUSTER]);
    out.assert_ok();
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(&g.nodes[m].name))
        .collect();
    assert!(
        rows.iter().any(|l| l.contains(ma)) && rows.iter().any(|l| l.contains(sa)),
        "clusterList lists master and slave:\n{}",
        out.stdout
    );
    let out = mqadmin(g.ns(), &["brokerStatus", "-b", sa]);
    out.assert_ok();
    assert!(out.stdout.contains("commitLogMaxOffset"), "{}", out.stdout);
}

#[test]
fn java_pair_sync() {
    let _s = compat_tests::scenario::heavy(400);
    pair(Impl::Java, Kind::Java, true);
}

#[test]
fn ours_pair_sync() {
    let _s = compat_tests::scenario::heavy(300);
    pair(Impl::Ours, Kind::Ours, true);
}

#[test]
fn java_pair_async() {
    let _s = compat_tests::scenario::heavy(400);
    pair(Impl::Java, Kind::Java, false);
}

#[test]
fn ours_pair_async() {
    let _s = compat_tests::scenario::heavy(300);
    pair(Impl::Ours, Kind::Ours, false);
}

/// The committed offset of `group` on `topic`/`queue` at a broker (QUERY_CONSUMER_OFFSET).
fn committed(addr: &str, group: &str, topic: &str, queue: u32) -> Option<i64> {
    let q = queue.to_string();
    let ext = [
        ("consumerGroup", group),
        ("topic", topic),
        ("queueId", q.as_str()),
    ];
    let r = compat_tests::wire::request(addr, 14, &ext, Duration::from_secs(5)).ok()?;
    (r.code == 0).then(|| r.ext_str("offset")?.parse().ok())?
}

/// The end of `topic`/`queue` at a broker (GET_MAX_OFFSET).
pub(crate) fn max_offset(addr: &str, topic: &str, queue: u32) -> Option<i64> {
    let q = queue.to_string();
    let ext = [("topic", topic), ("queueId", q.as_str())];
    let r = compat_tests::wire::request(addr, 30, &ext, Duration::from_secs(5)).ok()?;
    (r.code == 0).then(|| r.ext_str("offset")?.parse().ok())?
}

/// A mixed group: a consumer group's committed offsets, the topic and the group reach the slave
/// by metadata sync, the CommitLog by replication byte for byte; with the master SIGKILLed, the
/// group goes on from the slave with exactly the messages it had not consumed.
fn mixed(master: Impl, slave: Impl, ns_kind: Kind) {
    let mut g = Group::new(ns_kind);
    let name = unique("hamix");
    // The slave also syncs the master's timer checkpoint (requests 60 and 61 across the kinds).
    let timer = [("timerWheelEnable", "true")];
    let m = g.add(&name, 0, "ASYNC_MASTER", &timer);
    let s = g.add(&name, 1, "SLAVE", &timer);
    g.boot(m, master);
    let (topic, group) = (unique("hmt"), unique("hmg"));
    compat_tests::tools::update_topic(g.ns(), HA_CLUSTER, &topic, 4);
    let before = Batch {
        body: "before",
        count: 300,
        mode: "sync",
    };
    let cmd = java_driver(JavaClient::V5_3_3, &producer_args(g.ns(), &topic, &before));
    send_results(&cmd, before.count);
    let want: Vec<String> = before.bodies().collect();
    consume_all(g.ns(), &topic, &group, &want).assert_ok();
    let ma = g.nodes[m].addr().to_string();
    // The consumer's last commits are oneway: wait for every queue's offset at its end.
    let master_offsets: Vec<Option<i64>> = (0..4).map(|q| max_offset(&ma, &topic, q)).collect();
    let mut last = Vec::new();
    let done = (0..300).any(|_| {
        last = (0..4).map(|q| committed(&ma, &group, &topic, q)).collect();
        last == master_offsets || {
            std::thread::sleep(Duration::from_millis(100));
            false
        }
    });
    assert!(done, "committed {last:?}, queue ends {master_offsets:?}");

    g.boot(s, slave);
    // The master holds the 300 messages: the slave has attached once it holds them too (a 4.x
    // master has no GET_BROKER_HA_STATUS to ask).
    g.wait_caught_up(m, s);
    g.wait_topic_synced(s, &topic);
    let sa = g.nodes[s].addr().to_string();
    wait_until(
        Duration::from_secs(90),
        "the offsets synced to the slave",
        || (0..4).all(|q| committed(&sa, &group, &topic, q) == master_offsets[q as usize]),
    );
    let after = Batch {
        body: "after",
        count: 200,
        mode: "sync",
    };
    let cmd = java_driver(JavaClient::V5_3_3, &producer_args(g.ns(), &topic, &after));
    send_results(&cmd, after.count);
    let end = g.wait_caught_up(m, s);
    assert_same_commitlog(&g.nodes[m].store, &g.nodes[s].store, 0, end);

    g.nodes[m].kill();
    wait_master_gone(g.ns(), &name);
    let want: Vec<String> = after.bodies().collect();
    let out = consume_all(g.ns(), &topic, &group, &want);
    out.assert_ok();
    let got: std::collections::BTreeSet<String> = compat_tests::traffic::bodies(&out.json_lines())
        .into_iter()
        .collect();
    let want: std::collections::BTreeSet<String> = want.into_iter().collect();
    assert_eq!(
        got, want,
        "the group continues where it was, from the slave\n{out}"
    );
}

#[test]
fn java_mixed_java_master_java_slave() {
    let _s = compat_tests::scenario::heavy(400);
    mixed(Impl::Java, Impl::Java, Kind::Java);
}

#[test]
fn ours_mixed_java_master_ours_slave() {
    let _s = compat_tests::scenario::heavy(400);
    mixed(Impl::Java, Impl::Ours, Kind::Java);
}

#[test]
fn ours_mixed_ours_master_java_slave() {
    let _s = compat_tests::scenario::heavy(400);
    mixed(Impl::Ours, Impl::Java, Kind::Ours);
}

#[test]
fn ours_mixed_java4_master_ours_slave() {
    let _s = compat_tests::scenario::heavy(400);
    mixed(Impl::Java4, Impl::Ours, Kind::Java);
}

#[test]
fn ours_mixed_ours_master_java4_slave() {
    let _s = compat_tests::scenario::heavy(400);
    mixed(Impl::Ours, Impl::Java4, Kind::Ours);
}

#[test]
fn java_mixed_java4_master_java4_slave() {
    let _s = compat_tests::scenario::heavy(400);
    mixed(Impl::Java4, Impl::Java4, Kind::Java);
}

/// Slave read offload: with `accessMessageInMemoryMaxRatio=0` on the master every pull that
/// leaves messages behind counts as cold, so the master sends the consumer to the slave
/// (`whichBrokerWhenConsumeSlowly`=1); the slave (ratio 40 − 10) finds the data hot and sends it
/// back. Both serve part of the backlog and the consumer gets all of it.
fn offload(imp: Impl, ns_kind: Kind) {
    let mut g = Group::new(ns_kind);
    let name = unique("haoff");
    let m = g.add(
        &name,
        0,
        "ASYNC_MASTER",
        &[("accessMessageInMemoryMaxRatio", "0")],
    );
    let s = g.add(&name, 1, "SLAVE", &[]);
    g.boot(m, imp);
    let topic = unique("hot");
    compat_tests::tools::update_topic(g.ns(), HA_CLUSTER, &topic, 4);
    g.boot(s, imp);
    g.wait_attached(m, 0);
    g.wait_topic_synced(s, &topic);
    let backlog = Batch {
        body: "lag",
        count: 1000,
        mode: "sync",
    };
    let cmd = java_driver(JavaClient::V5_3_3, &producer_args(g.ns(), &topic, &backlog));
    let ids = compat_tests::traffic::msg_ids(&send_results(&cmd, backlog.count));
    g.wait_caught_up(m, s);
    let got_before = |i: usize| gets(g.nodes[i].addr());
    let (m0, s0) = (got_before(m), got_before(s));
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(g.ns(), &topic, &unique("hog"), backlog.count),
    ));
    let out = c.finish(Duration::from_secs(150));
    check_received(&out, &[backlog], &ids);
    let (m1, s1) = (gets(g.nodes[m].addr()), gets(g.nodes[s].addr()));
    assert!(s1 > s0, "the slave served pulls: {s0} -> {s1}");
    assert!(m1 > m0, "the master served pulls: {m0} -> {m1}");
}

/// Messages a broker has served (`msgGetTotalTodayNow`).
fn gets(addr: &str) -> i64 {
    runtime_info(addr)
        .and_then(|t| t["msgGetTotalTodayNow"].as_str()?.parse().ok())
        .unwrap_or(-1)
}

#[test]
fn java_slave_read_offload() {
    let _s = compat_tests::scenario::heavy(400);
    offload(Impl::Java, Kind::Java);
}

#[test]
fn ours_slave_read_offload() {
    let _s = compat_tests::scenario::heavy(300);
    offload(Impl::Ours, Kind::Ours);
}
