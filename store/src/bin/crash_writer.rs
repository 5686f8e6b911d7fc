//! Crash-test writer: opens a store with SYNC_FLUSH and appends messages from several threads
//! until killed, printing `ACK <queue> <queueOffset> <physicalOffset>` for each message only after
//! it is durable. Used by `tests/crash.rs`, which SIGKILLs it at random moments.
//!
//! Usage: `store-crash-writer <store-dir>`

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use store::{FlushDiskType, NewMessage, Store, StoreConfig};

/// Body of the message at `offset` of `queue`: deterministic so the test can check it.
fn body(queue: i32, offset: i64) -> Vec<u8> {
    let len = 50 + (offset as usize * 37 + queue as usize * 11) % 900;
    let head = format!("q{queue}-o{offset}-");
    let mut b = head.into_bytes();
    while b.len() < len {
        b.push(b'a' + ((b.len() as i64 + offset) % 26) as u8);
    }
    b
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: store-crash-writer <store-dir>");
        std::process::exit(2);
    };
    let mut cfg = StoreConfig::new(dir).with_small_files(256 * 1024, 1000, 256, 4000);
    cfg.flush_disk_type = FlushDiskType::Sync;
    let store = match Store::open(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("open failed: {e}");
            std::process::exit(1);
        }
    };
    let out = Arc::new(Mutex::new(std::io::stdout()));
    println!("READY");
    let threads: Vec<_> = (0..4)
        .map(|q| {
            let (store, out) = (store.clone(), Arc::clone(&out));
            std::thread::spawn(move || loop {
                let next = store.max_offset("Crash", q);
                let msg = NewMessage {
                    topic: "Crash".into(),
                    queue_id: q,
                    flag: 0,
                    body: Bytes::from(body(q, next)),
                    properties: format!("KEYS\u{1}q{q}o{next}\u{2}TAGS\u{1}T{q}\u{2}"),
                    sys_flag: 0,
                    born_timestamp: 0,
                    born_host: "127.0.0.1:1".parse().expect("addr"),
                    store_host: "127.0.0.1:10911".parse().expect("addr"),
                    reconsume_times: 0,
                    prepared_transaction_offset: 0,
                };
                let r = match store.put(msg) {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("put failed: {e}");
                        std::process::exit(1);
                    }
                };
                let p = r.first();
                if let Err(e) = r.durability.wait_blocking() {
                    eprintln!("flush failed: {e}");
                    std::process::exit(1);
                }
                let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(o, "ACK {q} {} {}", p.queue_offset, p.physical_offset);
                let _ = o.flush();
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}
