//! Configuration over the wire: GET_BROKER_CONFIG lists Java's keys, UPDATE_BROKER_CONFIG
//! refuses the values start-up refuses, and serverChannelMaxIdleTimeSeconds closes idle
//! connections.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::{Client, Command};
use tokio::io::AsyncReadExt;

fn body_text(cmd: &Command) -> String {
    String::from_utf8_lossy(cmd.body.as_deref().unwrap_or_default()).into_owned()
}

#[tokio::test]
async fn get_broker_config_lists_java_keys_sorted() {
    let tb = boot("cfg-get", "").await;
    let client = Client::new();
    let cfg = call(&client, &tb.addr, Command::request(rq::GET_BROKER_CONFIG)).await;
    let text = body_text(&cfg);
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted like Java");
    for key in [
        "popPollingSize",
        "metricsExporterType",
        "isScanAvailableNameSrv",
        "rocksdbCompressionType",
        "enableCompaction",
    ] {
        assert!(keys.contains(&key), "{key} listed");
    }
    assert!(
        !keys.contains(&"haMasterAddress"),
        "null values are not listed"
    );
    tb.stop().await;
}

#[tokio::test]
async fn update_refuses_unsupported_values_and_keeps_the_file() {
    let dir = temp_dir("cfg-upd");
    let file = dir.join("broker.conf");
    std::fs::write(&file, "fileReservedTime=48\n").unwrap();
    let mut cfg = config(&dir, "fileReservedTime=48\n");
    cfg.config_file = Some(file.display().to_string());
    let running = broker::start(cfg).await.unwrap();
    let client = Client::new();
    let addr = running.addr.clone();
    for (body, key) in [
        (
            "transientStorePoolEnable=true\n",
            "transientStorePoolEnable=true",
        ),
        (
            "fileReservedTime=1\nenableDLegerCommitLog=true\n",
            "enableDLegerCommitLog=true",
        ),
        ("enablePropertyFilter=true\n", "enablePropertyFilter=true"),
    ] {
        let upd = call(
            &client,
            &addr,
            Command::request(rq::UPDATE_BROKER_CONFIG).with_body(body.as_bytes().to_vec()),
        )
        .await;
        assert_eq!(upd.code, rc::SYSTEM_ERROR, "{body}: {upd:?}");
        let remark = upd.remark.clone().unwrap_or_default();
        assert!(
            remark.starts_with(&format!("config key {key} is not supported yet")),
            "{remark}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "fileReservedTime=48\n",
        "the -c file is unchanged"
    );
    let cfg = running.broker.config();
    assert_eq!(
        cfg.file_reserved_time, 48,
        "nothing of a refused update applies"
    );
    assert!(!cfg.enable_d_leger_commit_log);
    let ok = call(
        &client,
        &addr,
        Command::request(rq::UPDATE_BROKER_CONFIG).with_body(&b"fileReservedTime=24\n"[..]),
    )
    .await;
    assert_eq!(ok.code, rc::SUCCESS);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("\nfileReservedTime=24\n"));
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn idle_connections_close_after_server_channel_max_idle_time() {
    let tb = boot("cfg-idle", "serverChannelMaxIdleTimeSeconds=1\n").await;
    let mut idle = tokio::net::TcpStream::connect(&tb.addr).await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(30), idle.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the broker closes an idle connection: {read:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "not before the second"
    );
    tb.stop().await;
}

/// enablePropertyFilter stays false, so a non-TAG subscription gets Java's answer for that
/// setting: SYSTEM_ERROR naming the expression type, from a pull carrying the subscription, a
/// pull relying on the heartbeat's, and CHECK_CLIENT_CONFIG; no message is delivered.
#[tokio::test]
async fn sql92_subscriptions_get_javas_answer_with_property_filter_off() {
    let tb = boot("cfg-sql", "").await;
    let client = Client::new();
    let a = &tb.addr;
    call(&client, a, create_topic_cmd("SQ", 1, 6)).await;
    let sent = call(&client, a, send_cmd("SQ", 0, b"x", "a\u{1}1\u{2}")).await;
    assert_eq!(sent.code, rc::SUCCESS);
    let refused = Some("The broker does not support consumer to filter message by SQL92");

    let with_sub = pull_cmd("SQG", "SQ", 0, 0, 0x4, 0)
        .with_ext("subscription", "a > 0")
        .with_ext("expressionType", "SQL92");
    let r = call(&client, a, with_sub).await;
    assert_eq!((r.code, r.remark.as_deref()), (rc::SYSTEM_ERROR, refused));
    assert!(r.body.is_none(), "nothing delivered");

    let mut hb = heartbeat_cmd("c1", "SQG", "SQ", "*");
    let mut body: serde_json::Value = serde_json::from_slice(hb.body.as_deref().unwrap()).unwrap();
    let sub = &mut body["consumerDataSet"][0]["subscriptionDataSet"][0];
    sub["expressionType"] = "SQL92".into();
    sub["subString"] = "a > 0".into();
    hb.body = Some(serde_json::to_vec(&body).unwrap().into());
    assert_eq!(call(&client, a, hb).await.code, rc::SUCCESS);
    let r = call(&client, a, pull_cmd("SQG", "SQ", 0, 0, 0, 0)).await;
    assert_eq!((r.code, r.remark.as_deref()), (rc::SYSTEM_ERROR, refused));

    let check = serde_json::json!({
        "clientId": "c1", "group": "SQG",
        "subscriptionData": {"topic": "SQ", "subString": "a > 0", "expressionType": "SQL92",
            "classFilterMode": false, "codeSet": [], "tagsSet": [], "subVersion": 1}
    });
    let r = call(
        &client,
        a,
        Command::request(rq::CHECK_CLIENT_CONFIG).with_body(serde_json::to_vec(&check).unwrap()),
    )
    .await;
    assert_eq!((r.code, r.remark.as_deref()), (rc::SYSTEM_ERROR, refused));
    tb.stop().await;
}

/// Out-of-range values and keys read once at start-up are refused by an update, naming the key,
/// with the running values and the `-c` file unchanged; a store setting Java reads on every use
/// acts at once.
#[tokio::test]
async fn update_refuses_out_of_range_and_start_only_keys() {
    let dir = temp_dir("cfg-range");
    let file = dir.join("broker.conf");
    std::fs::write(&file, "fileReservedTime=48\n").unwrap();
    let mut cfg = config(&dir, "fileReservedTime=48\n");
    cfg.config_file = Some(file.display().to_string());
    let running = broker::start(cfg).await.unwrap();
    let client = Client::new();
    let addr = running.addr.clone();
    let before = running.broker.config();
    let other_root = dir.join("elsewhere").display().to_string();
    for (body, key, says) in [
        (
            "listenPort=-5\n",
            "listenPort",
            "must be between 0 and 65535",
        ),
        (
            "brokerPermission=999\n",
            "brokerPermission",
            "must be between 0 and 15",
        ),
        (
            "mappedFileSizeCommitLog=-1\n",
            "mappedFileSizeCommitLog",
            "must be at least",
        ),
        (
            "fileReservedTime=-3\n",
            "fileReservedTime",
            "must be at least 0",
        ),
        (
            "diskMaxUsedSpaceRatio=150\n",
            "diskMaxUsedSpaceRatio",
            "must be between 0 and 100",
        ),
        ("listenPort=10999\n", "listenPort", "read at start-up only"),
        (
            &format!("storePathRootDir={other_root}\n"),
            "storePathRootDir",
            "read at start-up only",
        ),
        (
            "fileReservedTime=12\nmappedFileSizeCommitLog=8192\n",
            "mappedFileSizeCommitLog",
            "read at start-up only",
        ),
        (
            "flushDiskType=SYNC_FLUSH\n",
            "flushDiskType",
            "read at start-up only",
        ),
    ] {
        let upd = call(
            &client,
            &addr,
            Command::request(rq::UPDATE_BROKER_CONFIG).with_body(body.as_bytes().to_vec()),
        )
        .await;
        assert_eq!(upd.code, rc::SYSTEM_ERROR, "{body}: {upd:?}");
        let remark = upd.remark.clone().unwrap_or_default();
        assert!(
            remark.starts_with(&format!("config key {key}")) && remark.contains(says),
            "{body}: {remark}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "fileReservedTime=48\n"
    );
    let now = running.broker.config();
    assert_eq!(
        now.to_properties(),
        before.to_properties(),
        "nothing applied"
    );
    assert_eq!(running.broker.store.config().file_reserved_time_hours, 48);
    assert!(!dir.join("elsewhere").exists());

    // The same value again is no change; a live store key acts at once.
    let body = format!(
        "listenPort={}\nfileReservedTime=6\nmaxMessageSize=2048\n",
        now.listen_port
    );
    let ok = call(
        &client,
        &addr,
        Command::request(rq::UPDATE_BROKER_CONFIG).with_body(body.into_bytes()),
    )
    .await;
    assert_eq!(ok.code, rc::SUCCESS, "{ok:?}");
    let store_cfg = running.broker.store.config();
    assert_eq!(store_cfg.file_reserved_time_hours, 6);
    assert_eq!(store_cfg.max_message_size, 2048);
    let big = call(&client, &addr, create_topic_cmd("CfgT", 1, 6)).await;
    assert_eq!(big.code, rc::SUCCESS);
    let sent = call(&client, &addr, send_cmd("CfgT", 0, &[1u8; 4000], "")).await;
    assert_eq!(
        sent.code,
        rc::MESSAGE_ILLEGAL,
        "the new maxMessageSize applies"
    );
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// conf/2m-2s-sync/ and conf/2m-2s-async/ hold Java's file names and keys, and every file
/// starts a broker of its role: masters with id 0, slaves with id 1 (no key unknown, no value
/// refused).
#[test]
fn two_group_sample_configs_load_as_java_roles() {
    use broker::config::{BrokerConfig, BrokerRole};
    let conf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../conf");
    for (dir, master) in [
        ("2m-2s-sync", BrokerRole::SyncMaster),
        ("2m-2s-async", BrokerRole::AsyncMaster),
    ] {
        for (file, name, slave) in [
            ("broker-a.properties", "broker-a", false),
            ("broker-a-s.properties", "broker-a", true),
            ("broker-b.properties", "broker-b", false),
            ("broker-b-s.properties", "broker-b", true),
        ] {
            let path = conf.join(dir).join(file);
            let mut cfg = BrokerConfig::default();
            let applied = cfg.load_file(&path.display().to_string()).unwrap();
            assert!(applied.unknown.is_empty(), "{dir}/{file}: {applied:?}");
            cfg.finish().unwrap();
            assert_eq!(cfg.broker_name, name, "{dir}/{file}");
            assert_eq!(cfg.broker_cluster_name, "DefaultCluster");
            let (role, id) = if slave {
                (BrokerRole::Slave, 1)
            } else {
                (master, 0)
            };
            assert_eq!((cfg.broker_role, cfg.broker_id), (role, id), "{dir}/{file}");
        }
    }
}
