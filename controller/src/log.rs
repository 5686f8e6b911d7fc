//! The controller's event log: every applied [`Event`], in order, durable before the request
//! that produced it is answered. Replaying it at start-up rebuilds the state.
//!
//! ```text
//! <controllerStorePath>/thrust-events.log
//!   record := len:u32 BE | crc32(json):u32 BE | json (one Event)
//! ```
//! Recovery reads records up to the first torn or corrupt one and truncates the file there (a
//! crash mid-append loses only the unacknowledged tail). A failed write or fsync poisons the
//! log: later appends fail instead of acknowledging what may not be on disk.
//!
//! Java's DLedger (`dledger-<selfId>/`) and jRaft (`raft_meta/`) stores are not read; a
//! directory holding one is refused so its metadata is not silently started over.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::replicas::Event;

/// File name inside `controllerStorePath`.
pub const FILE_NAME: &str = "thrust-events.log";
const HEADER: usize = 8;
/// A record larger than this is corrupt (events are a few hundred bytes).
const MAX_RECORD: usize = 16 << 20;

/// The open log.
pub struct EventLog {
    file: File,
    path: PathBuf,
    poisoned: Option<String>,
}

impl EventLog {
    /// Opens (or creates) the log in `dir` and returns it with the events it holds.
    pub fn open(dir: &Path) -> Result<(Self, Vec<Event>)> {
        refuse_java_store(dir)?;
        std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
        let path = dir.join(FILE_NAME);
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| Error::file(&path, e))?;
        if created {
            sync_dir(dir)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::file(&path, e))?;
        let (events, valid) = decode_all(&bytes);
        if valid < bytes.len() {
            tracing::warn!(path = %path.display(), valid, len = bytes.len(), "truncating a torn tail of the controller event log");
            file.set_len(valid as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::file(&path, e))?;
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| Error::file(&path, e))?;
        Ok((
            EventLog {
                file,
                path,
                poisoned: None,
            },
            events,
        ))
    }

    /// Appends `events` and syncs them to disk.
    pub fn append(&mut self, events: &[Event]) -> Result<()> {
        if let Some(why) = &self.poisoned {
            return Err(Error::Poisoned(why.clone()));
        }
        let mut buf = Vec::new();
        for event in events {
            encode(event, &mut buf);
        }
        let written = self
            .file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data());
        written.map_err(|e| {
            let why = format!("{}: {e}", self.path.display());
            self.poisoned = Some(why.clone());
            Error::Poisoned(why)
        })
    }
}

/// Appends one record (`len | crc | json`) to `out`; the Raft log uses the same framing.
pub(crate) fn encode<T: serde::Serialize>(record: &T, out: &mut Vec<u8>) {
    let json = serde_json::to_vec(record).unwrap_or_default();
    let len = u32::try_from(json.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&json).to_be_bytes());
    out.extend_from_slice(&json);
}

/// The records of the valid prefix and its length.
pub(crate) fn decode_all<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> (Vec<T>, usize) {
    let mut events = Vec::new();
    let mut pos = 0;
    while let Some((event, len)) = decode_one(&bytes[pos..]) {
        events.push(event);
        pos += len;
    }
    (events, pos)
}

fn decode_one<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<(T, usize)> {
    let head = bytes.get(..HEADER)?;
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    if len > MAX_RECORD {
        return None;
    }
    let json = bytes.get(HEADER..HEADER + len)?;
    if crc32fast::hash(json) != crc {
        return None;
    }
    let event = serde_json::from_slice(json).ok()?;
    Some((event, HEADER + len))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::file(dir, e))
}

fn refuse_java_store(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("dledger-") || name == "raft_meta" {
            return Err(Error::file(
                &entry.path(),
                "holds a Java controller's DLedger/jRaft store, which Thrust's controller cannot \
                 read; point controllerStorePath at another directory",
            ));
        }
        if name == crate::raft::store::LOG_FILE {
            return Err(Error::file(
                &entry.path(),
                "holds the Raft log of a member of a controller group; a single controller \
                 keeps its own event log: point controllerStorePath at another directory",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("thrust-ctl-log-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn event(n: i64) -> Event {
        Event::ElectMaster {
            broker_name: "b".into(),
            new_master_elected: true,
            new_master_broker_id: Some(n),
        }
    }

    #[test]
    fn events_survive_reopen_and_a_torn_tail_is_cut() {
        let dir = tmp("torn");
        let (mut log, events) = EventLog::open(&dir).unwrap();
        assert!(events.is_empty());
        log.append(&[event(1), event(2)]).unwrap();
        drop(log);
        let path = dir.join(FILE_NAME);
        let good = std::fs::metadata(&path).unwrap().len();
        // A record cut short by a crash.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[0, 0, 0, 40, 1, 2, 3]).unwrap();
        drop(f);
        let (mut log, events) = EventLog::open(&dir).unwrap();
        assert_eq!(events, vec![event(1), event(2)]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good);
        log.append(&[event(3)]).unwrap();
        drop(log);
        let (_, events) = EventLog::open(&dir).unwrap();
        assert_eq!(events.len(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_corrupt_record_ends_the_log() {
        let dir = tmp("crc");
        let (mut log, _) = EventLog::open(&dir).unwrap();
        log.append(&[event(1), event(2)]).unwrap();
        drop(log);
        let path = dir.join(FILE_NAME);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let (_, events) = EventLog::open(&dir).unwrap();
        assert_eq!(events, vec![event(1)]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_java_store_is_refused() {
        let dir = tmp("java");
        std::fs::create_dir_all(dir.join("dledger-n0")).unwrap();
        let err = EventLog::open(&dir).err().unwrap().to_string();
        assert!(err.contains("DLedger"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
