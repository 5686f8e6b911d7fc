//! Free loopback ports for the servers a test starts.
//!
//! A Java broker listens on `listenPort`, on the fast port `listenPort - 2` and on the HA port
//! (`haListenPort`, set to `listenPort + 1`), so broker ports are picked as a free triple.
//! Ports handed out are remembered so two fixtures of one test process never get the same one.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());

fn bindable(port: u16) -> bool {
    // Java binds the HA port on all interfaces, so check both.
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
        && TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

fn pick(offsets: &[i32]) -> u16 {
    let mut taken = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let used: HashSet<u16> = taken.iter().copied().collect();
    for _ in 0..1000 {
        let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)) else {
            continue;
        };
        let Ok(addr) = listener.local_addr() else {
            continue;
        };
        drop(listener);
        let base = i32::from(addr.port());
        let ports: Option<Vec<u16>> = offsets
            .iter()
            .map(|o| u16::try_from(base + o).ok())
            .collect();
        let Some(ports) = ports else { continue };
        if ports
            .iter()
            .all(|p| *p > 1024 && !used.contains(p) && bindable(*p))
        {
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
