//! Running the client-side programs: `mqadmin` (rocketmq-tools 5.3.3), our Java driver
//! (`compat-tests/java/client`, against client 5.3.3 or 4.9.8), our Go driver
//! (`compat-tests/go`, rocketmq-client-go/v2 v2.1.2), our gRPC SDK driver (`compat-tests/java/grpc`,
//! rocketmq-client-java 5.0.8), our C++ driver (`compat-tests/python`,
//! librocketmq through the PyPI package `rocketmq` 0.4.4) and our drivers of the Go and Python
//! 5.x gRPC SDKs (`compat-tests/go5`, golang/v5 v5.1.2; `compat-tests/python/sdk5driver.py`,
//! `rocketmq-python-client` 5.1.2).

use std::time::Duration;

use crate::env::{
    classpath, cpp_client_dir, cpp_driver, driver_classpath, driver_jar, go5_driver, go_driver,
    python5_sdk_dir, sdk5_driver, work_dir,
};
use crate::process::{run, Cmd, Output};
use crate::servers::java_cmd;
use crate::wait::wait_until;
use crate::wire;

/// The Java client a driver runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JavaClient {
    V5_3_3,
    V4_9_8,
}

impl JavaClient {
    pub fn version(self) -> &'static str {
        match self {
            JavaClient::V5_3_3 => "5.3.3",
            JavaClient::V4_9_8 => "4.9.8",
        }
    }
}

/// The default limit for one mqadmin invocation.
pub const MQADMIN_TIMEOUT: Duration = Duration::from_secs(90);

/// Runs `mqadmin <args> -n <ns>` and returns its output (mqadmin often exits 0 on errors: check
/// the text). The unmodified `MQAdminStartup` runs in a long-lived mqadmin server
/// ([`crate::admin_server`]), else in a JVM of its own ([`mqadmin_cmd`]).
pub fn mqadmin(ns: &str, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["-n", ns]);
    crate::admin_server::run(&all, MQADMIN_TIMEOUT)
        .unwrap_or_else(|| run(&mqadmin_cmd(ns, args), MQADMIN_TIMEOUT))
}

/// `mqadmin <args> -n <ns>` in a JVM of its own, for commands that must run in the background:
/// `AdminRun` ends the JVM as soon as the command returns.
pub fn mqadmin_cmd(ns: &str, args: &[&str]) -> Cmd {
    mqadmin_cmd_jvm(ns, &[], args)
}

/// `mqadmin <args> -n <ns>` over TLS: `-Dtls.enable=true`, as a user turns TLS on for
/// `bin/mqadmin` (through `JAVA_OPT`), in a JVM of its own.
pub fn mqadmin_tls(ns: &str, args: &[&str]) -> Output {
    run(
        &mqadmin_cmd_jvm(ns, &["-Dtls.enable=true"], args),
        MQADMIN_TIMEOUT,
    )
}

fn mqadmin_cmd_jvm(ns: &str, jvm: &[&str], args: &[&str]) -> Cmd {
    let dir = work_dir(&format!(
        "mqadmin-{}",
        args.first().copied().unwrap_or("help")
    ));
    let cp = format!(
        "{}:{}",
        driver_jar("admin-5.3.3").display(),
        classpath("tools-5.3.3")
    );
    java_cmd(
        &dir,
        &[&["-Xms64m", "-Xmx256m"][..], jvm].concat(),
        &cp,
        "thrust.compat.admin.AdminRun",
    )
    .args(args.iter().copied())
    .args(["-n", ns])
}

/// `mqadmin updateTopic -c <cluster> -t <topic>` with `queues` read and write queues; asserts
/// mqadmin said success and waits until `ns` routes the topic. Returns mqadmin's output.
pub fn update_topic(ns: &str, cluster: &str, topic: &str, queues: u32) -> Output {
    update_topic_with(ns, cluster, topic, queues, &[])
}

/// [`update_topic`] with more mqadmin options (`-a +message.type=FIFO`, `-o true`, ...).
pub fn update_topic_with(
    ns: &str,
    cluster: &str,
    topic: &str,
    queues: u32,
    more: &[&str],
) -> Output {
    let q = queues.to_string();
    let mut args = vec![
        "updateTopic",
        "-c",
        cluster,
        "-t",
        topic,
        "-r",
        &q,
        "-w",
        &q,
    ];
    args.extend_from_slice(more);
    let out = mqadmin(ns, &args);
    assert!(out.stdout.contains("success."), "updateTopic failed: {out}");
    wait_until(
        Duration::from_secs(60),
        &format!("route of {topic}"),
        || wire::route(ns, topic).ok().flatten().is_some(),
    );
    out
}

/// The Java driver command (`produce …` / `consume …`, key=value arguments).
pub fn java_driver(client: JavaClient, args: &[String]) -> Cmd {
    java_program(client, "ClientDriver", args)
}

/// Any of our Java driver programs (`thrust.compat.<class>` in compat-tests/java/client), run on
/// the Java client `client` with `args` (a mode first, then `key=value` pairs).
pub fn java_program(client: JavaClient, class: &str, args: &[String]) -> Cmd {
    java_program_jvm(client, class, &[], args)
}

/// [`java_program`] with more JVM options (`-Dtls.enable=true`, ...).
pub fn java_program_jvm(client: JavaClient, class: &str, jvm: &[&str], args: &[String]) -> Cmd {
    let v = client.version();
    let dir = work_dir(&format!(
        "java{v}-{class}-{}",
        args.first().map(String::as_str).unwrap_or("driver")
    ));
    java_cmd(
        &dir,
        &[&["-Xms64m", "-Xmx384m"][..], jvm].concat(),
        &driver_classpath(v),
        &format!("thrust.compat.{class}"),
    )
    .args(args.iter().cloned())
}

/// The gRPC SDK version our gRPC driver runs on (`rocketmq-client-java`, the newest 5.0.x).
pub const GRPC_CLIENT: &str = "5.0.8";

/// Our gRPC SDK driver (`thrust.compat.GrpcDriver` in compat-tests/java/grpc, on
/// `rocketmq-client-java` [`GRPC_CLIENT`]): a mode, then `key=value` pairs, `ep=` a proxy's
/// gRPC endpoint.
pub fn grpc_driver(args: &[String]) -> Cmd {
    let dir = work_dir(&format!(
        "grpc-{}",
        args.first().map(String::as_str).unwrap_or("driver")
    ));
    let cp = format!(
        "{}:{}",
        driver_jar(&format!("grpc-{GRPC_CLIENT}")).display(),
        classpath(&format!("grpc-client-{GRPC_CLIENT}"))
    );
    java_cmd(
        &dir,
        &["-Xms64m", "-Xmx256m"],
        &cp,
        "thrust.compat.GrpcDriver",
    )
    .args(args.iter().cloned())
}

/// The Go driver command (same modes and arguments as the Java driver).
pub fn go_driver_cmd(args: &[String]) -> Cmd {
    let dir = work_dir(&format!(
        "go-{}",
        args.first().map(String::as_str).unwrap_or("driver")
    ));
    Cmd::new(go_driver().display().to_string(), &dir)
        .args(args.iter().cloned())
        .env("HOME", dir.display().to_string())
}

/// The C++ driver command (`produce`, `consume`, `pull`; key=value arguments as the Go driver's,
/// see `compat-tests/python/cppdriver.py`). The client writes its logs under the work directory.
pub fn cpp_driver_cmd(args: &[String]) -> Cmd {
    let dir = work_dir(&format!(
        "cpp-{}",
        args.first().map(String::as_str).unwrap_or("driver")
    ));
    Cmd::new("python3", &dir)
        .arg(cpp_driver().display().to_string())
        .args(args.iter().cloned())
        .env("PYTHONPATH", cpp_client_dir().display().to_string())
        .env("HOME", dir.display().to_string())
}

/// Our driver of the Go 5.x gRPC SDK (`compat-tests/go5`): the modes and JSON lines of
/// [`grpc_driver`] but `dlq` and `push` (the SDK has no PushConsumer in v5.1.2). The SDK logs
/// under the work directory.
pub fn go5_driver_cmd(args: &[String]) -> Cmd {
    let dir = work_dir(&format!(
        "go5-{}",
        args.first().map(String::as_str).unwrap_or("driver")
    ));
    Cmd::new(go5_driver().display().to_string(), &dir)
        .args(args.iter().cloned())
        .env("HOME", dir.display().to_string())
        .env(
            "rocketmq.client.logRoot",
            dir.join("logs").display().to_string(),
        )
}

/// Our driver of the Python 5.x gRPC SDK (`compat-tests/python/sdk5driver.py`): the modes and
/// JSON lines of [`grpc_driver`] but `dlq`. The SDK logs under the work directory.
pub fn python5_driver_cmd(args: &[String]) -> Cmd {
    let dir = work_dir(&format!(
        "py5-{}",
        args.first().map(String::as_str).unwrap_or("driver")
    ));
    Cmd::new("python3", &dir)
        .arg(sdk5_driver().display().to_string())
        .args(args.iter().cloned())
        .env("PYTHONPATH", python5_sdk_dir().display().to_string())
        .env("HOME", dir.display().to_string())
}

/// Builds `key=value` driver arguments.
pub fn kv(mode: &str, pairs: &[(&str, &str)]) -> Vec<String> {
    std::iter::once(mode.to_string())
        .chain(pairs.iter().map(|(k, v)| format!("{k}={v}")))
        .collect()
}
