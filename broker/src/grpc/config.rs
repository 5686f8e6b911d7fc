//! The endpoint's keys: Java `ProxyConfig` names and defaults, read from the `-pc` JSON file
//! (`rmq-proxy.json`). Only the keys listed here are read; any other key of Java's `ProxyConfig`
//! stops the start naming it, since Thrust would not do what it asks.

use serde::Deserialize;

/// Java's `grpcServerPort` default.
pub const DEFAULT_GRPC_PORT: u16 = 8081;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// `local` (the endpoint serves this broker's queues in-process) is the only mode here.
    pub proxy_mode: String,
    /// In local mode, the broker's own cluster; any other name is refused.
    #[serde(rename = "rocketMQClusterName")]
    pub rocketmq_cluster_name: Option<String>,
    pub grpc_server_port: u16,
    pub max_message_size: i32,
    pub enable_message_body_empty_check: bool,
    pub max_user_property_size: i32,
    pub user_property_max_num: usize,
    pub max_message_group_size: usize,
    pub default_invisible_time_mills: i64,
    pub min_invisible_time_mills_for_recv: i64,
    pub max_invisible_time_mills: i64,
    pub max_delay_time_mills: i64,
    pub max_transaction_recovery_second: i64,
    /// How long a prepared message's place is kept for its EndTransaction (from the send, or
    /// from the broker's check), and how many per producer group and transaction id.
    pub transaction_data_expire_millis: i64,
    pub transaction_data_max_num: i32,
    pub enable_topic_message_type_check: bool,
    pub grpc_client_producer_max_attempts: i32,
    pub grpc_client_producer_backoff_initial_millis: i64,
    pub grpc_client_producer_backoff_max_millis: i64,
    pub grpc_client_producer_backoff_multiplier: i32,
    pub grpc_client_consumer_min_long_polling_timeout_millis: i64,
    pub grpc_client_consumer_max_long_polling_timeout_millis: i64,
    pub grpc_client_consumer_long_polling_batch_size: i32,
    /// A receive with `auto_renew` (the push consumer's) pops for
    /// `defaultInvisibleTimeMills` and the endpoint renews the handle until it is acked.
    pub enable_proxy_auto_renew: bool,
    pub renew_ahead_time_millis: i64,
    pub renew_max_time_millis: i64,
    /// TLS as Java's proxy serves it, in the process's `tls.server.mode` (`-Dtls.server.mode`
    /// in `JAVA_OPT`; permissive by default: TLS and plain text on the one port): a certificate
    /// of the endpoint's own in test mode, else the PEM files below.
    pub tls_test_mode_enable: bool,
    /// Default `<proxy home>/conf/tls/rocketmq.key` (see [`proxy_home`]).
    pub tls_key_path: Option<String>,
    /// Default `$RMQ_PROXY_HOME/conf/tls/rocketmq.crt`, likewise.
    pub tls_cert_path: Option<String>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            proxy_mode: "local".into(),
            rocketmq_cluster_name: None,
            grpc_server_port: DEFAULT_GRPC_PORT,
            max_message_size: 4 * 1024 * 1024,
            enable_message_body_empty_check: true,
            max_user_property_size: 16 * 1024,
            user_property_max_num: 128,
            max_message_group_size: 64,
            default_invisible_time_mills: 60_000,
            min_invisible_time_mills_for_recv: 10_000,
            max_invisible_time_mills: 12 * 3600 * 1000,
            max_delay_time_mills: 24 * 3600 * 1000,
            max_transaction_recovery_second: 3600,
            transaction_data_expire_millis: 30_000,
            transaction_data_max_num: 15,
            enable_topic_message_type_check: true,
            grpc_client_producer_max_attempts: 3,
            grpc_client_producer_backoff_initial_millis: 10,
            grpc_client_producer_backoff_max_millis: 1000,
            grpc_client_producer_backoff_multiplier: 2,
            grpc_client_consumer_min_long_polling_timeout_millis: 5_000,
            grpc_client_consumer_max_long_polling_timeout_millis: 20_000,
            grpc_client_consumer_long_polling_batch_size: 32,
            enable_proxy_auto_renew: true,
            renew_ahead_time_millis: 10_000,
            renew_max_time_millis: 3 * 3600 * 1000,
            tls_test_mode_enable: true,
            tls_key_path: None,
            tls_cert_path: None,
        }
    }
}

impl ProxyConfig {
    /// Reads a `-pc` file. An empty file is all defaults, as in Java.
    pub fn load(path: &str) -> Result<ProxyConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        Self::parse(&text).map_err(|e| format!("{path}: {e}"))
    }

    pub fn parse(text: &str) -> Result<ProxyConfig, String> {
        if text.trim().is_empty() {
            return Ok(ProxyConfig::default());
        }
        let cfg: ProxyConfig = serde_json::from_str(text).map_err(|e| {
            format!("{e} (the keys Thrust's gRPC endpoint reads are listed in docs/config.md)")
        })?;
        if !cfg.proxy_mode.eq_ignore_ascii_case("local") {
            return Err(format!(
                "proxyMode {}: only the local mode (the endpoint inside the broker) is served",
                cfg.proxy_mode
            ));
        }
        Ok(cfg)
    }

    /// The TLS key and certificate files, Java's defaults under the proxy home when unset.
    pub fn tls_paths(&self) -> (String, String) {
        let home = proxy_home(|k| std::env::var(k).ok(), &remoting::java_opts::from_env());
        let key = self.tls_key_path.clone();
        let cert = self.tls_cert_path.clone();
        (
            key.unwrap_or_else(|| format!("{home}/conf/tls/rocketmq.key")),
            cert.unwrap_or_else(|| format!("{home}/conf/tls/rocketmq.crt")),
        )
    }

    /// The checks that need the broker's own configuration.
    pub fn check_for(&self, cluster: &str) -> Result<(), String> {
        match self.rocketmq_cluster_name.as_deref() {
            Some(name) if name != cluster => Err(format!(
                "rocketMQClusterName {name}: the local-mode endpoint serves its broker's cluster \
                 ({cluster}) only"
            )),
            _ => Ok(()),
        }
    }
}

/// Java `ConfigurationManager.initEnv`: the `RMQ_PROXY_HOME` environment variable when not
/// empty, else the `-DRMQ_PROXY_HOME=` system property (from `java_opts`, the last one winning),
/// else `ROCKETMQ_HOME`, else `./`.
fn proxy_home(env: impl Fn(&str) -> Option<String>, java_opts: &str) -> String {
    if let Some(home) = env("RMQ_PROXY_HOME").filter(|h| !h.is_empty()) {
        return home;
    }
    remoting::java_opts::property(java_opts, "RMQ_PROXY_HOME")
        .map(str::to_string)
        .or_else(|| env("ROCKETMQ_HOME"))
        .unwrap_or_else(|| "./".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_java_keys_and_refuses_others() {
        let c = ProxyConfig::parse(
            r#"{"grpcServerPort": 18081, "minInvisibleTimeMillsForRecv": 1000,
                "rocketMQClusterName": "DefaultCluster"}"#,
        )
        .unwrap();
        assert_eq!(c.grpc_server_port, 18081);
        assert_eq!(c.min_invisible_time_mills_for_recv, 1000);
        assert!(c.check_for("DefaultCluster").is_ok());
        assert!(c.check_for("Other").is_err());
        let e = ProxyConfig::parse(r#"{"remotingListenPort": 8080}"#).unwrap_err();
        assert!(e.contains("remotingListenPort"), "{e}");
        assert!(ProxyConfig::parse(r#"{"proxyMode": "cluster"}"#).is_err());
        assert_eq!(ProxyConfig::parse("").unwrap(), ProxyConfig::default());
    }

    #[test]
    fn proxy_home_as_java_finds_it() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let opts = "-Xmx1g -DRMQ_PROXY_HOME=/a -DRMQ_PROXY_HOME=/b";
        assert_eq!(proxy_home(env(&[("RMQ_PROXY_HOME", "/env")]), opts), "/env");
        assert_eq!(proxy_home(env(&[("RMQ_PROXY_HOME", "")]), opts), "/b");
        assert_eq!(proxy_home(env(&[("ROCKETMQ_HOME", "/rmq")]), opts), "/b");
        assert_eq!(
            proxy_home(env(&[("ROCKETMQ_HOME", "/rmq")]), "-Dx=1"),
            "/rmq"
        );
        assert_eq!(proxy_home(env(&[]), ""), "./");
    }
}
