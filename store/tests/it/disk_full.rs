//! A full disk at each kind of file the store writes: the put that needs new space is refused
//! with `DiskFull` (the broker's SERVICE_NOT_AVAILABLE) and nothing is written, reads go on,
//! puts succeed again by themselves once space returns, and every acknowledged message is there,
//! also after a restart. Each test mounts its own small tmpfs and fills it from outside the store
//! with a filler file (tmpfs faults a store into, or a load from, an unallocated page of a mapped
//! file with SIGBUS once full, which would kill this test process).
//!
//! The clean-up thread's usage check (`diskSpaceWarningLevelRatio`) is pushed out of the way, so
//! every refusal here comes from the store failing to reserve space.

use crate::common;

use std::time::Duration;

use common::msg;
use store::testutil::SmallFs;
use store::{GetRequest, GetStatus, NewMessage, PutStatus, Store, StoreConfig, StoreError};

const MIB: u64 = 1 << 20;

/// A store on `fs`: CommitLog segments of `cl` bytes, `cq_units` units per queue file, index files
/// of `index_entries` entries.
fn config(fs: &SmallFs, cl: u64, cq_units: u64, index_entries: u32) -> StoreConfig {
    let mut cfg =
        StoreConfig::new(fs.path().join("store")).with_small_files(cl, cq_units, 64, index_entries);
    cfg.clean_resource_interval = Duration::from_secs(3600);
    cfg.delete_when = "99".into();
    cfg
}

fn body(tag: &str, i: usize) -> Vec<u8> {
    format!("{tag}-{i}-{}", "x".repeat(100)).into_bytes()
}

fn keyed(topic: &str, queue: i32, tag: &str, i: usize) -> NewMessage {
    msg(
        topic,
        queue,
        &body(tag, i),
        None,
        Some(&format!("{tag}-{i}")),
    )
}

fn plain(topic: &str, queue: i32, tag: &str, i: usize) -> NewMessage {
    msg(topic, queue, &body(tag, i), None, None)
}

/// Put until the store refuses (at most `limit` tries); the refusal must be the disk-full one.
/// Returns the bodies acknowledged on the way.
fn put_until_refused(
    store: &Store,
    limit: usize,
    mut make: impl FnMut(usize) -> NewMessage,
) -> Vec<Vec<u8>> {
    let mut acked = Vec::new();
    for i in 0..limit {
        let m = make(i);
        let b = m.body.to_vec();
        match store.put(m) {
            Ok(_) => acked.push(b),
            Err(e) => {
                assert_refused(&e);
                return acked;
            }
        }
    }
    panic!("{limit} puts on a full disk and none refused");
}

fn assert_refused(e: &StoreError) {
    assert!(matches!(e, StoreError::DiskFull(_)), "{e}");
    assert_eq!(e.put_status(), PutStatus::ServiceNotAvailable, "{e}");
}

/// Every body of a queue, from offset 0.
fn bodies(store: &Store, topic: &str, queue: i32) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let g = store.get(
            &GetRequest {
                topic,
                queue_id: queue,
                offset,
                max_count: 32,
                max_bytes: 1 << 20,
            },
            None,
        );
        if g.status != GetStatus::Found {
            return out;
        }
        for raw in &g.messages {
            out.push(store::StoredMessage::decode(raw).unwrap().body.to_vec());
        }
        offset = g.next_begin_offset;
    }
}

fn reopen(store: Store, cfg: &StoreConfig) -> Store {
    store.shutdown().unwrap();
    drop(store);
    Store::open(cfg.clone()).unwrap()
}

/// The CommitLog's current segment has its blocks, so it keeps taking messages on a full disk;
/// the next segment cannot be created and the put that needs it is refused with nothing
/// written. Once space returns the next put rolls over by itself.
#[test]
fn commitlog_roll_on_a_full_disk() {
    let fs = SmallFs::mount("full-cl", 16 * MIB);
    let cfg = config(&fs, 256 * 1024, 10_000, 4000);
    let store = Store::open(cfg.clone()).unwrap();
    let mut acked: Vec<Vec<u8>> = (0..10)
        .map(|i| {
            let m = plain("T", 0, "before", i);
            let b = m.body.to_vec();
            store.put(m).unwrap();
            b
        })
        .collect();
    fs.fill();
    let during = put_until_refused(&store, 10_000, |i| plain("T", 0, "during", i));
    assert!(
        during.len() > 100,
        "the active segment takes writes: {}",
        during.len()
    );
    acked.extend(during);
    let max = store.commitlog_offsets().1;
    for _ in 0..3 {
        assert_refused(&store.put(plain("T", 0, "refused", 0)).unwrap_err());
    }
    assert_eq!(store.commitlog_offsets().1, max, "nothing written");
    assert_eq!(bodies(&store, "T", 0), acked, "reads go on while full");

    fs.free();
    for i in 0..3 {
        let m = plain("T", 0, "after", i);
        acked.push(m.body.to_vec());
        store.put(m).unwrap();
    }
    assert_eq!(bodies(&store, "T", 0), acked);
    let store = reopen(store, &cfg);
    assert_eq!(bodies(&store, "T", 0), acked, "after a restart");
    store.shutdown().unwrap();
}

/// The first message of a new queue needs a new consume-queue file: refused on a full disk,
/// stored once space returns; other queues are untouched.
#[test]
fn new_consume_queue_on_a_full_disk() {
    let fs = SmallFs::mount("full-newcq", 16 * MIB);
    let cfg = config(&fs, MIB, 10_000, 4000);
    let store = Store::open(cfg.clone()).unwrap();
    let old: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            let m = plain("Old", 0, "old", i);
            let b = m.body.to_vec();
            store.put(m).unwrap();
            b
        })
        .collect();
    fs.fill();
    let max = store.commitlog_offsets().1;
    assert_refused(&store.put(plain("New", 0, "new", 0)).unwrap_err());
    assert_refused(&store.put(plain("Old", 3, "new", 0)).unwrap_err());
    assert_eq!(store.commitlog_offsets().1, max, "nothing written");
    assert_eq!(store.max_offset("New", 0), 0);
    assert_eq!(bodies(&store, "Old", 0), old, "reads go on while full");

    fs.free();
    let m = plain("New", 0, "new", 1);
    let b = m.body.to_vec();
    assert_eq!(store.put(m).unwrap().first().queue_offset, 0);
    assert_eq!(bodies(&store, "New", 0), vec![b.clone()]);
    let store = reopen(store, &cfg);
    assert_eq!(bodies(&store, "New", 0), vec![b]);
    assert_eq!(bodies(&store, "Old", 0), old);
    store.shutdown().unwrap();
}

/// A queue grows into space reserved ahead of it; past that, on a full disk, the put is refused.
/// The store also shuts down and opens again while the disk is still full (recovery reads the
/// sparse end of the queue file without faulting it in), serves reads, and takes puts again
/// once space returns.
#[test]
fn consume_queue_growth_on_a_full_disk_and_a_restart_while_full() {
    let fs = SmallFs::mount("full-cqpage", 16 * MIB);
    let cfg = config(&fs, 4 * MIB, 20_000, 4000);
    let store = Store::open(cfg.clone()).unwrap();
    let mut acked: Vec<Vec<u8>> = Vec::new();
    for i in 0..10 {
        let m = plain("Q", 1, "before", i);
        acked.push(m.body.to_vec());
        store.put(m).unwrap();
    }
    fs.fill();
    let during = put_until_refused(&store, 20_000, |i| plain("Q", 1, "during", i));
    assert!(
        (1000..10_000).contains(&during.len()),
        "reserved units taken, then refused: {}",
        during.len()
    );
    acked.extend(during);
    assert_eq!(store.max_offset("Q", 1), acked.len() as i64);
    assert_eq!(bodies(&store, "Q", 1), acked, "reads go on while full");

    // Opened on a full disk, the store's disk check refuses puts; it runs every 100 ms here
    // and lets them through again once the filler is gone.
    let mut checked = cfg.clone();
    checked.clean_resource_interval = Duration::from_millis(100);
    let store = reopen(store, &checked);
    assert_eq!(bodies(&store, "Q", 1), acked, "reopened while full");
    assert_refused(&store.put(plain("Q", 1, "refused", 0)).unwrap_err());

    fs.free();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let first = loop {
        match store.put(plain("Q", 1, "after", 0)) {
            Ok(p) => break p,
            Err(e) => assert_refused(&e),
        }
        assert!(std::time::Instant::now() < deadline, "puts never resumed");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(first.first().queue_offset, acked.len() as i64);
    acked.push(plain("Q", 1, "after", 0).body.to_vec());
    let store = reopen(store, &cfg);
    assert_eq!(bodies(&store, "Q", 1), acked, "after a restart");
    store.shutdown().unwrap();
}

/// When the index file is full, the next one is made before the messages it indexes are
/// stored: on a full disk the put is refused, so no acknowledged message is missing from the
/// index (a query by key finds every one).
#[test]
fn new_index_file_on_a_full_disk() {
    let fs = SmallFs::mount("full-index", 16 * MIB);
    let cfg = config(&fs, MIB, 10_000, 400);
    let store = Store::open(cfg.clone()).unwrap();
    let mut keys = Vec::new();
    for i in 0..10 {
        store.put(keyed("K", 0, "before", i)).unwrap();
        keys.push(format!("before-{i}"));
    }
    fs.fill();
    let during = put_until_refused(&store, 1000, |i| keyed("K", 0, "during", i));
    assert!(
        (100..400).contains(&during.len()),
        "the index file fills, then a new one is needed: {}",
        during.len()
    );
    keys.extend((0..during.len()).map(|i| format!("during-{i}")));
    let found = |store: &Store, key: &str| store.query_offsets("K", key, 32, 0, i64::MAX).offsets;
    for k in &keys {
        assert_eq!(found(&store, k).len(), 1, "{k} while full");
    }

    fs.free();
    store.put(keyed("K", 0, "after", 0)).unwrap();
    keys.push("after-0".into());
    let store = reopen(store, &cfg);
    for k in &keys {
        assert_eq!(found(&store, k).len(), 1, "{k} after a restart");
    }
    assert_eq!(bodies(&store, "K", 0).len(), keys.len());
    store.shutdown().unwrap();
}

/// A config file persisted on a full disk: the write fails, the file and its `.bak` keep their
/// content, no temporary file is left; once space returns the next persist goes through.
#[test]
fn config_file_on_a_full_disk() {
    let fs = SmallFs::mount("full-config", 4 * MIB);
    let cf = store::ConfigFile::new(fs.path().join("config").join("topics.json"));
    let parse = |s: &str| Ok::<_, String>(s.to_string());
    cf.persist("{\"v\":1}").unwrap();
    cf.persist("{\"v\":2}").unwrap();
    fs.fill();
    let big = format!("{{\"v\":3,\"pad\":\"{}\"}}", "p".repeat(64 * 1024));
    let err = cf.persist(&big).unwrap_err();
    assert!(matches!(err, StoreError::DiskFull(_)), "{err}");
    assert_eq!(std::fs::read_to_string(cf.path()).unwrap(), "{\"v\":2}");
    assert_eq!(std::fs::read_to_string(cf.bak_path()).unwrap(), "{\"v\":1}");
    let names: Vec<String> = std::fs::read_dir(cf.path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert_eq!(cf.load_with(parse).unwrap().as_deref(), Some("{\"v\":2}"));

    fs.free();
    cf.persist(&big).unwrap();
    assert_eq!(cf.load_with(parse).unwrap(), Some(big));
    assert_eq!(std::fs::read_to_string(cf.bak_path()).unwrap(), "{\"v\":2}");
}
