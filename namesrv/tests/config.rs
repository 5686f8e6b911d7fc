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
