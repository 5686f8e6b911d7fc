//! Black-box: UPDATE_NAMESRV_CONFIG refuses the values start-up refuses (a feature Thrust does
//! not have yet), naming the key, and changes nothing.

use crate::common;

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
    for key in ["clusterTest", "notifyMinBrokerIdChanged"] {
        let update = Command::request(rq::UPDATE_NAMESRV_CONFIG)
            .with_body(format!("orderMessageEnable=false\n{key}=true\n").into_bytes());
        let reply = call(&client, &addr, update).await;
        assert_eq!(reply.code, response::SYSTEM_ERROR, "{key}: {reply:?}");
        let remark = reply.remark.clone().unwrap_or_default();
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
        (
            "enableControllerInNamesrv=true\n",
            "config key enableControllerInNamesrv is read at start-up only",
        ),
    ] {
        let update =
            Command::request(rq::UPDATE_NAMESRV_CONFIG).with_body(body.as_bytes().to_vec());
        let reply = call(&client, &addr, update).await;
        assert_eq!(reply.code, response::SYSTEM_ERROR, "{body}: {reply:?}");
        let remark = reply.remark.clone().unwrap_or_default();
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

/// No request chooses a file: the path keys are never updatable, whatever `configBlackList`
/// says, and KV namespaces and keys stay inside `kvConfig.json`.
#[tokio::test]
async fn no_request_reaches_a_file_outside_its_place() {
    let root = temp_dir("paths");
    let dir = root.join("ns");
    let outside = root.join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), b"keep me").unwrap();
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    let victim = outside.join("victim").display().to_string();
    for key in [
        "kvConfigPath",
        "configStorePath",
        "rocketmqHome",
        "configBlackList",
    ] {
        let body = format!("configBlackList=\n{key}={victim}\n");
        let update = Command::request(rq::UPDATE_NAMESRV_CONFIG).with_body(body.into_bytes());
        let reply = call(&client, &addr, update).await;
        assert_eq!(reply.code, response::NO_PERMISSION, "{key}: {reply:?}");
    }
    for form in ["..", "../../outside/victim", &victim, "a/../../b", "..\\x"] {
        let put = Command::request(rq::PUT_KV_CONFIG)
            .with_ext("namespace", form)
            .with_ext("key", form)
            .with_ext("value", "v");
        assert_eq!(call(&client, &addr, put).await.code, response::SUCCESS);
        let del = Command::request(rq::DELETE_KV_CONFIG)
            .with_ext("namespace", form)
            .with_ext("key", form);
        call(&client, &addr, del).await;
    }
    assert_eq!(std::fs::read(outside.join("victim")).unwrap(), b"keep me");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(
        files
            .iter()
            .all(|f| f.starts_with("kvConfig.json") || f.starts_with("namesrv.properties")),
        "{files:?}"
    );
    assert_eq!(
        std::fs::read_dir(&root).unwrap().count(),
        2,
        "nothing beside ns/ and outside/"
    );
    ns.shutdown().await;
    let _ = std::fs::remove_dir_all(&root);
}
