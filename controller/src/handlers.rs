//! The request handlers: decode, run against the state ([`Shared::run`] applies and logs the
//! events), reply. Each matches the `ControllerRequestProcessor` method of the same name.

use remoting::body::controller::SyncStateSet;
use remoting::body::from_body;
use remoting::code::response;
use remoting::config_effect::at_start;
use remoting::headers::{
    AlterSyncStateSetRequestHeader, ApplyBrokerIdRequestHeader, BrokerHeartbeatRequestHeader,
    CleanControllerBrokerDataRequestHeader, ElectMasterRequestHeader, GetMetaDataResponseHeader,
    GetNextBrokerIdRequestHeader, GetReplicaInfoRequestHeader,
    RegisterBrokerToControllerRequestHeader,
};
use remoting::{Command, Connection};

use crate::config::ControllerConfig;
use crate::dispatch::{Reject, Reply};
use crate::error::Error;
use crate::server::Shared;

/// Java `RemotingCommand.createResponseCommand(null)`: what a handler answers when it had
/// nothing to do.
fn not_set() -> Command {
    Command::response(
        response::SYSTEM_ERROR,
        "not set any response code".to_string(),
    )
}

fn body_of<T: serde::de::DeserializeOwned>(req: &Command, what: &str) -> Result<T, Reject> {
    let body = req.body.as_deref().unwrap_or_default();
    from_body(body).map_err(|e| {
        Reject::Code(
            response::SYSTEM_ERROR,
            format!("malformed {what} body: {e}"),
        )
    })
}

pub fn alter_sync_state_set(ctl: &Shared, req: &Command) -> Reply {
    let h: AlterSyncStateSetRequestHeader = req.decode_header()?;
    let set: SyncStateSet = body_of(req, "SyncStateSet")?;
    Ok(ctl.run(|r, live, _| r.alter_sync_state_set(&h, &set, live)))
}

pub fn elect_master(ctl: &Shared, req: &Command) -> Reply {
    let h: ElectMasterRequestHeader = req.decode_header()?;
    let reply = ctl.run(|r, live, opts| r.elect_master(&h, live, opts));
    if reply.code == response::SUCCESS {
        ctl.notify_role_changed(&reply);
    }
    Ok(reply)
}

pub fn register_broker(ctl: &Shared, req: &Command) -> Reply {
    let h: RegisterBrokerToControllerRequestHeader = req.decode_header()?;
    Ok(ctl.run(|r, live, _| r.register_broker(&h, live)))
}

pub fn get_replica_info(ctl: &Shared, req: &Command) -> Reply {
    let h: GetReplicaInfoRequestHeader = req.decode_header()?;
    Ok(ctl.run(|r, _, _| r.replica_info(&h)))
}

/// Java `DLedgerController#getControllerMetadata`: the group, the leader this controller
/// knows of (none during an election), whether it is the leader, and every peer as `id:addr;`.
pub fn get_metadata(ctl: &Shared) -> Reply {
    let group = ctl.with_config(|c| c.controller_d_leger_group.clone());
    let header = match ctl.group() {
        None => {
            let peer = ctl.peer();
            GetMetaDataResponseHeader {
                group,
                controller_leader_id: Some(peer.id.clone()),
                controller_leader_address: Some(peer.addr.clone()),
                is_leader: true,
                peers: Some(format!("{}:{};", peer.id, peer.addr)),
            }
        }
        Some(g) => {
            let leader = g.leader();
            GetMetaDataResponseHeader {
                group,
                controller_leader_id: leader.map(|p| p.id.clone()),
                controller_leader_address: leader.map(|p| p.addr.clone()),
                is_leader: g.is_raft_leader(),
                peers: Some(
                    g.peers()
                        .iter()
                        .map(|p| format!("{}:{};", p.id, p.addr))
                        .collect(),
                ),
            }
        }
    };
    Ok(Command::response(response::SUCCESS, None).with_header(&header))
}

pub fn get_sync_state_data(ctl: &Shared, req: &Command) -> Reply {
    if req.body.is_none() {
        return Ok(not_set());
    }
    let names: Vec<String> = body_of(req, "broker name list")?;
    if names.is_empty() {
        return Ok(not_set());
    }
    Ok(ctl.run(|r, live, _| r.sync_state_data(&names, live)))
}

pub fn broker_heartbeat(ctl: &Shared, conn: &Connection, req: &Command) -> Reply {
    let h: BrokerHeartbeatRequestHeader = req.decode_header()?;
    let Some(broker_id) = h.broker_id else {
        return Err(Reject::Code(
            response::CONTROLLER_INVALID_REQUEST,
            "Heart beat with empty brokerId".into(),
        ));
    };
    ctl.heartbeats.on_heartbeat(&h, broker_id, conn);
    Ok(Command::response(
        response::SUCCESS,
        "Heart beat success".to_string(),
    ))
}

pub fn clean_broker_data(ctl: &Shared, req: &Command) -> Reply {
    let h: CleanControllerBrokerDataRequestHeader = req.decode_header()?;
    Ok(ctl.run(|r, live, _| r.clean_broker_data(&h, live)))
}

pub fn get_next_broker_id(ctl: &Shared, req: &Command) -> Reply {
    let h: GetNextBrokerIdRequestHeader = req.decode_header()?;
    Ok(ctl.run(|r, _, _| r.next_broker_id(&h)))
}

pub fn apply_broker_id(ctl: &Shared, req: &Command) -> Reply {
    let h: ApplyBrokerIdRequestHeader = req.decode_header()?;
    Ok(ctl.run(|r, _, _| r.apply_broker_id(&h)))
}

/// Java `handleUpdateControllerConfig`: properties text; black-listed keys are refused.
pub fn update_config(ctl: &Shared, conn: &Connection, req: &Command) -> Reply {
    tracing::info!(client = %conn.peer(), "updateConfig called");
    let Some(body) = &req.body else {
        return Ok(Command::response(response::SUCCESS, None));
    };
    let text = std::str::from_utf8(body).map_err(|e| {
        Reject::Code(
            response::SYSTEM_ERROR,
            format!("UnsupportedEncodingException {e}"),
        )
    })?;
    let entries = remoting::props::parse(text);
    if ctl.with_config(|c| entries.iter().any(|(k, _)| c.is_black_listed(k))) {
        return Err(Reject::Code(
            response::NO_PERMISSION,
            "Can not update config in black list.".into(),
        ));
    }
    ctl.update_config(|state| {
        for (key, value) in &entries {
            let before = state.config.get(key);
            if !state.config.set(key, value)? {
                state.extra.insert(key.clone(), value.clone());
            } else if at_start(ControllerConfig::rules(key)) && state.config.get(key) != before {
                return Err(Error::AtStart { key: key.clone() });
            }
        }
        state.config.check_supported()
    })?;
    Ok(Command::response(response::SUCCESS, None))
}

/// Java `handleGetControllerConfig`: every config as sorted `key=value` lines.
pub fn get_config(ctl: &Shared) -> Reply {
    let state = ctl.config_state();
    let props = state.config.properties(&state.extra);
    let text = remoting::props::render(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(Command::response(response::SUCCESS, None).with_body(text.into_bytes()))
}
