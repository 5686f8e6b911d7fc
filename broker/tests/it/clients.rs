//! Heartbeats, consumer membership notifications, locks, registration with our NameServer,
//! send-back and delay levels.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::{Client, Command, Connection, Handler};

/// Records the codes of broker → client requests.
#[derive(Default)]
struct Recorder(Mutex<Vec<i32>>);

impl Handler for Recorder {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        self.0.lock().unwrap().push(req.code);
        None
    }
}

#[tokio::test]
async fn membership_changes_notify_members() {
    let tb = boot("notify", "").await;
    let rec = Arc::new(Recorder::default());
    let a = Client::with_handler(rec.clone());
    let b = Client::new();
    call(&a, &tb.addr, create_topic_cmd("NT", 2, 6)).await;
    assert_eq!(
        call(&a, &tb.addr, heartbeat_cmd("ca", "NG", "NT", "*"))
            .await
            .code,
        rc::SUCCESS
    );
    // the group and its retry topic exist now
    assert!(tb.broker().groups.get("NG").is_some());
    assert!(tb.broker().topics.get("%RETRY%NG").is_some());
    assert_eq!(
        call(&b, &tb.addr, heartbeat_cmd("cb", "NG", "NT", "*"))
            .await
            .code,
        rc::SUCCESS
    );

    let list = call(
        &a,
        &tb.addr,
        Command::request(rq::GET_CONSUMER_LIST_BY_GROUP).with_ext("consumerGroup", "NG"),
    )
    .await;
    let body: serde_json::Value = serde_json::from_slice(list.body.as_ref().unwrap()).unwrap();
    let mut ids: Vec<String> = serde_json::from_value(body["consumerIdList"].clone()).unwrap();
    ids.sort();
    assert_eq!(ids, vec!["ca", "cb"]);

    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !rec
        .0
        .lock()
        .unwrap()
        .contains(&rq::NOTIFY_CONSUMER_IDS_CHANGED)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "member a was not notified"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // b leaves (connection closed): a is told again and the list shrinks
    rec.0.lock().unwrap().clear();
    b.close(&tb.addr);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !rec
        .0
        .lock()
        .unwrap()
        .contains(&rq::NOTIFY_CONSUMER_IDS_CHANGED)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "member a was not notified of the leave"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        tb.broker().clients.consumer_ids("NG"),
        vec!["ca".to_string()]
    );

    let none = call(
        &a,
        &tb.addr,
        Command::request(rq::GET_CONSUMER_LIST_BY_GROUP).with_ext("consumerGroup", "Nobody"),
    )
    .await;
    assert_eq!(
        (none.code, none.remark.as_deref()),
        (rc::SYSTEM_ERROR, Some("no consumer for this group, Nobody"))
    );
    tb.stop().await;
}

/// Records broker → client requests on the connection's reader, so a request that arrived before
/// a response is recorded before that response is delivered.
#[derive(Default)]
struct InlineRecorder(Mutex<Vec<i32>>);

impl Handler for InlineRecorder {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        self.0.lock().unwrap().push(req.code);
        None
    }

    fn answer_inline(&self, _req: &Command) -> bool {
        true
    }
}

impl InlineRecorder {
    fn take(&self) -> Vec<i32> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Java notifies the group inside the heartbeat that changed it: every member's notification is
/// queued before that heartbeat is answered (the joining member's own one included); a heartbeat
/// that changes nothing notifies nobody. (The broker's multi-threaded runtime, as in `mqbroker`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_is_answered_after_the_notifications_it_causes() {
    let tb = boot("notify-order", "").await;
    let (ra, rc_) = (
        Arc::new(InlineRecorder::default()),
        Arc::new(InlineRecorder::default()),
    );
    let (a, c) = (
        Client::with_handler(ra.clone()),
        Client::with_handler(rc_.clone()),
    );
    let notify = vec![rq::NOTIFY_CONSUMER_IDS_CHANGED];
    call(&a, &tb.addr, heartbeat_cmd("ca", "OG", "OT", "*")).await;
    assert_eq!(ra.take(), notify);
    call(&a, &tb.addr, heartbeat_cmd("ca", "OG", "OT", "*")).await;
    assert_eq!(ra.take(), Vec::<i32>::new());
    call(&c, &tb.addr, heartbeat_cmd("cc", "OG", "OT", "*")).await;
    assert_eq!(rc_.take(), notify);
    // a's notification was queued before c's answer, so before a's next answer too.
    let list = Command::request(rq::GET_CONSUMER_LIST_BY_GROUP).with_ext("consumerGroup", "OG");
    assert_eq!(call(&a, &tb.addr, list).await.code, rc::SUCCESS);
    assert_eq!(ra.take(), notify);
    tb.stop().await;
}

/// Java `ConsumerManager` raises no CHANGE for a broadcasting group: its members, which each
/// consume every queue, are not told of joins or leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_members_are_not_notified() {
    let tb = boot("notify-broadcast", "").await;
    let (ra, rc_) = (
        Arc::new(InlineRecorder::default()),
        Arc::new(InlineRecorder::default()),
    );
    let (a, c) = (
        Client::with_handler(ra.clone()),
        Client::with_handler(rc_.clone()),
    );
    let broadcasting = |client: &str| {
        let cmd = heartbeat_cmd(client, "BG", "BT", "*");
        let body = String::from_utf8(cmd.body.as_deref().unwrap().to_vec()).unwrap();
        Command::request(rq::HEART_BEAT)
            .with_body(body.replace("CLUSTERING", "BROADCASTING").into_bytes())
    };
    call(&a, &tb.addr, broadcasting("ba")).await;
    call(&c, &tb.addr, broadcasting("bc")).await;
    let list = Command::request(rq::GET_CONSUMER_LIST_BY_GROUP).with_ext("consumerGroup", "BG");
    assert_eq!(call(&a, &tb.addr, list).await.code, rc::SUCCESS);
    c.close(&tb.addr);
    let list = Command::request(rq::GET_CONSUMER_LIST_BY_GROUP).with_ext("consumerGroup", "BG");
    call(&a, &tb.addr, list).await;
    assert_eq!((ra.take(), rc_.take()), (vec![], vec![]));
    tb.stop().await;
}

#[tokio::test]
async fn queue_locks() {
    let tb = boot("locks", "").await;
    let client = Client::new();
    let lock = |cid: &str| {
        let body = format!(
            r#"{{"clientId":"{cid}","consumerGroup":"LG","mqSet":[{{"brokerName":"broker-t","queueId":0,"topic":"T"}}],"onlyThisBroker":false}}"#
        );
        Command::request(rq::LOCK_BATCH_MQ).with_body(body.into_bytes())
    };
    let r = call(&client, &tb.addr, lock("c1")).await;
    assert_eq!(
        std::str::from_utf8(r.body.as_ref().unwrap()).unwrap(),
        r#"{"lockOKMQSet":[{"brokerName":"broker-t","queueId":0,"topic":"T"}]}"#
    );
    let r = call(&client, &tb.addr, lock("c2")).await;
    assert_eq!(
        std::str::from_utf8(r.body.as_ref().unwrap()).unwrap(),
        r#"{"lockOKMQSet":[]}"#
    );
    let mut unlock = lock("c1");
    unlock.code = rq::UNLOCK_BATCH_MQ;
    assert_eq!(call(&client, &tb.addr, unlock).await.code, rc::SUCCESS);
    let r = call(&client, &tb.addr, lock("c2")).await;
    assert!(std::str::from_utf8(r.body.as_ref().unwrap())
        .unwrap()
        .contains("queueId"));
    tb.stop().await;
}

#[tokio::test]
async fn registers_with_our_namesrv_and_unregisters_on_shutdown() {
    let mut ns_state = namesrv::ConfigState::default();
    ns_state.config.listen_port = 0;
    ns_state.config.bind_address = "127.0.0.1".into();
    let dir = temp_dir("ns");
    ns_state.config.kv_config_path = dir.join("kvConfig.json").display().to_string();
    let ns = namesrv::start(ns_state).await.unwrap();
    let ns_addr = format!("127.0.0.1:{}", ns.local_addr.port());
    let tb = boot("register", &format!("namesrvAddr={ns_addr}")).await;
    let client = Client::new();
    let route = |topic: &str| {
        Command::request(rq::GET_ROUTEINFO_BY_TOPIC)
            .with_ext("topic", topic)
            .with_ext("acceptStandardJsonOnly", "true")
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = call(&client, &ns_addr, route("TBW102")).await;
        if r.code == rc::SUCCESS {
            let text = String::from_utf8_lossy(r.body.as_ref().unwrap()).into_owned();
            assert!(text.contains(&tb.addr), "{text}");
            assert!(text.contains("\"perm\":7"), "{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "broker never registered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // a topic created by a send is registered right away
    call(&client, &tb.addr, send_cmd("RegT", 0, b"x", "")).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while call(&client, &ns_addr, route("RegT")).await.code != rc::SUCCESS {
        assert!(
            std::time::Instant::now() < deadline,
            "new topic not registered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tb.stop().await;
    assert_eq!(
        call(&client, &ns_addr, route("RegT")).await.code,
        rc::TOPIC_NOT_EXIST,
        "unregistered at shutdown"
    );
    ns.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn send_back_goes_to_retry_with_delay_then_redelivered() {
    let tb = boot("sendback", "messageDelayLevel=1s 2s 3s").await;
    let client = Client::new();
    call(&client, &tb.addr, create_topic_cmd("SB", 1, 6)).await;
    call(&client, &tb.addr, heartbeat_cmd("c1", "SG", "SB", "*")).await;
    let sent = call(&client, &tb.addr, send_cmd("SB", 0, b"again", "")).await;
    let id = sent.ext("msgId").unwrap();
    let offset = i64::from_str_radix(&id[16..], 16).unwrap();
    let back = Command::request(rq::CONSUMER_SEND_MSG_BACK)
        .with_ext("offset", offset.to_string())
        .with_ext("group", "SG")
        .with_ext("delayLevel", "1")
        .with_ext("maxReconsumeTimes", "16");
    let r = call(&client, &tb.addr, back).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    assert_eq!(tb.broker().store.max_offset("SCHEDULE_TOPIC_XXXX", 0), 1);
    assert_eq!(tb.broker().store.max_offset("%RETRY%SG", 0), 0);
    // level 1 = 1 s here; the scheduler delivers it to the retry topic
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while tb.broker().store.max_offset("%RETRY%SG", 0) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "delayed message never delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // brokerStatus shows the level's progress as Java's "<delivered>,<max>".
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    loop {
        let rt = call(
            &client,
            &tb.addr,
            Command::request(rq::GET_BROKER_RUNTIME_INFO),
        )
        .await;
        let v: serde_json::Value = serde_json::from_slice(rt.body.as_ref().unwrap()).unwrap();
        if v["table"]["scheduleMessageOffset_1"] == "1,1" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pulled = call(&client, &tb.addr, pull_cmd("SG", "%RETRY%SG", 0, 0, 4, 0)).await;
    assert_eq!(pulled.code, rc::SUCCESS);
    let rec = &records(pulled.body.as_ref().unwrap())[0];
    assert_eq!(&rec.body[..], b"again");
    assert_eq!(rec.reconsume_times, 1);
    assert!(
        rec.properties.contains("RETRY_TOPIC\u{1}SB"),
        "{:?}",
        rec.properties
    );
    // Java's messageTimeUp keeps DELAY (and REAL_*) in the delivered record.
    assert!(
        rec.properties.contains("DELAY\u{1}1\u{2}"),
        "{:?}",
        rec.properties
    );
    assert!(rec.properties.contains("WAIT\u{1}false\u{2}"));
    tb.stop().await;
}

#[tokio::test]
async fn timer_messages_are_delivered_when_due() {
    let tb = boot("timer", "").await;
    let client = Client::new();
    call(&client, &tb.addr, create_topic_cmd("TM", 1, 6)).await;
    let r = call(
        &client,
        &tb.addr,
        send_cmd("TM", 0, b"later", "TIMER_DELAY_MS\u{1}1500\u{2}"),
    )
    .await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    assert_eq!(tb.broker().store.max_offset("TM", 0), 0);
    assert_eq!(tb.broker().store.max_offset("rmq_sys_wheel_timer", 0), 1);
    let too_far = call(
        &client,
        &tb.addr,
        send_cmd("TM", 0, b"x", "TIMER_DELAY_SEC\u{1}99999999\u{2}"),
    )
    .await;
    assert_eq!(too_far.code, rc::MESSAGE_ILLEGAL);
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while tb.broker().store.max_offset("TM", 0) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "timer message never delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pulled = call(
        &client,
        &tb.addr,
        pull_cmd("TOOLS_CONSUMER", "TM", 0, 0, 4, 0),
    )
    .await;
    let rec = &records(pulled.body.as_ref().unwrap())[0];
    assert_eq!(&rec.body[..], b"later");
    assert!(rec.properties.contains("TIMER_OUT_MS\u{1}"));
    // Java's convertMessage keeps REAL_* and adds the wheel's enqueue and dequeue times.
    assert!(rec.properties.contains("REAL_TOPIC\u{1}TM\u{2}"));
    assert!(rec.properties.contains("TIMER_DEQUEUE_MS\u{1}"));
    tb.stop().await;
}
