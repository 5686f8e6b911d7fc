//! Raft RPCs between Thrust controllers, on the controller's own remoting port.
//!
//! ```text
//!  request  := RemotingCommand code RAFT_* | body = JSON of openraft's request
//!  response := SUCCESS | body = JSON of Result<openraft's response, RaftError>
//! ```
//! The codes are Thrust's own (Java's controllers speak DLedger's or jRaft's protocol, on
//! their own ports): a group mixing Java and Thrust controllers is not possible.
//!
//! A peer that cannot be reached costs little: openraft waits [`Peer::backoff`] between tries
//! (growing to [`BACKOFF_MAX`], below the election timeout, so a member coming back hears from
//! the leader before it would call an election), and [`Health`] logs one WARN naming the
//! peer's address, then at most one per [`WARN_EVERY`] while it stays down. openraft's own
//! per-try error lines are filtered out by [`LOG_DIRECTIVES`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{Backoff, RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;
use remoting::code::response;
use remoting::{Client, Command, RemotingError};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ControllerRaft, TypeConfig};

/// Thrust-only request codes (no RocketMQ code uses 19xxx).
pub const RAFT_APPEND_ENTRIES: i32 = 19001;
pub const RAFT_VOTE: i32 = 19002;
pub const RAFT_INSTALL_SNAPSHOT: i32 = 19003;

/// Whether `code` is one of the Raft RPCs.
pub fn is_raft_rpc(code: i32) -> bool {
    matches!(
        code,
        RAFT_APPEND_ENTRIES | RAFT_VOTE | RAFT_INSTALL_SNAPSHOT
    )
}

/// The first wait after a peer could not be reached; each next one doubles.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(250);
/// The longest wait between tries (the election timeout's minimum is 1500 ms).
pub const BACKOFF_MAX: Duration = Duration::from_millis(1000);
/// At most one warning per peer this often while it stays unreachable.
pub const WARN_EVERY: Duration = Duration::from_secs(10);

/// `tracing` directives the binaries add to their default filter: openraft's replication logs
/// an ERROR (and WARNs) for every failed try to reach a follower, every 500 ms while one is
/// down; [`Health`] reports those instead. (A failed vote request during an election is still
/// logged by openraft itself, once per election.)
pub const LOG_DIRECTIVES: &[&str] = &["openraft::replication=off"];

/// Opens a [`Peer`] per target; all share one remoting client (one connection per peer) and
/// one [`Health`] per target (openraft opens a new [`Peer`] for every replication stream and
/// election).
#[derive(Clone)]
pub struct Network {
    pub client: Arc<Client>,
    health: Arc<Mutex<HashMap<u64, Health>>>,
}

impl Network {
    pub fn new(client: Arc<Client>) -> Self {
        Network {
            client,
            health: Arc::default(),
        }
    }
}

/// The outbound side towards one controller.
pub struct Peer {
    client: Arc<Client>,
    target: u64,
    addr: String,
    health: Arc<Mutex<HashMap<u64, Health>>>,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Peer {
        Peer {
            client: self.client.clone(),
            target,
            addr: node.addr.clone(),
            health: self.health.clone(),
        }
    }
}

/// Whether one peer answers, and when it was last warned about.
#[derive(Debug, Default)]
pub struct Health {
    /// Failed tries since the last answer (or since the last warning).
    failures: u64,
    last_warned: Option<Instant>,
}

impl Health {
    /// Records a failed try at `now`; returns the number of failures to report when a warning
    /// is due (the first failure, then once per [`WARN_EVERY`]).
    pub fn failed(&mut self, now: Instant) -> Option<u64> {
        self.failures += 1;
        let due = match self.last_warned {
            None => true,
            Some(at) => now.duration_since(at) >= WARN_EVERY,
        };
        if !due {
            return None;
        }
        self.last_warned = Some(now);
        Some(std::mem::take(&mut self.failures))
    }

    /// Records an answer; returns whether the peer had been reported unreachable.
    pub fn answered(&mut self) -> bool {
        self.failures = 0;
        self.last_warned.take().is_some()
    }
}

/// [`BACKOFF_FIRST`], doubling, capped at [`BACKOFF_MAX`].
pub fn backoff_steps() -> impl Iterator<Item = Duration> {
    std::iter::successors(Some(BACKOFF_FIRST), |d| Some((*d * 2).min(BACKOFF_MAX)))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct RpcFailed(String);

impl Peer {
    async fn call<Req, Resp, E>(
        &self,
        code: i32,
        rpc: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<u64, BasicNode, RaftError<u64, E>>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let body = serde_json::to_vec(rpc).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let cmd = Command::request(code).with_body(body);
        let reply = self.client.invoke(&self.addr, cmd, option.hard_ttl()).await;
        let mut reply = self
            .note(reply)
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))?;
        if reply.code != response::SUCCESS {
            let why = RpcFailed(reply.remark.take().unwrap_or_default());
            return Err(RPCError::Network(NetworkError::new(&why)));
        }
        let body = reply.body.as_deref().unwrap_or_default();
        let result: Result<Resp, RaftError<u64, E>> =
            serde_json::from_slice(body).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl Peer {
    /// Logs what [`Health`] says is worth logging about this try.
    fn note<T>(&self, result: Result<T, RemotingError>) -> Result<T, RemotingError> {
        let mut all = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let health = all.entry(self.target).or_default();
        match &result {
            Ok(_) => {
                if health.answered() {
                    tracing::info!(peer = %self.addr, "controller peer answers again");
                }
            }
            Err(e) => {
                if let Some(failures) = health.failed(Instant::now()) {
                    tracing::warn!(peer = %self.addr, error = %e, failures, "controller peer unreachable");
                }
            }
        }
        result
    }
}

impl RaftNetwork<TypeConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        self.call(RAFT_APPEND_ENTRIES, &rpc, &option).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, BasicNode, RaftError<u64, InstallSnapshotError>>,
    > {
        self.call(RAFT_INSTALL_SNAPSHOT, &rpc, &option).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        self.call(RAFT_VOTE, &rpc, &option).await
    }

    fn backoff(&self) -> Backoff {
        Backoff::new(backoff_steps())
    }
}

/// Answers one Raft RPC from another controller.
pub async fn serve(raft: &ControllerRaft, req: &Command) -> Command {
    let body = req.body.as_deref().unwrap_or_default();
    let reply = match req.code {
        RAFT_APPEND_ENTRIES => match serde_json::from_slice(body) {
            Ok(rpc) => encode(&raft.append_entries(rpc).await),
            Err(e) => Err(e.to_string()),
        },
        RAFT_VOTE => match serde_json::from_slice(body) {
            Ok(rpc) => encode(&raft.vote(rpc).await),
            Err(e) => Err(e.to_string()),
        },
        _ => match serde_json::from_slice(body) {
            Ok(rpc) => encode(&raft.install_snapshot(rpc).await),
            Err(e) => Err(e.to_string()),
        },
    };
    match reply {
        Ok(body) => Command::response(response::SUCCESS, None).with_body(body),
        Err(why) => Command::response(response::SYSTEM_ERROR, format!("bad Raft RPC: {why}")),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_peer_is_warned_about_once_per_interval() {
        let mut h = Health::default();
        let t0 = Instant::now();
        assert_eq!(h.failed(t0), Some(1));
        // Tries every 250 ms to 1 s for just under WARN_EVERY: nothing more is logged.
        let mut now = t0;
        for step in backoff_steps() {
            now += step;
            if now >= t0 + WARN_EVERY {
                break;
            }
            assert_eq!(h.failed(now), None, "{:?}", now - t0);
        }
        let suppressed = h.failures;
        assert!(suppressed >= 9, "{suppressed}");
        assert_eq!(h.failed(t0 + WARN_EVERY), Some(suppressed + 1));
        assert!(h.answered());
        assert!(!h.answered());
        // Down again later: warned at once.
        assert_eq!(h.failed(t0 + WARN_EVERY * 2), Some(1));
    }

    #[test]
    fn the_backoff_grows_and_stays_below_the_election_timeout() {
        let steps: Vec<Duration> = backoff_steps().take(6).collect();
        assert_eq!(steps[0], BACKOFF_FIRST);
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
        assert!(steps[1] > steps[0]);
        assert_eq!(steps[5], BACKOFF_MAX);
        assert!(BACKOFF_MAX < Duration::from_millis(super::super::ELECTION_TIMEOUT_MIN));
    }
}
