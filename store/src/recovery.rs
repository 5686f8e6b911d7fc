//! Startup recovery (Java `DefaultMessageStore.recover`, `CommitLog.recoverNormally` /
//! `recoverAbnormally`, `ConsumeQueue.recover`).
//!
//! 1. Every consume queue finds its end (units with `offset >= 0 && size > 0`).
//! 2. The CommitLog is scanned from a safe start segment with full validation (size, magic, body
//!    CRC when `checkCRCOnRecover`); every good record is re-dispatched (idempotent: units already
//!    present are skipped). Normal start: the third-from-last segment, or the segment holding the
//!    consume queues' max physical offset if earlier. Abnormal start (`abort` present): the newest
//!    segment whose first record's store time ≤ `checkpoint.getMinTimestamp()`.
//! 3. The scan stops at the first bad record; that point becomes the write position. Its torn
//!    remains are zeroed (Java leaves them; zeroing stops stale bytes from ever passing as a
//!    record after a later, shorter append), later segments are deleted, consume queues are cut
//!    back to it, and min offsets are corrected.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tracing::{error, info, warn};

use crate::config::{DispatchLimit, StoreConfig};
use crate::consume_queue::ConsumeQueue;
use crate::decode::{check_record, Checked};
use crate::dispatch::dispatch;
use crate::error::{Result, StoreError};
use crate::layout::{round_cq_file_size, StorePaths, OS_PAGE_SIZE};
use crate::message::{MAGIC_V1, MAGIC_V2};
use crate::segments::Segment;
use crate::store::{Inner, QueueTable};

/// Load every `consumequeue/<topic>/<queueId>` directory (non-numeric queue names and plain
/// files are skipped, as Java does). Returns the table and whether a damaged queue was dropped,
/// which calls for re-dispatching the whole CommitLog.
pub(crate) fn load_queues(cfg: &StoreConfig, paths: &StorePaths) -> Result<(QueueTable, bool)> {
    let root = paths.consume_queue_root();
    std::fs::create_dir_all(&root).map_err(StoreError::io("create directory", &root))?;
    let seg = round_cq_file_size(cfg.mapped_file_size_consume_queue);
    let mut table = QueueTable::default();
    let mut full_rescan = false;
    for topic_dir in std::fs::read_dir(&root).map_err(StoreError::io("list directory", &root))? {
        let topic_dir = topic_dir
            .map_err(StoreError::io("list directory", &root))?
            .path();
        if !topic_dir.is_dir() {
            continue;
        }
        let topic = topic_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for q in
            std::fs::read_dir(&topic_dir).map_err(StoreError::io("list directory", &topic_dir))?
        {
            let q = q
                .map_err(StoreError::io("list directory", &topic_dir))?
                .path();
            let Some(id) = q
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse::<i32>().ok())
            else {
                warn!(path = %q.display(), "not a queue directory, ignored");
                continue;
            };
            if !q.is_dir() {
                continue;
            }
            let cq = match ConsumeQueue::open(&topic, id, &q, seg) {
                Ok(cq) => cq,
                Err(StoreError::SegmentSize {
                    path,
                    expected,
                    actual,
                }) => {
                    // A consume queue is derived data: drop it and rebuild it from the CommitLog.
                    error!(path = %path.display(), expected, actual,
                        "consume queue file has the wrong size: queue dropped, rebuilt from the commitlog");
                    std::fs::remove_dir_all(&q).map_err(StoreError::io("delete", &q))?;
                    full_rescan = true;
                    ConsumeQueue::open(&topic, id, &q, seg)?
                }
                Err(e) => return Err(e),
            };
            table
                .entry(topic.clone())
                .or_default()
                .insert(id, Arc::new(cq));
        }
    }
    Ok((table, full_rescan))
}

/// Run the whole recovery (module doc).
pub(crate) fn recover(inner: &Inner, last_exit_ok: bool, full_rescan: bool) -> Result<()> {
    let mut max_phy_cq = -1i64;
    let mut full_rescan = full_rescan;
    for q in inner.all_queues() {
        full_rescan |= q.recover()?;
        max_phy_cq = max_phy_cq.max(q.max_physic_offset());
    }
    let segs = inner.commitlog.segs.snapshot();
    if segs.is_empty() {
        destroy_queues(inner)?;
        inner.commitlog.set_max_offset(0);
        inner.flush.reset(0);
        inner.dispatched_end.store(0, Ordering::Release);
        set_recovered_confirm(inner, 0);
        return Ok(());
    }
    let start = if full_rescan {
        0
    } else if last_exit_ok {
        normal_start(&segs, max_phy_cq)
    } else {
        abnormal_start(inner, &segs)
    };
    info!(last_exit_ok, start = %segs[start].file.path().display(), max_phy_cq, "recovering commitlog");
    // Normal recovery re-dispatches only what lies past the consume queues (Java 5.x
    // `recoverNormally`), so a deleted topic's old records are not brought back; abnormal
    // recovery re-dispatches everything it scans (idempotent).
    let dispatch_from = if last_exit_ok && !full_rescan {
        max_phy_cq
    } else {
        -1
    };
    // Java `recoverAbnormally` in controller mode dispatches only what the confirm offset
    // covers; `recoverNormally` dispatches everything past the consume queues.
    let confirmed = (inner.limit == DispatchLimit::Confirmed && !last_exit_ok)
        .then(|| u64::try_from(inner.checkpoint.get().confirm_phy_offset).unwrap_or(0));
    let limits = Limits {
        dispatch_from,
        confirmed,
    };
    let (process_offset, dispatched, confirmed_end) = scan(inner, &segs[start..], limits)?;
    info!(
        process_offset,
        dispatched, confirmed_end, "commitlog scan done"
    );
    inner
        .dispatched_end
        .store(confirmed_end.min(process_offset), Ordering::Release);
    set_recovered_confirm(
        inner,
        if last_exit_ok {
            process_offset
        } else {
            confirmed_end
        },
    );
    for q in inner.all_queues() {
        if q.max_physic_offset() > process_offset as i64 {
            q.truncate_physical(process_offset)?;
        }
    }
    truncate_commitlog(inner, process_offset)?;
    let cl_min = inner.commitlog.min_offset();
    for q in inner.all_queues() {
        q.correct_min_offset(cl_min);
    }
    Ok(())
}

/// Java `recoverNormally` / `recoverAbnormally` in controller mode: the checkpoint's confirm
/// offset, not below the CommitLog's first offset nor above `highest`, is where dispatch ends.
fn set_recovered_confirm(inner: &Inner, highest: u64) {
    if inner.limit != DispatchLimit::Confirmed {
        return;
    }
    let kept = u64::try_from(inner.checkpoint.get().confirm_phy_offset).unwrap_or(0);
    let confirm = kept.max(inner.commitlog.min_offset()).min(highest);
    if confirm != kept {
        warn!(kept, confirm, "confirm offset corrected at recovery");
    }
    inner.confirm.store(confirm, Ordering::Release);
    inner
        .checkpoint
        .update(|c| c.confirm_phy_offset = confirm as i64);
}

/// Which records the recovery scan dispatches: those ending after `dispatch_from`, and with
/// `confirmed` only those ending at or before it.
#[derive(Debug, Clone, Copy)]
struct Limits {
    dispatch_from: i64,
    confirmed: Option<u64>,
}

fn normal_start(segs: &[Segment], max_phy_cq: i64) -> usize {
    let third_last = segs.len().saturating_sub(3);
    if max_phy_cq < 0 {
        return 0;
    }
    let holding = segs
        .iter()
        .rposition(|s| s.base as i64 <= max_phy_cq)
        .unwrap_or(0);
    holding.min(third_last)
}

fn abnormal_start(inner: &Inner, segs: &[Segment]) -> usize {
    let min_ts = inner.checkpoint.get().min_timestamp();
    for (i, s) in segs.iter().enumerate().rev() {
        // An empty segment (a sparse one made ahead by a Java broker) is a hole here.
        let Ok(head) = s.file.read_safe(0, 80.min(s.file.len())) else {
            continue;
        };
        if head.len() < 80 {
            continue;
        }
        let magic = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        if magic != MAGIC_V1 && magic != MAGIC_V2 {
            continue;
        }
        let sys_flag = i32::from_be_bytes([head[36], head[37], head[38], head[39]]);
        let p = if sys_flag & crate::message::sysflag::BORNHOST_V6 != 0 {
            68
        } else {
            56
        };
        let mut b = [0u8; 8];
        b.copy_from_slice(&head[p..p + 8]);
        let ts = i64::from_be_bytes(b);
        if ts > 0 && ts <= min_ts {
            return i;
        }
    }
    0
}

/// Walk records from the first given segment, dispatching those `limits` allow; returns the end
/// of valid data, the number of records seen, and the end of the last record dispatched
/// within `limits.confirmed` (the end of valid data without it; the scan's start when none).
fn scan(inner: &Inner, segs: &[Segment], limits: Limits) -> Result<(u64, u64, u64)> {
    let check_crc = inner.cfg().check_crc_on_recover;
    let mut count = 0u64;
    let cap = limits.confirmed.unwrap_or(u64::MAX);
    let mut confirmed_end = segs.first().map_or(0, |s| s.base);
    for (i, seg) in segs.iter().enumerate() {
        // Records are data; the hole after them (never written, or reserved but unwritten) reads
        // as zeros and ends the scan like zeros would, without faulting it in.
        let data = seg.file.read(0, seg.file.data_end(0));
        let mut pos = 0usize;
        loop {
            match check_record(&data[pos..], check_crc, &inner.delays) {
                Checked::Message(info) => {
                    if info.physical_offset != (seg.base + pos as u64) as i64 {
                        warn!(file = %seg.file.path().display(), pos, stored = info.physical_offset,
                            "record's PHYSICALOFFSET differs from its position");
                    }
                    let end = info.physical_offset + i64::from(info.size);
                    let at_end = seg.base + (pos + info.size as usize) as u64;
                    if at_end <= cap {
                        confirmed_end = at_end;
                    }
                    if end <= limits.dispatch_from || at_end > cap {
                        // Already in the consume queues, or waiting for the confirm offset.
                    } else if let Err(e) = dispatch(inner, None, &info) {
                        if matches!(e, StoreError::DiskFull(_)) {
                            // Skipping would leave the record out of its queue for good.
                            return Err(e);
                        }
                        error!(file = %seg.file.path().display(), pos, error = %e, "re-dispatch failed, record skipped");
                    }
                    pos += info.size as usize;
                    count += 1;
                }
                Checked::Blank => {
                    if seg.end() <= cap {
                        confirmed_end = seg.end();
                    }
                    if i + 1 == segs.len() {
                        return Ok((seg.end(), count, confirmed_end.min(seg.end())));
                    }
                    break;
                }
                Checked::Bad { reason } => {
                    let at = seg.base + pos as u64;
                    if data[pos..].iter().take(8).any(|b| *b != 0) {
                        warn!(file = %seg.file.path().display(), pos, offset = at, %reason,
                            "commitlog ends at a bad record; data from here on is dropped");
                    }
                    check_later_segments(inner, &segs[i + 1..], seg, at, &reason)?;
                    return Ok((at, count, confirmed_end.min(at)));
                }
            }
        }
    }
    let end = segs.last().map_or(0, Segment::end);
    Ok((end, count, confirmed_end.min(end)))
}

/// A bad record before the last segment: Java deletes every later segment. When those hold
/// data, we refuse to start instead (storage spec §4.7 item 8) unless
/// `truncateOnOldCorruption` allows Java's rule. Empty later segments (Java's preallocated next
/// file) are simply deleted.
fn check_later_segments(
    inner: &Inner,
    later: &[Segment],
    seg: &Segment,
    at: u64,
    reason: &str,
) -> Result<()> {
    let with_data = later
        .iter()
        .filter(|s| s.file.any_nonzero(0, 8.min(s.file.len())))
        .count();
    if with_data == 0 {
        return Ok(());
    }
    if !inner.cfg().truncate_on_old_corruption {
        return Err(StoreError::Format {
            path: seg.file.path().to_path_buf(),
            reason: format!(
                "bad record at commitlog offset {at} ({reason}) with {with_data} later segment(s) holding data; \
                 refusing to delete them: repair or remove the damaged data, or set truncateOnOldCorruption=true"
            ),
        });
    }
    error!(file = %seg.file.path().display(), offset = at, later_segments = with_data,
        "bad record before the last segment: later segments are deleted (Java's rule)");
    Ok(())
}

/// Set the write end to `offset`, zero torn bytes after it, delete later segments.
pub(crate) fn truncate_commitlog(inner: &Inner, offset: u64) -> Result<()> {
    inner.commitlog.segs.delete_from(offset + 1)?;
    if let Some(seg) = inner.commitlog.segs.find(offset) {
        zero_tail(&seg, (offset - seg.base) as usize)?;
    }
    inner.commitlog.set_max_offset(offset);
    inner.flush.reset(offset);
    if let Some(last) = inner.commitlog.segs.last() {
        // Reserve now rather than at the first put; on a full disk the first put retries it.
        let end = offset.saturating_sub(last.base).min(last.file.len() as u64) as usize;
        if let Err(e) = crate::commitlog::reserve(&last, end) {
            warn!(file = %last.file.path().display(), error = %e, "could not reserve blocks of the active segment");
        }
    }
    Ok(())
}

/// Zero nonzero bytes from `pos`, page by page, until 1 MiB of consecutive zero pages.
fn zero_tail(seg: &Segment, pos: usize) -> Result<()> {
    let page = OS_PAGE_SIZE as usize;
    let len = seg.file.len();
    let (mut p, mut zero_run, mut zeroed) = (pos, 0usize, 0usize);
    while p < len && zero_run < 256 {
        let end = ((p / page) + 1) * page;
        let end = end.min(len);
        if seg.file.any_nonzero(p, end - p) {
            seg.file.write_with(p, end - p, |b| b.fill(0));
            zeroed += end - p;
            zero_run = 0;
        } else {
            zero_run += 1;
        }
        p = end;
    }
    if zeroed > 0 {
        warn!(file = %seg.file.path().display(), pos, zeroed, "zeroed torn bytes after the recovered end");
        seg.file
            .flush()
            .map_err(StoreError::io("msync", seg.file.path()))?;
    }
    Ok(())
}

fn destroy_queues(inner: &Inner) -> Result<()> {
    let mut t = inner.queues.write().unwrap_or_else(|e| e.into_inner());
    if !t.is_empty() {
        warn!("commitlog is empty: destroying all consume queues");
    }
    t.clear();
    let root = inner.paths.consume_queue_root();
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(StoreError::io("delete", &root))?;
        std::fs::create_dir_all(&root).map_err(StoreError::io("create directory", &root))?;
    }
    Ok(())
}
