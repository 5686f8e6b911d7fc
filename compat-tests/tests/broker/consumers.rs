//! Consumer groups: clustering push consumers rebalancing on join and leave, the deprecated
//! DefaultMQPullConsumer, and tag-expression filtering.
//!
//! The Java side is `thrust.compat.GroupDriver` (compat-tests/java/client): `member` is one push
//! consumer of a group that prints every allocation the client computes and every message it
//! consumes, and shuts down when its stop file appears; `pull` walks every queue with
//! DefaultMQPullConsumer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::process::{run, Background, Cmd, Output};
use compat_tests::tools::{go_driver_cmd, java_driver, java_program, kv, update_topic, JavaClient};
use serde_json::Value;

use compat_tests::traffic::send_results;

use super::common::*;

/// `thrust.compat.GroupDriver` on the Java client `v`.
fn group_driver(v: JavaClient, args: &[String]) -> Cmd {
    java_program(v, "GroupDriver", args)
}

/// Sends `count` messages `<body>-i` tagged `tag` (none when empty); returns the send results
/// (each with `queueId` and `queueOffset`).
fn produce_tagged(s: &Stack, topic: &str, body: &str, tag: &str, count: usize) -> Vec<Value> {
    let args = kv(
        "produce",
        &[
            ("ns", s.ns()),
            ("topic", topic),
            ("group", &format!("{body}_pg")),
            ("count", &count.to_string()),
            ("body", body),
            ("tag", tag),
        ],
    );
    send_results(&java_driver(JavaClient::V5_3_3, &args), count)
}

/// One `member` process of the rebalance scenario.
struct Member {
    proc: Background,
    stop: PathBuf,
    dir: PathBuf,
}

impl Member {
    fn start(s: &Stack, topic: &str, group: &str, v: JavaClient) -> Member {
        let stop = work_dir("member-stop").join("stop");
        let args = kv(
            "member",
            &[
                ("ns", s.ns()),
                ("topic", topic),
                ("group", group),
                ("stop_file", &stop.display().to_string()),
            ],
        );
        let cmd = group_driver(v, &args);
        Member {
            proc: consumer(&cmd),
            stop,
            dir: cmd.dir,
        }
    }

    /// True once the client logged a NOTIFY_CONSUMER_IDS_CHANGED from the broker (Java
    /// `ClientRemotingProcessor#notifyConsumerIdsChanged`; both clients log under user.home).
    fn notified(dir: &std::path::Path) -> bool {
        let log = dir.join("logs/rocketmqlogs/rocketmq_client.log");
        std::fs::read_to_string(log).is_ok_and(|t| t.contains("receive broker's notification"))
    }

    fn lines(&self) -> Vec<Value> {
        compat_tests::process::json_lines(&self.proc.stdout())
    }

    /// Graceful leave: the driver calls `consumer.shutdown()` when the stop file appears.
    fn leave(mut self) -> Vec<Value> {
        std::fs::write(&self.stop, "stop").expect("write stop file");
        let stopped = self
            .proc
            .wait_json(Duration::from_secs(60), |l| l.get("stopped").is_some());
        assert!(
            stopped.is_some(),
            "member did not stop: {}",
            self.proc.stdout()
        );
        let out = self.proc.finish(Duration::from_secs(30));
        out.assert_ok();
        out.json_lines()
    }

    /// Crash: SIGKILL to the JVM, so the broker only sees the connection close.
    fn crash(self) -> Vec<Value> {
        let pid = self.lines().iter().find_map(|l| l["pid"].as_u64());
        let pid = pid.and_then(|p| u32::try_from(p).ok()).expect("member pid");
        compat_tests::process::signal(pid, "KILL");
        // `timeout` reports the killed child (exit 137): the output is all that matters here.
        self.proc.finish(Duration::from_secs(30)).json_lines()
    }
}

/// The live members' latest allocations are from a round that saw all of them, are disjoint and
/// cover every queue.
fn settled(live: &[Member], queues: u64) -> bool {
    let outputs: Vec<Vec<Value>> = live.iter().map(Member::lines).collect();
    allocations_settled(&outputs, queues)
}

/// How often each body starting with `<prefix>-` was delivered, over every member's output.
fn deliveries(outputs: &[Vec<Value>], prefix: &str) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for l in outputs.iter().flatten() {
        if let Some(b) = l["body"]
            .as_str()
            .filter(|b| b.starts_with(&format!("{prefix}-")))
        {
            *seen.entry(b.to_string()).or_insert(0) += 1;
        }
    }
    seen
}

/// Waits for the live members to settle on `queues`, sends `count` messages `<prefix>-i` and
/// checks every one is consumed exactly once across the group (`left`: output of members gone).
fn phase(
    s: &Stack,
    (topic, group): (&str, &str),
    live: &[Member],
    left: &[Vec<Value>],
    prefix: &str,
) {
    const COUNT: usize = 24;
    wait_until(
        Duration::from_secs(90),
        &format!("{} members own disjoint queues covering all 8", live.len()),
        || settled(live, 8),
    );
    produce_tagged(s, topic, prefix, "TagA", COUNT);
    let outputs = || {
        let mut all: Vec<Vec<Value>> = live.iter().map(Member::lines).collect();
        all.extend(left.iter().cloned());
        all
    };
    wait_until(
        Duration::from_secs(60),
        &format!("all {prefix} messages consumed"),
        || deliveries(&outputs(), prefix).len() == COUNT,
    );
    assert_once(&outputs(), prefix);
    // Members persist offsets every 5 s: membership changes only once they reached the broker,
    // so a queue's next owner starts after these messages.
    wait_offsets_committed(&s.broker_addr, topic, group, 8);
}

/// Every body of `prefix` was delivered exactly once.
fn assert_once(outputs: &[Vec<Value>], prefix: &str) {
    let got = deliveries(outputs, prefix);
    let dup: Vec<_> = got.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        dup.is_empty(),
        "{prefix}: delivered more than once: {dup:?}"
    );
}

/// Three clustering push consumers (two 5.3.3, one 4.9.8) split 8 queues; a fourth joins, one
/// leaves (shutdown), one crashes (SIGKILL: the broker sees only the closed connection); after
/// each change the allocations settle (the broker's NOTIFY_CONSUMER_IDS_CHANGED
/// makes the clients rebalance at once) and new messages are consumed exactly once.
fn rebalance(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("rb"), unique("rbg"));
    update_topic(s.ns(), CLUSTER, &topic, 8);
    let mut live: Vec<Member> = [JavaClient::V5_3_3, JavaClient::V5_3_3, JavaClient::V4_9_8]
        .into_iter()
        .map(|v| Member::start(s, &topic, &group, v))
        .collect();
    let tg = (topic.as_str(), group.as_str());
    phase(s, tg, &live, &[], "rb1");
    live.push(Member::start(s, &topic, &group, JavaClient::V5_3_3));
    phase(s, tg, &live, &[], "rb2");
    let dirs: Vec<PathBuf> = live.iter().map(|m| m.dir.clone()).collect();
    let mut left = vec![live.remove(0).leave()];
    phase(s, tg, &live, &left, "rb3");
    left.push(live.remove(0).crash());
    phase(s, tg, &live, &left, "rb4");
    for m in live {
        left.push(m.leave());
    }
    // A late duplicate of any phase shows in the members' complete output.
    for prefix in ["rb1", "rb2", "rb3", "rb4"] {
        assert_once(&left, prefix);
    }
    // Every member saw a later join or the leave through the broker's notification.
    for dir in &dirs {
        assert!(
            Member::notified(dir),
            "no NOTIFY_CONSUMER_IDS_CHANGED in {}",
            dir.display()
        );
    }
}

#[test]
fn java_rebalance() {
    let _s = compat_tests::scenario::light(120);
    rebalance(Kind::Java);
}

#[test]
fn ours_rebalance() {
    let _s = compat_tests::scenario::light(120);
    rebalance(Kind::Ours);
}

/// Where each sent message landed: (queueId, queueOffset) → (body, tag).
type Layout = BTreeMap<(u64, u64), (String, String)>;

/// Sends untagged messages and messages tagged TagA, TagB and TagC to `topic`.
fn produce_mixed(s: &Stack, topic: &str, per_tag: usize) -> Layout {
    let mut layout = Layout::new();
    for (body, tag) in [("ta", "TagA"), ("tb", "TagB"), ("tc", "TagC"), ("tn", "")] {
        for r in produce_tagged(s, topic, body, tag, per_tag) {
            let at = (
                r["queueId"].as_u64().unwrap_or(u64::MAX),
                r["queueOffset"].as_u64().unwrap_or(u64::MAX),
            );
            let i = r["i"].as_u64().unwrap_or(u64::MAX);
            layout.insert(at, (format!("{body}-{i}"), tag.to_string()));
        }
    }
    layout
}

fn matches_ab(tag: &str) -> bool {
    tag == "TagA" || tag == "TagB"
}

/// Where each queue ends: its max offset (the topic is fresh, so its min offset is 0).
fn max_of(layout: &Layout, q: u64) -> u64 {
    layout.keys().filter(|(lq, _)| *lq == q).count() as u64
}

/// Checks one `pull` run of GroupDriver against the layout (`TagA || TagB`): every queue's
/// offsets, the matching messages, the broker-side filtering and the statuses at and beyond the
/// max offset. Returns the stored (committed) offsets the run read before pulling.
fn check_pull_run(out: &Output, layout: &Layout) -> BTreeMap<u64, i64> {
    out.assert_ok();
    let lines = out.json_lines();
    assert_eq!(lines[0]["queues"], 4, "{out}");
    let mut stored = BTreeMap::new();
    for l in lines.iter().filter(|l| l.get("stored").is_some()) {
        let q = l["queue"].as_u64().unwrap_or(u64::MAX);
        assert_eq!(l["min"], 0, "{l}");
        assert_eq!(l["max"].as_u64(), Some(max_of(layout, q)), "{l}");
        stored.insert(q, l["stored"].as_i64().unwrap_or(i64::MIN));
    }
    assert_eq!(stored.len(), 4, "{out}");
    check_walks(out, &lines, layout);
    check_steps(&lines, layout);
    check_edges(out, &lines, layout);
    stored
}

/// Both walks (32 and 1 message a pull) return exactly the TagA and TagB messages.
fn check_walks(out: &Output, lines: &[Value], layout: &Layout) {
    let want: BTreeSet<(u64, u64, String)> = layout
        .iter()
        .filter(|(_, (_, tag))| matches_ab(tag))
        .map(|((q, o), (body, _))| (*q, *o, body.clone()))
        .collect();
    for walk in ["block", "step"] {
        let got: BTreeSet<(u64, u64, String)> = lines
            .iter()
            .filter(|l| l["walk"] == walk)
            .map(|l| {
                let n = |k: &str| l[k].as_u64().unwrap_or(u64::MAX);
                let body = l["msg"].as_str().unwrap_or_default().to_string();
                (n("queue"), n("offset"), body)
            })
            .collect();
        assert_eq!(got, want, "{walk} walk: messages differ\n{out}");
    }
}

/// The broker filters by tag code: a one-message pull never returns a filtered-out entry (the
/// client would drop it, leaving FOUND with nothing); it skips to the next match, or answers
/// NO_MATCHED_MSG with the max offset as the next offset.
fn check_steps(lines: &[Value], layout: &Layout) {
    for l in lines.iter().filter(|l| l.get("step").is_some()) {
        let q = l["step"].as_u64().unwrap_or(u64::MAX);
        let from = l["from"].as_u64().unwrap_or(u64::MAX);
        let max = max_of(layout, q);
        let first_match =
            (from..max).find(|o| layout.get(&(q, *o)).is_some_and(|(_, tag)| matches_ab(tag)));
        match first_match {
            Some(m) => {
                assert_eq!(l["status"], "FOUND", "{l}");
                assert_eq!(l["count"], 1, "{l}");
                assert_eq!(l["next"].as_u64(), Some(m + 1), "{l}");
            }
            None => {
                assert_eq!(l["status"], "NO_MATCHED_MSG", "{l}");
                assert_eq!(l["next"].as_u64(), Some(max), "{l}");
            }
        }
    }
}

/// A pull at the max offset finds nothing new; one beyond it is an illegal offset, corrected to
/// the max; both carry the queue's min and max offsets.
fn check_edges(out: &Output, lines: &[Value], layout: &Layout) {
    let queues: BTreeSet<u64> = layout.keys().map(|(q, _)| *q).collect();
    for q in queues {
        let max = max_of(layout, q);
        for (kind, status) in [("at_max", "NO_NEW_MSG"), ("beyond", "OFFSET_ILLEGAL")] {
            let l = lines
                .iter()
                .find(|l| l[kind].as_u64() == Some(q))
                .unwrap_or_else(|| panic!("no {kind} pull of queue {q}: {out}"));
            assert_eq!(l["status"], status, "{l}");
            assert_eq!(l["next"].as_u64(), Some(max), "{l}");
            let bounds = (l["min"].as_u64(), l["max"].as_u64());
            assert_eq!(bounds, (Some(0), Some(max)), "{l}");
        }
    }
}

fn pull_args(s: &Stack, topic: &str, group: &str, commit: bool) -> Vec<String> {
    kv(
        "pull",
        &[
            ("ns", s.ns()),
            ("topic", topic),
            ("group", group),
            ("expr", "TagA || TagB"),
            ("commit", if commit { "true" } else { "false" }),
        ],
    )
}

/// DefaultMQPullConsumer (5.3.3, then 4.9.8 in the same group): queues, offsets, tag-filtered
/// pulls, statuses at and beyond the max offset; offsets committed by the first run
/// (updateConsumeOffset + persist) are what the second run reads from the broker.
fn pull_consumer(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let (topic, group) = (unique("pc"), unique("pcg"));
    create_topic(s, &topic);
    let layout = produce_mixed(s, &topic, 6);
    let first = run(
        &group_driver(JavaClient::V5_3_3, &pull_args(s, &topic, &group, true)),
        Duration::from_secs(120),
    );
    let before = check_pull_run(&first, &layout);
    let lines = first.json_lines();
    let committed: BTreeMap<u64, i64> = lines
        .iter()
        .filter_map(|l| Some((l["committed"].as_u64()?, l["offset"].as_i64()?)))
        .collect();
    let read_back: BTreeMap<u64, i64> = lines
        .iter()
        .filter_map(|l| Some((l["read_back"].as_u64()?, l["offset"].as_i64()?)))
        .collect();
    assert_eq!(committed.len(), 4, "{first}");
    assert_eq!(read_back, committed, "{first}");
    let second = run(
        &group_driver(JavaClient::V4_9_8, &pull_args(s, &topic, &group, false)),
        Duration::from_secs(120),
    );
    let after = check_pull_run(&second, &layout);
    assert_eq!(
        after, committed,
        "committed offsets read by a new process\n{second}"
    );
    // Java's broker answers 0, not QUERY_NOT_FOUND, for a new group on a queue whose first
    // message is still in memory (ConsumerManageProcessor#queryConsumerOffset).
    assert!(
        before.values().all(|o| *o == 0),
        "stored before commit: {before:?}"
    );
}

#[test]
fn java_pull_consumer() {
    let _s = compat_tests::scenario::light(120);
    pull_consumer(Kind::Java);
}

#[test]
fn ours_pull_consumer() {
    let _s = compat_tests::scenario::light(120);
    pull_consumer(Kind::Ours);
}

/// Push consumers subscribed with `TagA || TagB` (Java 5.3.3 and Go, each in its own group) get
/// exactly the TagA and TagB messages, each once; TagC and untagged ones never arrive.
fn tag_filter(kind: Kind) {
    let s = stack(kind);
    let _dump = s.dump();
    let topic = unique("tf");
    create_topic(s, &topic);
    let args = |group: &str| {
        kv(
            "consume",
            &[
                ("ns", s.ns()),
                ("topic", &topic),
                ("group", group),
                ("expect", "10"),
                ("timeout_ms", "120000"),
                ("from", "first"),
                ("expr", "TagA || TagB"),
                ("linger_ms", "3000"),
            ],
        )
    };
    let java = consumer(&java_driver(JavaClient::V5_3_3, &args(&unique("tfj"))));
    let go = consumer(&go_driver_cmd(&args(&unique("tfg"))));
    let layout = produce_mixed(s, &topic, 5);
    let mut want: Vec<(String, String)> = layout
        .values()
        .filter(|(_, tag)| matches_ab(tag))
        .cloned()
        .collect();
    want.sort();
    for (who, c) in [("java", java), ("go", go)] {
        let out = c.finish(Duration::from_secs(150));
        out.assert_ok();
        let mut got: Vec<(String, String)> = out
            .json_lines()
            .iter()
            .filter_map(|m| {
                // An untagged message has no tags: it shows as "" and fails the comparison.
                let tags = m["tags"].as_str().unwrap_or_default();
                Some((m["body"].as_str()?.to_string(), tags.to_string()))
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{who} consumer with TagA || TagB\n{out}");
    }
}

#[test]
fn java_tag_filter() {
    let _s = compat_tests::scenario::light(120);
    tag_filter(Kind::Java);
}

#[test]
fn ours_tag_filter() {
    let _s = compat_tests::scenario::light(120);
    tag_filter(Kind::Ours);
}
