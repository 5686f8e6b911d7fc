//! Limits and policies: topic auto-create on and off, maxMessageSize, 1,000 topics of 8 queues,
//! and idle connections closed after `serverChannelMaxIdleTimeSeconds`.
//!
//! Auto-create off, the 1,000 topics and the idle close run on a NameServer and broker of their
//! own (own cluster name too), so no TBW102 route of another broker leaks in and the shared stacks
//! never carry the topics or the short idle time:
//! ```text
//!   scenario NameServer ── broker "broker-strict" (StrictCluster, autoCreateTopicEnable=false)
//!   scenario NameServer ── broker "broker-many"   (ManyCluster)
//!   scenario NameServer ── broker "broker-idle"   (IdleCluster, serverChannelMaxIdleTimeSeconds=3)
//! ```

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use compat_tests::process::{run, Cmd, Output};
use compat_tests::servers::{Broker, BrokerSpec, Namesrv, NsKind};
use compat_tests::tools::{java_driver, java_program, kv, mqadmin, update_topic, JavaClient};
use compat_tests::wire;
use serde_json::Value;

use super::common::*;

/// Java `MixAll.AUTO_CREATE_TOPIC_KEY_TOPIC`.
const TBW102: &str = "TBW102";
/// RequestCode.SEND_MESSAGE_V2, UPDATE_AND_CREATE_TOPIC and GET_BROKER_CONFIG.
const SEND_MESSAGE_V2: i32 = 310;
const UPDATE_AND_CREATE_TOPIC: i32 = 17;
const GET_BROKER_CONFIG: i32 = 26;
/// ResponseCode.MESSAGE_ILLEGAL.
const MESSAGE_ILLEGAL: i64 = 13;
/// Java `FAQUrl.suggestTodo(APPLY_TOPIC_URL)`, appended to the TOPIC_NOT_EXIST remark.
const FAQ: &str = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

/// A NameServer and one broker of `kind` of their own, in `cluster`, with `extra` broker.conf keys.
pub(crate) fn dedicated(
    kind: Kind,
    cluster: &str,
    name: &'static str,
    extra: &[(&str, &str)],
) -> Stack {
    let ns_kind = match kind {
        Kind::Ours => NsKind::Ours,
        Kind::Java => NsKind::Java,
    };
    let ns = Namesrv::start(ns_kind);
    let mut spec = BrokerSpec::new(cluster, name, &[ns.addr.as_str()]);
    spec.extra = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let broker = Broker::start_with(ns_kind, spec);
    broker.wait_registered(&ns.addr, Duration::from_secs(90));
    Stack {
        ns,
        broker_name: name,
        broker_addr: broker.addr.clone(),
        broker: broker.server,
        store: broker.store,
    }
}

/// `thrust.compat.LimitsDriver` on the Java client 5.3.3.
fn limits_driver(args: &[String]) -> Cmd {
    java_program(JavaClient::V5_3_3, "LimitsDriver", args)
}

/// The driver's result line for `step` (the only one, or the first).
fn step<'a>(lines: &'a [Value], step: &str, out: &Output) -> &'a Value {
    lines
        .iter()
        .find(|l| l["step"] == step)
        .unwrap_or_else(|| panic!("no {step} send reported: {out}"))
}

/// `(readQueueNums, writeQueueNums, perm)` of `broker` in a route.
fn queue_data(route: &Value, broker: &str) -> Option<(i64, i64, i64)> {
    let qd = route["queueDatas"]
        .as_array()?
        .iter()
        .find(|q| q["brokerName"] == broker)?;
    Some((
        qd["readQueueNums"].as_i64()?,
        qd["writeQueueNums"].as_i64()?,
        qd["perm"].as_i64()?,
    ))
}

/// Auto-create on (the shared stacks): a send to a never-created topic goes through TBW102's
/// route, the broker creates the topic with min(client 4, TBW102's 8) queues, perm RW, registers
/// it, and a consumer gets the message.
fn auto_create_on(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let tbw = wire::route(s.ns(), TBW102)
        .expect("TBW102 route")
        .expect("TBW102 is routed while auto-create is on");
    assert_eq!(
        queue_data(&tbw, s.broker_name),
        Some((8, 8, 7)),
        "TBW102: defaultTopicQueueNums queues, perm RW+inherit: {tbw}"
    );
    let topic = unique("auto");
    assert!(wire::route(s.ns(), &topic).expect("route").is_none());
    let batch = Batch {
        body: "auto",
        count: 3,
        mode: "sync",
    };
    let ids = produce(
        s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
    let mut route = None;
    wait_until(Duration::from_secs(60), "auto-created topic routed", || {
        route = wire::route(s.ns(), &topic).ok().flatten();
        route.is_some()
    });
    let route = route.unwrap_or_default();
    assert_eq!(
        queue_data(&route, s.broker_name),
        Some((4, 4, 6)),
        "auto-created topic: {route}"
    );
    let c = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(s.ns(), &topic, &unique("autocg"), batch.count),
    ));
    check_received(&c.finish(Duration::from_secs(150)), &[batch], &ids);
}

#[test]
fn java_auto_create_on() {
    let _s = compat_tests::scenario::light(120);
    auto_create_on(Kind::Java);
}

#[test]
fn ours_auto_create_on() {
    let _s = compat_tests::scenario::light(120);
    auto_create_on(Kind::Ours);
}

/// Auto-create off: no TBW102, so the client fails before sending ("No route info of this
/// topic"); a raw SEND_MESSAGE_V2 answers TOPIC_NOT_EXIST with Java's remark and creates nothing;
/// after `mqadmin updateTopic` the same producer sends fine.
fn auto_create_off(kind: Kind) {
    let s = dedicated(
        kind,
        "StrictCluster",
        "broker-strict",
        &[("autoCreateTopicEnable", "false")],
    );
    let _dump = s.dump();
    assert!(
        wire::route(s.ns(), TBW102).expect("route").is_none(),
        "no TBW102 route while auto-create is off"
    );
    let topic = unique("strict");
    let out = run(
        &limits_driver(&kv(
            "send",
            &[("ns", s.ns()), ("topic", &topic), ("group", "strict_pg")],
        )),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let lines = out.json_lines();
    let failed = step(&lines, "normal", &out);
    eprintln!("{kind:?} send without route: {failed}");
    assert_eq!(failed["exception"], "MQClientException", "{out}");
    let msg = failed["message"].as_str().unwrap_or_default();
    assert!(
        msg.starts_with(&format!("No route info of this topic: {topic}")),
        "{out}"
    );

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().to_string())
        .unwrap_or_default();
    let raw = wire::request_body(
        &s.broker_addr,
        SEND_MESSAGE_V2,
        wire::VERSION_5_3_3,
        &[
            ("a", "strict_pg"),
            ("b", &topic),
            ("c", TBW102),
            ("d", "4"),
            ("e", "0"),
            ("f", "0"),
            ("g", &now),
            ("h", "0"),
            ("i", "TAGS\u{1}TagA\u{2}"),
            ("j", "0"),
            ("k", "false"),
            ("m", "false"),
            ("n", s.broker_name),
        ],
        b"raw",
        Duration::from_secs(20),
    )
    .expect("raw send");
    eprintln!("{kind:?} raw send: code {} {:?}", raw.code, raw.remark);
    assert_eq!(raw.code, wire::response::TOPIC_NOT_EXIST, "{raw:?}");
    assert_eq!(
        raw.remark.as_deref().unwrap_or_default(),
        format!("topic[{topic}] not exist, apply first please!{FAQ}"),
        "Java AbstractSendMessageProcessor.msgCheck's remark"
    );
    assert!(
        wire::route(s.ns(), &topic).expect("route").is_none(),
        "no topic appears"
    );

    update_topic(s.ns(), "StrictCluster", &topic, 4);
    let batch = Batch {
        body: "strict",
        count: 3,
        mode: "sync",
    };
    produce(
        &s,
        &java_driver(JavaClient::V5_3_3, &producer_args(s.ns(), &topic, &batch)),
        &batch,
    );
}

#[test]
fn java_auto_create_off() {
    let _s = compat_tests::scenario::heavy(300);
    auto_create_off(Kind::Java);
}

#[test]
fn ours_auto_create_off() {
    let _s = compat_tests::scenario::heavy(300);
    auto_create_off(Kind::Ours);
}

/// A body of maxMessageSize + 1 random bytes (4 MiB default; random so the client's compression
/// of bodies over 4 KiB cannot shrink it) sent by a client whose own limit is raised: the broker
/// refuses it with MESSAGE_ILLEGAL, which the client throws as MQBrokerException without retrying;
/// the same producer's next send succeeds.
fn max_message_size(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("big");
    create_topic(s, &topic);
    let big = (4 * 1024 * 1024 + 1).to_string();
    let max = (8 * 1024 * 1024).to_string();
    let out = run(
        &limits_driver(&kv(
            "send",
            &[
                ("ns", s.ns()),
                ("topic", &topic),
                ("group", "big_pg"),
                ("big", &big),
                ("max", &max),
                ("normal", "2"),
            ],
        )),
        Duration::from_secs(150),
    );
    out.assert_ok();
    let lines = out.json_lines();
    let refused = step(&lines, "big", &out);
    eprintln!("{kind:?} oversized send: {refused}");
    assert_eq!(refused["exception"], "MQBrokerException", "{out}");
    assert_eq!(refused["code"], MESSAGE_ILLEGAL, "{out}");
    assert_eq!(
        refused["message"],
        "the message is illegal, maybe msg body or properties length not matched. \
         msg body length limit 4194304B, msg properties length limit 32KB.",
        "Java SendMessageProcessor.handlePutMessageResult's remark: {out}"
    );
    let normal: Vec<&Value> = lines.iter().filter(|l| l["step"] == "normal").collect();
    assert_eq!(normal.len(), 2, "{out}");
    for r in normal {
        assert_eq!(r["status"], "SEND_OK", "the broker keeps serving: {out}");
        assert_eq!(r["broker"], s.broker_name, "{out}");
    }
}

#[test]
fn java_max_message_size() {
    let _s = compat_tests::scenario::light(120);
    max_message_size(Kind::Java);
}

#[test]
fn ours_max_message_size() {
    let _s = compat_tests::scenario::light(120);
    max_message_size(Kind::Ours);
}

const MANY: usize = 1000;

/// 1,000 topics of 8 queues created by raw UPDATE_AND_CREATE_TOPIC requests: every route shows
/// the broker with 8/8 queues, a producer sends one message to each, a pull consumer reads every
/// queue of every topic and gets exactly those 1,000 back, and `mqadmin topicList` lists them.
fn thousand_topics(kind: Kind) {
    let s = dedicated(kind, "ManyCluster", "broker-many", &[]);
    let _dump = s.dump();
    let prefix = unique("many");
    let topics: Vec<String> = (0..MANY).map(|i| format!("{prefix}_{i}")).collect();
    let start = Instant::now();
    for t in &topics {
        let r = wire::request(
            &s.broker_addr,
            UPDATE_AND_CREATE_TOPIC,
            &[
                ("topic", t),
                ("defaultTopic", TBW102),
                ("readQueueNums", "8"),
                ("writeQueueNums", "8"),
                ("perm", "6"),
                ("topicFilterType", "SINGLE_TAG"),
                ("topicSysFlag", "0"),
                ("order", "false"),
                ("attributes", ""),
            ],
            Duration::from_secs(30),
        )
        .expect("create topic");
        assert_eq!(r.code, wire::response::SUCCESS, "create {t}: {r:?}");
    }
    eprintln!("{kind:?}: {MANY} topics created in {:?}", start.elapsed());

    let mut pending: Vec<&String> = topics.iter().collect();
    wait_until(Duration::from_secs(90), "every topic routed", || {
        pending.retain(|t| {
            let route = wire::route(s.ns(), t).ok().flatten();
            let qd = route.as_ref().and_then(|r| queue_data(r, s.broker_name));
            if let Some(qd) = qd {
                assert_eq!(qd, (8, 8, 6), "route of {t}");
                assert!(
                    route
                        .as_ref()
                        .is_some_and(|r| wire::route_broker_addrs(r).contains(&s.broker_addr)),
                    "route of {t}: {route:?}"
                );
            }
            qd.is_none()
        });
        pending.is_empty()
    });
    eprintln!("{kind:?}: every route 8/8 after {:?}", start.elapsed());

    let out = run(
        &limits_driver(&kv(
            "fanout",
            &[
                ("ns", s.ns()),
                ("prefix", &prefix),
                ("n", &MANY.to_string()),
                ("group", "many_pg"),
            ],
        )),
        Duration::from_secs(300),
    );
    out.assert_ok();
    eprintln!("{kind:?}: fan-out sent and pulled in {:?}", out.elapsed);
    let summary = out
        .json_lines()
        .into_iter()
        .find(|l| l.get("sent").is_some())
        .unwrap_or_else(|| panic!("no summary: {out}"));
    eprintln!("{kind:?}: fan-out summary {summary}");
    assert_eq!(summary["sent"], MANY, "{out}");
    assert_eq!(summary["queues"], MANY * 8, "{out}");
    assert_eq!(summary["received"], MANY, "{out}");
    assert_eq!(summary["misplaced"], 0, "{out}");

    let listed = mqadmin(s.ns(), &["topicList"]);
    let names: BTreeSet<&str> = listed.stdout.lines().map(str::trim).collect();
    let missing = topics
        .iter()
        .filter(|t| !names.contains(t.as_str()))
        .count();
    assert_eq!(missing, 0, "topicList misses {missing} topics: {listed}");
    eprintln!("{kind:?}: done after {:?}", start.elapsed());
}

#[test]
fn java_thousand_topics() {
    let _s = compat_tests::scenario::heavy(400);
    thousand_topics(Kind::Java);
}

#[test]
fn ours_thousand_topics() {
    let _s = compat_tests::scenario::heavy(300);
    thousand_topics(Kind::Ours);
}

/// `serverChannelMaxIdleTimeSeconds=3`: Java's `IdleStateHandler(0, 0, 3)` has the broker close a
/// connection with neither reads nor writes for 3 s, on the listen port and on the VIP port
/// (listenPort − 2); a connection with a request every 500 ms stays open meanwhile.
fn idle_connections_closed(kind: Kind) {
    let s = dedicated(
        kind,
        "IdleCluster",
        "broker-idle",
        &[("serverChannelMaxIdleTimeSeconds", "3")],
    );
    let _dump = s.dump();
    let timeout = Duration::from_secs(20);
    let port: u16 = s
        .broker_addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("broker port");
    let vip = format!("127.0.0.1:{}", port - 2);
    let mut silent = wire::Session::connect(&s.broker_addr, timeout).expect("connect");
    let mut silent_vip = wire::Session::connect(&vip, timeout).expect("connect to the VIP port");
    let mut busy = wire::Session::connect(&s.broker_addr, timeout).expect("connect");
    let started = Instant::now();
    let mut answered = 0;
    while started.elapsed() < Duration::from_secs(8) {
        let r = busy
            .request(GET_BROKER_CONFIG, &[])
            .expect("the busy connection stays open");
        assert_eq!(r.code, wire::response::SUCCESS, "{r:?}");
        answered += 1;
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!("{kind:?}: {answered} requests on the busy connection");
    assert!(
        silent.closed_by_peer(Duration::from_secs(60)),
        "a silent connection is closed"
    );
    assert!(
        silent_vip.closed_by_peer(Duration::from_secs(60)),
        "a silent connection to the VIP port is closed"
    );
    let r = busy
        .request(GET_BROKER_CONFIG, &[])
        .expect("the busy connection is still open");
    assert_eq!(r.code, wire::response::SUCCESS, "{r:?}");
}

#[test]
fn java_idle_connections_closed() {
    let _s = compat_tests::scenario::heavy(300);
    idle_connections_closed(Kind::Java);
}

#[test]
fn ours_idle_connections_closed() {
    let _s = compat_tests::scenario::heavy(300);
    idle_connections_closed(Kind::Ours);
}
