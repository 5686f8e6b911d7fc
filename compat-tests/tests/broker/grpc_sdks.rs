//! The 5.x gRPC SDKs of two more ecosystems, the Go SDK (golang/v5 v5.1.2) and the Python SDK
//! (PyPI `rocketmq-python-client` 5.1.2), through the same steps as the Java SDK's scenario
//! (`grpc.rs`, whose topic setup and checks they share: both drivers print the Java driver's
//! JSON lines). Against Java's proxy 5.3.3 in front of Java's stack, which proves the steps, and
//! against Thrust's own gRPC endpoint (`mqbroker --enable-proxy`), where no Java process serves
//! the SDKs at all.
//!
//! ```text
//!   go5driver / sdk5driver.py ──gRPC──▶ ProxyStartup -pm cluster ──remoting──▶ Java stack
//!   go5driver / sdk5driver.py ──gRPC──▶ mqbroker --enable-proxy (+ mqnamesrv)
//! ```
//!
//! Per SDK: one producer sends every message type (normal, FIFO with message groups, delay
//! with a delivery timestamp, transactions committed, rolled back and left to the checker),
//! then at once: a SimpleConsumer that receives and acks the normal, delay and committed
//! transactional messages; one in a FIFO group, in order per message group; one that changes a
//! message's invisible duration and lets it come back twice, the attempt counted; and, for
//! Python, a PushConsumer (Go's v5.1.2 has none). The DLQ step stays with the Java SDK's
//! scenario: it proves the broker side, which does not depend on the SDK.
//!
//! TLS (`*_sdks_over_tls`): the Java SDK (`enableSsl(true)`) and the Go SDK (its own TLS dial)
//! each send to a topic over TLS and receive the other's over TLS, while a plain-text Go
//! consumer on the same port receives the Java SDK's too: Java's proxy and Thrust's endpoint in
//! their default `permissive` mode, with the certificate each makes for itself (test mode). A
//! remoting push consumer (Java client 5.3.3) in a group of its own receives the Java SDK's
//! messages as well.
//!
//! The Java scenarios share one proxy (started by whichever comes first, alive until the test
//! binary exits), as they share the Java stack.

use std::sync::OnceLock;
use std::time::Duration;

use std::collections::BTreeMap;

use compat_tests::process::{run, spawn_scoped, Background, Cmd, LogDump, Output};
use compat_tests::servers::Proxy;
use compat_tests::tools::{
    go5_driver_cmd, grpc_driver, java_driver, kv, python5_driver_cmd, JavaClient,
};
use compat_tests::traffic::bodies;

use super::common::*;
use super::grpc::{
    check_fifo, check_invisible, check_messages, check_receive, lines_with, named,
    ours_with_endpoint, produce, receipts, sub_group, typed_topic, Topics, COUNT, PROXY_KEYS,
};

#[derive(Clone, Copy, Debug)]
enum Sdk {
    Go5,
    Python,
}

impl Sdk {
    fn driver(self) -> fn(&[String]) -> Cmd {
        match self {
            Sdk::Go5 => go5_driver_cmd,
            Sdk::Python => python5_driver_cmd,
        }
    }

    fn has_push_consumer(self) -> bool {
        matches!(self, Sdk::Python)
    }
}

/// One SDK's steps through the gRPC endpoint `ep` in front of stack `s`.
fn sdk_steps(sdk: Sdk, s: &Stack, ep: &str) {
    let t = Topics {
        normal: typed_topic(s, "s5norm", "NORMAL"),
        fifo: typed_topic(s, "s5fifo", "FIFO"),
        delay: typed_topic(s, "s5delay", "DELAY"),
        tx: typed_topic(s, "s5tx", "TRANSACTION"),
    };
    let fifo_group = sub_group(s, "s5fifocg", &["-o", "true"]);
    let sent = produce(sdk.driver(), ep, &t);

    let count = COUNT.to_string();
    let all = (3 * COUNT - COUNT / 3).to_string();
    let start =
        |args: Vec<String>| Background::spawn(&sdk.driver()(&args), Duration::from_secs(240));
    let group = unique("s5recv");
    let topics = format!("{},{},{}", t.normal, t.delay, t.tx);
    // A receive picks one of its topics at random per call and an empty one long-polls for
    // seconds, so the three topics get the time for many calls; the step ends once all arrive.
    let receive = start(kv(
        "receive",
        &[
            ("ep", ep),
            ("group", &group),
            ("topics", &topics),
            ("expect", &all),
            ("timeout_ms", "150000"),
        ],
    ));
    let fifo = start(kv(
        "receive",
        &[
            ("ep", ep),
            ("group", &fifo_group),
            ("topics", &t.fifo),
            ("expect", &count),
        ],
    ));
    let group = unique("s5inv");
    let invisible = start(kv(
        "invisible",
        &[("ep", ep), ("group", &group), ("topic", &t.normal)],
    ));
    let group = unique("s5push");
    let push = sdk.has_push_consumer().then(|| {
        start(kv(
            "push",
            &[
                ("ep", ep),
                ("group", &group),
                ("topic", &t.normal),
                ("expect", &count),
            ],
        ))
    });

    check_receive(&receive.finish(Duration::from_secs(180)), &sent);
    check_fifo(&fifo.finish(Duration::from_secs(180)), &sent);
    check_invisible(&invisible.finish(Duration::from_secs(180)));
    if let Some(push) = push {
        let pushed = push.finish(Duration::from_secs(180));
        pushed.assert_ok();
        let mut got = bodies(&pushed.json_lines());
        got.sort();
        got.dedup();
        assert_eq!(got, named("normal", 0..COUNT), "push consumer\n{pushed}");
    }
}

/// Sends `count` normal messages over TLS with `driver` (`tls_arg=true`): body to msgId.
fn send_over_tls(
    driver: fn(&[String]) -> Cmd,
    tls_arg: &str,
    ep: &str,
    topic: &str,
) -> BTreeMap<String, String> {
    let count = TLS_COUNT.to_string();
    let args = kv(
        "produce",
        &[
            ("ep", ep),
            ("count", &count),
            ("normal", topic),
            (tls_arg, "true"),
        ],
    );
    receipts(&run(&driver(&args), Duration::from_secs(180)), TLS_COUNT)
}

const TLS_COUNT: usize = 4;

/// Every message of `sent` received once, each the one sent.
fn check_tls_receive(out: &Output, sent: &BTreeMap<String, String>, who: &str) {
    out.assert_ok();
    let lines = out.json_lines();
    check_messages(&lines_with(&lines, "body"), sent, out);
    let mut got = bodies(&lines);
    got.sort();
    assert_eq!(got, named("normal", 0..TLS_COUNT), "{who}\n{out}");
}

fn over_tls(s: &Stack, ep: &str) {
    let java_topic = typed_topic(s, "tlsj", "NORMAL");
    let go_topic = typed_topic(s, "tlsg", "NORMAL");
    let from_java = send_over_tls(grpc_driver, "ssl", ep, &java_topic);
    let from_go = send_over_tls(go5_driver_cmd, "tls", ep, &go_topic);
    let expect = TLS_COUNT.to_string();
    let receive = |driver: fn(&[String]) -> Cmd, topic: &str, tls: Option<&str>| {
        let group = unique("tlscg");
        let mut pairs = vec![
            ("ep", ep),
            ("group", group.as_str()),
            ("topics", topic),
            ("expect", expect.as_str()),
        ];
        if let Some(arg) = tls {
            pairs.push((arg, "true"));
        }
        Background::spawn(&driver(&kv("receive", &pairs)), Duration::from_secs(240))
    };
    let java_tls = receive(grpc_driver, &go_topic, Some("ssl"));
    let go_tls = receive(go5_driver_cmd, &java_topic, Some("tls"));
    let go_plain = receive(go5_driver_cmd, &java_topic, None);
    // A remoting push consumer (Java client 5.3.3, through the NameServer) in a group of its
    // own gets the gRPC SDK's messages too.
    let remoting = consumer(&java_driver(
        JavaClient::V5_3_3,
        &consumer_args(s.ns(), &java_topic, &unique("tlsrem"), TLS_COUNT),
    ));
    let wait = Duration::from_secs(180);
    check_tls_receive(&java_tls.finish(wait), &from_go, "Java SDK over TLS");
    check_tls_receive(&go_tls.finish(wait), &from_java, "Go SDK over TLS");
    check_tls_receive(&go_plain.finish(wait), &from_java, "Go SDK in plain text");
    let pushed = remoting.finish(wait);
    pushed.assert_ok();
    let mut got = bodies(&pushed.json_lines());
    got.sort();
    got.dedup();
    assert_eq!(
        got,
        named("normal", 0..TLS_COUNT),
        "remoting push consumer\n{pushed}"
    );
}

/// Java's proxy in front of the shared Java stack, for both Java scenarios.
fn java_proxy() -> &'static Proxy {
    static PROXY: OnceLock<Proxy> = OnceLock::new();
    PROXY.get_or_init(|| Proxy::start(stack(Kind::Java).ns(), CLUSTER, PROXY_KEYS))
}

fn through_java_proxy(sdk: Sdk) {
    let s = stack(Kind::Java);
    let _dump = s.dump();
    let proxy = java_proxy();
    let _proxy_dump = LogDump(vec![&proxy.server]);
    sdk_steps(sdk, s, &proxy.grpc);
}

#[test]
fn java_go5_sdk_through_java_proxy() {
    let _s = compat_tests::scenario::heavy(400);
    through_java_proxy(Sdk::Go5);
}

#[test]
fn java_python_sdk_through_java_proxy() {
    let _s = compat_tests::scenario::heavy(400);
    through_java_proxy(Sdk::Python);
}

#[test]
fn ours_go5_python_sdk_direct() {
    let _s = compat_tests::scenario::heavy(300);
    let (s, ep) = ours_with_endpoint();
    let _dump = s.dump();
    std::thread::scope(|scope| {
        spawn_scoped(scope, || sdk_steps(Sdk::Go5, &s, &ep));
        sdk_steps(Sdk::Python, &s, &ep);
    });
}

#[test]
fn java_sdks_over_tls() {
    let _s = compat_tests::scenario::heavy(300);
    let s = stack(Kind::Java);
    let _dump = s.dump();
    let proxy = java_proxy();
    let _proxy_dump = LogDump(vec![&proxy.server]);
    over_tls(s, &proxy.grpc);
}

#[test]
fn ours_sdks_over_tls() {
    let _s = compat_tests::scenario::heavy(300);
    let (s, ep) = ours_with_endpoint();
    let _dump = s.dump();
    over_tls(&s, &ep);
}
