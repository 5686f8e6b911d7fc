//! A group of controllers agreeing through Raft (openraft), the counterpart of Java's
//! `DLedgerController`: the leader computes a request's events from its state, replicates them
//! as one log entry and answers once they are committed and applied; every controller applies
//! the same entries to the same [`Replicas`](crate::replicas::Replicas).
//!
//! ```text
//!  request ─▶ leader? ──no──▶ CONTROLLER_NOT_LEADER (2007)
//!               │yes
//!               ▼
//!  compute events ─▶ client_write ─▶ log (fsync) ─▶ majority ─▶ commit ─▶ apply ─▶ answer
//! ```
//! * [`store`]: the durable log and vote; [`state`]: the state machine and its snapshot;
//!   [`network`]: the RPCs between controllers on their remoting ports.
//!
//! Node ids are the positions of the `controllerDLegerPeers` entries (the same list on every
//! controller). Like Java's `DLedgerController`, a new leader serves only once the blank entry
//! of its term is applied (its state has caught up); until then it answers as a follower.
//!
//! A member whose store was lost starts again empty under its old id, as a DLedger member
//! does: the leader finds its log shorter than it had acknowledged and brings it up to date
//! with the snapshot and the log after it. openraft allows that only with its
//! `loosen-follower-log-revert` feature; without it a release build's leader kept the old
//! position, its search for the member's last entry went below zero, and it sent the entries
//! after its purge point as if they followed the member's initial entry (a hole that made the
//! member's apply panic). Such a member also lost its vote: losing the stores of two of three
//! members at once can lose committed state, as with DLedger.

pub mod network;
pub mod state;
pub mod store;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use openraft::{BasicNode, Config, ServerState, SnapshotPolicy};
use remoting::Client;
use serde::{Deserialize, Serialize};

use crate::config::Peer;
use crate::error::{Error, Result};
use crate::replicas::{Event, Replicas};

/// One log entry: the events of one request, applied together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Events(pub Vec<Event>);

impl std::fmt::Display for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} event(s)", self.0.len())
    }
}

openraft::declare_raft_types!(
    /// The controller's Raft types.
    pub TypeConfig:
        D = Events,
        R = (),
);

pub type ControllerRaft = openraft::Raft<TypeConfig>;

/// Milliseconds without a leader before a member calls an election.
pub const ELECTION_TIMEOUT_MIN: u64 = 1500;

/// How long a write waits for its entry to be committed and applied.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a write was not committed.
#[derive(Debug)]
pub enum WriteError {
    /// This controller does not lead (any more).
    NotLeader,
    Failed(String),
}

/// This controller's member of the group.
pub struct RaftGroup {
    pub raft: ControllerRaft,
    id: u64,
    peers: Vec<Peer>,
    state: Arc<RwLock<state::Applied>>,
}

impl RaftGroup {
    /// Opens the store in `dir`, starts the Raft node of peer `self_id` and, on a store that
    /// never joined a group, proposes the group of all `peers` (every member does; openraft
    /// accepts the same initial membership from each).
    /// `client` carries the Raft calls to the other members.
    pub async fn start(
        dir: &Path,
        group: &str,
        peers: Vec<Peer>,
        self_id: &str,
        client: Arc<Client>,
    ) -> Result<Self> {
        let id = peers
            .iter()
            .position(|p| p.id == self_id)
            .ok_or_else(|| Error::Unsupported {
                key: "controllerDLegerSelfId".into(),
                message: format!(
                    "controllerDLegerSelfId={self_id} is not one of controllerDLegerPeers"
                ),
            })? as u64;
        refuse_single_log(dir)?;
        keep_peers(dir, &peers)?;
        let log = store::LogStore::open(dir)?;
        let sm = state::StateMachine::open(dir)?;
        let state = sm.state();
        let config = Config {
            cluster_name: group.to_string(),
            heartbeat_interval: 250,
            election_timeout_min: ELECTION_TIMEOUT_MIN,
            election_timeout_max: 3000,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(1000),
            max_in_snapshot_log_to_keep: 100,
            ..Config::default()
        };
        let config = Arc::new(config.validate().map_err(|e| Error::Unsupported {
            key: "controllerDLegerPeers".into(),
            message: format!("Raft configuration: {e}"),
        })?);
        let network = network::Network::new(client);
        let raft = ControllerRaft::new(id, config, network, log, sm)
            .await
            .map_err(|e| Error::file(dir, e))?;
        let uninitialized = !raft
            .is_initialized()
            .await
            .map_err(|e| Error::file(dir, e))?;
        if uninitialized {
            let members: BTreeMap<u64, BasicNode> = peers
                .iter()
                .enumerate()
                .map(|(i, p)| (i as u64, BasicNode::new(&p.addr)))
                .collect();
            if let Err(e) = raft.initialize(members).await {
                tracing::info!(error = %e, "the controller group is already initialized");
            }
        }
        Ok(RaftGroup {
            raft,
            id,
            peers,
            state,
        })
    }

    /// Java `DLedgerController#isLeaderState`: leads, and its state has caught up with the
    /// log (the blank entry of its term is applied).
    pub fn is_leader(&self) -> bool {
        let m = self.raft.metrics();
        let m = m.borrow();
        m.state == ServerState::Leader
            && m.current_leader == Some(self.id)
            && m.last_applied.map(|l| l.leader_id.term) == Some(m.current_term)
    }

    /// Whether Raft itself calls this node the leader (DLedger's `MemberState#isLeader`).
    pub fn is_raft_leader(&self) -> bool {
        self.raft.metrics().borrow().state == ServerState::Leader
    }

    /// The peer this node believes leads, if any.
    pub fn leader(&self) -> Option<&Peer> {
        let leader = self.raft.metrics().borrow().current_leader?;
        self.peers.get(usize::try_from(leader).ok()?)
    }

    pub fn peers(&self) -> &[Peer] {
        &self.peers
    }

    /// Runs `f` over the applied state.
    pub fn with_replicas<R>(&self, f: impl FnOnce(&Replicas) -> R) -> R {
        f(&self
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .replicas)
    }

    /// Replicates `events` as one entry; returns once it is committed and applied here.
    pub async fn write(&self, events: Vec<Event>) -> std::result::Result<(), WriteError> {
        use openraft::error::{ClientWriteError, RaftError};
        let written = tokio::time::timeout(WRITE_TIMEOUT, self.raft.client_write(Events(events)))
            .await
            .map_err(|_| {
                WriteError::Failed("the controller group did not commit in time".into())
            })?;
        match written {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))) => {
                Err(WriteError::NotLeader)
            }
            Err(e) => Err(WriteError::Failed(e.to_string())),
        }
    }
}

/// A directory holding a single controller's event log is not silently started over as a
/// group member (and [`crate::log::EventLog::open`] refuses a group member's store).
fn refuse_single_log(dir: &Path) -> Result<()> {
    let path = dir.join(crate::log::FILE_NAME);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
        return Err(Error::file(
            &path,
            "holds the event log of a single controller; a group of controllers keeps its state \
             in Raft files: point controllerStorePath at another directory",
        ));
    }
    Ok(())
}

/// Beside the Raft files: the `controllerDLegerPeers` a group was first started with.
pub const PEERS_FILE: &str = "raft-peers";

/// Membership changes are not supported (node ids are positions in the list): a store is never
/// started under a list other than the one its group was formed with, where openraft would go
/// on with the old membership.
fn keep_peers(dir: &Path, peers: &[Peer]) -> Result<()> {
    let listed = peers
        .iter()
        .map(|p| format!("{}-{}", p.id, p.addr))
        .collect::<Vec<_>>()
        .join(";");
    let path = dir.join(PEERS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(formed) if formed.trim() == listed => Ok(()),
        Ok(formed) => Err(Error::Unsupported {
            key: "controllerDLegerPeers".into(),
            message: format!(
                "the controller group in {} was formed with controllerDLegerPeers={}; changing \
                 its members (now {listed}) is not supported",
                dir.display(),
                formed.trim()
            ),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
            let tmp = dir.join(format!("{PEERS_FILE}.tmp"));
            std::fs::write(&tmp, format!("{listed}\n")).map_err(|e| Error::file(&tmp, e))?;
            std::fs::rename(&tmp, &path).map_err(|e| Error::file(&path, e))
        }
        Err(e) => Err(Error::file(&path, e)),
    }
}
