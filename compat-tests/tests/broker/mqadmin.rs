//! mqadmin parity: every mqadmin 5.3.3 subcommand that applies to one NameServer and one broker
//! runs against our stack and Java's after the same traffic, and the normalized outputs must be
//! equal (`mqadmin_norm.rs` says what normalizing replaces, and why each value must differ).
//!
//! Each kind gets a NameServer and broker of its own, with the same broker and cluster names:
//! ```text
//!   scenario NameServer ── broker "broker-mq" (MqCluster, 1 MiB CommitLog files)
//! ```
//! The phases: traffic (topics, large filler messages, a producer and a push consumer that stay
//! online, a delayed message); views that change no counter, once the traffic has left the
//! stats' minute window; pulls; sends; admin commands in independent chains; write permission;
//! then the store maintenance commands, whose effects on the store directory are checked too.
//! Commands left out, and why, are listed in `broker/README.md`.

use std::time::Duration;

use compat_tests::process::{spawn_scoped, Background};
use compat_tests::tools::kv;
use compat_tests::wait::eventually;
use compat_tests::wire;

use super::common::*;
use super::mqadmin_env::*;

pub(crate) const TOPIC: &str = "AdmTopic";
pub(crate) const PGROUP: &str = "AdmProducer";
pub(crate) const CGROUP: &str = "AdmConsumer";
/// Messages of the online driver before its delayed one.
pub(crate) const COUNT: usize = 8;

/// The online driver and what it sent.
struct Online {
    driver: Background,
    stop: std::path::PathBuf,
    /// Client (`UNIQ_KEY`) and offset message ids of message 1 (queue 1, offset 0).
    uniq: String,
    offset_id: String,
}

fn topics(e: &Env, log: &mut Vec<Entry>, list: &[(&str, &str)]) {
    for (topic, queues) in list {
        let c = [
            "updateTopic",
            "-c",
            MQ_CLUSTER,
            "-t",
            topic,
            "-r",
            queues,
            "-w",
            queues,
        ];
        log.push(e.admin(&c));
        wait_route(e, topic);
    }
}

fn wait_route(e: &Env, topic: &str) {
    wait_until(
        Duration::from_secs(60),
        &format!("route of {topic}"),
        || wire::route(e.ns(), topic).ok().flatten().is_some(),
    );
}

/// `n` messages of 400 KB to `topic` (two fill a 1 MiB CommitLog file), by raw
/// SEND_MESSAGE_V2 so nothing but the messages changes.
fn fill(e: &Env, topic: &str, n: usize) {
    let body = "f".repeat(400_000);
    for i in 0..n {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis().to_string())
            .unwrap_or_default();
        let props = format!("KEYS\u{1}{topic}-{i}\u{2}");
        let ext = [
            ("a", "AdmFiller"),
            ("b", topic),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "0"),
            ("f", "0"),
            ("g", now.as_str()),
            ("h", "0"),
            ("i", props.as_str()),
            ("j", "0"),
            ("k", "false"),
        ];
        let r = wire::request_body(
            e.addr(),
            310,
            wire::VERSION_5_3_3,
            &ext,
            body.as_bytes(),
            Duration::from_secs(30),
        )
        .expect("fill send");
        assert_eq!(r.code, 0, "fill send: {:?}", r.remark);
    }
}

/// Topics, the filler, then the online producer and consumer until everything is consumed,
/// committed (the retry queue's offset too) and visible in the group's consume rate.
fn traffic(e: &Env, log: &mut Vec<Entry>) -> Online {
    topics(
        e,
        log,
        &[
            (TOPIC, "4"),
            ("AdmFill", "1"),
            ("AdmSend", "2"),
            ("AdmTail", "1"),
        ],
    );
    fill(e, "AdmFill", 3);
    let stop = e.files.join("online.stop");
    let mut driver = Background::spawn(
        &admin_driver(&kv(
            "online",
            &[
                ("ns", e.ns()),
                ("topic", TOPIC),
                ("pgroup", PGROUP),
                ("cgroup", CGROUP),
                ("count", &COUNT.to_string()),
                ("stop_file", &stop.display().to_string()),
            ],
        )),
        Duration::from_secs(1200),
    );
    let consumed = driver.wait_json(Duration::from_secs(120), |v| {
        v.get("consumed").is_some() || v.get("error").is_some()
    });
    let lines = compat_tests::process::json_lines(&driver.stdout());
    assert!(
        consumed.is_some_and(|v| v["consumed"] == COUNT as u64 + 1),
        "online driver: {lines:?}"
    );
    let sent = |i: u64, k: &str| -> String {
        lines
            .iter()
            .find(|l| l["i"] == i)
            .and_then(|l| l[k].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let online = Online {
        uniq: sent(1, "msgId"),
        offset_id: sent(1, "offsetMsgId"),
        driver,
        stop,
    };
    wait_until(Duration::from_secs(60), "offsets committed", || {
        let sum: i64 = (0..4).filter_map(|q| e.committed(CGROUP, TOPIC, q)).sum();
        sum == COUNT as i64 + 1 && e.committed(CGROUP, "%RETRY%AdmConsumer", 0).is_some()
    });
    // The last put and get of the traffic sampled (see `traffic_aged_out`).
    wait_until(Duration::from_secs(60), "the traffic in the stats", || {
        TRAFFIC_STATS[..2]
            .iter()
            .all(|(name, key)| minute_sum(e, name, key) > 0)
    });
    online
}

/// Stats items the traffic moves (VIEW_BROKER_STATS_DATA names and keys), its last put and get
/// first.
const TRAFFIC_STATS: [(&str, &str); 4] = [
    ("TOPIC_PUT_NUMS", TOPIC),
    ("GROUP_GET_NUMS", "AdmTopic@AdmConsumer"),
    ("TOPIC_PUT_NUMS", "AdmFill"),
    ("TOPIC_PUT_NUMS", "SCHEDULE_TOPIC_XXXX"),
];

/// An item's sum over its minute window (VIEW_BROKER_STATS_DATA, 315); 0 when the broker has no
/// such item.
fn minute_sum(e: &Env, name: &str, key: &str) -> i64 {
    wire::request(
        e.addr(),
        315,
        &[("statsName", name), ("statsKey", key)],
        Duration::from_secs(5),
    )
    .ok()
    .filter(|r| r.code == 0)
    .and_then(|r| r.json().ok())
    .and_then(|v| v["statsMinute"]["sum"].as_i64())
    .unwrap_or(0)
}

/// The traffic has left the stats' minute window (7 samples 10 s apart, Java `StatsItem`):
/// `statsAll -a` prints a topic only while its window (or hour or day, not sampled yet) holds a
/// put or get, so the views wait until no window does rather than race the sampling. The last
/// put and get were seen sampled after the traffic ended, so a sum of 0 now means aged out.
fn traffic_aged_out(e: &Env) {
    wait_until(
        Duration::from_secs(180),
        "the traffic out of the minute window",
        || {
            TRAFFIC_STATS
                .iter()
                .all(|(name, key)| minute_sum(e, name, key) == 0)
        },
    );
}

/// GET_CONSUME_STATS's consumeTps: the group's pull rate over the last minute, so above zero
/// within a sampling period after consuming. (The body's `MessageQueue` keys are objects, which
/// JSON does not allow: the number is read from the text.)
fn consume_tps_shows(e: &Env) {
    let ext = [("consumerGroup", CGROUP), ("topic", TOPIC)];
    wait_until(Duration::from_secs(30), "consumeTps above 0", || {
        let Ok(r) = wire::request(e.addr(), 208, &ext, Duration::from_secs(5)) else {
            return false;
        };
        let body = String::from_utf8_lossy(&r.body).into_owned();
        let tps = body.split("\"consumeTps\":").nth(1).map(|rest| {
            let n: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || ".eE-".contains(*c))
                .collect();
            n.parse::<f64>().unwrap_or(0.0)
        });
        tps.is_some_and(|t| t > 0.0)
    });
}

/// Views that change no counter, all at once.
fn views(e: &Env, o: &Online) -> Vec<Entry> {
    let b = e.addr().to_string();
    let f = e.files.display().to_string();
    let list = cmds(&[
        &["clusterList"],
        &["clusterList", "-m"],
        &["brokerStatus", "-b", &b],
        &["brokerStatus", "-c", MQ_CLUSTER],
        &["topicList"],
        &["topicList", "-c"],
        &["topicRoute", "-t", TOPIC],
        &["topicRoute", "-t", TOPIC, "-l"],
        &["topicStatus", "-t", TOPIC],
        &["topicClusterList", "-t", TOPIC],
        &["consumerProgress", "-g", CGROUP],
        &["consumerProgress", "-g", CGROUP, "-s", "true"],
        &["consumerProgress"],
        &["consumerConnection", "-g", CGROUP],
        &["producerConnection", "-g", PGROUP, "-t", TOPIC],
        &["consumerStatus", "-g", CGROUP],
        &["brokerConsumeStats", "-b", &b],
        &["getConsumerConfig", "-g", CGROUP],
        &["getBrokerConfig", "-b", &b],
        &["getNamesrvConfig"],
        &["statsAll"],
        &["statsAll", "-a"],
        &[
            "queryCq", "-t", TOPIC, "-q", "0", "-i", "0", "-c", "10", "-b", &b,
        ],
        &["allocateMQ", "-t", TOPIC, "-i", "10.0.0.1,10.0.0.2"],
        &["getColdDataFlowCtrInfo", "-b", &b],
        &["getBrokerEpoch", "-c", MQ_CLUSTER],
        &["rocksDBConfigToJson", "-c", MQ_CLUSTER],
        &["checkRocksdbCqWriteProgress", "-c", MQ_CLUSTER],
        &["exportPopRecord", "-c", MQ_CLUSTER, "-d", "true"],
        &["queryMsgByKey", "-t", TOPIC, "-k", "key-1"],
        &["queryMsgByUniqueKey", "-t", TOPIC, "-i", &o.uniq],
        &["queryMsgById", "-t", TOPIC, "-i", &o.offset_id],
        &["queryMsgTraceById", "-i", &o.uniq],
        &["exportMetadata", "-c", MQ_CLUSTER, "-f", &f],
        &["exportConfigs", "-c", MQ_CLUSTER, "-f", &f],
        &["exportMetrics", "-c", MQ_CLUSTER, "-f", &f],
    ]);
    let mut out = e.admin_all(&list);
    // `producer -b` lists every client's producers: the admin clients of the commands above
    // among them, while they run and until the broker has seen their connections close. So it
    // runs alone, once they are gone.
    out.push(eventually(
        Duration::from_secs(60),
        "`producer -b` without the other commands' admin clients",
        || {
            let entry = e.admin(&["producer", "-b", &b]);
            (!entry.out.contains("@<ms>")).then_some(entry)
        },
    ));
    for file in ["metadata.json", "configs.json", "metrics.json"] {
        out.push(e.file_entry(file));
    }
    out
}

/// Commands that pull messages (they move the get counters, so after the views).
fn pulls(e: &Env) -> Vec<Entry> {
    let list = cmds(&[
        &[
            "queryMsgByOffset",
            "-t",
            TOPIC,
            "-b",
            BROKER,
            "-i",
            "0",
            "-o",
            "0",
        ],
        &["printMsg", "-t", TOPIC, "-d", "true"],
        &[
            "printMsgByQueue",
            "-t",
            TOPIC,
            "-a",
            BROKER,
            "-i",
            "1",
            "-p",
            "true",
            "-d",
            "true",
        ],
        &[
            "printMsgByQueue",
            "-t",
            TOPIC,
            "-a",
            BROKER,
            "-i",
            "0",
            "-f",
            "true",
        ],
        &[
            "consumeMessage",
            "-t",
            TOPIC,
            "-b",
            BROKER,
            "-i",
            "2",
            "-o",
            "0",
            "-c",
            "2",
        ],
    ]);
    e.admin_all(&list)
}

/// Commands that send, one after the other so every message lands where it lands on the other
/// stack. clusterRT repeats forever: it runs until its first round is printed.
fn sends(e: &Env) -> Vec<Entry> {
    let mut out = Vec::new();
    for c in cmds(&[
        &[
            "sendMessage",
            "-t",
            "AdmSend",
            "-p",
            "hello",
            "-k",
            "sk",
            "-c",
            "TagS",
            "-b",
            BROKER,
            "-i",
            "1",
        ],
        &["sendMsgStatus", "-b", BROKER, "-s", "64", "-c", "2"],
        &["checkMsgSendRT", "-t", "AdmSend", "-a", "2", "-s", "32"],
    ]) {
        let args: Vec<&str> = c.iter().map(String::as_str).collect();
        out.push(e.admin(&args));
    }
    out.push(cluster_rt(e));
    out
}

fn cluster_rt(e: &Env) -> Entry {
    let args = [
        "clusterRT",
        "-a",
        "2",
        "-s",
        "32",
        "-c",
        MQ_CLUSTER,
        "-i",
        "1",
    ];
    let run = Background::spawn(
        &compat_tests::tools::mqadmin_cmd(e.ns(), &args),
        Duration::from_secs(120),
    );
    let row = format!("{MQ_CLUSTER} ");
    let first_round = |out: &str| out.lines().any(|l| l.starts_with(&row));
    wait_until(Duration::from_secs(90), "clusterRT's first round", || {
        first_round(&run.stdout())
    });
    let out = run.finish(Duration::from_millis(1));
    // Only the header and the first round: later rounds race the stop.
    let mut text: Vec<&str> = Vec::new();
    for l in out.stdout.lines() {
        text.push(l);
        if l.starts_with(&row) {
            break;
        }
    }
    let mut only = out.clone();
    only.stdout = text.join("\n");
    only.stderr.clear();
    e.entry(&args.join(" "), &only)
}

pub(crate) fn transcript(kind: Kind) -> Vec<Entry> {
    let e = start(kind);
    let _dump = e.s.dump();
    let mut log = Vec::new();
    let online = traffic(&e, &mut log);
    consume_tps_shows(&e);
    // A minute of rate samples, so both brokers print the same rate slots.
    wait_until(Duration::from_secs(120), "a minute of rate history", || {
        e.runtime("putTps")
            .is_some_and(|t| t.split(' ').filter(|x| !x.is_empty()).count() >= 2)
    });
    traffic_aged_out(&e);
    log.extend(views(&e, &online));
    save(&e, &log);
    log.extend(pulls(&e));
    log.extend(sends(&e));
    save(&e, &log);
    log.extend(super::mqadmin_admin::chains(&e));
    save(&e, &log);
    std::fs::write(&online.stop, "").expect("stop file");
    online.driver.finish(Duration::from_secs(60)).assert_ok();
    log.extend(super::mqadmin_admin::maintenance(&e, fill));
    save(&e, &log);
    log
}

/// The transcript so far, kept with the run's logs for a failure's diagnosis.
fn save(e: &Env, log: &[Entry]) {
    let text: String = log
        .iter()
        .map(|x| format!("=== {}\n{}\n", x.cmd, x.out))
        .collect();
    let _ = std::fs::write(e.files.join("transcript.txt"), text);
}

/// Runs both stacks at once and compares their transcripts entry by entry.
fn both() -> (Vec<Entry>, Vec<Entry>) {
    std::thread::scope(|s| {
        let ours = spawn_scoped(s, || transcript(Kind::Ours));
        let java = spawn_scoped(s, || transcript(Kind::Java));
        (ours.join().expect("ours"), java.join().expect("java"))
    })
}

#[test]
fn ours_mqadmin_parity() {
    // Both stacks at once, each with about a hundred mqadmin commands (in the mqadmin
    // servers, a few at a time over both). The Java run proves the scenario (there is no
    // separate `java_` test: it would only repeat those hundred commands).
    let _s = compat_tests::scenario::heavy(600);
    let (ours, java) = both();
    let text: String = java
        .iter()
        .map(|e| format!("=== {}\n{}\n", e.cmd, e.out))
        .collect();
    // Java's own answers the scenario relies on.
    for needle in [
        "CODE: 1  DESC: this request only for controllerMode",
        "commitLogMinOffset              : 2097152",
        "producer group (AdmProducer) instance : clientId=",
    ] {
        assert!(
            text.contains(needle),
            "Java transcript lacks {needle:?}:\n{text}"
        );
    }
    assert_eq!(
        ours.iter().map(|e| &e.cmd).collect::<Vec<_>>(),
        java.iter().map(|e| &e.cmd).collect::<Vec<_>>(),
        "the same commands ran"
    );
    let differ: Vec<String> = ours
        .iter()
        .zip(&java)
        .filter(|(o, j)| o.out != j.out)
        .map(|(o, j)| {
            format!(
                "=== {}\n--- Java:\n{}\n--- ours:\n{}\n",
                o.cmd, j.out, o.out
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} outputs differ:\n{}",
        differ.len(),
        ours.len(),
        differ.join("\n")
    );
}
