//! Dispatch behind the append (Java `ReputMessageService`): records between the dispatched end
//! and the [`DispatchLimit`](crate::DispatchLimit)'s offset are read back from the CommitLog and
//! dispatched to the consume queues and the index, which wakes the long polls waiting on them.
//! A slave's replicated records always go this way; a master's do when the limit is the
//! flushed or the confirm offset.
//!
//! ```text
//!   CommitLog  |  dispatched  |  appended, waiting for the limit  |
//!              0        dispatched_end                      max_offset
//! ```
//! Every function here runs under the append lock.

use std::sync::atomic::Ordering;

use tracing::{error, info};

use crate::config::DispatchLimit;
use crate::decode::{check_record, Checked, DispatchInfo};
use crate::dispatch::{dispatch, queue_or_create};
use crate::error::{Result, StoreError};
use crate::message::{sysflag, MAGIC_BLANK, MAGIC_V1, MAGIC_V2};
use crate::store::Inner;

/// `Inner::confirm` while a master confirms all it has: records are dispatched with their append.
pub(crate) const FOLLOW_END: u64 = u64::MAX;

impl Inner {
    /// Where dispatch ends now; `None` when records are dispatched with their append.
    pub(crate) fn dispatch_cap(&self) -> Option<u64> {
        match self.limit {
            DispatchLimit::End => None,
            DispatchLimit::Flushed => Some(self.flush.flushed()),
            DispatchLimit::Confirmed => match self.confirm.load(Ordering::Acquire) {
                FOLLOW_END => None,
                c => Some(c),
            },
        }
    }
}

/// Walks the whole records from `from` that end at or before `limit` (and the CommitLog's end),
/// calling `f` on each. Returns where the walk stopped: at `limit`, before a record ending past
/// it or only partly written, at a bad record (with its error), or where `f` failed.
fn walk(
    inner: &Inner,
    from: u64,
    limit: u64,
    check_crc: bool,
    mut f: impl FnMut(&DispatchInfo) -> Result<()>,
) -> (u64, Result<()>) {
    let max = inner.commitlog.max_offset();
    let limit = limit.min(max);
    // Java `doReput`: what was deleted meanwhile is skipped.
    let mut from = from.max(inner.commitlog.min_offset());
    while from < limit {
        let Some(seg) = inner.commitlog.segs.find(from) else {
            break;
        };
        let pos = (from - seg.base) as usize;
        let view = seg.file.read(pos, (seg.end().min(max) - from) as usize);
        if incomplete(view) {
            break;
        }
        match check_record(view, check_crc, &inner.delays) {
            Checked::Message(info) => {
                let end = from + info.size as u64;
                if end > limit {
                    break;
                }
                if let Err(e) = f(&info) {
                    return (from, Err(e));
                }
                from = end;
            }
            Checked::Blank => from = seg.end(),
            Checked::Bad { reason } => {
                let e = StoreError::Format {
                    path: seg.file.path().to_path_buf(),
                    reason: format!("record at {from} is corrupt: {reason}"),
                };
                return (from, Err(e));
            }
        }
    }
    (from, Ok(()))
}

/// True when the bytes hold only the beginning of a record: wait for the rest.
fn incomplete(view: &[u8]) -> bool {
    if view.len() < 8 {
        return true;
    }
    let total = i32::from_be_bytes([view[0], view[1], view[2], view[3]]);
    let magic = i32::from_be_bytes([view[4], view[5], view[6], view[7]]);
    magic != MAGIC_BLANK
        && (magic == MAGIC_V1 || magic == MAGIC_V2)
        && total > 0
        && total as usize > view.len()
}

/// Dispatches the whole records from the dispatched end up to `limit`. `replicated`: the bytes
/// came from a master, so their body CRC is checked and they set the store time of the last
/// append. A full disk stops the dispatch until the next call; other dispatch errors skip the
/// record, as the append path does.
pub(crate) fn dispatch_to(inner: &Inner, limit: u64, replicated: bool) -> Result<()> {
    let from = inner.dispatched_end.load(Ordering::Acquire);
    if from >= limit.min(inner.commitlog.max_offset()) {
        return Ok(());
    }
    let (end, r) = walk(inner, from, limit, replicated, |info| {
        if let Err(e) = dispatch(inner, None, info) {
            if matches!(e, StoreError::DiskFull(_)) {
                return Err(e);
            }
            error!(offset = info.physical_offset, error = %e, "dispatch of a record failed");
        }
        if replicated {
            inner
                .last_store_ts
                .store(info.store_timestamp, Ordering::Release);
        }
        Ok(())
    });
    inner.dispatched_end.store(end, Ordering::Release);
    match r {
        Err(StoreError::DiskFull(reason)) => {
            // The bytes are stored: they are dispatched at the next call.
            error!(offset = end, %reason, "records wait for disk space to be dispatched");
            Ok(())
        }
        r => r,
    }
}

/// Java `truncateInvalidMsg`: the end of the last whole record after the dispatched end (a
/// partly received one is cut by the caller).
pub(crate) fn whole_records_end(inner: &Inner) -> u64 {
    let from = inner.dispatched_end.load(Ordering::Acquire);
    walk(inner, from, u64::MAX, false, |_| Ok(())).0
}

/// The queue offsets the next puts take (Java `recoverTopicQueueTable`): past every queue's
/// units and past the records appended but not dispatched yet.
pub(crate) fn reassign_queue_offsets(inner: &Inner) {
    for q in inner.all_queues() {
        q.set_assigned(0);
    }
    let from = inner.dispatched_end.load(Ordering::Acquire);
    let mut pending = 0u64;
    let (_, r) = walk(inner, from, u64::MAX, false, |info| {
        if sysflag::takes_queue_offset(info.sys_flag) {
            let q = queue_or_create(inner, info.topic, info.queue_id)?;
            q.set_assigned(q.next_offset().max(info.queue_offset + 1));
            pending += 1;
        }
        Ok(())
    });
    if let Err(e) = r {
        error!(error = %e, "reading the records waiting for dispatch");
    }
    if pending > 0 {
        info!(
            pending,
            dispatched_end = from,
            "records wait for the confirm offset to be dispatched"
        );
    }
}
