//! Crash-test writer: opens a store with SYNC_FLUSH and appends messages from several threads
//! until killed, printing `ACK <queue> <queueOffset> <physicalOffset>` for each message only after
//! it is durable. Used by `tests/crash.rs`, which SIGKILLs it at random moments.
//!
//! With `confirm` (controller mode, `DispatchLimit::Confirmed`) it appends 100 messages to queue
//! 0 of `Crash`, confirms the first 60, prints `CONFIRMED <offset>` and waits to be killed.
//!
//! Usage: `store-crash-writer <store-dir> [confirm]`

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use store::{DispatchLimit, FlushDiskType, NewMessage, Store, StoreConfig};

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

/// The message at `offset` of `queue` (its body from [`body`]).
fn message(queue: i32, offset: i64) -> NewMessage {
    NewMessage {
        topic: "Crash".into(),
        queue_id: queue,
        flag: 0,
        body: Bytes::from(body(queue, offset)),
        properties: format!("KEYS\u{1}q{queue}o{offset}\u{2}TAGS\u{1}T{queue}\u{2}"),
        sys_flag: 0,
        born_timestamp: 0,
        born_host: "127.0.0.1:1".parse().expect("addr"),
        store_host: "127.0.0.1:10911".parse().expect("addr"),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn open(cfg: StoreConfig) -> Store {
    match Store::open(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("open failed: {e}");
            std::process::exit(1);
        }
    }
}

/// `confirm` mode: 100 messages, the first 60 confirmed, then wait for the kill.
fn confirm_then_wait(mut cfg: StoreConfig) -> ! {
    cfg.dispatch_limit = DispatchLimit::Confirmed;
    let store = open(cfg);
    println!("READY");
    let mut confirmed = 0;
    for i in 0..100 {
        let p = match store.put(message(0, i)) {
            Ok(r) => r.first(),
            Err(e) => {
                eprintln!("put failed: {e}");
                std::process::exit(1);
            }
        };
        if i == 59 {
            confirmed = p.physical_offset + i64::from(p.size);
        }
    }
    if let Err(e) = store.set_confirm_offset(Some(confirmed)) {
        eprintln!("confirm failed: {e}");
        std::process::exit(1);
    }
    println!("CONFIRMED {confirmed}");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: store-crash-writer <store-dir> [confirm]");
        std::process::exit(2);
    };
    let mut cfg = StoreConfig::new(dir).with_small_files(256 * 1024, 1000, 256, 4000);
    if std::env::args().nth(2).as_deref() == Some("confirm") {
        confirm_then_wait(cfg);
    }
    cfg.flush_disk_type = FlushDiskType::Sync;
    let store = open(cfg);
    let out = Arc::new(Mutex::new(std::io::stdout()));
    println!("READY");
    let threads: Vec<_> = (0..4)
        .map(|q| {
            let (store, out) = (store.clone(), Arc::clone(&out));
            std::thread::spawn(move || loop {
                let next = store.max_offset("Crash", q);
                let msg = message(q, next);
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
