//! The C++ client (librocketmq as bundled by the PyPI package `rocketmq` 0.4.4, driven through
//! that package's binding by `compat-tests/python/cppdriver.py`) against both brokers: its
//! heartbeat carries `consumeType`, `messageModel` and `consumeFromWhere` as ordinals, which a
//! broker must read as fastjson does for any C++ consumer to get a message.
//!
//! Cases: sync, async and oneway sends to a clustering push consumer (tags, keys and a user
//! property checked); ordered sends through a queue selector to an orderly consumer; `TagA || TagB`
//! for a push and a pull consumer; a delay level.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use compat_tests::process::{run, Background, Output};
use compat_tests::tools::{cpp_driver_cmd, kv};
use compat_tests::traffic::bodies;
use serde_json::Value;

use super::common::*;

/// Starts a C++ push consumer of `topic` in `group` and waits until the broker lists it in the
/// group, which takes a heartbeat the broker accepted.
fn push_consumer(s: &Stack, topic: &str, group: &str, extra: &[(&str, &str)]) -> Background {
    let mut pairs = vec![
        ("ns", s.ns()),
        ("topic", topic),
        ("group", group),
        ("timeout_ms", "120000"),
        ("linger_ms", "3000"),
    ];
    pairs.extend_from_slice(extra);
    let c = consumer(&cpp_driver_cmd(&kv("consume", &pairs)));
    wait_until(
        Duration::from_secs(60),
        &format!("C++ consumer in group {group}"),
        || group_size(s, group) == 1,
    );
    c
}

/// One C++ producer run of `count` messages `<body>-i`; it must exit 0 having sent all.
fn cpp_produce(s: &Stack, topic: &str, body: &str, count: usize, extra: &[(&str, &str)]) -> Output {
    let count_text = count.to_string();
    let keys = format!("key_{body}");
    let group = unique("cpp_pg");
    let mut pairs = vec![
        ("ns", s.ns()),
        ("topic", topic),
        ("group", group.as_str()),
        ("count", count_text.as_str()),
        ("body", body),
        ("keys", keys.as_str()),
        ("prop.origin", body),
    ];
    pairs.extend_from_slice(extra);
    let out = run(
        &cpp_driver_cmd(&kv("produce", &pairs)),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let done = out
        .json_lines()
        .into_iter()
        .find(|l| l.get("done").is_some());
    assert!(
        done.is_some_and(|d| d["sent"] == count && d["failed"] == 0),
        "{out}"
    );
    out
}

/// The msgIds of a producer run's SEND_OK results (sync, async and orderly sends print them).
fn acked_ids(out: &Output, count: usize) -> Vec<String> {
    let ids: Vec<String> = out
        .json_lines()
        .iter()
        .filter(|l| l.get("status").is_some())
        .map(|l| {
            assert_eq!(l["status"], "SEND_OK", "{l}");
            l["msgId"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(ids.len(), count, "one result per message: {out}");
    ids
}

/// The message lines a consumer printed.
fn messages(out: &Output) -> Vec<Value> {
    out.json_lines()
        .into_iter()
        .filter(|m| m.get("body").is_some())
        .collect()
}

/// Sync, async and oneway sends from the C++ client all reach a C++ push consumer (clustering),
/// each once, with its tag, keys and user property; sync and async msgIds are the ones received.
fn sends_to_push_consumer(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("cpp"), unique("cppcg"));
    create_topic(s, &topic);
    let c = push_consumer(s, &topic, &group, &[("expect", "30")]);
    let mut sent_ids = BTreeSet::new();
    for mode in ["sync", "async", "oneway"] {
        let body = format!("cpp{mode}");
        let out = cpp_produce(s, &topic, &body, 10, &[("mode", mode), ("tag", "TagA")]);
        if mode != "oneway" {
            sent_ids.extend(acked_ids(&out, 10));
        }
    }
    let out = c.finish(Duration::from_secs(150));
    out.assert_ok();
    let msgs = messages(&out);
    let got: Vec<String> = bodies(&msgs);
    let want: BTreeSet<String> = ["cppsync", "cppasync", "cpponeway"]
        .iter()
        .flat_map(|b| (0..10).map(move |i| format!("{b}-{i}")))
        .collect();
    assert_eq!(got.len(), want.len(), "each message once\n{out}");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), want, "{out}");
    let mut received_ids = BTreeSet::new();
    for m in &msgs {
        let body = m["body"].as_str().unwrap_or_default();
        let origin = body.rsplit_once('-').map(|(o, _)| o).unwrap_or_default();
        assert_eq!(m["topic"], topic.as_str(), "{m}");
        assert_eq!(m["tags"], "TagA", "tag of {m}");
        assert_eq!(m["keys"], format!("key_{origin}"), "keys of {m}");
        assert_eq!(m["props"]["origin"], origin, "user property of {m}");
        received_ids.insert(m["msgId"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(received_ids.len(), 30, "distinct msgIds\n{out}");
    assert!(
        sent_ids.is_subset(&received_ids),
        "sync/async msgIds {sent_ids:?} not all among the received {received_ids:?}"
    );
}

#[test]
fn java_cpp_sends_to_push_consumer() {
    let _s = compat_tests::scenario::light(120);
    sends_to_push_consumer(Kind::Java);
}

#[test]
fn ours_cpp_sends_to_push_consumer() {
    let _s = compat_tests::scenario::light(120);
    sends_to_push_consumer(Kind::Ours);
}

/// Ordered messages: the C++ producer sends message i with the selector argument i % 4 (its
/// selector picks queue arg % queue count), and a C++ orderly consumer (queue locks) gets every
/// shard from one queue, in sending order.
fn orderly(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("cppord"), unique("cppog"));
    create_topic(s, &topic);
    let count = 24;
    let c = push_consumer(
        s,
        &topic,
        &group,
        &[("expect", &count.to_string()), ("orderly", "true")],
    );
    let out = cpp_produce(
        s,
        &topic,
        "ord",
        count,
        &[("mode", "orderly"), ("shards", "4")],
    );
    acked_ids(&out, count);
    let out = c.finish(Duration::from_secs(150));
    out.assert_ok();
    let mut last: BTreeMap<u64, i64> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for m in messages(&out) {
        let i: i64 = m["body"]
            .as_str()
            .and_then(|b| b.strip_prefix("ord-"))
            .and_then(|i| i.parse().ok())
            .unwrap_or_else(|| panic!("unexpected message {m}"));
        let shard = (i % 4) as u64;
        assert_eq!(
            m["queueId"].as_u64(),
            Some(shard % u64::from(QUEUES)),
            "shard {shard} left its queue: {m}"
        );
        let prev = last.insert(shard, i).unwrap_or(-1);
        assert!(i > prev, "shard {shard}: message {i} after {prev}\n{out}");
        seen.insert(i);
    }
    assert_eq!(seen.len(), count, "every ordered message\n{out}");
}

#[test]
fn java_cpp_orderly() {
    let _s = compat_tests::scenario::light(120);
    orderly(Kind::Java);
}

#[test]
fn ours_cpp_orderly() {
    let _s = compat_tests::scenario::light(120);
    orderly(Kind::Ours);
}

/// `TagA || TagB`: a C++ push consumer and a C++ pull consumer (each walking every queue from
/// offset 0) get exactly the TagA and TagB messages of a topic that also holds TagC ones.
fn tag_expression(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("cpptag"), unique("cpptg"));
    create_topic(s, &topic);
    let c = push_consumer(
        s,
        &topic,
        &group,
        &[("expect", "10"), ("expr", "TagA || TagB")],
    );
    for (body, tag) in [("ta", "TagA"), ("tb", "TagB"), ("tc", "TagC")] {
        cpp_produce(s, &topic, body, 5, &[("tag", tag)]);
    }
    let want: BTreeSet<(String, String)> = [("ta", "TagA"), ("tb", "TagB")]
        .iter()
        .flat_map(|(b, t)| (0..5).map(move |i| (format!("{b}-{i}"), t.to_string())))
        .collect();
    let tagged = |out: &Output| -> Vec<(String, String)> {
        messages(out)
            .iter()
            .map(|m| {
                let tag = m["tags"].as_str().unwrap_or_default().to_string();
                (m["body"].as_str().unwrap_or_default().to_string(), tag)
            })
            .collect()
    };
    let pushed = c.finish(Duration::from_secs(150));
    pushed.assert_ok();
    let got = tagged(&pushed);
    assert_eq!(got.len(), 10, "each message once\n{pushed}");
    assert_eq!(
        got.into_iter().collect::<BTreeSet<_>>(),
        want,
        "push\n{pushed}"
    );
    let pulled = run(
        &cpp_driver_cmd(&kv(
            "pull",
            &[
                ("ns", s.ns()),
                ("topic", &topic),
                ("group", &unique("cpppull")),
                ("expect", "10"),
                ("expr", "TagA || TagB"),
                ("timeout_ms", "60000"),
            ],
        )),
        Duration::from_secs(120),
    );
    pulled.assert_ok();
    let got = tagged(&pulled);
    assert_eq!(got.len(), 10, "each message once\n{pulled}");
    assert_eq!(
        got.into_iter().collect::<BTreeSet<_>>(),
        want,
        "pull\n{pulled}"
    );
}

#[test]
fn java_cpp_tag_expression() {
    let _s = compat_tests::scenario::light(120);
    tag_expression(Kind::Java);
}

#[test]
fn ours_cpp_tag_expression() {
    let _s = compat_tests::scenario::light(120);
    tag_expression(Kind::Ours);
}

/// Delay level 2 (5 s in both brokers' default `messageDelayLevel`): the messages reach the C++
/// consumer on their real topic, stored there no earlier than 5 s after they were born.
fn delay_level(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("cppdelay"), unique("cppdg"));
    create_topic(s, &topic);
    let c = push_consumer(s, &topic, &group, &[("expect", "3")]);
    let out = cpp_produce(s, &topic, "delayed", 3, &[("delay", "2"), ("tag", "TagA")]);
    acked_ids(&out, 3);
    let out = c.finish(Duration::from_secs(150));
    out.assert_ok();
    let msgs = messages(&out);
    assert_eq!(msgs.len(), 3, "{out}");
    for m in &msgs {
        assert_eq!(m["topic"], topic.as_str(), "{m}");
        assert_eq!(m["tags"], "TagA", "{m}");
        let born = m["bornTimestamp"].as_i64().unwrap_or(i64::MAX);
        let stored = m["storeTimestamp"].as_i64().unwrap_or(0);
        assert!(
            stored - born >= 5000,
            "delivered {} ms after its birth: {m}",
            stored - born
        );
    }
}

#[test]
fn java_cpp_delay_level() {
    let _s = compat_tests::scenario::light(120);
    delay_level(Kind::Java);
}

#[test]
fn ours_cpp_delay_level() {
    let _s = compat_tests::scenario::light(120);
    delay_level(Kind::Ours);
}
