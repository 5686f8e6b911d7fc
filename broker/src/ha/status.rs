//! GET_BROKER_HA_STATUS (907, `mqadmin haStatus`): Java `DefaultHAService.getRuntimeInfo` as the
//! `HARuntimeInfo` body, fields in fastjson's (alphabetical) order. Java's client info has an
//! `isActivated` field without a getter, which fastjson leaves out; so does this.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use remoting::code::response as rc;
use remoting::{body, Command};
use serde::Serialize;

use crate::broker::Broker;
use crate::error::Reply;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HaRuntimeInfo {
    ha_client_runtime_info: HaClientRuntimeInfo,
    ha_connection_info: Vec<HaConnectionRuntimeInfo>,
    in_sync_slave_nums: i32,
    master: bool,
    master_commit_log_max_offset: i64,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct HaClientRuntimeInfo {
    last_read_timestamp: i64,
    last_write_timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    master_addr: Option<String>,
    master_flush_offset: i64,
    max_offset: i64,
    transferred_byte_in_second: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HaConnectionRuntimeInfo {
    addr: String,
    diff: i64,
    in_sync: bool,
    slave_ack_offset: i64,
    transfer_from_where: i64,
    transferred_byte_in_second: i64,
}

fn runtime_info(b: &Broker) -> HaRuntimeInfo {
    let cfg = b.config();
    let (_, max) = b.store.commitlog_offsets();
    if !cfg.is_master() {
        let c = &b.ha.client;
        return HaRuntimeInfo {
            ha_client_runtime_info: HaClientRuntimeInfo {
                last_read_timestamp: c.last_read_ms.load(Ordering::Acquire),
                last_write_timestamp: c.last_write_ms.load(Ordering::Acquire),
                master_addr: c.ha_master_addr(),
                // Java's masterFlushedOffset is set only by controller or acting-master mode.
                master_flush_offset: 0,
                max_offset: max,
                transferred_byte_in_second: c.flow.per_second(),
            },
            ha_connection_info: Vec::new(),
            in_sync_slave_nums: 0,
            master: false,
            master_commit_log_max_offset: 0,
        };
    }
    if cfg.enable_controller_mode {
        return controller_mode_info(b, max);
    }
    let gap = i64::from(cfg.ha_max_gap_not_in_sync);
    let links: Vec<HaConnectionRuntimeInfo> =
        b.ha.master
            .links()
            .iter()
            .map(|l| {
                let ack = l.ack.load(Ordering::Acquire);
                HaConnectionRuntimeInfo {
                    addr: l.addr.to_string(),
                    diff: max - ack,
                    in_sync: max - ack < gap,
                    slave_ack_offset: ack,
                    transfer_from_where: l.transfer_from.load(Ordering::Acquire),
                    transferred_byte_in_second: l.flow.per_second(),
                }
            })
            .collect();
    HaRuntimeInfo {
        ha_client_runtime_info: HaClientRuntimeInfo::default(),
        in_sync_slave_nums: links.iter().filter(|l| l.in_sync).count() as i32,
        ha_connection_info: links,
        master: true,
        master_commit_log_max_offset: max,
    }
}

/// Java `AutoSwitchHAService.getRuntimeInfo`: a slave is in sync when it is in the
/// SyncStateSet, and the in-sync count is the set's size without the master.
fn controller_mode_info(b: &Broker, max: i64) -> HaRuntimeInfo {
    let set = b.ha.auto.local_sync_state_set();
    let links =
        b.ha.auto
            .links()
            .iter()
            .map(|l| {
                let ack = l.ack.load(Ordering::Acquire);
                HaConnectionRuntimeInfo {
                    addr: l.addr.to_string(),
                    diff: max - ack,
                    in_sync: set.contains(&l.slave_id.load(Ordering::Acquire)),
                    slave_ack_offset: ack,
                    transfer_from_where: l.transfer_from.load(Ordering::Acquire),
                    transferred_byte_in_second: l.flow.per_second(),
                }
            })
            .collect();
    HaRuntimeInfo {
        ha_client_runtime_info: HaClientRuntimeInfo::default(),
        ha_connection_info: links,
        in_sync_slave_nums: set.len() as i32 - 1,
        master: true,
        master_commit_log_max_offset: max,
    }
}

pub fn ha_status(b: &Arc<Broker>) -> Reply {
    let bytes = body::try_to_body(&runtime_info(b))?;
    Ok(Command::response(rc::SUCCESS, None).with_body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_field_names_and_order() {
        let info = HaRuntimeInfo {
            ha_client_runtime_info: HaClientRuntimeInfo::default(),
            ha_connection_info: vec![HaConnectionRuntimeInfo {
                addr: "127.0.0.1:5".into(),
                diff: 3,
                in_sync: true,
                slave_ack_offset: 7,
                transfer_from_where: 7,
                transferred_byte_in_second: 0,
            }],
            in_sync_slave_nums: 1,
            master: true,
            master_commit_log_max_offset: 10,
        };
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"haClientRuntimeInfo":{"lastReadTimestamp":0,"lastWriteTimestamp":0,"masterFlushOffset":0,"maxOffset":0,"transferredByteInSecond":0},"haConnectionInfo":[{"addr":"127.0.0.1:5","diff":3,"inSync":true,"slaveAckOffset":7,"transferFromWhere":7,"transferredByteInSecond":0}],"inSyncSlaveNums":1,"master":true,"masterCommitLogMaxOffset":10}"#
        );
    }
}
