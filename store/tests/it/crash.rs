//! SIGKILL crash test: a child process writes with SYNC_FLUSH and reports each durable message;
//! it is killed at random moments, many times. After each kill the store is reopened (abnormal
//! recovery) and every acknowledged message must be there, intact, at its queue offset, and
//! nothing returned may fail its CRC.

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use store::decode::{check_record, Checked, DelayLevels};
use store::{GetRequest, GetStatus, Store, StoreConfig, StoredMessage};

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn reopen_config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig::new(dir).with_small_files(256 * 1024, 1000, 256, 4000)
}

/// Run the writer, kill it after `delay`, return the acknowledged (queue, offset, phys).
fn run_and_kill(dir: &std::path::Path, delay: Duration) -> Vec<(i32, i64, i64)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_store-crash-writer"))
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.first() == Some(&"READY") {
                let _ = ready_tx.send(());
                continue;
            }
            acks.push((
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            ));
        }
        acks
    });
    // Kill at a random moment after the store is open (abort written), while it writes.
    ready_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap()
}

fn verify(dir: &std::path::Path, acked: &HashMap<(i32, i64), i64>) -> usize {
    let store = Store::open(reopen_config(dir)).unwrap();
    let delays = DelayLevels::parse("1s").unwrap();
    let mut seen = 0;
    for q in 0..4 {
        let max = store.max_offset("Crash", q);
        let mut off = store.min_offset("Crash", q);
        while off < max {
            let g = store.get(
                &GetRequest {
                    topic: "Crash",
                    queue_id: q,
                    offset: off,
                    max_count: 32,
                    max_bytes: 1 << 20,
                },
                None,
            );
            assert_eq!(g.status, GetStatus::Found, "queue {q} offset {off}");
            for (rec, qo) in g.messages.iter().zip(&g.queue_offsets) {
                assert!(
                    matches!(check_record(rec, true, &delays), Checked::Message(_)),
                    "CRC-valid record"
                );
                let m = StoredMessage::decode(rec).unwrap();
                assert_eq!(m.queue_offset, *qo);
                assert!(
                    m.body.starts_with(format!("q{q}-o{qo}-").as_bytes()),
                    "body of q{q} o{qo}"
                );
                seen += 1;
            }
            off = g.next_begin_offset;
        }
    }
    for ((q, qo), phys) in acked {
        assert!(*qo < store.max_offset("Crash", *q), "acked q{q} o{qo} lost");
        let u = store.unit("Crash", *q, *qo).unwrap();
        assert_eq!(u.physical_offset, *phys, "acked q{q} o{qo} moved");
        assert!(store.read_record(*phys).is_some());
    }
    store.shutdown().unwrap();
    seen
}

#[test]
fn sigkill_rounds_lose_no_acknowledged_message() {
    let dir = common::TempDir::new("crash");
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(std::process::id());
    let mut acked: HashMap<(i32, i64), i64> = HashMap::new();
    let started = Instant::now();
    let mut rounds = 0;
    while rounds < 20 && started.elapsed() < Duration::from_secs(45) {
        let delay = Duration::from_millis(20 + xorshift(&mut seed) % 300);
        for (q, qo, phys) in run_and_kill(dir.path(), delay) {
            acked.insert((q, qo), phys);
        }
        assert!(
            dir.path().join("abort").exists(),
            "killed writer leaves abort"
        );
        let seen = verify(dir.path(), &acked);
        assert!(seen >= acked.len());
        rounds += 1;
    }
    eprintln!(
        "{rounds} rounds, {} acknowledged messages verified",
        acked.len()
    );
    assert!(rounds >= 5, "only {rounds} rounds");
    assert!(
        acked.len() > 100,
        "writer made progress: {} acks",
        acked.len()
    );
}

/// Controller mode (`DispatchLimit::Confirmed`): a writer killed with 40 of its 100 records past
/// the confirm offset. At the next open (abnormal recovery) only the 60 confirmed records are
/// in the queue; the next put takes queue offset 100, after the hidden ones; when the confirm
/// offset passes them, all 101 are there with their bodies.
#[test]
fn records_past_the_confirm_offset_stay_hidden_after_a_crash() {
    let dir = common::TempDir::new("crash-confirm");
    let mut child = Command::new(env!("CARGO_BIN_EXE_store-crash-writer"))
        .arg(dir.path())
        .arg("confirm")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let confirmed: i64 = loop {
        let line = lines.next().expect("the writer's output").unwrap();
        if let Some(v) = line.strip_prefix("CONFIRMED ") {
            break v.parse().unwrap();
        }
    };
    // The checkpoint reaches the disk with the next logics flush (every second).
    let ckpt = dir.path().join("checkpoint");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read(&ckpt).ok().map(|b| b[32..40].to_vec())
        != Some(confirmed.to_be_bytes().to_vec())
    {
        assert!(
            Instant::now() < deadline,
            "checkpoint never held {confirmed}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let mut cfg = reopen_config(dir.path());
    cfg.dispatch_limit = store::DispatchLimit::Confirmed;
    let store = Store::open(cfg).unwrap();
    assert_eq!(store.confirm_phy_offset(), confirmed);
    assert_eq!(
        store.max_offset("Crash", 0),
        60,
        "only the confirmed records"
    );
    let max_before = store.commitlog_offsets().1;
    assert!(max_before > confirmed, "the others are in the CommitLog");
    let put = store
        .put(common::msg("Crash", 0, b"q0-o100-", None, None))
        .unwrap();
    assert_eq!(put.first().queue_offset, 100);
    assert_eq!(store.max_offset("Crash", 0), 60, "the put waits too");
    store
        .set_confirm_offset(Some(store.commitlog_offsets().1))
        .unwrap();
    assert_eq!(store.max_offset("Crash", 0), 101);
    let mut off = 0;
    while off < 101 {
        let g = store.get(
            &GetRequest {
                topic: "Crash",
                queue_id: 0,
                offset: off,
                max_count: 32,
                max_bytes: 1 << 20,
            },
            None,
        );
        assert_eq!(g.status, GetStatus::Found, "offset {off}");
        for (rec, qo) in g.messages.iter().zip(&g.queue_offsets) {
            let m = StoredMessage::decode(rec).unwrap();
            assert_eq!(m.queue_offset, *qo);
            assert!(m.body.starts_with(format!("q0-o{qo}-").as_bytes()));
        }
        off = g.next_begin_offset;
    }
    store.shutdown().unwrap();
}
