//! Runs the `mqbroker` binary as scripts do with a config file that sets a value Thrust does not
//! support yet: start-up stops before anything is written, exit 255, the key named.

use std::path::Path;
use std::process::{Command, Output};

use broker::config::BrokerConfig;
use remoting::config_effect::Effect;

const BIN: &str = env!("CARGO_BIN_EXE_mqbroker");

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("thrust-mqbroker-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `mqbroker -c <conf>`; a broker that boots instead of refusing is killed past the
/// deadline and fails the test.
fn run_with(dir: &Path, conf_text: &str) -> Output {
    let conf = dir.join("broker.conf");
    std::fs::write(&conf, conf_text).unwrap();
    crate::child::run(
        Command::new(BIN)
            .arg("-c")
            .arg(&conf)
            .env("ROCKETMQ_HOME", dir)
            .env("HOME", dir),
    )
}

/// A value the table refuses for `key`: the other boolean, another number, any other text.
fn refused_value(key: &str, effect: Effect) -> Option<String> {
    let value = match effect {
        Effect::Honoured | Effect::NoEffect(_) => return None,
        // The exporters Thrust does not have; every other conditional key is a path list.
        Effect::RefusedWhen { .. } if key == "metricsExporterType" => "OTLP_GRPC".to_string(),
        Effect::RefusedWhen { .. } => "/data/a,/data/b".to_string(),
        Effect::DefaultOnly(_) => match BrokerConfig::default_text(key).as_deref() {
            Some("false") => "true".into(),
            Some("true") => "false".into(),
            Some("ASYNC_MASTER") => "SYNC_MASTER".into(),
            Some("DISABLE") => "PROM".into(),
            Some(n) if n.parse::<i64>().is_ok() => "3".into(),
            Some("v1") => "v2".into(),
            Some("default") => "defaultRocksDB".into(),
            _ => "x".into(),
        },
    };
    Some(value)
}

#[test]
fn every_unsupported_value_stops_start_up_naming_the_key() {
    let dir = temp_dir("refuse");
    let store = dir.join("store");
    let base = format!(
        "brokerName=broker-r\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\nlistenPort=0\n\
         storePathRootDir={}\n",
        store.display()
    );
    let cases: Vec<(String, String)> = BrokerConfig::keys()
        .iter()
        .filter_map(|k| refused_value(k.name, k.effect).map(|v| (k.name.to_string(), v)))
        .collect();
    assert!(cases.len() > 30, "{cases:?}");
    for (key, value) in &cases {
        let out = run_with(&dir, &format!("{base}{key}={value}\n"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let shown = value.lines().next().unwrap_or_default();
        assert_eq!(out.status.code(), Some(255), "{key}={value}: {stdout}");
        assert!(
            stdout.contains(&format!("config key {key}={shown} is not supported yet")),
            "{key}={value}: {stdout}"
        );
        assert!(!store.exists(), "{key}={value}: the store was touched");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
