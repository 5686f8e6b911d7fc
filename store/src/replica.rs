//! Slave side of replication (Java `HAService` slave + `ReputMessageService`): raw CommitLog bytes
//! from the master are written at our end, then every complete record is dispatched to the
//! consume queues and the index. A record split across two transfers is dispatched when its last
//! byte arrives. The master side needs only [`Store::commitlog_data`].

use std::sync::atomic::Ordering;

use tracing::error;

use crate::decode::{check_record, Checked};
use crate::dispatch::dispatch;
use crate::error::{Result, StoreError};
use crate::message::{MAGIC_BLANK, MAGIC_V1, MAGIC_V2};
use crate::store::Store;

impl Store {
    /// Append bytes replicated from the master at `offset` (must equal our CommitLog max offset)
    /// and dispatch the complete records. Returns the new max offset, which the HA client reports
    /// back to the master.
    pub fn append_replicated(&self, offset: i64, data: &[u8]) -> Result<i64> {
        let inner = &self.inner;
        let _guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        self.check_writable()?;
        let offset = u64::try_from(offset)
            .map_err(|_| StoreError::MessageIllegal(format!("negative replica offset {offset}")))?;
        let end = inner.commitlog.append_raw(offset, data)?;
        if inner.dispatched_end.load(Ordering::Acquire) < inner.commitlog.min_offset() {
            inner.dispatched_end.store(offset, Ordering::Release);
        }
        self.dispatch_replicated()?;
        Ok(end as i64)
    }

    /// Dispatch whole records between the dispatched end and the CommitLog end (append lock held).
    fn dispatch_replicated(&self) -> Result<()> {
        let inner = &self.inner;
        let max = inner.commitlog.max_offset();
        let mut from = inner.dispatched_end.load(Ordering::Acquire);
        while from < max {
            let Some(seg) = inner.commitlog.segs.find(from) else {
                break;
            };
            let pos = (from - seg.base) as usize;
            let avail = (seg.end().min(max) - from) as usize;
            let view = seg.file.read(pos, avail);
            if incomplete(view) {
                break;
            }
            match check_record(view, true, &inner.delays) {
                Checked::Message(info) => {
                    if let Err(e) = dispatch(inner, None, &info) {
                        if matches!(e, StoreError::DiskFull(_)) {
                            // The bytes are stored: dispatch them at the next append.
                            error!(offset = from, error = %e, "replicated records wait for disk space to be dispatched");
                            break;
                        }
                        error!(offset = from, error = %e, "dispatch of a replicated record failed");
                    }
                    inner
                        .last_store_ts
                        .store(info.store_timestamp, Ordering::Release);
                    from += info.size as u64;
                }
                Checked::Blank => from = seg.end(),
                Checked::Bad { reason } => {
                    inner.dispatched_end.store(from, Ordering::Release);
                    return Err(StoreError::Format {
                        path: seg.file.path().to_path_buf(),
                        reason: format!("replicated record at {from} is corrupt: {reason}"),
                    });
                }
            }
        }
        inner.dispatched_end.store(from, Ordering::Release);
        Ok(())
    }
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
