//! Flushing (Java `FlushRealTimeService`, `GroupCommitService`, `FlushConsumeQueueService`).
//!
//! * CommitLog flusher thread. ASYNC_FLUSH: every `flushIntervalCommitLog`, msync if at least
//!   `flushCommitLogLeastPages` pages are dirty, everything every
//!   `flushCommitLogThoroughInterval`. SYNC_FLUSH: group commit — a put wakes the thread, which
//!   msyncs up to the current end and publishes the flushed offset; every put that arrived
//!   meanwhile shares that one msync.
//! * Logics flusher thread: every `flushIntervalConsumeQueue`, msync consume queues, msync full
//!   index files, then write and fsync the checkpoint.
//! * With `DispatchLimit::Flushed` (SYNC_FLUSH and Java's `readUnCommitted=false`) the flusher
//!   dispatches the records it synced before it answers the puts waiting for them.
//! * A failed msync poisons the store: writes are refused from then on and every waiter gets
//!   [`StoreError::Poisoned`].
//!
//! Waiting for durability is exposed as [`Durability`], awaitable from async code (a oneshot
//! answered by the flush that covers the put) or blockable from a thread.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tracing::{error, warn};

use crate::config::{DispatchLimit, FlushDiskType};
use crate::error::{Result, StoreError};
use crate::layout::{CQ_UNIT_SIZE, OS_PAGE_SIZE};
use crate::segments::SegmentQueue;
use crate::store::Inner;

#[derive(Debug, Default)]
struct Progress {
    flushed: u64,
    poisoned: Option<Arc<str>>,
    /// Async waits not yet answered, by target offset: a flush answers those it covers and no
    /// other, where waking every waiter at each flush would poll each one once per group
    /// commit until its own. `Err` carries the reason the store was poisoned.
    waiters: VecDeque<(u64, Answer)>,
}

/// What a flush tells a waiting put: durable, or the reason the store was poisoned.
type Answer = oneshot::Sender<std::result::Result<(), Arc<str>>>;

#[derive(Debug)]
struct Shared {
    done: Mutex<Progress>,
    done_cv: Condvar,
}

/// Flush bookkeeping shared by writers, the flusher and waiters.
#[derive(Debug)]
pub(crate) struct FlushState {
    flushed: AtomicU64,
    shared: Arc<Shared>,
    wake: Mutex<bool>,
    wake_cv: Condvar,
    timeout: Duration,
}

impl FlushState {
    pub fn new(timeout: Duration) -> FlushState {
        FlushState {
            flushed: AtomicU64::new(0),
            shared: Arc::new(Shared {
                done: Mutex::new(Progress::default()),
                done_cv: Condvar::new(),
            }),
            wake: Mutex::new(false),
            wake_cv: Condvar::new(),
            timeout,
        }
    }

    pub fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Set the flushed offset without a sync (recovery: everything found on disk is durable).
    pub fn reset(&self, offset: u64) {
        self.flushed.store(offset, Ordering::Release);
        self.publish(offset, None);
    }

    pub fn poisoned(&self) -> Option<String> {
        self.shared
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .poisoned
            .as_deref()
            .map(str::to_string)
    }

    fn publish(&self, flushed: u64, poisoned: Option<Arc<str>>) {
        let mut d = self.shared.done.lock().unwrap_or_else(|e| e.into_inner());
        d.flushed = d.flushed.max(flushed);
        if poisoned.is_some() {
            d.poisoned = poisoned;
        }
        let answered = match &d.poisoned {
            Some(_) => d.waiters.len(),
            None => d
                .waiters
                .partition_point(|(target, _)| *target <= d.flushed),
        };
        let answered: Vec<_> = d.waiters.drain(..answered).collect();
        let (flushed, poisoned) = (d.flushed, d.poisoned.clone());
        drop(d);
        self.shared.done_cv.notify_all();
        for (target, tx) in answered {
            // A wait that timed out has dropped its receiver.
            let _ = tx.send(match &poisoned {
                Some(reason) if target > flushed => Err(Arc::clone(reason)),
                _ => Ok(()),
            });
        }
    }

    pub(crate) fn poison(&self, reason: String) {
        error!(%reason, "sync failed: store poisoned, writes refused");
        self.publish(0, Some(reason.into()));
    }

    /// Wake the flusher (a SYNC_FLUSH put, or shutdown).
    pub fn wake_all(&self) {
        let mut pending = self.wake.lock().unwrap_or_else(|e| e.into_inner());
        // A wake not yet taken covers this one: the flusher checks the flag before it sleeps.
        // Skipping the notify (a futex call) spares every put of a group commit but the first.
        if *pending {
            return;
        }
        *pending = true;
        drop(pending);
        self.wake_cv.notify_all();
    }

    fn wait_wake(&self, timeout: Duration) {
        let g = self.wake.lock().unwrap_or_else(|e| e.into_inner());
        let (mut g, _) = self
            .wake_cv
            .wait_timeout_while(g, timeout, |w| !*w)
            .unwrap_or_else(|e| e.into_inner());
        *g = false;
    }

    /// The durability handle of a put ending at `end`.
    pub fn durability(&self, end: u64, mode: FlushDiskType) -> Durability {
        if !mode.is_sync() {
            return Durability {
                target: end,
                wait: None,
            };
        }
        self.wake_all();
        Durability {
            target: end,
            wait: Some((Arc::clone(&self.shared), self.timeout)),
        }
    }
}

/// Waits until a put's bytes are on disk. Under ASYNC_FLUSH it is ready at once.
#[derive(Debug)]
pub struct Durability {
    target: u64,
    wait: Option<(Arc<Shared>, Duration)>,
}

impl Durability {
    /// True when there is nothing to wait for (ASYNC_FLUSH).
    pub fn is_immediate(&self) -> bool {
        self.wait.is_none()
    }

    /// Await durability from async code. `FlushTimeout` after `syncFlushTimeout` (the message is
    /// stored; Java answers FLUSH_DISK_TIMEOUT), `Poisoned` if the sync failed.
    pub async fn wait(self) -> Result<()> {
        let Some((shared, timeout)) = self.wait else {
            return Ok(());
        };
        let target = self.target;
        let rx = {
            let mut d = shared.done.lock().unwrap_or_else(|e| e.into_inner());
            if d.flushed >= target {
                return Ok(());
            }
            if let Some(r) = &d.poisoned {
                return Err(StoreError::Poisoned(r.to_string()));
            }
            let (tx, rx) = oneshot::channel();
            // Waits come in about the order of their puts: nearly always the last place.
            let at = d.waiters.partition_point(|(t, _)| *t <= target);
            d.waiters.insert(at, (target, tx));
            rx
        };
        // Not held while waiting: the store going away drops the sender, which ends the wait.
        drop(shared);
        match tokio::time::timeout(timeout, rx).await {
            Err(_) => Err(StoreError::FlushTimeout(timeout.as_millis() as u64)),
            Ok(Err(_)) => Err(StoreError::NotRunning),
            Ok(Ok(Err(reason))) => Err(StoreError::Poisoned(reason.to_string())),
            Ok(Ok(Ok(()))) => Ok(()),
        }
    }

    /// Block the calling thread until durable (never call on a tokio worker).
    pub fn wait_blocking(self) -> Result<()> {
        let Some((shared, timeout)) = self.wait else {
            return Ok(());
        };
        let g = shared.done.lock().unwrap_or_else(|e| e.into_inner());
        let (g, res) = shared
            .done_cv
            .wait_timeout_while(g, timeout, |p| {
                p.flushed < self.target && p.poisoned.is_none()
            })
            .unwrap_or_else(|e| e.into_inner());
        if g.flushed >= self.target {
            Ok(())
        } else if let Some(r) = &g.poisoned {
            Err(StoreError::Poisoned(r.to_string()))
        } else if res.timed_out() {
            Err(StoreError::FlushTimeout(timeout.as_millis() as u64))
        } else {
            Err(StoreError::NotRunning)
        }
    }
}

/// msync the CommitLog from the flushed offset to the current end (all of it if `force`,
/// else only when `flushCommitLogLeastPages` are dirty), and answer the puts waiting for it.
/// Updates the checkpoint's `physicMsgTimestamp` in memory.
pub(crate) fn flush_commitlog(inner: &Inner, force: bool) -> Result<()> {
    if let Some(target) = sync_commitlog(inner, force)? {
        inner.flush.publish(target, None);
    }
    Ok(())
}

/// [`flush_commitlog`] on the flusher thread: with `DispatchLimit::Flushed` the records synced
/// are dispatched before the puts waiting for them are answered, so an acknowledged SYNC_FLUSH
/// send is visible to consumers.
fn flush_commitlog_and_dispatch(inner: &Inner, force: bool) -> Result<()> {
    let Some(target) = sync_commitlog(inner, force)? else {
        return Ok(());
    };
    if inner.limit == DispatchLimit::Flushed {
        let _guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        let replicated = inner.replica.load(Ordering::Acquire);
        if let Err(e) = crate::reput::dispatch_to(inner, target, replicated) {
            error!(error = %e, "dispatch of flushed records failed");
        }
    }
    inner.flush.publish(target, None);
    Ok(())
}

/// The msync of [`flush_commitlog`]; the new flushed offset when it moved.
fn sync_commitlog(inner: &Inner, force: bool) -> Result<Option<u64>> {
    if inner.flush.poisoned().is_some() {
        return Ok(None);
    }
    // Time first, offset second: see `Inner::last_store_ts`.
    let ts = inner.last_store_ts.load(Ordering::Acquire);
    let target = inner.commitlog.max_offset();
    let from = inner.flush.flushed();
    if target <= from {
        return Ok(None);
    }
    let least = inner.cfg().flush_commit_log_least_pages * OS_PAGE_SIZE;
    if !force && target - from < least {
        return Ok(None);
    }
    for seg in inner.commitlog.segs.snapshot() {
        if seg.end() <= from || seg.base >= target {
            continue;
        }
        let start = from.max(seg.base) - seg.base;
        let end = target.min(seg.end()) - seg.base;
        // msync needs a page-aligned start.
        let aligned = start - start % OS_PAGE_SIZE;
        if let Err(e) = seg
            .file
            .flush_range(aligned as usize, (end - aligned) as usize)
        {
            let reason = format!("msync {}: {e}", seg.file.path().display());
            inner.flush.poison(reason.clone());
            return Err(StoreError::Poisoned(reason));
        }
    }
    inner.flush.flushed.store(target, Ordering::Release);
    if ts > 0 {
        inner
            .checkpoint
            .update(|c| c.physic_msg_timestamp = c.physic_msg_timestamp.max(ts));
    }
    Ok(Some(target))
}

/// msync consume queues and full index files, then persist the checkpoint.
pub(crate) fn flush_logics(inner: &Inner) -> Result<()> {
    // The logics time must not run ahead of what this flush covers: take it before flushing.
    let logics_ts = inner.last_dispatch_ts();
    for q in inner.all_queues() {
        q.flush()?;
    }
    let mut index_ts = None;
    if let Some(ix) = &inner.index {
        let full: Vec<_> = std::mem::take(&mut *ix.full.lock().unwrap_or_else(|e| e.into_inner()));
        for f in full {
            f.flush()?;
            index_ts = Some(f.header().end_timestamp);
        }
    }
    inner.checkpoint.update(|c| {
        if logics_ts > 0 {
            c.logics_msg_timestamp = c.logics_msg_timestamp.max(logics_ts);
        }
        if let Some(t) = index_ts {
            c.index_msg_timestamp = c.index_msg_timestamp.max(t);
        }
    });
    inner.checkpoint.flush()
}

/// How often the CommitLog records read since the last round are released, when cold
/// ([`release_read_pages`]). A drain of an old backlog re-faults pages at up to ~150 MB/s, so this
/// period bounds how far RSS overshoots the window.
const RELEASE_INTERVAL: Duration = Duration::from_millis(20);

/// Every this many rounds, every cold CommitLog page is released ([`release_cold_pages`]), also
/// those a reader other than the record reads touched (replication, recovery); releasing a range
/// that holds no pages costs only a page-table walk, but one per segment.
const SWEEP_EVERY: u32 = 5;

/// Consume-queue files are released every this many rounds: there can be thousands of them, one
/// madvise each, and they grow ~50 times slower than the CommitLog.
const CQ_RELEASE_EVERY: u32 = 50;

/// Bytes at the end of each consume queue kept resident: the part tail consumers read.
const CQ_RESIDENT_WINDOW: u64 = 64 * 1024;

/// Bytes at the end of each index file's entries kept resident (3,276 entries).
const INDEX_RESIDENT_WINDOW: u64 = 64 * 1024;

/// The residency policy: take the cold pages of the mapped store files out of the process's
/// resident set (`MappedFile::release_resident`), keeping only the last
/// `commit_log_resident_window` bytes of the CommitLog and, every [`CQ_RELEASE_EVERY`] rounds,
/// the last [`CQ_RESIDENT_WINDOW`] bytes of each consume queue and the writable index file's
/// slots and last [`INDEX_RESIDENT_WINDOW`] bytes of entries (`IndexService::release_resident`).
/// Runs on its own thread ([`spawn_releaser`]), never under the append lock; it touches no data
/// (the pages stay in the page cache and are written back as usual), so writers, readers,
/// recovery and clean-up are unaffected: a reader of a released range, such as a consumer
/// draining an old backlog, takes a minor fault, and the next round releases those pages again,
/// which bounds RSS during drains too.
pub(crate) fn release_cold_pages(inner: &Inner, with_queues: bool) {
    let window = inner.cfg().commit_log_resident_window;
    if window == 0 {
        return;
    }
    let cl_end = inner.commitlog.max_offset();
    release_below(&inner.commitlog.segs, cl_end.saturating_sub(window));
    if !with_queues {
        return;
    }
    if let Some(index) = &inner.index {
        if let Err(e) = index.release_resident(INDEX_RESIDENT_WINDOW) {
            warn!(error = %e, "madvise failed");
        }
    }
    for q in inner.all_queues() {
        let end = u64::try_from(q.max_offset()).unwrap_or(0) * CQ_UNIT_SIZE;
        release_below(&q.segs, end.saturating_sub(CQ_RESIDENT_WINDOW));
    }
}

/// Releases the cold part of the CommitLog records read since the last round: what a drain of an
/// old backlog faulted in, without a walk of every cold segment.
pub(crate) fn release_read_pages(inner: &Inner) {
    if let Some((lo, hi)) = inner.commitlog.take_cold_reads() {
        release_range(&inner.commitlog.segs, lo, hi);
    }
}

/// Release every segment's pages below the queue offset `hot_from`.
fn release_below(segs: &SegmentQueue, hot_from: u64) {
    release_range(segs, 0, hot_from);
}

/// Release the pages of `[from, to)` (offsets of the segment queue), segment by segment.
fn release_range(segs: &SegmentQueue, from: u64, to: u64) {
    if from >= to {
        return;
    }
    for seg in segs.snapshot() {
        if seg.base >= to {
            break;
        }
        if seg.end() <= from {
            continue;
        }
        let start = from.saturating_sub(seg.base) as usize;
        let end = (to.min(seg.end()) - seg.base) as usize;
        if let Err(e) = seg.file.release_resident(start, end - start) {
            // Only residency is at stake, never data: note it and go on.
            warn!(error = %e, file = %seg.file.path().display(), "madvise failed");
        }
    }
}

impl Inner {
    /// Store time of the last record dispatched to a consume queue.
    pub(crate) fn last_dispatch_ts(&self) -> i64 {
        self.queues
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .flat_map(|m| m.values())
            .map(|q| q.last_store_timestamp())
            .max()
            .unwrap_or(0)
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .map_err(StoreError::io("spawn thread", name))
}

/// Run `step` until the store stops or every [`crate::Store`] handle is gone (`alive` is a
/// token only `Store` handles own), so a store dropped without `shutdown` is released and
/// recovers abnormally next time, as after a crash.
pub(crate) fn spawn_loop(
    name: &str,
    inner: &Arc<Inner>,
    alive: Weak<()>,
    mut step: impl FnMut(&Inner) + Send + 'static,
) -> Result<JoinHandle<()>> {
    let inner = Arc::clone(inner);
    spawn(name, move || {
        while alive.strong_count() > 0 && inner.running.load(Ordering::Acquire) {
            step(&inner);
        }
    })
}

pub(crate) fn spawn_commitlog_flusher(
    inner: &Arc<Inner>,
    alive: Weak<()>,
) -> Result<JoinHandle<()>> {
    let mut last_thorough = Instant::now();
    spawn_loop("store-flush-commitlog", inner, alive, move |inner| {
        let sync = inner.cfg().flush_disk_type.is_sync();
        let wait = if sync {
            Duration::from_millis(10)
        } else {
            inner.cfg().flush_interval_commit_log
        };
        inner.flush.wait_wake(wait);
        let thorough = last_thorough.elapsed() >= inner.cfg().flush_commit_log_thorough_interval;
        if thorough {
            last_thorough = Instant::now();
        }
        if let Err(e) = flush_commitlog_and_dispatch(inner, sync || thorough) {
            error!(error = %e, "commitlog flush failed");
        }
    })
}

pub(crate) fn spawn_logics_flusher(inner: &Arc<Inner>, alive: Weak<()>) -> Result<JoinHandle<()>> {
    let mut last = Instant::now();
    spawn_loop("store-flush-logics", inner, alive, move |inner| {
        // A short sleep rather than the whole interval: the loop sees a shutdown promptly.
        std::thread::sleep(RELEASE_INTERVAL);
        if last.elapsed() < inner.cfg().flush_interval_consume_queue {
            return;
        }
        last = Instant::now();
        if let Err(e) = flush_logics(inner) {
            error!(error = %e, "consume queue flush failed");
        }
    })
}

/// The residency policy's thread ([`release_cold_pages`], [`release_read_pages`]). Not the logics
/// flusher's: after a burst of writes a consume-queue flush waits behind the CommitLog's
/// write-back for most of a second, while a drain from the page cache faults pages in at up to
/// 1 GB/s; on that thread the resident set grew by hundreds of MB before the next release.
pub(crate) fn spawn_releaser(inner: &Arc<Inner>, alive: Weak<()>) -> Result<JoinHandle<()>> {
    let mut rounds = 0u32;
    spawn_loop("store-release", inner, alive, move |inner| {
        std::thread::sleep(RELEASE_INTERVAL);
        #[cfg(test)]
        if inner.releaser_paused.load(Ordering::Acquire) {
            return;
        }
        rounds = rounds.wrapping_add(1);
        if rounds % SWEEP_EVERY == 0 {
            release_cold_pages(inner, rounds % CQ_RELEASE_EVERY == 0);
        } else {
            release_read_pages(inner);
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A store whose releaser thread leaves the release to the test.
    fn paused(cfg: crate::StoreConfig) -> crate::Store {
        let store = crate::Store::open(cfg).unwrap();
        store.inner.releaser_paused.store(true, Ordering::Release);
        store
    }

    /// The records a reader faulted in below the window leave the resident set at the next
    /// round, without a sweep; a read in the window stays.
    #[test]
    fn cold_records_read_are_released_at_the_next_round() {
        let dir = crate::testutil::TempDir::new("read-residency");
        let mut cfg =
            crate::StoreConfig::new(dir.path()).with_small_files(1 << 20, 1000, 64, 40_000);
        cfg.commit_log_resident_window = 128 * 1024;
        let store = paused(cfg);
        let mut msg = crate::store::tests::message();
        msg.body = bytes::Bytes::from(vec![b'z'; 500]);
        for _ in 0..5000 {
            store.put(msg.clone()).unwrap();
        }
        let inner = &store.inner;
        crate::flush::release_cold_pages(inner, false);
        let first = inner.commitlog.segs.snapshot()[0].file.clone();
        let span = 64 * 1024;
        let read = inner.commitlog.read(4096, span).unwrap();
        // Touch every byte, as a socket write does.
        std::hint::black_box(read.iter().map(|b| u64::from(*b)).sum::<u64>());
        crate::flush::release_read_pages(inner);
        assert_eq!(first.present_pages(8192, span - 8192), 0, "released");
        assert_eq!(&read[..], first.read(4096, span), "the view still reads");
        assert_eq!(
            inner.commitlog.take_cold_reads(),
            None,
            "the span was taken"
        );
        let end = inner.commitlog.max_offset();
        let hot = inner.commitlog.read(end - 4096, 4096).unwrap();
        std::hint::black_box(hot.iter().map(|b| u64::from(*b)).sum::<u64>());
        crate::flush::release_read_pages(inner);
        let tail = inner.commitlog.segs.snapshot().last().unwrap().clone();
        let pos = (end - 4096 - tail.base) as usize;
        assert!(tail.file.present_pages(pos, 4096) > 0, "the window stays");
        store.shutdown().unwrap();
    }

    /// The residency policy releases the CommitLog below its window and the cold part of each
    /// consume queue; the released bytes read back identical and the store keeps working.
    #[test]
    fn cold_pages_leave_the_resident_set_and_keep_their_data() {
        let dir = crate::testutil::TempDir::new("residency");
        let mut cfg =
            crate::StoreConfig::new(dir.path()).with_small_files(1 << 20, 1000, 64, 40_000);
        cfg.commit_log_resident_window = 128 * 1024;
        let store = paused(cfg);
        let mut msg = crate::store::tests::message();
        msg.body = bytes::Bytes::from(vec![b'y'; 500]);
        for _ in 0..5000 {
            store.put(msg.clone()).unwrap();
        }
        let inner = &store.inner;
        let segs = inner.commitlog.segs.snapshot();
        assert!(segs.len() >= 3);
        let first = &segs[0].file;
        let before = first.read(0, first.len()).to_vec();
        crate::flush::release_cold_pages(inner, true);
        assert_eq!(
            first.present_pages(0, first.len()),
            0,
            "cold segment released"
        );
        let tail = segs.last().unwrap();
        let hot = (inner.commitlog.max_offset() - tail.base) as usize;
        assert!(
            tail.file.present_pages(0, hot) > 0,
            "the window stays resident"
        );
        let cq = inner.all_queues().into_iter().next().unwrap();
        let cq_first = cq.segs.first().unwrap().file;
        assert_eq!(
            cq_first.present_pages(0, cq_first.len()),
            0,
            "cold CQ file released"
        );
        assert_eq!(
            first.read(0, first.len()),
            &before[..],
            "identical after release"
        );
        assert_eq!(cq.units(0, 1).unwrap()[0].physical_offset, 0);
        store.put(msg).unwrap();
        store.shutdown().unwrap();
    }

    /// Index entries below the window and whole full index files leave the resident set; the
    /// writable file's slots stay; a query still finds every key, in every file.
    #[test]
    fn index_pages_leave_the_resident_set_and_keep_their_data() {
        let dir = crate::testutil::TempDir::new("index-residency");
        // 40,000 slots (40 pages) and 8,000 entries (40 pages) a file: 20,000 keys fill two
        // files and half of a third.
        let mut cfg =
            crate::StoreConfig::new(dir.path()).with_small_files(1 << 20, 1000, 40_000, 8_000);
        cfg.commit_log_resident_window = 128 * 1024;
        let store = paused(cfg);
        let key = |i: u32| format!("k{}", u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for i in 0..20_000 {
            let mut msg = crate::store::tests::message();
            msg.properties = format!("KEYS\u{1}{}\u{2}", key(i));
            store.put(msg).unwrap();
        }
        let inner = &store.inner;
        let index = inner.index.as_ref().unwrap();
        let files = index.files();
        assert_eq!(files.len(), 3);
        let resident = |f: &crate::index::IndexFile| f.file.present_pages(0, f.file.len());
        let slots_pages = 40_000 * 4 / 4096;
        assert!(
            files.iter().all(|f| resident(f) > slots_pages),
            "written pages are resident"
        );
        crate::flush::release_cold_pages(inner, true);
        for f in &files[..2] {
            assert!(
                resident(f) <= 1,
                "{}: full file released but its header page",
                resident(f)
            );
        }
        // The header, the slots and the last 64 KiB of entries (plus a partly covered page).
        let last = resident(&files[2]);
        assert!(last > slots_pages, "{last}: the writable file's slots stay");
        assert!(
            last <= 1 + slots_pages + 1 + 64 * 1024 / 4096 + 1,
            "{last} pages resident"
        );
        for i in [0, 7_777, 12_345, 19_999] {
            let q = index.query("P", &key(i), 10, 0, i64::MAX);
            assert_eq!(q.offsets.len(), 1, "key {i} found after release");
        }
        store.shutdown().unwrap();
    }

    /// With `DispatchLimit::Flushed` a record reaches its queue with the flush that makes it
    /// durable, not with its append.
    #[test]
    fn the_flushed_limit_dispatches_with_the_flush() {
        let dir = crate::testutil::TempDir::new("flushed-limit");
        let mut cfg = crate::StoreConfig::new(dir.path()).with_small_files(64 * 1024, 100, 64, 400);
        cfg.dispatch_limit = DispatchLimit::Flushed;
        cfg.flush_interval_commit_log = Duration::from_secs(3600);
        cfg.flush_commit_log_thorough_interval = Duration::from_secs(3600);
        let store = crate::Store::open(cfg).unwrap();
        store.put(crate::store::tests::message()).unwrap();
        assert_eq!(store.max_offset("P", 0), 0, "not flushed yet");
        flush_commitlog_and_dispatch(&store.inner, true).unwrap();
        assert_eq!(store.max_offset("P", 0), 1);
        store.shutdown().unwrap();
    }

    #[test]
    fn a_flush_answers_the_waits_it_covers_and_no_other() {
        let fs = FlushState::new(Duration::from_secs(60));
        let waiting = |fs: &FlushState| fs.shared.done.lock().unwrap().waiters.len();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let w30 = tokio::spawn(fs.durability(30, FlushDiskType::Sync).wait());
            let w10 = tokio::spawn(fs.durability(10, FlushDiskType::Sync).wait());
            let w20 = tokio::spawn(fs.durability(20, FlushDiskType::Sync).wait());
            while waiting(&fs) < 3 {
                tokio::task::yield_now().await;
            }
            fs.publish(20, None);
            assert_eq!(waiting(&fs), 1);
            w10.await.unwrap().unwrap();
            w20.await.unwrap().unwrap();
            tokio::task::yield_now().await;
            assert!(!w30.is_finished());
            // A put already covered does not wait at all.
            fs.durability(15, FlushDiskType::Sync).wait().await.unwrap();
            assert_eq!(waiting(&fs), 1);
            fs.publish(30, None);
            w30.await.unwrap().unwrap();
            assert_eq!(waiting(&fs), 0);
        });
    }

    #[test]
    fn durability_waits_times_out_and_sees_poison() {
        let fs = FlushState::new(Duration::from_millis(100));
        assert!(fs
            .durability(10, FlushDiskType::Async)
            .wait_blocking()
            .is_ok());
        let d = fs.durability(10, FlushDiskType::Sync);
        fs.publish(10, None);
        d.wait_blocking().unwrap();
        let d = fs.durability(20, FlushDiskType::Sync);
        assert!(matches!(
            d.wait_blocking(),
            Err(StoreError::FlushTimeout(100))
        ));
        let d = fs.durability(30, FlushDiskType::Sync);
        fs.poison("EIO".into());
        assert!(matches!(d.wait_blocking(), Err(StoreError::Poisoned(_))));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let d = fs.durability(40, FlushDiskType::Sync);
        assert!(matches!(
            rt.block_on(d.wait()),
            Err(StoreError::Poisoned(_))
        ));
        let fs = FlushState::new(Duration::from_millis(50));
        let d = fs.durability(5, FlushDiskType::Sync);
        assert!(matches!(
            rt.block_on(d.wait()),
            Err(StoreError::FlushTimeout(50))
        ));
    }
}
