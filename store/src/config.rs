//! Store configuration, one field per Java `MessageStoreConfig` key (the Java name is given on
//! each field; the broker maps `broker.conf` keys onto these).

use std::path::PathBuf;
use std::time::Duration;

/// `flushDiskType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushDiskType {
    /// `ASYNC_FLUSH`: acked after the in-memory append; a flusher thread msyncs periodically.
    Async,
    /// `SYNC_FLUSH`: acked after the record is durable (group commit).
    Sync,
}

/// Store settings. `StoreConfig::new(root)` gives Java's defaults.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `storePathRootDir`.
    pub store_path_root_dir: PathBuf,
    /// `storePathCommitLog` (default `<root>/commitlog`).
    pub store_path_commit_log: Option<PathBuf>,
    /// `mappedFileSizeCommitLog` (1 GiB).
    pub mapped_file_size_commit_log: u64,
    /// `mappedFileSizeConsumeQueue` (6,000,000; rounded up to a multiple of 20).
    pub mapped_file_size_consume_queue: u64,
    /// `maxHashSlotNum` (5,000,000).
    pub max_hash_slot_num: u32,
    /// `maxIndexNum` (20,000,000).
    pub max_index_num: u32,
    /// `messageIndexEnable`.
    pub message_index_enable: bool,
    /// `flushDiskType`.
    pub flush_disk_type: FlushDiskType,
    /// `flushIntervalCommitLog` (500 ms).
    pub flush_interval_commit_log: Duration,
    /// `flushCommitLogLeastPages` (4).
    pub flush_commit_log_least_pages: u64,
    /// `flushCommitLogThoroughInterval` (10 s).
    pub flush_commit_log_thorough_interval: Duration,
    /// `flushIntervalConsumeQueue` (1 s).
    pub flush_interval_consume_queue: Duration,
    /// `syncFlushTimeout` (5 s).
    pub sync_flush_timeout: Duration,
    /// `checkCRCOnRecover`.
    pub check_crc_on_recover: bool,
    /// `maxMessageSize` (4 MiB, body bytes).
    pub max_message_size: usize,
    /// `messageDelayLevel`.
    pub message_delay_level: String,
    /// `fileReservedTime` in hours (72).
    pub file_reserved_time_hours: u64,
    /// `deleteWhen` (`"04"`, `;`-separated hours).
    pub delete_when: String,
    /// `diskMaxUsedSpaceRatio` in percent (75, clamped to 10..=95).
    pub disk_max_used_space_ratio: u32,
    /// `diskSpaceCleanForciblyRatio` (85 %).
    pub disk_space_clean_forcibly_ratio: u32,
    /// `diskSpaceWarningLevelRatio` (90 %): above it writes are refused.
    pub disk_space_warning_level_ratio: u32,
    /// `cleanFileForciblyEnable`.
    pub clean_file_forcibly_enable: bool,
    /// `cleanResourceInterval` (10 s).
    pub clean_resource_interval: Duration,
    /// `deleteFileBatchMax` (10).
    pub delete_file_batch_max: usize,
    /// `maxTransferBytesOnMessageInMemory` (256 KiB).
    pub max_transfer_bytes_on_message_in_memory: usize,
    /// `maxTransferCountOnMessageInMemory` (32).
    pub max_transfer_count_on_message_in_memory: usize,
    /// `maxTransferBytesOnMessageInDisk` (64 KiB).
    pub max_transfer_bytes_on_message_in_disk: usize,
    /// `maxTransferCountOnMessageInDisk` (8).
    pub max_transfer_count_on_message_in_disk: usize,
    /// `accessMessageInMemoryMaxRatio` (40 %). Signed: Java's `BrokerStartup` lowers it by 10 on
    /// a slave, which may leave it below zero (then no data counts as in memory).
    pub access_message_in_memory_max_ratio: i32,
    /// `maxFilterMessageSize` (16000 bytes of CQ scanned per pull).
    pub max_filter_message_size: usize,
    /// `dataReadAheadEnable` (true): CommitLog segments without read-ahead (`MADV_RANDOM`)
    /// when false. Under SYNC_FLUSH the segment being written never reads ahead; it takes this
    /// mode once full (see `CommitLog::sync_flush`).
    pub data_read_ahead_enable: bool,
    /// `maxMsgsNumBatch` (64): cap on index query results.
    pub max_msgs_num_batch: usize,
    /// `defaultQueryMaxNum` (32): results of a unique-key query.
    pub default_query_max_num: usize,
    /// Recovery found a bad record with later segments holding data: delete them like Java
    /// (true) or refuse to start (false, the default; storage spec §4.7 item 8).
    /// Thrust-specific (`truncateOnOldCorruption`).
    pub truncate_on_old_corruption: bool,
    /// Bytes of the CommitLog, ending at its write position, whose mapped pages stay in the
    /// process's resident set; the pages below (records read: every 20 ms; all, and the cold
    /// part of every consume queue file: every 100 ms and every second) are released with
    /// `MADV_DONTNEED`, which keeps them in the page
    /// cache and on disk. Bounds the broker's RSS to this window instead of to the data
    /// written. `0` keeps every touched page resident (Java's behaviour). Thrust-specific
    /// (`commitLogResidentWindow`; Java has no equivalent), default 8 MiB: the pages the
    /// writer, dispatch, replication and tail consumers touch, which all follow the write
    /// position closely; an older page is re-faulted from the page cache by the reader that
    /// wants it (a read fault maps 64 KiB at once), a minor fault per 64 KiB.
    pub commit_log_resident_window: u64,
    /// `brokerRole=SLAVE`: puts are refused (Java `DefaultMessageStore.checkStoreStatus`); the
    /// CommitLog grows only by [`Store::append_replicated`](crate::Store::append_replicated).
    pub replica: bool,
    /// How far records are dispatched to the consume queues and the index, i.e. what consumers
    /// see. Read at open.
    pub dispatch_limit: DispatchLimit,
}

/// Where dispatch to the consume queues and the index ends (Java 5.x
/// `ReputMessageService.getReputEndOffset`): records past it are in the CommitLog but invisible
/// to pulls, offset queries and key queries until it reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DispatchLimit {
    /// The CommitLog's end: a record is dispatched with its append (Java `readUnCommitted=true`
    /// or ASYNC_FLUSH outside controller mode; every 4.9.x store).
    #[default]
    End,
    /// The flushed offset (Java `readUnCommitted=false` with SYNC_FLUSH outside controller
    /// mode, where `CommitLog.getConfirmOffset` is the flushed position).
    Flushed,
    /// The confirm offset of controller mode (Java `readUnCommitted=false` with
    /// `enableControllerMode=true`): the checkpoint's `confirmPhyOffset` at open, then what
    /// [`Store::set_confirm_offset`](crate::Store::set_confirm_offset) sets.
    Confirmed,
}

impl StoreConfig {
    /// Java's defaults for a store at `root`.
    pub fn new(root: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            store_path_root_dir: root.into(),
            store_path_commit_log: None,
            mapped_file_size_commit_log: 1 << 30,
            mapped_file_size_consume_queue: 300_000 * 20,
            max_hash_slot_num: 5_000_000,
            max_index_num: 20_000_000,
            message_index_enable: true,
            flush_disk_type: FlushDiskType::Async,
            flush_interval_commit_log: Duration::from_millis(500),
            flush_commit_log_least_pages: 4,
            flush_commit_log_thorough_interval: Duration::from_secs(10),
            flush_interval_consume_queue: Duration::from_secs(1),
            sync_flush_timeout: Duration::from_secs(5),
            check_crc_on_recover: true,
            max_message_size: 4 * 1024 * 1024,
            message_delay_level: "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
                .into(),
            file_reserved_time_hours: 72,
            delete_when: "04".into(),
            disk_max_used_space_ratio: 75,
            disk_space_clean_forcibly_ratio: 85,
            disk_space_warning_level_ratio: 90,
            clean_file_forcibly_enable: true,
            clean_resource_interval: Duration::from_secs(10),
            delete_file_batch_max: 10,
            max_transfer_bytes_on_message_in_memory: 256 * 1024,
            max_transfer_count_on_message_in_memory: 32,
            max_transfer_bytes_on_message_in_disk: 64 * 1024,
            max_transfer_count_on_message_in_disk: 8,
            access_message_in_memory_max_ratio: 40,
            max_filter_message_size: 16_000,
            data_read_ahead_enable: true,
            max_msgs_num_batch: 64,
            default_query_max_num: 32,
            truncate_on_old_corruption: false,
            commit_log_resident_window: 8 << 20,
            replica: false,
            dispatch_limit: DispatchLimit::End,
        }
    }

    /// Small segments for tests and examples: commitlog `cl` bytes, CQ `cq_units` units, index
    /// `slots`/`entries`.
    pub fn with_small_files(
        mut self,
        cl: u64,
        cq_units: u64,
        slots: u32,
        entries: u32,
    ) -> StoreConfig {
        self.mapped_file_size_commit_log = cl;
        self.mapped_file_size_consume_queue = cq_units * 20;
        self.max_hash_slot_num = slots;
        self.max_index_num = entries;
        self
    }

    /// `self` with the settings the store reads on every use taken from `next` (Java's store
    /// reads them from its live `MessageStoreConfig`); geometry, paths, the flush mode, the
    /// delay levels and what recovery or `open` consumed keep their opened values.
    pub fn with_live_settings(&self, next: &StoreConfig) -> StoreConfig {
        StoreConfig {
            flush_interval_commit_log: next.flush_interval_commit_log,
            flush_commit_log_least_pages: next.flush_commit_log_least_pages,
            flush_commit_log_thorough_interval: next.flush_commit_log_thorough_interval,
            flush_interval_consume_queue: next.flush_interval_consume_queue,
            max_message_size: next.max_message_size,
            file_reserved_time_hours: next.file_reserved_time_hours,
            delete_when: next.delete_when.clone(),
            disk_max_used_space_ratio: next.disk_max_used_space_ratio,
            disk_space_clean_forcibly_ratio: next.disk_space_clean_forcibly_ratio,
            disk_space_warning_level_ratio: next.disk_space_warning_level_ratio,
            clean_file_forcibly_enable: next.clean_file_forcibly_enable,
            clean_resource_interval: next.clean_resource_interval,
            delete_file_batch_max: next.delete_file_batch_max,
            max_transfer_bytes_on_message_in_memory: next.max_transfer_bytes_on_message_in_memory,
            max_transfer_count_on_message_in_memory: next.max_transfer_count_on_message_in_memory,
            max_transfer_bytes_on_message_in_disk: next.max_transfer_bytes_on_message_in_disk,
            max_transfer_count_on_message_in_disk: next.max_transfer_count_on_message_in_disk,
            access_message_in_memory_max_ratio: next.access_message_in_memory_max_ratio,
            max_filter_message_size: next.max_filter_message_size,
            max_msgs_num_batch: next.max_msgs_num_batch,
            default_query_max_num: next.default_query_max_num,
            data_read_ahead_enable: next.data_read_ahead_enable,
            ..self.clone()
        }
    }

    /// `deleteWhen` hours.
    pub fn delete_when_hours(&self) -> Vec<u32> {
        self.delete_when
            .split(';')
            .filter_map(|h| h.trim().parse().ok())
            .collect()
    }
}
