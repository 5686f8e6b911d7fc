//! Dispatch limits (Java 5.x `readUnCommitted=false`): with the confirm offset of controller
//! mode, records past it stay out of the consume queues and the index until it passes them,
//! on a master and on a replica; with the flushed offset (SYNC_FLUSH), a put is in its queue
//! once its durability is answered.

use crate::common;

use common::{msg, small_config, TempDir};
use store::{DispatchLimit, FlushDiskType, GetRequest, GetStatus, Store};

fn confirmed_config(dir: &TempDir) -> store::StoreConfig {
    let mut cfg = small_config(dir);
    cfg.dispatch_limit = DispatchLimit::Confirmed;
    cfg
}

fn get(store: &Store, topic: &str, offset: i64) -> store::GetResult {
    store.get(
        &GetRequest {
            topic,
            queue_id: 0,
            offset,
            max_count: 32,
            max_bytes: 1 << 20,
        },
        None,
    )
}

fn end_of(p: store::Placed) -> i64 {
    p.physical_offset + i64::from(p.size)
}

#[test]
fn a_master_shows_only_what_the_confirm_offset_covers() {
    let dir = TempDir::new("confirm-master");
    let store = Store::open(confirmed_config(&dir)).unwrap();
    let mut arrivals = store.subscribe("C", 0).unwrap();
    let placed: Vec<_> = (0..3)
        .map(|i| {
            let key = format!("k{i}");
            let m = msg("C", 0, b"body", Some("t"), Some(&key));
            store.put(m).unwrap().first()
        })
        .collect();
    assert_eq!(
        placed.iter().map(|p| p.queue_offset).collect::<Vec<_>>(),
        [0, 1, 2],
        "queue offsets are assigned at the append"
    );
    assert_eq!(store.max_offset("C", 0), 0);
    assert_ne!(get(&store, "C", 0).status, GetStatus::Found);
    assert!(!arrivals.has_changed().unwrap(), "no wake-up yet");
    assert!(store
        .query_offsets("C", "k0", 32, 0, i64::MAX)
        .offsets
        .is_empty());

    store.set_confirm_offset(Some(end_of(placed[1]))).unwrap();
    assert_eq!(store.max_offset("C", 0), 2, "the two confirmed records");
    assert!(arrivals.has_changed().unwrap(), "long polls are woken");
    assert_eq!(*arrivals.borrow_and_update(), 2);
    assert_eq!(get(&store, "C", 0).messages.len(), 2);
    assert_eq!(
        store.query_offsets("C", "k1", 32, 0, i64::MAX).offsets,
        [placed[1].physical_offset]
    );
    assert!(store
        .query_offsets("C", "k2", 32, 0, i64::MAX)
        .offsets
        .is_empty());
    // A confirm offset inside a record dispatches nothing of it.
    store
        .set_confirm_offset(Some(end_of(placed[2]) - 1))
        .unwrap();
    assert_eq!(store.max_offset("C", 0), 2);

    // A master confirming all it has: the rest now, later puts with their append.
    store.set_confirm_offset(None).unwrap();
    assert_eq!(store.max_offset("C", 0), 3);
    let p = store.put(msg("C", 0, b"body", None, None)).unwrap().first();
    assert_eq!(p.queue_offset, 3);
    assert_eq!(store.max_offset("C", 0), 4);

    // Back to waiting: a put is kept until the confirm offset passes it.
    store.set_confirm_offset(Some(end_of(p))).unwrap();
    let q = store.put(msg("C", 0, b"body", None, None)).unwrap().first();
    assert_eq!((q.queue_offset, store.max_offset("C", 0)), (4, 4));
    store.set_confirm_offset(Some(end_of(q))).unwrap();
    assert_eq!(store.max_offset("C", 0), 5);
    store.shutdown().unwrap();
}

#[test]
fn a_replica_dispatches_up_to_its_masters_confirm_offset() {
    let (mdir, sdir) = (TempDir::new("confirm-m"), TempDir::new("confirm-s"));
    let master = Store::open(small_config(&mdir)).unwrap();
    let mut cfg = confirmed_config(&sdir);
    cfg.replica = true;
    let slave = Store::open(cfg).unwrap();
    let placed: Vec<_> = (0..10)
        .map(|_| {
            master
                .put(msg("C", 0, &[b'x'; 500], None, None))
                .unwrap()
                .first()
        })
        .collect();
    slave.set_confirm_offset(Some(end_of(placed[3]))).unwrap();
    // Everything but the last record's final 100 bytes.
    let cut = end_of(placed[9]) - 100;
    let data = master.commitlog_data(0, cut as usize).unwrap();
    slave.append_replicated(0, &data).unwrap();
    assert_eq!(slave.max_offset("C", 0), 4, "up to the confirm offset");

    // Java `truncateInvalidMsg`: only the partly received record goes.
    assert_eq!(
        slave.truncate_partial_record().unwrap(),
        Some(placed[9].physical_offset)
    );
    assert_eq!(slave.commitlog_offsets().1, placed[9].physical_offset);
    slave.set_confirm_offset(Some(end_of(placed[6]))).unwrap();
    assert_eq!(slave.max_offset("C", 0), 7);

    // Becoming master: the next put takes the offset after the records it holds.
    slave.set_replica(false);
    let p = slave.put(msg("C", 0, b"new", None, None)).unwrap().first();
    assert_eq!(p.queue_offset, 9);
    slave.set_confirm_offset(None).unwrap();
    assert_eq!(slave.max_offset("C", 0), 10);
    let got = get(&slave, "C", 7);
    assert_eq!(got.queue_offsets, [7, 8, 9]);
    master.shutdown().unwrap();
    slave.shutdown().unwrap();
}

#[test]
fn a_clean_restart_dispatches_past_the_queues_and_keeps_the_confirm_offset() {
    let dir = TempDir::new("confirm-restart");
    let store = Store::open(confirmed_config(&dir)).unwrap();
    let a = store.put(msg("C", 0, b"a", None, None)).unwrap().first();
    store.set_confirm_offset(Some(end_of(a))).unwrap();
    store.put(msg("C", 0, b"b", None, None)).unwrap();
    store.shutdown().unwrap();
    drop(store);
    // Java `recoverNormally` dispatches everything past the consume queues.
    let store = Store::open(confirmed_config(&dir)).unwrap();
    assert_eq!(store.confirm_phy_offset(), end_of(a));
    assert_eq!(store.max_offset("C", 0), 2);
    let c = store.put(msg("C", 0, b"c", None, None)).unwrap().first();
    assert_eq!((c.queue_offset, store.max_offset("C", 0)), (2, 2));
    store.shutdown().unwrap();
}

#[test]
fn a_sync_flush_put_is_in_its_queue_once_durable() {
    let dir = TempDir::new("confirm-flushed");
    let mut cfg = small_config(&dir);
    cfg.flush_disk_type = FlushDiskType::Sync;
    cfg.dispatch_limit = DispatchLimit::Flushed;
    let store = Store::open(cfg).unwrap();
    for i in 0..50 {
        let put = store.put(msg("F", 0, b"durable", None, None)).unwrap();
        assert_eq!(put.first().queue_offset, i);
        put.durability.wait_blocking().unwrap();
        assert!(
            store.max_offset("F", 0) > i,
            "message {i} visible once durable"
        );
    }
    store.shutdown().unwrap();
}
