//! A full disk under the broker's store: another process (this test) fills the filesystem, the
//! Java producer 5.3.3 keeps sending, and the broker must refuse with Java's code and remark,
//! stay up, serve the messages it holds, take sends again by itself once space returns, and
//! still hold every acknowledged message after a restart. Each run has its own NameServer and a
//! dedicated broker whose store is on a 64 MiB tmpfs mounted for it (the test needs root):
//!
//! ```text
//!   NameServer ── broker "df-…" ── /tmp/…/fs (tmpfs) ── store/  +  filler (the other process)
//! ```
//!
//! The filler leaves 3 MiB free: usage is above `diskSpaceWarningLevelRatio` (Java caps it at
//! 90 %), so both brokers' disk checks refuse puts, and still no write runs out of space. That
//! margin matters for Java, whose check first runs 60 s after start (`cleanFilesPeriodically`'s
//! initial delay) and whose files are sparse on JDK 17: a write into a page the filesystem cannot
//! allocate faults (seen here: sends still answered SEND_OK while the records' pages could not be
//! allocated, and the dispatch thread died with `InternalError: a fault occurred in a recent
//! unsafe memory access operation`, so consumers saw nothing new until a restart). A filesystem filled to
//! the last byte is covered on our broker alone by `bin/tests/it/mqbroker_disk_full.rs` and
//! `store/tests/it/disk_full.rs`.

use std::time::Duration;

use compat_tests::env::{require_setup, work_dir};
use compat_tests::process::{run, Background, Cmd, Output, Server};
use compat_tests::servers::{Namesrv, NsKind};
use compat_tests::tools::{java_program, update_topic, JavaClient};
use compat_tests::traffic::{acked_bodies, assert_none_lost};
use serde_json::Value;
use store::testutil::SmallFs;

use super::common::*;

const CLUSTER_DF: &str = "DiskFullCluster";

const FS_SIZE: u64 = 64 << 20;

/// Free space the filler leaves (see the module doc).
const LEFT: u64 = 3 << 20;

/// The same keys for both brokers, so that both fit the small filesystem and react to it alike.
const KEYS: &[(&str, &str)] = &[
    ("mappedFileSizeCommitLog", "4194304"),
    // Index files of 0.8 MB rather than 420 MB.
    ("maxHashSlotNum", "1000"),
    ("maxIndexNum", "40000"),
    // Java's timer wheel file alone takes 37 MiB.
    ("timerWheelEnable", "false"),
    // The disk check every second (Java: from 60 s after start).
    ("cleanResourceInterval", "1000"),
    // Above diskSpaceCleanForciblyRatio (at most 85 %) both brokers would otherwise delete
    // CommitLog segments whatever their age, acknowledged messages with them.
    ("cleanFileForciblyEnable", "false"),
];

/// Java's remark for SERVICE_NOT_AVAILABLE (`SendMessageProcessor.handlePutMessageResult`),
/// around `diskUtil()`.
const REMARK_HEAD: &str = "service not available now. It may be caused by one of the following reasons: the broker's disk is full [";
const REMARK_TAIL: &str =
    "], messages are put to the slave, message store has been shut down, etc.";

/// A NameServer and one broker of `kind` on a store in a small tmpfs.
struct Full {
    kind: Kind,
    // Dropped last: the broker must be gone before the filesystem is unmounted.
    fs: SmallFs,
    ns: Namesrv,
    name: String,
    broker: Option<(Server, String)>,
}

impl Full {
    fn start(kind: Kind) -> Full {
        require_setup();
        let fs = SmallFs::mount("compat-disk-full", FS_SIZE);
        let ns = Namesrv::start(match kind {
            Kind::Ours => NsKind::Ours,
            Kind::Java => NsKind::Java,
        });
        let name = format!("df-{}", unique("b"));
        let mut f = Full {
            kind,
            fs,
            ns,
            name,
            broker: None,
        };
        f.boot();
        f
    }

    fn boot(&mut self) {
        let store = self.fs.path().join("store");
        let ns = self.ns.addr.as_str();
        self.broker = Some(match self.kind {
            Kind::Ours => start_ours_broker_with(ns, &self.name, &store, CLUSTER_DF, KEYS),
            Kind::Java => {
                let b = start_java_broker_with(ns, &self.name, &store, CLUSTER_DF, KEYS);
                (b.server, b.addr)
            }
        });
    }

    fn stop(&mut self) {
        if let Some((server, _)) = self.broker.take() {
            server.stop();
        }
    }

    fn ns(&self) -> &str {
        &self.ns.addr
    }

    fn assert_running(&self) {
        let (server, _) = self.broker.as_ref().expect("broker started");
        assert!(server.is_running(), "broker died\n{}", server.log_tails(80));
    }
}

impl Drop for Full {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some((server, _)) = &self.broker {
                eprintln!("{}", server.log_tails(80));
            }
        }
        if let Some((server, _)) = self.broker.take() {
            server.kill();
        }
    }
}

fn durable_driver(mode: &str, pairs: &[(&str, String)]) -> Cmd {
    let args: Vec<String> = std::iter::once(mode.to_string())
        .chain(pairs.iter().map(|(k, v)| format!("{k}={v}")))
        .collect();
    java_program(JavaClient::V5_3_3, "DurableDriver", &args)
}

/// A sync producer sending one message every 100 ms (so Java's sparse files grow slowly while its
/// disk check is not running yet).
fn slow_stream(ns: &str, topic: &str, body: &str) -> Background {
    let cmd = durable_driver(
        "stream",
        &[
            ("ns", ns.to_string()),
            ("topic", topic.to_string()),
            ("group", unique("dfp")),
            ("count", "100000".into()),
            ("body", body.into()),
            ("pause_ms", "100".into()),
        ],
    );
    Background::spawn(&cmd, Duration::from_secs(300))
}

/// A new consumer group reads the topic from the first offset until every body of `acked`
/// arrived.
fn consume_all(ns: &str, topic: &str, acked: &[String]) {
    let need = work_dir("disk-full-acked").join(format!("{}.txt", unique("need")));
    std::fs::write(&need, acked.join("\n")).expect("write acknowledged bodies");
    let cmd = durable_driver(
        "consume",
        &[
            ("ns", ns.to_string()),
            ("topic", topic.to_string()),
            ("group", unique("dfg")),
            ("need_file", need.display().to_string()),
            ("linger_ms", "500".into()),
        ],
    );
    let out = run(&cmd, Duration::from_secs(180));
    assert_none_lost(acked, &out);
    out.assert_ok();
}

/// The `CL`, `CQ` and `INDEX` usage in a remark that is Java's disk-full one, byte for byte.
fn disk_util(remark: &str) -> [f64; 3] {
    let mid = remark
        .strip_prefix(REMARK_HEAD)
        .and_then(|r| r.strip_suffix(REMARK_TAIL))
        .unwrap_or_else(|| panic!("not Java's disk-full remark: {remark:?}"));
    let nums: Vec<f64> = mid
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [cl, cq, index] = nums[..] else {
        panic!("diskUtil {mid:?}");
    };
    assert_eq!(
        mid,
        format!("CL: {cl:5.2} CQ: {cq:5.2} INDEX: {index:5.2}"),
        "Java's `CL: %5.2f CQ: %5.2f INDEX: %5.2f`"
    );
    [cl, cq, index]
}

fn refusal(out: &Output) -> Value {
    out.json_lines()
        .into_iter()
        .find(|l| l.get("code").is_some())
        .unwrap_or_else(|| panic!("no refusal\n{out}"))
}

/// See the module doc.
fn full_disk_refuses_and_recovers(kind: Kind) {
    let mut f = Full::start(kind);
    let topic = unique("dfull");
    update_topic(f.ns(), CLUSTER_DF, &topic, 2);
    let mut acked = Vec::new();

    let mut p = slow_stream(f.ns(), &topic, "before");
    let enough = p.wait_json(Duration::from_secs(120), |v| {
        v["status"] == "SEND_OK" && v["i"].as_u64() >= Some(20)
    });
    let out = p.finish(Duration::from_secs(1));
    assert!(enough.is_some(), "{out}");
    acked.extend(acked_bodies(&out));

    f.fs.fill_leaving(LEFT);
    let mut p = slow_stream(f.ns(), &topic, "during");
    let refused = p.wait_json(Duration::from_secs(150), |v| v.get("code").is_some());
    let out = p.finish(Duration::from_secs(1));
    assert!(refused.is_some(), "never refused\n{out}");
    let r = refusal(&out);
    assert_eq!(r["code"], 14, "SERVICE_NOT_AVAILABLE: {r}");
    let usage = disk_util(r["remark"].as_str().unwrap_or_default());
    assert!(usage.iter().all(|u| *u > 0.90 && *u <= 1.0), "{usage:?}");
    acked.extend(acked_bodies(&out));
    f.assert_running();
    // Reads go on while the disk is full.
    consume_all(f.ns(), &topic, &acked);
    f.assert_running();

    f.fs.free();
    let mut p = slow_stream(f.ns(), &topic, "after");
    let resumed = p.wait_json(Duration::from_secs(60), |v| v["status"] == "SEND_OK");
    let out = p.finish(Duration::from_secs(1));
    assert!(resumed.is_some(), "sends did not resume\n{out}");
    acked.extend(acked_bodies(&out));

    f.stop();
    f.boot();
    consume_all(f.ns(), &topic, &acked);
}

#[test]
fn java_full_disk_refuses_and_recovers() {
    let _s = compat_tests::scenario::heavy(400);
    full_disk_refuses_and_recovers(Kind::Java);
}

#[test]
fn ours_full_disk_refuses_and_recovers() {
    let _s = compat_tests::scenario::heavy(400);
    full_disk_refuses_and_recovers(Kind::Ours);
}
