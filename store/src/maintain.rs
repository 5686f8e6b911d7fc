//! Maintenance the broker runs when an operator asks (Java `DefaultMessageStore`,
//! `ConsumeQueueStore`, `CommitLog`): dropping consume queues whose messages the CommitLog no
//! longer holds (`cleanExpiredConsumerQueue`), dropping the queues of topics the broker no longer
//! knows (`cleanUnusedTopic`), the CommitLog's read-ahead mode, and the space of the store's
//! filesystem.

use std::path::Path;
use std::sync::atomic::Ordering;

use tracing::{info, warn};

use crate::error::{Result, StoreError};
pub use crate::mmap::DiskSpace;
use crate::store::Store;

impl Store {
    /// Java `cleanExpiredConsumerQueue`: every queue of a topic that is not a system topic
    /// (`is_system`) whose last message ends below the CommitLog's first offset is deleted: its
    /// directory goes, the topic's directory stays. A queue without messages is kept (Java: "maybe
    /// created just now"). Returns the (topic, queue id) pairs deleted.
    pub fn clean_expired_queues(
        &self,
        is_system: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, i32)>> {
        let inner = &self.inner;
        let _guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        let cl_min = inner.commitlog.min_offset() as i64;
        let mut doomed = Vec::new();
        {
            let mut t = inner.queues.write().unwrap_or_else(|e| e.into_inner());
            for (topic, queues) in t.iter_mut().filter(|(topic, _)| !is_system(topic)) {
                queues.retain(|id, q| {
                    let last = q.max_physic_offset();
                    if last == -1 {
                        warn!(
                            topic,
                            queue = id,
                            "consume queue without messages kept (maybe created just now)"
                        );
                        return true;
                    }
                    if last >= cl_min {
                        return true;
                    }
                    info!(
                        topic,
                        queue = id,
                        cl_min,
                        last,
                        "consume queue expired: deleted"
                    );
                    doomed.push((topic.clone(), *id, q.segs.dir().to_path_buf()));
                    false
                });
            }
            t.retain(|_, queues| !queues.is_empty());
        }
        for (_, _, dir) in &doomed {
            remove_dir(dir)?;
        }
        if !doomed.is_empty() {
            crate::segments::sync_dir(&inner.paths.consume_queue_root())?;
        }
        Ok(doomed.into_iter().map(|(t, q, _)| (t, q)).collect())
    }

    /// Java `cleanUnusedTopic`: the consume queues of every topic with queues here that `keep`
    /// rejects and that is not a system topic are deleted, with the topic's directory (see
    /// [`Store::delete_topic`]). Returns the topics deleted.
    pub fn clean_unused_topics(
        &self,
        keep: impl Fn(&str) -> bool,
        is_system: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>> {
        let topics: Vec<String> = {
            let t = self.inner.queues.read().unwrap_or_else(|e| e.into_inner());
            t.keys()
                .filter(|topic| !keep(topic) && !is_system(topic))
                .cloned()
                .collect()
        };
        for topic in &topics {
            info!(topic, "unused topic: consume queues deleted");
            self.delete_topic(topic)?;
        }
        Ok(topics)
    }

    /// Java `CommitLog.scanFileAndSetReadMode` with `dataReadAheadEnable` set to match: every
    /// CommitLog segment, and those created from now on, read ahead (the kernel's default) or
    /// not (`MADV_RANDOM`).
    pub fn set_commitlog_read_ahead(&self, enabled: bool) {
        let mut next = (*self.config()).clone();
        next.data_read_ahead_enable = enabled;
        self.update_config(&next);
        self.inner.commitlog.set_read_ahead(enabled);
    }

    /// Whether new CommitLog segments read ahead (`dataReadAheadEnable`).
    pub fn commitlog_read_ahead(&self) -> bool {
        self.inner.commitlog.read_ahead.load(Ordering::Acquire)
    }

    /// Total, free and usable bytes of the filesystem holding `storePathRootDir`.
    pub fn disk_space(&self) -> Option<DiskSpace> {
        crate::mmap::disk_space(&self.inner.paths.root)
    }
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("delete", dir)(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::testutil::TempDir;
    use crate::{NewMessage, Store, StoreConfig};

    fn open(dir: &TempDir) -> Store {
        let mut cfg = StoreConfig::new(dir.path()).with_small_files(4096, 64, 64, 256);
        cfg.file_reserved_time_hours = 0;
        Store::open(cfg).unwrap()
    }

    fn msg(topic: &str, queue_id: i32, body: &[u8]) -> NewMessage {
        NewMessage {
            topic: topic.into(),
            queue_id,
            flag: 0,
            body: bytes::Bytes::copy_from_slice(body),
            properties: String::new(),
            sys_flag: 0,
            born_timestamp: 0,
            born_host: "127.0.0.1:1".parse().unwrap(),
            store_host: "127.0.0.1:2".parse().unwrap(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        }
    }

    fn system(topic: &str) -> bool {
        topic.starts_with("rmq_sys_")
    }

    #[test]
    fn expired_queues_go_when_the_commitlog_moved_past_them() {
        let dir = TempDir::new("maintain-expired");
        let store = open(&dir);
        for _ in 0..20 {
            store.put(msg("Old", 0, &[b'x'; 800])).unwrap();
        }
        store.put(msg("rmq_sys_x", 0, b"s")).unwrap();
        // Enough to open a segment of its own after Old's last.
        for _ in 0..5 {
            store.put(msg("New", 1, &[b'n'; 800])).unwrap();
        }
        let root = dir.path().join("consumequeue");
        assert!(store.clean_expired_queues(system).unwrap().is_empty());
        store.clean_now(true, None).unwrap();
        assert!(store.commitlog_offsets().0 > 0, "old segments deleted");
        let gone = store.clean_expired_queues(system).unwrap();
        assert_eq!(gone, vec![("Old".to_string(), 0)]);
        assert!(!root.join("Old/0").exists());
        assert!(root.join("Old").exists(), "Java keeps the topic directory");
        assert!(root.join("New/1").exists());
        assert!(
            root.join("rmq_sys_x/0").exists(),
            "system topics are never cleaned"
        );
        assert_eq!(store.max_offset("Old", 0), 0);
        store.put(msg("Old", 0, b"again")).unwrap();
        assert_eq!(store.max_offset("Old", 0), 1, "the queue starts over");
    }

    #[test]
    fn unused_topics_lose_their_queues_system_topics_stay() {
        let dir = TempDir::new("maintain-unused");
        let store = open(&dir);
        for t in ["Keep", "Drop", "rmq_sys_x"] {
            store.put(msg(t, 0, b"m")).unwrap();
        }
        let gone = store.clean_unused_topics(|t| t == "Keep", system).unwrap();
        assert_eq!(gone, vec!["Drop".to_string()]);
        let root = dir.path().join("consumequeue");
        assert!(!root.join("Drop").exists());
        assert!(root.join("Keep/0").exists() && root.join("rmq_sys_x/0").exists());
    }

    /// Read-ahead of each CommitLog segment, oldest first.
    fn read_ahead(store: &Store) -> Vec<bool> {
        let segs = store.inner.commitlog.segs.snapshot();
        segs.iter().map(|s| s.file.reads_ahead()).collect()
    }

    #[test]
    fn sync_flush_writes_without_read_ahead_and_gives_it_back_when_full() {
        let dir = TempDir::new("maintain-sync-readahead");
        let mut cfg = StoreConfig::new(dir.path()).with_small_files(4096, 64, 64, 256);
        cfg.flush_disk_type = crate::FlushDiskType::Sync;
        let store = Store::open(cfg.clone()).unwrap();
        store.put(msg("T", 0, b"m")).unwrap();
        assert_eq!(read_ahead(&store), [false]);
        while read_ahead(&store).len() < 3 {
            store.put(msg("T", 0, &[b'y'; 800])).unwrap();
        }
        assert_eq!(read_ahead(&store), [true, true, false]);
        // dataReadAheadEnable=false: none reads ahead, the one being written included.
        store.set_commitlog_read_ahead(false);
        assert_eq!(read_ahead(&store), [false, false, false]);
        store.set_commitlog_read_ahead(true);
        assert_eq!(read_ahead(&store), [true, true, false]);
        store.shutdown().unwrap();
        drop(store);
        // Reopened: the last segment is the one written next.
        let store = Store::open(cfg).unwrap();
        assert_eq!(read_ahead(&store), [true, true, false]);
        // ASYNC_FLUSH keeps the kernel's read-ahead everywhere.
        let dir = TempDir::new("maintain-async-readahead");
        let store = open(&dir);
        while read_ahead(&store).len() < 2 {
            store.put(msg("T", 0, &[b'y'; 800])).unwrap();
        }
        assert_eq!(read_ahead(&store), [true, true]);
    }

    #[test]
    fn read_ahead_mode_follows_the_request() {
        let dir = TempDir::new("maintain-readahead");
        let store = open(&dir);
        store.put(msg("T", 0, b"m")).unwrap();
        assert!(store.commitlog_read_ahead());
        store.set_commitlog_read_ahead(false);
        assert!(!store.config().data_read_ahead_enable);
        assert!(!store.commitlog_read_ahead());
        for _ in 0..10 {
            store.put(msg("T", 0, &[b'y'; 800])).unwrap();
        }
        assert!(store.disk_space().is_some_and(|d| d.total > 0));
    }
}
