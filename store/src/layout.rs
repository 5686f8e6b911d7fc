//! Every path, file name and fixed size of the store directory, as Java lays it out
//! (`StorePathConfigHelper`, `UtilAll.offset2FileName`, `IndexService`).
//!
//! ```text
//! <storePathRootDir>/
//! ├── commitlog/00000000000000000000        segments named by their first byte offset
//! ├── consumequeue/<topic>/<queueId>/000…0  20-byte units, named by first byte offset in the queue
//! ├── index/yyyyMMddHHmmssSSS               local creation time
//! ├── config/*.json (+ .bak)                owned by the broker, see `config_file`
//! ├── checkpoint                            4 KiB, three (4.x) or five (5.x) i64 BE fields
//! ├── abort                                 exists while running / after a crash
//! └── lock                                  fcntl lock on byte 0 while a broker runs
//! ```

use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};
use crate::mmap;

/// Size of one consume-queue unit (`ConsumeQueue.CQ_STORE_UNIT_SIZE`).
pub const CQ_UNIT_SIZE: u64 = 20;
/// Index file header length (`IndexHeader.INDEX_HEADER_SIZE`).
pub const INDEX_HEADER_SIZE: u64 = 40;
/// Index hash slot length.
pub const INDEX_SLOT_SIZE: u64 = 4;
/// Index entry length.
pub const INDEX_ENTRY_SIZE: u64 = 20;
/// Checkpoint file length (`StoreCheckpoint` maps one OS page).
pub const CHECKPOINT_SIZE: usize = 4096;
/// OS page as Java counts flush pages (`flushCommitLogLeastPages` × 4 KiB).
pub const OS_PAGE_SIZE: u64 = 4096;
/// `SCHEDULE_TOPIC_XXXX`: its CQ units hold the delivery time in the tags field.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// A topic names one directory under `consumequeue/`: not empty, not `.` or `..`, no separator
/// or NUL. The broker validates topics with Java's stricter `TopicValidator` rules first; this is
/// the store's own guarantee that no name leaves its directory.
pub fn check_topic_dir_name(topic: &str) -> Result<()> {
    let plain =
        !topic.is_empty() && topic != "." && topic != ".." && !topic.contains(['/', '\\', '\0']);
    if plain {
        Ok(())
    } else {
        Err(StoreError::IllegalName(format!(
            "topic {topic:?} is not a plain directory name"
        )))
    }
}

/// Paths of one store root.
#[derive(Debug, Clone)]
pub struct StorePaths {
    pub root: PathBuf,
    pub commitlog: PathBuf,
}

impl StorePaths {
    pub fn new(root: &Path, commitlog: Option<&Path>) -> Self {
        StorePaths {
            root: root.to_path_buf(),
            commitlog: commitlog.map_or_else(|| root.join("commitlog"), Path::to_path_buf),
        }
    }
    pub fn consume_queue_root(&self) -> PathBuf {
        self.root.join("consumequeue")
    }
    /// `consumequeue/<topic>/<queueId>`; refuses a topic that is not one plain directory name,
    /// so no caller can build a path outside `consumequeue/` whatever the broker let through.
    pub fn consume_queue_dir(&self, topic: &str, queue_id: i32) -> Result<PathBuf> {
        check_topic_dir_name(topic)?;
        Ok(self
            .consume_queue_topic_dir(topic)?
            .join(queue_id.to_string()))
    }
    /// `consumequeue/<topic>`, with the same check as [`Self::consume_queue_dir`].
    pub fn consume_queue_topic_dir(&self, topic: &str) -> Result<PathBuf> {
        check_topic_dir_name(topic)?;
        Ok(self.consume_queue_root().join(topic))
    }
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }
    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint")
    }
    pub fn abort(&self) -> PathBuf {
        self.root.join("abort")
    }
    pub fn lock(&self) -> PathBuf {
        self.root.join("lock")
    }
}

/// `UtilAll.offset2FileName`: 20-digit zero-padded decimal.
pub fn offset_file_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// Parse a segment name back to its offset; `None` for anything that is not a segment name
/// (Java would throw on such a file; we skip and log it).
pub fn parse_offset_file_name(name: &str) -> Option<u64> {
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// Index file name: creation time as `yyyyMMddHHmmssSSS` in the **local** time zone
/// (`UtilAll.timeMillisToHumanString`). Java sorts index files by name, so local time keeps our
/// files ordered after the ones a Java broker made on the same host.
pub fn index_file_name(epoch_ms: i64) -> String {
    let t = mmap::local_time(epoch_ms);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:03}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        epoch_ms.rem_euclid(1000)
    )
}

/// Milliseconds from `epoch_ms` to the next local midnight (Java's daily tasks, e.g.
/// `BrokerStats.record`, run then); a whole day at midnight itself.
pub fn ms_to_next_local_midnight(epoch_ms: i64) -> i64 {
    let t = mmap::local_time(epoch_ms);
    let into_day =
        i64::from(t.hour * 3600 + t.minute * 60 + t.second) * 1000 + epoch_ms.rem_euclid(1000);
    86_400_000 - into_day
}

/// `MessageStoreConfig.getMappedFileSizeConsumeQueue`: rounded up to a multiple of 20.
pub fn round_cq_file_size(configured: u64) -> u64 {
    configured.div_ceil(CQ_UNIT_SIZE) * CQ_UNIT_SIZE
}

/// Index file length for a geometry.
pub fn index_file_size(slots: u32, entries: u32) -> u64 {
    INDEX_HEADER_SIZE + u64::from(slots) * INDEX_SLOT_SIZE + u64::from(entries) * INDEX_ENTRY_SIZE
}

/// Current time in epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sizes() {
        assert_eq!(offset_file_name(1_073_741_824), "00000000001073741824");
        assert_eq!(
            parse_offset_file_name("00000000001073741824"),
            Some(1_073_741_824)
        );
        assert_eq!(parse_offset_file_name("0000000000107374182x"), None);
        assert_eq!(parse_offset_file_name("abc"), None);
        assert_eq!(round_cq_file_size(6_000_000), 6_000_000);
        assert_eq!(round_cq_file_size(1001), 1020);
        assert_eq!(index_file_size(5_000_000, 20_000_000), 420_000_040);
        let name = index_file_name(1_700_000_000_123);
        assert_eq!(name.len(), 17);
        assert!(name.starts_with("2023111"));
        assert!(name.ends_with("123"));
    }
}
