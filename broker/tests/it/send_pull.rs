//! Send → pull round trips, long polling and offsets, over TCP through `remoting::Client`.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::headers::{QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader};
use remoting::{Client, Command};

#[tokio::test]
async fn send_then_pull_round_trip() {
    let tb = boot("roundtrip", "").await;
    let client = Client::new();
    let r = call(&client, &tb.addr, create_topic_cmd("TopicTest", 4, 6)).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    let hb = call(
        &client,
        &tb.addr,
        heartbeat_cmd("c1", "CG", "TopicTest", "*"),
    )
    .await;
    assert_eq!(hb.code, rc::SUCCESS);
    assert!(
        hb.version >= 232,
        "heartbeat answer carries the broker version"
    );

    let props = "TAGS\u{1}TagA\u{2}KEYS\u{1}k1\u{2}WAIT\u{1}true\u{2}";
    let sent = call(&client, &tb.addr, send_cmd("TopicTest", 1, b"hello", props)).await;
    assert_eq!(sent.code, rc::SUCCESS, "{:?}", sent.remark);
    let msg_id = sent.ext("msgId").unwrap().to_string();
    assert_eq!(msg_id.len(), 32);
    assert!(
        msg_id.starts_with("7F000001"),
        "store host 127.0.0.1 in {msg_id}"
    );
    assert_eq!(sent.ext("queueId"), Some("1"));
    assert_eq!(sent.ext("queueOffset"), Some("0"));
    assert_eq!(sent.ext("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(sent.ext("TRACE_ON"), Some("true"));

    let pulled = call(
        &client,
        &tb.addr,
        pull_cmd("CG", "TopicTest", 1, 0, 2, 1000),
    )
    .await;
    assert_eq!(pulled.code, rc::SUCCESS, "{:?}", pulled.remark);
    assert_eq!(pulled.ext("nextBeginOffset"), Some("1"));
    assert_eq!(pulled.ext("maxOffset"), Some("1"));
    assert_eq!(pulled.ext("minOffset"), Some("0"));
    assert_eq!(pulled.ext("suggestWhichBrokerId"), Some("0"));
    let recs = records(pulled.body.as_ref().unwrap());
    assert_eq!(recs.len(), 1);
    assert_eq!(&recs[0].body[..], b"hello");
    assert_eq!(recs[0].topic, "TopicTest");
    assert!(recs[0].properties.contains("TAGS\u{1}TagA"));
    assert!(recs[0].properties.contains("CLUSTER\u{1}DefaultCluster"));
    assert!(recs[0].properties.contains("UNIQ_KEY\u{1}"));

    // caught up, no suspend flag: PULL_NOT_FOUND at once with nextBeginOffset = offset
    let none = call(
        &client,
        &tb.addr,
        pull_cmd("CG", "TopicTest", 1, 1, 0, 1000),
    )
    .await;
    assert_eq!(none.code, rc::PULL_NOT_FOUND);
    assert_eq!(none.ext("nextBeginOffset"), Some("1"));
    // beyond the end: PULL_OFFSET_MOVED to maxOffset
    let moved = call(
        &client,
        &tb.addr,
        pull_cmd("CG", "TopicTest", 1, 7, 0, 1000),
    )
    .await;
    assert_eq!(moved.code, rc::PULL_OFFSET_MOVED);
    assert_eq!(moved.ext("nextBeginOffset"), Some("1"));
    tb.stop().await;
}

#[tokio::test]
async fn auto_create_via_tbw102_and_batch() {
    let tb = boot("autocreate", "").await;
    let client = Client::new();
    let sent = call(&client, &tb.addr, send_cmd("NewTopic", 0, b"x", "")).await;
    assert_eq!(sent.code, rc::SUCCESS, "{:?}", sent.remark);
    let tc = tb.broker().topics.get("NewTopic").unwrap();
    assert_eq!(
        (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
        (4, 4, 6)
    );

    let item = |body: &[u8], props: &str| {
        let mut v = Vec::new();
        v.extend_from_slice(&(22 + body.len() as i32 + props.len() as i32).to_be_bytes());
        v.extend_from_slice(&[0; 12]);
        v.extend_from_slice(&(body.len() as i32).to_be_bytes());
        v.extend_from_slice(body);
        v.extend_from_slice(&(props.len() as i16).to_be_bytes());
        v.extend_from_slice(props.as_bytes());
        v
    };
    let mut batch = item(b"b1", "UNIQ_KEY\u{1}AAA\u{2}");
    batch.extend(item(b"b2", "UNIQ_KEY\u{1}BBB\u{2}"));
    let mut cmd = send_cmd("NewTopic", 0, &batch, "WAIT\u{1}true\u{2}");
    cmd.code = rq::SEND_BATCH_MESSAGE;
    cmd.ext_fields.insert("m", "true");
    let r = call(&client, &tb.addr, cmd).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    assert_eq!(r.ext("queueOffset"), Some("1"));
    assert_eq!(r.ext("msgId").unwrap().split(',').count(), 2);
    let max = tb.broker().store.max_offset("NewTopic", 0);
    assert_eq!(max, 3);
    tb.stop().await;
}

#[tokio::test]
async fn long_poll_wakes_on_send_and_times_out() {
    let tb = boot("longpoll", "").await;
    let client = std::sync::Arc::new(Client::new());
    call(&client, &tb.addr, create_topic_cmd("LP", 1, 6)).await;

    let started = Instant::now();
    let none = call(&client, &tb.addr, pull_cmd("G1", "LP", 0, 0, 2 | 4, 400)).await;
    assert_eq!(none.code, rc::PULL_NOT_FOUND);
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "held until the suspend timeout"
    );

    let (c2, addr) = (client.clone(), tb.addr.clone());
    let waiter = tokio::spawn(async move {
        let t = Instant::now();
        let r = call(&c2, &addr, pull_cmd("G1", "LP", 0, 0, 2 | 4, 15_000)).await;
        (r, t.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = call(&client, &tb.addr, send_cmd("LP", 0, b"wake", "")).await;
    assert_eq!(sent.code, rc::SUCCESS);
    let (r, waited) = waiter.await.unwrap();
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    assert!(
        waited < Duration::from_secs(5),
        "woken by the send, not the timeout: {waited:?}"
    );
    assert_eq!(&records(r.body.as_ref().unwrap())[0].body[..], b"wake");
    tb.stop().await;
}

#[tokio::test]
async fn offsets_commit_query_and_pull_commit() {
    let tb = boot("offsets", "").await;
    let client = Client::new();
    call(&client, &tb.addr, create_topic_cmd("OT", 2, 6)).await;
    call(&client, &tb.addr, heartbeat_cmd("c1", "OG", "OT", "*")).await;
    let query = |q: i32| {
        Command::request(rq::QUERY_CONSUMER_OFFSET).with_header(&QueryConsumerOffsetRequestHeader {
            consumer_group: "OG".into(),
            topic: "OT".into(),
            queue_id: q,
            set_zero_if_not_found: None,
        })
    };
    // empty queue, nothing committed: 5.3.3 answers QUERY_NOT_FOUND with its remark
    let r = call(&client, &tb.addr, query(0)).await;
    assert_eq!(r.code, rc::QUERY_NOT_FOUND);
    assert_eq!(
        r.remark.as_deref(),
        Some("Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
    );
    // a young queue whose first message is hot: 0
    call(&client, &tb.addr, send_cmd("OT", 0, b"m", "")).await;
    let r = call(&client, &tb.addr, query(0)).await;
    assert_eq!((r.code, r.ext("offset")), (rc::SUCCESS, Some("0")));

    let update = Command::request(rq::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "OG".into(),
            topic: "OT".into(),
            queue_id: 1,
            commit_offset: 42,
        },
    );
    assert_eq!(call(&client, &tb.addr, update).await.code, rc::SUCCESS);
    let r = call(&client, &tb.addr, query(1)).await;
    assert_eq!(r.ext("offset"), Some("42"));

    // piggy-backed commit on a pull (sysFlag bit 0)
    let mut pull = pull_cmd("OG", "OT", 0, 0, 1, 0);
    pull.ext_fields.insert("commitOffset", "1");
    call(&client, &tb.addr, pull).await;
    assert_eq!(
        call(&client, &tb.addr, query(0)).await.ext("offset"),
        Some("1")
    );

    // max/min offsets
    let max = Command::request(rq::GET_MAX_OFFSET)
        .with_ext("topic", "OT")
        .with_ext("queueId", "0");
    assert_eq!(call(&client, &tb.addr, max).await.ext("offset"), Some("1"));

    // persisted in Java's consumerOffset.json shape on shutdown
    let dir = tb.dir.clone();
    tb.running.as_ref().unwrap().broker.offsets.persist();
    let text = std::fs::read_to_string(dir.join("config/consumerOffset.json")).unwrap();
    assert!(text.contains("\"OT@OG\":{0:1,1:42}"), "{text}");
    tb.stop().await;
}

#[tokio::test]
async fn server_side_offset_reset() {
    let tb = boot("reset", "").await;
    let client = Client::new();
    call(&client, &tb.addr, create_topic_cmd("RT", 1, 6)).await;
    call(&client, &tb.addr, heartbeat_cmd("c1", "RG", "RT", "*")).await;
    for _ in 0..3 {
        call(&client, &tb.addr, send_cmd("RT", 0, b"m", "")).await;
    }
    let reset = Command::request(rq::INVOKE_BROKER_TO_RESET_OFFSET)
        .with_ext("topic", "RT")
        .with_ext("group", "RG")
        .with_ext("timestamp", "-1")
        .with_ext("isForce", "true");
    let r = call(&client, &tb.addr, reset).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    assert_eq!(
        std::str::from_utf8(r.body.as_ref().unwrap()).unwrap(),
        r#"{"offsetTable":{{"brokerName":"broker-t","queueId":0,"topic":"RT"}:3}}"#
    );
    // a commit while the reset is pending is ignored, as in Java 5.x
    let update = Command::request(rq::UPDATE_CONSUMER_OFFSET)
        .with_ext("consumerGroup", "RG")
        .with_ext("topic", "RT")
        .with_ext("queueId", "0")
        .with_ext("commitOffset", "1");
    let r = call(&client, &tb.addr, update).await;
    assert_eq!(
        r.remark.as_deref(),
        Some("Offset has been previously reset")
    );
    let pulled = call(&client, &tb.addr, pull_cmd("RG", "RT", 0, 0, 2, 1000)).await;
    assert_eq!(pulled.code, rc::PULL_OFFSET_MOVED);
    assert_eq!(pulled.ext("nextBeginOffset"), Some("3"));
    assert_eq!(tb.broker().offsets.query("RG", "RT", 0), Some(3));
    tb.stop().await;
}

#[tokio::test]
async fn restart_keeps_topics_offsets_and_messages() {
    let dir = temp_dir("restart");
    let cfg = config(&dir, "");
    let first = broker::start(cfg.clone()).await.unwrap();
    let client = Client::new();
    call(&client, &first.addr, create_topic_cmd("KT", 2, 6)).await;
    call(&client, &first.addr, send_cmd("KT", 1, b"survives", "")).await;
    let update = Command::request(rq::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "TOOLS_CONSUMER".into(),
            topic: "KT".into(),
            queue_id: 1,
            commit_offset: 1,
        },
    );
    call(&client, &first.addr, update).await;
    first.shutdown().await;
    assert!(!dir.join("abort").exists(), "clean shutdown removes abort");
    assert!(dir.join("config/topics.json.bak").exists() || dir.join("config/topics.json").exists());

    let second = broker::start(cfg).await.unwrap();
    let b = &second.broker;
    assert_eq!(b.topics.get("KT").unwrap().read_queue_nums, 2);
    assert_eq!(b.offsets.query("TOOLS_CONSUMER", "KT", 1), Some(1));
    assert_eq!(b.store.max_offset("KT", 1), 1);
    let pulled = call(
        &client,
        &second.addr,
        pull_cmd("TOOLS_CONSUMER", "KT", 1, 0, 4, 0),
    )
    .await;
    assert_eq!(
        &records(pulled.body.as_ref().unwrap())[0].body[..],
        b"survives"
    );
    second.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
