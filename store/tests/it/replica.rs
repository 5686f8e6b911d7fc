//! Slave-side replication: raw CommitLog bytes from a master store, applied in chunks that split
//! records, give the slave the same records, consume queues and index.

use crate::common;

use common::{msg, small_config, TempDir};
use store::{GetRequest, Store};

fn fill(master: &Store, n: usize) {
    for i in 0..n {
        let body = vec![b'a' + (i % 26) as u8; 300 + i % 700];
        master
            .put(msg(
                "Rep",
                (i % 3) as i32,
                &body,
                Some("t"),
                Some(&format!("k{i}")),
            ))
            .unwrap();
    }
}

/// Copy everything the slave lacks, `chunk` bytes at a time (never across a master segment).
fn replicate(master: &Store, slave: &Store, chunk: usize) {
    loop {
        let (_, slave_max) = slave.commitlog_offsets();
        let Some(data) = master.commitlog_data(slave_max, chunk) else {
            break;
        };
        slave.append_replicated(slave_max, &data).unwrap();
    }
}

fn same_queue(master: &Store, slave: &Store, q: i32) {
    assert_eq!(slave.max_offset("Rep", q), master.max_offset("Rep", q));
    let req = |o| GetRequest {
        topic: "Rep",
        queue_id: q,
        offset: o,
        max_count: 32,
        max_bytes: 1 << 20,
    };
    let mut off = slave.min_offset("Rep", q);
    while off < slave.max_offset("Rep", q) {
        let (m, s) = (master.get(&req(off), None), slave.get(&req(off), None));
        assert_eq!(m.messages, s.messages, "queue {q} offset {off}");
        off = s.next_begin_offset;
    }
}

#[test]
fn slave_catches_up_through_split_records_and_restarts() {
    let (mdir, sdir) = (TempDir::new("master"), TempDir::new("slave"));
    let master = Store::open(small_config(&mdir)).unwrap();
    let slave = Store::open(small_config(&sdir)).unwrap();
    fill(&master, 200);
    replicate(&master, &slave, 5000);
    fill(&master, 100);
    replicate(&master, &slave, 777);
    assert_eq!(slave.commitlog_offsets(), master.commitlog_offsets());
    for q in 0..3 {
        same_queue(&master, &slave, q);
    }
    let (m, s) = (
        master.query_offsets("Rep", "k250", 32, 0, i64::MAX),
        slave.query_offsets("Rep", "k250", 32, 0, i64::MAX),
    );
    assert_eq!(m.offsets, s.offsets);
    let (_, max) = slave.commitlog_offsets();
    assert!(
        slave.append_replicated(max + 1, b"x").is_err(),
        "a gap is refused"
    );
    slave.shutdown().unwrap();
    drop(slave);
    let slave = Store::open(small_config(&sdir)).unwrap();
    for q in 0..3 {
        same_queue(&master, &slave, q);
    }
    master.shutdown().unwrap();
    slave.shutdown().unwrap();
}

#[test]
fn a_replica_store_refuses_puts_and_takes_replicated_bytes() {
    let (mdir, sdir) = (TempDir::new("master3"), TempDir::new("slave3"));
    let master = Store::open(small_config(&mdir)).unwrap();
    let mut cfg = small_config(&sdir);
    cfg.replica = true;
    let slave = Store::open(cfg).unwrap();
    let refused = slave.put(msg("Rep", 0, b"x", None, None)).unwrap_err();
    assert!(matches!(refused, store::StoreError::Replica), "{refused:?}");
    assert_eq!(refused.put_status(), store::PutStatus::ServiceNotAvailable);
    fill(&master, 20);
    replicate(&master, &slave, 1000);
    assert_eq!(slave.commitlog_offsets(), master.commitlog_offsets());
    same_queue(&master, &slave, 1);
    master.shutdown().unwrap();
    slave.shutdown().unwrap();
}

#[test]
fn empty_slave_starts_at_the_masters_last_segment() {
    let (mdir, sdir) = (TempDir::new("master2"), TempDir::new("slave2"));
    let master = Store::open(small_config(&mdir)).unwrap();
    fill(&master, 300);
    let (_, max) = master.commitlog_offsets();
    let start = max - max % (64 * 1024);
    assert!(start > 0);
    let slave = Store::open(small_config(&sdir)).unwrap();
    let data = master.commitlog_data(start, 1 << 20).unwrap();
    slave.append_replicated(start, &data).unwrap();
    assert_eq!(slave.commitlog_offsets(), (start, max));
    for q in 0..3 {
        assert_eq!(slave.max_offset("Rep", q), master.max_offset("Rep", q));
        let min = slave.min_offset("Rep", q);
        assert!(min > 0, "older offsets are not on the slave");
        let g = slave.get(
            &GetRequest {
                topic: "Rep",
                queue_id: q,
                offset: min,
                max_count: 32,
                max_bytes: 1 << 20,
            },
            None,
        );
        assert_eq!(g.queue_offsets[0], min);
    }
    master.shutdown().unwrap();
    slave.shutdown().unwrap();
}
