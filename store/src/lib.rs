//! The message store: CommitLog, ConsumeQueue, IndexFile, checkpoint, flush, recovery and
//! clean-up, byte-compatible with the Java broker's store directory, so a Java broker's store can
//! be taken over in place and handed back.
//!
//! # Using it from the broker
//!
//! ```no_run
//! # use store::*;
//! # fn demo(msg: NewMessage) -> Result<()> {
//! let store = Store::open(StoreConfig::new("/home/rocketmq/store"))?;
//! let put = store.put(msg)?;                  // offsets assigned atomically with the append
//! let first = put.first();                    // physical_offset, queue_offset, size
//! // SYNC_FLUSH: `put.durability.wait().await` in async code (never blocks a worker),
//! // or `wait_blocking()` on a thread. ASYNC_FLUSH: ready at once.
//! let got = store.get(&GetRequest { topic: "T", queue_id: 0, offset: 0, max_count: 32, max_bytes: 256 << 10 }, None);
//! // got.messages: Vec<bytes::Bytes>, zero-copy views of the stored records, sent as they are.
//! let mut arrivals = store.subscribe("T", 0)?; // tokio watch of the queue's max offset
//! store.shutdown()?;
//! # Ok(()) }
//! ```
//!
//! Design points the broker relies on:
//! * [`NewMessage`] describes a message; the store sets the IPv6 sys-flag bits, store time, body
//!   CRC, queue and physical offsets, and computes the tags code from the `TAGS` property (the
//!   delivery time for `SCHEDULE_TOPIC_XXXX` with `DELAY`), like Java's dispatch does.
//! * Dispatch to consume queues and the index ends at the [`DispatchLimit`]: with `End` it is
//!   synchronous with the append (under the append lock), so a put is visible to `get` as soon
//!   as `put` returns; with `Flushed` (SYNC_FLUSH) the flusher dispatches what it synced before
//!   it answers the put's [`Durability`]; with `Confirmed` (controller mode) records wait until
//!   [`Store::set_confirm_offset`] passes them, as Java 5.x's `ReputMessageService` does.
//! * `put` never syncs; it may take a page fault or create a segment file. `get` never blocks on
//!   locks held across I/O.
//! * Transactional PREPARED/ROLLBACK records take no queue offset and no consume-queue unit.
//! * Errors carry the Java `PutMessageStatus` via [`StoreError::put_status`].
//! * Background threads (CommitLog flusher, consume-queue/checkpoint flusher, clean-up) stop at
//!   [`Store::shutdown`], or when the last `Store` handle is dropped (then `abort` stays and the
//!   next open recovers abnormally, as after a crash).
//!
//! # Where we differ from Java on purpose
//! * CommitLog, index and consume-queue blocks are reserved with `posix_fallocate` a step ahead
//!   of the writer (content identical to Java's sparse files), so a full disk fails the put
//!   instead of faulting a write into the mapping. Writes are also refused above `diskSpaceWarningLevelRatio`.
//! * Recovery zeroes the torn bytes after the recovered end, so stale bytes can never pass as a
//!   record after a later, shorter append. Java leaves them.
//! * Every record served by `get`, `read_record` and `query_messages` is CRC-checked; a record
//!   failing its CRC is skipped and logged, never returned.
//! * A short last CommitLog segment is extended, and a consume queue with a wrong-size file is
//!   rebuilt from the CommitLog; Java refuses to start in both cases. A wrong-size CommitLog
//!   segment before the last still refuses to start ([`StoreError::SegmentSize`]).
//! * A bad record before segments that hold data stops the start with an error naming the file
//!   and offset, instead of Java's silent deletion of every later segment, unless
//!   [`StoreConfig::truncate_on_old_corruption`] is set.
//! * A consume-queue unit that would leave a gap in queue offsets is refused (Java appends it at
//!   the wrong position and logs `[BUG]`).
//! * SEARCH_OFFSET_BY_TIMESTAMP binary-searches the whole queue rather than one segment chosen
//!   by file time; the LOWER/UPPER results are the 5.x definitions.
//! * Index and consume-queue reads are Java's; RocksDB consume queues, DLedger and multi-path
//!   CommitLogs are refused at open, BatchCQ directories ignored.

pub mod checkpoint;
mod clean;
mod commitlog;
pub mod config;
pub mod config_file;
pub mod consume_queue;
pub mod decode;
mod dispatch;
pub mod epoch;
pub mod error;
mod flush;
pub mod index;
pub mod layout;
mod maintain;
pub mod message;
mod mmap;
pub mod props;
mod read;
mod recovery;
mod replica;
mod reput;
mod segments;
pub mod stats;
mod store;

#[doc(hidden)]
pub mod testutil;

pub use checkpoint::CheckpointData;
pub use clean::CleanReport;
pub use config::{DispatchLimit, FlushDiskType, StoreConfig};
pub use config_file::ConfigFile;
pub use consume_queue::CqUnit;
pub use decode::{DelayLevels, StoredMessage};
pub use error::{PutStatus, Result, StoreError};
pub use flush::Durability;
pub use index::IndexQuery;
pub use maintain::DiskSpace;
pub use message::{
    crc32, java_hash, offset_msg_id, push_offset_msg_id, tags_code, upper_hex, NewMessage,
};
pub use read::{Boundary, DiskUsage, GetRequest, GetResult, GetStatus};
pub use stats::StoreStats;
pub use store::{Placed, PutResult, Store};
