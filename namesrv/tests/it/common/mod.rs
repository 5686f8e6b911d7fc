//! Shared helpers for the NameServer's black-box tests: boot a server on 127.0.0.1:0 with its
//! files in a fresh temporary directory, and build the requests a Java broker or mqadmin sends.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use namesrv::{ConfigState, NamesrvConfig, Running};
use remoting::code::request as rq;
use remoting::headers::namesrv::RegisterBrokerRequestHeader;
use remoting::{Client, Command};

pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A fresh directory for one test's kvConfig.json and namesrv.properties.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("thrust-namesrv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn config(dir: &Path) -> NamesrvConfig {
    NamesrvConfig {
        bind_address: "127.0.0.1".into(),
        listen_port: 0,
        kv_config_path: dir.join("kvConfig.json").to_string_lossy().into_owned(),
        config_store_path: dir
            .join("namesrv.properties")
            .to_string_lossy()
            .into_owned(),
        ..Default::default()
    }
}

pub async fn boot_with(config: NamesrvConfig) -> (Running, String) {
    let running = namesrv::start(ConfigState {
        config,
        extra: Default::default(),
    })
    .await
    .unwrap();
    let addr = running.local_addr.to_string();
    (running, addr)
}

pub async fn boot(dir: &Path) -> (Running, String) {
    boot_with(config(dir)).await
}

pub async fn call(client: &Client, addr: &str, cmd: Command) -> Command {
    client.invoke(addr, cmd, TIMEOUT).await.unwrap()
}

/// A 4.9.8-shaped registration body with the given topics (name, queues, perm).
pub fn register_body(counter: i64, topics: &[(&str, i32, i32)]) -> Vec<u8> {
    let table: Vec<String> = topics
        .iter()
        .map(|(t, q, p)| {
            format!(
                r#""{t}":{{"order":false,"perm":{p},"readQueueNums":{q},"topicFilterType":"SINGLE_TAG","topicName":"{t}","topicSysFlag":0,"writeQueueNums":{q}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"filterServerList":[],"topicConfigSerializeWrapper":{{"dataVersion":{{"counter":{counter},"timestamp":1700000000000}},"topicConfigTable":{{{}}}}}}}"#,
        table.join(",")
    )
    .into_bytes()
}

pub fn register_header(name: &str, id: i64, addr: &str) -> RegisterBrokerRequestHeader {
    RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: format!("{}-ha", addr),
        broker_id: id,
        heartbeat_timeout_millis: None,
        enable_acting_master: None,
        compressed: false,
        body_crc32: 0,
    }
}

pub fn register(name: &str, id: i64, addr: &str, body: Vec<u8>) -> Command {
    Command::request(rq::REGISTER_BROKER)
        .with_header(&register_header(name, id, addr))
        .with_body(body)
}

pub const TOPICS: &[(&str, i32, i32)] = &[("TopicTest", 4, 6), ("TBW102", 8, 7)];

pub fn route_request(topic: &str) -> Command {
    Command::request(rq::GET_ROUTEINFO_BY_TOPIC).with_ext("topic", topic)
}

pub fn body_text(cmd: &Command) -> String {
    String::from_utf8(cmd.body.as_deref().unwrap_or_default().to_vec()).unwrap()
}
