//! Broker features driven by the Java client: transactions, consume retry and DLQ, orderly
//! consumption with queue locks, lite pull and broadcasting, and 5.x timer messages.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::process::{json_lines, run};
use compat_tests::tools::{java_driver, java_program, kv, JavaClient};

use compat_tests::traffic::bodies;

use super::common::*;

/// A new topic holding `count` messages from a Java 5.3.3 sync producer (bodies `<body>-i`).
fn seeded_topic(s: &Stack, body: &'static str, count: usize) -> String {
    let topic = unique(body);
    create_topic(s, &topic);
    let batch = Batch {
        body,
        count,
        mode: "sync",
    };
    produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    topic
}

/// Transactions from the Java client: commit and rollback at once, "unknown" resolved by the
/// broker's check-back; consumers then see exactly the committed messages.
fn transactions(kind: Kind, v: JavaClient) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("tx");
    create_topic(s, &topic);
    let group = unique("txpg");
    let pairs = [
        ("group", group.as_str()),
        ("count", "6"),
        ("linger_ms", "40000"),
    ];
    let out = drive(v, "tx", s, &topic, &pairs, 120);
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
    let got: BTreeSet<String> = bodies(&c.finish(Duration::from_secs(150)).json_lines())
        .into_iter()
        .collect();
    let want: BTreeSet<String> = ["tx-0", "tx-2", "tx-3", "tx-5"]
        .iter()
        .map(|b| b.to_string())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn java_transactions_java5() {
    let _s = compat_tests::scenario::light(120);
    transactions(Kind::Java, JavaClient::V5_3_3);
}

#[test]
fn ours_transactions_java5() {
    let _s = compat_tests::scenario::light(120);
    transactions(Kind::Ours, JavaClient::V5_3_3);
}

#[test]
fn ours_transactions_java4() {
    let _s = compat_tests::scenario::light(120);
    transactions(Kind::Ours, JavaClient::V4_9_8);
}

/// RECONSUME_LATER: the message comes back once through `%RETRY%<group>` (send-back + delay
/// level 1), with its original topic and reconsumeTimes 1.
fn consume_retry(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = seeded_topic(s, "rt", 4);
    let group = unique("rcg");
    let pairs = [
        ("group", group.as_str()),
        ("expect", "4"),
        ("timeout_ms", "100000"),
    ];
    let out = drive(JavaClient::V5_3_3, "retry", s, &topic, &pairs, 150);
    for l in out.json_lines().iter().filter(|l| l.get("body").is_some()) {
        assert_eq!(
            l["topic"],
            topic.as_str(),
            "retried message keeps its topic: {l}"
        );
    }
}

#[test]
fn java_consume_retry() {
    let _s = compat_tests::scenario::light(120);
    consume_retry(Kind::Java);
}

#[test]
fn ours_consume_retry() {
    let _s = compat_tests::scenario::light(120);
    consume_retry(Kind::Ours);
}

/// An orderly (MessageListenerOrderly) Java 4.9.8 consumer: queue locks, in-order delivery.
fn orderly(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = seeded_topic(s, "ord", 20);
    let group = unique("ocg");
    let pairs = [("group", group.as_str()), ("expect", "20")];
    let out = drive(JavaClient::V4_9_8, "orderly", s, &topic, &pairs, 120);
    let done = out
        .json_lines()
        .into_iter()
        .find(|l| l.get("done").is_some());
    assert!(
        done.is_some_and(|d| d["disorder"] == 0 && d["received"] == 20),
        "{out}"
    );
}

#[test]
fn java_orderly() {
    let _s = compat_tests::scenario::light(120);
    orderly(Kind::Java);
}

#[test]
fn ours_orderly() {
    let _s = compat_tests::scenario::light(120);
    orderly(Kind::Ours);
}

/// Lite pull consumers (5.3.3 sends LITE_PULL_MESSAGE, 4.9.8 PULL_MESSAGE) and two BROADCASTING
/// push consumers of one group, each of which must receive everything.
fn pull_and_broadcast(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = seeded_topic(s, "lp", 10);
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
        run(
            &broker_driver(v, &args("litepull", &unique("lpg"))),
            Duration::from_secs(120),
        )
        .assert_ok();
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

#[test]
fn java_pull_and_broadcast() {
    let _s = compat_tests::scenario::light(120);
    pull_and_broadcast(Kind::Java);
}

#[test]
fn ours_pull_and_broadcast() {
    let _s = compat_tests::scenario::light(120);
    pull_and_broadcast(Kind::Ours);
}

/// 5.x timer messages (TIMER_DELAY_SEC) arrive only after their delivery time; each send
/// answers a recall handle, and a recalled message never arrives (5.3.2+ `recallMessage`, the
/// shared brokers run with `recallMessageEnable`). Recalls naming another broker or a time
/// already past are refused with Java's code and remark.
fn timer_messages(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("timer"), unique("tcg"));
    create_topic(s, &topic);
    // The recalled messages fall due within a second of the others: a 3 s linger would see them.
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args_linger(s.ns(), &topic, &group, 2, 3000),
    ));
    let producer_group = unique("tpg");
    let pairs = [
        ("group", producer_group.as_str()),
        ("count", "4"),
        ("delay_sec", "3"),
        ("recall", "1,3"),
        ("bad_recall", "true"),
    ];
    let sent = drive(JavaClient::V5_3_3, "timer", s, &topic, &pairs, 60);
    let lines = sent.json_lines();
    let sends: Vec<_> = lines.iter().filter(|l| l.get("status").is_some()).collect();
    assert_eq!(sends.len(), 4, "{sent}");
    for l in &sends {
        assert_eq!(l["status"], "SEND_OK", "{sent}");
        assert!(
            l["recallHandle"].as_str().is_some_and(|h| !h.is_empty()),
            "a timer message's send answers a recall handle: {l}"
        );
    }
    let recall = |which: &str| {
        lines
            .iter()
            .find(|l| l["recall"] == which)
            .unwrap_or_else(|| panic!("no recall {which}\n{sent}"))
    };
    for i in ["1", "3"] {
        let r = recall(i);
        assert!(
            r["msgId"].as_str().is_some_and(|id| id.len() == 32),
            "recall {i} answers the message id: {r}"
        );
    }
    let refused = [
        (
            "other-broker",
            "recall failed, broker service not available",
        ),
        ("past", "recall failed, timestamp invalid"),
    ];
    for (which, remark) in refused {
        let r = recall(which);
        assert_eq!(r["code"], 604, "ILLEGAL_OPERATION for {which}: {r}");
        assert_eq!(r["remark"], remark, "{r}");
    }
    let got = c.finish(Duration::from_secs(120));
    got.assert_ok();
    let mut received = bodies(&got.json_lines());
    received.sort();
    assert_eq!(
        received,
        ["timer-0", "timer-2"],
        "the recalled messages never arrive\n{got}"
    );
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

#[test]
fn java_timer_messages() {
    let _s = compat_tests::scenario::light(120);
    timer_messages(Kind::Java);
}

#[test]
fn ours_timer_messages() {
    let _s = compat_tests::scenario::light(120);
    timer_messages(Kind::Ours);
}

/// Ordered messages: a producer routes every order to one queue with a MessageQueueSelector, and
/// three orderly consumers of one group (5.3.3, 5.3.3, 4.9.8) share the queues; each consumer sees
/// every order's steps in sending order, and together they see every message.
fn ordered_by_selector(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("sel"), unique("selg"));
    create_topic(s, &topic);
    let stop = work_dir("ordered-stop").join("stop");
    let stop_arg = stop.display().to_string();
    let member = |v| {
        let args = kv(
            "consume",
            &[
                ("ns", s.ns()),
                ("topic", &topic),
                ("group", &group),
                ("stop_file", &stop_arg),
            ],
        );
        consumer(&java_program(v, "OrderedDriver", &args))
    };
    let members = [
        member(JavaClient::V5_3_3),
        member(JavaClient::V5_3_3),
        member(JavaClient::V4_9_8),
    ];
    wait_until(
        Duration::from_secs(60),
        "three consumers in the group",
        || group_size(s, &group) == 3,
    );
    // The members rebalance as soon as the broker notifies them of the third one.
    wait_until(
        Duration::from_secs(60),
        "three consumers own disjoint queues covering all",
        || {
            let outputs: Vec<_> = members.iter().map(|m| json_lines(&m.stdout())).collect();
            allocations_settled(&outputs, u64::from(QUEUES))
        },
    );
    let (orders, steps) = (8, 6);
    let sent = run(
        &java_program(
            JavaClient::V5_3_3,
            "OrderedDriver",
            &kv(
                "send",
                &[
                    ("ns", s.ns()),
                    ("topic", &topic),
                    ("group", &unique("selpg")),
                    ("orders", &orders.to_string()),
                    ("steps", &steps.to_string()),
                ],
            ),
        ),
        Duration::from_secs(120),
    );
    sent.assert_ok();
    for l in sent.json_lines() {
        let order: u64 = l["body"].as_str().and_then(order_of).unwrap_or(u64::MAX);
        assert_eq!(l["status"], "SEND_OK", "{l}");
        assert_eq!(
            l["queueId"].as_u64(),
            Some(order % u64::from(QUEUES)),
            "{l}"
        );
    }
    wait_until(
        Duration::from_secs(120),
        "every ordered message consumed",
        || {
            let got: BTreeSet<String> = members
                .iter()
                .flat_map(|m| bodies(&json_lines(&m.stdout())))
                .collect();
            got.len() == orders * steps
        },
    );
    std::fs::write(&stop, "stop").expect("write stop file");
    let mut busy = 0;
    for m in members {
        let out = m.finish(Duration::from_secs(60));
        out.assert_ok();
        let mut last: BTreeMap<u64, i64> = BTreeMap::new();
        let mut received = 0;
        for body in bodies(&out.json_lines()) {
            let (order, step) = body
                .strip_prefix('o')
                .and_then(|b| b.split_once('-'))
                .and_then(|(o, st)| Some((o.parse().ok()?, st.parse().ok()?)))
                .unwrap_or_else(|| panic!("unexpected body {body}"));
            let prev = last.insert(order, step).unwrap_or(-1);
            assert!(
                step > prev,
                "order {order}: step {step} after {prev}\n{out}"
            );
            received += 1;
        }
        busy += usize::from(received > 0);
    }
    assert!(
        busy >= 2,
        "the queues were shared by at least two consumers"
    );
}

fn order_of(body: &str) -> Option<u64> {
    body.strip_prefix('o')?.split_once('-')?.0.parse().ok()
}

#[test]
fn java_ordered_by_selector() {
    let _s = compat_tests::scenario::light(120);
    ordered_by_selector(Kind::Java);
}

#[test]
fn ours_ordered_by_selector() {
    let _s = compat_tests::scenario::light(120);
    ordered_by_selector(Kind::Ours);
}
