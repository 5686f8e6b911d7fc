//! POP consumption with the unmodified Java client 5.3.3: `mqadmin setConsumeMode … -m POP`
//! switches a group to POP; its push consumer (`clientRebalance=false`) asks the broker for
//! its queues (QUERY_ASSIGNMENT), pops them (POP_MESSAGE, queueId −1) and acks every message
//! (ACK_MESSAGE). A message its listener fails once is hidden again for 10 s
//! (CHANGE_MESSAGE_INVISIBLETIME) and comes back through the POP retry topic with
//! `reconsumeTimes` 1, put there by the broker's revive service. A second group on the same
//! topic consumes it by pull as usual. [`raw`] sends every POP request itself, orderly pops
//! included, and moves a store with a pop (and an orderly pop) in flight from each broker to
//! the other.
//!
//! The Java side is `thrust.compat.PopDriver` (compat-tests/java/client).

use std::collections::BTreeMap;
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::process::Background;
use compat_tests::tools::{java_driver, java_program, kv, mqadmin, JavaClient};
use serde_json::Value;

use compat_tests::traffic::send_results;

use super::common::*;

const COUNT: usize = 16;

/// A `PopDriver member`; `fail` is the body its listener fails once.
fn member(
    s: &Stack,
    topic: &str,
    group: &str,
    pop: bool,
    fail: &str,
) -> (Background, std::path::PathBuf) {
    let stop = work_dir("pop-stop").join("stop");
    let args = kv(
        "member",
        &[
            ("ns", s.ns()),
            ("topic", topic),
            ("group", group),
            ("broker_rebalance", if pop { "true" } else { "false" }),
            ("fail", fail),
            ("stop_file", &stop.display().to_string()),
        ],
    );
    (
        consumer(&java_program(JavaClient::V5_3_3, "PopDriver", &args)),
        stop,
    )
}

/// Deliveries by body.
fn by_body(c: &Background) -> BTreeMap<String, Vec<Value>> {
    let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for l in compat_tests::process::json_lines(&c.stdout()) {
        if let Some(b) = l["body"].as_str() {
            m.entry(b.to_string()).or_default().push(l.clone());
        }
    }
    m
}

fn stop(c: Background, stop: std::path::PathBuf) {
    std::fs::write(&stop, "stop").expect("write stop file");
    c.finish(Duration::from_secs(60)).assert_ok();
}

fn pop_consumption(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, pop_group, pull_group) = (unique("pop"), unique("popg"), unique("pullg"));
    create_topic(s, &topic);
    mqadmin(s.ns(), &["updateSubGroup", "-c", CLUSTER, "-g", &pop_group]).assert_ok();
    let set = mqadmin(
        s.ns(),
        &[
            "setConsumeMode",
            "-c",
            CLUSTER,
            "-t",
            &topic,
            "-g",
            &pop_group,
            "-m",
            "POP",
            "-q",
            "0",
        ],
    );
    set.assert_ok();
    assert!(set.stdout.contains("success"), "{set}");
    let failing = "pop-3";
    let (popper, pop_stop) = member(s, &topic, &pop_group, true, failing);
    let (puller, pull_stop) = member(s, &topic, &pull_group, false, "");
    let args = kv(
        "produce",
        &[
            ("ns", s.ns()),
            ("topic", &topic),
            ("group", &unique("poppg")),
            ("count", &COUNT.to_string()),
            ("body", "pop"),
        ],
    );
    send_results(&java_driver(JavaClient::V5_3_3, &args), COUNT);
    let all: Vec<String> = (0..COUNT).map(|i| format!("pop-{i}")).collect();
    wait_until(
        Duration::from_secs(60),
        "the POP group got every message",
        || {
            let got = by_body(&popper);
            all.iter().all(|b| got.contains_key(b))
        },
    );
    wait_until(
        Duration::from_secs(60),
        "the pull group got every message",
        || {
            let got = by_body(&puller);
            all.iter().all(|b| got.contains_key(b))
        },
    );
    // Back after the 10 s the client asked for, through the retry topic, under the topic's name.
    wait_until(
        Duration::from_secs(90),
        "the failed message came back",
        || by_body(&popper).get(failing).is_some_and(|d| d.len() >= 2),
    );
    let got = by_body(&popper);
    for d in got.values().flatten() {
        assert!(
            d["popCk"].is_string(),
            "a popped message carries POP_CK: {d}"
        );
        assert_eq!(d["topic"], topic.as_str(), "{d}");
    }
    let again = &got[failing][1];
    assert_eq!(again["reconsumeTimes"], 1, "{again}");
    assert_eq!(
        again["popCk"].as_str().and_then(|c| c.split(' ').nth(4)),
        Some("1"),
        "retry mark: {again}"
    );
    for (b, d) in &got {
        if b != failing {
            assert_eq!(d.len(), 1, "{b} delivered once (acked): {d:?}");
        }
    }
    for d in by_body(&puller).values().flatten() {
        assert!(d["popCk"].is_null(), "the pull group does not pop: {d}");
    }
    stop(popper, pop_stop);
    stop(puller, pull_stop);
}

#[test]
fn java_pop_consumption() {
    let _s = compat_tests::scenario::heavy(150);
    pop_consumption(Kind::Java);
}

#[test]
fn ours_pop_consumption() {
    let _s = compat_tests::scenario::heavy(150);
    pop_consumption(Kind::Ours);
}

mod raw {
    //! Every POP request on the wire, the same assertions on both brokers: PEEK, NOTIFICATION,
    //! POP, ACK, BATCH_ACK, CHANGE_MESSAGE_INVISIBLETIME, POLLING_INFO with a pop parked, and
    //! the revive of what was not acked; then the same requests for orderly pops.

    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use compat_tests::tools::{java_driver, kv, mqadmin, update_topic, JavaClient};
    use compat_tests::traffic::send_results;
    use compat_tests::wire::{request, request_body, Reply, VERSION_5_3_3};
    use store::StoredMessage;

    use super::super::common::*;

    const POP: i32 = 200_050;
    const ACK: i32 = 200_051;
    const PEEK: i32 = 200_052;
    const CHANGE_INVISIBLE: i32 = 200_053;
    const NOTIFICATION: i32 = 200_054;
    const POLLING_INFO: i32 = 200_055;
    const BATCH_ACK: i32 = 200_151;
    const PULL_NOT_FOUND: i32 = 19;
    const POLLING_TIMEOUT: i32 = 210;

    fn now() -> String {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        ms.to_string()
    }

    fn records(r: &Reply) -> Vec<StoredMessage> {
        let mut out = Vec::new();
        let mut rest = bytes::Bytes::from(r.body.clone());
        while rest.len() >= 4 {
            let size = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let rec = rest.split_to(size.min(rest.len()));
            out.push(StoredMessage::decode(&rec).expect("a stored record"));
        }
        out
    }

    fn body(m: &StoredMessage) -> String {
        String::from_utf8_lossy(&m.body).into_owned()
    }

    fn pop(addr: &str, topic: &str, group: &str, invisible: &str, poll: &str) -> Reply {
        let born = now();
        let ext = [
            ("consumerGroup", group),
            ("topic", topic),
            ("queueId", "-1"),
            ("maxMsgNums", "32"),
            ("invisibleTime", invisible),
            ("pollTime", poll),
            ("bornTime", born.as_str()),
            ("initMode", "0"),
        ];
        request(addr, POP, &ext, Duration::from_secs(30)).expect("pop")
    }

    /// An orderly pop (`order=true`, as Java's proxy sends for FIFO groups) of queue 0.
    fn pop_orderly(
        addr: &str,
        topic: &str,
        group: &str,
        attempt: &str,
        invisible: &str,
        poll: &str,
    ) -> Reply {
        let born = now();
        let ext = [
            ("consumerGroup", group),
            ("topic", topic),
            ("queueId", "0"),
            ("maxMsgNums", "32"),
            ("invisibleTime", invisible),
            ("pollTime", poll),
            ("bornTime", born.as_str()),
            ("initMode", "0"),
            ("order", "true"),
            ("attemptId", attempt),
        ];
        request(addr, POP, &ext, Duration::from_secs(60)).expect("orderly pop")
    }

    fn bodies(r: &Reply) -> Vec<String> {
        records(r).iter().map(body).collect()
    }

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn peeked(addr: &str, topic: &str, group: &str) -> Vec<String> {
        let ext = [
            ("consumerGroup", group),
            ("topic", topic),
            ("queueId", "0"),
            ("maxMsgNums", "32"),
        ];
        bodies(&request(addr, PEEK, &ext, Duration::from_secs(10)).expect("peek"))
    }

    fn ack_orderly(addr: &str, topic: &str, group: &str, extra: &str, offset: &str) -> Reply {
        let ext = [
            ("consumerGroup", group),
            ("topic", topic),
            ("queueId", "0"),
            ("extraInfo", extra),
            ("offset", offset),
        ];
        request(addr, ACK, &ext, Duration::from_secs(10)).expect("orderly ack")
    }

    /// Orderly POP on the wire: a pop blocks the queue for other attempts until its messages
    /// are acked or visible again (a parked pop wakes then), hands the same offsets out again
    /// with their counts in `orderCountInfo`, and only acks move the group's offset. The
    /// topic's single queue holds `raw-0`..`raw-3`.
    fn orderly(s: &Stack, topic: &str) {
        let (addr, broker) = (s.broker_addr.as_str(), s.broker_name);
        let group = unique("rawfifo");
        mqadmin(s.ns(), &["updateSubGroup", "-c", CLUSTER, "-g", &group]).assert_ok();
        let all = ["raw-0", "raw-1", "raw-2", "raw-3"];

        let p = pop_orderly(addr, topic, &group, "a1", "3000", "1000");
        assert_eq!((p.code, bodies(&p)), (0, owned(&all)), "{p:?}");
        assert_eq!(p.ext_str("reviveQid"), Some("999"), "{p:?}");
        assert_eq!(p.ext_str("startOffsetInfo"), Some("0 0 0"), "{p:?}");
        assert_eq!(p.ext_str("msgOffsetInfo"), Some("0 0 0,1,2,3"), "{p:?}");
        assert_eq!(p.ext_str("orderCountInfo"), Some("0 0 0"), "{p:?}");
        let popped_at = Instant::now();
        let pt = p.ext_str("popTime").expect("popTime").to_string();
        assert_eq!(
            peeked(addr, topic, &group).len(),
            4,
            "the offset stays at pop time"
        );

        let blocked = pop_orderly(addr, topic, &group, "a2", "3000", "0");
        assert_eq!(blocked.code, POLLING_TIMEOUT, "blocked: {blocked:?}");
        let e0 = format!("0 {pt} 3000 999 0 {broker} 0 0");
        let a = ack_orderly(addr, topic, &group, &e0, "0");
        assert_eq!(a.code, 0, "ack: {a:?}");
        assert_eq!(
            peeked(addr, topic, &group),
            all[1..],
            "the ack moved the offset"
        );
        let still = pop_orderly(addr, topic, &group, "a2", "3000", "0");
        assert_eq!(
            still.code, POLLING_TIMEOUT,
            "raw-1..3 still block: {still:?}"
        );

        // Parked until raw-1..3 are visible again, then handed out again, counted.
        let p = pop_orderly(addr, topic, &group, "a2", "60000", "20000");
        let waited = popped_at.elapsed();
        assert_eq!((p.code, bodies(&p)), (0, owned(&all[1..])), "{p:?}");
        assert!(
            waited >= Duration::from_millis(2500) && waited < Duration::from_secs(15),
            "woken when the queue was free, after {waited:?}"
        );
        assert_eq!(p.ext_str("startOffsetInfo"), Some("0 0 1"), "{p:?}");
        assert_eq!(
            p.ext_str("orderCountInfo"),
            Some("0 qo0%1 1;0 qo0%2 1;0 qo0%3 1;0 0 1"),
            "{p:?}"
        );
        let pt = p.ext_str("popTime").expect("popTime").to_string();
        let e1 = format!("1 {pt} 60000 999 0 {broker} 0 1");
        let change = [
            ("consumerGroup", group.as_str()),
            ("topic", topic),
            ("queueId", "0"),
            ("extraInfo", e1.as_str()),
            ("offset", "1"),
            ("invisibleTime", "30000"),
        ];
        let c = request(addr, CHANGE_INVISIBLE, &change, Duration::from_secs(10)).expect("change");
        assert_eq!(
            (c.code, c.ext_str("popTime"), c.ext_str("reviveQid")),
            (0, Some(pt.as_str()), Some("999")),
            "change: {c:?}"
        );
        // BitSet {1,2} from start offset 1 (offsets 2 and 3): base64 of [0x06].
        let batch = format!(
            r#"{{"acks":[{{"b":"Bg==","c":"{group}","it":60000,"pt":{pt},"q":0,"r":"0","rq":999,"so":1,"t":"{topic}"}}],"brokerName":"{broker}"}}"#
        );
        let t = Duration::from_secs(10);
        let b = request_body(addr, BATCH_ACK, VERSION_5_3_3, &[], batch.as_bytes(), t)
            .expect("batch ack");
        assert_eq!(b.code, 0, "batch ack: {b:?}");
        assert_eq!(
            peeked(addr, topic, &group),
            ["raw-1", "raw-2", "raw-3"],
            "raw-1 first"
        );
        let late = ack_orderly(addr, topic, &group, &e0, "0");
        assert_eq!(late.code, 0, "a late ack changes nothing: {late:?}");
        let a = ack_orderly(addr, topic, &group, &e1, "1");
        assert_eq!(a.code, 0, "ack: {a:?}");
        assert!(peeked(addr, topic, &group).is_empty(), "all acked");
        let last = pop_orderly(addr, topic, &group, "a3", "3000", "0");
        assert_eq!(last.code, POLLING_TIMEOUT, "{:?}", bodies(&last));
    }

    fn requests(kind: Kind) {
        let s = stack(kind);
        let _dump = s.dump();
        let (topic, group) = (unique("rawpop"), unique("rawpopg"));
        update_topic(s.ns(), CLUSTER, &topic, 1);
        mqadmin(s.ns(), &["updateSubGroup", "-c", CLUSTER, "-g", &group]).assert_ok();
        let args = kv(
            "produce",
            &[
                ("ns", s.ns()),
                ("topic", &topic),
                ("group", &unique("rawpg")),
                ("count", "4"),
                ("body", "raw"),
            ],
        );
        send_results(&java_driver(JavaClient::V5_3_3, &args), 4);
        let t = Duration::from_secs(10);
        let q = [
            ("consumerGroup", group.as_str()),
            ("topic", topic.as_str()),
            ("queueId", "-1"),
        ];

        let peek = request(
            &s.broker_addr,
            PEEK,
            &[q[0], q[1], q[2], ("maxMsgNums", "32")],
            t,
        )
        .expect("request");
        assert_eq!((peek.code, records(&peek).len()), (0, 4), "peek: {peek:?}");
        let born = now();
        let note = [
            q[0],
            q[1],
            q[2],
            ("pollTime", "0"),
            ("bornTime", born.as_str()),
        ];
        let n = request(&s.broker_addr, NOTIFICATION, &note, t).expect("request");
        assert_eq!(
            (n.code, n.ext_str("hasMsg")),
            (0, Some("true")),
            "notification: {n:?}"
        );

        let p = pop(&s.broker_addr, &topic, &group, "4000", "1000");
        let got = records(&p);
        assert_eq!((p.code, got.len()), (0, 4), "pop: {p:?}");
        assert_eq!(p.ext_str("startOffsetInfo"), Some("0 0 0"), "{p:?}");
        assert_eq!(p.ext_str("msgOffsetInfo"), Some("0 0 0,1,2,3"), "{p:?}");
        let pop_time = p.ext_str("popTime").expect("popTime").to_string();
        let rqid = p.ext_str("reviveQid").expect("reviveQid").to_string();
        let again = request(
            &s.broker_addr,
            PEEK,
            &[q[0], q[1], q[2], ("maxMsgNums", "32")],
            t,
        )
        .expect("request");
        assert_eq!(
            again.code, PULL_NOT_FOUND,
            "the offset moved at pop time: {again:?}"
        );

        // Parked: nothing is visible; POLLING_INFO counts it, and it times out.
        let parked = {
            let (addr, topic, group) = (s.broker_addr.clone(), topic.clone(), group.clone());
            std::thread::spawn(move || {
                let born = now();
                let ext = [
                    ("consumerGroup", group.as_str()),
                    ("topic", topic.as_str()),
                    ("queueId", "-1"),
                    ("maxMsgNums", "32"),
                    ("invisibleTime", "4000"),
                    ("pollTime", "1500"),
                    ("bornTime", born.as_str()),
                    ("initMode", "0"),
                ];
                request(&addr, POP, &ext, Duration::from_secs(10)).expect("parked pop")
            })
        };
        std::thread::sleep(Duration::from_millis(500));
        let info = request(&s.broker_addr, POLLING_INFO, &q, t).expect("request");
        assert_eq!(
            (info.code, info.ext_str("pollingNum")),
            (0, Some("1")),
            "{info:?}"
        );
        let timed_out = parked.join().expect("parked pop thread");
        assert_eq!(timed_out.code, POLLING_TIMEOUT, "{timed_out:?}");

        let extra =
            |offset: u32| format!("0 {pop_time} 4000 {rqid} 0 {} 0 {offset}", s.broker_name);
        let e0 = extra(0);
        let ack = [
            q[0],
            q[1],
            ("queueId", "0"),
            ("extraInfo", e0.as_str()),
            ("offset", "0"),
        ];
        let a = request(&s.broker_addr, ACK, &ack, t).expect("request");
        assert_eq!(a.code, 0, "ack: {a:?}");
        // BitSet {1} as fastjson writes BitSet.toByteArray(): base64 of [0x02].
        let batch = format!(
            r#"{{"acks":[{{"b":"Ag==","c":"{group}","it":4000,"pt":{pop_time},"q":0,"r":"0","rq":{rqid},"so":0,"t":"{topic}"}}],"brokerName":"{}"}}"#,
            s.broker_name
        );
        let b = request_body(
            &s.broker_addr,
            BATCH_ACK,
            VERSION_5_3_3,
            &[],
            batch.as_bytes(),
            t,
        )
        .expect("request");
        assert_eq!(b.code, 0, "batch ack: {b:?}");
        let e2 = extra(2);
        let change = [
            q[0],
            q[1],
            ("queueId", "0"),
            ("extraInfo", e2.as_str()),
            ("offset", "2"),
            ("invisibleTime", "1000"),
        ];
        let c = request(&s.broker_addr, CHANGE_INVISIBLE, &change, t).expect("request");
        assert_eq!(
            (c.code, c.ext_str("invisibleTime")),
            (0, Some("1000")),
            "change: {c:?}"
        );

        // raw-2 (1 s) and raw-3 (4 s) come back from the retry topic; raw-0 and raw-1 were acked.
        let mut back = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while back.len() < 2 && Instant::now() < deadline {
            let p = pop(&s.broker_addr, &topic, &group, "60000", "5000");
            for m in records(&p) {
                let ck = store::props::property(&m.properties, "POP_CK").map(str::to_string);
                back.push((body(&m), m.topic.clone(), m.reconsume_times, ck));
            }
        }
        back.sort();
        let bodies: Vec<&str> = back.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(bodies, ["raw-2", "raw-3"], "{back:?}");
        for (_, t, times, ck) in &back {
            assert_eq!((t.as_str(), *times), (topic.as_str(), 1));
            assert_eq!(
                ck.as_deref().and_then(|c| c.split(' ').nth(4)),
                Some("1"),
                "{ck:?}"
            );
        }
        let last = pop(&s.broker_addr, &topic, &group, "60000", "3000");
        assert_eq!(
            last.code,
            POLLING_TIMEOUT,
            "nothing else comes back: {:?}",
            records(&last).iter().map(body).collect::<Vec<_>>()
        );
        orderly(s, &topic);
    }

    #[test]
    fn java_pop_requests() {
        let _s = compat_tests::scenario::heavy(120);
        requests(Kind::Java);
    }

    #[test]
    fn ours_pop_requests() {
        let _s = compat_tests::scenario::heavy(120);
        requests(Kind::Ours);
    }

    /// A pop in flight crosses a store takeover: the first broker pops two messages and acks
    /// one, its check-point and ack wait in the timer topic; it stops, the second takes the
    /// store over, and the un-acked message comes back through the second's revive service, the
    /// acked one does not.
    fn pop_in_flight(first: Kind) {
        compat_tests::env::require_setup();
        let ns = compat_tests::servers::Namesrv::start(compat_tests::servers::NsKind::Ours);
        let store = compat_tests::env::work_dir("poptk").join("store");
        let (topic, group) = (unique("tkpop"), unique("tkpopg"));
        let (first_server, first_addr) = match first {
            Kind::Java => {
                let j =
                    start_java_broker_with(&ns.addr, "broker-p", &store, CLUSTER, &[TIMER_WHEEL]);
                (j.server, j.addr)
            }
            Kind::Ours => {
                start_ours_broker_with(&ns.addr, "broker-p", &store, CLUSTER, &[TIMER_WHEEL])
            }
        };
        update_topic(&ns.addr, CLUSTER, &topic, 1);
        mqadmin(&ns.addr, &["updateSubGroup", "-c", CLUSTER, "-g", &group]).assert_ok();
        let args = kv(
            "produce",
            &[
                ("ns", ns.addr.as_str()),
                ("topic", &topic),
                ("group", &unique("tkpg")),
                ("count", "2"),
                ("body", "tk"),
            ],
        );
        send_results(&java_driver(JavaClient::V5_3_3, &args), 2);
        let p = pop(&first_addr, &topic, &group, "15000", "1000");
        assert_eq!((p.code, records(&p).len()), (0, 2), "first pop: {p:?}");
        let pop_time = p.ext_str("popTime").expect("popTime").to_string();
        let rqid = p.ext_str("reviveQid").expect("reviveQid").to_string();
        let e0 = format!("0 {pop_time} 15000 {rqid} 0 broker-p 0 0");
        let ack = [
            ("consumerGroup", group.as_str()),
            ("topic", topic.as_str()),
            ("queueId", "0"),
            ("extraInfo", e0.as_str()),
            ("offset", "0"),
        ];
        let a = request(&first_addr, ACK, &ack, Duration::from_secs(10)).expect("ack");
        assert_eq!(a.code, 0, "first ack: {a:?}");
        first_server.stop();
        let (second, addr) = match first {
            Kind::Java => {
                start_ours_broker_with(&ns.addr, "broker-p", &store, CLUSTER, &[TIMER_WHEEL])
            }
            Kind::Ours => {
                let j =
                    start_java_broker_with(&ns.addr, "broker-p", &store, CLUSTER, &[TIMER_WHEEL]);
                (j.server, j.addr)
            }
        };
        let mut back = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while back.is_empty() && Instant::now() < deadline {
            let p = pop(&addr, &topic, &group, "60000", "5000");
            back.extend(records(&p).iter().map(|m| (body(m), m.reconsume_times)));
        }
        assert_eq!(
            back,
            [("tk-1".to_string(), 1)],
            "the un-acked message, once"
        );
        let last = pop(&addr, &topic, &group, "60000", "3000");
        assert_eq!(
            last.code,
            POLLING_TIMEOUT,
            "the acked one stays acked: {:?}",
            records(&last).iter().map(body).collect::<Vec<_>>()
        );
        second.stop();
    }

    /// An orderly pop in flight crosses a store takeover: the first broker pops two messages
    /// orderly and acks one; the second, reading `consumerOrderInfo.json`, keeps the queue
    /// blocked for other attempts until the other one is visible again, then hands it out as a
    /// second delivery; its ack empties the queue.
    fn orderly_in_flight(first: Kind) {
        compat_tests::env::require_setup();
        let ns = compat_tests::servers::Namesrv::start(compat_tests::servers::NsKind::Ours);
        let store = compat_tests::env::work_dir("fifotk").join("store");
        let (topic, group) = (unique("tkfifo"), unique("tkfifog"));
        let start = |kind: Kind| match kind {
            Kind::Java => {
                let j =
                    start_java_broker_with(&ns.addr, "broker-p", &store, CLUSTER, &[TIMER_WHEEL]);
                (j.server, j.addr)
            }
            Kind::Ours => {
                start_ours_broker_with(&ns.addr, "broker-p", &store, CLUSTER, &[TIMER_WHEEL])
            }
        };
        let (first_server, first_addr) = start(first);
        update_topic(&ns.addr, CLUSTER, &topic, 1);
        mqadmin(&ns.addr, &["updateSubGroup", "-c", CLUSTER, "-g", &group]).assert_ok();
        let args = kv(
            "produce",
            &[
                ("ns", ns.addr.as_str()),
                ("topic", &topic),
                ("group", &unique("tkpg")),
                ("count", "2"),
                ("body", "tk"),
            ],
        );
        send_results(&java_driver(JavaClient::V5_3_3, &args), 2);
        let p = pop_orderly(&first_addr, &topic, &group, "a1", "40000", "1000");
        assert_eq!(
            (p.code, bodies(&p)),
            (0, vec!["tk-0".to_string(), "tk-1".to_string()]),
            "{p:?}"
        );
        let pt = p.ext_str("popTime").expect("popTime").to_string();
        let e0 = format!("0 {pt} 40000 999 0 broker-p 0 0");
        let a = ack_orderly(&first_addr, &topic, &group, &e0, "0");
        assert_eq!(a.code, 0, "first ack: {a:?}");
        first_server.stop();
        let other = match first {
            Kind::Java => Kind::Ours,
            Kind::Ours => Kind::Java,
        };
        let (second, addr) = start(other);
        let blocked = pop_orderly(&addr, &topic, &group, "a2", "40000", "0");
        assert_eq!(
            blocked.code,
            POLLING_TIMEOUT,
            "still blocked: {:?}",
            bodies(&blocked)
        );
        let p = pop_orderly(&addr, &topic, &group, "a2", "60000", "55000");
        assert_eq!((p.code, bodies(&p)), (0, vec!["tk-1".to_string()]), "{p:?}");
        assert_eq!(
            p.ext_str("orderCountInfo"),
            Some("0 qo0%1 1;0 0 1"),
            "{p:?}"
        );
        let pt = p.ext_str("popTime").expect("popTime").to_string();
        let e1 = format!("1 {pt} 60000 999 0 broker-p 0 1");
        let a = ack_orderly(&addr, &topic, &group, &e1, "1");
        assert_eq!(a.code, 0, "second ack: {a:?}");
        assert!(peeked(&addr, &topic, &group).is_empty(), "all acked");
        second.stop();
    }

    #[test]
    fn takeover_orderly_pop_in_flight_java_to_ours() {
        let _s = compat_tests::scenario::heavy(400);
        orderly_in_flight(Kind::Java);
    }

    #[test]
    fn takeover_orderly_pop_in_flight_ours_to_java() {
        let _s = compat_tests::scenario::heavy(400);
        orderly_in_flight(Kind::Ours);
    }

    #[test]
    fn takeover_pop_in_flight_java_to_ours() {
        let _s = compat_tests::scenario::heavy(400);
        pop_in_flight(Kind::Java);
    }

    #[test]
    fn takeover_pop_in_flight_ours_to_java() {
        let _s = compat_tests::scenario::heavy(400);
        pop_in_flight(Kind::Ours);
    }
}
