//! Admin requests as mqadmin sends them: bodies in Java's shapes, real values.

use crate::common;

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::{Client, Command};
use serde_json::Value;

fn json(cmd: &Command) -> Value {
    serde_json::from_slice(cmd.body.as_ref().unwrap()).unwrap()
}

#[tokio::test]
async fn stats_connections_and_configs() {
    let tb = boot("admin", "").await;
    let client = Client::new();
    let a = &tb.addr;
    call(&client, a, create_topic_cmd("AT", 2, 6)).await;
    call(
        &client,
        a,
        heartbeat_cmd("cid-1", "AG", "AT", "TagA || TagB"),
    )
    .await;
    for q in [0, 1, 1] {
        call(&client, a, send_cmd("AT", q, b"x", "TAGS\u{1}TagA\u{2}")).await;
    }
    call(
        &client,
        a,
        Command::request(rq::UPDATE_CONSUMER_OFFSET)
            .with_ext("consumerGroup", "AG")
            .with_ext("topic", "AT")
            .with_ext("queueId", "1")
            .with_ext("commitOffset", "1"),
    )
    .await;

    let stats = call(
        &client,
        a,
        Command::request(rq::GET_TOPIC_STATS_INFO).with_ext("topic", "AT"),
    )
    .await;
    let text = String::from_utf8(stats.body.clone().unwrap().to_vec()).unwrap();
    assert!(text.starts_with(r#"{"offsetTable":{{"brokerName":"broker-t","queueId":0,"topic":"AT"}:{"lastUpdateTimestamp":"#), "{text}");
    assert!(text.contains(r#""maxOffset":2,"minOffset":0}"#), "{text}");

    let cs = call(
        &client,
        a,
        Command::request(rq::GET_CONSUME_STATS)
            .with_ext("consumerGroup", "AG")
            .with_ext("topic", "AT"),
    )
    .await;
    let text = String::from_utf8(cs.body.clone().unwrap().to_vec()).unwrap();
    assert!(text.contains(r#"{"brokerName":"broker-t","queueId":1,"topic":"AT"}:{"brokerOffset":2,"consumerOffset":1,"#), "{text}");

    let cc = call(
        &client,
        a,
        Command::request(rq::GET_CONSUMER_CONNECTION_LIST).with_ext("consumerGroup", "AG"),
    )
    .await;
    let v = json(&cc);
    assert_eq!(v["connectionSet"][0]["clientId"], "cid-1");
    assert_eq!(v["connectionSet"][0]["language"], "JAVA");
    assert_eq!(v["messageModel"], "CLUSTERING");
    assert_eq!(v["subscriptionTable"]["AT"]["codeSet"][0], 2598919);
    let none = call(
        &client,
        a,
        Command::request(rq::GET_CONSUMER_CONNECTION_LIST).with_ext("consumerGroup", "Nobody"),
    )
    .await;
    assert_eq!(none.code, rc::CONSUMER_NOT_ONLINE);
    let pc = call(
        &client,
        a,
        Command::request(rq::GET_PRODUCER_CONNECTION_LIST).with_ext("producerGroup", "PG"),
    )
    .await;
    assert_eq!(json(&pc)["connectionSet"][0]["clientId"], "cid-1");

    let rt = call(&client, a, Command::request(rq::GET_BROKER_RUNTIME_INFO)).await;
    let table = &json(&rt)["table"];
    for key in [
        "putTps",
        "getTransferredTps",
        "brokerVersionDesc",
        "earliestMessageTimeStamp",
        "commitLogDiskRatio",
        "msgPutTotalTodayNow",
        "commitLogDirCapacity",
    ] {
        assert!(table[key].is_string(), "runtime info lacks {key}: {table}");
    }
    // 5.3.3 spells it right; the 4.9.8 key is gone.
    assert!(table.get("getTransferedTps").is_none(), "{table}");
    assert_eq!(table["msgPutTotalTodayNow"], "3");
    // Whole records, not bodies: the CommitLog's end after three puts.
    assert_eq!(table["commitLogMinOffset"], "0");
    assert_eq!(table["putMessageSizeTotal"], table["commitLogMaxOffset"]);
    assert_eq!(table["putMessageTimesTotal"], "3");
    // A second-old broker has no 10 s history: three empty rates.
    assert_eq!(table["putTps"], "  ");
    assert_eq!(table["putMessageDistributeTime"], "null");

    let cfg = call(&client, a, Command::request(rq::GET_BROKER_CONFIG)).await;
    assert!(cfg.ext("version").unwrap().contains("counter"));
    assert!(String::from_utf8_lossy(cfg.body.as_ref().unwrap()).contains("brokerName=broker-t\n"));
    let upd = call(
        &client,
        a,
        Command::request(rq::UPDATE_BROKER_CONFIG).with_body(&b"maxMessageSize=2048\n"[..]),
    )
    .await;
    assert_eq!(upd.code, rc::SUCCESS);
    assert_eq!(tb.broker().config().max_message_size, 2048);
    let black = call(
        &client,
        a,
        Command::request(rq::UPDATE_BROKER_CONFIG).with_body(&b"brokerConfigPath=/x\n"[..]),
    )
    .await;
    assert_eq!(
        (black.code, black.remark.as_deref()),
        (
            rc::NO_PERMISSION,
            Some("Can not update config in black list.")
        )
    );

    let gc = call(
        &client,
        a,
        Command::request(rq::GET_SUBSCRIPTIONGROUP_CONFIG).with_ext("group", "AG"),
    )
    .await;
    assert_eq!(json(&gc)["groupName"], "AG");
    let tl = call(
        &client,
        a,
        Command::request(rq::QUERY_TOPICS_BY_CONSUMER).with_ext("group", "AG"),
    )
    .await;
    assert_eq!(json(&tl)["topicList"][0], "AT");
    let all = call(&client, a, Command::request(rq::GET_ALL_CONSUMER_OFFSET)).await;
    assert!(String::from_utf8_lossy(all.body.as_ref().unwrap()).contains("\"AT@AG\":{1:1}"));
    tb.stop().await;
}

#[tokio::test]
async fn topic_and_group_admin() {
    let tb = boot("admin2", "").await;
    let client = Client::new();
    let a = &tb.addr;
    let sys = call(&client, a, create_topic_cmd("SCHEDULE_TOPIC_XXXX", 1, 6)).await;
    assert_eq!(
        (sys.code, sys.remark.as_deref()),
        (
            rc::INVALID_PARAMETER,
            Some("The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic.")
        )
    );
    call(&client, a, create_topic_cmd("DT", 3, 6)).await;
    let all = call(&client, a, Command::request(rq::GET_ALL_TOPIC_CONFIG)).await;
    let v = json(&all);
    assert_eq!(v["topicConfigTable"]["DT"]["readQueueNums"], 3);
    assert!(v["dataVersion"]["counter"].as_i64().unwrap() > 0);
    let tc = call(
        &client,
        a,
        Command::request(rq::GET_TOPIC_CONFIG).with_ext("topic", "DT"),
    )
    .await;
    assert_eq!(json(&tc)["topicName"], "DT");
    let del = call(
        &client,
        a,
        Command::request(rq::DELETE_TOPIC_IN_BROKER).with_ext("topic", "DT"),
    )
    .await;
    assert_eq!(del.code, rc::SUCCESS);
    assert!(tb.broker().topics.get("DT").is_none());
    let missing = call(
        &client,
        a,
        Command::request(rq::GET_TOPIC_CONFIG).with_ext("topic", "DT"),
    )
    .await;
    assert_eq!(
        (missing.code, missing.remark.as_deref()),
        (
            rc::TOPIC_NOT_EXIST,
            Some("No topic in this broker. topic: DT")
        )
    );

    let body = br#"{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":false,"consumeFromMinEnable":true,"groupName":"SG1","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}"#;
    let r = call(
        &client,
        a,
        Command::request(rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).with_body(&body[..]),
    )
    .await;
    assert_eq!(r.code, rc::SUCCESS);
    let groups = call(
        &client,
        a,
        Command::request(rq::GET_ALL_SUBSCRIPTIONGROUP_CONFIG),
    )
    .await;
    assert_eq!(
        json(&groups)["subscriptionGroupTable"]["SG1"]["retryMaxTimes"],
        3
    );
    // consume disabled: pulls are refused
    call(&client, a, create_topic_cmd("ST", 1, 6)).await;
    let p = call(&client, a, pull_cmd("SG1", "ST", 0, 0, 4, 0)).await;
    assert_eq!(
        (p.code, p.remark.as_deref()),
        (
            rc::NO_PERMISSION,
            Some("subscription group no permission, SG1")
        )
    );
    let d = call(
        &client,
        a,
        Command::request(rq::DELETE_SUBSCRIPTIONGROUP)
            .with_ext("groupName", "SG1")
            .with_ext("cleanOffset", "true"),
    )
    .await;
    assert_eq!(d.code, rc::SUCCESS);
    assert!(tb.broker().groups.get("SG1").is_none());
    tb.stop().await;
}
