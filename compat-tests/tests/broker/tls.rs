//! TLS as the Java servers do it (`NettyRemotingServer`'s TLS modes, `TlsHelper`'s keys).
//!
//! * Default servers (`tls.server.mode` permissive, test mode: a self-signed certificate): on
//!   the shared stacks, a Java 4.9.8 producer and consumer with `-Dtls.enable=true` (the
//!   producer through the broker's VIP port), a Java 5.3.3 pair with `-Dtls.enable=true` and a
//!   plain 4.9.8 pair on the same topic, each consumer receiving every message; mqadmin with
//!   `-Dtls.enable=true` reads the route.
//! * Enforcing, with a CA and a server certificate made by `openssl` in the test and named in a
//!   `tls.config.file` file (`-Dtls.server.mode=enforcing -Dtls.config.file=...`, on Java's
//!   command line and in `JAVA_OPT` for ours): the broker registers over TLS, checking the
//!   NameServer's certificate against the CA (`tls.client.authServer`), which TLS mqadmin shows;
//!   a plain route query and a plain Java producer are refused, and TLS producers (Java 4.9.8
//!   and 5.3.3) then send.
//!
//! The Go client (rocketmq-client-go/v2 v2.1.2) has no TLS option, so it has no part here.

use std::path::Path;
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::process::{run, spawn_scoped, Cmd, LogDump};
use compat_tests::servers::{Broker, BrokerSpec, Namesrv, NsKind};
use compat_tests::tools::{java_driver, java_program_jvm, mqadmin_tls, JavaClient};
use compat_tests::traffic::send_results;
use compat_tests::wait::eventually;
use compat_tests::wire;

use super::common::{
    check_received, consumer, consumer_args, create_topic, produce, producer_args, stack, unique,
    Batch, Kind, CLUSTER,
};

const CLIENT: JavaClient = JavaClient::V4_9_8;

/// The Java driver on `client` with TLS on, as a user turns it on: `-Dtls.enable=true`.
fn tls_driver(client: JavaClient, jvm: &[&str], args: &[String]) -> Cmd {
    let all = [&["-Dtls.enable=true"][..], jvm].concat();
    java_program_jvm(client, "ClientDriver", &all, args)
}

/// A TLS producer's arguments on a created topic: the route is looked up before the checked
/// sends, whose first lookup a TLS handshake on a loaded machine can push past the client's
/// fixed 3 s lock wait.
fn tls_producer_args(ns: &str, topic: &str, b: &Batch) -> Vec<String> {
    let mut args = producer_args(ns, topic, b);
    args.push("await_route=true".to_string());
    args
}

fn tls_and_plain_clients(kind: Kind) {
    let s = stack(kind);
    let _logs = s.dump();
    let topic = unique("tls");
    create_topic(s, &topic);
    let tls = Batch {
        body: "tls",
        count: 4,
        mode: "sync",
    };
    let tls5 = Batch {
        body: "tls5",
        count: 4,
        mode: "sync",
    };
    let plain = Batch {
        body: "plain",
        count: 4,
        mode: "sync",
    };
    // The 4.9.8 TLS producer sends through the VIP port (listenPort - 2), a TLS server too.
    let tls_cmd = tls_driver(
        CLIENT,
        &["-Dcom.rocketmq.sendMessageWithVIPChannel=true"],
        &tls_producer_args(s.ns(), &topic, &tls),
    );
    let tls5_cmd = tls_driver(
        JavaClient::V5_3_3,
        &[],
        &tls_producer_args(s.ns(), &topic, &tls5),
    );
    let plain_cmd = java_driver(CLIENT, &producer_args(s.ns(), &topic, &plain));
    let (tls_ids, tls5_ids, plain_ids) = std::thread::scope(|scope| {
        let tls_run = spawn_scoped(scope, || produce(s, &tls_cmd, &tls));
        let tls5_run = spawn_scoped(scope, || produce(s, &tls5_cmd, &tls5));
        let plain_ids = produce(s, &plain_cmd, &plain);
        (
            tls_run.join().expect("TLS producer"),
            tls5_run.join().expect("5.3.3 TLS producer"),
            plain_ids,
        )
    });
    let sent = [tls_ids, tls5_ids, plain_ids].concat();
    let expect = tls.count + tls5.count + plain.count;
    let consumers = [
        tls_driver(
            CLIENT,
            &[],
            &consumer_args(s.ns(), &topic, &unique("tls_cg"), expect),
        ),
        tls_driver(
            JavaClient::V5_3_3,
            &[],
            &consumer_args(s.ns(), &topic, &unique("tls5_cg"), expect),
        ),
        java_driver(
            CLIENT,
            &consumer_args(s.ns(), &topic, &unique("plain_cg"), expect),
        ),
    ]
    .map(|cmd| consumer(&cmd));
    let batches = [tls, tls5, plain];
    for c in consumers {
        check_received(&c.finish(Duration::from_secs(150)), &batches, &sent);
    }
    // A fresh mqadmin JVM has Java's 3 s request timeout, which a loaded machine can exceed.
    eventually(
        Duration::from_secs(60),
        "TLS mqadmin reads the route",
        || {
            let route = mqadmin_tls(s.ns(), &["topicRoute", "-t", &topic]);
            route.stdout.contains(&s.broker_addr).then_some(route)
        },
    );
}

#[test]
fn java_tls_and_plain_clients() {
    let _s = compat_tests::scenario::light(90);
    tls_and_plain_clients(Kind::Java);
}

#[test]
fn ours_tls_and_plain_clients() {
    let _s = compat_tests::scenario::light(90);
    tls_and_plain_clients(Kind::Ours);
}

/// A CA and a server certificate it signed (for localhost and 127.0.0.1), PKCS#8 PEM keys as
/// Java's `TlsHelper` reads them.
fn make_pki(dir: &Path) {
    let openssl = |args: &[&str]| {
        run(
            &Cmd::new("openssl", dir).args(args.iter().copied()),
            Duration::from_secs(60),
        )
        .assert_ok();
    };
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .expect("write server.ext");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=thrust-test-ca",
        "-days",
        "2",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}

fn enforcing(kind: NsKind) {
    let dir = work_dir(&format!("{}-tls-pki", kind.label()));
    make_pki(&dir);
    let file = |name: &str| dir.join(name).display().to_string();
    let conf = dir.join("tls.properties");
    std::fs::write(
        &conf,
        format!(
            "tls.test.mode.enable=false\ntls.server.certPath={}\ntls.server.keyPath={}\n\
             tls.client.authServer=true\ntls.client.trustCertPath={}\n",
            file("server.pem"),
            file("server.key"),
            file("ca.pem"),
        ),
    )
    .expect("write tls.properties");
    let props = vec![
        "-Dtls.server.mode=enforcing".to_string(),
        format!("-Dtls.config.file={}", conf.display()),
    ];
    let namesrv = Namesrv::start_props(kind, &[], &props);
    let ns = namesrv.addr.clone();
    let mut spec = BrokerSpec::new(CLUSTER, "broker-tls", &[&ns]);
    spec.props = props;
    let broker = Broker::start_with(kind, spec);
    let _logs = LogDump(vec![&broker.server, &namesrv.server]);

    // The broker's own client uses TLS (the mode is enforcing, tls.enable unset): it registers.
    eventually(
        Duration::from_secs(90),
        "the broker's route through TLS mqadmin",
        || {
            let out = mqadmin_tls(&ns, &["topicRoute", "-t", "broker-tls"]);
            out.stdout.contains(&broker.addr).then_some(out)
        },
    );
    assert!(
        wire::route(&ns, "broker-tls").is_err(),
        "a plain route query is refused"
    );
    let topic = unique("tls_enforcing");
    let plain = Batch {
        body: "plain",
        count: 1,
        mode: "sync",
    };
    let refused = run(
        &java_driver(CLIENT, &producer_args(&ns, &topic, &plain)),
        Duration::from_secs(120),
    );
    assert!(
        refused.code != Some(0) && !refused.stdout.contains("SEND_OK"),
        "a plain producer is refused: {refused}"
    );
    let tls = Batch {
        body: "tls",
        count: 3,
        mode: "sync",
    };
    for client in [CLIENT, JavaClient::V5_3_3] {
        let results = send_results(
            &tls_driver(client, &[], &producer_args(&ns, &topic, &tls)),
            3,
        );
        for r in &results {
            assert_eq!(r["broker"], "broker-tls", "{client:?}: {r}");
        }
    }
}

#[test]
fn java_tls_enforcing() {
    let _s = compat_tests::scenario::heavy(300);
    enforcing(NsKind::Java);
}

#[test]
fn ours_tls_enforcing() {
    let _s = compat_tests::scenario::heavy(150);
    enforcing(NsKind::Ours);
}
