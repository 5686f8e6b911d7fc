//! Damaged store directories: the store recovers the valid data, logs what it drops, and never
//! serves a record that fails its CRC.

use crate::common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use common::{msg, small_config, TempDir};
use store::decode::record_intact;
use store::{GetRequest, Placed, Store, StoreError, StoredMessage};

const SEG: u64 = 64 * 1024;

fn fill(store: &Store, topic: &str, n: usize, body_len: usize) -> Vec<Placed> {
    (0..n)
        .map(|i| {
            let mut body = format!("{topic}-{i}-").into_bytes();
            body.resize(body_len.max(body.len()), b'x');
            store
                .put(msg(topic, 0, &body, Some("t"), Some(&format!("k{i}"))))
                .unwrap()
                .first()
        })
        .collect()
}

fn segment_file(root: &Path, phys: i64) -> (std::path::PathBuf, u64) {
    let base = phys as u64 / SEG * SEG;
    (
        root.join("commitlog").join(format!("{base:020}")),
        phys as u64 - base,
    )
}

fn flip_body_byte(root: &Path, p: &Placed) {
    let (file, pos) = segment_file(root, p.physical_offset);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(file)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, pos + 90).unwrap(); // body starts at 88 for IPv4 hosts
    f.write_all_at(&[b[0] ^ 0xFF], pos + 90).unwrap();
}

/// Every record of the queue, checking each is intact and in order.
fn read_all(store: &Store, topic: &str) -> Vec<StoredMessage> {
    let mut out = Vec::new();
    let mut off = store.min_offset(topic, 0);
    while off < store.max_offset(topic, 0) {
        let g = store.get(
            &GetRequest {
                topic,
                queue_id: 0,
                offset: off,
                max_count: 32,
                max_bytes: 1 << 20,
            },
            None,
        );
        for rec in &g.messages {
            assert!(record_intact(rec), "served a record failing its CRC");
            out.push(StoredMessage::decode(rec).unwrap());
        }
        assert!(g.next_begin_offset > off);
        off = g.next_begin_offset;
    }
    out
}

#[test]
fn corrupt_record_in_tail_truncates_there_after_a_crash() {
    let dir = TempDir::new("bad-tail");
    let store = Store::open(small_config(&dir)).unwrap();
    let placed = fill(&store, "C", 40, 100);
    store.shutdown().unwrap();
    flip_body_byte(dir.path(), &placed[25]);
    std::fs::write(dir.path().join("abort"), b"").unwrap();

    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(
        store.max_offset("C", 0),
        25,
        "queue cut back to the bad record"
    );
    let all = read_all(&store, "C");
    assert_eq!(all.len(), 25);
    assert!(store.read_record(placed[25].physical_offset).is_none());
    let r = store.put(msg("C", 0, b"new", None, None)).unwrap();
    assert_eq!(r.first().queue_offset, 25);
    assert_eq!(
        r.first().physical_offset,
        placed[25].physical_offset,
        "appends resume at the cut"
    );
    store.shutdown().unwrap();
}

#[test]
fn corrupt_record_outside_the_recovery_window_is_never_served() {
    let dir = TempDir::new("bad-old");
    let store = Store::open(small_config(&dir)).unwrap();
    let placed = fill(&store, "O", 400, 1000);
    store.shutdown().unwrap();
    assert!(
        std::fs::read_dir(dir.path().join("commitlog"))
            .unwrap()
            .count()
            > 4
    );
    flip_body_byte(dir.path(), &placed[3]);

    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(
        store.max_offset("O", 0),
        400,
        "normal recovery does not scan the first segment"
    );
    let all = read_all(&store, "O");
    assert_eq!(all.len(), 399);
    assert!(all.iter().all(|m| m.queue_offset != 3));
    assert!(store.read_record(placed[3].physical_offset).is_none());
    let (recs, q) = store.query_messages("O", "k3", 32, 0, i64::MAX);
    assert!(q.offsets.contains(&placed[3].physical_offset) && recs.is_empty());
    store.shutdown().unwrap();
}

#[test]
fn truncated_consume_queue_file_is_rebuilt_from_the_commitlog() {
    let dir = TempDir::new("bad-cq");
    let store = Store::open(small_config(&dir)).unwrap();
    fill(&store, "Q", 150, 50);
    store.shutdown().unwrap();
    let cq = dir.path().join("consumequeue/Q/0/00000000000000000000");
    OpenOptions::new()
        .write(true)
        .open(&cq)
        .unwrap()
        .set_len(1000)
        .unwrap();

    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(store.max_offset("Q", 0), 150);
    let all = read_all(&store, "Q");
    assert_eq!(all.len(), 150);
    assert!(all
        .iter()
        .enumerate()
        .all(|(i, m)| m.queue_offset == i as i64));
    assert_eq!(std::fs::metadata(&cq).unwrap().len(), 2000);
    store.shutdown().unwrap();
}

#[test]
fn bad_checkpoint_with_abort_recovers_everything() {
    let dir = TempDir::new("bad-ckpt");
    let store = Store::open(small_config(&dir)).unwrap();
    fill(&store, "K", 200, 500);
    store.shutdown().unwrap();
    std::fs::write(dir.path().join("checkpoint"), b"\xFF\xFF\xFF\xFF garbage").unwrap();
    std::fs::write(dir.path().join("abort"), b"").unwrap();

    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(read_all(&store, "K").len(), 200);
    store.shutdown().unwrap();
    assert_eq!(
        std::fs::metadata(dir.path().join("checkpoint"))
            .unwrap()
            .len(),
        4096
    );
}

#[test]
fn short_last_segment_keeps_its_whole_records() {
    let dir = TempDir::new("bad-short");
    let store = Store::open(small_config(&dir)).unwrap();
    let placed = fill(&store, "S", 30, 200);
    store.shutdown().unwrap();
    let (file, _) = segment_file(dir.path(), 0);
    let cut = placed[10].physical_offset as u64 + 50; // inside record 10
    OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(cut)
        .unwrap();
    std::fs::write(dir.path().join("abort"), b"").unwrap();

    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(std::fs::metadata(&file).unwrap().len(), SEG);
    assert_eq!(store.max_offset("S", 0), 10);
    assert_eq!(read_all(&store, "S").len(), 10);
    store.shutdown().unwrap();
}

#[test]
fn wrong_size_middle_segment_refuses_to_start_with_a_clear_error() {
    let dir = TempDir::new("bad-size");
    let store = Store::open(small_config(&dir)).unwrap();
    fill(&store, "W", 200, 1000);
    store.shutdown().unwrap();
    let (file, _) = segment_file(dir.path(), 0);
    OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(1000)
        .unwrap();
    match Store::open(small_config(&dir)) {
        Err(StoreError::SegmentSize {
            path,
            expected,
            actual,
        }) => {
            assert_eq!((path, expected, actual), (file, SEG, 1000));
        }
        other => panic!("expected SegmentSize, got {other:?}"),
    }
}

#[test]
fn destroyed_logics_are_rebuilt() {
    let dir = TempDir::new("rebuild");
    let store = Store::open(small_config(&dir)).unwrap();
    let placed = fill(&store, "R", 300, 700);
    store.shutdown().unwrap();
    Store::destroy_logics(&small_config(&dir)).unwrap();
    assert!(!dir.path().join("consumequeue/R").exists());

    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(read_all(&store, "R").len(), 300);
    let q = store.query_offsets("R", "k299", 32, 0, i64::MAX);
    assert_eq!(q.offsets, vec![placed[299].physical_offset]);
    store.shutdown().unwrap();
}

#[test]
fn unsupported_store_flavours_are_refused() {
    let dir = TempDir::new("flavour");
    std::fs::create_dir_all(dir.path().join("consumequeue")).unwrap();
    std::fs::write(
        dir.path().join("consumequeue/CURRENT"),
        b"MANIFEST-000001\n",
    )
    .unwrap();
    let err = Store::open(small_config(&dir)).unwrap_err().to_string();
    assert!(err.contains("RocksDB"), "{err}");
    std::fs::remove_file(dir.path().join("consumequeue/CURRENT")).unwrap();
    std::fs::create_dir_all(dir.path().join("dledger-n0")).unwrap();
    let err = Store::open(small_config(&dir)).unwrap_err().to_string();
    assert!(err.contains("DLedger"), "{err}");
}

#[test]
fn corrupt_index_header_does_not_break_queries() {
    let dir = TempDir::new("bad-index");
    let store = Store::open(small_config(&dir)).unwrap();
    let placed = fill(&store, "C", 20, 50);
    store.shutdown().unwrap();
    drop(store);
    let ix = std::fs::read_dir(dir.path().join("index"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let f = OpenOptions::new().write(true).open(&ix).unwrap();
    f.write_all_at(&i32::MAX.to_be_bytes(), 36).unwrap(); // indexCount
    let store = Store::open(small_config(&dir)).unwrap();
    let q = store.query_offsets("C", "k5", 32, 0, i64::MAX);
    assert!(q.offsets.len() <= 32);
    let q = store.query_offsets("C", "k19", 32, 0, i64::MAX);
    assert!(q.offsets.iter().all(|o| *o <= placed[19].physical_offset));
    store
        .put(msg("C", 0, b"after", None, Some("knew")))
        .unwrap();
    store.shutdown().unwrap();
}

#[test]
fn consume_queue_hole_is_refilled_from_the_commitlog() {
    let dir = TempDir::new("bad-cq-hole");
    let store = Store::open(small_config(&dir)).unwrap();
    fill(&store, "H", 150, 50);
    fill(&store, "Other", 50, 50);
    store.shutdown().unwrap();
    drop(store);
    // Unit 120 (second CQ file, position 20*20) gets a negative commitlog offset.
    let cq = dir.path().join("consumequeue/H/0/00000000000000002000");
    let f = OpenOptions::new().write(true).open(&cq).unwrap();
    f.write_all_at(&(-1i64).to_be_bytes(), 400).unwrap();

    let store = Store::open(small_config(&dir)).unwrap();
    assert_eq!(store.max_offset("H", 0), 150);
    let all = read_all(&store, "H");
    assert_eq!(all.len(), 150);
    assert!(all
        .iter()
        .enumerate()
        .all(|(i, m)| m.queue_offset == i as i64));
    assert_eq!(store.max_offset("Other", 0), 50);
    store.shutdown().unwrap();
}

#[test]
fn corruption_before_segments_with_data_refuses_unless_allowed() {
    let dir = TempDir::new("bad-middle");
    let store = Store::open(small_config(&dir)).unwrap();
    let placed = fill(&store, "M", 400, 1000);
    store.shutdown().unwrap();
    drop(store);
    flip_body_byte(dir.path(), &placed[10]);
    std::fs::write(dir.path().join("abort"), b"").unwrap();
    let err = Store::open(small_config(&dir)).unwrap_err().to_string();
    assert!(
        err.contains("truncateOnOldCorruption") && err.contains("00000000000000000000"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(dir.path().join("commitlog"))
            .unwrap()
            .count()
            > 5,
        "nothing deleted"
    );

    let mut cfg = small_config(&dir);
    cfg.truncate_on_old_corruption = true;
    let store = Store::open(cfg).unwrap();
    assert_eq!(
        store.max_offset("M", 0),
        10,
        "Java's rule: everything after the bad record goes"
    );
    assert_eq!(read_all(&store, "M").len(), 10);
    store.shutdown().unwrap();
}
