//! Black-box: KV config (with persistence across restarts), NameServer config, and bad input.

use crate::common;

use common::*;
use remoting::code::{request as rq, response};
use remoting::{Client, Command};

fn kv(code: i32, namespace: &str, key: &str) -> Command {
    Command::request(code)
        .with_ext("namespace", namespace)
        .with_ext("key", key)
}

#[tokio::test]
async fn kv_config_put_get_delete_and_survives_restart() {
    let dir = temp_dir("kv");
    let client = Client::new();
    {
        let (ns, addr) = boot(&dir).await;
        let put = kv(rq::PUT_KV_CONFIG, "ORDER_TOPIC_CONFIG", "TopicTest")
            .with_ext("value", "broker-a:4");
        assert_eq!(call(&client, &addr, put).await.code, response::SUCCESS);
        let put = kv(rq::PUT_KV_CONFIG, "ns", "k").with_ext("value", "v");
        assert_eq!(call(&client, &addr, put).await.code, response::SUCCESS);

        let got = call(&client, &addr, kv(rq::GET_KV_CONFIG, "ns", "k")).await;
        assert_eq!((got.code, got.ext("value")), (response::SUCCESS, Some("v")));

        assert_eq!(
            call(&client, &addr, kv(rq::DELETE_KV_CONFIG, "ns", "k"))
                .await
                .code,
            response::SUCCESS
        );
        let gone = call(&client, &addr, kv(rq::GET_KV_CONFIG, "ns", "k")).await;
        assert_eq!(gone.code, response::QUERY_NOT_FOUND);
        assert_eq!(
            gone.remark.as_deref(),
            Some("No config item, Namespace: ns Key: k")
        );

        let list = Command::request(rq::GET_KVLIST_BY_NAMESPACE)
            .with_ext("namespace", "ORDER_TOPIC_CONFIG");
        assert_eq!(
            body_text(&call(&client, &addr, list).await),
            r#"{"table":{"TopicTest":"broker-a:4"}}"#
        );
        let list = Command::request(rq::GET_KVLIST_BY_NAMESPACE).with_ext("namespace", "none");
        let reply = call(&client, &addr, list).await;
        assert_eq!(
            (reply.code, reply.remark.as_deref()),
            (
                response::QUERY_NOT_FOUND,
                Some("No config item, Namespace: none")
            )
        );

        // REGISTER_BROKER answers with the ORDER_TOPIC_CONFIG table as Java does.
        let reply = call(
            &client,
            &addr,
            register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
        )
        .await;
        assert_eq!(body_text(&reply), r#"{"table":{"TopicTest":"broker-a:4"}}"#);
        ns.shutdown().await;
        client.close(&addr);
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("kvConfig.json")).unwrap(),
        r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicTest":"broker-a:4"},"ns":{}}}"#
    );

    // Restarted with orderMessageEnable: the persisted order conf shows up in routes.
    let mut config = config(&dir);
    config.order_message_enable = true;
    let (ns, addr) = boot_with(config).await;
    let got = call(
        &client,
        &addr,
        kv(rq::GET_KV_CONFIG, "ORDER_TOPIC_CONFIG", "TopicTest"),
    )
    .await;
    assert_eq!(got.ext("value"), Some("broker-a:4"));
    call(
        &client,
        &addr,
        register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
    )
    .await;
    let route = body_text(&call(&client, &addr, route_request("TopicTest")).await);
    assert!(
        route.contains(r#""orderTopicConf":"broker-a:4""#),
        "{route}"
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn namesrv_config_get_update_and_black_list() {
    let dir = temp_dir("config");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();

    let text = body_text(&call(&client, &addr, Command::request(rq::GET_NAMESRV_CONFIG)).await);
    let port = addr.rsplit(':').next().unwrap();
    assert!(text.contains(&format!("\nlistenPort={port}\n")), "{text}");
    assert!(text.contains("orderMessageEnable=false\n"), "{text}");
    let keys: Vec<&str> = text.lines().map(|l| l.split('=').next().unwrap()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "Java sorts the properties");

    let update = Command::request(rq::UPDATE_NAMESRV_CONFIG)
        .with_body(b"orderMessageEnable=true\n".to_vec());
    assert_eq!(call(&client, &addr, update).await.code, response::SUCCESS);
    let text = body_text(&call(&client, &addr, Command::request(rq::GET_NAMESRV_CONFIG)).await);
    assert!(text.contains("orderMessageEnable=true\n"), "{text}");
    let stored = std::fs::read_to_string(dir.join("namesrv.properties")).unwrap();
    assert!(stored.contains("orderMessageEnable=true\n"), "{stored}");

    let black =
        Command::request(rq::UPDATE_NAMESRV_CONFIG).with_body(b"kvConfigPath=/tmp/x\n".to_vec());
    let reply = call(&client, &addr, black).await;
    assert_eq!(
        (reply.code, reply.remark.as_deref()),
        (
            response::NO_PERMISSION,
            Some("Can not update config in black list.")
        )
    );

    let bad = Command::request(rq::UPDATE_NAMESRV_CONFIG)
        .with_body(b"waitSecondsForService=soon\n".to_vec());
    let reply = call(&client, &addr, bad).await;
    assert_eq!(reply.code, response::SYSTEM_ERROR);
    assert!(reply
        .remark
        .as_deref()
        .unwrap()
        .contains("waitSecondsForService"));
    ns.shutdown().await;
}

#[tokio::test]
async fn bad_requests_answer_errors_and_keep_the_connection() {
    let dir = temp_dir("bad");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    let conn = client.connection(&addr, TIMEOUT).await.unwrap();

    let unknown = conn.request(Command::request(9999), TIMEOUT).await.unwrap();
    assert_eq!(unknown.code, response::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        unknown.remark.as_deref(),
        Some(" request type 9999 not supported")
    );

    let no_topic = conn
        .request(Command::request(rq::GET_ROUTEINFO_BY_TOPIC), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(no_topic.code, response::SYSTEM_ERROR);
    assert!(
        no_topic
            .remark
            .as_deref()
            .unwrap()
            .contains("the custom field <topic> is null"),
        "{:?}",
        no_topic.remark
    );

    let bad_id =
        register("broker-a", 0, "h:1", register_body(1, TOPICS)).with_ext("brokerId", "zero");
    let reply = conn.request(bad_id, TIMEOUT).await.unwrap();
    assert_eq!(reply.code, response::SYSTEM_ERROR);
    assert!(
        reply.remark.as_deref().unwrap().contains("brokerId"),
        "{:?}",
        reply.remark
    );

    let malformed = register(
        "broker-a",
        0,
        "h:1",
        b"{\"topicConfigSerializeWrapper\":".to_vec(),
    );
    let reply = conn.request(malformed, TIMEOUT).await.unwrap();
    assert_eq!(reply.code, response::SYSTEM_ERROR);
    assert!(
        reply
            .remark
            .as_deref()
            .unwrap()
            .contains("RegisterBrokerBody"),
        "{:?}",
        reply.remark
    );

    let mut header = register_header("broker-a", 0, "h:1");
    header.body_crc32 = 12345;
    let crc = Command::request(rq::REGISTER_BROKER)
        .with_header(&header)
        .with_body(register_body(1, TOPICS));
    let reply = conn.request(crc, TIMEOUT).await.unwrap();
    assert_eq!(
        (reply.code, reply.remark.as_deref()),
        (response::SYSTEM_ERROR, Some("crc32 not match"))
    );

    // Same connection, still serving.
    assert!(!conn.is_closed());
    let ok = conn
        .request(
            register("broker-a", 0, "h:1", register_body(1, TOPICS)),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(ok.code, response::SUCCESS);
    assert!(
        conn.request(route_request("TopicTest"), TIMEOUT)
            .await
            .unwrap()
            .code
            == response::SUCCESS
    );
    ns.shutdown().await;
}
