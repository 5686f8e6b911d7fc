//! Producers and consumers of every client kind: Java 5.3.3 and 4.9.8, Go, binary headers,
//! batch sends with message queries, and request/reply.

use std::collections::BTreeSet;
use std::time::Duration;

use compat_tests::process::run;
use compat_tests::tools::{go_driver_cmd, java_driver, mqadmin, JavaClient};
use serde_json::Value;

use super::common::*;

/// The program that sends one batch.
#[derive(Clone, Copy)]
enum Sender {
    Java(JavaClient),
    Go,
}

/// Sends each batch with its program, in order; returns every msgId.
fn send_all(s: &Stack, topic: &str, sends: &[(Sender, &Batch)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (sender, b) in sends {
        let args = producer_args(s.ns(), topic, b);
        let cmd = match sender {
            Sender::Java(v) => java_driver(*v, &args),
            Sender::Go => go_driver_cmd(&args),
        };
        ids.extend(produce(s, &cmd, b));
    }
    ids
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
    let ids = send_all(
        s,
        &topic,
        &[
            (Sender::Java(JavaClient::V5_3_3), &batches[0]),
            (Sender::Java(JavaClient::V5_3_3), &batches[1]),
            (Sender::Java(JavaClient::V4_9_8), &batches[2]),
            (Sender::Go, &batches[3]),
        ],
    );
    check_received(&c.finish(Duration::from_secs(150)), &batches, &ids);
}

#[test]
fn java_java_consumer_all_producers() {
    let _s = compat_tests::scenario::light(120);
    java_consumer_all_producers(Kind::Java);
}

#[test]
fn ours_java_consumer_all_producers() {
    let _s = compat_tests::scenario::light(120);
    java_consumer_all_producers(Kind::Ours);
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
    let ids = send_all(
        s,
        &topic,
        &[
            (Sender::Java(JavaClient::V5_3_3), &batches[0]),
            (Sender::Go, &batches[1]),
        ],
    );
    check_received(&j4.finish(Duration::from_secs(150)), &batches, &ids);
    check_received(&go.finish(Duration::from_secs(150)), &batches, &ids);
}

#[test]
fn java_other_consumers() {
    let _s = compat_tests::scenario::light(120);
    other_consumers(Kind::Java);
}

#[test]
fn ours_other_consumers() {
    let _s = compat_tests::scenario::light(120);
    other_consumers(Kind::Ours);
}

/// Oneway sends (no response) from Java 5.3.3, Java 4.9.8 and Go all arrive, with their tags,
/// keys and properties. A oneway send returns no msgId, so the ids checked are the ones the
/// consumer reports, which must be distinct.
fn oneway_sends(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("ow"), unique("owg"));
    create_topic(s, &topic);
    let batches = [
        Batch {
            body: "ow5",
            count: 5,
            mode: "oneway",
        },
        Batch {
            body: "ow4",
            count: 5,
            mode: "oneway",
        },
        Batch {
            body: "owgo",
            count: 5,
            mode: "oneway",
        },
    ];
    // TagA: the Go producer's closing Fence message (see godriver `fence`) is not counted.
    let mut args = consumer_args(s.ns(), &topic, &group, 15);
    args.push("expr=TagA".to_owned());
    let c = consumer(&java_driver(JavaClient::V5_3_3, &args));
    for (cmd, b) in [
        (
            java_driver(
                JavaClient::V5_3_3,
                &producer_args(s.ns(), &topic, &batches[0]),
            ),
            &batches[0],
        ),
        (
            java_driver(
                JavaClient::V4_9_8,
                &producer_args(s.ns(), &topic, &batches[1]),
            ),
            &batches[1],
        ),
        (
            go_driver_cmd(&producer_args(s.ns(), &topic, &batches[2])),
            &batches[2],
        ),
    ] {
        let out = run(&cmd, Duration::from_secs(120));
        out.assert_ok();
        let done = out
            .json_lines()
            .into_iter()
            .find(|l| l.get("done").is_some());
        assert!(
            done.is_some_and(|d| d["sent"] == b.count && d["failed"] == 0),
            "{out}"
        );
    }
    let out = c.finish(Duration::from_secs(150));
    let ids: Vec<String> = out
        .json_lines()
        .iter()
        .filter_map(|m| m["msgId"].as_str().map(str::to_string))
        .collect();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 15, "one msgId per message: {out}");
    check_received(&out, &batches, &ids);
}

#[test]
fn java_oneway_sends() {
    let _s = compat_tests::scenario::light(120);
    oneway_sends(Kind::Java);
}

#[test]
fn ours_oneway_sends() {
    let _s = compat_tests::scenario::light(120);
    oneway_sends(Kind::Ours);
}

/// A Go batch send (one SendSync of five messages, SEND_BATCH_MESSAGE): one result listing every
/// message's msgId and offset msgId; a Java consumer gets each message with its tag, keys and
/// property.
fn go_batch(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("gob"), unique("gobg"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "gobatch",
        count: 5,
        mode: "batch",
    };
    let out = run(
        &go_driver_cmd(&producer_args(s.ns(), &topic, &batch)),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let r = out
        .json_lines()
        .into_iter()
        .find(|l| l.get("status").is_some())
        .unwrap_or_default();
    assert_eq!(r["status"], "SEND_OK", "{out}");
    assert_eq!(r["broker"], s.broker_name, "{r}");
    // The Go client sets no UNIQ_KEY on batched messages (its result's msgId is empty), so each
    // message's id is its offset msgId, one per message in the broker's answer.
    assert_eq!(r["msgId"], "", "{r}");
    let ids: Vec<String> = r["offsetMsgId"]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 5, "one offset msgId per message: {r}");
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(s.ns(), &topic, &group, 5),
    ));
    check_received(&c.finish(Duration::from_secs(150)), &[batch], &ids);
}

#[test]
fn java_go_batch() {
    let _s = compat_tests::scenario::light(120);
    go_batch(Kind::Java);
}

#[test]
fn ours_go_batch() {
    let _s = compat_tests::scenario::light(120);
    go_batch(Kind::Ours);
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

#[test]
fn java_binary_headers() {
    let _s = compat_tests::scenario::light(120);
    binary_headers(Kind::Java);
}

#[test]
fn ours_binary_headers() {
    let _s = compat_tests::scenario::light(120);
    binary_headers(Kind::Ours);
}

/// A Java batch send (SEND_BATCH_MESSAGE) lands on one queue with consecutive offsets; the
/// consumer gets every message with its own keys; mqadmin finds them by key and by id.
fn batch_and_queries(kind: Kind, v: JavaClient) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("batch");
    create_topic(s, &topic);
    let group = unique("bpg");
    let out = drive(
        v,
        "batch",
        s,
        &topic,
        &[("group", &group), ("count", "5")],
        120,
    );
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
    // The transaction id is the batch's own UNIQ_KEY (Java's handlePutMessageResult reads the
    // batch, not an item): 5.x producers give the batch one, 4.9.8 producers do not.
    let has_id = r["transactionId"].as_str().is_some_and(|t| !t.is_empty());
    assert_eq!(has_id, v == JavaClient::V5_3_3, "{out}");
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

#[test]
fn java_batch_and_queries() {
    let _s = compat_tests::scenario::light(120);
    batch_and_queries(Kind::Java, JavaClient::V5_3_3);
}

#[test]
fn ours_batch_and_queries() {
    let _s = compat_tests::scenario::light(120);
    batch_and_queries(Kind::Ours, JavaClient::V5_3_3);
}

#[test]
fn ours_batch_and_queries_java4() {
    let _s = compat_tests::scenario::light(120);
    batch_and_queries(Kind::Ours, JavaClient::V4_9_8);
}

/// Request/reply: SEND_REPLY_MESSAGE_V2 from the responder, PUSH_REPLY_MESSAGE_TO_CLIENT to the
/// requester, with the 4.9.8 and the 5.3.3 client.
fn request_reply(kind: Kind, v: JavaClient) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("rpc");
    create_topic(s, &topic);
    let group = unique("rpcg");
    drive(
        v,
        "rpc",
        s,
        &topic,
        &[("group", &group), ("count", "3")],
        120,
    );
}

#[test]
fn java_request_reply_java4() {
    let _s = compat_tests::scenario::light(120);
    request_reply(Kind::Java, JavaClient::V4_9_8);
}

#[test]
fn ours_request_reply_java4() {
    let _s = compat_tests::scenario::light(120);
    request_reply(Kind::Ours, JavaClient::V4_9_8);
}

#[test]
fn java_request_reply_java5() {
    let _s = compat_tests::scenario::light(120);
    request_reply(Kind::Java, JavaClient::V5_3_3);
}

#[test]
fn ours_request_reply_java5() {
    let _s = compat_tests::scenario::light(120);
    request_reply(Kind::Ours, JavaClient::V5_3_3);
}
