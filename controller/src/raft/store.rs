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

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
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
        let records: Vec<Record> = entries.into_iter().map(Record::Entry).collect();
        let mut inner = self.lock();
        match inner.write(&records) {
            Ok(()) => {
                for r in records {
                    inner.replay(r);
                }
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
