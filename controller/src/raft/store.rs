//! The durable Raft log and vote of one controller, under `controllerStorePath`.
//!
//! ```text
//! <controllerStorePath>/raft-log         record := len:u32 BE | crc32(json):u32 BE | json
//!                                        json   := {"Entry":…} | {"Truncate":index} | {"Purge":log_id}
//! <controllerStorePath>/raft-vote.json   the last vote, replaced by rename
//! ```
//! The log file is a journal of changes: replaying it rebuilds the entries (appended entries,
//! a conflicting tail truncated, a prefix purged after a snapshot). Every change is fsynced
//! before openraft is told it is done. A torn tail is cut at start-up (as [`crate::log`]);
//! when most records are dead the file is rewritten beside itself and renamed over.
//!
//! The entries held are always one contiguous run after the purged prefix: an append that
//! would leave a hole is refused (openraft's apply takes whatever run a read returns and
//! checks only its ends).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, LogId, RaftLogReader, StorageError, StorageIOError, Vote};
use serde::{Deserialize, Serialize};

use super::TypeConfig;
use crate::error::{Error, Result};
use crate::log::{decode_all, encode, sync_dir};

pub const LOG_FILE: &str = "raft-log";
pub const VOTE_FILE: &str = "raft-vote.json";

type StoreError = StorageError<u64>;

#[derive(Serialize, Deserialize)]
enum Record {
    Entry(Entry<TypeConfig>),
    /// Entries from this index on are removed.
    Truncate(u64),
    /// Entries up to this log id are removed.
    Purge(LogId<u64>),
}

struct Inner {
    dir: PathBuf,
    file: File,
    entries: BTreeMap<u64, Entry<TypeConfig>>,
    purged: Option<LogId<u64>>,
    vote: Option<Vote<u64>>,
    /// Records in the file, live or not: decides when to rewrite it.
    records: usize,
}

/// The log store; clones share one file (openraft's log reader is a clone).
#[derive(Clone)]
pub struct LogStore(Arc<Mutex<Inner>>);

impl LogStore {
    /// Opens (or creates) the log and the vote in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| Error::file(&path, e))?;
        sync_dir(dir)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::file(&path, e))?;
        let (records, valid): (Vec<Record>, usize) = decode_all(&bytes);
        if valid < bytes.len() {
            tracing::warn!(path = %path.display(), valid, len = bytes.len(), "truncating a torn tail of the controller's Raft log");
            file.set_len(valid as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::file(&path, e))?;
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| Error::file(&path, e))?;
        let mut inner = Inner {
            dir: dir.to_path_buf(),
            file,
            entries: BTreeMap::new(),
            purged: None,
            vote: read_vote(dir)?,
            records: records.len(),
        };
        for record in records {
            inner.replay(record);
        }
        Ok(LogStore(Arc::new(Mutex::new(inner))))
    }

    /// Appends `entries` after the log's last one (or in place of a tail from the first of
    /// them) and syncs them; they are readable once this returns.
    fn append_entries(&self, entries: Vec<Entry<TypeConfig>>) -> std::io::Result<()> {
        let mut inner = self.lock();
        let records = inner.append_records(entries)?;
        inner.write(&records)?;
        for r in records {
            inner.replay(r);
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    /// The index the next appended entry must have: after the last entry, else after the
    /// purged prefix; `None` for a log that never held anything.
    fn next_index(&self) -> Option<u64> {
        match self.entries.keys().next_back() {
            Some(last) => Some(last + 1),
            None => self.purged.map(|p| p.index + 1),
        }
    }

    /// The records that append `entries`: a `Truncate` first when they replace a tail. Entries
    /// at or before the purge point are already in the snapshot and are left out. An append
    /// that would leave a hole, or that skips an index within itself, is refused.
    fn append_records(&self, entries: Vec<Entry<TypeConfig>>) -> std::io::Result<Vec<Record>> {
        let refuse = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
        let Some(first) = entries.first().map(|e| e.log_id.index) else {
            return Ok(Vec::new());
        };
        if let Some((i, e)) = entries
            .iter()
            .enumerate()
            .find(|(i, e)| e.log_id.index != first + *i as u64)
        {
            return Err(refuse(format!(
                "log entries to append skip from {} to {}",
                first + i as u64 - 1,
                e.log_id.index
            )));
        }
        let purged_next = self.purged.map_or(0, |p| p.index + 1);
        let mut entries = entries
            .into_iter()
            .skip_while(|e| e.log_id.index < purged_next)
            .peekable();
        let Some(first) = entries.peek().map(|e| e.log_id.index) else {
            return Ok(Vec::new());
        };
        let mut records = Vec::new();
        match self.next_index() {
            Some(next) if first > next => {
                return Err(refuse(format!(
                    "log entry {first} does not follow the log, whose next index is {next}: it \
                     would leave a hole"
                )));
            }
            Some(next) if first < next => records.push(Record::Truncate(first)),
            _ => {}
        }
        records.extend(entries.map(Record::Entry));
        Ok(records)
    }

    fn replay(&mut self, record: Record) {
        match record {
            Record::Entry(e) => {
                self.entries.insert(e.log_id.index, e);
            }
            Record::Truncate(index) => {
                self.entries.split_off(&index);
            }
            Record::Purge(log_id) => {
                self.entries = self.entries.split_off(&(log_id.index + 1));
                self.purged = Some(log_id);
            }
        }
    }

    fn write(&mut self, records: &[Record]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for r in records {
            encode(r, &mut buf);
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        self.records += records.len();
        Ok(())
    }

    /// Rewrites the file with only the live records once most of it is dead.
    fn maybe_compact(&mut self) -> std::io::Result<()> {
        if self.records <= 2 * self.entries.len() + 1024 {
            return Ok(());
        }
        let path = self.dir.join(LOG_FILE);
        let tmp = self.dir.join(format!("{LOG_FILE}.tmp"));
        let mut buf = Vec::new();
        if let Some(p) = self.purged {
            encode(&Record::Purge(p), &mut buf);
        }
        for e in self.entries.values() {
            encode(&Record::Entry(e.clone()), &mut buf);
        }
        let mut f = File::create(&tmp)?;
        f.write_all(&buf)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        File::open(&self.dir)?.sync_all()?;
        self.file = OpenOptions::new().read(true).append(true).open(&path)?;
        self.records = self.entries.len() + usize::from(self.purged.is_some());
        Ok(())
    }
}

fn read_vote(dir: &Path) -> Result<Option<Vote<u64>>> {
    let path = dir.join(VOTE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::file(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::file(&path, e)),
    }
}

/// Writes `bytes` to `dir/name` through a synced temporary file renamed over it.
pub(super) fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()
}

fn write_err(e: std::io::Error) -> StoreError {
    StorageIOError::write_logs(&e).into()
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StoreError> {
        Ok(self
            .lock()
            .entries
            .range(range)
            .map(|(_, e)| e.clone())
            .collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StoreError> {
        let inner = self.lock();
        let last = inner.entries.values().next_back().map(|e| e.log_id);
        Ok(LogState {
            last_purged_log_id: inner.purged,
            last_log_id: last.or(inner.purged),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let bytes = serde_json::to_vec(vote).unwrap_or_default();
        replace_file(&inner.dir, VOTE_FILE, &bytes)
            .map_err(|e| StoreError::from(StorageIOError::write_vote(&e)))?;
        inner.vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StoreError> {
        Ok(self.lock().vote)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StoreError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        match self.append_entries(entries.into_iter().collect()) {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                let copy = std::io::Error::new(e.kind(), e.to_string());
                callback.log_io_completed(Err(e));
                Err(write_err(copy))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner
            .write(&[Record::Truncate(log_id.index)])
            .map_err(write_err)?;
        inner.replay(Record::Truncate(log_id.index));
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.write(&[Record::Purge(log_id)]).map_err(write_err)?;
        inner.replay(Record::Purge(log_id));
        inner.maybe_compact().map_err(write_err)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::PathBuf;

    use openraft::testing::{blank_ent, log_id, StoreBuilder, Suite};

    use super::*;
    use crate::raft::state::StateMachine;

    /// A directory removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "thrust-raft-store-{name}-{}-{n}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn ent(term: u64, index: u64) -> Entry<TypeConfig> {
        blank_ent::<TypeConfig>(term, 0, index)
    }

    fn append(store: &LogStore, entries: &[(u64, u64)]) -> std::io::Result<()> {
        store.append_entries(entries.iter().map(|(t, i)| ent(*t, *i)).collect())
    }

    /// The log ids a read of `range` returns.
    async fn read(store: &mut LogStore, range: std::ops::Range<u64>) -> Vec<LogId<u64>> {
        let entries = store.try_get_log_entries(range).await.unwrap();
        entries.into_iter().map(|e| e.log_id).collect()
    }

    async fn state(store: &mut LogStore) -> (Option<u64>, Option<u64>) {
        let s = store.get_log_state().await.unwrap();
        (
            s.last_purged_log_id.map(|l| l.index),
            s.last_log_id.map(|l| l.index),
        )
    }

    /// A member that lost its store holds only its initial entry 0; the leader, whose log was
    /// purged, once sent it entry 3 with no previous log id. Appending it would leave 1 and 2
    /// missing, and openraft's apply of 0..=3 would panic on the run [0, 3].
    #[tokio::test]
    async fn an_append_that_would_leave_a_hole_is_refused() {
        let dir = TempDir::new("hole");
        let mut store = LogStore::open(&dir.0).unwrap();
        append(&store, &[(0, 0)]).unwrap();
        let err = append(&store, &[(2, 3)]).unwrap_err();
        assert!(err.to_string().contains("hole"), "{err}");
        let err = append(&store, &[(1, 1), (1, 3)]).unwrap_err();
        assert!(err.to_string().contains("skip"), "{err}");
        assert_eq!(read(&mut store, 0..4).await, [log_id(0, 0, 0)]);
        append(&store, &[(1, 1), (1, 2), (2, 3)]).unwrap();
        let ids: Vec<u64> = read(&mut store, 0..10)
            .await
            .iter()
            .map(|l| l.index)
            .collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        drop(store);
        let mut store = LogStore::open(&dir.0).unwrap();
        assert_eq!(state(&mut store).await, (None, Some(3)));
    }

    #[tokio::test]
    async fn purge_truncate_and_a_snapshot_past_the_log_keep_one_run() {
        let dir = TempDir::new("purge");
        let mut store = LogStore::open(&dir.0).unwrap();
        let first: Vec<(u64, u64)> = (0..10).map(|i| (1, i)).collect();
        append(&store, &first).unwrap();
        store.purge(log_id(1, 0, 4)).await.unwrap();
        assert_eq!(state(&mut store).await, (Some(4), Some(9)));
        // A read across the purge point returns what is left of the range.
        let ids: Vec<u64> = read(&mut store, 2..7)
            .await
            .iter()
            .map(|l| l.index)
            .collect();
        assert_eq!(ids, [5, 6]);
        assert!(read(&mut store, 0..5).await.is_empty());

        store.truncate(log_id(1, 0, 8)).await.unwrap();
        assert_eq!(state(&mut store).await, (Some(4), Some(7)));
        let err = append(&store, &[(2, 9)]).unwrap_err();
        assert!(err.to_string().contains("hole"), "{err}");

        // A follower installing a snapshot beyond its log purges past its last entry.
        store.purge(log_id(3, 0, 12)).await.unwrap();
        assert_eq!(state(&mut store).await, (Some(12), Some(12)));
        assert!(read(&mut store, 0..20).await.is_empty());
        // What the snapshot holds is not written again.
        append(&store, &[(1, 11), (3, 12)]).unwrap();
        assert_eq!(state(&mut store).await, (Some(12), Some(12)));
        let err = append(&store, &[(3, 14)]).unwrap_err();
        assert!(err.to_string().contains("hole"), "{err}");
        append(&store, &[(3, 13), (3, 14)]).unwrap();
        let want = [log_id(3, 0, 13), log_id(3, 0, 14)];
        assert_eq!(read(&mut store, 0..20).await, want);

        // The file says what memory said.
        drop(store);
        let mut store = LogStore::open(&dir.0).unwrap();
        assert_eq!(state(&mut store).await, (Some(12), Some(14)));
        assert_eq!(read(&mut store, 0..20).await, want);
    }

    #[tokio::test]
    async fn an_append_over_a_tail_replaces_it() {
        let dir = TempDir::new("overlap");
        let mut store = LogStore::open(&dir.0).unwrap();
        append(&store, &[(1, 0), (1, 1), (1, 2), (1, 3)]).unwrap();
        append(&store, &[(2, 2)]).unwrap();
        let want = [log_id(1, 0, 0), log_id(1, 0, 1), log_id(2, 0, 2)];
        assert_eq!(read(&mut store, 0..10).await, want);
        drop(store);
        let mut store = LogStore::open(&dir.0).unwrap();
        assert_eq!(read(&mut store, 0..10).await, want);
    }

    #[tokio::test]
    async fn a_rewritten_file_keeps_the_log() {
        let dir = TempDir::new("compact");
        let mut store = LogStore::open(&dir.0).unwrap();
        for start in (0..1500).step_by(100) {
            let batch: Vec<(u64, u64)> = (start..start + 100).map(|i| (1, i)).collect();
            append(&store, &batch).unwrap();
        }
        store.purge(log_id(1, 0, 1489)).await.unwrap();
        let len = std::fs::metadata(dir.0.join(LOG_FILE)).unwrap().len();
        assert!(len < 10 * 1024, "the file was not rewritten: {len} bytes");
        append(&store, &[(1, 1500)]).unwrap();
        drop(store);
        let mut store = LogStore::open(&dir.0).unwrap();
        assert_eq!(state(&mut store).await, (Some(1489), Some(1500)));
        assert_eq!(read(&mut store, 0..2000).await.len(), 11);
    }

    struct Builder;

    impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for Builder {
        async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StoreError> {
            let dir = TempDir::new("suite");
            let io = |e: Error| StoreError::from(StorageIOError::write(&e));
            let log = LogStore::open(&dir.0).map_err(io)?;
            let sm = StateMachine::open(&dir.0).map_err(io)?;
            Ok((dir, log, sm))
        }
    }

    /// openraft's own checks of a log store and state machine.
    #[test]
    fn openraft_storage_suite() {
        Suite::test_all(Builder).unwrap();
    }
}
