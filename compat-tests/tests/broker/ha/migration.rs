//! Groups changing under traffic: a Java group converted to Thrust one node at a time and back,
//! and two groups (2m-2s-sync) losing one master.

use std::collections::BTreeSet;
use std::time::Duration;

use compat_tests::process::Background;
use compat_tests::tools::kv;
use compat_tests::traffic::{acked_bodies, assert_none_lost, bodies};

use super::group::*;
use super::{consume_all, durable, stream, wait_acked, wait_master_gone, SYNC};
use crate::broker::common::*;

/// A consumer of `group` running in the background until stopped.
fn long_consumer(ns: &str, topic: &str, group: &str) -> Background {
    let args = kv(
        "consume",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", group),
            ("expect", "100000000"),
            ("timeout_ms", "900000"),
            ("linger_ms", "0"),
        ],
    );
    let mut c = Background::spawn(&durable(&args), Duration::from_secs(1000));
    let ready = c.wait_json(Duration::from_secs(90), |v| v.get("ready").is_some());
    assert!(ready.is_some(), "consumer did not start:\n{}", c.stdout());
    c
}

/// Replaces node `i` (stopped with SIGTERM) by `imp` on the same store, and waits until it is
/// back in its group: a master has its slave attached again, a slave is attached again.
fn replace(g: &mut Group, i: usize, imp: Impl, master: usize) {
    g.nodes[i].stop();
    g.boot(i, imp);
    g.wait_attached(master, 0);
}

/// Waits until the stream producer `p` has `more` further acknowledged sends than `seen`.
fn more_acked(p: &mut Background, seen: &mut u64, more: u64) {
    let want = *seen + more;
    wait_acked(p, want);
    *seen = want;
}

/// A Java master/slave group under steady produce/consume is converted node by node to `to`
/// (slave first, then master) and back to Java; every acknowledged message is consumed
/// (duplicates allowed). With `to` = Java each node is merely restarted once, slave then
/// master: that run proves the scenario (a second round would repeat the first).
pub(crate) fn rolling(to: Impl) {
    let mut g = Group::new(Kind::Java);
    let name = unique("haroll");
    let m = g.add(&name, 0, "ASYNC_MASTER", &[]);
    let s = g.add(&name, 1, "SLAVE", &[]);
    g.boot(m, Impl::Java);
    let (topic, group) = (unique("hrt"), unique("hrg"));
    compat_tests::tools::update_topic(g.ns(), HA_CLUSTER, &topic, 4);
    g.boot(s, Impl::Java);
    g.wait_attached(m, 0);
    g.wait_topic_synced(s, &topic);
    let mut p = stream(g.ns(), &topic, "roll", 20);
    let c = long_consumer(g.ns(), &topic, &group);
    let mut seen = 0;
    more_acked(&mut p, &mut seen, 100);
    let swaps = if to == Impl::Java {
        vec![(s, to), (m, to)]
    } else {
        vec![(s, to), (m, to), (s, Impl::Java), (m, Impl::Java)]
    };
    let started = std::time::Instant::now();
    for (node, imp) in swaps {
        replace(&mut g, node, imp, m);
        more_acked(&mut p, &mut seen, 100);
        eprintln!(
            "rolling: node {node} back as {imp:?}, {seen} sends acknowledged, at {:?}",
            started.elapsed()
        );
    }
    let acked = acked_bodies(&p.finish(Duration::from_secs(1)));
    wait_until(
        Duration::from_secs(180),
        "every acknowledged message consumed",
        || {
            let got: BTreeSet<String> = bodies(&compat_tests::process::json_lines(&c.stdout()))
                .into_iter()
                .collect();
            acked.iter().all(|b| got.contains(b))
        },
    );
    // It never exits on its own (it expects far more than is sent): every acknowledged message
    // is already in what it printed.
    let out = c.stop();
    assert_none_lost(&acked, &out);
}

#[test]
fn java_rolling_migration() {
    let _s = compat_tests::scenario::heavy(900);
    rolling(Impl::Java);
}

#[test]
fn ours_rolling_migration() {
    let _s = compat_tests::scenario::heavy(900);
    rolling(Impl::Ours);
}

/// Two SYNC_MASTER groups (conf/2m-2s-sync): master a is SIGKILLed while a producer streams;
/// the producer goes on through group b, and a consumer drains every acknowledged message, a's
/// from its slave.
pub(crate) fn two_groups(imp: Impl, ns_kind: Kind) {
    let mut g = Group::new(ns_kind);
    let (a, b) = (unique("ha2a"), unique("ha2b"));
    let am = g.add(&a, 0, "SYNC_MASTER", SYNC);
    let asl = g.add(&a, 1, "SLAVE", &[]);
    let bm = g.add(&b, 0, "SYNC_MASTER", SYNC);
    let bsl = g.add(&b, 1, "SLAVE", &[]);
    g.boot_together(&[am, bm], imp);
    let topic = unique("h2t");
    compat_tests::tools::update_topic(g.ns(), HA_CLUSTER, &topic, 4);
    g.boot_together(&[asl, bsl], imp);
    g.wait_attached(am, 0);
    g.wait_attached(bm, 0);
    g.wait_topic_synced(asl, &topic);
    g.wait_topic_synced(bsl, &topic);
    let mut p = stream(g.ns(), &topic, "two", 5);
    let mut seen = 0;
    more_acked(&mut p, &mut seen, 300);
    g.nodes[am].kill();
    wait_master_gone(g.ns(), &a);
    more_acked(&mut p, &mut seen, 300);
    let acked = acked_bodies(&p.finish(Duration::from_secs(1)));
    let got = consume_all(g.ns(), &topic, &unique("h2c"), &acked);
    assert_none_lost(&acked, &got);
    got.assert_ok();
}

#[test]
fn java_two_groups_one_master_dies() {
    let _s = compat_tests::scenario::heavy(600);
    two_groups(Impl::Java, Kind::Java);
}

#[test]
fn ours_two_groups_one_master_dies() {
    let _s = compat_tests::scenario::heavy(400);
    two_groups(Impl::Ours, Kind::Ours);
}
