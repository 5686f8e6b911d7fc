//! Controller configuration: every key declared once (Java name, type, default, what it does
//! in Thrust) in the [`remoting::config_keys!`] table; parsing, `mqcontroller -p`, GET/UPDATE_CONTROLLER_CONFIG
//! and the start-up refusals all come from it.
//!
//! The keys are Java 5.3.3's `ControllerConfig`, `JraftConfig`, `NettyServerConfig` and
//! `NettyClientConfig` fields, read from `controller.conf` by `mqcontroller -c` or, with
//! `enableControllerInNamesrv=true`, from the NameServer's own file (Java `NamesrvStartup`).
//!
//! Java's DLedger controller serves on the port of its own `controllerDLegerPeers` entry
//! (`DLedgerRpcNettyService` overwrites `listenPort` with it); Thrust does the same. With more
//! than one peer the controllers form a Raft group ([`crate::raft`]) on those same ports; Java's
//! jRaft controller (`controllerType=jRaft`) is refused at start-up.

use std::collections::BTreeMap;
use std::path::PathBuf;

use remoting::config_effect::{min, no, only_default, PORT, START, USE};

use crate::error::{Error, Result};

const POOL: &str = "sizes a Java thread pool or its queue; Thrust serves requests on async \
    tasks without such pools";
const NETTY: &str = "tunes Java's Netty transport (threads, buffers, semaphores); Thrust's \
    transport is its own";
const NETTY_CLIENT: &str = "tunes the controller's outbound client (role-change notifications); \
    Thrust's client is its own";
const JRAFT: &str = "acts only with controllerType=jRaft, which Thrust refuses";
const METRICS: &str = "acts only with a metricsExporterType other than DISABLE, which Thrust \
    refuses";
const PORT_OF_PEER: &str = "Java's DLedger controller listens on the port of its own \
    controllerDLegerPeers entry, not on listenPort; so does Thrust";

remoting::config_keys! {
    /// The controller's configuration, one field per Java key.
    struct ControllerConfig;
    /// Java `ControllerConfig`.
    group Controller {
        rocketmq_home: Option<String> = "rocketmqHome", std::env::var("ROCKETMQ_HOME").ok(), USE, START;
        config_store_path: String = "configStorePath", home_file(&["controller", "controller.properties"]), USE, START;
        controller_type: String = "controllerType", "DLedger".to_string(), only_default("the jRaft controller");
        /// Milliseconds between scans for brokers whose heartbeats stopped.
        scan_not_active_broker_interval: i64 = "scanNotActiveBrokerInterval", 5000, USE, START, min(1);
        controller_thread_pool_nums: i32 = "controllerThreadPoolNums", 16, no(POOL);
        controller_request_thread_pool_queue_capacity: i32 = "controllerRequestThreadPoolQueueCapacity", 50000, no(POOL);
        controller_d_leger_group: Option<String> = "controllerDLegerGroup", None, USE, START;
        /// Several peers: a Raft group of Thrust controllers (Java and Thrust controllers cannot
        /// share a group).
        controller_d_leger_peers: Option<String> = "controllerDLegerPeers", None, USE, START;
        controller_d_leger_self_id: Option<String> = "controllerDLegerSelfId", None, USE, START;
        mapped_file_size: i32 = "mappedFileSize", 1024 * 1024 * 1024, no("sizes DLedger's log files; Thrust's controller keeps its own event log");
        /// Empty: `~/<controllerType>Controller`, as Java.
        controller_store_path: String = "controllerStorePath", String::new(), USE, START;
        elect_master_max_retry_count: i32 = "electMasterMaxRetryCount", 3, USE, min(1);
        enable_elect_unclean_master: bool = "enableElectUncleanMaster", false, USE;
        /// Java field `isProcessReadEvent`, setter `setProcessReadEvent`.
        process_read_event: bool = "processReadEvent", false, no("makes Java's controller append an empty DLedger entry for each read; Thrust's leader answers reads from its applied state, as Java's does with the default false");
        notify_broker_role_changed: bool = "notifyBrokerRoleChanged", true, USE;
        scan_inactive_master_interval: i64 = "scanInactiveMasterInterval", 5000, USE, START, min(1);
        metrics_exporter_type: String = "metricsExporterType", "DISABLE".to_string(), only_default("controller metrics export");
        metrics_grpc_exporter_target: String = "metricsGrpcExporterTarget", String::new(), no(METRICS);
        metrics_grpc_exporter_header: String = "metricsGrpcExporterHeader", String::new(), no(METRICS);
        metric_grpc_exporter_time_out_in_mills: i64 = "metricGrpcExporterTimeOutInMills", 3000, no(METRICS);
        metric_grpc_exporter_interval_in_mills: i64 = "metricGrpcExporterIntervalInMills", 60000, no(METRICS);
        metric_logging_exporter_interval_in_mills: i64 = "metricLoggingExporterIntervalInMills", 10000, no(METRICS);
        metrics_prom_exporter_port: i32 = "metricsPromExporterPort", 5557, no(METRICS);
        metrics_prom_exporter_host: String = "metricsPromExporterHost", String::new(), no(METRICS);
        metrics_label: String = "metricsLabel", String::new(), no(METRICS);
        metrics_in_delta: bool = "metricsInDelta", false, no(METRICS);
        config_black_list: String = "configBlackList", "configBlackList;configStorePath".to_string(), USE;
    }
    /// Java `JraftConfig`.
    group Jraft {
        j_raft_election_timeout_ms: i32 = "jRaftElectionTimeoutMs", 1000, no(JRAFT);
        j_raft_scan_wait_timeout_ms: i32 = "jRaftScanWaitTimeoutMs", 1000, no(JRAFT);
        j_raft_snapshot_interval_secs: i32 = "jRaftSnapshotIntervalSecs", 3600, no(JRAFT);
        j_raft_group_id: String = "jRaftGroupId", "jRaft-Controller".to_string(), no(JRAFT);
        j_raft_server_id: String = "jRaftServerId", "localhost:9880".to_string(), no(JRAFT);
        j_raft_init_conf: String = "jRaftInitConf", "localhost:9880,localhost:9881,localhost:9882".to_string(), no(JRAFT);
        j_raft_controller_rpc_addr: String = "jRaftControllerRPCAddr", "localhost:9770,localhost:9771,localhost:9772".to_string(), no(JRAFT);
    }
    /// Java `NettyServerConfig` (`listenPort` 19876 as `ControllerStartup` sets it).
    group NettyServer {
        bind_address: String = "bindAddress", "0.0.0.0".to_string(), USE, START;
        listen_port: i32 = "listenPort", 19876, no(PORT_OF_PEER), PORT;
        server_worker_threads: i32 = "serverWorkerThreads", 8, no(NETTY);
        server_callback_executor_threads: i32 = "serverCallbackExecutorThreads", 0, no(NETTY);
        server_selector_threads: i32 = "serverSelectorThreads", 3, no(NETTY);
        server_oneway_semaphore_value: i32 = "serverOnewaySemaphoreValue", 256, no(NETTY);
        server_async_semaphore_value: i32 = "serverAsyncSemaphoreValue", 64, no(NETTY);
        server_channel_max_idle_time_seconds: i32 = "serverChannelMaxIdleTimeSeconds", 120, USE, START, min(0);
        server_socket_snd_buf_size: i32 = "serverSocketSndBufSize", 0, no(NETTY);
        server_socket_rcv_buf_size: i32 = "serverSocketRcvBufSize", 0, no(NETTY);
        write_buffer_high_water_mark: i32 = "writeBufferHighWaterMark", 0, no(NETTY);
        write_buffer_low_water_mark: i32 = "writeBufferLowWaterMark", 0, no(NETTY);
        server_socket_backlog: i32 = "serverSocketBacklog", 1024, no(NETTY);
        server_netty_worker_group_enable: bool = "serverNettyWorkerGroupEnable", true, no(NETTY);
        server_pooled_byte_buf_allocator_enable: bool = "serverPooledByteBufAllocatorEnable", true, no(NETTY);
        enable_shutdown_gracefully: bool = "enableShutdownGracefully", false, no(NETTY);
        shutdown_wait_time_seconds: i32 = "shutdownWaitTimeSeconds", 30, no(NETTY);
        use_epoll_native_selector: bool = "useEpollNativeSelector", false, no(NETTY);
    }
    /// Java `NettyClientConfig`.
    group NettyClient {
        client_worker_threads: i32 = "clientWorkerThreads", 4, no(NETTY_CLIENT);
        client_callback_executor_threads: i32 = "clientCallbackExecutorThreads", available_cpus(), no(NETTY_CLIENT);
        client_oneway_semaphore_value: i32 = "clientOnewaySemaphoreValue", 65535, no(NETTY_CLIENT);
        client_async_semaphore_value: i32 = "clientAsyncSemaphoreValue", 65535, no(NETTY_CLIENT);
        connect_timeout_millis: i32 = "connectTimeoutMillis", 3000, no(NETTY_CLIENT);
        channel_not_active_interval: i64 = "channelNotActiveInterval", 60000, no(NETTY_CLIENT);
        scan_available_name_srv: bool = "scanAvailableNameSrv", true, no(NETTY_CLIENT);
        client_channel_max_idle_time_seconds: i32 = "clientChannelMaxIdleTimeSeconds", 120, no(NETTY_CLIENT);
        client_socket_snd_buf_size: i32 = "clientSocketSndBufSize", 0, no(NETTY_CLIENT);
        client_socket_rcv_buf_size: i32 = "clientSocketRcvBufSize", 0, no(NETTY_CLIENT);
        client_pooled_byte_buf_allocator_enable: bool = "clientPooledByteBufAllocatorEnable", false, no(NETTY_CLIENT);
        client_close_socket_if_timeout: bool = "clientCloseSocketIfTimeout", true, no(NETTY_CLIENT);
        use_tls: bool = "useTLS", false, USE, START;
        socks_proxy_config: String = "socksProxyConfig", "{}".to_string(), no(NETTY_CLIENT);
        disable_callback_executor: bool = "disableCallbackExecutor", false, no(NETTY_CLIENT);
        disable_netty_worker_group: bool = "disableNettyWorkerGroup", false, no(NETTY_CLIENT);
        max_reconnect_interval_time_seconds: i64 = "maxReconnectIntervalTimeSeconds", 60, no(NETTY_CLIENT);
        enable_reconnect_for_go_away: bool = "enableReconnectForGoAway", true, no(NETTY_CLIENT);
    }
}

fn home_file(parts: &[&str]) -> String {
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".to_string());
    let mut path = PathBuf::from(home);
    path.extend(parts);
    path.to_string_lossy().into_owned()
}

fn available_cpus() -> i32 {
    std::thread::available_parallelism().map_or(1, |n| i32::try_from(n.get()).unwrap_or(i32::MAX))
}

/// Keys UPDATE_CONTROLLER_CONFIG always refuses (Java `ControllerRequestProcessor#initConfigBlackList`).
const ALWAYS_BLACK_LISTED: &[&str] = &["configBlackList", "configStorePath", "rocketmqHome"];

/// One peer of `controllerDLegerPeers`: `n0-127.0.0.1:9878`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub id: String,
    pub addr: String,
}

impl ControllerConfig {
    /// Applies `(key, value)` pairs; keys the controller does not have are returned.
    pub fn apply(&mut self, entries: &[(String, String)]) -> Result<BTreeMap<String, String>> {
        let mut unknown = BTreeMap::new();
        for (key, value) in entries {
            if !self.set(key, value)? {
                unknown.insert(key.clone(), value.clone());
            }
        }
        Ok(unknown)
    }

    /// `mqcontroller -p` lines: `key=value` for every key, Java order, null as empty.
    pub fn print_lines(&self) -> Vec<String> {
        Self::KEYS
            .iter()
            .map(|(key, _)| {
                let printed = match *key {
                    "processReadEvent" => "isProcessReadEvent",
                    "scanAvailableNameSrv" => "isScanAvailableNameSrv",
                    k => k,
                };
                format!("{printed}={}", self.get(key).unwrap_or_default())
            })
            .collect()
    }

    /// What GET_CONTROLLER_CONFIG returns (Java `Configuration` over `ControllerConfig` and
    /// `NettyServerConfig`, plus the file's other keys), sorted by key, nulls omitted. Java
    /// shows fields by their names (`isProcessReadEvent`).
    pub fn properties(&self, extra: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut all = extra.clone();
        for (key, group) in Self::KEYS {
            if !matches!(group, Group::Controller | Group::NettyServer) {
                continue;
            }
            if let Some(v) = self.get(key) {
                let shown = if *key == "processReadEvent" {
                    "isProcessReadEvent"
                } else {
                    key
                };
                all.insert(shown.to_string(), v);
            }
        }
        all
    }

    /// Refuses what Thrust cannot do, naming the key: start-up and UPDATE_CONTROLLER_CONFIG
    /// both check this.
    pub fn check_supported(&self) -> Result<()> {
        for (key, _) in Self::KEYS {
            let Some(effect) = Self::effect(key) else {
                continue;
            };
            let value = self.get(key).unwrap_or_default();
            let default = Self::default_text(key).unwrap_or_default();
            if effect.refuses(&value, &default) {
                return Err(Error::Unsupported {
                    key: key.to_string(),
                    message: effect.refusal(key, &value, &default),
                });
            }
        }
        Ok(())
    }

    /// What Java's `ControllerManager#initialize` and DLedger require before starting: the
    /// peers and the self id, the self id among the peers. Returns this controller's peer.
    pub fn self_peer(&self) -> Result<Peer> {
        let required = |key: &str, v: &Option<String>| {
            v.clone()
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| Error::Unsupported {
                    key: key.to_string(),
                    message: format!("Attribute value {key} of ControllerConfig is null or empty"),
                })
        };
        let peers = required("controllerDLegerPeers", &self.controller_d_leger_peers)?;
        let self_id = required("controllerDLegerSelfId", &self.controller_d_leger_self_id)?;
        let peers = parse_peers(&peers)?;
        peers
            .into_iter()
            .find(|p| p.id == self_id.trim())
            .ok_or_else(|| Error::Unsupported {
                key: "controllerDLegerSelfId".into(),
                message: format!(
                    "controllerDLegerSelfId={self_id} is not one of controllerDLegerPeers"
                ),
            })
    }

    /// `controllerStorePath`, or Java's default `~/<controllerType>Controller`.
    pub fn store_path(&self) -> PathBuf {
        if self.controller_store_path.is_empty() {
            PathBuf::from(home_file(&[&format!("{}Controller", self.controller_type)]))
        } else {
            PathBuf::from(&self.controller_store_path)
        }
    }

    /// Whether UPDATE_CONTROLLER_CONFIG must refuse `key` (16 NO_PERMISSION).
    pub fn is_black_listed(&self, key: &str) -> bool {
        ALWAYS_BLACK_LISTED.contains(&key) || self.config_black_list.split(';').any(|k| k == key)
    }
}

/// DLedger's `id-host:port;id-host:port` list.
pub fn parse_peers(text: &str) -> Result<Vec<Peer>> {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (id, addr) = p.split_once('-').ok_or_else(|| Error::ConfigValue {
                key: "controllerDLegerPeers".into(),
                value: text.to_string(),
                reason: "each peer is id-host:port".into(),
            })?;
            let port_ok = addr
                .rsplit_once(':')
                .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(Error::ConfigValue {
                    key: "controllerDLegerPeers".into(),
                    value: text.to_string(),
                    reason: format!("peer {p} has no port"),
                });
            }
            Ok(Peer {
                id: id.to_string(),
                addr: addr.to_string(),
            })
        })
        .collect::<Result<Vec<Peer>>>()
        .and_then(|peers| {
            let mut ids = std::collections::BTreeSet::new();
            match peers.iter().find(|p| !ids.insert(p.id.as_str())) {
                Some(dup) => Err(Error::ConfigValue {
                    key: "controllerDLegerPeers".into(),
                    value: text.to_string(),
                    reason: format!("peer id {} is listed twice", dup.id),
                }),
                None => Ok(peers),
            }
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_javas() {
        let c = ControllerConfig::default();
        assert_eq!(c.listen_port, 19876);
        assert_eq!(c.scan_not_active_broker_interval, 5000);
        assert!(c.notify_broker_role_changed);
        assert!(!c.enable_elect_unclean_master);
        assert!(c
            .config_store_path
            .ends_with("controller/controller.properties"));
        assert!(c.store_path().ends_with("DLedgerController"));
    }

    #[test]
    fn self_peer_needs_peers_and_id() {
        let mut c = ControllerConfig::default();
        let err = c.self_peer().unwrap_err().to_string();
        assert_eq!(
            err,
            "Attribute value controllerDLegerPeers of ControllerConfig is null or empty"
        );
        c.set("controllerDLegerPeers", "n0-127.0.0.1:9878").unwrap();
        assert!(c
            .self_peer()
            .unwrap_err()
            .to_string()
            .contains("controllerDLegerSelfId"));
        c.set("controllerDLegerSelfId", "n1").unwrap();
        assert!(c.self_peer().is_err());
        c.set("controllerDLegerSelfId", "n0").unwrap();
        assert_eq!(c.self_peer().unwrap().addr, "127.0.0.1:9878");
    }

    #[test]
    fn groups_are_accepted_and_jraft_is_refused_naming_the_key() {
        let mut c = ControllerConfig::default();
        c.set(
            "controllerDLegerPeers",
            "n0-127.0.0.1:9878;n1-127.0.0.1:9868",
        )
        .unwrap();
        c.check_supported().unwrap();
        c.set(
            "controllerDLegerPeers",
            "n0-127.0.0.1:9878;n0-127.0.0.1:9868",
        )
        .unwrap();
        c.set("controllerDLegerSelfId", "n0").unwrap();
        let err = c.self_peer().unwrap_err().to_string();
        assert!(err.contains("n0") && err.contains("twice"), "{err}");
        let mut c = ControllerConfig::default();
        c.set("controllerType", "jRaft").unwrap();
        let err = c.check_supported().unwrap_err().to_string();
        assert!(
            err.starts_with("config key controllerType=jRaft is not supported yet"),
            "{err}"
        );
    }

    /// `docs/config.md` carries the generated lists; `THRUST_BLESS_DOCS=1 cargo test -p
    /// controller config_docs` rewrites them after the table changed.
    #[test]
    fn config_docs_list_the_table() {
        use remoting::config_effect::{
            no_effect_table, refused_table, replace_section, rules_table, DocKey,
        };
        let keys = || {
            ControllerConfig::KEYS.iter().filter_map(|(key, _)| {
                Some(DocKey {
                    key,
                    effect: ControllerConfig::effect(key)?,
                    default: ControllerConfig::default_text(key).unwrap_or_default(),
                })
            })
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/config.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let fresh = replace_section(&doc, "controller-refused", &refused_table(keys()))
            .and_then(|d| replace_section(&d, "controller-no-effect", &no_effect_table(keys())))
            .and_then(|d| {
                let rules = ControllerConfig::KEYS
                    .iter()
                    .map(|(key, _)| (*key, ControllerConfig::rules(key)));
                replace_section(&d, "controller-rules", &rules_table(rules))
            })
            .expect("docs/config.md has the controller-refused, -no-effect and -rules markers");
        if std::env::var_os("THRUST_BLESS_DOCS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        assert!(
            doc == fresh,
            "docs/config.md is not what controller/src/config.rs says: rerun with \
             THRUST_BLESS_DOCS=1 and review the diff"
        );
    }

    #[test]
    fn black_list() {
        let c = ControllerConfig::default();
        assert!(c.is_black_listed("configStorePath"));
        assert!(c.is_black_listed("rocketmqHome"));
        assert!(!c.is_black_listed("notifyBrokerRoleChanged"));
    }
}
