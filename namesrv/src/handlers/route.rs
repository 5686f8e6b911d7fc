//! Route reads and route admin: GET_ROUTEINFO_BY_TOPIC, GET_BROKER_CLUSTER_INFO, the topic
//! lists, DELETE_TOPIC_IN_NAMESRV, WIPE/ADD_WRITE_PERM_OF_BROKER (Java `ClientRequestProcessor`
//! and `DefaultRequestProcessor`).

use std::time::Duration;

use remoting::code::response;
use remoting::headers::namesrv::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteTopicFromNamesrvRequestHeader, GetRouteInfoRequestHeader,
    GetTopicsByClusterRequestHeader, WipeWritePermOfBrokerRequestHeader,
    WipeWritePermOfBrokerResponseHeader,
};
use remoting::{Command, Connection};

use crate::body::route::TopicList;
use crate::dispatch::{success, Reject, Reply};
use crate::kv::NAMESPACE_ORDER_TOPIC_CONFIG;
use crate::route::query::{filter_by_zone, UnitFilter};
use crate::server::NameServer;

/// Ext keys of a 5.x client asking for its zone's brokers only (Java `MixAll.ZONE_MODE`,
/// `MixAll.ZONE_NAME`).
const ZONE_MODE: &str = "__ZONE_MODE";
const ZONE_NAME: &str = "__ZONE_NAME";

/// Java `FAQUrl.suggestTodo(FAQUrl.APPLY_TOPIC_URL)`.
const APPLY_TOPIC_TIP: &str =
    "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

/// Java `ClientRequestProcessor#getRouteInfoByTopic`.
///
/// Always the standard-JSON body (quoted broker ids) that Java sends to clients ≥ 4.9.4: every
/// client version parses it, and the Go client's string-splitting parser needs it compact
/// (protocol spec §3.3).
pub fn get_route_info(ns: &NameServer, req: &Command) -> Reply {
    let h: GetRouteInfoRequestHeader = req.decode_header()?;
    let (need_wait, wait_secs, acting_master, order_enabled) = ns.with_config(|c| {
        (
            c.need_wait_for_service,
            c.wait_seconds_for_service,
            c.support_acting_master,
            c.order_message_enable,
        )
    });
    let wait = Duration::from_secs(u64::try_from(wait_secs).unwrap_or(0));
    if need_wait && ns.uptime() < wait {
        return Err(Reject::Code(
            response::SYSTEM_ERROR,
            "name server not ready".into(),
        ));
    }
    // Java's `ZoneRouteRPCHook`, applied after the processor.
    let zone_mode = req
        .ext(ZONE_MODE)
        .is_some_and(|m| m.eq_ignore_ascii_case("true"));
    let zone = req
        .ext(ZONE_NAME)
        .filter(|z| zone_mode && !z.trim().is_empty());
    let not_found = || {
        Reject::Code(
            response::TOPIC_NOT_EXIST,
            format!(
                "No topic route info in name server for the topic: {}{APPLY_TOPIC_TIP}",
                h.topic
            ),
        )
    };
    if !order_enabled && zone.is_none() {
        // The common case: the body is the same for every client, so it comes from the cache.
        let body = ns.routes.topic_route_body(&h.topic, acting_master);
        return Ok(success().with_body(body.ok_or_else(not_found)?));
    }
    let mut route = ns
        .routes
        .pickup_topic_route_data(&h.topic, acting_master)
        .ok_or_else(not_found)?;
    if order_enabled {
        route.order_topic_conf = ns.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, &h.topic);
    }
    if let Some(zone) = zone {
        filter_by_zone(&mut route, zone);
    }
    Ok(success().with_body(route.encode()))
}

/// Java `getBrokerClusterInfo`.
pub fn get_broker_cluster_info(ns: &NameServer) -> Reply {
    Ok(success().with_body(crate::body::encode(&ns.routes.cluster_info())))
}

/// Java `wipeWritePermOfBroker`.
pub fn wipe_write_perm(ns: &NameServer, conn: &Connection, req: &Command) -> Reply {
    let h: WipeWritePermOfBrokerRequestHeader = req.decode_header()?;
    let count = ns.routes.wipe_write_perm(&h.broker_name);
    tracing::info!(broker = %h.broker_name, client = %conn.peer(), count, "wipe write perm of broker");
    Ok(success().with_header(&WipeWritePermOfBrokerResponseHeader {
        wipe_topic_count: count,
    }))
}

/// Java `addWritePermOfBroker`.
pub fn add_write_perm(ns: &NameServer, conn: &Connection, req: &Command) -> Reply {
    let h: AddWritePermOfBrokerRequestHeader = req.decode_header()?;
    let count = ns.routes.add_write_perm(&h.broker_name);
    tracing::info!(broker = %h.broker_name, client = %conn.peer(), count, "add write perm of broker");
    Ok(success().with_header(&AddWritePermOfBrokerResponseHeader {
        add_topic_count: count,
    }))
}

/// Java `getAllTopicListFromNameserver` (5.x: refused when `enableAllTopicList=false`).
pub fn get_all_topic_list(ns: &NameServer, conn: &Connection) -> Reply {
    let enabled = ns.with_config(|c| c.enable_all_topic_list);
    tracing::debug!(client = %conn.peer(), enabled, "getAllTopicListFromNameserver");
    if !enabled {
        return Err(disabled());
    }
    Ok(topic_list(&ns.routes.all_topics()))
}

/// Java `deleteTopicInNamesrv`: the whole topic, or only the brokers of `clusterName`.
pub fn delete_topic(ns: &NameServer, req: &Command) -> Reply {
    let h: DeleteTopicFromNamesrvRequestHeader = req.decode_header()?;
    let cluster = h.cluster_name.as_deref().filter(|c| !c.is_empty());
    ns.routes.delete_topic(&h.topic, cluster);
    Ok(success())
}

/// Java `getTopicsByCluster` (refused when `enableTopicList=false`).
pub fn get_topics_by_cluster(ns: &NameServer, req: &Command) -> Reply {
    if !ns.with_config(|c| c.enable_topic_list) {
        return Err(disabled());
    }
    let h: GetTopicsByClusterRequestHeader = req.decode_header()?;
    Ok(topic_list(&ns.routes.topics_by_cluster(&h.cluster)))
}

/// Java `getSystemTopicListFromNs`.
pub fn get_system_topic_list(ns: &NameServer) -> Reply {
    Ok(topic_list(&ns.routes.system_topics()))
}

/// Java `getUnitTopicList` / `getHasUnitSubTopicList` / `getHasUnitSubUnUnitTopicList`.
pub fn get_unit_topic_list(ns: &NameServer, filter: UnitFilter) -> Reply {
    if !ns.with_config(|c| c.enable_topic_list) {
        return Err(disabled());
    }
    Ok(topic_list(&ns.routes.unit_topics(filter)))
}

fn topic_list(list: &TopicList) -> Command {
    success().with_body(crate::body::encode(list))
}

fn disabled() -> Reject {
    Reject::Code(response::SYSTEM_ERROR, "disable".into())
}
