//! Message-key index (Java `IndexFile`, `IndexHeader`, `IndexService`).
//!
//! ```text
//! header 40 B: beginTimestamp i64 | endTimestamp i64 | beginPhyOffset i64 | endPhyOffset i64
//!              | hashSlotCount i32 | indexCount i32 (starts at 1)
//! slots:  hashSlotNum × i32  (latest entry number in the slot, 0 = empty)
//! entries: indexNum × { keyHash i32 | phyOffset i64 | timeDiff i32 (s) | prevEntry i32 }
//! ```
//! Keys are `topic#UNIQ_KEY` and `topic#k` for every key of `KEYS` split by spaces; the hash is
//! `abs(String.hashCode)` with `Integer.MIN_VALUE` → 0. Only hashes are compared: callers get
//! collisions too and filter by key, as the Java client does.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing::{info, warn};

use crate::decode::DispatchInfo;
use crate::error::{Result, StoreError};
use crate::layout::{
    index_file_name, index_file_size, INDEX_ENTRY_SIZE, INDEX_HEADER_SIZE, INDEX_SLOT_SIZE,
};
use crate::message::{java_hash, java_hash_from, sysflag};
use crate::mmap::MappedFile;
use crate::segments::sync_dir;

/// Bytes of entries reserved at a time ahead of the next one (52,428 entries); see
/// `MappedFile::reserve` for why only reserved pages are written.
const RESERVE_AHEAD: usize = 1 << 20;

/// Offset of entry 0: after the header and the slots.
fn entries_start(slots: u32) -> u64 {
    INDEX_HEADER_SIZE + u64::from(slots) * INDEX_SLOT_SIZE
}

/// Index header values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexHeader {
    pub begin_timestamp: i64,
    pub end_timestamp: i64,
    pub begin_phy_offset: i64,
    pub end_phy_offset: i64,
    pub hash_slot_count: i32,
    pub index_count: i32,
}

/// `IndexService.indexKeyHashMethod`.
pub fn key_hash(key: &str) -> i32 {
    positive(java_hash(key))
}

/// [`key_hash`] of `topic#key`, the form every key is indexed under, without building it.
fn topic_key_hash(topic: &str, key: &str) -> i32 {
    positive(java_hash_from(java_hash_from(java_hash(topic), "#"), key))
}

/// `Math.abs`, with `Integer.MIN_VALUE` (its own absolute value) taken as 0.
fn positive(h: i32) -> i32 {
    h.wrapping_abs().max(0)
}

/// One index file.
#[derive(Debug)]
pub(crate) struct IndexFile {
    pub(crate) file: Arc<MappedFile>,
    slots: u32,
    entries: u32,
    header: Mutex<IndexHeader>,
}

fn rd_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn rd_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

impl IndexFile {
    fn open(path: &Path, slots: u32, entries: u32) -> Result<IndexFile> {
        let file = MappedFile::open(path).map_err(StoreError::io("map index file", path))?;
        let expected = index_file_size(slots, entries);
        if file.len() as u64 != expected {
            return Err(StoreError::SegmentSize {
                path: path.to_path_buf(),
                expected,
                actual: file.len() as u64,
            });
        }
        // A file Java made and never wrote is a hole here, even its header.
        let h = file
            .read_safe(0, INDEX_HEADER_SIZE as usize)
            .map_err(StoreError::io("read index header", path))?;
        let mut header = IndexHeader {
            begin_timestamp: rd_i64(&h[0..]),
            end_timestamp: rd_i64(&h[8..]),
            begin_phy_offset: rd_i64(&h[16..]),
            end_phy_offset: rd_i64(&h[24..]),
            hash_slot_count: rd_i32(&h[32..]),
            index_count: rd_i32(&h[36..]),
        };
        if header.index_count <= 0 {
            header.index_count = 1;
        }
        if header.index_count as u32 > entries {
            warn!(path = %path.display(), count = header.index_count, "index header count beyond the file: treated as full");
            header.index_count = entries as i32;
        }
        Ok(IndexFile {
            file: Arc::new(file),
            slots,
            entries,
            header: Mutex::new(header),
        })
    }

    fn create(
        path: &Path,
        slots: u32,
        entries: u32,
        prev: Option<IndexHeader>,
    ) -> Result<IndexFile> {
        let size = index_file_size(slots, entries);
        let file = MappedFile::create(path, size, entries_start(slots) + RESERVE_AHEAD as u64)
            .map_err(StoreError::io("create index file", path))?;
        let mut header = IndexHeader {
            index_count: 1,
            ..IndexHeader::default()
        };
        if let Some(p) = prev {
            // IndexFile(…, endPhyOffset, endTimestamp): a new file starts where the last ended.
            header.begin_phy_offset = p.end_phy_offset;
            header.end_phy_offset = p.end_phy_offset;
            header.begin_timestamp = p.end_timestamp;
            header.end_timestamp = p.end_timestamp;
        }
        let f = IndexFile {
            file: Arc::new(file),
            slots,
            entries,
            header: Mutex::new(header),
        };
        f.write_header(&header);
        Ok(f)
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    pub fn header(&self) -> IndexHeader {
        *self.header.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_header(&self, h: &IndexHeader) {
        let mut b = [0u8; 40];
        b[0..8].copy_from_slice(&h.begin_timestamp.to_be_bytes());
        b[8..16].copy_from_slice(&h.end_timestamp.to_be_bytes());
        b[16..24].copy_from_slice(&h.begin_phy_offset.to_be_bytes());
        b[24..32].copy_from_slice(&h.end_phy_offset.to_be_bytes());
        b[32..36].copy_from_slice(&h.hash_slot_count.to_be_bytes());
        b[36..40].copy_from_slice(&h.index_count.to_be_bytes());
        self.file.write(0, &b);
    }

    fn is_full(&self) -> bool {
        self.header().index_count as u32 >= self.entries
    }

    fn slot_pos(&self, hash: i32) -> usize {
        (INDEX_HEADER_SIZE + (hash as u32 % self.slots) as u64 * INDEX_SLOT_SIZE) as usize
    }

    fn entry_pos(&self, n: i32) -> usize {
        (entries_start(self.slots) + n as u64 * INDEX_ENTRY_SIZE) as usize
    }

    /// Entries this file can still take.
    fn room(&self) -> u32 {
        self.entries
            .saturating_sub(self.header().index_count.max(0) as u32)
    }

    /// Reserve the blocks the next `keys` keys write: the header and every slot (a key's slot is
    /// anywhere), and the entries up to theirs, [`RESERVE_AHEAD`] bytes of entries at a time.
    /// A file made here has its slots reserved at creation; one found on disk (a Java file is
    /// sparse) at its first key.
    fn reserve(&self, keys: usize) -> Result<()> {
        let count = self.header().index_count.max(0) as usize;
        self.reserve_entries((count + keys).min(self.entries as usize) as i32)
    }

    /// Reserve up to entry `n` (exclusive) and [`RESERVE_AHEAD`] bytes beyond.
    fn reserve_entries(&self, n: i32) -> Result<()> {
        let end = self.entry_pos(n);
        self.file
            .reserve(end, end + RESERVE_AHEAD)
            .map_err(StoreError::io("reserve blocks of", self.file.path()))
    }

    /// `IndexFile.putKey` of a key whose [`key_hash`] is `hash`; false when the file is full.
    fn put_key(&self, hash: i32, phy_offset: i64, store_ts: i64) -> Result<bool> {
        let mut h = self.header.lock().unwrap_or_else(|e| e.into_inner());
        if h.index_count as u32 >= self.entries {
            return Ok(false);
        }
        self.reserve_entries(h.index_count + 1)?;
        let slot_pos = self.slot_pos(hash);
        let mut prev = rd_i32(self.file.read(slot_pos, 4));
        if prev <= 0 || prev > h.index_count {
            prev = 0;
        }
        let time_diff = if h.begin_timestamp <= 0 {
            0
        } else {
            ((store_ts - h.begin_timestamp) / 1000).clamp(0, i64::from(i32::MAX))
        };
        let mut e = [0u8; 20];
        e[0..4].copy_from_slice(&hash.to_be_bytes());
        e[4..12].copy_from_slice(&phy_offset.to_be_bytes());
        e[12..16].copy_from_slice(&(time_diff as i32).to_be_bytes());
        e[16..20].copy_from_slice(&prev.to_be_bytes());
        self.file.write(self.entry_pos(h.index_count), &e);
        self.file.write(slot_pos, &h.index_count.to_be_bytes());
        if h.index_count <= 1 {
            h.begin_phy_offset = phy_offset;
            h.begin_timestamp = store_ts;
        }
        if prev == 0 {
            h.hash_slot_count += 1;
        }
        h.index_count += 1;
        h.end_phy_offset = phy_offset;
        h.end_timestamp = store_ts;
        self.write_header(&h);
        Ok(true)
    }

    fn time_matched(&self, begin: i64, end: i64) -> bool {
        let h = self.header();
        (begin < h.begin_timestamp && end > h.end_timestamp)
            || (begin >= h.begin_timestamp && begin <= h.end_timestamp)
            || (end >= h.begin_timestamp && end <= h.end_timestamp)
    }

    /// `IndexFile.selectPhyOffset`.
    fn select(&self, out: &mut Vec<i64>, key: &str, max: usize, begin: i64, end: i64) {
        // Slots are rewritten in place by `put_key`: read them under the same lock.
        let h = self.header.lock().unwrap_or_else(|e| e.into_inner());
        let hash = key_hash(key);
        // A slot never written may be a hole of a sparse (Java-made) file.
        let Ok(slot) = self.file.read_safe(self.slot_pos(hash), 4) else {
            return;
        };
        let slot = rd_i32(&slot);
        if slot <= 0 || slot > h.index_count || h.index_count <= 1 {
            return;
        }
        let mut next = slot;
        while out.len() < max {
            let e = self.file.read(self.entry_pos(next), 20);
            let (hash_read, phy, diff, prev) = (
                rd_i32(e),
                rd_i64(&e[4..]),
                rd_i32(&e[12..]),
                rd_i32(&e[16..]),
            );
            if diff < 0 {
                break;
            }
            let time = h.begin_timestamp + i64::from(diff) * 1000;
            if hash_read == hash && time >= begin && time <= end {
                out.push(phy);
            }
            if prev <= 0 || prev > h.index_count || prev == next || time < begin {
                break;
            }
            next = prev;
        }
    }

    pub fn flush(&self) -> Result<()> {
        self.file
            .flush()
            .map_err(StoreError::io("msync index", self.file.path()))
    }
}

/// The list of index files; the last one takes new keys.
#[derive(Debug)]
pub(crate) struct IndexService {
    dir: PathBuf,
    slots: u32,
    entries: u32,
    files: Mutex<Vec<Arc<IndexFile>>>,
    /// Full files waiting for the flusher to msync them and advance `indexMsgTimestamp`.
    pub full: Mutex<Vec<Arc<IndexFile>>>,
}

/// Result of an index query.
#[derive(Debug, Clone, Default)]
pub struct IndexQuery {
    pub offsets: Vec<i64>,
    pub last_update_timestamp: i64,
    pub last_update_phy_offset: i64,
}

impl IndexService {
    /// Load index files; after a crash, files newer than `index_ts` are deleted (`IndexService.load`).
    pub fn load(
        dir: &Path,
        slots: u32,
        entries: u32,
        last_exit_ok: bool,
        index_ts: i64,
    ) -> Result<IndexService> {
        std::fs::create_dir_all(dir).map_err(StoreError::io("create directory", dir))?;
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(StoreError::io("list directory", dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        let mut files = Vec::new();
        for p in paths {
            let len = std::fs::metadata(&p)
                .map_err(StoreError::io("stat", &p))?
                .len();
            if len == 0 {
                // Killed between creating the file and sizing it: nothing in it.
                warn!(path = %p.display(), "deleting empty index file");
                std::fs::remove_file(&p).map_err(StoreError::io("delete", &p))?;
                continue;
            }
            let f = IndexFile::open(&p, slots, entries)?;
            let h = f.header();
            if !last_exit_ok && h.end_timestamp > index_ts {
                warn!(path = %p.display(), "deleting index file newer than the checkpoint after an abnormal exit");
                drop(f);
                std::fs::remove_file(&p).map_err(StoreError::io("delete", &p))?;
                continue;
            }
            files.push(Arc::new(f));
        }
        Ok(IndexService {
            dir: dir.to_path_buf(),
            slots,
            entries,
            files: Mutex::new(files),
            full: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn files(&self) -> Vec<Arc<IndexFile>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// End physical offset of the last file (dispatch skips records below it).
    pub fn end_phy_offset(&self) -> i64 {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.last().map_or(0, |f| f.header().end_phy_offset)
    }

    fn writable_file(&self) -> Result<Arc<IndexFile>> {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(last) = files.last() {
            if !last.is_full() {
                return Ok(Arc::clone(last));
            }
        }
        drop(files);
        self.roll()
    }

    /// Start a new index file after the last one (writer only).
    fn roll(&self) -> Result<Arc<IndexFile>> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let prev = files.last().map(|f| f.header());
        let mut now = crate::layout::now_ms();
        let mut path = self.dir.join(index_file_name(now));
        while path.exists() {
            now += 1;
            path = self.dir.join(index_file_name(now));
        }
        let f = Arc::new(IndexFile::create(&path, self.slots, self.entries, prev)?);
        sync_dir(&self.dir)?;
        info!(path = %path.display(), "created index file");
        if let Some(full) = files.last() {
            self.full
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Arc::clone(full));
        }
        files.push(Arc::clone(&f));
        Ok(f)
    }

    /// `IndexService.buildIndex` for one dispatched record (writer only).
    pub fn build(&self, d: &DispatchInfo) -> Result<()> {
        if d.physical_offset < self.end_phy_offset() {
            return Ok(());
        }
        if d.sys_flag & sysflag::TRANSACTION_MASK == sysflag::TRANSACTION_ROLLBACK {
            return Ok(());
        }
        // Every key is indexed as `topic#key`: only its hash is stored.
        let put = |k: &str| self.put(topic_key_hash(d.topic, k), d);
        if let Some(u) = d.uniq_key {
            put(u)?;
        }
        if let Some(keys) = d.keys {
            for k in keys.split(' ').filter(|k| !k.is_empty()) {
                put(k)?;
            }
        }
        Ok(())
    }

    fn put(&self, hash: i32, d: &DispatchInfo) -> Result<()> {
        loop {
            let f = self.writable_file()?;
            if f.put_key(hash, d.physical_offset, d.store_timestamp)? {
                return Ok(());
            }
        }
    }

    /// Make sure the file that takes the next `keys` keys exists with its blocks reserved, before
    /// the records they index are written (writer only): a full disk then refuses the put rather
    /// than leave stored messages without their index entries. When the current file cannot take
    /// them all, the next one starts now (a few entries of the old one may stay unused), unless
    /// no single file could.
    pub fn prepare(&self, keys: usize) -> Result<()> {
        if keys == 0 {
            return Ok(());
        }
        let f = self.writable_file()?;
        let fits_one = keys < self.entries.saturating_sub(1) as usize;
        if fits_one && (f.room() as usize) < keys {
            self.roll()?.reserve(keys)
        } else {
            f.reserve(keys)
        }
    }

    /// `IndexService.queryOffset`: newest file first.
    pub fn query(&self, topic: &str, key: &str, max: usize, begin: i64, end: i64) -> IndexQuery {
        let key = format!("{topic}#{key}");
        let files = self.files();
        let mut q = IndexQuery::default();
        if let Some(last) = files.last() {
            let h = last.header();
            q.last_update_timestamp = h.end_timestamp;
            q.last_update_phy_offset = h.end_phy_offset;
        }
        for f in files.iter().rev() {
            if f.time_matched(begin, end) {
                f.select(&mut q.offsets, &key, max, begin, end);
            }
            if f.header().begin_timestamp < begin || q.offsets.len() >= max {
                break;
            }
        }
        q
    }

    /// Delete files whose end offset is below the CommitLog min offset (never the last).
    pub fn delete_expired(&self, cl_min: u64) -> Result<()> {
        let removed: Vec<Arc<IndexFile>> = {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            let n = files
                .iter()
                .take(files.len().saturating_sub(1))
                .take_while(|f| (f.header().end_phy_offset as u64) < cl_min)
                .count();
            files.drain(..n).collect()
        };
        for f in &removed {
            info!(path = %f.path().display(), "deleting expired index file");
            std::fs::remove_file(f.path()).map_err(StoreError::io("delete", f.path()))?;
        }
        Ok(())
    }

    /// Takes the index files' cold pages out of the process's resident set (see
    /// `MappedFile::release_resident`: the data stays in the page cache): the entries below the
    /// last `entries_window` bytes of each file and, in the files before the writable one, the
    /// slots too. Entries are written in order and read only by queries; without this every
    /// full file would keep its 400 MB of entries (Java's default size) resident. The
    /// writable file's slots stay: keys write them at random, and a read fault maps the
    /// neighbouring cached pages too (the kernel's fault-around), so released slots would all
    /// be back within a round at any real rate, each round costing a fault per page.
    pub fn release_resident(&self, entries_window: u64) -> Result<()> {
        let files = self.files();
        let writable = files.len().saturating_sub(1);
        for (i, f) in files.iter().enumerate() {
            let (from, to) = if i == writable {
                let count = f.header().index_count.clamp(0, f.entries as i32);
                let start = entries_start(f.slots);
                let hot_from = (f.entry_pos(count) as u64).saturating_sub(entries_window);
                (start, hot_from.max(start))
            } else {
                (INDEX_HEADER_SIZE, f.file.len() as u64)
            };
            f.file
                .release_resident(from as usize, (to - from) as usize)
                .map_err(StoreError::io("release pages of", f.path()))?;
        }
        Ok(())
    }

    /// msync every file (shutdown).
    pub fn flush_all(&self) -> Result<()> {
        for f in self.files() {
            f.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn info(key: &str, phys: i64, ts: i64) -> DispatchInfo<'_> {
        DispatchInfo {
            topic: "TopicTest",
            queue_id: 0,
            physical_offset: phys,
            size: 100,
            tags_code: 0,
            store_timestamp: ts,
            queue_offset: 0,
            keys: Some(key),
            uniq_key: None,
            sys_flag: 0,
            prepared_transaction_offset: 0,
        }
    }

    /// The hash of `topic#key` taken piece by piece is the hash of the string built.
    #[test]
    fn topic_key_hash_is_the_hash_of_the_joined_key() {
        let topics = ["TopicTest", "", "%RETRY%g", "主题", "t\u{1F600}"];
        let keys = [
            "key1",
            "",
            "7F0000010C3D18B4AAC2586F0D2A0000",
            "ключ",
            "\u{10FFFF}#x",
        ];
        for topic in topics {
            for key in keys {
                assert_eq!(
                    topic_key_hash(topic, key),
                    key_hash(&format!("{topic}#{key}")),
                    "{topic:?} {key:?}"
                );
            }
        }
        // Integer.MIN_VALUE's absolute value is itself: Java indexes it as 0 (hash "polygenelubricants").
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(key_hash("polygenelubricants"), 0);
    }

    /// Appendix C: `TopicTest#key1` → keyHash 1655984460 → slot 984460 at byte 3,937,880; first
    /// entry at 20,000,060 with the default 5,000,000 slots.
    #[test]
    fn layout_matches_the_spec_vector() {
        assert_eq!(key_hash("TopicTest#key1"), 1_655_984_460);
        assert_eq!(
            key_hash("TopicTest#7F0000010C3D18B4AAC2586F0D2A0000") % 5_000_000,
            2_460_588
        );
        let dir = crate::testutil::TempDir::new("index");
        let ix = IndexService::load(dir.path(), 5_000_000, 4, true, 0).unwrap();
        ix.build(&info("key1", 4096, 1_700_000_000_123)).unwrap();
        ix.build(&info("key1", 8192, 1_700_000_005_999)).unwrap();
        let f = ix.files()[0].clone();
        let slot = rd_i32(f.file.read(3_937_880, 4));
        assert_eq!(slot, 2, "slot holds the newest entry");
        let e1 = f.file.read(20_000_060, 20);
        assert_eq!(rd_i32(e1), 1_655_984_460);
        assert_eq!(rd_i64(&e1[4..]), 4096);
        assert_eq!((rd_i32(&e1[12..]), rd_i32(&e1[16..])), (0, 0));
        let e2 = f.file.read(20_000_080, 20);
        assert_eq!(
            (rd_i64(&e2[4..]), rd_i32(&e2[12..]), rd_i32(&e2[16..])),
            (8192, 5, 1)
        );
        let h = f.file.read(0, 40);
        assert_eq!(rd_i64(h), 1_700_000_000_123);
        assert_eq!(rd_i64(&h[8..]), 1_700_000_005_999);
        assert_eq!((rd_i64(&h[16..]), rd_i64(&h[24..])), (4096, 8192));
        assert_eq!((rd_i32(&h[32..]), rd_i32(&h[36..])), (1, 3));
        let q = ix.query("TopicTest", "key1", 32, 0, i64::MAX);
        assert_eq!(q.offsets, vec![8192, 4096]);
        // Time bounds: only the second entry is at or after begin + 5 s.
        assert_eq!(
            ix.query("TopicTest", "key1", 32, 1_700_000_005_000, i64::MAX)
                .offsets,
            vec![8192]
        );
        // Idempotent re-dispatch: below endPhyOffset is skipped.
        ix.build(&info("key1", 4096, 1_700_000_000_123)).unwrap();
        assert_eq!(rd_i32(&f.file.read(0, 40)[36..]), 3);
        // Full at indexNum (4 entries, entry 0 unused): the next key rolls to a new file.
        ix.build(&info("key2", 9000, 1_700_000_006_000)).unwrap();
        ix.build(&info("key3", 9100, 1_700_000_007_000)).unwrap();
        assert_eq!(ix.files().len(), 2);
        assert_eq!(ix.full.lock().unwrap().len(), 1);
        let h2 = ix.files()[1].header();
        assert_eq!((h2.begin_phy_offset, h2.index_count), (9100, 2));
    }
}
