//! Slave side of replication (Java `HAService` slave + `ReputMessageService`): raw CommitLog bytes
//! from the master are written at our end, then every complete record is dispatched to the
//! consume queues and the index. A record split across two transfers is dispatched when its last
//! byte arrives. The master side needs only [`Store::commitlog_data`].
//!
//! Controller mode adds role changes at runtime ([`Store::set_replica`]) and truncation
//! (Java `DefaultMessageStore.truncateFiles` and `AutoSwitchHAService.truncateInvalidMsg`): a
//! replica whose log diverged from the new master's cuts its CommitLog back to the last offset
//! both agree on, and its consume queues with it.

use std::sync::atomic::Ordering;

use tracing::{error, warn};

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

    /// The confirm offset of controller mode kept in the checkpoint (Java `confirmPhyOffset`).
    pub fn confirm_phy_offset(&self) -> i64 {
        self.inner.checkpoint.get().confirm_phy_offset
    }

    /// Records the confirm offset; it reaches the file with the next checkpoint flush, as
    /// Java's `CommitLog.setConfirmOffset` does.
    pub fn set_confirm_phy_offset(&self, offset: i64) {
        self.inner
            .checkpoint
            .update(|c| c.confirm_phy_offset = offset);
    }

    /// Whether puts are refused (a slave); controller mode changes it with the role.
    pub fn set_replica(&self, replica: bool) {
        self.inner.replica.store(replica, Ordering::Release);
    }

    /// End of the CommitLog data dispatched to the consume queues: the end of the last whole
    /// record a slave received.
    pub fn dispatched_end(&self) -> i64 {
        self.inner.dispatched_end.load(Ordering::Acquire) as i64
    }

    /// Java `truncateInvalidMsg`: drops a partly received record at the CommitLog's end (a
    /// slave becoming master). Returns the new end when something was dropped.
    pub fn truncate_undispatched(&self) -> Result<Option<i64>> {
        let _guard = self.inner.append.lock().unwrap_or_else(|e| e.into_inner());
        let end = self.inner.dispatched_end.load(Ordering::Acquire);
        if end >= self.inner.commitlog.max_offset() {
            return Ok(None);
        }
        crate::recovery::truncate_commitlog(&self.inner, end)?;
        Ok(Some(end as i64))
    }

    /// Java `truncateFiles`: cuts the CommitLog back to `offset` (a record boundary) and drops
    /// the consume-queue units of the records cut. True when done or nothing is past `offset`;
    /// false when `offset` is not the start of a record.
    pub fn truncate_to(&self, offset: i64) -> Result<bool> {
        let inner = &self.inner;
        let _guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(at) = u64::try_from(offset) else {
            return Ok(false);
        };
        if at >= inner.commitlog.max_offset() {
            return Ok(true);
        }
        if !self.record_starts_at(at) {
            return Ok(false);
        }
        crate::recovery::truncate_commitlog(inner, at)?;
        for q in inner.all_queues() {
            q.truncate_physical(at)?;
        }
        if inner.dispatched_end.load(Ordering::Acquire) > at {
            inner.dispatched_end.store(at, Ordering::Release);
        }
        warn!(offset, "truncated the CommitLog and consume queues");
        Ok(true)
    }

    /// Java `isOffsetAligned`: a record (or a segment's blank end) starts at `at`.
    fn record_starts_at(&self, at: u64) -> bool {
        let inner = &self.inner;
        let Some(seg) = inner.commitlog.segs.find(at) else {
            return at < inner.commitlog.min_offset();
        };
        let pos = (at - seg.base) as usize;
        let avail = (seg.end().min(inner.commitlog.max_offset()) - at) as usize;
        !matches!(
            check_record(seg.file.read(pos, avail), false, &inner.delays),
            Checked::Bad { .. }
        )
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::config::StoreConfig;
    use crate::store::tests::message;
    use crate::store::Store;

    #[test]
    fn truncation_cuts_the_commitlog_and_the_queues_and_puts_go_on() {
        let dir = crate::testutil::TempDir::new("truncate");
        let cfg = StoreConfig::new(dir.path()).with_small_files(64 * 1024, 100, 64, 400);
        let store = Store::open(cfg).unwrap();
        let placed: Vec<_> = (0..3)
            .map(|_| store.put(message()).unwrap().first())
            .collect();
        let cut = placed[1].physical_offset;
        assert!(
            !store.truncate_to(cut + 1).unwrap(),
            "not the start of a record"
        );
        assert!(store.truncate_to(cut).unwrap());
        assert_eq!(store.commitlog_offsets().1, cut);
        assert_eq!(store.max_offset("P", 0), 1, "one unit left");
        let again = store.put(message()).unwrap().first();
        assert_eq!((again.physical_offset, again.queue_offset), (cut, 1));
        assert!(store.truncate_to(i64::MAX).unwrap(), "nothing past it");
        store.set_replica(true);
        assert!(store.put(message()).is_err(), "a replica refuses puts");
        store.set_replica(false);
        assert_eq!(store.truncate_undispatched().unwrap(), None);
        store.set_confirm_phy_offset(cut);
        assert_eq!(store.confirm_phy_offset(), cut);
        store.shutdown().unwrap();
    }
}
