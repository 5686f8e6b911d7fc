//! Black-box: brokers register over TCP, clients read routes, admin edits them.

use crate::common;

use std::time::Duration;

use common::*;
use remoting::code::{request as rq, response};
use remoting::{Client, Command};

#[tokio::test]
async fn register_then_route_cluster_info_and_lists() {
    let dir = temp_dir("routes");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();

    let reply = call(
        &client,
        &addr,
        register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
    )
    .await;
    assert_eq!(reply.code, response::SUCCESS, "{:?}", reply.remark);
    assert!(reply.body.is_none(), "no ORDER_TOPIC_CONFIG namespace yet");

    let route = call(&client, &addr, route_request("TopicTest")).await;
    assert_eq!(route.code, response::SUCCESS);
    assert_eq!(
        body_text(&route),
        r#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#
    );

    let missing = call(&client, &addr, route_request("NoSuchTopic")).await;
    assert_eq!(missing.code, response::TOPIC_NOT_EXIST);
    assert_eq!(
        missing.remark.as_deref(),
        Some("No topic route info in name server for the topic: NoSuchTopic\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.")
    );

    let info = call(
        &client,
        &addr,
        Command::request(rq::GET_BROKER_CLUSTER_INFO),
    )
    .await;
    assert_eq!(
        body_text(&info),
        r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#
    );

    let all = call(
        &client,
        &addr,
        Command::request(rq::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
    )
    .await;
    // Java's order (its ConcurrentHashMaps' bins), as a Java NameServer sends it.
    assert_eq!(body_text(&all), r#"{"topicList":["TopicTest","TBW102"]}"#);
    let by_cluster =
        Command::request(rq::GET_TOPICS_BY_CLUSTER).with_ext("cluster", "DefaultCluster");
    assert_eq!(
        body_text(&call(&client, &addr, by_cluster).await),
        r#"{"topicList":["TopicTest","TBW102"]}"#
    );
    let sys = call(
        &client,
        &addr,
        Command::request(rq::GET_SYSTEM_TOPIC_LIST_FROM_NS),
    )
    .await;
    assert_eq!(
        body_text(&sys),
        r#"{"brokerAddr":"127.0.0.1:10911","topicList":["DefaultCluster","broker-a"]}"#
    );
    let unit = call(&client, &addr, Command::request(rq::GET_UNIT_TOPIC_LIST)).await;
    assert_eq!(body_text(&unit), r#"{"topicList":[]}"#);

    ns.shutdown().await;
}

#[tokio::test]
async fn slave_registration_learns_master_and_compressed_body_is_accepted() {
    let dir = temp_dir("slave");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    call(
        &client,
        &addr,
        register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
    )
    .await;

    // A 5.3.3 broker with compressedRegister=true: zlib body, header says compressed=false.
    let parsed =
        remoting::body::register::RegisterBrokerBody::decode(&register_body(1, TOPICS), false, 479)
            .unwrap();
    let slave = register("broker-a", 1, "127.0.0.1:10921", parsed.encode_compressed());
    let reply = call(&client, &addr, slave).await;
    assert_eq!(reply.code, response::SUCCESS, "{:?}", reply.remark);
    assert_eq!(reply.ext("masterAddr"), Some("127.0.0.1:10911"));
    assert_eq!(reply.ext("haServerAddr"), Some("127.0.0.1:10911-ha"));

    let route = body_text(&call(&client, &addr, route_request("TBW102")).await);
    assert!(
        route.contains(r#""brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"}"#),
        "{route}"
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn write_perm_wipe_add_and_delete_topic() {
    let dir = temp_dir("perm");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    call(
        &client,
        &addr,
        register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
    )
    .await;

    let wipe = Command::request(rq::WIPE_WRITE_PERM_OF_BROKER).with_ext("brokerName", "broker-a");
    let reply = call(&client, &addr, wipe).await;
    assert_eq!(
        (reply.code, reply.ext("wipeTopicCount")),
        (response::SUCCESS, Some("2"))
    );
    let route = body_text(&call(&client, &addr, route_request("TopicTest")).await);
    assert!(route.contains(r#""perm":4"#), "{route}");

    let add = Command::request(rq::ADD_WRITE_PERM_OF_BROKER).with_ext("brokerName", "broker-a");
    let reply = call(&client, &addr, add).await;
    assert_eq!(reply.ext("addTopicCount"), Some("2"));
    let route = body_text(&call(&client, &addr, route_request("TopicTest")).await);
    assert!(route.contains(r#""perm":6"#), "{route}");

    let delete = Command::request(rq::DELETE_TOPIC_IN_NAMESRV)
        .with_ext("topic", "TopicTest")
        .with_ext("clusterName", "DefaultCluster");
    assert_eq!(call(&client, &addr, delete).await.code, response::SUCCESS);
    assert_eq!(
        call(&client, &addr, route_request("TopicTest")).await.code,
        response::TOPIC_NOT_EXIST
    );
    assert_eq!(
        call(&client, &addr, route_request("TBW102")).await.code,
        response::SUCCESS
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn broker_is_removed_when_its_connection_closes() {
    let dir = temp_dir("close");
    let (ns, addr) = boot(&dir).await;
    let admin = Client::new();
    {
        let broker = Client::new();
        let reply = call(
            &broker,
            &addr,
            register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
        )
        .await;
        assert_eq!(reply.code, response::SUCCESS);
        assert_eq!(
            call(&admin, &addr, route_request("TopicTest")).await.code,
            response::SUCCESS
        );
        broker.close(&addr);
    }
    let mut gone = false;
    for _ in 0..250 {
        if call(&admin, &addr, route_request("TopicTest")).await.code == response::TOPIC_NOT_EXIST {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        gone,
        "route must disappear once the broker's connection closes"
    );
    let info = body_text(&call(&admin, &addr, Command::request(rq::GET_BROKER_CLUSTER_INFO)).await);
    assert_eq!(info, r#"{"brokerAddrTable":{},"clusterAddrTable":{}}"#);
    ns.shutdown().await;
}

#[tokio::test]
async fn broker_expires_after_its_heartbeat_timeout() {
    let dir = temp_dir("expire");
    let mut config = config(&dir);
    config.scan_not_active_broker_interval = 50;
    let (ns, addr) = boot_with(config).await;
    let client = Client::new();
    let broker_conn = client.connection(&addr, TIMEOUT).await.unwrap();
    let mut header = register_header("broker-a", 0, "127.0.0.1:10911");
    header.heartbeat_timeout_millis = Some(1_000);
    let cmd = Command::request(rq::REGISTER_BROKER)
        .with_header(&header)
        .with_body(register_body(1, TOPICS));
    assert_eq!(call(&client, &addr, cmd).await.code, response::SUCCESS);

    // BROKER_HEARTBEAT keeps it alive past its timeout...
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let hb = Command::request(rq::BROKER_HEARTBEAT)
            .with_ext("clusterName", "DefaultCluster")
            .with_ext("brokerAddr", "127.0.0.1:10911")
            .with_ext("brokerName", "broker-a");
        assert_eq!(call(&client, &addr, hb).await.code, response::SUCCESS);
    }
    assert_eq!(
        call(&client, &addr, route_request("TopicTest")).await.code,
        response::SUCCESS
    );
    // ...and without it the scan removes it and closes its connection, as Java does.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert!(
        broker_conn.is_closed(),
        "the expired broker's connection is closed"
    );
    assert_eq!(
        call(&client, &addr, route_request("TopicTest")).await.code,
        response::TOPIC_NOT_EXIST
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn unregister_and_query_data_version() {
    let dir = temp_dir("unregister");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    call(
        &client,
        &addr,
        register("broker-a", 0, "127.0.0.1:10911", register_body(3, TOPICS)),
    )
    .await;

    let query = |body: &str| {
        Command::request(rq::QUERY_DATA_VERSION)
            .with_ext("brokerName", "broker-a")
            .with_ext("brokerAddr", "127.0.0.1:10911")
            .with_ext("clusterName", "DefaultCluster")
            .with_ext("brokerId", "0")
            .with_body(body.as_bytes().to_vec())
    };
    let same = call(
        &client,
        &addr,
        query(r#"{"counter":3,"timestamp":1700000000000}"#),
    )
    .await;
    assert_eq!(same.ext("changed"), Some("false"));
    assert_eq!(
        body_text(&same),
        r#"{"counter":3,"stateVersion":0,"timestamp":1700000000000}"#
    );
    let newer = call(
        &client,
        &addr,
        query(r#"{"counter":4,"timestamp":1700000000000}"#),
    )
    .await;
    assert_eq!(newer.ext("changed"), Some("true"));

    let unregister = Command::request(rq::UNREGISTER_BROKER)
        .with_ext("brokerName", "broker-a")
        .with_ext("brokerAddr", "127.0.0.1:10911")
        .with_ext("clusterName", "DefaultCluster")
        .with_ext("brokerId", "0");
    assert_eq!(
        call(&client, &addr, unregister).await.code,
        response::SUCCESS
    );
    assert_eq!(
        call(&client, &addr, route_request("TopicTest")).await.code,
        response::TOPIC_NOT_EXIST
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn idle_broker_connection_is_closed_and_the_broker_dropped() {
    let dir = temp_dir("idle");
    let mut config = config(&dir);
    config.server_channel_max_idle_time_seconds = 1;
    let (ns, addr) = boot_with(config).await;
    let broker = Client::new();
    let conn = broker.connection(&addr, TIMEOUT).await.unwrap();
    let reply = conn
        .request(
            register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(reply.code, response::SUCCESS);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        conn.is_closed(),
        "a connection silent past serverChannelMaxIdleTimeSeconds is closed"
    );
    let admin = Client::new();
    assert_eq!(
        call(&admin, &addr, route_request("TopicTest")).await.code,
        response::TOPIC_NOT_EXIST
    );
    ns.shutdown().await;
}

#[tokio::test]
async fn service_wait_and_disabled_topic_lists() {
    let dir = temp_dir("flags");
    let mut config = config(&dir);
    config.need_wait_for_service = true;
    config.enable_all_topic_list = false;
    config.enable_topic_list = false;
    let (ns, addr) = boot_with(config).await;
    let client = Client::new();
    call(
        &client,
        &addr,
        register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS)),
    )
    .await;

    let early = call(&client, &addr, route_request("TopicTest")).await;
    assert_eq!(
        (early.code, early.remark.as_deref()),
        (response::SYSTEM_ERROR, Some("name server not ready"))
    );
    for code in [
        rq::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
        rq::GET_UNIT_TOPIC_LIST,
    ] {
        let reply = call(&client, &addr, Command::request(code)).await;
        assert_eq!(
            (reply.code, reply.remark.as_deref()),
            (response::SYSTEM_ERROR, Some("disable"))
        );
    }
    let by_cluster =
        Command::request(rq::GET_TOPICS_BY_CLUSTER).with_ext("cluster", "DefaultCluster");
    assert_eq!(
        call(&client, &addr, by_cluster).await.remark.as_deref(),
        Some("disable")
    );

    // Flags change at run time through UPDATE_NAMESRV_CONFIG, as in Java.
    let update = Command::request(rq::UPDATE_NAMESRV_CONFIG)
        .with_body(b"needWaitForService=false\nenableAllTopicList=true\n".to_vec());
    assert_eq!(call(&client, &addr, update).await.code, response::SUCCESS);
    assert_eq!(
        call(&client, &addr, route_request("TopicTest")).await.code,
        response::SUCCESS
    );
    let all = call(
        &client,
        &addr,
        Command::request(rq::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
    )
    .await;
    assert_eq!(all.code, response::SUCCESS);
    ns.shutdown().await;
}

#[tokio::test]
async fn oneway_registration_is_applied_without_a_reply() {
    let dir = temp_dir("oneway");
    let (ns, addr) = boot(&dir).await;
    let client = Client::new();
    // 4.9.8 brokers register oneway right after creating a topic.
    let cmd = register("broker-a", 0, "127.0.0.1:10911", register_body(1, TOPICS));
    client.invoke_oneway(&addr, cmd).await.unwrap();
    let mut found = false;
    for _ in 0..250 {
        if call(&client, &addr, route_request("TopicTest")).await.code == response::SUCCESS {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(found, "a oneway REGISTER_BROKER must be applied");
    ns.shutdown().await;
}
