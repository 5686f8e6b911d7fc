//! NameServer configuration: every key declared once (Java name, type, default) in the
//! [`config_keys!`] table below; parsing, printing (`mqnamesrv -p`), GET/UPDATE_NAMESRV_CONFIG
//! all come from it.
//!
//! The keys are Java's: `NamesrvConfig`, `NettyServerConfig` and `NettyClientConfig` fields
//! (5.3.3), in their declaration order, which is the order `mqnamesrv -p` prints them
//! (`MixAll#printObjectProperties`). Keys Thrust has no use for are accepted and printed so
//! existing config files and scripts keep working; the docs of each group say which ones act.
//!
//! Differences from Java, on purpose: a value that does not parse as its key's type is an
//! error naming the key (Java silently keeps the default); unknown keys are logged.

use std::collections::BTreeMap;
use std::path::PathBuf;

use remoting::props::ConfigValue;

use crate::error::{Error, Result};

/// Declares the config struct and its key table once.
macro_rules! config_keys {
    ($( $(#[$gmeta:meta])* group $group:ident { $( $(#[$meta:meta])* $field:ident : $ty:ty = $key:literal, $default:expr; )* } )*) => {
        /// The NameServer's configuration (Java `NamesrvConfig` + `NettyServerConfig` +
        /// `NettyClientConfig`), one field per Java key.
        #[derive(Clone, Debug, PartialEq)]
        pub struct NamesrvConfig {
            $( $( $(#[$meta])* pub $field: $ty, )* )*
        }

        impl Default for NamesrvConfig {
            fn default() -> Self {
                NamesrvConfig { $( $( $field: $default, )* )* }
            }
        }

        /// Which Java config object a key belongs to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Group { $( $(#[$gmeta])* $group, )* }

        impl NamesrvConfig {
            /// Every key with its group, in Java's declaration order.
            pub const KEYS: &'static [(&'static str, Group)] = &[ $( $( ($key, Group::$group), )* )* ];

            /// Sets `key` from its text; `Ok(false)` for a key that is not declared.
            pub fn set(&mut self, key: &str, text: &str) -> Result<bool> {
                match key {
                    $( $( $key => {
                        self.$field = ConfigValue::parse_java(text.trim()).map_err(|reason| Error::ConfigValue {
                            key: key.to_string(),
                            value: text.to_string(),
                            reason,
                        })?;
                        Ok(true)
                    } )* )*
                    _ => Ok(false),
                }
            }

            /// The current value of `key` as Java renders it (`None` for null or unknown keys).
            pub fn get(&self, key: &str) -> Option<String> {
                match key {
                    $( $( $key => ConfigValue::render_java(&self.$field), )* )*
                    _ => None,
                }
            }
        }
    };
}

config_keys! {
    /// Java `NamesrvConfig`. Acting: `kvConfigPath`, `configStorePath`, `orderMessageEnable`,
    /// `returnOrderTopicConfigToBroker`, `scanNotActiveBrokerInterval`, `supportActingMaster`,
    /// `enableAllTopicList`, `enableTopicList`, `needWaitForService`, `waitSecondsForService`,
    /// `deleteTopicWithBrokerRegistration`, `configBlackList`.
    group Namesrv {
        rocketmq_home: Option<String> = "rocketmqHome", std::env::var("ROCKETMQ_HOME").ok();
        kv_config_path: String = "kvConfigPath", home_file("kvConfig.json");
        config_store_path: String = "configStorePath", home_file("namesrv.properties");
        product_env_name: String = "productEnvName", "center".to_string();
        cluster_test: bool = "clusterTest", false;
        order_message_enable: bool = "orderMessageEnable", false;
        return_order_topic_config_to_broker: bool = "returnOrderTopicConfigToBroker", true;
        client_request_thread_pool_nums: i32 = "clientRequestThreadPoolNums", 8;
        default_thread_pool_nums: i32 = "defaultThreadPoolNums", 16;
        client_request_thread_pool_queue_capacity: i32 = "clientRequestThreadPoolQueueCapacity", 50000;
        default_thread_pool_queue_capacity: i32 = "defaultThreadPoolQueueCapacity", 10000;
        /// Milliseconds between broker-expiry scans (4.9.8 had a fixed 10 s).
        scan_not_active_broker_interval: i64 = "scanNotActiveBrokerInterval", 5000;
        un_register_broker_queue_capacity: i32 = "unRegisterBrokerQueueCapacity", 3000;
        support_acting_master: bool = "supportActingMaster", false;
        enable_all_topic_list: bool = "enableAllTopicList", true;
        enable_topic_list: bool = "enableTopicList", true;
        notify_min_broker_id_changed: bool = "notifyMinBrokerIdChanged", false;
        enable_controller_in_namesrv: bool = "enableControllerInNamesrv", false;
        need_wait_for_service: bool = "needWaitForService", false;
        wait_seconds_for_service: i32 = "waitSecondsForService", 45;
        delete_topic_with_broker_registration: bool = "deleteTopicWithBrokerRegistration", false;
        config_black_list: String = "configBlackList", "configBlackList;configStorePath;kvConfigPath".to_string();
    }
    /// Java `NettyServerConfig`. Acting: `bindAddress`, `listenPort` (9876 as `NamesrvStartup`
    /// sets it before reading the file).
    group NettyServer {
        bind_address: String = "bindAddress", "0.0.0.0".to_string();
        listen_port: i32 = "listenPort", 9876;
        server_worker_threads: i32 = "serverWorkerThreads", 8;
        server_callback_executor_threads: i32 = "serverCallbackExecutorThreads", 0;
        server_selector_threads: i32 = "serverSelectorThreads", 3;
        server_oneway_semaphore_value: i32 = "serverOnewaySemaphoreValue", 256;
        server_async_semaphore_value: i32 = "serverAsyncSemaphoreValue", 64;
        server_channel_max_idle_time_seconds: i32 = "serverChannelMaxIdleTimeSeconds", 120;
        server_socket_snd_buf_size: i32 = "serverSocketSndBufSize", 0;
        server_socket_rcv_buf_size: i32 = "serverSocketRcvBufSize", 0;
        write_buffer_high_water_mark: i32 = "writeBufferHighWaterMark", 0;
        write_buffer_low_water_mark: i32 = "writeBufferLowWaterMark", 0;
        server_socket_backlog: i32 = "serverSocketBacklog", 1024;
        server_netty_worker_group_enable: bool = "serverNettyWorkerGroupEnable", true;
        server_pooled_byte_buf_allocator_enable: bool = "serverPooledByteBufAllocatorEnable", true;
        enable_shutdown_gracefully: bool = "enableShutdownGracefully", false;
        shutdown_wait_time_seconds: i32 = "shutdownWaitTimeSeconds", 30;
        use_epoll_native_selector: bool = "useEpollNativeSelector", false;
    }
    /// Java `NettyClientConfig` (the NameServer's outbound client; none act in Thrust). Its
    /// `writeBufferHighWaterMark`/`writeBufferLowWaterMark` share their keys with the server
    /// group above (one key sets both objects in Java), so they are declared there only.
    group NettyClient {
        client_worker_threads: i32 = "clientWorkerThreads", 4;
        client_callback_executor_threads: i32 = "clientCallbackExecutorThreads", available_cpus();
        client_oneway_semaphore_value: i32 = "clientOnewaySemaphoreValue", 65535;
        client_async_semaphore_value: i32 = "clientAsyncSemaphoreValue", 65535;
        connect_timeout_millis: i32 = "connectTimeoutMillis", 3000;
        channel_not_active_interval: i64 = "channelNotActiveInterval", 60000;
        /// Java field `isScanAvailableNameSrv`, setter `setScanAvailableNameSrv`.
        scan_available_name_srv: bool = "scanAvailableNameSrv", true;
        client_channel_max_idle_time_seconds: i32 = "clientChannelMaxIdleTimeSeconds", 120;
        client_socket_snd_buf_size: i32 = "clientSocketSndBufSize", 0;
        client_socket_rcv_buf_size: i32 = "clientSocketRcvBufSize", 0;
        client_pooled_byte_buf_allocator_enable: bool = "clientPooledByteBufAllocatorEnable", false;
        client_close_socket_if_timeout: bool = "clientCloseSocketIfTimeout", true;
        use_tls: bool = "useTLS", false;
        socks_proxy_config: String = "socksProxyConfig", "{}".to_string();
        disable_callback_executor: bool = "disableCallbackExecutor", false;
        disable_netty_worker_group: bool = "disableNettyWorkerGroup", false;
        max_reconnect_interval_time_seconds: i64 = "maxReconnectIntervalTimeSeconds", 60;
        enable_reconnect_for_go_away: bool = "enableReconnectForGoAway", true;
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
    /// `NamesrvConfig` and `NettyServerConfig` fields plus the file's other keys), sorted by key,
    /// nulls omitted.
    pub fn properties(&self, extra: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut all = extra.clone();
        for (key, group) in Self::KEYS {
            if *group == Group::NettyClient {
                continue;
            }
            if let Some(v) = self.get(key) {
                all.insert(key.to_string(), v);
            }
        }
        all
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
    fn black_list() {
        let c = NamesrvConfig::default();
        assert!(c.is_black_listed("kvConfigPath"));
        assert!(c.is_black_listed("rocketmqHome"));
        assert!(!c.is_black_listed("orderMessageEnable"));
    }
}
