//! A server's connection count and limit, how many of its connections hold a read buffer, and
//! the list of its open connections.
//!
//! The limit has no Java counterpart (Netty accepts until the process runs out of descriptors);
//! both servers' `serverMaxConnections` key sets it. A connection beyond it is closed as soon as
//! it is accepted, before anything is allocated for it, with at most one warning per
//! [`REFUSAL_LOG_EVERY`] saying how many were refused since the last one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::Connection;

/// At most one refusal warning this often: a client retrying in a loop must not flood the log.
pub const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// The connections of one server, or of several that share one count and limit (the broker's
/// listen port and VIP port).
#[derive(Debug)]
pub struct Connections {
    /// `usize::MAX` when unlimited.
    max: usize,
    open: AtomicUsize,
    read_buffers: AtomicUsize,
    refused: AtomicU64,
    /// Refusals not yet reported by a warning.
    unreported: AtomicU64,
    /// When the last refusal warning was logged, in ms since `born` plus one (0: never).
    last_warning_ms: AtomicU64,
    born: Instant,
}

impl Default for Connections {
    fn default() -> Self {
        Connections::with_max(None)
    }
}

impl Connections {
    /// At most `max` connections open at once; `None` for no limit.
    pub fn with_max(max: Option<usize>) -> Self {
        Connections {
            max: max.unwrap_or(usize::MAX),
            open: AtomicUsize::new(0),
            read_buffers: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
            unreported: AtomicU64::new(0),
            last_warning_ms: AtomicU64::new(0),
            born: Instant::now(),
        }
    }

    /// The limit; `None` when there is none.
    pub fn max(&self) -> Option<usize> {
        (self.max != usize::MAX).then_some(self.max)
    }

    /// Connections accepted and not yet closed.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Connections that hold a read buffer now: those in the middle of receiving a frame or
    /// handling what they just read. An idle connection holds none.
    pub fn read_buffers(&self) -> usize {
        self.read_buffers.load(Ordering::SeqCst)
    }

    /// Connections closed at accept because the limit was reached.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }

    /// Counts a new connection of the server whose open connections are `live` in, unless the
    /// limit is reached.
    pub(crate) fn admit(self: &Arc<Self>, live: &Arc<Live>) -> Option<Admitted> {
        let below_max = |n: usize| (n < self.max).then_some(n + 1);
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, below_max)
            .ok()?;
        Some(Admitted {
            counts: self.clone(),
            live: live.clone(),
            id: None,
        })
    }

    /// Counts a connection closed at accept, and warns unless a warning was logged less than
    /// [`REFUSAL_LOG_EVERY`] ago.
    pub(crate) fn refuse(&self, peer: SocketAddr) {
        self.refused.fetch_add(1, Ordering::SeqCst);
        self.unreported.fetch_add(1, Ordering::SeqCst);
        let now = self.born.elapsed().as_millis() as u64 + 1;
        let last = self.last_warning_ms.load(Ordering::SeqCst);
        let every = REFUSAL_LOG_EVERY.as_millis() as u64;
        if last != 0 && now.saturating_sub(last) < every {
            return;
        }
        // One caller wins the slot; the others' refusals go into the next warning.
        let won =
            self.last_warning_ms
                .compare_exchange(last, now, Ordering::SeqCst, Ordering::SeqCst);
        if won.is_err() {
            return;
        }
        let refused = self.unreported.swap(0, Ordering::SeqCst);
        tracing::warn!(
            "connection limit reached (serverMaxConnections={}): closed the connection from {peer}; {refused} connection(s) refused since the last warning",
            self.max
        );
    }

    pub(super) fn buffer_taken(&self) {
        self.read_buffers.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn buffer_released(&self) {
        self.read_buffers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The connections a server has open, so that its shutdown can close them. A connection leaves
/// when it closes: a closed connection keeps no memory here, and its allocations go back to the
/// allocator whole instead of pinning the pages they share with live ones.
#[derive(Debug, Default)]
pub(crate) struct Live(Mutex<HashMap<u64, Connection>>);

impl Live {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Connection>> {
        // Inserts and removes are single calls; a panic elsewhere cannot leave the map torn.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes every connection still open.
    pub(crate) fn close_all(&self) {
        let all = std::mem::take(&mut *self.lock());
        for conn in all.into_values() {
            conn.close();
        }
    }
}

/// One admitted connection: counted as open, and listed in its server's [`Live`], until dropped
/// (when its reader ends).
#[derive(Debug)]
pub(crate) struct Admitted {
    counts: Arc<Connections>,
    live: Arc<Live>,
    id: Option<u64>,
}

impl Admitted {
    pub(super) fn counts(&self) -> &Connections {
        &self.counts
    }

    /// Lists `conn` in its server's open connections until this is dropped.
    pub(super) fn register(&mut self, conn: &Connection) {
        self.live.lock().insert(conn.id(), conn.clone());
        self.id = Some(conn.id());
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut live = self.live.lock();
            live.remove(&id);
            // A map emptied by a wave of closes gives its table back too.
            if live.capacity() > 64 && live.len() < live.capacity() / 4 {
                live.shrink_to_fit();
            }
        }
        self.counts.open.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit() {
        let (counts, live) = (Arc::new(Connections::with_max(Some(2))), Arc::default());
        let a = counts.admit(&live).unwrap();
        let b = counts.admit(&live).unwrap();
        assert!(counts.admit(&live).is_none());
        assert_eq!(counts.open(), 2);
        drop(a);
        assert_eq!(counts.open(), 1);
        let _c = counts.admit(&live).unwrap();
        assert!(counts.admit(&live).is_none());
        drop(b);
        assert_eq!((counts.open(), counts.max()), (1, Some(2)));
    }

    #[test]
    fn unlimited_has_no_max() {
        let (counts, live) = (Arc::new(Connections::default()), Arc::default());
        let all: Vec<_> = (0..1000).map(|_| counts.admit(&live).unwrap()).collect();
        assert_eq!((counts.open(), counts.max()), (all.len(), None));
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_are_warned_at_most_once_per_period() {
        let counts = Connections::with_max(Some(0));
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        for _ in 0..5 {
            counts.refuse(peer);
        }
        assert_eq!(counts.refused(), 5);
        // The first was reported at once; the other four wait for the next warning.
        assert_eq!(counts.unreported.load(Ordering::SeqCst), 4);
        tokio::time::advance(REFUSAL_LOG_EVERY).await;
        counts.refuse(peer);
        assert_eq!(counts.unreported.load(Ordering::SeqCst), 0);
        assert_eq!(counts.refused(), 6);
    }
}
