//! One consume queue: 20-byte units `commitlog offset i64 | record size i32 | tags code i64`,
//! unit *n* at byte `n*20` of the queue (Java `ConsumeQueue`).
//!
//! Appends come from the store's append lock holder only. A record is dispatched with its
//! CommitLog append, or later when the store's dispatch end reaches it (`reput.rs`), so the next
//! queue offset a put assigns ([`ConsumeQueue::next_offset`]) can run ahead of the max offset.
//! New data is announced on a `tokio::sync::watch` channel carrying the max offset, for long
//! polling.

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::watch;
use tracing::warn;

use crate::error::{Result, StoreError};
use crate::layout::CQ_UNIT_SIZE;
use crate::mmap::MappedFile;
use crate::segments::{DirSync, Segment, SegmentQueue};

/// Bytes of a queue file reserved at a time ahead of its write position (3,276 units): a store
/// into an unreserved page of a full disk would be a SIGBUS, so appends only write reserved
/// pages, and the reservation costs one `posix_fallocate` per this many bytes of the queue.
const RESERVE_AHEAD: u64 = 64 * 1024;

/// Units of one segment in queue order ([`ConsumeQueue::units_from`]).
#[derive(Default)]
pub struct Units {
    file: Option<Arc<MappedFile>>,
    pos: usize,
    end: usize,
    offset: i64,
}

impl Iterator for Units {
    type Item = CqUnit;

    fn next(&mut self) -> Option<CqUnit> {
        if self.pos >= self.end {
            return None;
        }
        let b = self.file.as_ref()?.read(self.pos, CQ_UNIT_SIZE as usize);
        let unit = CqUnit::decode(self.offset, b);
        self.pos += CQ_UNIT_SIZE as usize;
        self.offset += 1;
        Some(unit)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.end - self.pos) / CQ_UNIT_SIZE as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Units {}

/// One consume-queue unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqUnit {
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub size: i32,
    pub tags_code: i64,
}

impl CqUnit {
    fn encode(&self) -> [u8; 20] {
        let mut b = [0u8; 20];
        b[..8].copy_from_slice(&self.physical_offset.to_be_bytes());
        b[8..12].copy_from_slice(&self.size.to_be_bytes());
        b[12..].copy_from_slice(&self.tags_code.to_be_bytes());
        b
    }

    fn decode(queue_offset: i64, b: &[u8]) -> CqUnit {
        let mut p = [0u8; 8];
        p.copy_from_slice(&b[..8]);
        let mut s = [0u8; 4];
        s.copy_from_slice(&b[8..12]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&b[12..20]);
        CqUnit {
            queue_offset,
            physical_offset: i64::from_be_bytes(p),
            size: i32::from_be_bytes(s),
            tags_code: i64::from_be_bytes(t),
        }
    }

    /// Recovery's validity rule: `offset >= 0 && size > 0` (pre-blank fillers count as valid).
    fn is_valid(&self) -> bool {
        self.physical_offset >= 0 && self.size > 0
    }

    /// A `fillPreBlank` placeholder unit.
    pub fn is_placeholder(&self) -> bool {
        self.physical_offset == 0 && self.size == i32::MAX
    }
}

/// Reserve the blocks of `seg` below `end` (and [`RESERVE_AHEAD`] beyond).
fn reserve(seg: &Segment, end: usize) -> Result<()> {
    seg.file
        .reserve(end, end + RESERVE_AHEAD as usize)
        .map_err(StoreError::io("reserve blocks of", seg.file.path()))
}

/// A consume queue of one (topic, queueId).
#[derive(Debug)]
pub struct ConsumeQueue {
    pub topic: String,
    pub queue_id: i32,
    pub(crate) segs: SegmentQueue,
    /// End of written units, as a byte offset in the queue.
    max_pos: AtomicU64,
    /// First valid unit, as a byte offset (`minLogicOffset`).
    min_pos: AtomicU64,
    /// End (`offset + size`) of the last dispatched record (`maxPhysicOffset`), -1 if none.
    max_physic: AtomicI64,
    /// `max_pos` at the last flush; `u64::MAX` until the first one.
    flushed_pos: AtomicU64,
    /// Store time of the last dispatched record (for the checkpoint's logics timestamp).
    last_store_ts: AtomicI64,
    /// The queue offset after the last one a put assigned (append lock holders only); below
    /// the max offset it counts for nothing (Java `QueueOffsetOperator`'s table).
    assigned: AtomicI64,
    arrivals: watch::Sender<i64>,
}

impl ConsumeQueue {
    /// Open a queue directory. Its segments have their blocks reserved [`RESERVE_AHEAD`] bytes at
    /// a time ahead of the writer (see [`ConsumeQueue::prepare`]), not whole: with many queues,
    /// reserving 6 MB each up front would cost gigabytes that Java's sparse files do not.
    pub(crate) fn open(topic: &str, queue_id: i32, dir: &Path, seg_size: u64) -> Result<Self> {
        let segs = SegmentQueue::load(dir, seg_size, RESERVE_AHEAD, false, DirSync::AtFlush)?;
        Ok(ConsumeQueue {
            topic: topic.to_string(),
            queue_id,
            segs,
            max_pos: AtomicU64::new(0),
            min_pos: AtomicU64::new(0),
            max_physic: AtomicI64::new(-1),
            flushed_pos: AtomicU64::new(u64::MAX),
            last_store_ts: AtomicI64::new(0),
            assigned: AtomicI64::new(0),
            arrivals: watch::channel(0).0,
        })
    }

    /// Next queue offset to be written (`getMaxOffsetInQueue`).
    pub fn max_offset(&self) -> i64 {
        (self.max_pos.load(Ordering::Acquire) / CQ_UNIT_SIZE) as i64
    }

    /// The queue offset the next put takes: past the records appended and not yet dispatched.
    pub(crate) fn next_offset(&self) -> i64 {
        self.assigned.load(Ordering::Acquire).max(self.max_offset())
    }

    /// Records appended up to queue offset `next` (exclusive) take no offset again.
    pub(crate) fn set_assigned(&self, next: i64) {
        self.assigned.store(next, Ordering::Release);
    }

    /// First readable queue offset (`getMinOffsetInQueue`).
    pub fn min_offset(&self) -> i64 {
        (self.min_pos.load(Ordering::Acquire) / CQ_UNIT_SIZE) as i64
    }

    /// End of the last dispatched record, -1 if the queue is empty.
    pub fn max_physic_offset(&self) -> i64 {
        self.max_physic.load(Ordering::Acquire)
    }

    pub(crate) fn last_store_timestamp(&self) -> i64 {
        self.last_store_ts.load(Ordering::Acquire)
    }

    /// A receiver of this queue's max offset, updated on every append.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        let mut rx = self.arrivals.subscribe();
        // Appends skip the send while nobody listens: publish the current value now that
        // someone does (any append from here on sees the receiver and sends), and mark it seen,
        // so `changed()` fires only for appends after this returns. Callers read after
        // subscribing, which covers appends that raced with it.
        self.arrivals.send_replace(self.max_offset());
        rx.borrow_and_update();
        rx
    }

    /// True when the queue has files on disk.
    pub fn has_files(&self) -> bool {
        !self.segs.is_empty()
    }

    /// Append one unit at its queue offset (writer only). Idempotent like Java's
    /// `putMessagePositionInfo`: a unit already covered is skipped. A gap is refused.
    pub(crate) fn append(&self, unit: &CqUnit, store_ts: i64) -> Result<bool> {
        let end = unit.physical_offset + i64::from(unit.size);
        if end <= self.max_physic_offset() {
            return Ok(false);
        }
        let expected = unit.queue_offset as u64 * CQ_UNIT_SIZE;
        self.prepare(unit.queue_offset, 1)?;
        let cur = self.max_pos.load(Ordering::Acquire);
        if expected < cur {
            return Ok(false);
        } else if expected > cur {
            return Err(StoreError::Format {
                path: self.segs.dir().to_path_buf(),
                reason: format!(
                    "queue offset gap: unit for {} but queue ends at {}",
                    unit.queue_offset,
                    cur / 20
                ),
            });
        }
        self.write_unit(expected, &unit.encode())?;
        self.max_physic.store(end, Ordering::Release);
        self.last_store_ts.store(store_ts, Ordering::Release);
        self.max_pos
            .store(expected + CQ_UNIT_SIZE, Ordering::Release);
        if self.arrivals.receiver_count() > 0 {
            self.arrivals.send_replace(unit.queue_offset + 1);
        }
        Ok(true)
    }

    /// Make sure the segments for `count` units from `first` exist with the blocks under them
    /// reserved (writer only), so that the appends after a CommitLog write cannot fail on I/O
    /// nor fault on a full disk. A queue whose first unit is not 0 gets its pre-blank fill here.
    pub(crate) fn prepare(&self, first: i64, count: usize) -> Result<()> {
        let seg_size = self.segs.seg_size();
        let start = first as u64 * CQ_UNIT_SIZE;
        if self.segs.is_empty() && start > 0 {
            self.fill_pre_blank(start)?;
        }
        let end = start + count.max(1) as u64 * CQ_UNIT_SIZE;
        let mut pos = start - start % seg_size;
        while pos < end {
            let seg = match self.segs.find(pos) {
                Some(s) => s,
                None => self.segs.create(pos)?,
            };
            let to = (end.min(seg.end()) - seg.base) as usize;
            reserve(&seg, to)?;
            pos += seg_size;
        }
        Ok(())
    }

    fn write_unit(&self, pos: u64, bytes: &[u8; 20]) -> Result<()> {
        let seg_size = self.segs.seg_size();
        let seg = match self.segs.find(pos) {
            Some(s) => s,
            None => self.segs.create(pos - pos % seg_size)?,
        };
        seg.file.write((pos - seg.base) as usize, bytes);
        Ok(())
    }

    /// `fillPreBlank`: a queue whose first unit is not offset 0 starts its first segment with
    /// placeholder units, and its min offset is the first real unit.
    fn fill_pre_blank(&self, expected: u64) -> Result<()> {
        let seg_size = self.segs.seg_size();
        let base = expected - expected % seg_size;
        let seg = self.segs.create(base)?;
        reserve(&seg, (expected - base) as usize)?;
        let blank = CqUnit {
            queue_offset: 0,
            physical_offset: 0,
            size: i32::MAX,
            tags_code: 0,
        }
        .encode();
        let mut pos = 0;
        while (pos as u64) < expected - base {
            seg.file.write(pos, &blank);
            pos += CQ_UNIT_SIZE as usize;
        }
        self.min_pos.store(expected, Ordering::Release);
        self.max_pos.store(expected, Ordering::Release);
        Ok(())
    }

    /// Read up to `max` units from `offset`, within the written range. `None` if the unit's
    /// segment is gone (`OFFSET_FOUND_NULL`).
    pub fn units(&self, offset: i64, max: usize) -> Option<Vec<CqUnit>> {
        self.units_from(offset, max).map(Iterator::collect)
    }

    /// [`Self::units`], each unit decoded as it is reached: a pull reads up to
    /// `maxFilterMessageSize` worth of units (800) to find at most 32 messages.
    pub fn units_from(&self, offset: i64, max: usize) -> Option<Units> {
        let max_pos = self.max_pos.load(Ordering::Acquire);
        let pos = u64::try_from(offset).ok()? * CQ_UNIT_SIZE;
        if pos >= max_pos {
            return Some(Units::default());
        }
        let seg = self.segs.find(pos)?;
        let start = (pos - seg.base) as usize;
        let end = (seg.end().min(max_pos) - seg.base) as usize;
        let n = ((end - start) / CQ_UNIT_SIZE as usize).min(max);
        Some(Units {
            file: Some(seg.file),
            pos: start,
            end: start + n * CQ_UNIT_SIZE as usize,
            offset,
        })
    }

    /// One unit by queue offset.
    pub fn unit(&self, offset: i64) -> Option<CqUnit> {
        self.units(offset, 1)?.into_iter().next()
    }

    /// Recover the write position by scanning units from the third-to-last segment
    /// (`ConsumeQueue.recover`); later segments past the end are deleted.
    /// Returns true when the end found is a hole (nonzero units follow an invalid one), i.e.
    /// units were lost and must be re-dispatched from the CommitLog.
    pub(crate) fn recover(&self) -> Result<bool> {
        let segs = self.segs.snapshot();
        let Some(first) = segs.first() else {
            return Ok(false);
        };
        self.min_pos.store(first.base, Ordering::Release);
        let start = segs.len().saturating_sub(3);
        let mut end = segs[start].base;
        let mut hole = false;
        'outer: for seg in &segs[start..] {
            // The last segment is sparse past the written units: copied, holes read as zeros
            // (a mapped read of a hole faults on a full tmpfs); a full one is read in place.
            let data = seg
                .file
                .read_safe(0, seg.file.len())
                .map_err(StoreError::io("read", seg.file.path()))?;
            for (i, chunk) in data.chunks_exact(20).enumerate() {
                if !CqUnit::decode(0, chunk).is_valid() {
                    end = seg.base + i as u64 * CQ_UNIT_SIZE;
                    hole = data[(i + 1) * 20..].iter().any(|b| *b != 0);
                    if hole {
                        warn!(topic = %self.topic, queue = self.queue_id, file = %seg.file.path().display(),
                            pos = i * 20, "invalid consume-queue unit before valid ones: queue cut here and rebuilt");
                    }
                    break 'outer;
                }
            }
            end = seg.end();
        }
        // maxPhysicOffset: the last real unit before the end.
        self.max_pos.store(end, Ordering::Release);
        let max_physic = (end > first.base)
            .then(|| self.unit(((end - CQ_UNIT_SIZE) / CQ_UNIT_SIZE) as i64))
            .flatten()
            .filter(|u| !u.is_placeholder())
            .map_or(-1, |u| u.physical_offset + i64::from(u.size));
        self.set_end(end, max_physic)?;
        // Min offset: first unit that is not a placeholder.
        self.correct_min_offset(0);
        Ok(hole)
    }

    fn set_end(&self, end: u64, max_physic: i64) -> Result<()> {
        let seg_size = self.segs.seg_size();
        // Drop segments that start at or past the end of the segment holding `end`.
        let cut = if end % seg_size == 0 {
            end
        } else {
            end - end % seg_size + seg_size
        };
        self.segs.delete_from(cut)?;
        self.max_pos.store(end, Ordering::Release);
        self.max_physic.store(max_physic, Ordering::Release);
        if self.min_pos.load(Ordering::Acquire) > end {
            self.min_pos.store(end, Ordering::Release);
        }
        self.arrivals.send_replace(self.max_offset());
        Ok(())
    }

    /// Drop units pointing at or past `phys_end` (`truncateDirtyLogicFiles`); zero them so that
    /// recovery does not see them again.
    pub(crate) fn truncate_physical(&self, phys_end: u64) -> Result<()> {
        let max_off = self.max_offset();
        let min_off = (self.min_pos.load(Ordering::Acquire) / CQ_UNIT_SIZE) as i64;
        // Binary search the first unit whose physical offset >= phys_end.
        let (mut lo, mut hi) = (min_off, max_off);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.unit(mid) {
                Some(u) if !u.is_placeholder() && u.physical_offset as u64 >= phys_end => hi = mid,
                _ => lo = mid + 1,
            }
        }
        if lo >= max_off {
            return Ok(());
        }
        warn!(topic = %self.topic, queue = self.queue_id, from = lo, to = max_off, "truncating consume queue");
        let new_end = lo as u64 * CQ_UNIT_SIZE;
        for pos in (new_end..max_off as u64 * CQ_UNIT_SIZE).step_by(CQ_UNIT_SIZE as usize) {
            if let Some(seg) = self.segs.find(pos) {
                seg.file.write((pos - seg.base) as usize, &[0u8; 20]);
            }
        }
        let max_physic = if lo > min_off {
            self.unit(lo - 1)
                .map_or(-1, |u| u.physical_offset + i64::from(u.size))
        } else {
            -1
        };
        self.set_end(new_end, max_physic)
    }

    /// `correctMinOffset`: min := first unit whose physical offset >= `cl_min` (or max if none).
    pub(crate) fn correct_min_offset(&self, cl_min: u64) {
        let Some(first) = self.segs.first() else {
            return;
        };
        let max_off = self.max_offset();
        let mut off = (first.base.max(self.min_pos.load(Ordering::Acquire)) / CQ_UNIT_SIZE) as i64;
        let (mut lo, mut hi) = (off, max_off);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.unit(mid) {
                Some(u) if !u.is_placeholder() && u.physical_offset as u64 >= cl_min => hi = mid,
                _ => lo = mid + 1,
            }
        }
        off = lo;
        self.min_pos
            .store(off as u64 * CQ_UNIT_SIZE, Ordering::Release);
    }

    /// Delete segments whose every unit points below `cl_min` (never the last), then correct the
    /// min offset. Returns the number of segments deleted.
    pub(crate) fn delete_expired(&self, cl_min: u64) -> Result<usize> {
        let segs = self.segs.snapshot();
        let mut n = 0;
        for seg in segs.iter().take(segs.len().saturating_sub(1)) {
            let last = seg.file.read(seg.file.len() - 20, 20);
            let u = CqUnit::decode(0, last);
            if u.is_valid() && !u.is_placeholder() && (u.physical_offset as u64) < cl_min {
                n += 1;
            } else {
                break;
            }
        }
        self.segs.delete_first(n)?;
        self.correct_min_offset(cl_min);
        Ok(n)
    }

    /// fsync the directory entries created since the last flush, then msync the segments written
    /// since then (writes below the old flushed point only happen in recovery, which flushes
    /// everything at the first call).
    pub(crate) fn flush(&self) -> Result<()> {
        self.segs.sync_created_dirs()?;
        let max = self.max_pos.load(Ordering::Acquire);
        let from = self.flushed_pos.load(Ordering::Acquire);
        if from == max && from != u64::MAX {
            return Ok(());
        }
        for seg in self.segs.snapshot() {
            if from != u64::MAX && seg.end() <= from.min(max) {
                continue;
            }
            seg.file
                .flush()
                .map_err(StoreError::io("msync", seg.file.path()))?;
        }
        self.flushed_pos.store(max, Ordering::Release);
        Ok(())
    }
}
