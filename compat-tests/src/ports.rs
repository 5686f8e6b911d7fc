//! Free loopback ports for the servers a test starts.
//!
//! A Java broker listens on `listenPort`, on the fast port `listenPort - 2` and on the HA port
//! (`haListenPort`, set to `listenPort + 1`), so broker ports are picked as a free triple.
//! Ports handed out are remembered so two fixtures of one test process never get the same one.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());

fn bindable(port: u16) -> bool {
    // Java binds the HA port on all interfaces, so check both.
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
        && TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

/// Ports are taken below Linux's default ephemeral range (32768-60999): a port picked from that
/// range could be taken as the local port of some client's outgoing connection between the pick
/// and the server's bind (seen with a Java slave's HA port, bound late).
const FIRST: u16 = 20_000;
const SPAN: u16 = 12_000;
/// Candidates are this far apart, so one pick's triple never overlaps the next candidate's.
const STEP: u32 = 4;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn pick(offsets: &[i32]) -> u16 {
    let mut taken = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let used: HashSet<u16> = taken.iter().copied().collect();
    // Each test process starts somewhere else in the span, so two runs side by side rarely probe
    // the same ports (and `bindable` skips the ones the other holds).
    let start = std::process::id().wrapping_mul(7919);
    for _ in 0..u32::from(SPAN) / STEP {
        let n = start.wrapping_add(NEXT.fetch_add(STEP, Ordering::Relaxed));
        let base = i32::from(FIRST) + 2 + (n % u32::from(SPAN - 4)) as i32;
        let ports: Option<Vec<u16>> = offsets
            .iter()
            .map(|o| u16::try_from(base + o).ok())
            .collect();
        let Some(ports) = ports else { continue };
        if ports.iter().all(|p| !used.contains(p) && bindable(*p)) {
            taken.extend(&ports);
            return ports[0];
        }
    }
    panic!("no free loopback port found")
}

/// A free port for a NameServer.
pub fn free_port() -> u16 {
    pick(&[0])
}

/// A free `listenPort` for a broker whose `listenPort - 2` and `listenPort + 1` are free too.
pub fn free_broker_port() -> u16 {
    pick(&[0, -2, 1])
}
