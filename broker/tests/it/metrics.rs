//! `metricsExporterType=PROM`: the broker serves `/metrics` over HTTP with Java's names.

use remoting::code::{request as rq, response as rc};
use remoting::headers::UpdateConsumerOffsetRequestHeader;
use remoting::{Client, Command};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

/// One HTTP/1.1 GET over a fresh connection; returns the status line and headers, and the body.
async fn http_get(addr: std::net::SocketAddr, path: &str, accept: &str) -> (String, String) {
    let (head, body) = http_get_raw(addr, path, &format!("Accept: {accept}\r\n")).await;
    (head, String::from_utf8(body).unwrap())
}

async fn http_get_raw(addr: std::net::SocketAddr, path: &str, headers: &str) -> (String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(TIMEOUT, s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(out[..end].to_vec()).unwrap();
    (head, out[end + 4..].to_vec())
}

fn line_value(body: &str, prefix: &str) -> Option<f64> {
    body.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn prom_exporter_serves_java_metric_names() {
    let tb = boot(
        "metrics",
        "brokerClusterName=MC\nmetricsExporterType=PROM\nmetricsPromExporterHost=127.0.0.1\n\
         metricsPromExporterPort=0\nmetricsLabel=env:test,bad\n",
    )
    .await;
    let prom = tb.broker().metrics.prom_addr().expect("listener bound");
    let client = Client::new();
    let create = call(&client, &tb.addr, create_topic_cmd("MT", 2, 6)).await;
    assert_eq!(create.code, rc::SUCCESS);
    for i in 0..3 {
        let r = call(
            &client,
            &tb.addr,
            send_cmd("MT", 0, format!("m{i}").as_bytes(), ""),
        )
        .await;
        assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    }
    let pulled = call(&client, &tb.addr, pull_cmd("MG", "MT", 0, 0, 4, 0)).await;
    assert_eq!(pulled.code, rc::SUCCESS);
    // A live consumer of MG that committed 1 of the 3 it pulled: lag 2, inflight 2, ready 0.
    let hb = heartbeat_cmd("c1", "MG", "MT", "*");
    assert_eq!(call(&client, &tb.addr, hb).await.code, rc::SUCCESS);
    let commit = Command::request(rq::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "MG".into(),
            topic: "MT".into(),
            queue_id: 0,
            commit_offset: 1,
        },
    );
    assert_eq!(call(&client, &tb.addr, commit).await.code, rc::SUCCESS);
    // MG2 takes only TagA, which none of the 3 carries: its lag from offset 0 is estimated 0.
    let hb = heartbeat_cmd("c2", "MG2", "MT", "TagA");
    assert_eq!(call(&client, &tb.addr, hb).await.code, rc::SUCCESS);
    let commit = Command::request(rq::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: "MG2".into(),
            topic: "MT".into(),
            queue_id: 0,
            commit_offset: 0,
        },
    );
    assert_eq!(call(&client, &tb.addr, commit).await.code, rc::SUCCESS);

    let (head, body) = http_get(prom, "/metrics", "text/plain").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    assert!(body.starts_with("# TYPE target info\n"), "{body}");
    let common = "otel_scope_name=\"broker-meter\",cluster=\"MC\",env=\"test\"";
    let in_total = format!(
        "rocketmq_messages_in_total{{{common},is_system=\"false\",message_type=\"normal\",\
         node_id=\"broker-t\",node_type=\"broker\",topic=\"MT\"}} "
    );
    assert_eq!(line_value(&body, &in_total), Some(3.0), "{body}");
    let out_total = "rocketmq_messages_out_total{otel_scope_name=\"broker-meter\",cluster=\"MC\",\
         consumer_group=\"MG\",env=\"test\",is_system=\"false\",node_id=\"broker-t\",\
         node_type=\"broker\",topic=\"MT\"} ";
    assert_eq!(line_value(&body, out_total), Some(3.0), "{body}");
    let lag = |name: &str, group: &str| {
        let prefix = format!(
            "{name}{{otel_scope_name=\"broker-meter\",cluster=\"MC\",consumer_group=\"{group}\",\
             env=\"test\",is_retry=\"false\",is_system=\"false\",node_id=\"broker-t\",\
             node_type=\"broker\",topic=\"MT\"}} "
        );
        line_value(&body, &prefix)
    };
    assert_eq!(
        lag("rocketmq_consumer_lag_messages", "MG"),
        Some(2.0),
        "{body}"
    );
    assert_eq!(lag("rocketmq_consumer_inflight_messages", "MG"), Some(2.0));
    assert_eq!(lag("rocketmq_consumer_ready_messages", "MG"), Some(0.0));
    assert!(lag("rocketmq_consumer_lag_latency_milliseconds", "MG").is_some());
    assert_eq!(lag("rocketmq_consumer_lag_messages", "MG2"), Some(0.0));
    assert!(body.contains("rocketmq_consumer_connections{"));
    for family in [
        "# TYPE rocketmq_rpc_latency histogram\n",
        "# TYPE rocketmq_timer_message_snapshot gauge\n",
        "# TYPE rocketmq_pop_revive_lag gauge\n",
        "# TYPE rocketmq_processor_watermark gauge\n",
        "# TYPE rocketmq_storage_flush_behind_bytes gauge\n",
    ] {
        assert!(body.contains(family), "{family}");
    }
    assert!(body.contains(
        "request_code=\"send_message_v2\",response_code=\"success\",result=\"success\"} 3.0 "
    ));
    assert!(body.contains("rocketmq_message_size_bucket{"));
    assert!(body.contains("le=\"1024.0\"} 3.0 "));
    assert!(body.contains("# TYPE rocketmq_topic_create_execution_time histogram\n"));
    assert!(body.contains("# TYPE rocketmq_storage_size gauge\n"));
    assert!(body.contains("rocketmq_storage_size_bytes{"));
    assert!(body.contains("\nrocketmq_broker_permission{") && body.contains("} 6.0 "));

    // Prometheus asks for OpenMetrics first, and gets it, as from Java.
    let (head, body) = http_get(
        prom,
        "/",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
    )
    .await;
    assert!(
        head.contains("application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    assert!(body.ends_with("# EOF\n"));
    // Any path, `name[]` filters, gzip when accepted: as Java's exporter.
    let (head, gz) = http_get_raw(
        prom,
        "/any?name[]=rocketmq_topic_number",
        "Accept-Encoding: gzip\r\n",
    )
    .await;
    assert!(head.contains("Content-Encoding: gzip"), "{head}");
    let mut body = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut body).unwrap();
    let types: Vec<&str> = body.lines().filter(|l| l.starts_with("# TYPE")).collect();
    assert_eq!(
        types,
        [
            "# TYPE target info",
            "# TYPE otel_scope_info info",
            "# TYPE rocketmq_topic_number gauge"
        ]
    );
    let (head, body) = http_get(prom, "/-/healthy", "*/*").await;
    assert!(head.starts_with("HTTP/1.1 200"));
    assert_eq!(body, "Exporter is Healthy.");
    tb.stop().await;
}

#[test]
fn exporters_thrust_lacks_are_refused_at_start() {
    for value in ["OTLP_GRPC", "LOG", "1", "3"] {
        let mut cfg = BrokerConfig::default();
        cfg.apply_text(&format!("metricsExporterType={value}\n"))
            .unwrap();
        let err = cfg.check_supported().unwrap_err().to_string();
        assert!(err.contains("metricsExporterType"), "{err}");
        assert!(err.contains("is not supported yet"), "{err}");
    }
}

/// HEART_BEAT registering `group` as a POP consumer of `topic` (all tags).
fn pop_heartbeat(client_id: &str, group: &str, topic: &str) -> Command {
    let body = serde_json::json!({
        "clientID": client_id,
        "consumerDataSet": [{
            "consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET",
            "consumeType": "CONSUME_POP",
            "groupName": group,
            "messageModel": "CLUSTERING",
            "subscriptionDataSet": [{
                "classFilterMode": false, "codeSet": [], "expressionType": "TAG",
                "subString": "*", "subVersion": 1, "tagsSet": [], "topic": topic
            }],
            "unitMode": false
        }],
        "producerDataSet": []
    });
    Command::request(rq::HEART_BEAT).with_body(serde_json::to_vec(&body).unwrap())
}

#[tokio::test]
async fn pop_consumers_count_their_messages_in_flight() {
    let tb = boot(
        "metrics-pop",
        "brokerClusterName=MC\nmetricsExporterType=PROM\nmetricsPromExporterHost=127.0.0.1\n\
         metricsPromExporterPort=0\n",
    )
    .await;
    let prom = tb.broker().metrics.prom_addr().expect("listener bound");
    let client = Client::new();
    assert_eq!(
        call(&client, &tb.addr, create_topic_cmd("PT", 1, 6))
            .await
            .code,
        rc::SUCCESS
    );
    for i in 0..3 {
        let r = call(
            &client,
            &tb.addr,
            send_cmd("PT", 0, format!("p{i}").as_bytes(), ""),
        )
        .await;
        assert_eq!(r.code, rc::SUCCESS);
    }
    let hb = pop_heartbeat("pc1", "PG", "PT");
    assert_eq!(call(&client, &tb.addr, hb).await.code, rc::SUCCESS);
    let pop = Command::request(rq::POP_MESSAGE).with_header(
        &remoting::headers::PopMessageRequestHeader {
            consumer_group: "PG".into(),
            topic: "PT".into(),
            queue_id: 0,
            max_msg_nums: 2,
            invisible_time: 60_000,
            poll_time: 0,
            born_time: broker::persist::now_millis(),
            init_mode: 0,
            exp_type: Some("TAG".into()),
            exp: Some("*".into()),
            order: false,
            attempt_id: None,
        },
    );
    let popped = call(&client, &tb.addr, pop).await;
    assert_eq!(popped.code, rc::SUCCESS, "{:?}", popped.remark);

    let (_, body) = http_get(prom, "/metrics", "text/plain").await;
    let row = |name: &str| {
        let prefix = format!(
            "{name}{{otel_scope_name=\"broker-meter\",cluster=\"MC\",consumer_group=\"PG\",\
             is_retry=\"false\",is_system=\"false\",node_id=\"broker-t\",node_type=\"broker\",\
             topic=\"PT\"}} "
        );
        line_value(&body, &prefix)
    };
    // 2 popped and not acked, 1 never popped.
    assert_eq!(
        row("rocketmq_consumer_inflight_messages"),
        Some(2.0),
        "{body}"
    );
    assert_eq!(row("rocketmq_consumer_lag_messages"), Some(3.0));
    assert_eq!(row("rocketmq_consumer_ready_messages"), Some(1.0));
    assert_eq!(row("rocketmq_messages_out_total"), Some(2.0));
    assert!(body.contains("consume_mode=\"pop\",consumer_group=\"PG\""));
    assert!(body.contains("rocketmq_pop_revive_in_message_total{"));
    tb.stop().await;
}
