//! Stored records identical to Java's. The same traffic goes to both brokers — the Java client's
//! plain, tagged, keyed, user-property, delay-level, timer, retried (RECONSUME_LATER), batch,
//! committed-transaction and request/reply messages (`RecordsDriver`), plus raw single and batch
//! sends without client ids — and every CommitLog record it leaves (the messages, their
//! SCHEDULE_TOPIC_XXXX / timer / half / %RETRY% copies, the reply, the transaction op marker) is
//! read from each broker's `commitlog/` and compared field by field: magic, flag, sysFlag,
//! bodyCRC, body, topic, queueId, reconsumeTimes, preparedTransactionOffset (zero or not), the
//! properties as an ordered list of pairs, and the record length.
//!
//! What must differ between two brokers is masked, each for the reason given:
//! * record fields: queueOffset and commitLogOffset (the brokers hold other tests' records),
//!   bornTimestamp and storeTimestamp (time), bornHost (the client's ephemeral port), storeHost
//!   (each broker's listen port), preparedTransactionOffset's value (the half's CommitLog offset);
//! * the op marker's body: the half message's queue offset in RMQ_SYS_TRANS_HALF_TOPIC;
//! * property values in [`MASKED`]. The record length is compared without masked values.
//!
//! The consumer's view is compared too: the properties the Java consumer sees for every
//! delivery, `getDelayTimeLevel()` (1 for the delayed message, as Java keeps `DELAY`), the reply
//! pushed to the requester, and the send responses' `MSG_REGION`/`TRACE_ON` ext fields.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use compat_tests::process::{run, Output};
use compat_tests::tools::{java_program, kv, update_topic, JavaClient};
use compat_tests::wire;
use serde_json::Value;
use store::StoredMessage;

use super::common::*;

/// Property values that differ between two brokers given the same traffic, and why.
const MASKED: &[(&str, &str)] = &[
    (
        "UNIQ_KEY",
        "message id made by the client (or the broker): IP, pid, time, counter",
    ),
    ("__transactionId__", "the half message's UNIQ_KEY"),
    (
        "ORIGIN_MESSAGE_ID",
        "offset msgId of the consumed record: store host:port and CommitLog offset",
    ),
    ("CORRELATION_ID", "random UUID made by the requester"),
    (
        "REPLY_TO_CLIENT",
        "the requester's client id (IP@pid#nanotime)",
    ),
    ("TIMER_OUT_MS", "delivery time: send time + TIMER_DELAY_SEC"),
    ("TIMER_ENQUEUE_MS", "when the timer wheel took the message"),
    ("TIMER_DEQUEUE_MS", "when the timer wheel delivered it"),
    ("PUSH_REPLY_TIME", "when the broker pushed the reply"),
];

const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
const HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
const OP_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// The op marker's key: its body (offsets) is masked.
const OP_BODY: &str = "<half queue offsets>";
const SEND_MESSAGE_V2: i32 = 310;
const SEND_BATCH_MESSAGE: i32 = 320;

fn masked(key: &str) -> bool {
    MASKED.iter().any(|(k, _)| *k == key)
}

/// The records the traffic of run `run` must leave, as (topic, body).
fn expected(run: &str, group: &str) -> BTreeSet<(String, String)> {
    let mut want = BTreeSet::new();
    let mut add = |topic: &str, kind: &str| {
        want.insert((topic.to_string(), format!("{run}-{kind}")));
    };
    for kind in [
        "plain",
        "tag",
        "keys",
        "props",
        "delay",
        "timer",
        "retry",
        "batch-0",
        "batch-1",
        "batch-2",
        "tx",
        "rpc",
        "raw",
        "rawbatch-0",
        "rawbatch-1",
        "rawbatch-2",
    ] {
        add(run, kind);
    }
    add(SCHEDULE_TOPIC, "delay");
    add(SCHEDULE_TOPIC, "retry");
    add(TIMER_TOPIC, "timer");
    add(HALF_TOPIC, "tx");
    add(&format!("%RETRY%{group}_c"), "retry");
    want.insert((format!("{CLUSTER}_REPLY_TOPIC"), format!("re:{run}-rpc")));
    want.insert((OP_TOPIC.to_string(), OP_BODY.to_string()));
    want.insert((
        run.to_string(),
        String::from_utf8_lossy(&batch_body(run, "rawflat")).into_owned(),
    ));
    want
}

/// Every record in the CommitLog under `store`, in offset order. Reading stops in a segment at
/// its end blank or at a record not (yet) complete.
fn commitlog(store: &Path) -> Vec<StoredMessage> {
    let dir = store.join("commitlog");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let Ok(f) = std::fs::File::open(&file) else {
            continue;
        };
        let mut r = BufReader::with_capacity(1 << 20, f);
        loop {
            let mut head = [0u8; 8];
            if r.read_exact(&mut head).is_err() {
                break;
            }
            let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            let Ok(size) = usize::try_from(size) else {
                break;
            };
            if size <= 8 || i32::from_be_bytes([head[4], head[5], head[6], head[7]]) == BLANK {
                break;
            }
            let mut rec = vec![0u8; size];
            rec[..8].copy_from_slice(&head);
            if r.read_exact(&mut rec[8..]).is_err() {
                break;
            }
            match StoredMessage::decode(&Bytes::from(rec)) {
                Some(m) if m.total_size as usize == size => out.push(m),
                _ => break,
            }
        }
    }
    out
}

/// `BLANK_MAGIC_CODE`, the end-of-segment filler.
const BLANK: i32 = 0xCBD4_3194_u32 as i32;

/// The records of run `run`, by (topic, body): bodies naming the run, and the op markers of its
/// half messages.
fn records(s: &Stack, run: &str) -> BTreeMap<(String, String), Vec<StoredMessage>> {
    let all = commitlog(&s.store);
    let half_offsets: BTreeSet<i64> = all
        .iter()
        .filter(|m| m.topic == HALF_TOPIC && contains(&m.body, run))
        .map(|m| m.queue_offset)
        .collect();
    let mut out: BTreeMap<(String, String), Vec<StoredMessage>> = BTreeMap::new();
    for m in all {
        let key = if contains(&m.body, run) {
            (
                m.topic.clone(),
                String::from_utf8_lossy(&m.body).into_owned(),
            )
        } else if m.topic == OP_TOPIC
            && String::from_utf8_lossy(&m.body)
                .split(',')
                .filter_map(|o| o.trim().parse::<i64>().ok())
                .any(|o| half_offsets.contains(&o))
        {
            (OP_TOPIC.to_string(), OP_BODY.to_string())
        } else {
            continue;
        };
        out.entry(key).or_default().push(m);
    }
    out
}

fn contains(body: &[u8], needle: &str) -> bool {
    body.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A property string as stored: every pair in order, duplicates kept.
fn pairs(props: &str) -> Vec<(String, String)> {
    props
        .split('\u{2}')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('\u{1}') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

/// The record length without the masked values (and without a masked body).
fn comparable_len(m: &StoredMessage) -> usize {
    let masked_values: usize = pairs(&m.properties)
        .iter()
        .filter(|(k, _)| masked(k))
        .map(|(_, v)| v.len())
        .sum();
    let body = if m.topic == OP_TOPIC { m.body.len() } else { 0 };
    m.total_size as usize - masked_values - body
}

/// The differences between Java's record `j` and ours `o` of the same (topic, body).
fn diff_record(key: &(String, String), j: &StoredMessage, o: &StoredMessage) -> Vec<String> {
    let mut d = Vec::new();
    let mut field = |name: &str, jv: String, ov: String| {
        if jv != ov {
            d.push(format!("{key:?} {name}: java {jv} ours {ov}"));
        }
    };
    field(
        "magic",
        format!("{:#x}", j.magic),
        format!("{:#x}", o.magic),
    );
    field("flag", j.flag.to_string(), o.flag.to_string());
    field("sysFlag", j.sys_flag.to_string(), o.sys_flag.to_string());
    field("queueId", j.queue_id.to_string(), o.queue_id.to_string());
    field(
        "reconsumeTimes",
        j.reconsume_times.to_string(),
        o.reconsume_times.to_string(),
    );
    field(
        "preparedTransactionOffset != 0",
        (j.prepared_transaction_offset != 0).to_string(),
        (o.prepared_transaction_offset != 0).to_string(),
    );
    field(
        "length without masked values",
        comparable_len(j).to_string(),
        comparable_len(o).to_string(),
    );
    if j.topic != OP_TOPIC {
        field("bodyCRC", j.body_crc.to_string(), o.body_crc.to_string());
    }
    let show = |p: &[(String, String)]| {
        p.iter()
            .map(|(k, v)| {
                if masked(k) {
                    format!("{k}=*")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    field(
        "properties",
        show(&pairs(&j.properties)),
        show(&pairs(&o.properties)),
    );
    d
}

/// Runs the traffic on `s`: the Java driver, then the raw sends. Returns the driver's lines and
/// the raw single send's response ext fields.
fn traffic(s: &Stack, topic: &str, group: &str, run_id: &str) -> (Output, BTreeMap<String, Value>) {
    let args = kv(
        "traffic",
        &[
            ("ns", s.ns()),
            ("topic", topic),
            ("group", group),
            ("run", run_id),
        ],
    );
    let out = run(
        &java_program(JavaClient::V5_3_3, "RecordsDriver", &args),
        Duration::from_secs(240),
    );
    out.assert_ok();
    let ext = raw_send(s, topic, run_id);
    raw_batches(s, topic, run_id);
    (out, ext)
}

fn now_ms() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().to_string())
        .unwrap_or_default()
}

/// SEND_MESSAGE_V2 header fields for `topic` (`i` = properties).
fn send_header<'a>(
    s: &'a Stack,
    topic: &'a str,
    now: &'a str,
    props: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("a", "rec_raw_pg"),
        ("b", topic),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "0"),
        ("f", "0"),
        ("g", now),
        ("h", "0"),
        ("i", props),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", s.broker_name),
    ]
}

/// One message sent raw, without UNIQ_KEY (the broker makes one); returns the response's ext.
fn raw_send(s: &Stack, topic: &str, run_id: &str) -> BTreeMap<String, Value> {
    let now = now_ms();
    let header = send_header(s, topic, &now, "TAGS\u{1}TagR\u{2}a\u{1}1\u{2}");
    let body = format!("{run_id}-raw");
    let r = wire::request_body(
        &s.broker_addr,
        SEND_MESSAGE_V2,
        wire::VERSION_5_3_3,
        &header,
        body.as_bytes(),
        Duration::from_secs(20),
    )
    .expect("raw send");
    assert_eq!(r.code, wire::response::SUCCESS, "{r:?}");
    r.ext.into_iter().collect()
}

/// A SEND_BATCH_MESSAGE body (`MessageDecoder.encodeMessages`) of three items named
/// `<run>-<name>-i`: properties with a trailing separator, without one, and none.
fn batch_body(run_id: &str, name: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, props) in ["KEYS\u{1}rb0\u{2}WAIT\u{1}true\u{2}", "KEYS\u{1}rb1", ""]
        .iter()
        .enumerate()
    {
        let msg = format!("{run_id}-{name}-{i}");
        let total = 4 + 4 + 4 + 4 + 4 + msg.len() + 2 + props.len();
        body.extend_from_slice(&(total as i32).to_be_bytes());
        body.extend_from_slice(&0i32.to_be_bytes());
        body.extend_from_slice(&store::crc32(msg.as_bytes()).to_be_bytes());
        body.extend_from_slice(&0i32.to_be_bytes());
        body.extend_from_slice(&(msg.len() as i32).to_be_bytes());
        body.extend_from_slice(msg.as_bytes());
        body.extend_from_slice(&(props.len() as i16).to_be_bytes());
        body.extend_from_slice(props.as_bytes());
    }
    body
}

/// Raw SEND_BATCH_MESSAGE requests of [`batch_body`]: `rawbatch` with the header's batch flag
/// (`m`) set, as clients send it, and `rawflat` without it, which Java stores as one message
/// whose body is the whole batch (`SendMessageRequestHeader.isBatch` reads only the flag).
fn raw_batches(s: &Stack, topic: &str, run_id: &str) {
    for (name, flag) in [("rawbatch", "true"), ("rawflat", "false")] {
        let now = now_ms();
        let mut header = send_header(s, topic, &now, "WAIT\u{1}true\u{2}");
        header.retain(|(k, _)| *k != "m");
        header.push(("m", flag));
        let r = wire::request_body(
            &s.broker_addr,
            SEND_BATCH_MESSAGE,
            wire::VERSION_5_3_3,
            &header,
            &batch_body(run_id, name),
            Duration::from_secs(20),
        )
        .expect("raw batch");
        assert_eq!(r.code, wire::response::SUCCESS, "{name}: {r:?}");
    }
}

/// Properties the Java client adds on arrival, whose values differ between two runs.
const CLIENT_MASKED: &[(&str, &str)] = &[
    (
        "CONSUME_START_TIME",
        "when the consumer started the listener",
    ),
    ("ARRIVE_TIME", "when the reply reached the requester"),
    ("MIN_OFFSET", "the queue's minimum offset when pulled"),
    (
        "MAX_OFFSET",
        "the queue's maximum offset when pulled (timing)",
    ),
];

/// The consumer's and requester's view: per delivery (body#reconsumeTimes) its topic, delay
/// level and properties with masked values starred; the reply's likewise.
fn client_view(out: &Output) -> BTreeMap<String, String> {
    let masked = |k: &str| masked(k) || CLIENT_MASKED.iter().any(|(m, _)| *m == k);
    let star = |props: &Value| -> String {
        let Some(map) = props.as_object() else {
            return String::new();
        };
        map.iter()
            .map(|(k, v)| {
                let v = v.as_str().unwrap_or_default();
                if masked(k) {
                    format!("{k}=*")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut view = BTreeMap::new();
    for l in out.json_lines() {
        if let Some(body) = l["consumed"].as_str() {
            let key = format!("consumed {body}#{}", l["reconsumeTimes"]);
            let seen = format!(
                "topic={} delayTimeLevel={} {}",
                l["topic"],
                l["delayTimeLevel"],
                star(&l["props"])
            );
            view.entry(key).or_insert(seen);
        } else if let Some(body) = l["reply"].as_str() {
            view.insert(
                format!("reply {body}"),
                format!("topic={} {}", l["topic"], star(&l["props"])),
            );
        } else if let Some(kind) = l["sent"].as_str() {
            view.insert(
                format!("sent {kind}"),
                format!(
                    "status={} queueId={} regionId={} traceOn={}",
                    l["status"], l["queueId"], l["regionId"], l["traceOn"]
                ),
            );
        }
    }
    view
}

/// The records of run `run_id` once all of `want` are in the CommitLog, or what there is after
/// a minute (Java's must be complete: it proves the scenario).
fn wait_for_records(
    s: &Stack,
    kind: Kind,
    run_id: &str,
    want: &BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), Vec<StoredMessage>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let recs = records(s, run_id);
        let missing: Vec<_> = want.iter().filter(|k| !recs.contains_key(*k)).collect();
        if missing.is_empty() || (kind == Kind::Ours && Instant::now() >= deadline) {
            return recs;
        }
        assert!(
            Instant::now() < deadline,
            "{kind:?}: records never stored: {missing:?}\nstored: {:?}",
            recs.keys().collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Both brokers given the same traffic store the same records and show consumers the same
/// messages.
#[test]
fn records_match_java() {
    let _s = compat_tests::scenario::light(120);
    let run_id = unique("rec");
    let group = format!("{run_id}g");
    let want = expected(&run_id, &group);
    let mut stored = Vec::new();
    let mut views = Vec::new();
    let mut exts = Vec::new();
    for kind in [Kind::Java, Kind::Ours] {
        let s = stack(kind);
        let _dump = s.dump();
        // One queue: every queue id (and REAL_QID) is the same on both brokers.
        update_topic(s.ns(), CLUSTER, &run_id, 1);
        let (out, ext) = traffic(s, &run_id, &group, &run_id);
        let recs = wait_for_records(s, kind, &run_id, &want);
        stored.push(recs);
        views.push(client_view(&out));
        exts.push(ext);
    }
    let (java, ours) = (&stored[0], &stored[1]);
    let mut diffs = Vec::new();
    for (side, recs) in [("java", java), ("ours", ours)] {
        let keys: BTreeSet<_> = recs.keys().cloned().collect();
        for extra in keys.difference(&want) {
            diffs.push(format!("{side}: unexpected record {extra:?}"));
        }
        for (key, list) in recs {
            if list.len() != 1 {
                diffs.push(format!("{side}: {} records for {key:?}", list.len()));
            }
        }
    }
    for key in &want {
        match ours.get(key) {
            Some(o) => diffs.extend(diff_record(key, &java[key][0], &o[0])),
            None => diffs.push(format!("ours: no record {key:?}")),
        }
    }
    let (jv, ov) = (&views[0], &views[1]);
    for key in jv.keys().chain(ov.keys()).collect::<BTreeSet<_>>() {
        if jv.get(key) != ov.get(key) {
            diffs.push(format!(
                "client view {key}: java {:?} ours {:?}",
                jv.get(key),
                ov.get(key)
            ));
        }
    }
    let delayed = format!("consumed {run_id}-delay#0");
    assert!(
        jv[&delayed].contains("delayTimeLevel=1 "),
        "Java keeps DELAY on delivery: {}",
        jv[&delayed]
    );
    for key in ["MSG_REGION", "TRACE_ON"] {
        let (j, o) = (exts[0].get(key), exts[1].get(key));
        assert!(j.is_some(), "Java answers {key} in the send response");
        if j != o {
            diffs.push(format!("send response ext {key}: java {j:?} ours {o:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
