//! Message traffic through the driver programs, shared by the NameServer and Broker scenarios:
//! what one producer run sends ([`Batch`]), the driver arguments to produce and consume it,
//! starting a consumer, and checking that exactly the sent messages arrived intact.
//!
//! Every message of a batch `b` has body `<b.body>-<i>`, tag `TagA`, keys `key_<b.body>` and the
//! user property `origin=<b.body>`, so a received message says which batch it came from.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::process::{run, Background, Cmd, Output};
use crate::tools::kv;

/// What one producer run sends.
pub struct Batch {
    pub body: &'static str,
    pub count: usize,
    /// The driver's send mode: `sync`, `async` or `oneway`.
    pub mode: &'static str,
}

impl Batch {
    /// The bodies a consumer must receive.
    pub fn bodies(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.count).map(|i| format!("{}-{i}", self.body))
    }
}

/// `produce` arguments (Java and Go drivers alike) for `b`.
pub fn producer_args(ns: &str, topic: &str, b: &Batch) -> Vec<String> {
    let count = b.count.to_string();
    kv(
        "produce",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", &format!("{}_pg", b.body)),
            ("count", &count),
            ("mode", b.mode),
            ("body", b.body),
            ("tag", "TagA"),
            ("keys", &format!("key_{}", b.body)),
            ("prop.origin", b.body),
        ],
    )
}

/// Runs a producer of `count` messages (sync or async): it must exit 0 with one SEND_OK result
/// per message, each with a 32-digit offsetMsgId. Returns the results.
pub fn send_results(cmd: &Cmd, count: usize) -> Vec<Value> {
    let out = run(cmd, Duration::from_secs(120));
    out.assert_ok();
    let results: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|v| v.get("status").is_some())
        .collect();
    assert_eq!(results.len(), count, "one send result per message: {out}");
    for r in &results {
        assert_eq!(r["status"], "SEND_OK", "{r}: {out}");
        let off = r["offsetMsgId"].as_str().unwrap_or_default();
        assert_eq!(off.len(), 32, "offsetMsgId of {r}");
    }
    results
}

/// The msgIds of send results.
pub fn msg_ids(results: &[Value]) -> Vec<String> {
    results
        .iter()
        .map(|r| r["msgId"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `consume` arguments: a push consumer from the first offset that exits after `expect`
/// messages plus `linger_ms` (the client persists offsets every 5 s, first after 10 s).
pub fn consumer_args_linger(
    ns: &str,
    topic: &str,
    group: &str,
    expect: usize,
    linger_ms: u64,
) -> Vec<String> {
    kv(
        "consume",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", group),
            ("expect", &expect.to_string()),
            ("timeout_ms", "120000"),
            ("from", "first"),
            ("linger_ms", &linger_ms.to_string()),
        ],
    )
}

/// [`consumer_args_linger`] with the driver's default 1.5 s linger.
pub fn consumer_args(ns: &str, topic: &str, group: &str, expect: usize) -> Vec<String> {
    consumer_args_linger(ns, topic, group, expect, 1500)
}

/// Starts a consumer driver and waits for its `ready` line.
pub fn consumer(cmd: &Cmd) -> Background {
    let mut c = Background::spawn(cmd, Duration::from_secs(180));
    let ready = c.wait_json(Duration::from_secs(60), |v| {
        v.get("ready").is_some() || v.get("error").is_some()
    });
    assert!(
        ready.as_ref().is_some_and(|v| v["ready"] == true),
        "consumer did not start: {ready:?}\n{}",
        c.stdout()
    );
    c
}

/// The bodies of the message lines a driver printed, in printed order.
pub fn bodies(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_string))
        .collect()
}

/// The bodies a producer printed a SEND_OK result for.
pub fn acked_bodies(out: &Output) -> Vec<String> {
    let lines = out.json_lines();
    let ok: Vec<Value> = lines
        .into_iter()
        .filter(|l| l["status"] == "SEND_OK")
        .collect();
    bodies(&ok)
}

/// Every acknowledged body is among those `received` printed: a crash may lose only sends the
/// broker never acknowledged.
pub fn assert_none_lost(acked: &[String], received: &Output) {
    let got: BTreeSet<String> = bodies(&received.json_lines()).into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|b| !got.contains(*b)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged messages lost, e.g. {:?}\n{received}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(10)]
    );
}

/// Exactly the batches' bodies arrived, each with its tag, keys and user property, and each
/// msgId one a send returned.
pub fn check_received(out: &Output, batches: &[Batch], sent_ids: &[String]) {
    out.assert_ok();
    let msgs: Vec<Value> = out
        .json_lines()
        .into_iter()
        .filter(|v| v.get("body").is_some())
        .collect();
    let got: BTreeSet<String> = bodies(&msgs).into_iter().collect();
    let want: BTreeSet<String> = batches.iter().flat_map(Batch::bodies).collect();
    assert_eq!(
        got, want,
        "received bodies differ from the sent ones\n{out}"
    );
    let sent: BTreeSet<&str> = sent_ids.iter().map(String::as_str).collect();
    for m in &msgs {
        let body = m["body"].as_str().unwrap_or_default();
        let origin = body.rsplit_once('-').map(|(o, _)| o).unwrap_or_default();
        assert_eq!(m["tags"], "TagA", "tag of {m}");
        assert_eq!(m["keys"], format!("key_{origin}"), "keys of {m}");
        assert_eq!(m["props"]["origin"], origin, "user property of {m}");
        let id = m["msgId"].as_str().unwrap_or_default();
        assert!(sent.contains(id), "msgId {id} was never returned by a send");
    }
}
