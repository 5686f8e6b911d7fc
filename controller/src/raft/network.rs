//! Raft RPCs between Thrust controllers, on the controller's own remoting port.
//!
//! ```text
//!  request  := RemotingCommand code RAFT_* | body = JSON of openraft's request
//!  response := SUCCESS | body = JSON of Result<openraft's response, RaftError>
//! ```
//! The codes are Thrust's own (Java's controllers speak DLedger's or jRaft's protocol, on
//! their own ports): a group mixing Java and Thrust controllers is not possible.

use std::sync::Arc;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;
use remoting::code::response;
use remoting::{Client, Command};
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

/// Opens a [`Peer`] per target; all share one remoting client (one connection per peer).
#[derive(Clone)]
pub struct Network {
    pub client: Arc<Client>,
}

/// The outbound side towards one controller.
pub struct Peer {
    client: Arc<Client>,
    target: u64,
    addr: String,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Peer;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Peer {
        Peer {
            client: self.client.clone(),
            target,
            addr: node.addr.clone(),
        }
    }
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
        let reply = self
            .client
            .invoke(&self.addr, cmd, option.hard_ttl())
            .await
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))?;
        if reply.code != response::SUCCESS {
            let why = RpcFailed(reply.remark.unwrap_or_default());
            return Err(RPCError::Network(NetworkError::new(&why)));
        }
        let body = reply.body.as_deref().unwrap_or_default();
        let result: Result<Resp, RaftError<u64, E>> =
            serde_json::from_slice(body).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
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
