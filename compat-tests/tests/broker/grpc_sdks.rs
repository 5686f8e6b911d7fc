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
//! The two Java scenarios share one proxy (started by whichever comes first, alive until the
//! test binary exits), as they share the Java stack.

use std::sync::OnceLock;
use std::time::Duration;

use compat_tests::process::{Background, Cmd, LogDump};
use compat_tests::servers::Proxy;
use compat_tests::tools::{go5_driver_cmd, kv, python5_driver_cmd};
use compat_tests::traffic::bodies;

use super::common::*;
use super::grpc::{
    check_fifo, check_invisible, check_receive, named, ours_with_endpoint, produce, sub_group,
    typed_topic, Topics, COUNT, PROXY_KEYS,
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
    let _s = compat_tests::scenario::heavy(300);
    through_java_proxy(Sdk::Go5);
}

#[test]
fn java_python_sdk_through_java_proxy() {
    let _s = compat_tests::scenario::heavy(300);
    through_java_proxy(Sdk::Python);
}

#[test]
fn ours_go5_python_sdk_direct() {
    let _s = compat_tests::scenario::heavy(300);
    let (s, ep) = ours_with_endpoint();
    let _dump = s.dump();
    std::thread::scope(|scope| {
        scope.spawn(|| sdk_steps(Sdk::Go5, &s, &ep));
        sdk_steps(Sdk::Python, &s, &ep);
    });
}
