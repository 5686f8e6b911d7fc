//! The requests a broker in controller mode sends to a controller (Java 5.3.3 `BrokerOuterAPI`:
//! `getControllerMetaData`, `getNextBrokerId`, `applyBrokerId`, `registerBrokerToController`,
//! `brokerElect`, `getReplicaInfo`, `alterSyncStateSet`, `sendHeartbeatToController`), 3 s
//! each like Java's.

use std::collections::BTreeSet;
use std::time::Duration;

use remoting::body::controller::{ElectMasterResponseBody, SyncStateSet};
use remoting::body::{from_body, to_body};
use remoting::code::{request as rq, response as rc};
use remoting::header::CustomHeader;
use remoting::headers::{
    AlterSyncStateSetRequestHeader, ApplyBrokerIdRequestHeader, BrokerHeartbeatRequestHeader,
    ElectMasterRequestHeader, ElectMasterResponseHeader, GetMetaDataResponseHeader,
    GetNextBrokerIdRequestHeader, GetNextBrokerIdResponseHeader, GetReplicaInfoRequestHeader,
    GetReplicaInfoResponseHeader, RegisterBrokerToControllerRequestHeader,
    RegisterBrokerToControllerResponseHeader,
};
use remoting::Command;

use crate::broker::Broker;
use crate::persist::now_millis;

const TIMEOUT: Duration = Duration::from_secs(3);

/// Why a controller request failed: the answer's code and remark, or the transport's error.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("controller answered {code}: {remark}")]
    Refused { code: i32, remark: String },
    #[error("{0}")]
    Transport(String),
}

impl CallError {
    pub fn code(&self) -> Option<i32> {
        match self {
            CallError::Refused { code, .. } => Some(*code),
            CallError::Transport(_) => None,
        }
    }
}

type Result<T> = std::result::Result<T, CallError>;

async fn call(b: &Broker, addr: &str, cmd: Command, also_ok: &[i32]) -> Result<Command> {
    let r = b
        .ns_client
        .invoke(addr, cmd, TIMEOUT)
        .await
        .map_err(|e| CallError::Transport(e.to_string()))?;
    if r.code == rc::SUCCESS || also_ok.contains(&r.code) {
        return Ok(r);
    }
    Err(CallError::Refused {
        code: r.code,
        remark: r.remark.clone().unwrap_or_default(),
    })
}

fn header<H: CustomHeader>(r: &Command) -> Result<H> {
    r.decode_header::<H>()
        .map_err(|e| CallError::Transport(format!("bad answer header: {e}")))
}

fn body<T: serde::de::DeserializeOwned + Default>(r: &Command) -> Result<T> {
    match &r.body {
        Some(b) => from_body(b).map_err(|e| CallError::Transport(format!("bad answer body: {e}"))),
        None => Ok(T::default()),
    }
}

/// CONTROLLER_GET_METADATA_INFO: who leads the controllers.
pub async fn metadata(b: &Broker, addr: &str) -> Result<GetMetaDataResponseHeader> {
    let r = call(
        b,
        addr,
        Command::request(rq::CONTROLLER_GET_METADATA_INFO),
        &[],
    )
    .await?;
    header(&r)
}

pub async fn next_broker_id(b: &Broker, leader: &str) -> Result<Option<i64>> {
    let cfg = b.config();
    let h = GetNextBrokerIdRequestHeader {
        cluster_name: Some(cfg.broker_cluster_name.clone()),
        broker_name: Some(cfg.broker_name.clone()),
    };
    let cmd = Command::request(rq::CONTROLLER_GET_NEXT_BROKER_ID).with_header(&h);
    let r = call(b, leader, cmd, &[]).await?;
    Ok(header::<GetNextBrokerIdResponseHeader>(&r)?.next_broker_id)
}

pub async fn apply_broker_id(b: &Broker, leader: &str, id: i64, check_code: &str) -> Result<()> {
    let cfg = b.config();
    let h = ApplyBrokerIdRequestHeader {
        cluster_name: Some(cfg.broker_cluster_name.clone()),
        broker_name: Some(cfg.broker_name.clone()),
        applied_broker_id: Some(id),
        register_check_code: Some(check_code.to_string()),
    };
    let cmd = Command::request(rq::CONTROLLER_APPLY_BROKER_ID).with_header(&h);
    call(b, leader, cmd, &[]).await.map(|_| ())
}

pub async fn register(
    b: &Broker,
    leader: &str,
    id: i64,
    addr: &str,
) -> Result<(RegisterBrokerToControllerResponseHeader, BTreeSet<i64>)> {
    let cfg = b.config();
    let h = RegisterBrokerToControllerRequestHeader {
        cluster_name: Some(cfg.broker_cluster_name.clone()),
        broker_name: Some(cfg.broker_name.clone()),
        broker_id: Some(id),
        broker_address: Some(addr.to_string()),
        invoke_time: now_millis(),
    };
    let cmd = Command::request(rq::CONTROLLER_REGISTER_BROKER).with_header(&h);
    let r = call(b, leader, cmd, &[]).await?;
    let set: SyncStateSet = body(&r)?;
    Ok((header(&r)?, set.sync_state_set.unwrap_or_default()))
}

/// CONTROLLER_ELECT_MASTER for ourselves; "master still exists" answers the same way.
pub async fn elect(
    b: &Broker,
    leader: &str,
    id: i64,
) -> Result<(ElectMasterResponseHeader, BTreeSet<i64>)> {
    let cfg = b.config();
    let h = ElectMasterRequestHeader {
        cluster_name: cfg.broker_cluster_name.clone(),
        broker_name: cfg.broker_name.clone(),
        broker_id: id,
        designate_elect: false,
        invoke_time: Some(now_millis()),
    };
    let cmd = Command::request(rq::CONTROLLER_ELECT_MASTER).with_header(&h);
    let r = call(b, leader, cmd, &[rc::CONTROLLER_MASTER_STILL_EXIST]).await?;
    let resp: ElectMasterResponseBody = body(&r)?;
    Ok((header(&r)?, resp.sync_state_set.unwrap_or_default()))
}

pub async fn replica_info(
    b: &Broker,
    leader: &str,
) -> Result<(GetReplicaInfoResponseHeader, SyncStateSet)> {
    let h = GetReplicaInfoRequestHeader {
        broker_name: Some(b.config().broker_name.clone()),
    };
    let cmd = Command::request(rq::CONTROLLER_GET_REPLICA_INFO).with_header(&h);
    let r = call(b, leader, cmd, &[]).await?;
    Ok((header(&r)?, body(&r)?))
}

pub async fn alter_sync_state_set(
    b: &Broker,
    leader: &str,
    master_id: i64,
    master_epoch: i32,
    set: &BTreeSet<i64>,
    set_epoch: i32,
) -> Result<SyncStateSet> {
    let h = AlterSyncStateSetRequestHeader {
        broker_name: Some(b.config().broker_name.clone()),
        master_broker_id: Some(master_id),
        master_epoch: Some(master_epoch),
        invoke_time: now_millis(),
    };
    let body_out = SyncStateSet {
        sync_state_set: Some(set.clone()),
        sync_state_set_epoch: set_epoch,
    };
    let cmd = Command::request(rq::CONTROLLER_ALTER_SYNC_STATE_SET)
        .with_header(&h)
        .with_body(to_body(&body_out));
    let r = call(b, leader, cmd, &[]).await?;
    body(&r)
}

/// BROKER_HEARTBEAT, one way (Java `invokeOneway`).
pub async fn heartbeat(b: &Broker, addr: &str, h: &BrokerHeartbeatRequestHeader) {
    let cmd = Command::request(rq::BROKER_HEARTBEAT).with_header(h);
    if let Err(e) = b.ns_client.invoke_oneway(addr, cmd).await {
        tracing::debug!(controller = %addr, "Error happen when send heartbeat to controller: {e}");
    }
}
