//! Registration with the NameServers (Java `BrokerController.registerBrokerAll`,
//! `BrokerOuterAPI.registerBrokerAll` / `unregisterBrokerAll`).
//!
//! REGISTER_BROKER (103) goes to every address of `namesrvAddr` at start, every
//! `registerNameServerPeriod` (clamped to 10–60 s like Java) and right after a topic is created.
//! Body (5.3.3 `RegisterBrokerBody`, JSON, `compressed=false`):
//! `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{…},"mappingDataVersion":{…},
//! "topicConfigTable":{…},"topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}}}`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use remoting::body::register::RegisterBrokerBody;
use remoting::code::{request, response as rc};
use remoting::headers::{
    RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnRegisterBrokerRequestHeader,
};
use remoting::Command;

use crate::broker::Broker;
use crate::persist::DataVersionJson;
use crate::topics::{TopicConfigSerializeWrapper, PERM_READ, PERM_WRITE};

/// GET_ALL_TOPIC_CONFIG body: the same wrapper the registration carries.
pub fn topic_wrapper_json(b: &Broker) -> Vec<u8> {
    serde_json::to_vec(&wrapper(b)).unwrap_or_default()
}

/// The REGISTER_BROKER body for the current topic table.
pub fn register_body(b: &Broker) -> Vec<u8> {
    let body = RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: wrapper(b),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

fn wrapper(b: &Broker) -> TopicConfigSerializeWrapper {
    let cfg = b.config();
    let w = b.topics.wrapper();
    let rw = PERM_READ | PERM_WRITE;
    let mut table = w.topic_config_table;
    // Java: topic perms are AND-ed with brokerPermission when the broker is not fully RW.
    if cfg.broker_permission & rw != rw {
        for tc in table.values_mut() {
            tc.perm &= cfg.broker_permission;
        }
    }
    // 5.3.3 always sends the mapping parts, empty when there are no static topics.
    TopicConfigSerializeWrapper {
        data_version: w.data_version,
        mapping_data_version: Some(DataVersionJson {
            counter: 0,
            state_version: 0,
            timestamp: b.boot_timestamp,
        }),
        topic_config_table: table,
        topic_queue_mapping_detail_map: Some(serde_json::Value::Object(Default::default())),
        topic_queue_mapping_info_map: Some(BTreeMap::new()),
    }
}

/// Java `UtilAll.crc32`: CRC32 & 0x7FFFFFFF.
fn crc32(bytes: &[u8]) -> i32 {
    (crc32fast::hash(bytes) & 0x7FFF_FFFF) as i32
}

/// Registers with every NameServer once; failures are logged (the next period retries).
pub async fn register_all(b: &Arc<Broker>) {
    // Java `isIsolated`: a broker in controller mode registers once it has its role.
    if b.replicas.is_fenced() {
        return;
    }
    let cfg = b.config();
    let body = register_body(b);
    let header = RegisterBrokerRequestHeader {
        broker_name: cfg.broker_name.clone(),
        broker_addr: cfg.broker_addr(),
        cluster_name: cfg.broker_cluster_name.clone(),
        ha_server_addr: cfg.ha_server_addr(),
        broker_id: cfg.broker_id,
        heartbeat_timeout_millis: None,
        enable_acting_master: Some(false),
        compressed: false,
        body_crc32: crc32(&body),
    };
    let timeout = Duration::from_millis(cfg.register_broker_timeout_mills.max(1000) as u64);
    let calls = cfg.namesrv_list().into_iter().map(|addr| {
        let cmd = Command::request(request::REGISTER_BROKER)
            .with_header(&header)
            .with_body(body.clone());
        let client = b.ns_client.clone();
        async move {
            match client.invoke(&addr, cmd, timeout).await {
                Ok(r) if r.code == rc::SUCCESS => return r.decode_header::<RegisterBrokerResponseHeader>().ok(),
                Ok(r) => tracing::warn!(ns = %addr, code = r.code, remark = ?r.remark, "register broker refused"),
                Err(e) => tracing::warn!(ns = %addr, "register broker failed: {e}"),
            }
            None
        }
    });
    let results = futures::future::join_all(calls).await;
    // Java `handleRegisterBrokerResult`: the first answer tells a slave where its master is.
    if let Some(r) = results.into_iter().flatten().next() {
        if !cfg.is_master() {
            b.ha.client
                .on_register_result(r.ha_server_addr.as_deref(), r.master_addr.as_deref());
        }
    }
}

/// UNREGISTER_BROKER to every NameServer (shutdown).
pub async fn unregister_all(b: &Arc<Broker>) {
    let cfg = b.config();
    let header = UnRegisterBrokerRequestHeader {
        broker_name: cfg.broker_name.clone(),
        broker_addr: cfg.broker_addr(),
        cluster_name: cfg.broker_cluster_name.clone(),
        broker_id: cfg.broker_id,
    };
    let calls = cfg.namesrv_list().into_iter().map(|addr| {
        let cmd = Command::request(request::UNREGISTER_BROKER).with_header(&header);
        let client = b.ns_client.clone();
        async move {
            if let Err(e) = client.invoke(&addr, cmd, Duration::from_secs(3)).await {
                tracing::warn!(ns = %addr, "unregister broker failed: {e}");
            }
        }
    });
    futures::future::join_all(calls).await;
}

/// The periodic task: registers now, then every period or when [`Broker::request_register`]
/// asks (topic created), until shutdown.
pub async fn run(b: Arc<Broker>) {
    loop {
        register_all(&b).await;
        let cfg = b.config();
        let mut period = cfg.register_name_server_period.clamp(10_000, 60_000) as u64;
        // Controller mode: a slave learns its master's HA address from this answer, which
        // names it only once the new master has registered; ask again soon (Java waits for
        // the next period).
        if cfg.enable_controller_mode && !cfg.is_master() && b.ha.client.ha_master_addr().is_none()
        {
            period = 1000;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(period)) => {}
            _ = b.register_now.notified() => {}
            _ = b.shutdown.notified() => return,
        }
        if b.is_shutting_down() {
            return;
        }
    }
}
