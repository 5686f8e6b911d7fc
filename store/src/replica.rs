//! Slave side of replication (Java `HAService` slave + `ReputMessageService`): raw CommitLog bytes
//! from the master are written at our end, then the complete records up to the dispatch limit
//! are dispatched to the consume queues and the index (`reput.rs`). A record split across two
//! transfers is dispatched when its last byte arrives. The master side needs only
//! [`Store::commitlog_data`]. Controller mode's confirm offset ([`Store::set_confirm_offset`])
//! is the dispatch limit of a master waiting for its SyncStateSet and of its slaves.
//!
//! Controller mode adds role changes at runtime ([`Store::set_replica`]) and truncation
//! (Java `DefaultMessageStore.truncateFiles` and `AutoSwitchHAService.truncateInvalidMsg`): a
//! replica whose log diverged from the new master's cuts its CommitLog back to the last offset
//! both agree on, and its consume queues with it.

use std::sync::atomic::Ordering;

use tracing::warn;

use crate::config::DispatchLimit;
use crate::decode::{check_record, Checked};
use crate::error::{Result, StoreError};
use crate::reput;
use crate::store::Store;

impl Store {
    /// Append bytes replicated from the master at `offset` (must equal our CommitLog max offset)
    /// and dispatch the complete records up to the dispatch limit. Returns the new max offset,
    /// which the HA client reports back to the master.
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
        let cap = inner.dispatch_cap().unwrap_or(u64::MAX);
        reput::dispatch_to(inner, cap, true)?;
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

    /// Controller mode's confirm offset with `DispatchLimit::Confirmed` (Java
    /// `CommitLog.getConfirmOffset`, read by `ReputMessageService`): records up to it are
    /// dispatched now, later ones when it passes them. `None`: a master that confirms all it
    /// has; its records are dispatched with their append. Kept in the checkpoint too. Does
    /// nothing under another limit.
    pub fn set_confirm_offset(&self, confirm: Option<i64>) -> Result<()> {
        let inner = &self.inner;
        if inner.limit != DispatchLimit::Confirmed {
            return Ok(());
        }
        let cap = confirm.map_or(reput::FOLLOW_END, |c| u64::try_from(c).unwrap_or(0));
        let max = inner.commitlog.max_offset();
        if inner.confirm.load(Ordering::Acquire) == cap
            && inner.dispatched_end.load(Ordering::Acquire) >= cap.min(max)
        {
            return Ok(());
        }
        let _guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        inner.confirm.store(cap, Ordering::Release);
        if let Some(c) = confirm {
            self.set_confirm_phy_offset(c);
        }
        reput::dispatch_to(inner, cap, inner.replica.load(Ordering::Acquire))
    }

    /// Whether puts are refused (a slave); controller mode changes it with the role. A store
    /// that becomes writable takes its next queue offsets past every record it holds.
    pub fn set_replica(&self, replica: bool) {
        let _guard = self.inner.append.lock().unwrap_or_else(|e| e.into_inner());
        if !replica && self.inner.replica.load(Ordering::Acquire) {
            reput::reassign_queue_offsets(&self.inner);
        }
        self.inner.replica.store(replica, Ordering::Release);
    }

    /// End of the CommitLog data dispatched to the consume queues.
    pub fn dispatched_end(&self) -> i64 {
        self.inner.dispatched_end.load(Ordering::Acquire) as i64
    }

    /// Java `truncateInvalidMsg`: drops a partly received record at the CommitLog's end (a
    /// slave becoming master, or connecting again). Whole records waiting for the confirm
    /// offset stay. Returns the new end when something was dropped.
    pub fn truncate_partial_record(&self) -> Result<Option<i64>> {
        let inner = &self.inner;
        let _guard = inner.append.lock().unwrap_or_else(|e| e.into_inner());
        let end = reput::whole_records_end(inner);
        if end >= inner.commitlog.max_offset() {
            return Ok(None);
        }
        crate::recovery::truncate_commitlog(inner, end)?;
        reput::reassign_queue_offsets(inner);
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
        reput::reassign_queue_offsets(inner);
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
        assert_eq!(store.truncate_partial_record().unwrap(), None);
        store.set_confirm_phy_offset(cut);
        assert_eq!(store.confirm_phy_offset(), cut);
        store.shutdown().unwrap();
    }
}
