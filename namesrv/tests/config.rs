//! Black-box: UPDATE_NAMESRV_CONFIG refuses the values start-up refuses (a feature Thrust does
//! not have yet), naming the key, and changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use remoting::code::{request as rq, response};
use remoting::{Client, Command};

#[tokio::test]
async fn update_refuses_unsupported_values_and_changes_nothing() {
    let dir = temp_dir("unsupported");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    let ok = Command::request(rq::UPDATE_NAMESRV_CONFIG)
        .with_body(b"orderMessageEnable=true\n".to_vec());
    assert_eq!(call(&client, &addr, ok).await.code, response::SUCCESS);
    let stored = std::fs::read_to_string(dir.join("namesrv.properties")).unwrap();
    for key in [
        "clusterTest",
        "enableControllerInNamesrv",
        "notifyMinBrokerIdChanged",
        "useTLS",
    ] {
        let update = Command::request(rq::UPDATE_NAMESRV_CONFIG)
            .with_body(format!("orderMessageEnable=false\n{key}=true\n").into_bytes());
        let reply = call(&client, &addr, update).await;
        assert_eq!(reply.code, response::SYSTEM_ERROR, "{key}: {reply:?}");
        let remark = reply.remark.unwrap_or_default();
        assert!(
            remark.starts_with(&format!("config key {key}=true is not supported yet")),
            "{remark}"
        );
    }
    let text = body_text(&call(&client, &addr, Command::request(rq::GET_NAMESRV_CONFIG)).await);
    assert!(
        text.contains("orderMessageEnable=true\n"),
        "nothing applied: {text}"
    );
    assert!(text.contains("clusterTest=false\n"), "{text}");
    assert_eq!(
        std::fs::read_to_string(dir.join("namesrv.properties")).unwrap(),
        stored,
        "the config file is unchanged"
    );
    ns.shutdown().await;
}

/// Out-of-range values and keys read once at start-up are refused, naming the key.
#[tokio::test]
async fn update_refuses_out_of_range_and_start_only_keys() {
    let dir = temp_dir("ranges");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    let stored = std::fs::read_to_string(dir.join("namesrv.properties")).ok();
    for (body, says) in [
        (
            "scanNotActiveBrokerInterval=-1\n",
            "config key scanNotActiveBrokerInterval: bad value \"-1\": must be at least 1",
        ),
        (
            "listenPort=-5\n",
            "config key listenPort: bad value \"-5\": must be between 0 and 65535",
        ),
        (
            "listenPort=19999\n",
            "config key listenPort is read at start-up only",
        ),
        (
            "scanNotActiveBrokerInterval=1000\n",
            "config key scanNotActiveBrokerInterval is read at start-up only",
        ),
        (
            "bindAddress=0.0.0.0\n",
            "config key bindAddress is read at start-up only",
        ),
    ] {
        let update =
            Command::request(rq::UPDATE_NAMESRV_CONFIG).with_body(body.as_bytes().to_vec());
        let reply = call(&client, &addr, update).await;
        assert_eq!(reply.code, response::SYSTEM_ERROR, "{body}: {reply:?}");
        let remark = reply.remark.unwrap_or_default();
        assert!(remark.starts_with(says), "{body}: {remark}");
    }
    let text = body_text(&call(&client, &addr, Command::request(rq::GET_NAMESRV_CONFIG)).await);
    assert!(
        text.contains("scanNotActiveBrokerInterval=5000\n"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("namesrv.properties")).ok(),
        stored,
        "the config file is unchanged"
    );
    ns.shutdown().await;
}
