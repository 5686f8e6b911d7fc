//! Clean-up of expired files and the disk-full guard.

use crate::common;

use std::time::Duration;

use common::{msg, small_config, TempDir};
use store::{GetRequest, GetStatus, Store, StoreConfig, StoreError};

fn count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

fn config(dir: &TempDir, reserved_hours: u64) -> StoreConfig {
    let mut cfg = small_config(dir);
    cfg.file_reserved_time_hours = reserved_hours;
    cfg.delete_when = "99".into(); // never the delete hour
    cfg.clean_resource_interval = Duration::from_secs(3600);
    cfg
}

fn fill(store: &Store, n: usize) {
    for i in 0..n {
        store
            .put(msg("E", 0, &[b'e'; 900], None, Some(&format!("k{i}"))))
            .unwrap();
    }
}

#[test]
fn expired_segments_go_with_their_consume_queue_and_index_files() {
    let dir = TempDir::new("clean-time");
    let store = Store::open(config(&dir, 0)).unwrap();
    fill(&store, 600);
    let cl = dir.path().join("commitlog");
    let (segs, cqs, idx) = (
        count(&cl),
        count(&dir.path().join("consumequeue/E/0")),
        count(&dir.path().join("index")),
    );
    assert!(segs > 8 && cqs >= 6 && idx >= 2, "{segs} {cqs} {idx}");

    // Not the hour, no disk pressure, not manual: nothing happens.
    let r = store.clean_now(false, Some(0.10)).unwrap();
    assert_eq!(r.commitlog_segments_deleted, 0);
    // Manual: expired (reserved 0 h) segments go, 10 per round, never the last.
    let r = store.clean_now(true, Some(0.10)).unwrap();
    assert_eq!(r.commitlog_segments_deleted, 10.min(segs - 1));
    while store
        .clean_now(true, Some(0.10))
        .unwrap()
        .commitlog_segments_deleted
        > 0
    {}
    assert_eq!(count(&cl), 1);
    assert!(count(&dir.path().join("consumequeue/E/0")) < cqs);
    assert_eq!(count(&dir.path().join("index")), 1);

    let min = store.min_offset("E", 0);
    assert!(min > 0 && min < 600);
    let g = store.get(
        &GetRequest {
            topic: "E",
            queue_id: 0,
            offset: 0,
            max_count: 8,
            max_bytes: 1 << 20,
        },
        None,
    );
    assert_eq!(
        (g.status, g.next_begin_offset),
        (GetStatus::OffsetTooSmall, min)
    );
    let g = store.get(
        &GetRequest {
            topic: "E",
            queue_id: 0,
            offset: min,
            max_count: 8,
            max_bytes: 1 << 20,
        },
        None,
    );
    assert_eq!(g.status, GetStatus::Found);
    assert!(store.earliest_message_time("E", 0) > 0);
    store.shutdown().unwrap();

    // The numbering survives a restart: min stays, offsets keep counting.
    let store = Store::open(config(&dir, 0)).unwrap();
    assert_eq!(store.min_offset("E", 0), min);
    assert_eq!(
        store
            .put(msg("E", 0, b"x", None, None))
            .unwrap()
            .first()
            .queue_offset,
        600
    );
    store.shutdown().unwrap();
}

#[test]
fn disk_pressure_deletes_only_when_forced() {
    let dir = TempDir::new("clean-ratio");
    let store = Store::open(config(&dir, 72)).unwrap();
    fill(&store, 300);
    let before = count(&dir.path().join("commitlog"));
    // Above diskMaxUsedSpaceRatio (75 %) but files are not expired: kept.
    assert_eq!(
        store
            .clean_now(false, Some(0.80))
            .unwrap()
            .commitlog_segments_deleted,
        0
    );
    // Above diskSpaceCleanForciblyRatio (85 %): deleted regardless of age.
    assert!(
        store
            .clean_now(false, Some(0.87))
            .unwrap()
            .commitlog_segments_deleted
            > 0
    );
    assert!(count(&dir.path().join("commitlog")) < before);
    assert!(!store.is_disk_full());
    store.shutdown().unwrap();
}

#[test]
fn disk_full_refuses_writes_and_resumes() {
    let dir = TempDir::new("clean-full");
    let store = Store::open(config(&dir, 72)).unwrap();
    std::thread::sleep(Duration::from_millis(300)); // let the start-up disk check pass
    fill(&store, 10);
    let r = store.clean_now(false, Some(0.95)).unwrap();
    assert!(r.disk_full && store.is_disk_full());
    let err = store.put(msg("E", 0, b"refused", None, None)).unwrap_err();
    assert!(matches!(err, StoreError::DiskFull(_)), "{err}");
    assert_eq!(err.put_status(), store::PutStatus::ServiceNotAvailable);
    assert_eq!(store.max_offset("E", 0), 10);
    store.clean_now(false, Some(0.50)).unwrap();
    assert_eq!(
        store
            .put(msg("E", 0, b"back", None, None))
            .unwrap()
            .first()
            .queue_offset,
        10
    );
    store.shutdown().unwrap();
}

/// After old segments are gone, a rebuilt consume queue starts at the first remaining message
/// (Java's pre-blank fill) and keeps the original numbering.
#[test]
fn rebuild_after_expiry_keeps_numbering() {
    let dir = TempDir::new("clean-rebuild");
    let store = Store::open(config(&dir, 0)).unwrap();
    fill(&store, 400);
    while store
        .clean_now(true, Some(0.10))
        .unwrap()
        .commitlog_segments_deleted
        > 0
    {}
    let min = store.min_offset("E", 0);
    assert!(
        min > 100,
        "a whole CQ file (100 units) is below the commitlog min: {min}"
    );
    store.shutdown().unwrap();
    drop(store);
    Store::destroy_logics(&config(&dir, 0)).unwrap();

    let store = Store::open(config(&dir, 0)).unwrap();
    assert_eq!(
        (store.min_offset("E", 0), store.max_offset("E", 0)),
        (min, 400)
    );
    let g = store.get(
        &GetRequest {
            topic: "E",
            queue_id: 0,
            offset: min,
            max_count: 4,
            max_bytes: 1 << 20,
        },
        None,
    );
    assert_eq!((g.status, g.queue_offsets[0]), (GetStatus::Found, min));
    // The first CQ file is the one holding `min`, its head filled with placeholder units.
    let first = std::fs::read_dir(dir.path().join("consumequeue/E/0"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .min()
        .unwrap();
    assert_eq!(
        first.to_str().unwrap().parse::<i64>().unwrap(),
        min * 20 / 2000 * 2000
    );
    assert_eq!(
        store
            .put(msg("E", 0, b"next", None, None))
            .unwrap()
            .first()
            .queue_offset,
        400
    );
    store.shutdown().unwrap();
}
