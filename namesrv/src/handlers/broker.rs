//! Requests brokers send: REGISTER_BROKER, UNREGISTER_BROKER, BROKER_HEARTBEAT,
//! QUERY_DATA_VERSION, GET_BROKER_MEMBER_GROUP, REGISTER_TOPIC_IN_NAMESRV
//! (Java `DefaultRequestProcessor`).

use remoting::code::response;
use remoting::headers::namesrv::{
    BrokerHeartbeatRequestHeader, GetBrokerMemberGroupRequestHeader, QueryDataVersionRequestHeader,
    QueryDataVersionResponseHeader, RegisterBrokerRequestHeader, RegisterBrokerResponseHeader,
    RegisterTopicRequestHeader, UnRegisterBrokerRequestHeader,
};
use remoting::{Command, Connection};

use crate::body::route::{GetBrokerMemberGroupResponseBody, TopicRouteData};
use crate::dispatch::{success, Reject, Reply};
use crate::kv::NAMESPACE_ORDER_TOPIC_CONFIG;
use crate::route::{BrokerRegistration, Unregistration};
use crate::server::NameServer;
use remoting::body::register::RegisterBrokerBody;
use remoting::body::topic::DataVersion;

/// Ext key of the 5.x broker's zone (Java `MixAll.ZONE_NAME`).
const ZONE_NAME: &str = "__ZONE_NAME";

/// Java `DefaultRequestProcessor#registerBroker`.
pub fn register_broker(ns: &NameServer, conn: &Connection, req: &Command) -> Reply {
    let h: RegisterBrokerRequestHeader = req.decode_header()?;
    let body = req.body.as_deref().unwrap_or_default();
    if h.body_crc32 != 0 && crc32(body) != h.body_crc32 {
        tracing::warn!(peer = %conn.peer(), "receive registerBroker request, crc32 not match");
        return Err(Reject::Code(
            response::SYSTEM_ERROR,
            "crc32 not match".into(),
        ));
    }
    let parsed = match &req.body {
        Some(bytes) => RegisterBrokerBody::decode(bytes, h.compressed, req.version).map_err(|e| {
            // Java's remark (`extractRegisterBrokerBodyFromRequest`), with our reason in place of
            // its stack frame.
            Reject::Code(
                response::SYSTEM_ERROR,
                format!("org.apache.rocketmq.remoting.exception.RemotingCommandException: Failed to decode RegisterBrokerBody, {e}"),
            )
        })?,
        // No body: an empty topic table with DataVersion counter 0 / timestamp 0.
        None => RegisterBrokerBody::default(),
    };
    let (delete_missing, return_order_conf) = ns.with_config(|c| {
        (
            c.delete_topic_with_broker_registration,
            c.return_order_topic_config_to_broker,
        )
    });
    let registration = BrokerRegistration {
        cluster_name: h.cluster_name,
        broker_addr: h.broker_addr,
        broker_name: h.broker_name,
        broker_id: h.broker_id,
        ha_server_addr: h.ha_server_addr,
        zone_name: req.ext(ZONE_NAME).map(str::to_string),
        heartbeat_timeout_millis: h.heartbeat_timeout_millis,
        enable_acting_master: h.enable_acting_master,
        conn_id: Some(conn.id()),
    };
    let result = ns
        .routes
        .register_broker(&registration, &parsed, delete_missing)
        .ok_or_else(|| Reject::Code(response::SYSTEM_ERROR, "register broker failed".into()))?;
    ns.track_broker_connection(conn);

    let header = RegisterBrokerResponseHeader {
        ha_server_addr: result.ha_server_addr,
        master_addr: result.master_addr,
    };
    let mut reply = success().with_header(&header);
    if return_order_conf {
        if let Some(table) = ns.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG) {
            reply = reply.with_body(crate::body::encode(&table));
        }
    }
    Ok(reply)
}

/// Java `UtilAll#crc32`: CRC32 masked to a non-negative int.
fn crc32(bytes: &[u8]) -> i32 {
    (crc32fast::hash(bytes) & 0x7FFF_FFFF) as i32
}

/// Java `DefaultRequestProcessor#unregisterBroker` (done at once; Java queues it to a batch
/// thread and answers before it runs).
pub fn unregister_broker(ns: &NameServer, req: &Command) -> Reply {
    let h: UnRegisterBrokerRequestHeader = req.decode_header()?;
    ns.routes.unregister_brokers(&[Unregistration {
        cluster_name: h.cluster_name,
        broker_addr: h.broker_addr,
        broker_name: h.broker_name,
        broker_id: h.broker_id,
    }]);
    Ok(success())
}

/// Java `DefaultRequestProcessor#brokerHeartbeat` (5.x).
pub fn broker_heartbeat(ns: &NameServer, req: &Command) -> Reply {
    let h: BrokerHeartbeatRequestHeader = req.decode_header()?;
    ns.routes
        .update_broker_info_update_timestamp(&h.cluster_name, &h.broker_addr);
    Ok(success())
}

/// Java `DefaultRequestProcessor#queryBrokerTopicConfig`: did the broker's topic config change
/// since its last registration? Also refreshes the broker's liveness.
pub fn query_data_version(ns: &NameServer, req: &Command) -> Reply {
    let h: QueryDataVersionRequestHeader = req.decode_header()?;
    let dv: Option<DataVersion> = match &req.body {
        Some(bytes) => Some(crate::body::decode("DataVersion", bytes)?),
        None => None,
    };
    let changed =
        ns.routes
            .is_broker_topic_config_changed(&h.cluster_name, &h.broker_addr, dv.as_ref());
    ns.routes
        .update_broker_info_update_timestamp(&h.cluster_name, &h.broker_addr);
    let stored = ns
        .routes
        .query_broker_topic_config(&h.cluster_name, &h.broker_addr);
    let mut reply = success().with_header(&QueryDataVersionResponseHeader { changed });
    if let Some(stored) = stored {
        reply = reply.with_body(crate::body::encode(&stored));
    }
    Ok(reply)
}

/// Java `DefaultRequestProcessor#getBrokerMemberGroup` (5.x).
pub fn get_broker_member_group(ns: &NameServer, req: &Command) -> Reply {
    let h: GetBrokerMemberGroupRequestHeader = req.decode_header()?;
    let body = GetBrokerMemberGroupResponseBody {
        broker_member_group: ns
            .routes
            .broker_member_group(&h.cluster_name, &h.broker_name),
    };
    // Java never clears the default remark of this response.
    Ok(success()
        .with_remark("not set any response code")
        .with_body(crate::body::encode(&body)))
}

/// Java `DefaultRequestProcessor#registerTopicToNamesrv` (5.x `enableSingleTopicRegister`).
pub fn register_topic(ns: &NameServer, req: &Command) -> Reply {
    let h: RegisterTopicRequestHeader = req.decode_header()?;
    if let Some(bytes) = &req.body {
        let route: TopicRouteData = crate::body::decode("TopicRouteData", bytes)?;
        ns.routes.register_topic(&h.topic, &route.queue_datas);
    }
    Ok(success())
}
