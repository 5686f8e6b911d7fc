//! Put/get/index/offset behaviour through the public API.

use crate::common;

use common::{msg, small_config, TempDir};
use store::{java_hash, Boundary, GetRequest, GetStatus, Store, StoreConfig, StoredMessage};

fn req(topic: &str, queue_id: i32, offset: i64) -> GetRequest<'_> {
    GetRequest {
        topic,
        queue_id,
        offset,
        max_count: 32,
        max_bytes: 1 << 20,
    }
}

#[test]
fn put_get_statuses_and_offsets() {
    let dir = TempDir::new("api");
    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(
        store.get(&req("T", 0, 0), None).status,
        GetStatus::NoMatchedLogicQueue
    );
    for i in 0..10 {
        let r = store
            .put(msg(
                "T",
                0,
                format!("body-{i}").as_bytes(),
                Some(if i % 2 == 0 { "A" } else { "B" }),
                None,
            ))
            .unwrap();
        assert_eq!(r.first().queue_offset, i);
        assert!(r.durability.is_immediate());
    }
    assert_eq!(store.max_offset("T", 0), 10);
    assert_eq!(store.min_offset("T", 0), 0);
    let g = store.get(&req("T", 0, 3), None);
    assert_eq!(g.status, GetStatus::Found);
    assert_eq!(g.messages.len(), 7);
    assert_eq!(g.next_begin_offset, 10);
    assert_eq!(g.queue_offsets[0], 3);
    let m = StoredMessage::decode(&g.messages[0]).unwrap();
    assert_eq!(&m.body[..], b"body-3");
    assert_eq!(m.queue_offset, 3);

    let code_a = i64::from(java_hash("A"));
    let only_a = move |c: i64| c == code_a;
    let g = store.get(&req("T", 0, 0), Some(&only_a));
    assert_eq!(g.messages.len(), 5);
    let never = |_c: i64| false;
    let g = store.get(&req("T", 0, 0), Some(&never));
    assert_eq!(
        (g.status, g.next_begin_offset),
        (GetStatus::NoMatchedMessage, 10)
    );

    assert_eq!(
        store.get(&req("T", 0, 10), None).status,
        GetStatus::OffsetOverflowOne
    );
    let g = store.get(&req("T", 0, 11), None);
    assert_eq!(
        (g.status, g.next_begin_offset),
        (GetStatus::OffsetOverflowBadly, 10)
    );
    store.put(msg("T", 1, b"x", None, None)).unwrap();
    assert_eq!(store.get(&req("T", 0, 0), None).messages.len(), 10);
    let mut small = req("T", 0, 0);
    small.max_count = 3;
    assert_eq!(store.get(&small, None).messages.len(), 3);
    assert_eq!(
        store.queues(),
        vec![("T".to_string(), 0), ("T".to_string(), 1)]
    );
    store.shutdown().unwrap();
    assert!(!dir.path().join("abort").exists());
}

#[test]
fn segments_roll_with_blank_and_survive_restart() {
    let dir = TempDir::new("roll");
    let cfg = small_config(&dir);
    let store = Store::open(cfg.clone()).unwrap();
    let body = vec![7u8; 1000];
    let mut offsets = Vec::new();
    for i in 0..300 {
        let r = store
            .put(msg("Roll", i % 3, &body, Some("t"), Some(&format!("k{i}"))))
            .unwrap();
        offsets.push(r.first());
    }
    // 300 × ~1.1 KiB over 64 KiB segments: several segments, each ending with a blank.
    let segs = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .count();
    assert!(segs >= 5, "{segs} segments");
    for p in &offsets {
        assert!(p.physical_offset as u64 % (64 * 1024) + p.size as u64 <= 64 * 1024);
    }
    let rec = store.read_record(offsets[150].physical_offset).unwrap();
    assert_eq!(
        StoredMessage::decode(&rec).unwrap().physical_offset,
        offsets[150].physical_offset
    );
    store.shutdown().unwrap();
    drop(store);

    let store = Store::open(cfg).unwrap();
    for q in 0..3 {
        assert_eq!(store.max_offset("Roll", q), 100);
    }
    let g = store.get(&req("Roll", 1, 0), None);
    assert_eq!(g.status, GetStatus::Found);
    let r = store.put(msg("Roll", 1, b"after", None, None)).unwrap();
    assert_eq!(r.first().queue_offset, 100);
    let (recs, q) = store.query_messages("Roll", "k150", 32, 0, i64::MAX);
    assert!(q.offsets.contains(&offsets[150].physical_offset));
    assert!(recs.iter().any(|r| StoredMessage::decode(r)
        .unwrap()
        .properties
        .contains("k150")));
    store.shutdown().unwrap();
}

#[test]
fn batch_gets_consecutive_offsets() {
    let dir = TempDir::new("batch");
    let store = Store::open(small_config(&dir)).unwrap();
    store.put(msg("B", 0, b"first", None, None)).unwrap();
    let batch: Vec<_> = (0..5)
        .map(|i| msg("B", 0, format!("b{i}").as_bytes(), None, None))
        .collect();
    let r = store.put_batch(batch).unwrap();
    let qo: Vec<i64> = r.records.iter().map(|p| p.queue_offset).collect();
    assert_eq!(qo, vec![1, 2, 3, 4, 5]);
    for w in r.records.windows(2) {
        assert_eq!(
            w[0].physical_offset + i64::from(w[0].size),
            w[1].physical_offset
        );
    }
    let mixed = vec![msg("B", 0, b"a", None, None), msg("B", 1, b"b", None, None)];
    assert!(store.put_batch(mixed).is_err());
    store.shutdown().unwrap();
}

#[test]
fn index_query_uniq_and_keys_and_time_search() {
    let dir = TempDir::new("index");
    let store = Store::open(small_config(&dir)).unwrap();
    let mut m = msg("Q", 0, b"x", None, Some("alpha beta"));
    m.properties.push_str("UNIQ_KEY\u{1}ABCDEF\u{2}");
    let r = store.put(m).unwrap();
    // 400 entries per index file in the small geometry: force several files.
    for i in 0..500 {
        store
            .put(msg("Q", 0, b"y", None, Some(&format!("key{i}"))))
            .unwrap();
    }
    assert!(std::fs::read_dir(dir.path().join("index")).unwrap().count() >= 2);
    for k in ["alpha", "beta", "ABCDEF"] {
        let q = store.query_offsets("Q", k, 32, 0, i64::MAX);
        assert!(q.offsets.contains(&r.first().physical_offset), "key {k}");
    }
    let q = store.query_offsets("Q", "key499", 32, 0, i64::MAX);
    assert_eq!(q.offsets.len(), 1);
    assert!(store
        .query_offsets("Q", "nope", 32, 0, i64::MAX)
        .offsets
        .is_empty());
    let t0 = store.message_store_time("Q", 0, 0);
    assert!(t0 > 0);
    assert_eq!(store.offset_by_time("Q", 0, t0 - 1000, Boundary::Lower), 0);
    assert_eq!(store.offset_by_time("Q", 0, i64::MAX, Boundary::Lower), 501);
    assert_eq!(store.offset_by_time("Q", 0, i64::MAX, Boundary::Upper), 500);
    assert_eq!(store.earliest_message_time("Q", 0), t0);
    store.shutdown().unwrap();
}

#[test]
fn second_open_is_locked_and_delete_topic() {
    let dir = TempDir::new("lock");
    let store = Store::open(small_config(&dir)).unwrap();
    assert!(matches!(
        Store::open(small_config(&dir)),
        Err(store::StoreError::Locked(_))
    ));
    store.put(msg("D", 0, b"x", None, None)).unwrap();
    store.delete_topic("D").unwrap();
    assert!(!dir.path().join("consumequeue/D").exists());
    assert_eq!(store.max_offset("D", 0), 0);
    store.shutdown().unwrap();
}

#[tokio::test]
async fn subscribe_and_sync_flush_wait() {
    let dir = TempDir::new("sync");
    let mut cfg = small_config(&dir);
    cfg.flush_disk_type = store::FlushDiskType::Sync;
    let store = Store::open(cfg).unwrap();
    let mut rx = store.subscribe("W", 0).unwrap();
    let s2 = store.clone();
    let h = tokio::task::spawn_blocking(move || s2.put(msg("W", 0, b"hi", None, None)).unwrap());
    let r = h.await.unwrap();
    assert!(!r.durability.is_immediate());
    r.durability.wait().await.unwrap();
    rx.wait_for(|m| *m >= 1).await.unwrap();
    assert!(store.flush_behind_bytes() == 0);
    let mut late = store.subscribe("W", 0).unwrap();
    assert_eq!(
        *late.borrow(),
        1,
        "a late subscriber sees the current max offset"
    );
    assert!(
        !late.has_changed().unwrap(),
        "nothing new since subscribing"
    );
    let r = store.put(msg("W", 0, b"again", None, None)).unwrap();
    rx.wait_for(|m| *m >= 2).await.unwrap();
    late.changed().await.unwrap();
    assert_eq!(*late.borrow(), 2);
    tokio::task::spawn_blocking(move || r.durability.wait_blocking())
        .await
        .unwrap()
        .unwrap();
    store.shutdown().unwrap();
}

#[test]
fn dropped_store_releases_its_lock_and_recovers_abnormally() {
    let dir = TempDir::new("drop");
    let store = Store::open(small_config(&dir)).unwrap();
    for i in 0..20 {
        store
            .put(msg("X", 0, format!("m{i}").as_bytes(), None, None))
            .unwrap();
    }
    drop(store);
    assert!(dir.path().join("abort").exists());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let store = loop {
        match Store::open(small_config(&dir)) {
            Ok(s) => break s,
            Err(store::StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(store.max_offset("X", 0), 20);
    store.shutdown().unwrap();
}

#[test]
fn deleted_topic_stays_deleted_after_restart() {
    let dir = TempDir::new("deltopic");
    let store = Store::open(small_config(&dir)).unwrap();
    for i in 0..30 {
        store
            .put(msg("Gone", 0, format!("g{i}").as_bytes(), None, None))
            .unwrap();
        store
            .put(msg("Kept", 0, format!("k{i}").as_bytes(), None, None))
            .unwrap();
    }
    store.delete_topic("Gone").unwrap();
    store.put(msg("Gone", 0, b"fresh", None, None)).unwrap();
    store.shutdown().unwrap();
    drop(store);
    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(store.max_offset("Gone", 0), 1);
    assert_eq!(store.max_offset("Kept", 0), 30);
    let g = store.get(&req("Gone", 0, 0), None);
    assert_eq!(
        &StoredMessage::decode(&g.messages[0]).unwrap().body[..],
        b"fresh"
    );
    store.shutdown().unwrap();
}

#[test]
fn prepared_and_rollback_records_take_no_queue_offset() {
    let dir = TempDir::new("tx");
    let store = Store::open(small_config(&dir)).unwrap();
    let mut prepared = msg("Tx", 0, b"half", None, Some("pk"));
    prepared.sys_flag = store::message::sysflag::TRANSACTION_PREPARED;
    let p = store.put(prepared).unwrap().first();
    assert_eq!((p.queue_offset, store.max_offset("Tx", 0)), (0, 0));
    let mut rollback = msg("Tx", 0, b"rb", None, Some("rk"));
    rollback.sys_flag = store::message::sysflag::TRANSACTION_ROLLBACK;
    rollback.prepared_transaction_offset = p.physical_offset;
    store.put(rollback).unwrap();
    let n = store
        .put(msg("Tx", 0, b"normal", None, None))
        .unwrap()
        .first();
    assert_eq!(n.queue_offset, 0);
    assert_eq!(
        store.query_offsets("Tx", "pk", 32, 0, i64::MAX).offsets,
        vec![p.physical_offset],
        "PREPARED is indexed"
    );
    assert!(
        store
            .query_offsets("Tx", "rk", 32, 0, i64::MAX)
            .offsets
            .is_empty(),
        "ROLLBACK is not"
    );
    let half = StoredMessage::decode(&store.read_record(p.physical_offset).unwrap()).unwrap();
    assert_eq!(&half.body[..], b"half");
    store.shutdown().unwrap();
    drop(store);
    Store::destroy_logics(&small_config(&dir)).unwrap();
    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(
        store.max_offset("Tx", 0),
        1,
        "rebuild dispatches only the normal record"
    );
    store.shutdown().unwrap();
}

#[test]
fn raw_commitlog_data_stops_at_segment_and_written_end() {
    let dir = TempDir::new("raw");
    let store = Store::open(small_config(&dir)).unwrap();
    for _ in 0..100 {
        store.put(msg("Raw", 0, &[1u8; 1000], None, None)).unwrap();
    }
    let (min, max) = store.commitlog_offsets();
    assert_eq!(min, 0);
    assert_eq!(
        store.commitlog_data(0, usize::MAX).unwrap().len(),
        64 * 1024
    );
    assert_eq!(store.commitlog_data(100, 10).unwrap().len(), 10);
    let tail = store.commitlog_data(max - 5, 1 << 20).unwrap();
    assert_eq!(tail.len(), 5);
    assert!(store.commitlog_data(max, 1 << 20).is_none());
    let first = store.commitlog_data(0, 8).unwrap();
    let size = i32::from_be_bytes([first[0], first[1], first[2], first[3]]);
    assert_eq!(store.read_record(0).unwrap().len(), size as usize);
    store.shutdown().unwrap();
}

/// The store's own guard, whatever the broker lets through: no topic name leaves
/// `consumequeue/`, and a delete removes only queue directories the store knows.
#[test]
fn topic_names_stay_inside_consumequeue() {
    let dir = TempDir::new("names");
    let store = Store::open(small_config(&dir)).unwrap();
    store.put(msg("T", 0, b"kept", None, None)).unwrap();
    let root = dir.path().to_path_buf();
    for bad in ["..", ".", "", "../x", "a/b", "..\\x", "x\0y", "/tmp"] {
        let err = store.put(msg(bad, 0, b"x", None, None)).unwrap_err();
        assert!(
            matches!(
                err,
                store::StoreError::IllegalName(_) | store::StoreError::MessageIllegal(_)
            ),
            "{bad:?}: {err}"
        );
        assert!(store.delete_topic(bad).is_err(), "{bad:?}");
    }
    // A directory under consumequeue/ that the store did not create stays after a delete.
    let foreign = root.join("consumequeue").join("Foreign").join("0");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("keep"), b"k").unwrap();
    store.delete_topic("Foreign").unwrap();
    assert!(foreign.join("keep").exists());
    // A known topic's queue directories go; files the store did not make keep the topic's.
    store.put(msg("Gone", 1, b"x", None, None)).unwrap();
    std::fs::write(root.join("consumequeue/Gone/extra"), b"e").unwrap();
    store.delete_topic("Gone").unwrap();
    assert!(!root.join("consumequeue/Gone/1").exists());
    assert!(root.join("consumequeue/Gone/extra").exists());
    for p in ["commitlog", "consumequeue/T/0", "checkpoint"] {
        assert!(root.join(p).exists(), "{p}");
    }
    assert_eq!(store.max_offset("T", 0), 1);
}

/// Disk blocks a file holds (`st_blocks` counts 512-byte units).
fn allocated(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}

#[test]
fn default_segments_take_disk_space_as_they_fill() {
    const MIB: u64 = 1 << 20;
    let dir = TempDir::new("sparse");
    let store = Store::open(StoreConfig::new(dir.path())).unwrap();
    store.put(msg("S", 0, b"x", None, Some("k0"))).unwrap();
    let commitlog = dir.path().join("commitlog/00000000000000000000");
    let index = std::fs::read_dir(dir.path().join("index"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // A 1 GiB segment and a 420 MB index file, reserved a step ahead of the writer: 16 MiB of
    // CommitLog, the index's header and slots (20 MB) and 1 MiB of its entries.
    assert!(
        allocated(&commitlog) <= 17 * MIB,
        "{}",
        allocated(&commitlog)
    );
    assert!(allocated(&index) <= 22 * MIB, "{}", allocated(&index));
    let body = vec![7u8; 512 * 1024];
    for i in 0..48 {
        store
            .put(msg("S", 0, &body, None, Some(&format!("k{i}"))))
            .unwrap();
    }
    let used = allocated(&commitlog);
    assert!((24 * MIB..=41 * MIB).contains(&used), "{used}");
    let got = store.get(&req("S", 0, 48), None);
    assert_eq!(got.status, GetStatus::Found);
    assert!(got.messages[0].len() > body.len());
    store.shutdown().unwrap();
}
