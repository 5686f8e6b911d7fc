//! Starting the NameServers and brokers under test: ours (`target/<profile>/mqnamesrv`,
//! `target/<profile>/mqbroker`, see [`crate::env::workspace_bin`]) and Java's
//! (`org.apache.rocketmq.namesrv.NamesrvStartup` / `org.apache.rocketmq.broker.BrokerStartup`
//! 5.3.3 from Maven Central), each with the same command line and config-file keys
//! (tools-and-clients.md §5.3/§5.4), listening on 127.0.0.1 only, in its own work directory.

use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::env::{cds_archive, classpath, require_workspace_bin, work_dir, workspace_bin};
use crate::ports::{free_broker_port, free_port};
use crate::process::{Cmd, Server};
use crate::wire;

/// RequestCode.GET_BROKER_RUNTIME_INFO.
const GET_BROKER_RUNTIME_INFO: i32 = 28;

/// JVM flags that suit a 2-core machine: one GC thread, C1 only (fast start-up), no perf file.
pub const JVM_FLAGS: &[&str] = &[
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Djava.net.preferIPv4Stack=true",
];

/// [`JVM_FLAGS`] for a 5.x Java broker with its timer wheel on: C2 as well. Its timer flush
/// compares its whole 38.7 MB wheel byte by byte every second; compiled by C1 only, that kept
/// every idle broker a fifth of a core busy (a hundredth with C2), while C2 adds about 2.5 s of
/// CPU to a start-up. Without the wheel a broker runs on [`JVM_FLAGS`].
const TIMER_BROKER_JVM_FLAGS: &[&str] = &[
    "-XX:+UseSerialGC",
    "-XX:-UsePerfData",
    "-Djava.net.preferIPv4Stack=true",
];

/// The `broker.conf` line that turns the timer wheel on, off in every test broker otherwise
/// ([`broker_conf`]): for the scenarios that send timer messages, replicate or take over the
/// wheel's state, or delete topics (Java 5.3.3's DELETE_TOPIC_IN_BROKER clears the topic's timer
/// metrics without checking that the wheel exists, and answers SYSTEM_ERROR without it).
pub const TIMER_WHEEL: (&str, &str) = ("timerWheelEnable", "true");

/// For the Java brokers of the shared fixtures, which run the timer wheel for the whole run and
/// are never killed: the wheel's state reaches disk every 10 s instead of every second. Each
/// flush compares the whole 38.7 MB wheel with its file byte by byte, a fortieth of a core at
/// one a second, more than the rest of an idle broker; only a crash would see the longer
/// interval. Java's key alone: Thrust's timer keeps no such files and refuses it.
pub const JAVA_TIMER_FLUSH: (&str, &str) = ("timerFlushIntervalMs", "10000");

/// The TLS mode a Java server runs in unless its `-D` properties name one: plain connections
/// only. In Java's default mode (permissive) every NameServer, broker and controller makes a
/// self-signed RSA certificate at start-up: a NameServer then boots in 2.7 s and 3.1 s of CPU
/// instead of 0.6 s and 0.7 s, a broker in 2.6-4.1 s and 3.1-4.8 s of CPU instead of 0.8 s and
/// 1.2 s. The scenarios that take TLS connections start their servers with the mode they test
/// ([`TLS_PERMISSIVE`], enforcing).
pub const TLS_DISABLED: &str = "-Dtls.server.mode=disabled";

/// Java's default TLS mode, for the servers whose scenarios connect both with TLS and without.
pub const TLS_PERMISSIVE: &str = "-Dtls.server.mode=permissive";

/// A Java server's `-D` properties: `props`, and [`TLS_DISABLED`] when they name no TLS mode.
pub fn java_server_props(props: &[String]) -> Vec<&str> {
    let mut all: Vec<&str> = props.iter().map(String::as_str).collect();
    if !props.iter().any(|p| p.starts_with("-Dtls.server.mode=")) {
        all.push(TLS_DISABLED);
    }
    all
}

/// Which NameServer implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NsKind {
    Ours,
    Java,
}

impl NsKind {
    pub fn label(self) -> &'static str {
        match self {
            NsKind::Ours => "ours",
            NsKind::Java => "java",
        }
    }
}

/// True when our NameServer binary has been built.
pub fn ours_namesrv_built() -> bool {
    workspace_bin("mqnamesrv").exists()
}

/// A java command line with the harness's JVM flags, run with `user.home` and `ROCKETMQ_HOME` in `dir`
/// (Java RocketMQ writes its logs and default stores under `user.home`).
pub fn java_cmd(dir: &Path, heap: &[&str], classpath: &str, main: &str) -> Cmd {
    java_cmd_with(JVM_FLAGS, dir, heap, classpath, main)
}

fn java_cmd_with(flags: &[&str], dir: &Path, heap: &[&str], classpath: &str, main: &str) -> Cmd {
    // With an archive, the JVM's own warnings go to stderr: a stale archive (the jars changed
    // after setup.sh recorded it) is then skipped without a word on a driver's JSON stdout.
    let cds: Vec<String> = cds_archive(classpath).map_or_else(Vec::new, |a| {
        vec![
            format!("-XX:SharedArchiveFile={}", a.display()),
            "-Xlog:disable".into(),
            "-Xlog:all=warning:stderr".into(),
        ]
    });
    Cmd::new("java", dir)
        .args(heap.iter().copied())
        .args(flags.iter().copied())
        .args(cds)
        .arg(format!("-Duser.home={}", dir.display()))
        .arg("-cp")
        .arg(classpath)
        .arg(main)
        .env("ROCKETMQ_HOME", dir.display().to_string())
        .env("TIMER_SLACK_NS", JAVA_TIMER_SLACK_NS)
}

/// The timer slack a supervised Java server runs with (`scripts/supervise.sh` sets it; the drivers
/// run unsupervised and keep the default). An idle 5.3.3
/// broker wakes a thousand times a second (ReputMessageService sleeps 1 ms per loop,
/// BrokerFastFailure runs every 10 ms, PopBufferMergeService every 5 ms), a twentieth of a core
/// per broker on this machine; with 20 ms of slack the kernel batches those wake-ups and the
/// broker idles at half that. Only timed sleeps wait longer (a stored message reaches its
/// ConsumeQueue up to 20 ms later); wake-ups that something signals, such as a replica's ack or
/// a long-polling pull's arrival notice, are not delayed.
const JAVA_TIMER_SLACK_NS: &str = "20000000";

/// A running NameServer.
pub struct Namesrv {
    pub kind: NsKind,
    /// `127.0.0.1:port`
    pub addr: String,
    pub server: Server,
}

impl Namesrv {
    /// Starts a NameServer of `kind` on a free port and waits until it answers requests.
    pub fn start(kind: NsKind) -> Namesrv {
        Namesrv::start_with(kind, &[])
    }

    /// [`Namesrv::start`] with more `key=value` lines in namesrv.conf.
    pub fn start_with(kind: NsKind, extra: &[(String, String)]) -> Namesrv {
        Namesrv::start_props(kind, extra, &[])
    }

    /// [`Namesrv::start_with`] and `-Dkey=value` system properties (`-Dtls.server.mode=..`):
    /// on the java command line of Java's, in `JAVA_OPT` for ours (as `bin/runserver.sh` passes
    /// them to Java's).
    pub fn start_props(kind: NsKind, extra: &[(String, String)], props: &[String]) -> Namesrv {
        let dir = work_dir(&format!("{}-namesrv", kind.label()));
        let port = free_port();
        let conf = dir.join("namesrv.conf");
        let mut text = format!("listenPort={port}\nbindAddress=127.0.0.1\n");
        for (k, v) in extra {
            text.push_str(&format!("{k}={v}\n"));
        }
        write_file(&conf, &text);
        let conf_arg = conf.display().to_string();
        let server = match kind {
            NsKind::Java => {
                let jvm: Vec<&str> = ["-Xms128m", "-Xmx256m"]
                    .into_iter()
                    .chain(java_server_props(props))
                    .collect();
                let cmd = java_cmd(
                    &dir,
                    &jvm,
                    &classpath("namesrv-5.3.3"),
                    "org.apache.rocketmq.namesrv.NamesrvStartup",
                )
                .args(["-c", conf_arg.as_str()]);
                Server::spawn(
                    "java-namesrv",
                    &cmd,
                    vec![dir.join("logs/rocketmqlogs/namesrv.log")],
                )
            }
            NsKind::Ours => {
                let bin = require_workspace_bin("mqnamesrv");
                let cmd = Cmd::new(bin.display().to_string(), &dir)
                    .args(["-c", conf_arg.as_str()])
                    .env("ROCKETMQ_HOME", dir.display().to_string())
                    .env("HOME", dir.display().to_string())
                    .env("JAVA_OPT", props.join(" "));
                Server::spawn("ours-namesrv", &cmd, Vec::new())
            }
        };
        let ns = Namesrv {
            kind,
            addr: format!("127.0.0.1:{port}"),
            server,
        };
        if enforcing(props) {
            // A plain route query is refused: the boot line says it listens.
            assert!(
                ns.server
                    .wait_for_console("boot success", Duration::from_secs(60)),
                "{} NameServer did not boot\n{}",
                kind.label(),
                ns.server.log_tails(60)
            );
        } else {
            ns.wait_ready(Duration::from_secs(60));
        }
        ns
    }

    fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            // Ready = it answers a route query (TOPIC_NOT_EXIST for a topic nobody has).
            if wire::port_open(&self.addr) && wire::route(&self.addr, "thrust_compat_probe").is_ok()
            {
                return;
            }
            assert!(
                self.server.is_running(),
                "{} NameServer exited during start-up\n{}",
                self.kind.label(),
                self.server.log_tails(60)
            );
            sleep(Duration::from_millis(100));
        }
        panic!(
            "{} NameServer not ready after {timeout:?}\n{}",
            self.kind.label(),
            self.server.log_tails(60)
        );
    }
}

/// Whether `-D` properties make a server refuse plain connections.
fn enforcing(props: &[String]) -> bool {
    props.iter().any(|p| p == "-Dtls.server.mode=enforcing")
}

/// Which published Java broker a [`NsKind::Java`] broker runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum JavaBrokerVersion {
    #[default]
    V5_3_3,
    /// The newest 4.x broker on Maven Central: `rocketmq-broker` 4.9.8 was never published there
    /// (only the client-side modules were). Its store, common and remoting sources equal 4.9.8's;
    /// the broker module differs only in `AdminBrokerProcessor` (4.9.8 adds `configBlackList` to
    /// `UPDATE_BROKER_CONFIG` and drops `GET_BROKER_CLUSTER_ACL_CONFIG`), so the store and
    /// config files it writes are 4.9.8's. 4.x has no `bindAddress` key: it listens on all
    /// interfaces (listenPort, the VIP port listenPort−2 and the HA port listenPort+1).
    V4_9_7,
}

impl JavaBrokerVersion {
    pub fn version(self) -> &'static str {
        match self {
            JavaBrokerVersion::V5_3_3 => "5.3.3",
            JavaBrokerVersion::V4_9_7 => "4.9.7",
        }
    }

    /// JVM flags this version needs on JDK 17. 4.9.x was built for JDK 8: `MappedFile` casts to
    /// `sun.nio.ch.DirectBuffer` (mlock/munlock) and frees mappings by reflection
    /// (`DirectByteBuffer.attachment()/cleaner()`, `jdk.internal.ref.Cleaner.clean()`), which
    /// strong encapsulation refuses without these opens; a refused unmap throws while a
    /// segment is deleted or the store shuts down. 4.x also reads its disk-full threshold from a
    /// system property (default 0.90, after which every put fails until usage drops): raised so
    /// that other work filling the shared test disk does not fail a scenario's sends.
    pub fn jvm_flags(self) -> &'static [&'static str] {
        match self {
            // JDK 8 and 11 let `CommitLog.setFileReadMode` (madvise through
            // `sun.nio.ch.DirectBuffer`, for `mqadmin setCommitLogReadAheadMode`) reach the
            // class; JDK 17 needs the export.
            JavaBrokerVersion::V5_3_3 => &["--add-exports=java.base/sun.nio.ch=ALL-UNNAMED"],
            JavaBrokerVersion::V4_9_7 => &[
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-Drocketmq.broker.diskSpaceWarningLevelRatio=0.99",
            ],
        }
    }
}

/// What a test broker looks like.
#[derive(Clone, Debug)]
pub struct BrokerSpec {
    pub cluster: String,
    pub name: String,
    pub namesrv: Vec<String>,
    /// Extra `key=value` lines for broker.conf.
    pub extra: Vec<(String, String)>,
    /// The Java broker a [`NsKind::Java`] start runs (5.3.3 unless set).
    pub java_version: JavaBrokerVersion,
    /// Files written under the broker's ROCKETMQ_HOME (its work directory) before it starts,
    /// by path relative to it (`conf/plain_acl.yml`, ...).
    pub home_files: Vec<(String, String)>,
    /// `-Dkey=value` system properties: on Java's command line, in `JAVA_OPT` for ours.
    pub props: Vec<String>,
}

impl BrokerSpec {
    pub fn new(cluster: &str, name: &str, namesrv: &[&str]) -> Self {
        BrokerSpec {
            cluster: cluster.into(),
            name: name.into(),
            namesrv: namesrv.iter().map(|s| s.to_string()).collect(),
            extra: Vec::new(),
            java_version: JavaBrokerVersion::default(),
            home_files: Vec::new(),
            props: Vec::new(),
        }
    }

    /// Whether the broker runs 5.x's timer wheel: off unless `extra` turns it on (see
    /// [`broker_conf`]).
    pub fn timer_wheel(&self) -> bool {
        self.extra
            .iter()
            .rev()
            .find(|(k, _)| k == "timerWheelEnable")
            .is_some_and(|(_, v)| v == "true")
    }

    /// The broker keeps its store (and CommitLog) in `store` instead of its work directory.
    pub fn on_store(mut self, store: &Path) -> Self {
        self.extra.extend([
            ("storePathRootDir".into(), store.display().to_string()),
            (
                "storePathCommitLog".into(),
                store.join("commitlog").display().to_string(),
            ),
        ]);
        self
    }
}

/// A running broker: Java's (5.3.3, or 4.9.7 by [`BrokerSpec::java_version`]) or ours
/// (`mqbroker`), started from the same broker.conf.
pub struct Broker {
    pub kind: NsKind,
    pub spec: BrokerSpec,
    /// `127.0.0.1:listenPort`, as registered.
    pub addr: String,
    pub server: Server,
    /// `storePathRootDir`: the work directory's `store/` unless `spec.extra` names another.
    pub store: PathBuf,
}

/// The Java broker, under the name the first scenarios used.
pub type JavaBroker = Broker;

/// True when our broker binary has been built.
pub fn ours_broker_built() -> bool {
    workspace_bin("mqbroker").exists()
}

impl Broker {
    /// Starts a Java broker (see [`Broker::start_with`]).
    pub fn start(spec: BrokerSpec) -> Broker {
        Broker::start_with(NsKind::Java, spec)
    }

    /// Starts a broker of `kind` on free ports with its store in a fresh work directory and
    /// waits for its boot line (not for its registration: see [`Broker::wait_registered`]).
    pub fn start_with(kind: NsKind, spec: BrokerSpec) -> Broker {
        let dir = work_dir(&format!("{}-broker-{}", kind.label(), spec.name));
        let port = free_broker_port();
        let conf_path = dir.join("broker.conf");
        write_file(&conf_path, &broker_conf(&spec, port, &dir.join("store")));
        for (rel, text) in &spec.home_files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir under the broker's home");
            }
            write_file(&path, text);
        }
        // With ACL on, an unsigned request is refused: the refusal shows the broker answers.
        let acl = spec
            .extra
            .iter()
            .any(|(k, v)| k == "aclEnable" && v == "true");
        // So is one without credentials under 5.x authentication.
        let authn = spec
            .extra
            .iter()
            .any(|(k, v)| k == "authenticationEnabled" && v == "true");
        // A later key wins in broker.conf, as in Java's properties file.
        let store = spec
            .extra
            .iter()
            .rev()
            .find(|(k, _)| k == "storePathRootDir")
            .map_or_else(|| dir.join("store"), |(_, v)| PathBuf::from(v));
        let conf_arg = conf_path.display().to_string();
        let name = format!("{}-broker-{}", kind.label(), spec.name);
        let server = match kind {
            NsKind::Java => {
                let version = spec.java_version;
                if version == JavaBrokerVersion::V4_9_7 {
                    // 4.x configures logback from $ROCKETMQ_HOME/conf/logback_broker.xml and
                    // exits when that file is missing (5.x ships its config in the jar).
                    std::fs::create_dir_all(dir.join("conf")).expect("mkdir conf");
                    write_file(&dir.join("conf/logback_broker.xml"), LOGBACK_4X);
                }
                let heap = ["-Xms256m", "-Xmx512m"];
                let flags = match version {
                    JavaBrokerVersion::V5_3_3 if spec.timer_wheel() => TIMER_BROKER_JVM_FLAGS,
                    _ => JVM_FLAGS,
                };
                let props = java_server_props(&spec.props);
                let cmd = java_cmd_with(
                    flags,
                    &dir,
                    &[&heap[..], version.jvm_flags(), &props].concat(),
                    &classpath(&format!("broker-{}", version.version())),
                    "org.apache.rocketmq.broker.BrokerStartup",
                )
                .args(["-c", conf_arg.as_str()]);
                Server::spawn(&name, &cmd, vec![dir.join("logs/rocketmqlogs/broker.log")])
            }
            NsKind::Ours => {
                let bin = require_workspace_bin("mqbroker");
                let cmd = Cmd::new(bin.display().to_string(), &dir)
                    .args(["-c", conf_arg.as_str()])
                    .env("ROCKETMQ_HOME", dir.display().to_string())
                    .env("HOME", dir.display().to_string())
                    .env("JAVA_OPT", spec.props.join(" "));
                Server::spawn(&name, &cmd, Vec::new())
            }
        };
        let broker = Broker {
            kind,
            spec,
            addr: format!("127.0.0.1:{port}"),
            server,
            store,
        };
        assert!(
            broker
                .server
                .wait_for_console("boot success", Duration::from_secs(90)),
            "broker {} did not boot\n{}",
            broker.spec.name,
            broker.server.log_tails(80)
        );
        if enforcing(&broker.spec.props) {
            // Plain requests are refused; the scenario checks the broker over TLS itself.
            return broker;
        }
        // A Java broker answers GET_BROKER_RUNTIME_INFO (mqadmin clusterList, brokerStatus) with
        // a NoSuchElementException until its store statistics take their first sample, a moment
        // after the boot line on a busy machine.
        crate::wait::wait_until(
            Duration::from_secs(60),
            &format!(
                "broker {} to answer GET_BROKER_RUNTIME_INFO",
                broker.spec.name
            ),
            || {
                wire::request(
                    &broker.addr,
                    GET_BROKER_RUNTIME_INFO,
                    &[],
                    Duration::from_secs(5),
                )
                .is_ok_and(|r| {
                    r.code == 0
                        || (authn && r.code == 16)
                        || (acl
                            && r.remark
                                .as_deref()
                                .is_some_and(|m| m.contains("AclException")))
                })
            },
        );
        broker
    }

    /// Waits until `ns` routes the topic named after this broker to this broker's address
    /// (a Java broker registers that topic; `brokerTopicEnable` defaults to true).
    pub fn wait_registered(&self, ns: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(route)) = wire::route(ns, &self.spec.name) {
                if wire::route_broker_addrs(&route).contains(&self.addr) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "broker {} not registered with {ns} after {timeout:?}\n{}",
                self.spec.name,
                self.server.log_tails(60)
            );
            sleep(Duration::from_millis(200));
        }
    }
}

/// A logback configuration for the 4.x Java broker: every logger at INFO into the one file the
/// harness tails, `logs/rocketmqlogs/broker.log` under `user.home` (the broker's work directory).
const LOGBACK_4X: &str = r#"<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${user.home}/logs/rocketmqlogs/broker.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
"#;

/// broker.conf for a test broker: loopback only, small commitlog segments, auto-create on, and
/// send flow control relaxed (Java answers SYSTEM_BUSY when a send waits over 200 ms in its queue,
/// which a shared 2-core machine starting JVMs can cause), and 5.x's timer wheel off: it keeps an
/// idle Java broker a twentieth of a core busy and costs its start-up a 38.7 MB wheel file, so
/// only the scenarios that need it turn it on ([`TIMER_WHEEL`] in `spec.extra`). A 5.3.3
/// broker's TransactionMetricsFlushService spins without sleeping until its first
/// `transactionMetricFlushInterval` has passed (3 s by default: 2.5 s of CPU per start-up); at
/// 500 ms the spin is short and persisting the transaction metrics twice a second costs 0.4 % of
/// a core (ours takes the key without effect, docs/config.md). `spec.extra` lines come last (a
/// later key wins in a Java properties file, as in ours).
fn broker_conf(spec: &BrokerSpec, port: u16, store: &Path) -> String {
    let mut conf = format!(
        "brokerClusterName={}\nbrokerName={}\nbrokerId=0\nbrokerRole=ASYNC_MASTER\nflushDiskType=ASYNC_FLUSH\n\
         listenPort={port}\nhaListenPort={}\nbindAddress=127.0.0.1\nbrokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\n\
         namesrvAddr={}\nstorePathRootDir={}\nstorePathCommitLog={}\nmappedFileSizeCommitLog=67108864\n\
         autoCreateTopicEnable=true\nautoCreateSubscriptionGroup=true\n\
         waitTimeMillsInSendQueue=3000\nosPageCacheBusyTimeOutMills=5000\ntimerWheelEnable=false\n\
         transactionMetricFlushInterval=500\n",
        spec.cluster,
        spec.name,
        port + 1,
        spec.namesrv.join(";"),
        store.display(),
        store.join("commitlog").display(),
    );
    for (k, v) in &spec.extra {
        conf.push_str(&format!("{k}={v}\n"));
    }
    conf
}

pub(crate) fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// A running Java proxy 5.3.3 (`org.apache.rocketmq.proxy.ProxyStartup`, Maven Central
/// `rocketmq-proxy`) in cluster mode: a stateless gRPC (and remoting) front of the brokers of one
/// cluster, which it finds through the NameServer. The 5.x gRPC SDKs speak only to a proxy.
///
/// ```text
///   gRPC SDK ──gRPC──▶ ProxyStartup -pm cluster ──remoting──▶ NameServer, broker(s)
/// ```
pub struct Proxy {
    /// `127.0.0.1:grpcServerPort`: the SDKs' endpoint.
    pub grpc: String,
    pub server: Server,
}

impl Proxy {
    /// Starts a proxy for cluster `cluster` behind NameServer `ns` on free ports, with `extra`
    /// rmq-proxy.json keys (JSON values), and waits until both its ports accept connections:
    /// `ProxyStartup` binds its gRPC port and then its remoting port once its services run.
    pub fn start(ns: &str, cluster: &str, extra: &[(&str, &str)]) -> Proxy {
        let dir = work_dir("java-proxy");
        let (grpc_port, remoting_port) = (free_port(), free_port());
        // Keys as ProxyConfig names them. The bind address is not configurable (the gRPC and
        // remoting servers listen on every interface); localServeAddr is the address the proxy
        // reports as its own. The jstack dump every minute would only fill the log.
        let mut keys = vec![
            ("rocketMQClusterName".to_string(), format!("\"{cluster}\"")),
            ("namesrvAddr".to_string(), format!("\"{ns}\"")),
            ("grpcServerPort".to_string(), grpc_port.to_string()),
            ("remotingListenPort".to_string(), remoting_port.to_string()),
            ("localServeAddr".to_string(), "\"127.0.0.1\"".to_string()),
            ("proxyName".to_string(), format!("\"proxy-{grpc_port}\"")),
            ("enablePrintJstack".to_string(), "false".to_string()),
        ];
        keys.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let body: Vec<String> = keys
            .iter()
            .map(|(k, v)| format!("  \"{k}\": {v}"))
            .collect();
        let conf = dir.join("rmq-proxy.json");
        write_file(&conf, &format!("{{\n{}\n}}\n", body.join(",\n")));
        let conf_arg = conf.display().to_string();
        let cmd = java_cmd(
            &dir,
            &["-Xms128m", "-Xmx256m"],
            &classpath("proxy-5.3.3"),
            "org.apache.rocketmq.proxy.ProxyStartup",
        )
        .args(["-pc", conf_arg.as_str(), "-pm", "cluster"]);
        let server = Server::spawn(
            "java-proxy",
            &cmd,
            vec![dir.join("logs/rocketmqlogs/proxy.log")],
        );
        let grpc = format!("127.0.0.1:{grpc_port}");
        let remoting = format!("127.0.0.1:{remoting_port}");
        crate::wait::wait_until(Duration::from_secs(120), "the proxy's ports", || {
            assert!(
                server.is_running(),
                "the proxy exited during start-up\n{}",
                server.log_tails(80)
            );
            wire::port_open(&grpc) && wire::port_open(&remoting)
        });
        Proxy { grpc, server }
    }
}
