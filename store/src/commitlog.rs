//! The CommitLog: one append-only sequence of records over fixed-size segments
//! (Java `CommitLog` + `MappedFileQueue`).
//!
//! Writes come only from the store's append lock holder. `max_offset` is the published end of
//! written data: readers never look past it. Every segment has all its blocks reserved before
//! the first write into it, so a full disk fails a put when a segment is created (the store
//! answers it as disk full) and never faults a write into the mapping. A record never spans two segments: when it does not
//! fit (`len + 8 > remaining`), an 8-byte blank `remaining | BLANK_MAGIC` closes the segment and
//! the record goes to offset 0 of the next one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;

use crate::error::{Result, StoreError};
use crate::message::{encode_blank, END_FILE_MIN_BLANK_LENGTH};
use crate::segments::{Segment, SegmentQueue};

/// Bytes of a segment reserved at a time ahead of the write position. A store into a page with
/// no disk block behind it is a SIGBUS on a full disk, so the writer only writes reserved pages;
/// reserving a step at a time rather than the whole segment keeps a store's disk use what it
/// holds (Java's segments are sparse), at one `posix_fallocate` per step.
pub(crate) const RESERVE_AHEAD: usize = 16 << 20;

/// Give `seg` read-ahead or not; a failure only costs speed, so it is logged.
fn advise(seg: &Segment, read_ahead: bool) {
    if let Err(e) = seg.file.set_read_ahead(read_ahead) {
        tracing::warn!(file = %seg.file.path().display(), "madvise: {e}");
    }
}

/// Reserve the blocks of `seg` below `end` (and up to [`RESERVE_AHEAD`] beyond).
pub(crate) fn reserve(seg: &Segment, end: usize) -> Result<()> {
    seg.file
        .reserve(end, end.saturating_add(RESERVE_AHEAD))
        .map_err(StoreError::io("reserve blocks of", seg.file.path()))
}

#[derive(Debug)]
pub(crate) struct CommitLog {
    pub segs: SegmentQueue,
    /// End of written (and readable) data.
    max_offset: AtomicU64,
    /// `dataReadAheadEnable`: new segments read ahead (else `MADV_RANDOM`).
    pub read_ahead: AtomicBool,
    /// SYNC_FLUSH: the segment being written never reads ahead, whatever `dataReadAheadEnable`
    /// says, and takes that setting once full. msync writes back whole page-cache folios, and a
    /// fault with read-ahead brings a fresh segment in as folios of up to 2 MiB: each group commit
    /// then wrote back the 2 MiB under the write position for its few KiB of records. Without
    /// read-ahead a fault brings one 4 KiB page.
    sync_flush: bool,
    /// `commit_log_resident_window`: reads that end below the last this many bytes are cold.
    resident_window: u64,
    cold_reads: ColdReads,
}

/// The span of cold records read since the residency pass last took it (`u64::MAX`, 0 when
/// none): that pass releases it often, where a sweep of every cold segment would cost a
/// page-table walk per segment ([`crate::flush::release_read_pages`]). On a cache line of its
/// own, apart from `max_offset`, which every append stores and every read loads.
#[derive(Debug)]
#[repr(align(64))]
struct ColdReads {
    lo: AtomicU64,
    hi: AtomicU64,
}

/// Where an append landed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Appended {
    /// End of the written data (next write position).
    pub end: u64,
}

impl CommitLog {
    /// The CommitLog over the loaded `segs`, each given its read-ahead mode (Java
    /// `CommitLog.load`: without read-ahead when `dataReadAheadEnable` is off).
    pub fn new(
        segs: SegmentQueue,
        read_ahead: bool,
        sync_flush: bool,
        resident_window: u64,
    ) -> CommitLog {
        let log = CommitLog {
            segs,
            max_offset: AtomicU64::new(0),
            read_ahead: AtomicBool::new(read_ahead),
            sync_flush,
            resident_window,
            cold_reads: ColdReads {
                lo: AtomicU64::new(u64::MAX),
                hi: AtomicU64::new(0),
            },
        };
        log.set_read_ahead(read_ahead);
        log
    }

    /// `dataReadAheadEnable` for every segment and those created from now on (Java
    /// `scanFileAndSetReadMode`), except the one being written under SYNC_FLUSH.
    pub fn set_read_ahead(&self, enabled: bool) {
        self.read_ahead.store(enabled, Ordering::Release);
        let segs = self.segs.snapshot();
        let last = segs.len().saturating_sub(1);
        for (i, seg) in segs.iter().enumerate() {
            advise(seg, enabled && !(i == last && self.sync_flush));
        }
    }

    /// The span of cold records read since the last call, if any was.
    pub fn take_cold_reads(&self) -> Option<(u64, u64)> {
        let lo = self.cold_reads.lo.swap(u64::MAX, Ordering::Relaxed);
        let hi = self.cold_reads.hi.swap(0, Ordering::Relaxed);
        (lo < hi).then_some((lo, hi))
    }

    pub fn seg_size(&self) -> u64 {
        self.segs.seg_size()
    }

    /// Published end of written data.
    pub fn max_offset(&self) -> u64 {
        self.max_offset.load(Ordering::Acquire)
    }

    /// Set the write end (recovery and truncation).
    pub fn set_max_offset(&self, offset: u64) {
        self.max_offset.store(offset, Ordering::Release);
    }

    /// First readable offset (base of the first segment), 0 if empty.
    pub fn min_offset(&self) -> u64 {
        self.segs.first().map_or(0, |s| s.base)
    }

    /// Append `len` bytes produced by `fill(buffer, physical_offset)`. Writer only. Rolls to a new
    /// segment, writing the blank record, when the data does not fit.
    pub fn append(&self, len: usize, fill: impl FnOnce(&mut [u8], u64)) -> Result<Appended> {
        let seg_size = self.seg_size();
        if len as u64 + END_FILE_MIN_BLANK_LENGTH as u64 > seg_size {
            return Err(StoreError::MessageIllegal(format!(
                "record of {len} bytes does not fit a commitlog segment of {seg_size}"
            )));
        }
        let mut end = self.max_offset();
        let mut seg = self.segment_for_write(end)?;
        let mut pos = (end - seg.base) as usize;
        let remaining = seg.file.len() - pos;
        if len + END_FILE_MIN_BLANK_LENGTH > remaining {
            let blank = encode_blank(remaining);
            reserve(&seg, pos + blank.len())?;
            seg.file.write(pos, &blank);
            end = seg.end();
            // The blank is written before the new segment exists: readers see the segment as
            // complete only once max_offset moves past it, which happens below or at the next put.
            seg = self.segment_for_write(end)?;
            pos = 0;
            self.set_max_offset(end);
        }
        reserve(&seg, pos + len)?;
        let offset = seg.base + pos as u64;
        seg.file.write_with(pos, len, |buf| fill(buf, offset));
        let new_end = offset + len as u64;
        self.set_max_offset(new_end);
        Ok(Appended { end: new_end })
    }

    /// Replication (slave side, Java `CommitLog.appendData`): write bytes the master sent at the
    /// current end. The master never sends past the end of one of its segments, so the bytes
    /// never cross ours. An empty CommitLog starts at `offset` if it is a segment start.
    pub fn append_raw(&self, offset: u64, data: &[u8]) -> Result<u64> {
        let seg_size = self.seg_size();
        if self.segs.is_empty() && self.max_offset() == 0 && offset % seg_size == 0 {
            self.set_max_offset(offset);
        }
        let end = self.max_offset();
        let bad = |reason: String| StoreError::Format {
            path: self.segs.dir().to_path_buf(),
            reason,
        };
        if offset != end {
            return Err(bad(format!(
                "replicated data at {offset} but the commitlog ends at {end}"
            )));
        }
        let seg = self.segment_for_write(end)?;
        let pos = (end - seg.base) as usize;
        if pos + data.len() > seg.file.len() {
            return Err(bad(format!(
                "replicated data at {offset} ({} bytes) crosses a segment",
                data.len()
            )));
        }
        reserve(&seg, pos + data.len())?;
        seg.file.write(pos, data);
        let new_end = end + data.len() as u64;
        self.set_max_offset(new_end);
        Ok(new_end)
    }

    /// A new segment, without read-ahead unless `dataReadAheadEnable` (Java `CommitLog`
    /// `isCloseReadAhead`) and not under SYNC_FLUSH, which hands read-ahead to the segment it
    /// leaves instead.
    fn create(&self, base: u64) -> Result<Segment> {
        let full = self.segs.last();
        let seg = self.segs.create(base)?;
        let read_ahead = self.read_ahead.load(Ordering::Acquire);
        if !read_ahead || self.sync_flush {
            advise(&seg, false);
        }
        if let Some(full) = full.filter(|_| read_ahead && self.sync_flush) {
            advise(&full, true);
        }
        Ok(seg)
    }

    /// The segment that takes a write at `end`, created when `end` starts a new one. The caller
    /// [`reserve`]s the bytes it writes.
    fn segment_for_write(&self, end: u64) -> Result<Segment> {
        let seg = match self.segs.last() {
            Some(s) if end < s.end() => s,
            Some(s) if end == s.end() => self.create(s.end())?,
            Some(s) => {
                return Err(StoreError::Format {
                    path: s.file.path().to_path_buf(),
                    reason: format!("write position {end} is past the last segment"),
                })
            }
            None => {
                let seg_size = self.seg_size();
                self.create(end - end % seg_size)?
            }
        };
        Ok(seg)
    }

    /// A `Bytes` view of `[offset, offset+size)`, or `None` if not readable (removed or not yet
    /// written, or spanning segments).
    pub fn read(&self, offset: u64, size: usize) -> Option<Bytes> {
        let end = offset.checked_add(size as u64)?;
        let max = self.max_offset();
        if end > max {
            return None;
        }
        let seg = self.segs.find(offset)?;
        let pos = (offset - seg.base) as usize;
        if pos + size > seg.file.len() {
            return None;
        }
        if self.resident_window > 0 && end < max.saturating_sub(self.resident_window) {
            self.note_cold_read(offset, end);
        }
        Some(seg.file.bytes(pos, size))
    }

    /// Widens the cold span; loads first, as a drain reads forward and the stores are rare.
    fn note_cold_read(&self, offset: u64, end: u64) {
        let span = &self.cold_reads;
        if offset < span.lo.load(Ordering::Relaxed) {
            span.lo.fetch_min(offset, Ordering::Relaxed);
        }
        if end > span.hi.load(Ordering::Relaxed) {
            span.hi.fetch_max(end, Ordering::Relaxed);
        }
    }

    /// Java `checkInMemByCommitOffset` (5.3.3): the record's bytes are written and resident in
    /// the page cache; false when they cannot be read.
    pub fn is_resident(&self, offset: u64, size: usize) -> bool {
        let Some(end) = offset.checked_add(size as u64) else {
            return false;
        };
        if end > self.max_offset() {
            return false;
        }
        let Some(seg) = self.segs.find(offset) else {
            return false;
        };
        let pos = (offset - seg.base) as usize;
        pos + size <= seg.file.len() && seg.file.is_resident(pos, size)
    }

    /// Store timestamp of the record at `offset` (`pickupStoreTimestamp`), -1 if unreadable.
    pub fn store_timestamp(&self, offset: u64, size: usize) -> i64 {
        if size < 64 {
            return -1;
        }
        let Some(b) = self.read(offset, size) else {
            return -1;
        };
        let sys_flag = i32::from_be_bytes([b[36], b[37], b[38], b[39]]);
        let pos = if sys_flag & crate::message::sysflag::BORNHOST_V6 != 0 {
            68
        } else {
            56
        };
        i64::from_be_bytes(b[pos..pos + 8].try_into().unwrap_or([0xFF; 8]))
    }

    /// Start offset of the segment after the one holding `offset` (`rollNextFile`).
    pub fn roll_next_file(&self, offset: u64) -> u64 {
        let s = self.seg_size();
        offset + s - offset % s
    }
}
