//! Store benchmarks (a plain bench binary, not timed tests):
//!
//! ```text
//! cargo bench -p store --bench store_bench            # everything, in $TMPDIR
//! BENCH_DIR=/data/tmp BENCH_MB=1024 cargo bench -p store --bench store_bench
//! BENCH_ONLY=append1k cargo bench -p store --bench store_bench   # just the 1 KiB append
//! BENCH_ONLY=sync cargo bench -p store --bench store_bench       # just the SYNC_FLUSH appends
//! ```
//!
//! Prints: raw sequential-write bandwidth and fsync latency of the disk, append throughput for
//! 1 KiB / 4 KiB bodies under ASYNC_FLUSH, SYNC_FLUSH with 1/16/64 concurrent writers (records
//! dispatched with the append, and by the flusher as the broker's default `readUnCommitted=false`
//! has it), warm and cold tail-read throughput, and recovery time per GiB after SIGKILL.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use store::{DispatchLimit, FlushDiskType, GetRequest, NewMessage, Store, StoreConfig};

fn bench_root() -> PathBuf {
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    base.join(format!("thrust-store-bench-{}", std::process::id()))
}

fn total_mb() -> u64 {
    std::env::var("BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

fn fresh(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
}

fn message(queue: i32, body: &Bytes) -> NewMessage {
    NewMessage {
        topic: "BenchTopic".into(),
        queue_id: queue,
        flag: 0,
        body: body.clone(),
        properties:
            "TAGS\u{1}TagA\u{2}KEYS\u{1}k\u{2}UNIQ_KEY\u{1}7F0000010C3D18B4AAC2586F0D2A0000\u{2}"
                .into(),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "10.0.0.5:53422".parse().unwrap(),
        store_host: "10.0.0.1:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn report(name: &str, n: u64, bytes: u64, t: Duration) {
    let s = t.as_secs_f64();
    println!(
        "{name:<44} {:>10.0} msg/s {:>9.1} MiB/s  ({n} msgs in {s:.2} s)",
        n as f64 / s,
        bytes as f64 / s / 1048576.0
    );
}

fn raw_disk(dir: &Path) {
    fresh(dir);
    let p = dir.join("raw");
    let mut f = std::fs::File::create(&p).unwrap();
    let chunk = vec![0x5Au8; 1 << 20];
    let mb = total_mb().min(1024);
    let t = Instant::now();
    for _ in 0..mb {
        f.write_all(&chunk).unwrap();
    }
    f.sync_all().unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{:<44} {:>9.1} MiB/s  ({mb} MiB + fsync in {s:.2} s)",
        "raw sequential write",
        mb as f64 / s
    );
    let mut lat = Vec::new();
    let page = vec![1u8; 4096];
    for _ in 0..200 {
        f.write_all(&page).unwrap();
        let t = Instant::now();
        f.sync_data().unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    println!(
        "{:<44} p50 {:?}  p99 {:?}",
        "fdatasync latency (4 KiB append)", lat[100], lat[198]
    );
}

fn async_append(dir: &Path, body_len: usize) -> Store {
    fresh(dir);
    let store = Store::open(StoreConfig::new(dir)).unwrap();
    let body = Bytes::from(vec![b'x'; body_len]);
    let n = total_mb() * 1048576 / body_len as u64;
    let t = Instant::now();
    for i in 0..n {
        store.put(message((i % 8) as i32, &body)).unwrap();
    }
    report(
        &format!("append ASYNC_FLUSH {} KiB", body_len / 1024),
        n,
        n * body_len as u64,
        t.elapsed(),
    );
    store
}

fn sync_append(dir: &Path, writers: u64, limit: DispatchLimit) {
    fresh(dir);
    let mut cfg = StoreConfig::new(dir);
    cfg.flush_disk_type = FlushDiskType::Sync;
    cfg.dispatch_limit = limit;
    let store = Store::open(cfg).unwrap();
    let body = Bytes::from(vec![b's'; 1024]);
    let done = Arc::new(AtomicU64::new(0));
    let run = Duration::from_secs(3);
    let t = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let (store, body, done) = (store.clone(), body.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                while t.elapsed() < run {
                    let r = store.put(message((w % 8) as i32, &body)).unwrap();
                    r.durability.wait_blocking().unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let n = done.load(Ordering::Relaxed);
    report(
        &format!("append SYNC_FLUSH 1 KiB, {writers} writers, dispatch {limit:?}"),
        n,
        n * 1024,
        t.elapsed(),
    );
    store.shutdown().unwrap();
}

fn sync_appends(root: &Path) {
    for w in [1, 16, 64] {
        for limit in [DispatchLimit::End, DispatchLimit::Flushed] {
            sync_append(&root.join("sync"), w, limit);
        }
    }
}

fn tail_read(store: &Store, label: &str) {
    let t = Instant::now();
    let (mut n, mut bytes) = (0u64, 0u64);
    for q in 0..8 {
        let mut off = store.min_offset("BenchTopic", q);
        let max = store.max_offset("BenchTopic", q);
        while off < max {
            let req = GetRequest {
                topic: "BenchTopic",
                queue_id: q,
                offset: off,
                max_count: 32,
                max_bytes: 256 << 10,
            };
            let g = store.get(&req, None);
            n += g.messages.len() as u64;
            bytes += g.total_bytes() as u64;
            off = g.next_begin_offset;
        }
    }
    report(&format!("tail read ({label})"), n, bytes, t.elapsed());
}

fn drop_caches() -> bool {
    std::fs::write("/proc/sys/vm/drop_caches", "1").is_ok()
}

/// Child mode: write `mb` MiB then wait to be killed.
fn child_write(dir: &Path, mb: u64) {
    let store = Store::open(StoreConfig::new(dir)).unwrap();
    let body = Bytes::from(vec![b'r'; 4096]);
    for i in 0..mb * 256 {
        store.put(message((i % 8) as i32, &body)).unwrap();
    }
    println!("DONE");
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(600));
}

fn recovery(dir: &Path) {
    fresh(dir);
    let mb = total_mb();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .arg("--child-write")
        .arg(dir)
        .arg(mb.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let gib = mb as f64 / 1024.0;
    // Worst case: no usable checkpoint, so abnormal recovery scans (and CRC-checks) everything.
    std::fs::remove_file(dir.join("checkpoint")).unwrap();
    let cold = drop_caches();
    let t = Instant::now();
    let store = Store::open(StoreConfig::new(dir)).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{:<44} {:>9.2} s/GiB  ({mb} MiB in {s:.2} s, caches dropped: {cold})",
        "recovery after SIGKILL, full scan",
        s / gib
    );
    store.shutdown().unwrap();
    drop(store);
    Store::destroy_logics(&StoreConfig::new(dir)).unwrap();
    let t = Instant::now();
    let store = Store::open(StoreConfig::new(dir)).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{:<44} {:>9.2} s/GiB  ({mb} MiB in {s:.2} s)",
        "rebuild consume queues + index",
        s / gib
    );
    store.shutdown().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child-write") {
        child_write(Path::new(&args[2]), args[3].parse().unwrap());
        return;
    }
    let root = bench_root();
    println!(
        "store bench in {} ({} MiB per run)",
        root.display(),
        total_mb()
    );
    if std::env::var("BENCH_ONLY").as_deref() == Ok("sync") {
        sync_appends(&root);
        let _ = std::fs::remove_dir_all(&root);
        return;
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("append1k") {
        async_append(&root.join("a1"), 1024).shutdown().unwrap();
        let _ = std::fs::remove_dir_all(&root);
        return;
    }
    raw_disk(&root.join("raw"));
    let s1 = async_append(&root.join("a1"), 1024);
    s1.shutdown().unwrap();
    drop(s1);
    let _ = std::fs::remove_dir_all(root.join("a1"));
    let s4 = async_append(&root.join("a4"), 4096);
    tail_read(&s4, "warm");
    s4.shutdown().unwrap();
    drop(s4);
    let cold = drop_caches();
    let s4 = Store::open(StoreConfig::new(root.join("a4"))).unwrap();
    tail_read(
        &s4,
        if cold {
            "cold, page cache dropped"
        } else {
            "after reopen, page cache not dropped"
        },
    );
    s4.shutdown().unwrap();
    drop(s4);
    let _ = std::fs::remove_dir_all(root.join("a4"));
    sync_appends(&root);
    recovery(&root.join("rec"));
    let _ = std::fs::remove_dir_all(&root);
}
