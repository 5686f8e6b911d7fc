//! A server's connection count, how many of its connections hold a read buffer, and the list
//! of its open connections.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::Connection;

/// The connections of one server, or of several that share one count (the broker's listen port
/// and VIP port).
#[derive(Debug, Default)]
pub struct Connections {
    open: AtomicUsize,
    read_buffers: AtomicUsize,
}

impl Connections {
    /// Connections accepted and not yet closed.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Connections that hold a read buffer now: those in the middle of receiving a frame or
    /// handling what they just read. An idle connection holds none.
    pub fn read_buffers(&self) -> usize {
        self.read_buffers.load(Ordering::SeqCst)
    }

    /// Counts a new connection of the server whose open connections are `live` in.
    pub(crate) fn admit(self: &Arc<Self>, live: &Arc<Live>) -> Admitted {
        self.open.fetch_add(1, Ordering::SeqCst);
        Admitted {
            counts: self.clone(),
            live: live.clone(),
            id: None,
        }
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
