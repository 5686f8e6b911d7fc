//! Heartbeat V2, and the admin requests INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223),
//! CLONE_GROUP_OFFSET (314), VIEW_BROKER_STATS_DATA (315) and QUERY_CONSUME_QUEUE (321).

use crate::common;

use std::sync::Arc;

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::{Client, Command, Connection, Handler};
use serde_json::Value;

fn json(cmd: &Command) -> Value {
    remoting::body::parse_lenient(cmd.body.as_ref().unwrap()).unwrap()
}

/// A heartbeat with the 5.x V2 fields: `fingerprint` and, when `with_sub` is false, no
/// subscriptions.
fn heartbeat_v2(
    client_id: &str,
    group: &str,
    topic: &str,
    fingerprint: i32,
    with_sub: bool,
) -> Command {
    let mut body: Value = serde_json::from_slice(
        heartbeat_cmd(client_id, group, topic, "*")
            .body
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    body["heartbeatFingerprint"] = fingerprint.into();
    body["withoutSub"] = (!with_sub).into();
    if !with_sub {
        body["consumerDataSet"][0]["subscriptionDataSet"] = Value::Array(vec![]);
    }
    Command::request(rq::HEART_BEAT).with_body(serde_json::to_vec(&body).unwrap())
}

#[tokio::test]
async fn heartbeat_v2_keeps_subscriptions_and_reports_changes() {
    let tb = boot("hbv2", "").await;
    let c = Client::new();
    let a = &tb.addr;
    call(&c, a, create_topic_cmd("HT", 2, 6)).await;

    let v1 = call(&c, a, heartbeat_cmd("c1", "HG", "HT", "*")).await;
    assert_eq!(v1.ext("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
    assert_eq!(v1.ext("IS_SUB_CHANGE"), Some("true"));

    let full = call(&c, a, heartbeat_v2("c1", "HG", "HT", 77, true)).await;
    assert_eq!(full.code, rc::SUCCESS);
    // The group's previous fingerprint was the V1 heartbeat's 0.
    assert_eq!(full.ext("IS_SUB_CHANGE"), Some("true"));
    let same = call(&c, a, heartbeat_v2("c1", "HG", "HT", 77, false)).await;
    assert_eq!(same.ext("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
    assert_eq!(same.ext("IS_SUB_CHANGE"), Some("false"));
    assert!(
        tb.broker().clients.subscription("HG", "HT").is_some(),
        "a heartbeat without subscriptions keeps them"
    );
    let changed = call(&c, a, heartbeat_v2("c1", "HG", "HT", 78, false)).await;
    assert_eq!(changed.ext("IS_SUB_CHANGE"), Some("true"));
    tb.stop().await;
}

#[tokio::test]
async fn stats_data_and_consume_queue() {
    let tb = boot("views", "").await;
    let c = Client::new();
    let a = &tb.addr;
    call(&c, a, create_topic_cmd("VT", 1, 6)).await;
    call(&c, a, heartbeat_cmd("c1", "VG", "VT", "*")).await;
    for _ in 0..3 {
        call(&c, a, send_cmd("VT", 0, b"body", "TAGS\u{1}TagA\u{2}")).await;
    }
    let pulled = call(&c, a, pull_cmd("VG", "VT", 0, 0, 0, 0)).await;
    assert_eq!(pulled.code, rc::SUCCESS);

    let view = |name: &str, key: &str| {
        Command::request(rq::VIEW_BROKER_STATS_DATA)
            .with_ext("statsName", name)
            .with_ext("statsKey", key)
    };
    let missing = call(&c, a, view("TOPIC_PUT_NUMS", "NoSuchTopic")).await;
    assert_eq!(missing.code, rc::SYSTEM_ERROR);
    assert_eq!(
        missing.remark.as_deref(),
        Some("The stats <TOPIC_PUT_NUMS> <NoSuchTopic> not exist")
    );
    tb.broker()
        .stats_items
        .sample(broker::stats_items::Window::Minute);
    let put = json(&call(&c, a, view("TOPIC_PUT_NUMS", "VT")).await);
    assert_eq!(put["statsMinute"]["sum"], 3, "{put}");
    assert!(put["statsMinute"]["tps"].as_f64().unwrap() > 0.0, "{put}");
    assert_eq!(put["statsHour"]["sum"], 0, "{put}");
    let got = json(&call(&c, a, view("GROUP_GET_NUMS", "VT@VG")).await);
    assert_eq!(got["statsMinute"]["sum"], 3, "{got}");

    let cq = |index: i64, count: i32, group: Option<&str>| {
        let mut cmd = Command::request(rq::QUERY_CONSUME_QUEUE)
            .with_ext("topic", "VT")
            .with_ext("queueId", "0")
            .with_ext("index", index.to_string())
            .with_ext("count", count.to_string());
        if let Some(g) = group {
            cmd = cmd.with_ext("consumerGroup", g);
        }
        cmd
    };
    let r = call(&c, a, cq(1, 10, Some("VG"))).await;
    let body = json(&r);
    assert_eq!(
        (
            body["minQueueIndex"].as_i64(),
            body["maxQueueIndex"].as_i64()
        ),
        (Some(0), Some(3))
    );
    let units = body["queueData"].as_array().unwrap();
    assert_eq!(units.len(), 2, "{body}");
    assert_eq!(units[0]["tagsCode"], i64::from(store::java_hash("TagA")));
    assert!(units[1]["physicOffset"].as_i64() > units[0]["physicOffset"].as_i64());
    assert_eq!(body["subscriptionData"]["topic"], "VT");
    assert_eq!(body["filterData"], "null");
    let offline = json(&call(&c, a, cq(0, 1, Some("Nobody"))).await);
    assert_eq!(offline["filterData"], "Nobody@VT is not online!");
    assert_eq!(offline["queueData"].as_array().unwrap().len(), 1);
    let past = call(&c, a, cq(3, 10, None)).await;
    assert_eq!(past.code, rc::SUCCESS);
    assert_eq!(
        past.remark.as_deref(),
        Some("Index 3 of 0@VT is not exist!")
    );
    let none = call(
        &c,
        a,
        Command::request(rq::QUERY_CONSUME_QUEUE)
            .with_ext("topic", "VT")
            .with_ext("queueId", "5")
            .with_ext("index", "0")
            .with_ext("count", "1"),
    )
    .await;
    assert_eq!(none.code, rc::SYSTEM_ERROR);
    assert_eq!(none.remark.as_deref(), Some("5@VT is not exist!"));
    tb.stop().await;
}

#[tokio::test]
async fn clone_group_offset_copies_one_topic() {
    let tb = boot("clone", "").await;
    let c = Client::new();
    let a = &tb.addr;
    call(&c, a, create_topic_cmd("CT", 2, 6)).await;
    let offsets = &tb.broker().offsets;
    offsets.commit("SRC", "CT", 0, 5);
    offsets.commit("SRC", "CT", 1, 7);
    offsets.commit("DST", "CT", 3, 1);
    let clone = |topic: Option<&str>| {
        let cmd = Command::request(rq::CLONE_GROUP_OFFSET)
            .with_ext("srcGroup", "SRC")
            .with_ext("destGroup", "DST")
            .with_ext("offline", "false");
        match topic {
            Some(t) => cmd.with_ext("topic", t),
            None => cmd,
        }
    };
    // Java clones only the request's topic: without one nothing is copied.
    assert_eq!(call(&c, a, clone(None)).await.code, rc::SUCCESS);
    assert_eq!(offsets.query("DST", "CT", 0), None);
    assert_eq!(call(&c, a, clone(Some("CT"))).await.code, rc::SUCCESS);
    let q = offsets.queues("DST", "CT");
    assert_eq!(q.into_iter().collect::<Vec<_>>(), vec![(0, 5), (1, 7)]);
    tb.stop().await;
}

/// Answers GET_CONSUMER_STATUS_FROM_CLIENT as a Java consumer does.
struct StatusClient;

impl Handler for StatusClient {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        assert_eq!(req.code, rq::GET_CONSUMER_STATUS_FROM_CLIENT);
        let topic = req.ext("topic").unwrap_or_default().to_string();
        let body = format!(
            r#"{{"messageQueueTable":{{{{"brokerName":"broker-t","queueId":0,"topic":"{topic}"}}:42}}}}"#
        );
        Some(Command::response(rc::SUCCESS, None).with_body(body.into_bytes()))
    }
}

#[tokio::test]
async fn consumer_status_asks_each_client() {
    let tb = boot("cstatus", "").await;
    let a = &tb.addr;
    let consumer = Client::with_handler(Arc::new(StatusClient));
    call(&consumer, a, create_topic_cmd("ST", 1, 6)).await;
    call(&consumer, a, heartbeat_cmd("cid-9", "SG", "ST", "*")).await;
    let admin = Client::new();
    let ask = |group: &str| {
        Command::request(rq::INVOKE_BROKER_TO_GET_CONSUMER_STATUS)
            .with_ext("topic", "ST")
            .with_ext("group", group)
    };
    let r = call(&admin, a, ask("SG")).await;
    assert_eq!(r.code, rc::SUCCESS);
    let text = String::from_utf8(r.body.clone().unwrap().to_vec()).unwrap();
    assert_eq!(
        text,
        r#"{"consumerTable":{"cid-9":{{"brokerName":"broker-t","queueId":0,"topic":"ST"}:42}},"messageQueueTable":{}}"#
    );
    let other = call(&admin, a, ask("SG").with_ext("clientAddr", "someone-else")).await;
    assert_eq!(
        String::from_utf8(other.body.clone().unwrap().to_vec()).unwrap(),
        r#"{"consumerTable":{},"messageQueueTable":{}}"#
    );
    let nobody = call(&admin, a, ask("NoGroup")).await;
    assert_eq!(nobody.code, rc::SYSTEM_ERROR);
    assert_eq!(
        nobody.remark.as_deref(),
        Some("No Any Consumer online in the consumer group: [NoGroup]")
    );
    tb.stop().await;
}
