//! The epoch file of controller mode (Java 5.3.3 `EpochFileCache` over `CheckpointFile`):
//! which master epoch wrote which CommitLog range, so a replica that rejoins can find where its
//! log and the new master's agree and truncate the rest.
//!
//! ```text
//! <storePathEpochFile>, default <storePathRootDir>/epochFileCheckpoint (+ .bak), "\n" line ends:
//!   2                     number of entries
//!   1364081205            UtilAll.crc32 (CRC-32 & 0x7fffffff) of the entry lines, "\n" included
//!   1-0                   epoch-startOffset, ascending
//!   2-1048576
//! ```
//! An entry's range ends where the next one starts; the last is open (`i64::MAX`). Nothing is
//! written while there are no entries (Java `CheckpointFile.write`). A file whose count or CRC
//! (unless the CRC is 0) does not match is read from its `.bak` instead.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use tracing::error;

use crate::config_file::ConfigFile;
use crate::error::Result;
use crate::message::crc32;

/// One epoch's CommitLog range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start: i64,
    pub end: i64,
}

impl EpochEntry {
    pub fn new(epoch: i32, start: i64) -> EpochEntry {
        EpochEntry {
            epoch,
            start,
            end: i64::MAX,
        }
    }
}

/// The file's text for `entries`.
pub fn encode(entries: &[EpochEntry]) -> String {
    let lines: String = entries
        .iter()
        .map(|e| format!("{}-{}\n", e.epoch, e.start))
        .collect();
    format!("{}\n{}\n{lines}", entries.len(), crc32(lines.as_bytes()))
}

/// Parses the file's text; the error says why it is not an epoch file.
pub fn decode(text: &str) -> std::result::Result<Vec<EpochEntry>, String> {
    let mut lines = text.lines();
    let mut number = |what: &str| -> std::result::Result<i64, String> {
        let l = lines.next().ok_or(format!("no {what} line"))?;
        l.parse().map_err(|_| format!("bad {what} {l:?}"))
    };
    let count = number("count")?;
    let crc = number("crc")?;
    let mut body = String::new();
    let mut entries = Vec::new();
    for line in lines {
        body.push_str(line);
        body.push('\n');
        // Java `EpochEntrySerializer.fromLine`: a line that is not two numbers is skipped.
        let mut parts = line.split('-');
        if let (Some(e), Some(s), None) = (parts.next(), parts.next(), parts.next()) {
            let epoch = e.parse().map_err(|_| format!("bad epoch in {line:?}"))?;
            let start = s
                .parse()
                .map_err(|_| format!("bad start offset in {line:?}"))?;
            entries.push(EpochEntry::new(epoch, start));
        }
    }
    if entries.len() as i64 != count {
        return Err(format!(
            "Expect {count} entries, only found {} entries",
            entries.len()
        ));
    }
    if crc != 0 && i64::from(crc32(body.as_bytes())) != crc {
        return Err(format!("Entries crc32 not match, file={crc}"));
    }
    Ok(close_ranges(entries))
}

fn close_ranges(mut entries: Vec<EpochEntry>) -> Vec<EpochEntry> {
    for i in 1..entries.len() {
        entries[i - 1].end = entries[i].start;
    }
    entries
}

/// The epochs of one store, kept in memory and written through to the file (when there is one)
/// at every change. The lock is held for the map updates and the small file write.
#[derive(Debug, Default)]
pub struct EpochCache {
    file: Option<ConfigFile>,
    map: Mutex<BTreeMap<i32, EpochEntry>>,
}

impl EpochCache {
    /// Loads the epoch file at `path` (empty when there is none).
    pub fn open(path: impl Into<PathBuf>) -> Result<EpochCache> {
        let file = ConfigFile::new(path.into());
        let entries = file.load_with(decode)?.unwrap_or_default();
        Ok(EpochCache {
            file: Some(file),
            map: Mutex::new(entries.into_iter().map(|e| (e.epoch, e)).collect()),
        })
    }

    /// An in-memory cache of `entries` (Java `initCacheFromEntries` on a file-less cache).
    pub fn from_entries(entries: Vec<EpochEntry>) -> EpochCache {
        let entries = close_ranges(entries);
        EpochCache {
            file: None,
            map: Mutex::new(entries.into_iter().map(|e| (e.epoch, e)).collect()),
        }
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, BTreeMap<i32, EpochEntry>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn flush(&self, map: &BTreeMap<i32, EpochEntry>) {
        let Some(file) = &self.file else { return };
        if map.is_empty() {
            return;
        }
        let entries: Vec<EpochEntry> = map.values().copied().collect();
        if let Err(e) = file.persist(&encode(&entries)) {
            error!(error = %e, "Error happen when flush epochEntries to epochCheckpointFile");
        }
    }

    /// Every entry, ascending.
    pub fn entries(&self) -> Vec<EpochEntry> {
        self.locked().values().copied().collect()
    }

    pub fn len(&self) -> usize {
        self.locked().len()
    }

    pub fn is_empty(&self) -> bool {
        self.locked().is_empty()
    }

    pub fn first(&self) -> Option<EpochEntry> {
        self.locked().values().next().copied()
    }

    pub fn last(&self) -> Option<EpochEntry> {
        self.locked().values().next_back().copied()
    }

    /// The last epoch, -1 when there is none.
    pub fn last_epoch(&self) -> i32 {
        self.last().map_or(-1, |e| e.epoch)
    }

    pub fn get(&self, epoch: i32) -> Option<EpochEntry> {
        self.locked().get(&epoch).copied()
    }

    /// The first entry after `epoch`.
    pub fn next_after(&self, epoch: i32) -> Option<EpochEntry> {
        self.locked()
            .range(epoch.saturating_add(1)..)
            .next()
            .map(|(_, e)| *e)
    }

    /// The entry whose range holds `offset`.
    pub fn find_by_offset(&self, offset: i64) -> Option<EpochEntry> {
        self.locked()
            .values()
            .find(|e| e.start <= offset && e.end > offset)
            .copied()
    }

    /// Appends a new epoch; false (nothing changed) unless both its epoch and its start offset
    /// are above the last entry's.
    pub fn append(&self, entry: EpochEntry) -> bool {
        let mut map = self.locked();
        if let Some(last) = map.values_mut().next_back() {
            if last.epoch >= entry.epoch || last.start >= entry.start {
                error!(?entry, ?last, "The appending entry's epoch or start offset is not bigger than the last entry's, append failed");
                return false;
            }
            last.end = entry.start;
        }
        map.insert(entry.epoch, EpochEntry::new(entry.epoch, entry.start));
        self.flush(&map);
        true
    }

    /// Closes the last entry at `end` (in memory only), unless it starts after it.
    pub fn set_last_end(&self, end: i64) {
        if let Some(last) = self.locked().values_mut().next_back() {
            if last.start <= end {
                last.end = end;
            }
        }
    }

    /// Java `findConsistentPoint`: walking our epochs from the newest, the first one `other`
    /// has with the same start offset gives the end of the common log (the smaller end); -1
    /// when they share none.
    pub fn consistent_point(&self, other: &EpochCache) -> i64 {
        let ours = self.entries();
        for e in ours.iter().rev() {
            if let Some(o) = other.get(e.epoch) {
                if o.start == e.start {
                    return e.end.min(o.end);
                }
            }
        }
        -1
    }

    fn truncate_suffix(&self, drop: impl Fn(&EpochEntry) -> bool) {
        let mut map = self.locked();
        map.retain(|_, e| !drop(e));
        if let Some(last) = map.values_mut().next_back() {
            last.end = i64::MAX;
        }
        self.flush(&map);
    }

    /// Removes the entries starting at or after `offset`.
    pub fn truncate_suffix_by_offset(&self, offset: i64) {
        self.truncate_suffix(|e| e.start >= offset);
    }

    /// Removes the entries of `epoch` and later.
    pub fn truncate_suffix_by_epoch(&self, epoch: i32) {
        self.truncate_suffix(|e| e.epoch >= epoch);
    }

    /// Removes the entries that end at or before `offset` (the CommitLog before it is gone).
    pub fn truncate_prefix_by_offset(&self, offset: i64) {
        let mut map = self.locked();
        map.retain(|_, e| e.end > offset);
        self.flush(&map);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_file_is_javas_checkpoint_text() {
        let entries = vec![EpochEntry::new(1, 0), EpochEntry::new(2, 1_048_576)];
        let text = encode(&entries);
        let lines = "1-0\n2-1048576\n";
        assert_eq!(text, format!("2\n{}\n{lines}", crc32(lines.as_bytes())));
        let back = decode(&text).unwrap();
        assert_eq!(back[0].end, 1_048_576, "closed by the next entry");
        assert_eq!(back[1].end, i64::MAX);
        let zero_crc = "1\n0\n3-7\n";
        assert_eq!(decode(zero_crc).unwrap(), vec![EpochEntry::new(3, 7)]);
        assert!(decode("2\n0\n3-7\n").unwrap_err().contains("Expect 2"));
        assert!(decode("1\n5\n3-7\n").unwrap_err().contains("crc32"));
    }

    #[test]
    fn append_persists_and_reopens() {
        let dir = crate::testutil::TempDir::new("epoch");
        let path = dir.path().join("epochFileCheckpoint");
        let cache = EpochCache::open(&path).unwrap();
        assert_eq!(cache.last_epoch(), -1);
        assert!(cache.append(EpochEntry::new(1, 0)));
        assert!(cache.append(EpochEntry::new(3, 500)));
        assert!(!cache.append(EpochEntry::new(2, 600)), "epoch must grow");
        assert!(!cache.append(EpochEntry::new(4, 500)), "start must grow");
        let again = EpochCache::open(&path).unwrap();
        assert_eq!(again.entries(), cache.entries());
        assert_eq!(again.find_by_offset(499).map(|e| e.epoch), Some(1));
        assert_eq!(again.next_after(1).map(|e| e.epoch), Some(3));
        again.truncate_suffix_by_offset(500);
        assert_eq!(EpochCache::open(&path).unwrap().last_epoch(), 1);
        assert_eq!(again.last().map(|e| e.end), Some(i64::MAX));
    }

    #[test]
    fn consistent_point_is_the_end_of_the_shared_epoch() {
        // The old master wrote epoch 2 up to 900; the new master took over at 700 with epoch 3.
        let old = EpochCache::from_entries(vec![EpochEntry::new(1, 0), EpochEntry::new(2, 400)]);
        old.set_last_end(900);
        let new = EpochCache::from_entries(vec![
            EpochEntry::new(1, 0),
            EpochEntry::new(2, 400),
            EpochEntry::new(3, 700),
        ]);
        new.set_last_end(1200);
        assert_eq!(old.consistent_point(&new), 700);
        let stranger = EpochCache::from_entries(vec![EpochEntry::new(5, 10)]);
        assert_eq!(old.consistent_point(&stranger), -1);
    }
}
