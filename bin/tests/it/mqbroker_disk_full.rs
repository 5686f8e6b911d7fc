//! The `mqbroker` binary on a small tmpfs that another process (this test) fills: the broker
//! stays up, a send that needs new space gets Java's SERVICE_NOT_AVAILABLE (14) and its remark,
//! pulls of stored messages go on, a topic created meanwhile is answered like Java (the update
//! holds, the failed write of `topics.json` leaves the old file), and once the filler is gone
//! sends succeed again without a restart; after a restart every acknowledged message is there.
//!
//! The broker's disk-usage check runs once an hour here, so each refusal comes from the store
//! failing to reserve space: a new consume queue, the growth of one, a CommitLog roll.

use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use remoting::code::{request as rq, response as rc};
use remoting::headers::SendMessageRequestHeaderV2;
use remoting::headers::{CreateTopicRequestHeader, PullMessageRequestHeader};
use remoting::{Client, Command};
use store::testutil::{SmallFs, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_mqbroker");
const TIMEOUT: Duration = Duration::from_secs(10);

/// Java's remark for SERVICE_NOT_AVAILABLE (`SendMessageProcessor.handlePutMessageResult`) with
/// `diskUtil()` of a full filesystem.
const FULL_REMARK: &str = "service not available now. It may be caused by one of the following \
    reasons: the broker's disk is full [CL:  1.00 CQ:  1.00 INDEX:  1.00], messages are put to \
    the slave, message store has been shut down, etc.";

/// Numbers each start's output file.
static STARTS: AtomicU32 = AtomicU32::new(0);

/// A running `mqbroker`, killed if the test ends early.
struct Broker {
    child: Child,
    addr: String,
}

impl Broker {
    /// Starts on `listenPort=0` (an ephemeral port, no VIP port) and reads the port from the
    /// boot line: a port picked beforehand could be taken by another test's connection meanwhile.
    fn start(conf: &std::path::Path, home: &std::path::Path) -> Broker {
        let text = std::fs::read_to_string(conf).unwrap();
        let text = text
            .lines()
            .filter(|l| !l.starts_with("listenPort="))
            .chain(["listenPort=0"])
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(conf, text).unwrap();
        let out = home.join(format!(
            "broker-{}.out",
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        let log = std::fs::File::create(&out).unwrap();
        let child = Process::new(BIN)
            .arg("-c")
            .arg(conf)
            .env("ROCKETMQ_HOME", home)
            .env("HOME", home)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut b = Broker {
            child,
            addr: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        b.addr = loop {
            // "The broker[<name>, <ip:port>] boot success. ..."
            let printed = std::fs::read_to_string(&out).unwrap_or_default();
            if let Some(line) = printed.lines().find(|l| l.contains("] boot success")) {
                let addr = line.split(", ").nth(1).and_then(|r| r.split(']').next());
                break addr.expect("address in the boot line").to_string();
            }
            b.assert_alive(&printed);
            assert!(Instant::now() < deadline, "broker did not start: {printed}");
            std::thread::sleep(Duration::from_millis(50));
        };
        b
    }

    fn assert_alive(&mut self, output: &str) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("mqbroker exited: {status}: {output}");
        }
    }

    /// SIGTERM (a clean shutdown), then wait.
    fn stop(mut self) {
        Process::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let status = crate::child::wait_exit(&mut self.child, "mqbroker after SIGTERM");
        assert!(status.success(), "shutdown: {status}");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn send_cmd(topic: &str, queue_id: i32, body: &[u8]) -> Command {
    let h = SendMessageRequestHeaderV2 {
        a: "PG".into(),
        b: topic.into(),
        c: "TBW102".into(),
        d: 4,
        e: queue_id,
        f: 0,
        g: 1_700_000_000_000,
        h: 0,
        i: Some(String::new()),
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

fn create_topic_cmd(topic: &str) -> Command {
    let h = CreateTopicRequestHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: 4,
        write_queue_nums: 4,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
        attributes: Some(String::new()),
        force: None,
    };
    Command::request(rq::UPDATE_AND_CREATE_TOPIC).with_header(&h)
}

fn pull_cmd(topic: &str, queue_id: i32, offset: i64) -> Command {
    let h = PullMessageRequestHeader {
        consumer_group: "CG".into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: 2,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        ..Default::default()
    };
    Command::request(rq::PULL_MESSAGE).with_header(&h)
}

/// HEART_BEAT registering consumer group `CG` on `topic` (pulls need the group).
fn heartbeat_cmd(topic: &str) -> Command {
    let body = format!(
        r#"{{"clientID":"disk-full-test","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"{topic}"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    );
    Command::request(rq::HEART_BEAT).with_body(Bytes::from(body))
}

async fn call(client: &Client, addr: &str, cmd: Command) -> Command {
    client.invoke(addr, cmd, TIMEOUT).await.unwrap()
}

/// Every body of a queue, pulled from offset 0.
async fn pull_all(client: &Client, addr: &str, topic: &str, queue: i32) -> Vec<String> {
    let hb = call(client, addr, heartbeat_cmd(topic)).await;
    assert_eq!(hb.code, rc::SUCCESS, "{:?}", hb.remark);
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let r = call(client, addr, pull_cmd(topic, queue, offset)).await;
        if r.code == rc::PULL_NOT_FOUND {
            return out;
        }
        assert_eq!(
            r.code,
            rc::SUCCESS,
            "pull {topic}/{queue} at {offset}: {:?}",
            r.remark
        );
        let mut rest = r.body.clone().unwrap();
        while rest.len() >= 4 {
            let size = i32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let one = rest.split_to(size);
            let m = store::StoredMessage::decode(&one).unwrap();
            out.push(String::from_utf8(m.body.to_vec()).unwrap());
        }
        offset = r.ext("nextBeginOffset").unwrap().parse().unwrap();
    }
}

fn body(tag: &str, i: usize) -> String {
    format!("{tag}-{i}-{}", "b".repeat(200))
}

/// Asserts the bodies are the acknowledged ones, in order, without printing them all.
fn assert_same(got: &[String], acked: &[String], what: &str) {
    let first_diff = got.iter().zip(acked).position(|(a, b)| a != b);
    assert!(
        got.len() == acked.len() && first_diff.is_none(),
        "{what}: {} bodies, {} acknowledged, first difference at {first_diff:?}",
        got.len(),
        acked.len()
    );
}

/// Sends to `topic`/`queue` until the broker refuses; the refusal must be Java's disk-full
/// answer. Returns the bodies acknowledged on the way.
async fn send_until_refused(
    client: &Client,
    addr: &str,
    topic: &str,
    queue: i32,
    tag: &str,
) -> Vec<String> {
    let mut acked = Vec::new();
    for i in 0..50_000 {
        let b = body(tag, i);
        let r = call(client, addr, send_cmd(topic, queue, b.as_bytes())).await;
        if r.code == rc::SUCCESS {
            acked.push(b);
            continue;
        }
        assert_eq!(r.code, rc::SERVICE_NOT_AVAILABLE, "{:?}", r.remark);
        assert_eq!(r.remark.as_deref(), Some(FULL_REMARK));
        return acked;
    }
    panic!("no refusal on a full disk");
}

fn topics_json(store: &std::path::Path) -> String {
    std::fs::read_to_string(store.join("config/topics.json")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_sends_and_the_broker_recovers_by_itself() {
    let fs = SmallFs::mount("mqbroker-full", 24 << 20);
    let home = TempDir::new("mqbroker-full-home");
    let store = fs.path().join("store");
    let conf = home.path().join("broker.conf");
    std::fs::write(
        &conf,
        format!(
            "brokerClusterName=DiskFullCluster\nbrokerName=disk-full\nbrokerIP1=127.0.0.1\n\
             namesrvAddr=127.0.0.1:1\nstorePathRootDir={}\nmappedFileSizeCommitLog=2097152\n\
             mappedFileSizeConsumeQueue=600000\nmaxHashSlotNum=1000\nmaxIndexNum=40000\n\
             autoCreateTopicEnable=true\ncleanResourceInterval=3600000\n\
             cleanFileForciblyEnable=false\n",
            store.display()
        ),
    )
    .unwrap();
    let mut broker = Broker::start(&conf, home.path());
    let client = Client::new();
    let addr = broker.addr.clone();
    let r = call(&client, &addr, create_topic_cmd("Full")).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    let mut acked: Vec<String> = Vec::new();
    for i in 0..20 {
        let b = body("before", i);
        let r = call(&client, &addr, send_cmd("Full", 0, b.as_bytes())).await;
        assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
        acked.push(b);
    }
    let topics_before = topics_json(&store);

    fs.fill();
    // A new queue needs a new file.
    let r = call(&client, &addr, send_cmd("Full", 1, b"new queue")).await;
    assert_eq!(r.code, rc::SERVICE_NOT_AVAILABLE, "{:?}", r.remark);
    assert_eq!(r.remark.as_deref(), Some(FULL_REMARK));
    // The queue grows into its reserved space, then its file or the CommitLog needs more.
    acked.extend(send_until_refused(&client, &addr, "Full", 0, "during").await);
    assert!(
        acked.len() > 20,
        "sends into reserved space: {}",
        acked.len()
    );
    broker.assert_alive("");
    assert_same(
        &pull_all(&client, &addr, "Full", 0).await,
        &acked,
        "reads go on",
    );
    // Java answers a topic update with SUCCESS even when persisting it fails.
    let r = call(&client, &addr, create_topic_cmd("MadeWhileFull")).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    assert_eq!(topics_json(&store), topics_before, "old topics.json intact");
    broker.assert_alive("");

    fs.free();
    let b = body("after", 0);
    let r = call(&client, &addr, send_cmd("Full", 1, b.as_bytes())).await;
    assert_eq!(r.code, rc::SUCCESS, "no restart needed: {:?}", r.remark);
    let r = call(&client, &addr, create_topic_cmd("MadeAfter")).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    let topics = topics_json(&store);
    assert!(topics.contains("MadeWhileFull") && topics.contains("MadeAfter"));

    broker.stop();
    let broker = Broker::start(&conf, home.path());
    let addr = broker.addr.clone();
    assert_same(
        &pull_all(&client, &addr, "Full", 0).await,
        &acked,
        "after a restart",
    );
    assert_same(
        &pull_all(&client, &addr, "Full", 1).await,
        &[b],
        "the queue made after",
    );
    broker.stop();
}
