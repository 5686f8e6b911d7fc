//! Test helpers shared by the crates' tests.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Ports for servers whose address must be known before they start (a Raft group's peer list).
/// They are picked from 14000-19999: below Linux's ephemeral range (32768-60999), where a port
/// seen free could become some client's local port before the server binds it, and below the
/// compat scenarios' 20000-31999, which run beside the unit tests.
pub fn free_port() -> u16 {
    const FIRST: u32 = 14_000;
    const SPAN: u32 = 6_000;
    static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut taken = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let taken = taken.get_or_insert_with(HashSet::new);
    // Each test process starts somewhere else, so processes side by side rarely probe the same
    // ports; a port another process holds is not bindable and is skipped.
    let start = std::process::id().wrapping_mul(7919);
    for _ in 0..SPAN {
        let n = start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed));
        let port = (FIRST + n % SPAN) as u16;
        if !taken.contains(&port) && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            taken.insert(port);
            return port;
        }
    }
    panic!("no free loopback port in {FIRST}-{}", FIRST + SPAN - 1)
}
