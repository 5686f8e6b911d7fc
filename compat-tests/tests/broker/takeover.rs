//! Drop-in store takeover between the Java broker and ours.

use std::collections::BTreeSet;
use std::time::Duration;

use compat_tests::env::{require_setup, work_dir};
use compat_tests::servers::{Namesrv, NsKind};
use compat_tests::tools::{java_driver, update_topic, JavaClient};

use compat_tests::traffic::bodies;

use super::common::*;

/// Drop-in: the Java broker writes a store (messages, topics.json, consumerOffset.json,
/// subscriptionGroup.json, the timer wheel's files), ours takes it over and serves the rest, then
/// the Java broker takes it back and reads what ours wrote.
#[test]
fn takeover_java_store_and_back() {
    let _s = compat_tests::scenario::heavy(400);
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
    let timer = [TIMER_WHEEL];
    let java = start_java_broker_with(&ns.addr, "broker-t", &store, CLUSTER, &timer);
    update_topic(&ns.addr, CLUSTER, &topic, 4);
    let ids = produce_any(&ns.addr, &topic, &first);
    // The driver's consumer commits only through its periodic persist (every 5 s, one oneway
    // request per queue), and phase two resumes from what the broker holds when stopped. Java
    // 5.3.3's ConsumerOffsetManager.commitOffset creates a group's offset map by get-then-put:
    // of a new group's first commits, handled together on different threads, one can be lost.
    // Lingering 16 s after the last message takes at least two persists, the second into an
    // existing map.
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(&ns.addr, &topic, &group, 5, 16_000),
    ));
    check_received(&c.finish(Duration::from_secs(150)), &[first], &ids);
    wait_offsets_committed(&java.addr, &topic, &group, 4);
    java.server.stop();

    let (ours, _) = start_ours_broker_with(&ns.addr, "broker-t", &store, CLUSTER, &timer);
    let ids = produce_any(&ns.addr, &topic, &second);
    // the group resumes from the offsets Java committed: only the new messages arrive
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(&ns.addr, &topic, &group, 5, 3_000),
    ));
    check_received(&c.finish(Duration::from_secs(150)), &[second], &ids);
    ours.stop();

    let _java = start_java_broker_with(&ns.addr, "broker-t", &store, CLUSTER, &timer);
    let all = unique("tkall");
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(&ns.addr, &topic, &all, 10),
    ));
    let got = c.finish(Duration::from_secs(150));
    got.assert_ok();
    let received: BTreeSet<String> = bodies(&got.json_lines()).into_iter().collect();
    assert_eq!(
        received.len(),
        10,
        "the Java broker reads both brokers' messages: {got}"
    );
}
