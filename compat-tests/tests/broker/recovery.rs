//! How fast consumers resume after a membership change, as the broker sees it: the order of the
//! NOTIFY_CONSUMER_IDS_CHANGED pushes against the heartbeat that caused them, the subscription
//! version a pull must not be ahead of (SUBSCRIPTION_NOT_LATEST, 25), and the Java client's own
//! heartbeat race after a rebalance.
//!
//! The wire scenarios speak for one client over a kept-open [`wire::Session`]; the race scenario
//! runs the unmodified 5.3.3 client (`thrust.compat.GroupDriver race`).

use std::path::PathBuf;
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::process::json_lines;
use compat_tests::tools::{java_program, kv, JavaClient};
use compat_tests::wire::{self, Session};
use serde_json::json;

use super::common::*;

const PULL_MESSAGE: i32 = 11;
const UPDATE_AND_CREATE_TOPIC: i32 = 17;
const HEART_BEAT: i32 = 34;
const GET_CONSUMER_LIST_BY_GROUP: i32 = 38;
const NOTIFY_CONSUMER_IDS_CHANGED: i32 = 40;
const PULL_NOT_FOUND: i32 = 19;
const SUBSCRIPTION_NOT_LATEST: i32 = 25;
/// PullSysFlag: the pull carries its own subscription expression.
const FLAG_SUBSCRIPTION: &str = "4";

fn session(s: &Stack) -> Session {
    Session::connect(&s.broker_addr, Duration::from_secs(10)).expect("connect to the broker")
}

/// A Java client's (V1) heartbeat body for one clustering push consumer subscribed to `topic`
/// with `*` at `sub_version`.
fn heartbeat(client: &str, group: &str, topic: &str, sub_version: i64) -> serde_json::Value {
    json!({
        "clientID": client,
        "consumerDataSet": [{
            "consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "consumeType": "CONSUME_PASSIVELY",
            "groupName": group, "messageModel": "CLUSTERING", "unitMode": false,
            "subscriptionDataSet": [{
                "classFilterMode": false, "codeSet": [], "expressionType": "TAG",
                "subString": "*", "subVersion": sub_version, "tagsSet": [], "topic": topic
            }]
        }],
        "heartbeatFingerprint": 0, "producerDataSet": [], "withoutSub": false
    })
}

fn send_heartbeat(conn: &mut Session, body: &serde_json::Value) -> wire::Exchange {
    let x = conn
        .call(HEART_BEAT, &[], body.to_string().as_bytes())
        .expect("heartbeat");
    assert_eq!(x.reply.code, 0, "heartbeat: {x:?}");
    x
}

/// A pull of queue 0 from offset 0 that does not wait; returns the answer's code.
fn pull(conn: &mut Session, group: &str, topic: &str, sub_version: i64, sys_flag: &str) -> i32 {
    let v = sub_version.to_string();
    let ext = [
        ("consumerGroup", group),
        ("topic", topic),
        ("queueId", "0"),
        ("queueOffset", "0"),
        ("maxMsgNums", "32"),
        ("sysFlag", sys_flag),
        ("commitOffset", "0"),
        ("suspendTimeoutMillis", "0"),
        ("subVersion", v.as_str()),
        ("subscription", "*"),
        ("expressionType", "TAG"),
    ];
    conn.call(PULL_MESSAGE, &ext, b"").expect("pull").reply.code
}

/// The broker's own UPDATE_AND_CREATE_TOPIC, so the pulls find the topic at once.
fn create_topic_here(s: &Stack, topic: &str) {
    let ext = [
        ("topic", topic),
        ("defaultTopic", "TBW102"),
        ("readQueueNums", "4"),
        ("writeQueueNums", "4"),
        ("perm", "6"),
        ("topicFilterType", "SINGLE_TAG"),
        ("topicSysFlag", "0"),
        ("order", "false"),
    ];
    let r = wire::request(
        &s.broker_addr,
        UPDATE_AND_CREATE_TOPIC,
        &ext,
        Duration::from_secs(10),
    )
    .expect("create topic");
    assert_eq!(r.code, 0, "create topic: {r:?}");
}

/// Java `ConsumerManager.registerConsumer` notifies the group inside the heartbeat that changed
/// it, so every member's NOTIFY_CONSUMER_IDS_CHANGED is written before that heartbeat's answer;
/// a heartbeat that changes nothing notifies nobody, nor does any heartbeat of a broadcasting
/// group.
fn notify_precedes_heartbeat_answer(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("nt"), unique("ntg"));
    let mut a = session(s);
    let first = send_heartbeat(&mut a, &heartbeat("nt-a", &group, &topic, 1));
    assert_eq!(
        first.before,
        [NOTIFY_CONSUMER_IDS_CHANGED],
        "a new member is told before its heartbeat is answered"
    );
    let again = send_heartbeat(&mut a, &heartbeat("nt-a", &group, &topic, 1));
    assert!(again.before.is_empty(), "nothing changed: {again:?}");
    let mut c = session(s);
    let join = send_heartbeat(&mut c, &heartbeat("nt-c", &group, &topic, 1));
    assert_eq!(join.before, [NOTIFY_CONSUMER_IDS_CHANGED], "{join:?}");
    // a's notification was queued before c's answer, so it precedes a's next answer.
    let list = a
        .call(
            GET_CONSUMER_LIST_BY_GROUP,
            &[("consumerGroup", &group)],
            b"",
        )
        .expect("consumer list");
    assert_eq!(list.before, [NOTIFY_CONSUMER_IDS_CHANGED], "{list:?}");
    // A broadcasting group raises no CHANGE (its members each consume every queue).
    let group = unique("ntb");
    let mut broadcasting = heartbeat("nt-a", &group, &topic, 1);
    broadcasting["consumerDataSet"][0]["messageModel"] = json!("BROADCASTING");
    assert!(send_heartbeat(&mut a, &broadcasting).before.is_empty());
    broadcasting["clientID"] = json!("nt-c");
    assert!(send_heartbeat(&mut c, &broadcasting).before.is_empty());
    let list = a
        .call(
            GET_CONSUMER_LIST_BY_GROUP,
            &[("consumerGroup", &group)],
            b"",
        )
        .expect("consumer list");
    assert!(list.before.is_empty(), "{list:?}");
}

#[test]
fn java_notify_precedes_heartbeat_answer() {
    let _s = compat_tests::scenario::light(60);
    notify_precedes_heartbeat_answer(Kind::Java);
}

#[test]
fn ours_notify_precedes_heartbeat_answer() {
    let _s = compat_tests::scenario::light(60);
    notify_precedes_heartbeat_answer(Kind::Ours);
}

/// Java `PullMessageProcessor`: a pull without its own subscription is refused with
/// SUBSCRIPTION_NOT_LATEST while its `subVersion` is newer than the group's subscription
/// (`ConsumerGroupInfo.updateSubscription` keeps the newest version any member's full heartbeat
/// brought; a V2 heartbeat without subscriptions keeps it too), and served once a heartbeat
/// carries that version. A pull that carries its expression is never compared.
fn subscription_version(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("sv"), unique("svg"));
    create_topic_here(s, &topic);
    let v = 1_800_000_000_000_i64;
    let (mut a, mut b) = (session(s), session(s));
    let full = |v: i64| heartbeat("sv-a", &group, &topic, v);
    send_heartbeat(&mut a, &full(v));
    assert_eq!(pull(&mut a, &group, &topic, v, "0"), PULL_NOT_FOUND);
    // The client's rebalance moved its version on, and no heartbeat told the broker.
    assert_eq!(
        pull(&mut a, &group, &topic, v + 10, "0"),
        SUBSCRIPTION_NOT_LATEST
    );
    send_heartbeat(&mut a, &full(v + 10));
    assert_eq!(pull(&mut a, &group, &topic, v + 10, "0"), PULL_NOT_FOUND);
    // An older version never replaces a newer one.
    send_heartbeat(&mut a, &full(v));
    assert_eq!(pull(&mut a, &group, &topic, v + 10, "0"), PULL_NOT_FOUND);
    // The version is the group's: another member's newer one serves a's pulls.
    send_heartbeat(&mut b, &heartbeat("sv-b", &group, &topic, v + 50));
    assert_eq!(pull(&mut a, &group, &topic, v + 40, "0"), PULL_NOT_FOUND);
    // V2: a full heartbeat with a fingerprint, then one without subscriptions.
    let mut v2 = full(v + 60);
    v2["heartbeatFingerprint"] = json!(7);
    send_heartbeat(&mut a, &v2);
    v2["withoutSub"] = json!(true);
    v2["consumerDataSet"][0]["subscriptionDataSet"] = json!([]);
    let without = send_heartbeat(&mut a, &v2);
    assert_eq!(without.reply.ext_str("IS_SUB_CHANGE"), Some("false"));
    assert_eq!(pull(&mut a, &group, &topic, v + 60, "0"), PULL_NOT_FOUND);
    assert_eq!(
        pull(&mut a, &group, &topic, v + 70, "0"),
        SUBSCRIPTION_NOT_LATEST
    );
    assert_eq!(
        pull(&mut a, &group, &topic, v + 1_000_000, FLAG_SUBSCRIPTION),
        PULL_NOT_FOUND
    );
}

#[test]
fn java_subscription_version() {
    let _s = compat_tests::scenario::light(60);
    subscription_version(Kind::Java);
}

#[test]
fn ours_subscription_version() {
    let _s = compat_tests::scenario::light(60);
    subscription_version(Kind::Ours);
}

/// The Java 5.3.3 client's race after a rebalance: the rebalance gives the subscription a new
/// version and heartbeats it, but that heartbeat is skipped when another heartbeat holds the
/// client's lock (its periodic one fires 1 s after start, with the first rebalance). The driver
/// holds that lock through the first rebalance. Both brokers then refuse every pull
/// (SUBSCRIPTION_NOT_LATEST: the client logs "the subscription is not latest") and deliver
/// nothing, and both serve the consumer as soon as one heartbeat carries the new version. Left
/// alone, the client sends that heartbeat at its next rebalance that changes an allocation (the
/// retry topic's, 20 s later) or at its next periodic heartbeat (30 s): neither broker can
/// shorten that without accepting pulls it cannot filter for sure.
fn heartbeat_race(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("hr"), unique("hrg"));
    create_topic(s, &topic);
    let batch = Batch {
        body: "hr",
        count: 8,
        mode: "sync",
    };
    produce(
        s,
        &compat_tests::tools::java_driver(
            JavaClient::V5_3_3,
            &producer_args(s.ns(), &topic, &batch),
        ),
        &batch,
    );
    let release: PathBuf = work_dir("race-release").join("release");
    let args = kv(
        "race",
        &[
            ("ns", s.ns()),
            ("topic", &topic),
            ("group", &group),
            ("release_file", &release.display().to_string()),
        ],
    );
    let cmd = java_program(JavaClient::V5_3_3, "GroupDriver", &args);
    let log = cmd.dir.join("logs/rocketmqlogs/rocketmq_client.log");
    let client_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut racer = consumer(&cmd);
    wait_until(
        Duration::from_secs(60),
        "pulls refused as not latest",
        || client_log().contains("the subscription is not latest"),
    );
    assert!(
        client_log().contains("sendHeartbeatToAllBrokerWithLockV2 lock heartBeat, but failed"),
        "the rebalance's heartbeat was not skipped"
    );
    let bodies = |text: &str| -> usize {
        json_lines(text)
            .iter()
            .filter(|l| l.get("body").is_some())
            .count()
    };
    assert_eq!(bodies(&racer.stdout()), 0, "{}", racer.stdout());
    std::fs::write(&release, "release").expect("write release file");
    wait_until(
        Duration::from_secs(60),
        "every message consumed after the heartbeat",
        || bodies(&racer.stdout()) >= batch.count,
    );
    std::fs::write(&release, "stop").expect("write release file");
    let stopped = racer.wait_json(Duration::from_secs(60), |l| l.get("stopped").is_some());
    assert!(stopped.is_some(), "{}", racer.stdout());
    racer.finish(Duration::from_secs(30)).assert_ok();
}

#[test]
fn java_heartbeat_race() {
    let _s = compat_tests::scenario::light(120);
    heartbeat_race(Kind::Java);
}

#[test]
fn ours_heartbeat_race() {
    let _s = compat_tests::scenario::light(120);
    heartbeat_race(Kind::Ours);
}
