//! The Raft state machine: the controller's [`Replicas`], changed only by the committed
//! [`Event`](crate::replicas::Event)s of the log (Java `DLedgerControllerStateMachine#onApply`),
//! and its snapshot (the state itself, as JSON).
//!
//! ```text
//! <controllerStorePath>/raft-snapshot.json   {"meta":SnapshotMeta,"data":Applied}
//! ```
//! The state lives in memory; a restart loads the snapshot and openraft re-applies the
//! committed entries after it.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use openraft::storage::{RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, RaftSnapshotBuilder, StorageError, StorageIOError,
    StoredMembership,
};
use serde::{Deserialize, Serialize};

use super::store::replace_file;
use super::TypeConfig;
use crate::error::{Error, Result};
use crate::replicas::Replicas;

pub const SNAPSHOT_FILE: &str = "raft-snapshot.json";

type StoreError = StorageError<u64>;
type Meta = SnapshotMeta<u64, BasicNode>;

/// What the applied entries built.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Applied {
    pub last_applied: Option<LogId<u64>>,
    pub membership: StoredMembership<u64, BasicNode>,
    pub replicas: Replicas,
}

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    meta: Meta,
    data: Applied,
}

/// The state machine; [`StateMachine::state`] is shared with the request handlers, which
/// read it under the lock and never write it.
#[derive(Clone)]
pub struct StateMachine {
    dir: PathBuf,
    state: Arc<RwLock<Applied>>,
}

impl StateMachine {
    /// The state of the snapshot in `dir`, if any.
    pub fn open(dir: &Path) -> Result<Self> {
        let applied = read_snapshot(dir)?.map(|s| s.data).unwrap_or_default();
        Ok(StateMachine {
            dir: dir.to_path_buf(),
            state: Arc::new(RwLock::new(applied)),
        })
    }

    pub fn state(&self) -> Arc<RwLock<Applied>> {
        self.state.clone()
    }

    fn read(&self) -> Applied {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn read_snapshot(dir: &Path) -> Result<Option<SnapshotFile>> {
    let path = dir.join(SNAPSHOT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::file(&path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::file(&path, e)),
    }
}

fn snapshot_of(file: SnapshotFile) -> Snapshot<TypeConfig> {
    let bytes = serde_json::to_vec(&file.data).unwrap_or_default();
    Snapshot {
        meta: file.meta,
        snapshot: Box::new(Cursor::new(bytes)),
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StoreError> {
        let data = self.read();
        let snapshot_id = match data.last_applied {
            Some(l) => format!("{}-{}", l.leader_id.term, l.index),
            None => "0-0".to_string(),
        };
        let meta = Meta {
            last_log_id: data.last_applied,
            last_membership: data.membership.clone(),
            snapshot_id,
        };
        let file = SnapshotFile { meta, data };
        let bytes = serde_json::to_vec(&file).unwrap_or_default();
        replace_file(&self.dir, SNAPSHOT_FILE, &bytes)
            .map_err(|e| StoreError::from(StorageIOError::write_snapshot(None, &e)))?;
        Ok(snapshot_of(file))
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, BasicNode>), StoreError> {
        let s = self.state.read().unwrap_or_else(|e| e.into_inner());
        Ok((s.last_applied, s.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<()>, StoreError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let mut s = self.state.write().unwrap_or_else(|e| e.into_inner());
        let mut replies = Vec::new();
        for entry in entries {
            s.last_applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => {}
                EntryPayload::Normal(events) => {
                    for event in &events.0 {
                        s.replicas.apply(event);
                    }
                }
                EntryPayload::Membership(m) => {
                    s.membership = StoredMembership::new(Some(entry.log_id), m);
                }
            }
            replies.push(());
        }
        Ok(replies)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StoreError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &Meta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StoreError> {
        let data: Applied = serde_json::from_slice(snapshot.get_ref()).map_err(|e| {
            StoreError::from(StorageIOError::read_snapshot(Some(meta.signature()), &e))
        })?;
        let file = SnapshotFile {
            meta: meta.clone(),
            data,
        };
        let bytes = serde_json::to_vec(&file).unwrap_or_default();
        replace_file(&self.dir, SNAPSHOT_FILE, &bytes).map_err(|e| {
            StoreError::from(StorageIOError::write_snapshot(Some(meta.signature()), &e))
        })?;
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = file.data;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StoreError> {
        let file = read_snapshot(&self.dir).map_err(|e| {
            StoreError::from(StorageIOError::read_snapshot(
                None,
                &std::io::Error::other(e.to_string()),
            ))
        })?;
        Ok(file.map(snapshot_of))
    }
}
