//! POP consumption with the unmodified Java client 5.3.3: `mqadmin setConsumeMode … -m POP`
//! switches a group to POP; its push consumer (`clientRebalance=false`) asks the broker for
//! its queues (QUERY_ASSIGNMENT), pops them (POP_MESSAGE, queueId −1) and acks every message
//! (ACK_MESSAGE). A message its listener fails once is hidden again for 10 s
//! (CHANGE_MESSAGE_INVISIBLETIME) and comes back through the POP retry topic with
//! `reconsumeTimes` 1, put there by the broker's revive service. A second group on the same
//! topic consumes it by pull as usual.
//!
//! The Java side is `thrust.compat.PopDriver` (compat-tests/java/client).

use std::collections::BTreeMap;
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::process::Background;
use compat_tests::tools::{java_driver, java_program, kv, mqadmin, JavaClient};
use serde_json::Value;

use compat_tests::traffic::send_results;

use super::common::*;

const COUNT: usize = 16;

/// A `PopDriver member`; `fail` is the body its listener fails once.
fn member(
    s: &Stack,
    topic: &str,
    group: &str,
    pop: bool,
    fail: &str,
) -> (Background, std::path::PathBuf) {
    let stop = work_dir("pop-stop").join("stop");
    let args = kv(
        "member",
        &[
            ("ns", s.ns()),
            ("topic", topic),
            ("group", group),
            ("broker_rebalance", if pop { "true" } else { "false" }),
            ("fail", fail),
            ("stop_file", &stop.display().to_string()),
        ],
    );
    (
        consumer(&java_program(JavaClient::V5_3_3, "PopDriver", &args)),
        stop,
    )
}

/// Deliveries by body.
fn by_body(c: &Background) -> BTreeMap<String, Vec<Value>> {
    let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for l in compat_tests::process::json_lines(&c.stdout()) {
        if let Some(b) = l["body"].as_str() {
            m.entry(b.to_string()).or_default().push(l.clone());
        }
    }
    m
}

fn stop(c: Background, stop: std::path::PathBuf) {
    std::fs::write(&stop, "stop").expect("write stop file");
    c.finish(Duration::from_secs(60)).assert_ok();
}

fn pop_consumption(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, pop_group, pull_group) = (unique("pop"), unique("popg"), unique("pullg"));
    create_topic(s, &topic);
    mqadmin(s.ns(), &["updateSubGroup", "-c", CLUSTER, "-g", &pop_group]).assert_ok();
    let set = mqadmin(
        s.ns(),
        &[
            "setConsumeMode",
            "-c",
            CLUSTER,
            "-t",
            &topic,
            "-g",
            &pop_group,
            "-m",
            "POP",
            "-q",
            "0",
        ],
    );
    set.assert_ok();
    assert!(set.stdout.contains("success"), "{set}");
    let failing = "pop-3";
    let (popper, pop_stop) = member(s, &topic, &pop_group, true, failing);
    let (puller, pull_stop) = member(s, &topic, &pull_group, false, "");
    let args = kv(
        "produce",
        &[
            ("ns", s.ns()),
            ("topic", &topic),
            ("group", &unique("poppg")),
            ("count", &COUNT.to_string()),
            ("body", "pop"),
        ],
    );
    send_results(&java_driver(JavaClient::V5_3_3, &args), COUNT);
    let all: Vec<String> = (0..COUNT).map(|i| format!("pop-{i}")).collect();
    wait_until(
        Duration::from_secs(60),
        "the POP group got every message",
        || {
            let got = by_body(&popper);
            all.iter().all(|b| got.contains_key(b))
        },
    );
    wait_until(
        Duration::from_secs(60),
        "the pull group got every message",
        || {
            let got = by_body(&puller);
            all.iter().all(|b| got.contains_key(b))
        },
    );
    // Back after the 10 s the client asked for, through the retry topic, under the topic's name.
    wait_until(
        Duration::from_secs(90),
        "the failed message came back",
        || by_body(&popper).get(failing).is_some_and(|d| d.len() >= 2),
    );
    let got = by_body(&popper);
    for d in got.values().flatten() {
        assert!(
            d["popCk"].is_string(),
            "a popped message carries POP_CK: {d}"
        );
        assert_eq!(d["topic"], topic.as_str(), "{d}");
    }
    let again = &got[failing][1];
    assert_eq!(again["reconsumeTimes"], 1, "{again}");
    assert_eq!(
        again["popCk"].as_str().and_then(|c| c.split(' ').nth(4)),
        Some("1"),
        "retry mark: {again}"
    );
    for (b, d) in &got {
        if b != failing {
            assert_eq!(d.len(), 1, "{b} delivered once (acked): {d:?}");
        }
    }
    for d in by_body(&puller).values().flatten() {
        assert!(d["popCk"].is_null(), "the pull group does not pop: {d}");
    }
    stop(popper, pop_stop);
    stop(puller, pull_stop);
}

#[test]
fn java_pop_consumption() {
    let _s = compat_tests::scenario::heavy(150);
    pop_consumption(Kind::Java);
}

#[test]
fn ours_pop_consumption() {
    let _s = compat_tests::scenario::heavy(150);
    pop_consumption(Kind::Ours);
}
