//! Helpers for the broker's black-box tests: boot a broker on 127.0.0.1 with a temporary store
//! and speak to it through `remoting::Client` only.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use remoting::code::request as rq;
use remoting::headers::{PullMessageRequestHeader, SendMessageRequestHeaderV2};
use remoting::{Client, Command};

pub use broker::{BrokerConfig, RunningBroker};

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct TestBroker {
    pub running: Option<RunningBroker>,
    pub addr: String,
    pub dir: PathBuf,
}

impl TestBroker {
    pub fn broker(&self) -> &std::sync::Arc<broker::Broker> {
        &self.running.as_ref().unwrap().broker
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "thrust-broker-it-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small-footprint config on an ephemeral port; `extra` is broker.conf text applied on top.
pub fn config(dir: &std::path::Path, extra: &str) -> BrokerConfig {
    let mut c = BrokerConfig::default();
    let base = format!(
        "brokerName=broker-t\nbrokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\nlistenPort=0\n\
         storePathRootDir={}\nmappedFileSizeCommitLog=4194304\nmappedFileSizeConsumeQueue=6000\n\
         maxHashSlotNum=1000\nmaxIndexNum=4000\n",
        dir.display()
    );
    c.apply_text(&base).unwrap();
    c.apply_text(extra).unwrap();
    c.finish().unwrap();
    c
}

pub async fn boot(tag: &str, extra: &str) -> TestBroker {
    let dir = temp_dir(tag);
    let running = broker::start(config(&dir, extra)).await.unwrap();
    let addr = running.addr.clone();
    TestBroker {
        running: Some(running),
        addr,
        dir,
    }
}

pub async fn call<H: remoting::Handler>(client: &Client<H>, addr: &str, cmd: Command) -> Command {
    client.invoke(addr, cmd, TIMEOUT).await.unwrap()
}

pub fn send_cmd(topic: &str, queue_id: i32, body: &[u8], props: &str) -> Command {
    let h = SendMessageRequestHeaderV2 {
        a: "PG".into(),
        b: topic.into(),
        c: "TBW102".into(),
        d: 4,
        e: queue_id,
        f: 0,
        g: 1_700_000_000_000,
        h: 0,
        i: Some(props.into()),
        j: Some(0),
        k: Some(false),
        l: None,
        m: Some(false),
        n: None,
    };
    Command::request(rq::SEND_MESSAGE_V2)
        .with_header(&h)
        .with_body(Bytes::copy_from_slice(body))
}

pub fn pull_cmd(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    sys_flag: i32,
    suspend_ms: i64,
) -> Command {
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag,
        commit_offset: 0,
        suspend_timeout_millis: suspend_ms,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        ..Default::default()
    };
    Command::request(rq::PULL_MESSAGE).with_header(&h)
}

/// HEART_BEAT registering `group` (clustering push consumer) subscribed to `topic` with `expr`.
pub fn heartbeat_cmd(client_id: &str, group: &str, topic: &str, expr: &str) -> Command {
    let tags: Vec<String> = if expr == "*" {
        vec![]
    } else {
        expr.split("||").map(|t| t.trim().to_string()).collect()
    };
    let codes: Vec<i32> = tags.iter().map(|t| store::java_hash(t)).collect();
    let body = serde_json::json!({
        "clientID": client_id,
        "consumerDataSet": [{
            "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
            "consumeType": "CONSUME_PASSIVELY",
            "groupName": group,
            "messageModel": "CLUSTERING",
            "subscriptionDataSet": [{
                "classFilterMode": false, "codeSet": codes, "expressionType": "TAG",
                "subString": expr, "subVersion": 1, "tagsSet": tags, "topic": topic
            }],
            "unitMode": false
        }],
        "producerDataSet": [{"groupName": "PG"}]
    });
    Command::request(rq::HEART_BEAT).with_body(serde_json::to_vec(&body).unwrap())
}

pub fn create_topic_cmd(topic: &str, queues: i32, perm: i32) -> Command {
    let h = remoting::headers::CreateTopicRequestHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
        attributes: Some(String::new()),
        force: None,
    };
    Command::request(rq::UPDATE_AND_CREATE_TOPIC).with_header(&h)
}

/// Splits a pull body into stored records.
pub fn records(body: &Bytes) -> Vec<store::StoredMessage> {
    let mut out = Vec::new();
    let mut rest = body.clone();
    while rest.len() >= 4 {
        let size = i32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let one = rest.split_to(size);
        out.push(store::StoredMessage::decode(&one).unwrap());
    }
    out
}
