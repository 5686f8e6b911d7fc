//! The broker's configuration: every key declared once (Java name, type, default) in
//! [`config_keys.rs`](crate::config_keys); parse, print and update are generated from that table.
//!
//! Java applies a `-c` file to `BrokerConfig`, `NettyServerConfig`, `NettyClientConfig` and
//! `MessageStoreConfig` by setter name (`MixAll.properties2Object`); here the four live in one
//! struct and each key says which Java class it belongs to (for `-p`/`-m` and for the store).
//! Differences from Java, on purpose: unknown keys are warned about (Java ignores them silently)
//! and a value Java could not parse is refused with the key named (Java silently keeps the default).

use std::fmt;

use remoting::config_effect::{at_start, check_range, Effect, Rule};
use remoting::props;
pub use remoting::props::ConfigValue;

pub use crate::config_keys::BrokerConfig;
pub use crate::config_values::{
    BrokerRole, FlushDiskType, MessageRequestMode, MetricsExporterType,
};

/// Which Java class declares a key: decides the `-p` grouping and what the store receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Broker,
    NettyServer,
    NettyClient,
    Store,
    /// Java `AuthConfig`: read from the `-c` file at start-up, but not part of Java's
    /// `Configuration`, so listed (`GET_BROKER_CONFIG`, `-p`) only as the file's own text.
    Auth,
    /// Keys Thrust adds, which no Java class has (`docs/config.md`). `GET_BROKER_CONFIG` lists
    /// one only as the file's own text, as Java lists a key it does not know, so a default
    /// configuration lists exactly Java's keys; `-p` prints them.
    Thrust,
}

/// One declared key, as the generated table describes it.
#[derive(Debug, Clone, Copy)]
pub struct KeyInfo {
    pub name: &'static str,
    pub section: Section,
    /// Java's `@ImportantField`: printed by `-m`.
    pub important: bool,
    /// What the key does in Thrust.
    pub effect: Effect,
    /// What its value must satisfy and whether an update may change it.
    pub rules: &'static [Rule],
}

impl KeyInfo {
    /// The name Java lists the key under (`GET_BROKER_CONFIG`, `-p`): its field's name, which
    /// differs from the setter-derived key for two boolean `is…` fields.
    pub fn listed_name(&self) -> &'static str {
        match self.name {
            "scanAvailableNameSrv" => "isScanAvailableNameSrv",
            "inBrokerContainer" => "isInBrokerContainer",
            name => name,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("config key {key}: bad value {value:?}: {reason}")]
    BadValue {
        key: String,
        value: String,
        reason: String,
    },
    /// An update changing a key the broker reads once at start-up ([`Rule::AtStart`]).
    #[error("config key {key} is read at start-up only: change it in the config file and restart the broker")]
    AtStart { key: String },
    /// A value that turns on a feature Thrust does not have yet ([`Effect`]).
    #[error("{message}")]
    Unsupported { key: String, message: String },
    #[error("config file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: IoErrorEq,
    },
}

/// `std::io::Error` wrapper so [`ConfigError`] can derive `PartialEq` for tests.
#[derive(Debug)]
pub struct IoErrorEq(pub std::io::Error);
impl PartialEq for IoErrorEq {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind()
    }
}
impl Eq for IoErrorEq {}
impl fmt::Display for IoErrorEq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
impl std::error::Error for IoErrorEq {}

/// What applying a properties text did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Keys that no Java config class of ours declares; kept for `GET_BROKER_CONFIG` like Java
    /// keeps them in its `Configuration`, but otherwise without effect.
    pub unknown: Vec<String>,
}

impl BrokerConfig {
    /// Applies `key=value` pairs; a value that does not parse refuses the whole set.
    pub fn apply(&mut self, pairs: &[(String, String)]) -> Result<Applied, ConfigError> {
        let mut applied = Applied::default();
        for (key, value) in pairs {
            let bad = |reason| ConfigError::BadValue {
                key: key.clone(),
                value: value.clone(),
                reason,
            };
            let declared = self.set(key, value).map_err(bad)?;
            if let Some(k) = Self::key_info(key) {
                check_range(k.rules, &self.get(key).unwrap_or_default()).map_err(bad)?;
            }
            if !declared {
                applied.unknown.push(key.clone());
            }
            // Java lists the file's own text for every key, and a field's value under the
            // field's name: the text shows alone for keys outside its `Configuration` objects,
            // and beside the value for the two set under another name than they are listed.
            if !declared || Self::is_listed_apart(key) {
                match self.extra.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1 = value.clone(),
                    None => self.extra.push((key.clone(), value.clone())),
                }
            }
        }
        Ok(applied)
    }

    /// Applies an `UPDATE_BROKER_CONFIG` body's pairs: refused as a whole, leaving `self`
    /// unchanged, when a value does not parse or is not supported.
    pub fn update(&mut self, pairs: &[(String, String)]) -> Result<Applied, ConfigError> {
        let mut next = self.clone();
        let applied = next.apply(pairs)?;
        next.check_supported()?;
        for (key, _) in pairs {
            let fixed = Self::key_info(key).is_some_and(|k| at_start(k.rules));
            if fixed && next.get(key) != self.get(key) {
                return Err(ConfigError::AtStart { key: key.clone() });
            }
        }
        *self = next;
        Ok(applied)
    }

    /// Refuses a value that turns on a feature Thrust does not have yet (the key table's
    /// [`Effect`]), naming the key; start-up and `UPDATE_BROKER_CONFIG` both check this.
    pub fn check_supported(&self) -> Result<(), ConfigError> {
        for k in Self::keys() {
            if matches!(k.effect, Effect::Honoured | Effect::NoEffect(_)) {
                continue;
            }
            let value = self.get(k.name).unwrap_or_default();
            let default = Self::default_text(k.name).unwrap_or_default();
            if k.effect.refuses(&value, &default) {
                return Err(ConfigError::Unsupported {
                    key: k.name.to_string(),
                    message: k.effect.refusal(k.name, &value, &default),
                });
            }
        }
        Ok(())
    }

    /// The declared key named `key`.
    pub fn key_info(key: &str) -> Option<&'static KeyInfo> {
        Self::keys().iter().find(|k| k.name == key)
    }

    fn is_listed_apart(key: &str) -> bool {
        Self::keys()
            .iter()
            .find(|k| k.name == key)
            .is_some_and(|k| {
                matches!(k.section, Section::Auth | Section::Thrust) || k.listed_name() != k.name
            })
    }

    /// Parses properties text (a `-c` file or an `UPDATE_BROKER_CONFIG` body) and applies it.
    pub fn apply_text(&mut self, text: &str) -> Result<Applied, ConfigError> {
        self.apply(&props::parse(text))
    }

    /// Reads and applies a `-c` file.
    pub fn load_file(&mut self, path: &str) -> Result<Applied, ConfigError> {
        let text = std::fs::read(path).map_err(|e| ConfigError::Io {
            path: path.to_string(),
            source: IoErrorEq(e),
        })?;
        // Java reads the file as ISO-8859-1; ASCII (all real configs) reads the same either way.
        self.apply_text(&String::from_utf8_lossy(&text))
    }

    /// `name=value` lines of every key (`-p`), or only the important ones (`-m`), in table
    /// order, null as empty (Java `MixAll.printObjectProperties`).
    pub fn print_lines(&self, only_important: bool) -> Vec<String> {
        Self::keys()
            .iter()
            .filter(|k| k.section != Section::Auth && (!only_important || k.important))
            .map(|k| {
                let value = self.get(k.name).unwrap_or_default();
                format!("{}={value}", k.listed_name())
            })
            .collect()
    }

    /// Every key and value as properties text, unescaped like Java `MixAll.properties2String`
    /// (`GET_BROKER_CONFIG` body, Java `Configuration.getAllConfigsFormatString`).
    pub fn to_properties(&self) -> String {
        let pairs = self.all_pairs();
        props::render(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// Every key and value as properties text for the `-c` file an update persists, escaped so
    /// that a value with a backslash or line break (a Windows path) reads back unchanged.
    pub fn to_properties_file(&self) -> String {
        let pairs = self.all_pairs();
        props::render_escaped(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// Java `Configuration.getAllConfigsInternal`: the file's keys, overridden by every declared
    /// key under its listed name, nulls left out, sorted by key.
    fn all_pairs(&self) -> Vec<(String, String)> {
        let mut all: std::collections::BTreeMap<String, String> =
            self.extra.iter().cloned().collect();
        let listed = |k: &&KeyInfo| !matches!(k.section, Section::Auth | Section::Thrust);
        for k in Self::keys().iter().filter(listed) {
            if let Some(value) = self.get(k.name) {
                all.insert(k.listed_name().to_string(), value);
            }
        }
        all.into_iter().collect()
    }

    /// Java's startup checks and fix-ups (`BrokerStartup`): an unsupported value stops the start,
    /// masters are id 0, a slave's id must be above 0 and its `accessMessageInMemoryMaxRatio`
    /// is lowered by 10, the HA port defaults to listen+1.
    pub fn finish(&mut self) -> Result<(), ConfigError> {
        self.check_supported()?;
        if self.broker_role == BrokerRole::Slave {
            self.access_message_in_memory_max_ratio -= 10;
        }
        // Java: in controller mode the controller assigns role and id.
        match self.broker_role {
            _ if self.enable_controller_mode => {}
            BrokerRole::AsyncMaster | BrokerRole::SyncMaster => self.broker_id = 0,
            BrokerRole::Slave if self.broker_id <= 0 => {
                return Err(ConfigError::BadValue {
                    key: "brokerId".into(),
                    value: self.broker_id.to_string(),
                    reason: "Slave's brokerId must be > 0".into(),
                })
            }
            BrokerRole::Slave => {}
        }
        if self.ha_listen_port <= 0 {
            self.ha_listen_port = self.listen_port + 1;
        }
        Ok(())
    }

    /// The file an update persists to (Java `BrokerController`): `brokerConfigPath` when set,
    /// else the `-c` file.
    pub fn persist_path(&self) -> Option<&str> {
        self.broker_config_path
            .as_deref()
            .filter(|p| !p.is_empty())
            .or(self.config_file.as_deref())
    }

    /// `brokerIP1:listenPort`, the address clients and offset msgIds use.
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1, self.listen_port)
    }

    /// `brokerIP2:haListenPort`.
    pub fn ha_server_addr(&self) -> String {
        format!("{}:{}", self.broker_ip2, self.ha_listen_port)
    }

    /// `namesrvAddr` split on `;`, blanks dropped.
    pub fn namesrv_list(&self) -> Vec<String> {
        self.namesrv_addr
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn is_master(&self) -> bool {
        self.broker_role != BrokerRole::Slave
    }
}

/// Java `BrokerStartup` validates every NameServer address as `host:port`.
pub fn validate_namesrv_addr(list: &str) -> Result<(), String> {
    for addr in list.split(';').filter(|a| !a.trim().is_empty()) {
        let ok = addr
            .rsplit_once(':')
            .map(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
            .unwrap_or(false);
        if !ok {
            return Err(format!(
                "The Name Server Address[{list}] illegal, please set it as follows, \"127.0.0.1:9876;192.168.0.1:9876\""
            ));
        }
    }
    Ok(())
}

/// Java `NetworkUtil.getLocalAddress` picks a non-loopback IPv4; the route-based address of a
/// connected UDP socket (no packet is sent) is the same choice on ordinary hosts.
pub(crate) fn local_address() -> String {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("10.254.254.254:1").map(|_| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|_| "127.0.0.1".to_string())
}

/// Java `BrokerIdentity.defaultBrokerName`: the local host name.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "DEFAULT_BROKER".to_string())
}

pub(crate) fn processors() -> i32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as i32)
        .unwrap_or(1)
}

pub(crate) fn home_dir() -> String {
    std::env::var("HOME").unwrap_or_else(|_| ".".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_java() {
        let c = BrokerConfig::default();
        assert_eq!(c.listen_port, 10911);
        assert_eq!(c.broker_cluster_name, "DefaultCluster");
        assert_eq!(c.default_topic_queue_nums, 8);
        assert!(c.auto_create_topic_enable);
        assert_eq!(c.max_message_size, 4 * 1024 * 1024);
        assert_eq!(c.register_name_server_period, 30_000);
        assert_eq!(c.broker_role, BrokerRole::AsyncMaster);
        assert_eq!(c.region_id, "DefaultRegion");
    }

    #[test]
    fn applies_java_sample_and_trims_strings() {
        let mut c = BrokerConfig::default();
        let text = "brokerClusterName = DefaultCluster\nbrokerName = broker-a  \nbrokerId = 0\n\
                    deleteWhen = 04\nfileReservedTime = 48\nbrokerRole = ASYNC_MASTER\n\
                    flushDiskType = SYNC_FLUSH\nlistenPort=10999\nnoSuchKey=1\n";
        let applied = c.apply_text(text).unwrap();
        assert_eq!(c.broker_name, "broker-a");
        assert_eq!(c.file_reserved_time, 48);
        assert_eq!(c.flush_disk_type, FlushDiskType::SyncFlush);
        assert_eq!(c.listen_port, 10999);
        assert_eq!(applied.unknown, vec!["noSuchKey".to_string()]);
        assert!(
            c.to_properties().contains("noSuchKey=1\n"),
            "unknown keys are kept"
        );
        c.finish().unwrap();
        assert_eq!(c.ha_listen_port, 11000);
    }

    #[test]
    fn bad_values_are_refused_naming_the_key() {
        let mut c = BrokerConfig::default();
        let err = c.apply_text("listenPort=10911x\n").unwrap_err();
        assert!(
            matches!(&err, ConfigError::BadValue { key, .. } if key == "listenPort"),
            "{err}"
        );
        // Surrounding blanks are not an error (Java would silently drop the whole value).
        c.apply_text("listenPort=10912 \n").unwrap();
        assert_eq!(c.listen_port, 10912);
        let err = c.apply_text("autoCreateTopicEnable=yes").unwrap_err();
        assert!(err.to_string().contains("autoCreateTopicEnable"));
        let err = c.apply_text("brokerRole=MASTER").unwrap_err();
        assert!(err.to_string().contains("brokerRole"));
    }

    #[test]
    fn roles_fix_ids_and_the_slave_ratio_as_broker_startup_does() {
        let mut c = BrokerConfig::default();
        c.apply_text("brokerRole=SYNC_MASTER\nbrokerId=3").unwrap();
        c.finish().unwrap();
        assert_eq!(c.broker_id, 0, "a master is id 0, as in Java");
        assert_eq!(c.access_message_in_memory_max_ratio, 40);
        let mut c = BrokerConfig::default();
        c.apply_text("brokerRole=SLAVE\nbrokerId=2\naccessMessageInMemoryMaxRatio=5")
            .unwrap();
        c.finish().unwrap();
        assert_eq!(c.broker_id, 2);
        assert_eq!(
            c.access_message_in_memory_max_ratio, -5,
            "BrokerStartup lowers a slave's ratio by 10"
        );
        let mut c = BrokerConfig::default();
        c.apply_text("brokerRole=SLAVE\nbrokerId=0").unwrap();
        let err = c.finish().unwrap_err();
        assert!(
            err.to_string().contains("Slave's brokerId must be > 0"),
            "{err}"
        );
    }

    #[test]
    fn every_refusable_key_refuses_a_changed_value_by_name() {
        assert_eq!(BrokerConfig::default().check_supported(), Ok(()));
        let mut refusable = 0;
        for k in BrokerConfig::keys() {
            let value = match k.effect {
                Effect::DefaultOnly(_) => match BrokerConfig::default_text(k.name).as_deref() {
                    Some("false") => "true".to_string(),
                    Some("true") => "false".to_string(),
                    Some("ASYNC_MASTER") => "SLAVE".to_string(),
                    Some(n) if n.parse::<i32>().is_ok() => "2".to_string(),
                    _ => "x".to_string(),
                },
                Effect::RefusedWhen { .. } if k.name == "metricsExporterType" => "LOG".to_string(),
                Effect::RefusedWhen { .. } => "/a,/b".to_string(),
                Effect::Honoured | Effect::NoEffect(_) => continue,
            };
            refusable += 1;
            let mut c = BrokerConfig::default();
            c.set(k.name, &value).unwrap();
            let err = c.check_supported().unwrap_err();
            assert!(
                matches!(&err, ConfigError::Unsupported { key, .. } if key == k.name),
                "{}={value}: {err}",
                k.name
            );
            assert!(err.to_string().contains("is not supported yet"), "{err}");
        }
        assert!(refusable >= 30, "{refusable} refusable keys");
    }

    #[test]
    fn controller_mode_starts_with_either_read_un_committed() {
        let mut c = BrokerConfig::default();
        c.apply_text("enableControllerMode=true\nbrokerRole=SLAVE\nbrokerId=0\n")
            .unwrap();
        c.clone().finish().unwrap();
        c.read_un_committed = true;
        c.finish().unwrap();
        assert_eq!(c.broker_id, 0, "the controller assigns the id");
        let mut d = BrokerConfig::default();
        d.apply_text("enableDLegerCommitLog=true\n").unwrap();
        let err = d.finish().unwrap_err().to_string();
        assert!(
            err.contains("enableControllerMode=true is the supported way"),
            "{err}"
        );
    }

    #[test]
    fn an_update_with_an_unsupported_value_changes_nothing() {
        let mut c = BrokerConfig::default();
        let pairs = vec![
            ("fileReservedTime".to_string(), "1".to_string()),
            ("enableDLegerCommitLog".to_string(), "true".to_string()),
        ];
        let err = c.update(&pairs).unwrap_err();
        assert!(
            err.to_string().contains("enableDLegerCommitLog=true"),
            "{err}"
        );
        assert_eq!(c.file_reserved_time, 72);
        assert!(!c.enable_d_leger_commit_log);
        c.update(&pairs[..1]).unwrap();
        assert_eq!(c.file_reserved_time, 1);
    }

    #[test]
    fn lists_every_java_key_once_sorted_without_nulls() {
        let mut c = BrokerConfig {
            rocketmq_home: Some("/opt/rmq".into()),
            namesrv_addr: Some("127.0.0.1:9876".into()),
            ..BrokerConfig::default()
        };
        assert!(
            !c.to_properties().contains("storePathCommitLog="),
            "null by default"
        );
        c.store_path_commit_log = Some("/opt/rmq/store/commitlog".into());
        let text = c.to_properties();
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys.len(),
            411,
            "Java 5.3.3 GET_BROKER_CONFIG lists 411 keys"
        );
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        for listed in [
            "isScanAvailableNameSrv",
            "isInBrokerContainer",
            "isBrokerContainer",
        ] {
            assert!(keys.contains(&listed), "{listed}");
        }
        for null in ["haMasterAddress", "dLegerGroup", "brokerConfigPath"] {
            assert!(!keys.contains(&null), "{null} is null and not listed");
        }
        assert!(
            !keys.contains(&"authenticationEnabled"),
            "AuthConfig is not listed"
        );
        assert!(text.contains("\nlogicalDiskSpaceCleanForciblyThreshold=0.8\n"));
        assert!(text.contains("\nbitMapLengthConsumeQueueExt=112\n"));
    }

    #[test]
    fn listed_names_and_auth_keys_follow_java() {
        let mut c = BrokerConfig::default();
        let applied = c
            .apply_text("scanAvailableNameSrv=false\nisScanAvailableNameSrv=true\nauthenticationProvider=p\n")
            .unwrap();
        assert_eq!(applied.unknown, vec!["isScanAvailableNameSrv".to_string()]);
        assert!(!c.scan_available_name_srv);
        let text = c.to_properties();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("canAvailableNameSrv"))
            .collect();
        assert_eq!(
            lines,
            ["isScanAvailableNameSrv=false", "scanAvailableNameSrv=false"]
        );
        assert!(
            text.contains("\nauthenticationProvider=p\n"),
            "the file's auth keys are listed"
        );
        assert_eq!(c.authentication_provider.as_deref(), Some("p"));
        let err = c.check_supported().unwrap_err();
        assert!(
            err.to_string().contains("authenticationProvider=p"),
            "a provider class Thrust does not have is refused by name: {err}"
        );
        c.apply_text(&format!(
            "authenticationEnabled=true\nauthenticationProvider={}",
            crate::config_reasons::AUTHN_PROVIDER
        ))
        .unwrap();
        assert!(c.check_supported().is_ok());
    }

    #[test]
    fn thrust_keys_are_listed_as_the_files_text_and_printed() {
        let mut c = BrokerConfig::default();
        assert_eq!(c.server_max_connections, 100_000);
        assert!(!c.to_properties().contains("serverMaxConnections"));
        assert!(c
            .print_lines(false)
            .contains(&"serverMaxConnections=100000".to_string()));
        c.apply_text("serverMaxConnections=5000").unwrap();
        assert_eq!(c.server_max_connections, 5000);
        assert!(c.to_properties().contains("\nserverMaxConnections=5000\n"));
        assert!(c.to_properties_file().contains("serverMaxConnections=5000"));
        let err = c.apply_text("serverMaxConnections=-1").unwrap_err();
        assert!(err.to_string().contains("serverMaxConnections"), "{err}");
        let err = c.update(&[("serverMaxConnections".into(), "10".into())]);
        assert!(err.is_err(), "read at start-up: an update is refused");
    }

    #[test]
    fn several_commit_log_directories_are_refused() {
        let mut c = BrokerConfig::default();
        c.apply_text("storePathCommitLog=/a/commitlog").unwrap();
        assert_eq!(c.check_supported(), Ok(()));
        c.apply_text("storePathCommitLog=/a/commitlog,/b/commitlog")
            .unwrap();
        let err = c.check_supported().unwrap_err();
        assert!(
            err.to_string().contains("several CommitLog directories"),
            "{err}"
        );
    }

    #[test]
    fn print_all_and_important() {
        let c = BrokerConfig::default();
        let all = c.print_lines(false);
        let important = c.print_lines(true);
        assert!(all.len() > important.len());
        assert!(important.iter().any(|l| l.starts_with("brokerName=")));
        assert!(!important
            .iter()
            .any(|l| l.starts_with("sendThreadPoolQueueCapacity=")));
        assert!(all.iter().any(|l| l == "maxMessageSize=4194304"));
        assert!(
            all.iter().any(|l| l == "haMasterAddress="),
            "null prints empty"
        );
    }

    #[test]
    fn wire_text_is_unescaped_and_file_text_round_trips() {
        let mut c = BrokerConfig::default();
        c.apply_text("storePathRootDir=C:\\\\store").unwrap();
        assert_eq!(c.store_path_root_dir, "C:\\store");
        assert!(c.to_properties().contains("\nstorePathRootDir=C:\\store\n"));
        let mut d = BrokerConfig::default();
        d.apply_text(&c.to_properties_file()).unwrap();
        assert_eq!(d.store_path_root_dir, "C:\\store");
    }

    #[test]
    fn properties_round_trip_through_update() {
        let mut c = BrokerConfig::default();
        c.apply_text("brokerName=b1\nmaxMessageSize=1024").unwrap();
        let mut d = BrokerConfig::default();
        d.apply_text(&c.to_properties()).unwrap();
        assert_eq!(d.broker_name, "b1");
        assert_eq!(d.max_message_size, 1024);
    }

    #[test]
    fn namesrv_validation() {
        assert!(validate_namesrv_addr("127.0.0.1:9876;10.0.0.1:9876").is_ok());
        assert!(validate_namesrv_addr("127.0.0.1").is_err());
        let c = BrokerConfig {
            namesrv_addr: Some("a:1; b:2;".into()),
            ..BrokerConfig::default()
        };
        assert_eq!(c.namesrv_list(), vec!["a:1", "b:2"]);
    }
}
