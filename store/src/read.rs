//! The read side of [`Store`]: pull (`DefaultMessageStore.getMessage`), offsets, time search,
//! lookups by physical offset and by key, queue listing and topic deletion.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::watch;

use crate::clean::CleanReport;
use crate::consume_queue::ConsumeQueue;
use crate::error::{Result, StoreError};
use crate::index::IndexQuery;
use crate::layout::{now_ms, CQ_UNIT_SIZE};
use crate::store::Store;

/// Java `GetMessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetStatus {
    Found,
    NoMatchedMessage,
    MessageWasRemoving,
    OffsetFoundNull,
    OffsetOverflowBadly,
    OffsetOverflowOne,
    OffsetTooSmall,
    NoMatchedLogicQueue,
    NoMessageInQueue,
}

/// Disk usage of the store's directories (see [`Store::disk_used_ratios`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiskUsage {
    pub commitlog: f64,
    pub consume_queue: f64,
    pub index: f64,
}

/// A pull request to the store.
#[derive(Debug, Clone, Copy)]
pub struct GetRequest<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub offset: i64,
    /// `maxMsgNums`.
    pub max_count: usize,
    /// Upper bound on returned bytes (`maxTotalMsgSize`; Java uses at least 100).
    pub max_bytes: usize,
}

/// Result of a pull: zero-copy views of stored records and the offsets to answer with.
#[derive(Debug, Clone)]
pub struct GetResult {
    pub status: GetStatus,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
    /// Whole stored records, in queue order.
    pub messages: Vec<Bytes>,
    /// Queue offset of each record in `messages`.
    pub queue_offsets: Vec<i64>,
    /// Java's `suggestPullingFromSlave`: the data read is colder than the in-memory ratio.
    pub suggest_pulling_from_slave: bool,
}

impl GetResult {
    fn status(status: GetStatus, next: i64, min: i64, max: i64) -> GetResult {
        GetResult {
            status,
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            messages: Vec::new(),
            queue_offsets: Vec::new(),
            suggest_pulling_from_slave: false,
        }
    }

    /// Total bytes of the returned records.
    pub fn total_bytes(&self) -> usize {
        self.messages.iter().map(Bytes::len).sum()
    }
}

/// `BoundaryType` of SEARCH_OFFSET_BY_TIMESTAMP (5.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// First offset whose store time ≥ t.
    Lower,
    /// Last offset whose store time ≤ t.
    Upper,
}

/// Hard cap of one pull (`MAX_PULL_MSG_SIZE`, 128 MiB).
const MAX_PULL_MSG_SIZE: usize = 128 * 1024 * 1024;

impl Store {
    fn queue(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        let t = self.inner.queues.read().unwrap_or_else(|e| e.into_inner());
        t.get(topic).and_then(|m| m.get(&queue_id)).cloned()
    }

    /// The consume queue of (topic, queueId) if it exists; never creates one (Java
    /// `getConsumeQueue`, used by QUERY_CONSUME_QUEUE).
    pub fn consume_queue(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.queue(topic, queue_id)
    }

    /// Pull messages (`DefaultMessageStore.getMessage`, master behaviour: next-offset corrections
    /// applied). `filter` receives each unit's tags code; `None` matches everything.
    pub fn get(&self, req: &GetRequest<'_>, filter: Option<&dyn Fn(i64) -> bool>) -> GetResult {
        let started = now_ms();
        let r = self.get_inner(req, filter);
        let found = r.status == GetStatus::Found;
        let elapsed = now_ms() - started;
        self.inner
            .stats
            .on_get(found, r.messages.len() as u64, elapsed);
        r
    }

    fn get_inner(&self, req: &GetRequest<'_>, filter: Option<&dyn Fn(i64) -> bool>) -> GetResult {
        let Some(cq) = self.queue(req.topic, req.queue_id) else {
            return GetResult::status(GetStatus::NoMatchedLogicQueue, 0, 0, 0);
        };
        let (min, max, offset) = (cq.min_offset(), cq.max_offset(), req.offset);
        if max == 0 {
            return GetResult::status(GetStatus::NoMessageInQueue, 0, min, max);
        } else if offset < min {
            return GetResult::status(GetStatus::OffsetTooSmall, min, min, max);
        } else if offset == max {
            return GetResult::status(GetStatus::OffsetOverflowOne, offset, min, max);
        } else if offset > max {
            return GetResult::status(GetStatus::OffsetOverflowBadly, max, min, max);
        }
        self.read_units(&cq, req, filter, min, max)
    }

    fn read_units(
        &self,
        cq: &ConsumeQueue,
        req: &GetRequest<'_>,
        filter: Option<&dyn Fn(i64) -> bool>,
        min: i64,
        max: i64,
    ) -> GetResult {
        let inner = &self.inner;
        let cfg = inner.cfg();
        let max_filter = cfg
            .max_filter_message_size
            .max(req.max_count * CQ_UNIT_SIZE as usize);
        let max_pull = req.max_bytes.clamp(100, MAX_PULL_MSG_SIZE);
        let mut r = GetResult::status(GetStatus::NoMatchedMessage, req.offset, min, max);
        let Some(units) = cq.units_from(req.offset, max_filter / CQ_UNIT_SIZE as usize) else {
            let per_file = (cq.segs.seg_size() / CQ_UNIT_SIZE) as i64;
            r.status = GetStatus::OffsetFoundNull;
            r.next_begin_offset = req.offset + per_file - req.offset % per_file;
            return r;
        };
        let room = req.max_count.min(units.len());
        r.messages.reserve_exact(room);
        r.queue_offsets.reserve_exact(room);
        let max_phy = inner.commitlog.max_offset();
        // Java `(long) (TOTAL_PHYSICAL_MEMORY_SIZE * (accessMessageInMemoryMaxRatio / 100.0))`.
        let ratio = f64::from(cfg.access_message_in_memory_max_ratio) / 100.0;
        let memory = (inner.total_memory as f64 * ratio) as i64;
        let mut total = 0usize;
        let mut skip_below = None;
        let mut last_phy = 0u64;
        for u in units.take_while(|u| u.queue_offset < max) {
            let phy = u.physical_offset as u64;
            let size = u.size.max(0) as usize;
            let in_mem = (max_phy as i64).saturating_sub(phy as i64) <= memory;
            if !r.messages.is_empty()
                && self.batch_full(
                    size,
                    req.max_count,
                    max_pull,
                    total,
                    r.messages.len(),
                    in_mem,
                )
            {
                break;
            }
            if total >= max_pull {
                break;
            }
            last_phy = phy;
            r.next_begin_offset = u.queue_offset + 1;
            if skip_below.is_some_and(|s| phy < s) || u.is_placeholder() {
                continue;
            }
            if filter.is_some_and(|f| !f(u.tags_code)) {
                continue;
            }
            let Some(b) = inner.commitlog.read(phy, size) else {
                if r.messages.is_empty() {
                    r.status = GetStatus::MessageWasRemoving;
                }
                skip_below = Some(inner.commitlog.roll_next_file(phy));
                continue;
            };
            if !crate::decode::record_intact(&b) {
                tracing::error!(
                    topic = req.topic,
                    queue = req.queue_id,
                    offset = u.queue_offset,
                    physical_offset = phy,
                    "stored record fails its CRC: not served"
                );
                continue;
            }
            total += b.len();
            r.messages.push(b);
            r.queue_offsets.push(u.queue_offset);
            r.status = GetStatus::Found;
            skip_below = None;
        }
        r.suggest_pulling_from_slave = (max_phy as i64).saturating_sub(last_phy as i64) > memory;
        r
    }

    /// `isTheBatchFull`.
    fn batch_full(
        &self,
        size: usize,
        max_count: usize,
        max_pull: usize,
        total: usize,
        count: usize,
        in_mem: bool,
    ) -> bool {
        let cfg = self.inner.cfg();
        if count + 1 > max_count || total + size > max_pull {
            return true;
        }
        if in_mem {
            total + size > cfg.max_transfer_bytes_on_message_in_memory
                || count
                    > cfg
                        .max_transfer_count_on_message_in_memory
                        .saturating_sub(1)
        } else {
            total + size > cfg.max_transfer_bytes_on_message_in_disk
                || count > cfg.max_transfer_count_on_message_in_disk.saturating_sub(1)
        }
    }

    /// Next queue offset to be written (0 for an unknown queue).
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id).map_or(0, |q| q.max_offset())
    }

    /// First readable queue offset (0 for an unknown queue).
    pub fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id).map_or(0, |q| q.min_offset())
    }

    /// Commitlog offset and size of the unit at a queue offset.
    pub fn unit(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) -> Option<crate::consume_queue::CqUnit> {
        let q = self.queue(topic, queue_id)?;
        if offset < q.min_offset() || offset >= q.max_offset() {
            return None;
        }
        q.unit(offset).filter(|u| !u.is_placeholder())
    }

    /// Java `checkInMemByConsumeOffset(topic, queue, offset, 1)` (5.3.3): the unit at `offset`
    /// exists and its record's pages are resident in the page cache (not the 4.9.8
    /// `accessMessageInMemoryMaxRatio` estimate).
    pub fn in_memory(&self, topic: &str, queue_id: i32, offset: i64) -> bool {
        self.unit(topic, queue_id, offset).is_some_and(|u| {
            self.inner
                .commitlog
                .is_resident(u.physical_offset as u64, u.size.max(0) as usize)
        })
    }

    /// Store time of the message at `offset` of a queue (`getMessageStoreTimeStamp`), -1 if none.
    pub fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> i64 {
        self.unit(topic, queue_id, offset).map_or(-1, |u| {
            self.inner
                .commitlog
                .store_timestamp(u.physical_offset as u64, u.size as usize)
        })
    }

    /// Store time of the oldest message of a queue (GET_EARLIEST_MSG_STORETIME), -1 if none.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> i64 {
        self.message_store_time(topic, queue_id, self.min_offset(topic, queue_id))
    }

    /// Store time of the first message in the CommitLog, -1 if empty.
    pub fn earliest_commitlog_time(&self) -> i64 {
        let min = self.inner.commitlog.min_offset();
        self.read_record(min as i64)
            .map_or(-1, |b| self.inner.commitlog.store_timestamp(min, b.len()))
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP: binary search the queue by store time.
    pub fn offset_by_time(&self, topic: &str, queue_id: i32, ts: i64, boundary: Boundary) -> i64 {
        let Some(q) = self.queue(topic, queue_id) else {
            return 0;
        };
        let (min, max) = (q.min_offset(), q.max_offset());
        let time_at = |o: i64| self.message_store_time(topic, queue_id, o);
        // Lower: first offset with time >= ts. Upper: last offset with time <= ts.
        let (mut lo, mut hi) = (min, max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let t = time_at(mid);
            let go_right = match boundary {
                Boundary::Lower => t < ts,
                Boundary::Upper => t <= ts,
            };
            if go_right {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        match boundary {
            Boundary::Lower => lo,
            Boundary::Upper if lo > min => lo - 1,
            Boundary::Upper => 0,
        }
    }

    /// The whole record at a physical offset (VIEW_MESSAGE_BY_ID, `lookMessageByOffset`).
    pub fn read_record(&self, physical_offset: i64) -> Option<Bytes> {
        let off = u64::try_from(physical_offset).ok()?;
        let head = self.inner.commitlog.read(off, 8)?;
        let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let magic = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        if magic != crate::message::MAGIC_V1 && magic != crate::message::MAGIC_V2 {
            return None;
        }
        let b = self
            .inner
            .commitlog
            .read(off, usize::try_from(size).ok()?)?;
        // Never hand out a record that fails its CRC.
        match crate::decode::check_record(&b, true, &self.inner.delays) {
            crate::decode::Checked::Message(_) => Some(b),
            _ => None,
        }
    }

    /// Records `[offset, offset+size)` as stored, for callers holding a CQ unit.
    pub fn read_range(&self, physical_offset: i64, size: i32) -> Option<Bytes> {
        self.inner.commitlog.read(
            u64::try_from(physical_offset).ok()?,
            usize::try_from(size).ok()?,
        )
    }

    /// QUERY_MESSAGE: index lookup of `topic#key` within `[begin, end]` ms; returns offsets (hash
    /// matches, collisions included) and the index's last update point. `max` is capped by
    /// `maxMsgsNumBatch`.
    pub fn query_offsets(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> IndexQuery {
        let max = max.min(self.inner.cfg().max_msgs_num_batch);
        self.inner
            .index
            .as_ref()
            .map_or_else(IndexQuery::default, |ix| {
                ix.query(topic, key, max, begin, end)
            })
    }

    /// QUERY_MESSAGE with records: the stored records found for `topic#key`.
    pub fn query_messages(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> (Vec<Bytes>, IndexQuery) {
        let q = self.query_offsets(topic, key, max, begin, end);
        let recs = q
            .offsets
            .iter()
            .filter_map(|o| self.read_record(*o))
            .collect();
        (recs, q)
    }

    /// Raw CommitLog bytes from `physical_offset` up to `max_len`, the end of its segment or the
    /// written end, whichever comes first (for replication). `None` if nothing is readable there.
    pub fn commitlog_data(&self, physical_offset: i64, max_len: usize) -> Option<Bytes> {
        let cl = &self.inner.commitlog;
        let off = u64::try_from(physical_offset).ok()?;
        let seg_left = cl.seg_size() - off % cl.seg_size();
        let len = (cl.max_offset().checked_sub(off)?)
            .min(seg_left)
            .min(max_len as u64);
        if len == 0 {
            return None;
        }
        cl.read(off, len as usize)
    }

    /// Min and max offset of the CommitLog (first byte, written end).
    pub fn commitlog_offsets(&self) -> (i64, i64) {
        (
            self.inner.commitlog.min_offset() as i64,
            self.inner.commitlog.max_offset() as i64,
        )
    }

    /// Bytes written but not yet flushed.
    pub fn flush_behind_bytes(&self) -> u64 {
        self.inner
            .commitlog
            .max_offset()
            .saturating_sub(self.inner.flush.flushed())
    }

    /// Wait-for-arrival handle of a queue: the receiver's value is the queue's max offset, updated
    /// on every append. Works for queues that do not exist yet. Subscribe first, then read:
    /// `changed()` fires for every append after `subscribe` returns.
    pub fn subscribe(&self, topic: &str, queue_id: i32) -> Result<watch::Receiver<i64>> {
        Ok(self.queue_or_create(topic, queue_id)?.subscribe())
    }

    /// Every (topic, queue id) with consume-queue files (on disk at open, or written since).
    pub fn queues(&self) -> Vec<(String, i32)> {
        let t = self.inner.queues.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<(String, i32)> = t
            .iter()
            .flat_map(|(topic, m)| {
                m.values()
                    .filter(|q| q.has_files())
                    .map(move |q| (topic.clone(), q.queue_id))
            })
            .collect();
        v.sort();
        v
    }

    /// Delete a topic's consume queues (DELETE_TOPIC_IN_BROKER). The CommitLog keeps its records.
    /// Only the queue directories this store knows (loaded at open or created since) are removed,
    /// then the topic directory if nothing else is left in it (Java `ConsumeQueueStore.deleteTopic`
    /// likewise walks its own queue table, never the file system).
    pub fn delete_topic(&self, topic: &str) -> Result<()> {
        let topic_dir = self.inner.paths.consume_queue_topic_dir(topic)?;
        let _guard = self.inner.append.lock().unwrap_or_else(|e| e.into_inner());
        let Some(queues) = self
            .inner
            .queues
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(topic)
        else {
            return Ok(());
        };
        for q in queues.values() {
            let dir = q.segs.dir();
            if dir.exists() {
                std::fs::remove_dir_all(dir).map_err(StoreError::io("delete", dir))?;
            }
        }
        let leftover = std::fs::read_dir(&topic_dir).map(|mut d| d.next().is_some());
        match leftover {
            Ok(false) => {
                std::fs::remove_dir(&topic_dir).map_err(StoreError::io("delete", &topic_dir))?
            }
            Ok(true) => tracing::warn!(dir = %topic_dir.display(),
                "deleted topic's directory keeps files the store did not create"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io("read", &topic_dir)(e)),
        }
        crate::segments::sync_dir(&self.inner.paths.consume_queue_root())
    }

    /// Ask for manual clean-up rounds (DELETE_EXPIRED_COMMITLOG uses 20).
    pub fn request_clean(&self, rounds: u32) {
        self.inner
            .manual_clean_rounds
            .fetch_add(rounds, Ordering::AcqRel);
    }

    /// Run one clean-up round now, optionally pretending the disk is at `ratio` (0.0..=1.0).
    pub fn clean_now(&self, manual: bool, ratio: Option<f64>) -> Result<CleanReport> {
        crate::clean::run_round(false, &self.inner, manual, ratio)
    }

    /// True when writes are refused because the disk is full.
    pub fn is_disk_full(&self) -> bool {
        self.inner.disk_full.load(Ordering::Acquire)
    }

    /// Used share of the filesystems holding the CommitLog, the consume queues and the index
    /// files, each as Java's `UtilAll.getDiskPartitionSpaceUsedPercent` measures it (whole
    /// percent rounded up, as a fraction; -1 when a directory is missing).
    pub fn disk_used_ratios(&self) -> DiskUsage {
        let p = &self.inner.paths;
        DiskUsage {
            commitlog: crate::mmap::disk_used_ratio(&p.commitlog),
            consume_queue: crate::mmap::disk_used_ratio(&p.consume_queue_root()),
            index: crate::mmap::disk_used_ratio(&p.index_dir()),
        }
    }

    /// The checkpoint values (for brokerStatus and tests).
    pub fn checkpoint(&self) -> crate::checkpoint::CheckpointData {
        self.inner.checkpoint.get()
    }
}
