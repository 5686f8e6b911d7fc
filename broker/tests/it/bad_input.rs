//! Refusals with Java's codes and remarks; the connection keeps serving after each one.

use crate::common;

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::{Client, Command};

#[tokio::test]
async fn send_refusals() {
    let tb = boot(
        "badsend",
        "maxMessageSize=1024\nautoCreateTopicEnable=false",
    )
    .await;
    let client = Client::new();
    let a = &tb.addr;
    call(&client, a, create_topic_cmd("BT", 2, 6)).await;

    let r = call(&client, a, send_cmd("SCHEDULE_TOPIC_XXXX", 0, b"x", "")).await;
    assert_eq!(r.code, rc::NO_PERMISSION);
    assert_eq!(
        r.remark.as_deref(),
        Some("Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.")
    );
    assert_eq!(
        r.ext("MSG_REGION"),
        Some("DefaultRegion"),
        "region ext also on errors"
    );

    let r = call(&client, a, send_cmd("BT", 5, b"x", "")).await;
    assert_eq!(r.code, rc::INVALID_PARAMETER);
    assert!(
        r.remark
            .as_deref()
            .unwrap()
            .starts_with("request queueId[5] is illegal, TopicConfig [topicName=BT"),
        "{:?}",
        r.remark
    );

    let r = call(&client, a, send_cmd("BT", 0, &[7u8; 2000], "")).await;
    assert_eq!(r.code, rc::MESSAGE_ILLEGAL);
    assert!(
        r.remark
            .as_deref()
            .unwrap()
            .contains("msg body length limit 1024B"),
        "{:?}",
        r.remark
    );

    let r = call(&client, a, send_cmd("bad topic", 0, b"x", "")).await;
    assert_eq!(r.code, rc::INVALID_PARAMETER);

    // TBW102 auto-create disabled: unknown topic is refused
    let r = call(&client, a, send_cmd("Unknown", 0, b"x", "")).await;
    assert_eq!(r.code, rc::TOPIC_NOT_EXIST);
    assert!(r
        .remark
        .as_deref()
        .unwrap()
        .starts_with("topic[Unknown] not exist, apply first please!"));

    // properties Java cannot parse are dropped entry by entry, the message is stored
    let r = call(
        &client,
        a,
        send_cmd("BT", 0, b"x", "garbage\u{1}\u{2}\u{1}v\u{2}ok\u{1}1"),
    )
    .await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);

    // a required header field missing
    let mut cmd = send_cmd("BT", 0, b"x", "");
    cmd.ext_fields.remove("b");
    let r = call(&client, a, cmd).await;
    assert_eq!(r.code, rc::SYSTEM_ERROR);
    assert!(
        r.remark.as_deref().unwrap().contains("<b>"),
        "{:?}",
        r.remark
    );

    // unknown request code
    let r = call(&client, a, Command::request(9999)).await;
    assert_eq!(r.code, rc::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        r.remark.as_deref(),
        Some(" request type 9999 not supported")
    );

    // still serving on the same connection
    let r = call(&client, a, send_cmd("BT", 1, b"ok", "")).await;
    assert_eq!(r.code, rc::SUCCESS);
    tb.stop().await;
}

#[tokio::test]
async fn pull_refusals() {
    let tb = boot("badpull", "autoCreateSubscriptionGroup=false").await;
    let client = Client::new();
    let a = &tb.addr;
    call(&client, a, create_topic_cmd("PT", 2, 6)).await;
    call(&client, a, create_topic_cmd("WO", 1, 2)).await;

    let r = call(&client, a, pull_cmd("NoSuchGroup", "PT", 0, 0, 0, 0)).await;
    assert_eq!(r.code, rc::SUBSCRIPTION_GROUP_NOT_EXIST);
    assert!(r
        .remark
        .as_deref()
        .unwrap()
        .starts_with("subscription group [NoSuchGroup] does not exist"));

    // a predefined group exists even with auto-creation off
    let r = call(&client, a, pull_cmd("TOOLS_CONSUMER", "PT", 9, 0, 4, 0)).await;
    assert_eq!(r.code, rc::INVALID_PARAMETER);
    assert!(r
        .remark
        .as_deref()
        .unwrap()
        .starts_with("queueId[9] is illegal, topic:[PT] topicConfig.readQueueNums:[2]"));

    let r = call(&client, a, pull_cmd("TOOLS_CONSUMER", "Nope", 0, 0, 4, 0)).await;
    assert_eq!(r.code, rc::TOPIC_NOT_EXIST);

    let r = call(&client, a, pull_cmd("TOOLS_CONSUMER", "WO", 0, 0, 4, 0)).await;
    assert_eq!(r.code, rc::NO_PERMISSION);
    assert_eq!(
        r.remark.as_deref(),
        Some("the topic[WO] pulling message is forbidden")
    );

    // no subscription flag and no heartbeat yet: 24
    let r = call(&client, a, pull_cmd("TOOLS_CONSUMER", "PT", 0, 0, 2, 0)).await;
    assert_eq!(r.code, rc::SUBSCRIPTION_NOT_EXIST);

    // the connection still serves
    let r = call(&client, a, pull_cmd("TOOLS_CONSUMER", "PT", 0, 0, 4, 0)).await;
    assert_eq!(r.code, rc::PULL_NOT_FOUND);
    assert_eq!(r.ext("nextBeginOffset"), Some("0"));
    let body = r.body.clone();
    assert!(body.is_none());
    tb.stop().await;
}

#[tokio::test]
async fn update_offset_checks_group_and_topic() {
    let tb = boot("badoffset", "autoCreateSubscriptionGroup=false").await;
    let client = Client::new();
    let cmd = |group: &str, topic: &str| {
        Command::request(rq::UPDATE_CONSUMER_OFFSET)
            .with_ext("consumerGroup", group)
            .with_ext("topic", topic)
            .with_ext("queueId", "0")
            .with_ext("commitOffset", "3")
    };
    let r = call(&client, &tb.addr, cmd("G0", "TBW102")).await;
    assert_eq!(
        (r.code, r.remark.as_deref()),
        (
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            Some("Group G0 not exist!")
        )
    );
    let r = call(&client, &tb.addr, cmd("TOOLS_CONSUMER", "T0")).await;
    assert_eq!(
        (r.code, r.remark.as_deref()),
        (rc::TOPIC_NOT_EXIST, Some("Topic T0 not exist!"))
    );
    tb.stop().await;
}
