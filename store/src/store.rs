//! [`Store`]: open a store directory, put messages, shut down. Reads are in `read.rs`,
//! background threads in `flush.rs` and `clean.rs`, startup recovery in `recovery.rs`.
//!
//! Locks, in the order they may be taken:
//! 1. `append` — the append lock. Held while a put assigns queue offsets, encodes into the
//!    CommitLog mapping, appends consume-queue units and index entries, and publishes the new
//!    offsets. Never held across msync/fsync; it may create a segment file (once per segment).
//! 2. `queues` — the topic/queue table (`RwLock`), held only to look up or insert a queue.
//! 3. segment lists (`RwLock` inside each `SegmentQueue`), held only to clone an `Arc`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use foldhash::fast::RandomState as FastHash;
use tracing::{info, warn};

use crate::checkpoint::Checkpoint;
use crate::commitlog::CommitLog;
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue::ConsumeQueue;
use crate::decode::DelayLevels;
use crate::dispatch::DispatchProps;
use crate::error::{Result, StoreError};
use crate::flush::{Durability, FlushState};
use crate::index::IndexService;
use crate::layout::{now_ms, StorePaths};
use crate::message::{crc32, encode, record_len, sysflag, NewMessage, Placement};
use crate::props::DispatchSpans;
use crate::segments::{DirSync, SegmentQueue};

/// Refuse store flavours this crate cannot take over (storage spec §1.4, §10.1): their data
/// would be invisible to us, and writing a plain CommitLog beside it would fork the store.
fn refuse_unsupported(paths: &StorePaths) -> Result<()> {
    let refuse = |path: PathBuf, what: &str| {
        Err(StoreError::Format {
            path,
            reason: format!("{what} is not supported"),
        })
    };
    if paths.commitlog.to_string_lossy().contains(',') {
        return refuse(paths.commitlog.clone(), "a multi-path storePathCommitLog");
    }
    let cq_root = paths.consume_queue_root();
    if cq_root.join("CURRENT").exists() {
        return refuse(
            cq_root,
            "a RocksDB consume queue (storeType=defaultRocksDB)",
        );
    }
    if let Ok(entries) = std::fs::read_dir(&paths.root) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("dledger-") && e.path().is_dir() {
                return refuse(e.path(), "a DLedger CommitLog (enableDLegerCommitLog)");
            }
        }
    }
    let batch = paths.root.join("batchconsumequeue");
    if batch.is_dir() {
        warn!(path = %batch.display(), "batch consume queues (queue.type=BatchCQ) are ignored");
    }
    Ok(())
}

/// What a put works out for each message before it takes the append lock.
struct Prepared<'a> {
    /// The record's length.
    len: usize,
    /// Whether the record is in the v2 (IPv6 host) form.
    v2: bool,
    body_crc: i32,
    props: DispatchProps<'a>,
}

/// A batch being encoded into the CommitLog.
struct Block<'a> {
    msgs: &'a [NewMessage],
    prepared: &'a [Prepared<'a>],
    store_ts: i64,
}

impl Block<'_> {
    /// Encode every record into `buf` (which starts at physical offset `base`), assigning queue
    /// offsets from `next_qo` to the records that take one.
    fn encode(&self, buf: &mut [u8], base: u64, mut next_qo: i64) -> Vec<Placed> {
        let mut placed = Vec::with_capacity(self.msgs.len());
        let mut pos = 0usize;
        for (m, prep) in self.msgs.iter().zip(self.prepared) {
            let takes = sysflag::takes_queue_offset(m.sys_flag);
            let len = prep.len;
            let p = Placement {
                queue_offset: if takes { next_qo } else { 0 },
                physical_offset: (base + pos as u64) as i64,
                store_timestamp: self.store_ts,
                body_crc: prep.body_crc,
            };
            encode(&mut buf[pos..pos + len], m, prep.v2, &p);
            placed.push(Placed {
                physical_offset: p.physical_offset,
                queue_offset: p.queue_offset,
                size: len as i32,
            });
            next_qo += i64::from(takes);
            pos += len;
        }
        placed
    }
}

/// Topic → queue id → consume queue. foldhash (seeded per process) rather than SipHash: every
/// put and pull looks up its queue here, and SipHash of a topic and an id was a tenth of the
/// store's share of a send.
pub(crate) type QueueTable = HashMap<String, TopicQueues, FastHash>;
pub(crate) type TopicQueues = HashMap<i32, Arc<ConsumeQueue>, FastHash>;

pub(crate) struct Inner {
    /// The settings in force: replaced whole by [`Store::update_config`], read through
    /// [`Inner::cfg`] at each use so an update acts at once.
    config: RwLock<Arc<StoreConfig>>,
    pub paths: StorePaths,
    pub delays: DelayLevels,
    pub commitlog: CommitLog,
    pub queues: RwLock<QueueTable>,
    pub index: Option<IndexService>,
    pub checkpoint: Checkpoint,
    /// The append lock (see module doc); guards no data of its own besides serialising writers.
    pub append: Mutex<()>,
    pub flush: FlushState,
    /// Store time of the last appended record; written after `commitlog.max_offset` moves, so a
    /// reader that loads this first and the offset second never pairs a time with data not yet
    /// covered by the offset.
    pub last_store_ts: AtomicI64,
    /// End of the CommitLog data dispatched to consume queues and index (append lock holders
    /// only): the records after it wait for the dispatch limit (`reput.rs`), or are partly
    /// received from a master.
    pub dispatched_end: AtomicU64,
    /// `StoreConfig::dispatch_limit` at open.
    pub limit: crate::config::DispatchLimit,
    /// `DispatchLimit::Confirmed`: the confirm offset, or `reput::FOLLOW_END` (written under the
    /// append lock).
    pub confirm: AtomicU64,
    pub disk_full: AtomicBool,
    /// When a put refused for want of disk space was last logged (ms).
    pub disk_full_logged_ms: AtomicI64,
    /// Manual clean-up rounds requested (`DELETE_EXPIRED_COMMITLOG` asks for 20).
    pub manual_clean_rounds: AtomicU32,
    pub running: AtomicBool,
    /// Set by the residency tests, which call the release functions themselves: the store's
    /// releaser thread then skips its rounds, so what a test counts is what its own call did.
    #[cfg(test)]
    pub(crate) releaser_paused: AtomicBool,
    /// `StoreConfig::replica` at open, then [`Store::set_replica`] (controller mode switches
    /// roles at runtime): puts are refused.
    pub replica: AtomicBool,
    pub total_memory: u64,
    /// Put and get statistics (Java `StoreStatsService`).
    pub stats: crate::stats::StoreStats,
    /// Holds the fcntl lock on `<root>/lock`; released at shutdown.
    lock_file: Mutex<Option<File>>,
}

impl Inner {
    /// The settings in force (a snapshot).
    pub fn cfg(&self) -> Arc<StoreConfig> {
        Arc::clone(&self.config.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Every consume queue, taken out of the table so no lock is held while working on them.
    pub(crate) fn all_queues(&self) -> Vec<Arc<ConsumeQueue>> {
        let t = self.queues.read().unwrap_or_else(|e| e.into_inner());
        t.values().flat_map(|m| m.values().cloned()).collect()
    }
}

/// Where one stored record landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub physical_offset: i64,
    pub queue_offset: i64,
    pub size: i32,
}

/// Result of a put: the placements, the store time, and a handle to wait for durability.
#[derive(Debug)]
pub struct PutResult {
    pub records: Vec<Placed>,
    pub store_timestamp: i64,
    /// Resolves when the records are on disk (immediately under ASYNC_FLUSH).
    pub durability: Durability,
}

impl PutResult {
    /// First record (the only one for a single put).
    pub fn first(&self) -> Placed {
        self.records[0]
    }
}

/// The message store. Cheap to clone; all clones share one store.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// Owned only by `Store` handles: background threads stop when the last handle is dropped.
    _alive: Arc<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.inner.paths.root)
            .finish()
    }
}

fn take_lock(paths: &StorePaths) -> Result<File> {
    let p = paths.lock();
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&p)
        .map_err(StoreError::io("open", &p))?;
    if !crate::mmap::try_lock_byte0(&f).map_err(StoreError::io("lock", &p))? {
        return Err(StoreError::Locked(p));
    }
    // DefaultMessageStore.start writes "lock" and forces it.
    f.write_all(b"lock")
        .and_then(|()| f.sync_all())
        .map_err(StoreError::io("write", &p))?;
    Ok(f)
}

impl Store {
    /// Open (or create) the store at `cfg.store_path_root_dir`: take the lock, load and recover
    /// everything, create `abort`, start the flush and clean-up threads.
    pub fn open(cfg: StoreConfig) -> Result<Store> {
        let paths = StorePaths::new(
            &cfg.store_path_root_dir,
            cfg.store_path_commit_log.as_deref(),
        );
        std::fs::create_dir_all(&paths.root)
            .map_err(StoreError::io("create directory", &paths.root))?;
        let lock_file = take_lock(&paths)?;
        refuse_unsupported(&paths)?;
        let last_exit_ok = !paths.abort().exists();
        let delays =
            DelayLevels::parse(&cfg.message_delay_level).map_err(|e| StoreError::Format {
                path: paths.root.clone(),
                reason: e,
            })?;
        let commitlog = CommitLog::new(
            SegmentQueue::load(
                &paths.commitlog,
                cfg.mapped_file_size_commit_log,
                crate::commitlog::RESERVE_AHEAD as u64,
                true,
                DirSync::Immediate,
            )?,
            cfg.data_read_ahead_enable,
            cfg.flush_disk_type.is_sync(),
            cfg.commit_log_resident_window,
        );
        let (queues, full_rescan) = crate::recovery::load_queues(&cfg, &paths)?;
        let checkpoint = Checkpoint::open(&paths.checkpoint())?;
        let index = if cfg.message_index_enable {
            let ts = checkpoint.get().index_msg_timestamp;
            Some(IndexService::load(
                &paths.index_dir(),
                cfg.max_hash_slot_num,
                cfg.max_index_num,
                last_exit_ok,
                ts,
            )?)
        } else {
            None
        };
        let cfg_replica = cfg.replica;
        let limit = cfg.dispatch_limit;
        let inner = Arc::new(Inner {
            flush: FlushState::new(cfg.sync_flush_timeout),
            config: RwLock::new(Arc::new(cfg)),
            paths,
            delays,
            commitlog,
            queues: RwLock::new(queues),
            index,
            checkpoint,
            append: Mutex::new(()),
            last_store_ts: AtomicI64::new(0),
            dispatched_end: AtomicU64::new(0),
            limit,
            confirm: AtomicU64::new(crate::reput::FOLLOW_END),
            disk_full: AtomicBool::new(false),
            disk_full_logged_ms: AtomicI64::new(0),
            manual_clean_rounds: AtomicU32::new(0),
            running: AtomicBool::new(true),
            #[cfg(test)]
            releaser_paused: AtomicBool::new(false),
            replica: AtomicBool::new(cfg_replica),
            total_memory: crate::mmap::total_physical_memory(),
            stats: crate::stats::StoreStats::default(),
            lock_file: Mutex::new(Some(lock_file)),
        });
        crate::recovery::recover(&inner, last_exit_ok, full_rescan)?;
        crate::reput::reassign_queue_offsets(&inner);
        std::fs::write(inner.paths.abort(), std::process::id().to_string())
            .map_err(StoreError::io("create", inner.paths.abort()))?;
        crate::segments::sync_dir(&inner.paths.root)?;
        let alive = Arc::new(());
        let threads = vec![
            crate::flush::spawn_commitlog_flusher(&inner, Arc::downgrade(&alive))?,
            crate::flush::spawn_logics_flusher(&inner, Arc::downgrade(&alive))?,
            crate::flush::spawn_releaser(&inner, Arc::downgrade(&alive))?,
            crate::clean::spawn_cleaner(&inner, Arc::downgrade(&alive))?,
            crate::flush::spawn_loop("store-stats", &inner, Arc::downgrade(&alive), |inner| {
                crate::stats::sampler_step(&inner.stats)
            })?,
        ];
        info!(root = %inner.paths.root.display(), last_exit_ok, max_offset = inner.commitlog.max_offset(), "store opened");
        Ok(Store {
            inner,
            threads: Arc::new(Mutex::new(threads)),
            _alive: alive,
        })
    }

    /// Delete `consumequeue/` and `index/` of a store that is not running, so that the next
    /// [`Store::open`] rebuilds both from the CommitLog (normal recovery re-dispatches every
    /// record when no consume queue exists).
    pub fn destroy_logics(cfg: &StoreConfig) -> Result<()> {
        let paths = StorePaths::new(
            &cfg.store_path_root_dir,
            cfg.store_path_commit_log.as_deref(),
        );
        let _lock = take_lock(&paths)?;
        for dir in [paths.consume_queue_root(), paths.index_dir()] {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(StoreError::io("delete", &dir))?;
            }
        }
        Ok(())
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<StoreConfig> {
        self.inner.cfg()
    }

    /// Applies the settings of `next` that the store reads on every use
    /// ([`StoreConfig::with_live_settings`]); the others keep the values the store opened with.
    pub fn update_config(&self, next: &StoreConfig) {
        let mut slot = self.inner.config.write().unwrap_or_else(|e| e.into_inner());
        *slot = Arc::new(slot.with_live_settings(next));
        // Java reads dataReadAheadEnable when it creates a CommitLog file.
        self.inner
            .commitlog
            .read_ahead
            .store(slot.data_read_ahead_enable, Ordering::Release);
    }

    /// Put and get statistics (Java `StoreStatsService`).
    pub fn stats(&self) -> &crate::stats::StoreStats {
        &self.inner.stats
    }

    /// Store one message.
    pub fn put(&self, msg: NewMessage) -> Result<PutResult> {
        self.put_batch(vec![msg])
    }

    /// Store messages for one topic/queue as one contiguous block with consecutive queue offsets
    /// (SEND_BATCH_MESSAGE). An empty batch is refused.
    pub fn put_batch(&self, msgs: Vec<NewMessage>) -> Result<PutResult> {
        self.put_batch_spanned(msgs, None)
    }

    /// [`put_batch`](Self::put_batch) of messages whose dispatch properties are at `spans` of
    /// their property strings, one per message (see [`DispatchSpans`]).
    pub fn put_batch_spanned(
        &self,
        msgs: Vec<NewMessage>,
        spans: Option<&[DispatchSpans]>,
    ) -> Result<PutResult> {
        let started = now_ms();
        let result = self.put_batch_inner(msgs, spans);
        let elapsed = now_ms() - started;
        match &result {
            Ok(put) => {
                let bytes: i64 = put.records.iter().map(|p| i64::from(p.size)).sum();
                self.inner
                    .stats
                    .on_put(put.records.len() as u64, bytes.unsigned_abs(), elapsed);
            }
            // Java refuses these before the CommitLog (put hooks, store status) and counts
            // nothing; what the CommitLog refuses counts as a failed put.
            Err(StoreError::NotRunning | StoreError::DiskFull(_) | StoreError::Poisoned(_)) => {}
            Err(_) => self.inner.stats.on_put_failed(elapsed),
        }
        result
    }

    fn put_batch_inner(
        &self,
        msgs: Vec<NewMessage>,
        spans: Option<&[DispatchSpans]>,
    ) -> Result<PutResult> {
        let inner = &self.inner;
        if inner.replica.load(Ordering::Acquire) {
            return Err(StoreError::Replica);
        }
        let Some(head) = msgs.first() else {
            return Err(StoreError::MessageIllegal("empty batch".into()));
        };
        if msgs
            .iter()
            .any(|m| m.topic != head.topic || m.queue_id != head.queue_id)
        {
            return Err(StoreError::MessageIllegal(
                "batch mixes topics or queues".into(),
            ));
        }
        // Work that needs no lock: sizes, limits, body CRCs, the properties the dispatch reads.
        let max_size = inner.cfg().max_message_size;
        let spans = spans.filter(|s| s.len() == msgs.len());
        let mut prepared = Vec::with_capacity(msgs.len());
        for (i, m) in msgs.iter().enumerate() {
            let (len, v2) = record_len(m, max_size)?;
            prepared.push(Prepared {
                len,
                v2,
                body_crc: crc32(&m.body),
                props: spans.map_or_else(|| DispatchProps::of(m), |s| DispatchProps::at(m, &s[i])),
            });
        }
        let total: usize = prepared.iter().map(|p| p.len).sum();
        let index_keys: usize = match inner.index {
            Some(_) => msgs
                .iter()
                .zip(&prepared)
                .map(|(m, p)| p.props.count(m))
                .sum(),
            None => 0,
        };
        let cq = self.queue_or_create(&head.topic, head.queue_id)?;

        let guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        self.check_writable()?;
        let store_ts = now_ms();
        let next_qo = cq.next_offset();
        let start = inner.commitlog.max_offset();
        // Every file the dispatch below writes exists with its blocks reserved before the
        // CommitLog append: a full disk refuses the put here, with nothing written.
        crate::dispatch::prepare(inner, &cq, next_qo, msgs.len(), index_keys)
            .map_err(|e| self.note_disk_full(e))?;
        let mut placed = Vec::with_capacity(msgs.len());
        let appended = inner
            .commitlog
            .append(total, |buf, base| {
                let block = Block {
                    msgs: &msgs,
                    prepared: &prepared,
                    store_ts,
                };
                placed = block.encode(buf, base, next_qo);
            })
            .map_err(|e| self.note_disk_full(e))?;
        inner.last_store_ts.store(store_ts, Ordering::Release);
        let taken = msgs
            .iter()
            .filter(|m| sysflag::takes_queue_offset(m.sys_flag))
            .count();
        cq.set_assigned(next_qo + taken as i64);
        // The record is stored; a dispatch failure (not expected after `prepare`) must not turn
        // the put into an error, or the producer would resend a duplicate.
        if inner.dispatch_cap().is_none() {
            if inner.dispatched_end.load(Ordering::Acquire) == start {
                inner.dispatched_end.store(appended.end, Ordering::Release);
                for ((m, prep), p) in msgs.iter().zip(prepared).zip(&placed) {
                    if let Err(e) =
                        crate::dispatch::dispatch_new(inner, &cq, m, prep.props, p, store_ts)
                    {
                        warn!(error = %e, offset = p.physical_offset, "dispatch failed after append");
                    }
                }
            } else if let Err(e) = crate::reput::dispatch_to(inner, appended.end, false) {
                warn!(error = %e, "dispatch failed after append");
            }
        }
        drop(guard);
        Ok(PutResult {
            records: placed,
            store_timestamp: store_ts,
            durability: inner
                .flush
                .durability(appended.end, inner.cfg().flush_disk_type),
        })
    }

    /// Log a put refused for want of disk space, at most every 10 s (a full disk under load
    /// refuses every put).
    fn note_disk_full(&self, e: StoreError) -> StoreError {
        if let StoreError::DiskFull(reason) = &e {
            let now = now_ms();
            let last = self.inner.disk_full_logged_ms.load(Ordering::Relaxed);
            if now - last >= 10_000
                && self
                    .inner
                    .disk_full_logged_ms
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                warn!(%reason, "disk full: put refused, retried at the next put");
            }
        }
        e
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        let inner = &self.inner;
        if !inner.running.load(Ordering::Acquire) {
            return Err(StoreError::NotRunning);
        }
        if let Some(reason) = inner.flush.poisoned() {
            return Err(StoreError::Poisoned(reason));
        }
        if inner.disk_full.load(Ordering::Acquire) {
            return Err(StoreError::DiskFull(format!(
                "disk usage above diskSpaceWarningLevelRatio {} %",
                inner.cfg().disk_space_warning_level_ratio
            )));
        }
        Ok(())
    }

    /// Look up a queue, creating its (file-less) entry if new, like Java's `findConsumeQueue`.
    pub(crate) fn queue_or_create(&self, topic: &str, queue_id: i32) -> Result<Arc<ConsumeQueue>> {
        crate::dispatch::queue_or_create(&self.inner, topic, queue_id)
    }

    /// Flush everything, delete `abort`, stop threads. Idempotent.
    pub fn shutdown(&self) -> Result<()> {
        let inner = &self.inner;
        if !inner.running.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        inner.flush.wake_all();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for t in threads {
            let _ = t.join();
        }
        let _guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        crate::flush::flush_commitlog(inner, true)?;
        if inner.limit == crate::config::DispatchLimit::Flushed {
            crate::reput::dispatch_to(inner, inner.flush.flushed(), false)?;
        }
        crate::flush::flush_logics(inner)?;
        if let Some(ix) = &inner.index {
            ix.flush_all()?;
        }
        inner.checkpoint.flush()?;
        if inner.flush.poisoned().is_none() {
            std::fs::remove_file(inner.paths.abort())
                .map_err(StoreError::io("delete", inner.paths.abort()))?;
            crate::segments::sync_dir(&inner.paths.root)?;
        } else {
            warn!("store poisoned: keeping abort file so the next start recovers abnormally");
        }
        inner
            .lock_file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        info!(root = %inner.paths.root.display(), "store shut down");
        Ok(())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.running.load(Ordering::Acquire) {
            warn!(root = %self.paths.root.display(), "store dropped without shutdown; next start recovers abnormally");
        }
    }
}

impl FlushDiskType {
    pub(crate) fn is_sync(self) -> bool {
        self == FlushDiskType::Sync
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub(crate) fn message() -> NewMessage {
        crate::testutil::message("P", b"x")
    }

    /// A failed sync poisons the store: waiters get the error, later writes are refused, and
    /// shutdown keeps `abort` so the next start recovers abnormally.
    #[test]
    fn failed_sync_poisons_the_store() {
        let dir = crate::testutil::TempDir::new("poison");
        let mut cfg = StoreConfig::new(dir.path()).with_small_files(64 * 1024, 100, 64, 400);
        cfg.flush_disk_type = FlushDiskType::Sync;
        cfg.sync_flush_timeout = std::time::Duration::from_secs(2);
        let store = Store::open(cfg).unwrap();
        store
            .put(message())
            .unwrap()
            .durability
            .wait_blocking()
            .unwrap();
        // Hold the append lock so the flusher cannot see the next put before the poison lands.
        let r = {
            let guard = store.inner.append.lock().unwrap();
            store.inner.flush.poison("msync test: EIO".into());
            drop(guard);
            store.put(message())
        };
        match r {
            Err(StoreError::Poisoned(reason)) => assert!(reason.contains("EIO")),
            other => panic!("expected Poisoned, got {other:?}"),
        }
        store.shutdown().unwrap();
        assert!(dir.path().join("abort").exists());
    }
}
