//! The frames a connection has yet to write. A queue that holds no memory while it is empty: a
//! bounded channel allocates its first block of slots (32 commands, ~5 KiB) when it is created,
//! which every idle connection would keep for its whole life.
//!
//! Senders take a permit of `room` before queueing, so at most the capacity is queued and a
//! sender waits while the writer is behind (back-pressure, as a bounded channel gives). The writer
//! returns the permit of each frame it takes.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::{Notify, Semaphore};

use crate::command::Command;

/// The queue is closed: the connection is gone.
#[derive(Debug)]
pub(super) struct Closed;

pub(super) struct WriteQueue {
    /// Held only to push or pop one frame; never across an await.
    frames: Mutex<VecDeque<Command>>,
    /// Wakes the writer; a notification sent while it is busy is kept for its next wait.
    queued: Notify,
    room: Semaphore,
}

impl WriteQueue {
    pub(super) fn new(capacity: usize) -> Self {
        WriteQueue {
            frames: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            room: Semaphore::new(capacity),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Command>> {
        // A panic while holding the lock cannot leave the deque half-updated.
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `cmd`, waiting for room while the queue is full.
    pub(super) async fn push(&self, cmd: Command) -> Result<(), Closed> {
        self.room.acquire().await.map_err(|_| Closed)?.forget();
        self.lock().push_back(cmd);
        self.queued.notify_one();
        Ok(())
    }

    /// The oldest queued frame, if any.
    pub(super) fn pop(&self) -> Option<Command> {
        let cmd = self.lock().pop_front()?;
        self.room.add_permits(1);
        Some(cmd)
    }

    /// Waits until a frame may have been queued since the last call.
    pub(super) async fn queued(&self) {
        self.queued.notified().await;
    }

    /// Gives the slots of a drained queue back to the allocator, so a connection between bursts
    /// holds none.
    pub(super) fn release_if_empty(&self) {
        let mut frames = self.lock();
        if frames.is_empty() && frames.capacity() > 0 {
            *frames = VecDeque::new();
        }
    }

    /// Fails waiting and later senders, drops what is queued and wakes the writer.
    pub(super) fn close(&self) {
        self.room.close();
        let dropped = std::mem::take(&mut *self.lock());
        drop(dropped);
        self.queued.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::poll;

    use super::*;

    fn cmd(opaque: i32) -> Command {
        let mut c = Command::request(1);
        c.opaque = opaque;
        c
    }

    #[tokio::test]
    async fn frames_leave_in_order_and_a_full_queue_waits() {
        let q = WriteQueue::new(2);
        q.push(cmd(1)).await.unwrap();
        q.push(cmd(2)).await.unwrap();
        let mut third = std::pin::pin!(q.push(cmd(3)));
        assert!(
            poll!(&mut third).is_pending(),
            "a full queue makes the sender wait"
        );
        assert_eq!(q.pop().map(|c| c.opaque), Some(1));
        third.await.unwrap();
        assert_eq!(q.pop().map(|c| c.opaque), Some(2));
        assert_eq!(q.pop().map(|c| c.opaque), Some(3));
        assert!(q.pop().is_none());
    }

    #[tokio::test]
    async fn a_drained_queue_holds_no_slots() {
        let q = WriteQueue::new(8);
        q.push(cmd(1)).await.unwrap();
        q.release_if_empty();
        assert!(q.lock().capacity() > 0, "a queue with a frame keeps it");
        q.pop();
        q.release_if_empty();
        assert_eq!(q.lock().capacity(), 0);
    }

    #[tokio::test]
    async fn close_fails_waiting_senders() {
        let q = WriteQueue::new(1);
        q.push(cmd(1)).await.unwrap();
        let mut waiting = std::pin::pin!(q.push(cmd(2)));
        assert!(poll!(&mut waiting).is_pending());
        q.close();
        assert!(waiting.await.is_err());
        assert!(q.pop().is_none(), "queued frames are dropped");
        assert!(q.push(cmd(3)).await.is_err());
    }

    #[tokio::test]
    async fn a_push_before_the_wait_is_not_lost() {
        let q = WriteQueue::new(4);
        q.push(cmd(1)).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), q.queued())
            .await
            .expect("the notification was kept");
    }
}
