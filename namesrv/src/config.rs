//! NameServer configuration: every key declared once (Java name, type, default) in the
//! [`remoting::config_keys!`] table below; parsing, printing (`mqnamesrv -p`), GET/UPDATE_NAMESRV_CONFIG
//! all come from it.
//!
//! The keys are Java's: `NamesrvConfig`, `NettyServerConfig` and `NettyClientConfig` fields
//! (5.3.3), in their declaration order, which is the order `mqnamesrv -p` prints them
//! (`MixAll#printObjectProperties`). Each key says what it does in Thrust ([`Effect`]): keys
//! without effect are accepted and printed so existing config files and scripts keep working;
//! a value that turns on a feature Thrust does not have stops start-up and is refused by
//! UPDATE_NAMESRV_CONFIG ([`NamesrvConfig::check_supported`]); `docs/config.md` lists both.
//!
//! Differences from Java, on purpose: a value that does not parse as its key's type is an
//! error naming the key (Java silently keeps the default); unknown keys are logged.

use std::collections::BTreeMap;
use std::path::PathBuf;

use remoting::config_effect::{min, no, only_default, PORT, START, USE};

use crate::error::{Error, Result};

const POOL: &str = "sizes a Java thread pool or its queue; Thrust serves requests on async \
    tasks without such pools";
const CLUSTER_TEST: &str = "acts only with clusterTest=true, which Thrust refuses";
const UNREGISTER_QUEUE: &str = "bounds Java's queue of pending broker unregistrations; Thrust \
    unregisters at once";
const NETTY: &str = "tunes Java's Netty transport (threads, buffers, semaphores); Thrust's \
    transport is its own";
const NAMESRV_TLS: &str = "the NameServer's own outbound client is used only for \
    notifyMinBrokerIdChanged=true, refused by Thrust; the controller that \
    enableControllerInNamesrv=true runs reads useTLS from the same file (docs/tls.md)";

const NETTY_CLIENT: &str = "tunes the NameServer's outbound client, which Java uses only for \
    notifyMinBrokerIdChanged=true, refused by Thrust";

remoting::config_keys! {
    /// The NameServer's configuration (Java `NamesrvConfig` + `NettyServerConfig` +
    /// `NettyClientConfig`), one field per Java key.
    struct NamesrvConfig;
    /// Java `NamesrvConfig`.
    group Namesrv {
        rocketmq_home: Option<String> = "rocketmqHome", std::env::var("ROCKETMQ_HOME").ok(), USE, START;
        kv_config_path: String = "kvConfigPath", home_file("kvConfig.json"), USE, START;
        config_store_path: String = "configStorePath", home_file("namesrv.properties"), USE, START;
        product_env_name: String = "productEnvName", "center".to_string(), no(CLUSTER_TEST);
        cluster_test: bool = "clusterTest", false, only_default("the cluster-test route fallback to another environment's NameServer");
        order_message_enable: bool = "orderMessageEnable", false, USE;
        return_order_topic_config_to_broker: bool = "returnOrderTopicConfigToBroker", true, USE;
        client_request_thread_pool_nums: i32 = "clientRequestThreadPoolNums", 8, no(POOL);
        default_thread_pool_nums: i32 = "defaultThreadPoolNums", 16, no(POOL);
        client_request_thread_pool_queue_capacity: i32 = "clientRequestThreadPoolQueueCapacity", 50000, no(POOL);
        default_thread_pool_queue_capacity: i32 = "defaultThreadPoolQueueCapacity", 10000, no(POOL);
        /// Milliseconds between broker-expiry scans (4.9.8 had a fixed 10 s).
        scan_not_active_broker_interval: i64 = "scanNotActiveBrokerInterval", 5000, USE, START, min(1);
        un_register_broker_queue_capacity: i32 = "unRegisterBrokerQueueCapacity", 3000, no(UNREGISTER_QUEUE);
        support_acting_master: bool = "supportActingMaster", false, USE;
        enable_all_topic_list: bool = "enableAllTopicList", true, USE;
        enable_topic_list: bool = "enableTopicList", true, USE;
        notify_min_broker_id_changed: bool = "notifyMinBrokerIdChanged", false, only_default("notifying brokers that their group's minimum broker id changed");
        /// `mqnamesrv` then also runs Thrust's controller (the `controller` crate).
        enable_controller_in_namesrv: bool = "enableControllerInNamesrv", false, USE, START;
        need_wait_for_service: bool = "needWaitForService", false, USE;
        wait_seconds_for_service: i32 = "waitSecondsForService", 45, USE, min(0);
        delete_topic_with_broker_registration: bool = "deleteTopicWithBrokerRegistration", false, USE;
        config_black_list: String = "configBlackList", "configBlackList;configStorePath;kvConfigPath".to_string(), USE;
    }
    /// Java `NettyServerConfig` (`listenPort` 9876 as `NamesrvStartup` sets it before reading
    /// the file).
    group NettyServer {
        bind_address: String = "bindAddress", "0.0.0.0".to_string(), USE, START;
        listen_port: i32 = "listenPort", 9876, USE, START, PORT;
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
    /// Java `NettyClientConfig` (the NameServer's outbound client; none act in Thrust). Its
    /// `writeBufferHighWaterMark`/`writeBufferLowWaterMark` share their keys with the server
    /// group above (one key sets both objects in Java), so they are declared there only.
    group NettyClient {
        client_worker_threads: i32 = "clientWorkerThreads", 4, no(NETTY_CLIENT);
        client_callback_executor_threads: i32 = "clientCallbackExecutorThreads", available_cpus(), no(NETTY_CLIENT);
        client_oneway_semaphore_value: i32 = "clientOnewaySemaphoreValue", 65535, no(NETTY_CLIENT);
        client_async_semaphore_value: i32 = "clientAsyncSemaphoreValue", 65535, no(NETTY_CLIENT);
        connect_timeout_millis: i32 = "connectTimeoutMillis", 3000, no(NETTY_CLIENT);
        channel_not_active_interval: i64 = "channelNotActiveInterval", 60000, no(NETTY_CLIENT);
        /// Java field `isScanAvailableNameSrv`, setter `setScanAvailableNameSrv`.
        scan_available_name_srv: bool = "scanAvailableNameSrv", true, no(NETTY_CLIENT);
        client_channel_max_idle_time_seconds: i32 = "clientChannelMaxIdleTimeSeconds", 120, no(NETTY_CLIENT);
        client_socket_snd_buf_size: i32 = "clientSocketSndBufSize", 0, no(NETTY_CLIENT);
        client_socket_rcv_buf_size: i32 = "clientSocketRcvBufSize", 0, no(NETTY_CLIENT);
        client_pooled_byte_buf_allocator_enable: bool = "clientPooledByteBufAllocatorEnable", false, no(NETTY_CLIENT);
        client_close_socket_if_timeout: bool = "clientCloseSocketIfTimeout", true, no(NETTY_CLIENT);
        use_tls: bool = "useTLS", false, no(NAMESRV_TLS);
        socks_proxy_config: String = "socksProxyConfig", "{}".to_string(), no(NETTY_CLIENT);
        disable_callback_executor: bool = "disableCallbackExecutor", false, no(NETTY_CLIENT);
        disable_netty_worker_group: bool = "disableNettyWorkerGroup", false, no(NETTY_CLIENT);
        max_reconnect_interval_time_seconds: i64 = "maxReconnectIntervalTimeSeconds", 60, no(NETTY_CLIENT);
        enable_reconnect_for_go_away: bool = "enableReconnectForGoAway", true, no(NETTY_CLIENT);
    }
    /// Thrust's own keys, which no Java class has (`docs/config.md`). GET_NAMESRV_CONFIG shows
    /// one only when it differs from its default, as Java shows a key of the file it does not
    /// know, so a default config prints exactly as Java's.
    group Thrust {
        /// Connections open at once (0: no limit); one more is closed at accept.
        server_max_connections: i32 = "serverMaxConnections", 100_000, USE, START, min(0);
    }
}

/// `System.getProperty("user.home") + "/namesrv/" + name`.
fn home_file(name: &str) -> String {
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".to_string());
    PathBuf::from(home)
        .join("namesrv")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn available_cpus() -> i32 {
    std::thread::available_parallelism().map_or(1, |n| i32::try_from(n.get()).unwrap_or(i32::MAX))
}

/// Keys `UPDATE_NAMESRV_CONFIG` always refuses (Java `DefaultRequestProcessor#initConfigBlackList`).
const ALWAYS_BLACK_LISTED: &[&str] = &[
    "configBlackList",
    "configStorePath",
    "kvConfigPath",
    "rocketmqHome",
];

impl NamesrvConfig {
    /// Applies `(key, value)` pairs (a `-c` file). Unknown keys are returned (Java keeps them in
    /// its config store and GET_NAMESRV_CONFIG shows them); a bad value is an error.
    pub fn apply(&mut self, entries: &[(String, String)]) -> Result<BTreeMap<String, String>> {
        let mut unknown = BTreeMap::new();
        for (key, value) in entries {
            if !self.set(key, value)? {
                unknown.insert(key.clone(), value.clone());
            }
        }
        Ok(unknown)
    }

    /// `mqnamesrv -p` lines: `key=value` for every key, Java order, null as empty. Java prints
    /// field names, so two quirks of `NettyClientConfig` show: its field
    /// `isScanAvailableNameSrv` (key `scanAvailableNameSrv`), and its own copies of the
    /// write-buffer water marks after `socksProxyConfig`.
    pub fn print_lines(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(Self::KEYS.len() + 2);
        let mut line = |key: &str, printed: &str| {
            lines.push(format!("{printed}={}", self.get(key).unwrap_or_default()));
        };
        for (key, _) in Self::KEYS {
            match *key {
                "scanAvailableNameSrv" => line(key, "isScanAvailableNameSrv"),
                "socksProxyConfig" => {
                    line(key, key);
                    line("writeBufferHighWaterMark", "writeBufferHighWaterMark");
                    line("writeBufferLowWaterMark", "writeBufferLowWaterMark");
                }
                _ => line(key, key),
            }
        }
        lines
    }

    /// What GET_NAMESRV_CONFIG returns and UPDATE persists (Java `Configuration`: the
    /// `NamesrvConfig` and `NettyServerConfig` fields plus the file's other keys, here also the
    /// Thrust keys set to other than their default), sorted by key, nulls omitted.
    pub fn properties(&self, extra: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut all = extra.clone();
        for (key, group) in Self::KEYS {
            let shown = match group {
                Group::NettyClient => false,
                Group::Thrust => self.get(key) != Self::default_text(key),
                Group::Namesrv | Group::NettyServer => true,
            };
            if let (true, Some(v)) = (shown, self.get(key)) {
                all.insert(key.to_string(), v);
            }
        }
        all
    }

    /// Refuses a value that turns on a feature Thrust does not have yet, naming the key;
    /// start-up and UPDATE_NAMESRV_CONFIG both check this.
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

    /// Whether UPDATE_NAMESRV_CONFIG must refuse `key` (16 NO_PERMISSION).
    pub fn is_black_listed(&self, key: &str) -> bool {
        ALWAYS_BLACK_LISTED.contains(&key) || self.config_black_list.split(';').any(|k| k == key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_javas() {
        let c = NamesrvConfig::default();
        assert_eq!(c.listen_port, 9876);
        assert_eq!(c.scan_not_active_broker_interval, 5000);
        assert!(c.kv_config_path.ends_with("namesrv/kvConfig.json"));
        assert!(c.return_order_topic_config_to_broker);
        assert!(!c.order_message_enable);
    }

    #[test]
    fn apply_sets_known_keys_and_returns_unknown() {
        let mut c = NamesrvConfig::default();
        let entries = vec![
            ("listenPort".to_string(), "19876".to_string()),
            ("orderMessageEnable".to_string(), "TRUE".to_string()),
            ("kvConfigPath".to_string(), " /tmp/kv.json ".to_string()),
            ("someFutureKey".to_string(), "x".to_string()),
        ];
        let unknown = c.apply(&entries).unwrap();
        assert_eq!(c.listen_port, 19876);
        assert!(c.order_message_enable);
        assert_eq!(c.kv_config_path, "/tmp/kv.json");
        assert_eq!(unknown.get("someFutureKey").map(String::as_str), Some("x"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut c = NamesrvConfig::default();
        let err = c.set("listenPort", "98x").unwrap_err().to_string();
        assert!(err.contains("listenPort") && err.contains("98x"), "{err}");
        let err = c.set("clusterTest", "ture").unwrap_err().to_string();
        assert!(err.contains("clusterTest"), "{err}");
    }

    #[test]
    fn print_lines_follow_java_order() {
        let c = NamesrvConfig {
            rocketmq_home: None,
            ..Default::default()
        };
        let lines = c.print_lines();
        assert_eq!(lines[0], "rocketmqHome=");
        assert!(lines[1].starts_with("kvConfigPath="));
        assert!(lines.contains(&"listenPort=9876".to_string()));
        assert_eq!(lines.len(), NamesrvConfig::KEYS.len() + 2);
        assert!(lines.contains(&"isScanAvailableNameSrv=true".to_string()));
        let marks = lines
            .iter()
            .filter(|l| l.starts_with("writeBufferHighWaterMark="))
            .count();
        assert_eq!(
            marks, 2,
            "printed for the server and the client config, as Java"
        );
    }

    #[test]
    fn properties_are_sorted_without_client_keys_or_nulls() {
        let c = NamesrvConfig {
            rocketmq_home: None,
            ..Default::default()
        };
        let mut extra = BTreeMap::new();
        extra.insert("custom".to_string(), "1".to_string());
        let props = c.properties(&extra);
        assert_eq!(props.get("listenPort").map(String::as_str), Some("9876"));
        assert_eq!(props.get("custom").map(String::as_str), Some("1"));
        assert!(!props.contains_key("rocketmqHome"));
        assert!(!props.contains_key("clientWorkerThreads"));
    }

    #[test]
    fn thrust_keys_are_shown_only_when_changed() {
        let mut c = NamesrvConfig::default();
        assert!(!c
            .properties(&BTreeMap::new())
            .contains_key("serverMaxConnections"));
        c.set("serverMaxConnections", "5000").unwrap();
        let props = c.properties(&BTreeMap::new());
        assert_eq!(
            props.get("serverMaxConnections").map(String::as_str),
            Some("5000")
        );
        assert!(c
            .print_lines()
            .contains(&"serverMaxConnections=5000".to_string()));
    }

    #[test]
    fn black_list() {
        let c = NamesrvConfig::default();
        assert!(c.is_black_listed("kvConfigPath"));
        assert!(c.is_black_listed("rocketmqHome"));
        assert!(!c.is_black_listed("orderMessageEnable"));
    }

    #[test]
    fn unsupported_values_are_refused_naming_the_key() {
        assert!(NamesrvConfig::default().check_supported().is_ok());
        for key in ["clusterTest", "notifyMinBrokerIdChanged"] {
            let mut c = NamesrvConfig::default();
            c.set(key, "true").unwrap();
            let err = c.check_supported().unwrap_err();
            assert!(
                matches!(&err, Error::Unsupported { key: k, .. } if k == key),
                "{err}"
            );
            assert!(
                err.to_string()
                    .starts_with(&format!("config key {key}=true is not supported yet")),
                "{err}"
            );
        }
    }

    /// `docs/config.md` carries the generated lists; `THRUST_BLESS_DOCS=1 cargo test -p namesrv
    /// config_docs` rewrites them after the table changed.
    #[test]
    fn config_docs_list_the_table() {
        use remoting::config_effect::{
            no_effect_table, refused_table, replace_section, rules_table, DocKey,
        };
        let keys = || {
            NamesrvConfig::KEYS.iter().filter_map(|(key, _)| {
                Some(DocKey {
                    key,
                    effect: NamesrvConfig::effect(key)?,
                    default: NamesrvConfig::default_text(key).unwrap_or_default(),
                })
            })
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/config.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let fresh = replace_section(&doc, "namesrv-refused", &refused_table(keys()))
            .and_then(|d| replace_section(&d, "namesrv-no-effect", &no_effect_table(keys())))
            .and_then(|d| {
                let rules = NamesrvConfig::KEYS
                    .iter()
                    .map(|(key, _)| (*key, NamesrvConfig::rules(key)));
                replace_section(&d, "namesrv-rules", &rules_table(rules))
            })
            .expect("docs/config.md has the namesrv-refused, -no-effect and -rules markers");
        if std::env::var_os("THRUST_BLESS_DOCS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        assert!(
            doc == fresh,
            "docs/config.md is not what namesrv/src/config.rs says: rerun with \
             THRUST_BLESS_DOCS=1 and review the diff"
        );
    }
}
