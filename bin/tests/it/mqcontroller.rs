//! Runs the `mqcontroller` binary as scripts do: `-p`, `-c` with Java's `controller.conf` keys,
//! the boot line, a request over TCP on the port of its own peer entry, the refusals, a group of
//! controllers with one member down, a group in enforcing TLS mode, and a clean stop on SIGTERM.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use remoting::code::{request as rq, response};
use remoting::headers::ApplyBrokerIdRequestHeader;
use remoting::testutil::free_port;

use crate::child::{run, Child, DEADLINE};

const BIN: &str = env!("CARGO_BIN_EXE_mqcontroller");

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("thrust-mqcontroller-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `mqcontroller -c <dir>/controller.conf` with `conf` in it, home in `dir`.
fn start(dir: &Path, conf: &str) -> Child {
    start_with_java_opt(dir, conf, "")
}

/// [`start`] with `JAVA_OPT` set, as `bin/runserver.sh` passes `-D` settings.
fn start_with_java_opt(dir: &Path, conf: &str, java_opt: &str) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("controller.conf");
    std::fs::write(&file, conf).unwrap();
    let mut child = Child::spawn(
        Command::new(BIN)
            .args(["-c", file.to_str().unwrap()])
            .env("ROCKETMQ_HOME", dir)
            .env("HOME", dir)
            .env("JAVA_OPT", java_opt),
    );
    child.line(|l| l == "The Controller Server boot success. serializeType=JSON");
    child
}

fn call(addr: &str, cmd: remoting::Command) -> remoting::Command {
    call_with(remoting::Client::new(), addr, cmd)
}

/// [`call`] over TLS, trusting any server (Java's test mode).
fn call_tls(addr: &str, cmd: remoting::Command) -> remoting::Command {
    let tls = remoting::tls::ClientTls::new(&remoting::tls::TlsSettings::default()).unwrap();
    call_with(
        remoting::Client::new().with_tls(Some(std::sync::Arc::new(tls))),
        addr,
        cmd,
    )
}

fn call_with(client: remoting::Client, addr: &str, cmd: remoting::Command) -> remoting::Command {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        client
            .invoke(addr, cmd, Duration::from_secs(5))
            .await
            .unwrap()
    })
}

/// Ports and `controller.conf` texts of a group of three members with stores under `dir`.
fn group(dir: &Path) -> ([u16; 3], Vec<String>) {
    let ports = [free_port(), free_port(), free_port()];
    let peers: Vec<String> = (0..3)
        .map(|i| format!("n{i}-127.0.0.1:{}", ports[i]))
        .collect();
    let confs = (0..3)
        .map(|i| {
            format!(
                "bindAddress=127.0.0.1\ncontrollerDLegerGroup=g\ncontrollerDLegerPeers={}\n\
                 controllerDLegerSelfId=n{i}\ncontrollerStorePath={}\n",
                peers.join(";"),
                dir.join(format!("n{i}/store")).display()
            )
        })
        .collect();
    (ports, confs)
}

/// Waits until one of `members` says it leads and commits an event (a broker id) there, and
/// returns its index. A leader that lost its term between the two calls (an election on a loaded
/// machine) answers CONTROLLER_NOT_LEADER, as Java's does, and the next leader is asked.
fn leader_commits(
    members: &[String],
    call: fn(&str, remoting::Command) -> remoting::Command,
) -> usize {
    let until = Instant::now() + DEADLINE;
    let h = ApplyBrokerIdRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: Some("b".into()),
        applied_broker_id: Some(1),
        register_check_code: Some("127.0.0.1:10911;1".into()),
    };
    loop {
        let leading = (0..members.len()).find(|i| {
            call(
                &members[*i],
                remoting::Command::request(rq::CONTROLLER_GET_METADATA_INFO),
            )
            .ext("isLeader")
                == Some("true")
        });
        if let Some(leader) = leading {
            let reply = call(
                &members[leader],
                remoting::Command::request(rq::CONTROLLER_APPLY_BROKER_ID).with_header(&h),
            );
            if reply.code == response::SUCCESS {
                return leader;
            }
            assert_eq!(
                reply.code,
                response::CONTROLLER_NOT_LEADER,
                "{:?}",
                reply.remark
            );
        }
        assert!(Instant::now() < until, "no leader committed");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn print_config_lists_java_keys() {
    let dir = temp_dir("print");
    let conf = dir.join("controller.conf");
    std::fs::write(
        &conf,
        "controllerDLegerSelfId=n7\nenableElectUncleanMaster=true\n",
    )
    .unwrap();
    let out = run(Command::new(BIN)
        .args(["-c", conf.to_str().unwrap(), "-p"])
        .env("HOME", &dir));
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for line in [
        "load config properties file OK",
        " INFO main - controllerDLegerSelfId=n7\n",
        " INFO main - enableElectUncleanMaster=true\n",
        " INFO main - listenPort=19876\n",
        " INFO main - isProcessReadEvent=false\n",
        " INFO main - jRaftGroupId=jRaft-Controller\n",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}

#[test]
fn boots_on_its_peer_port_and_stops_on_sigterm() {
    let dir = temp_dir("boot");
    let port = free_port();
    let mut child = start(
        &dir,
        &format!(
            "bindAddress=127.0.0.1\ncontrollerDLegerPeers=n0-127.0.0.1:{port}\n\
             controllerDLegerSelfId=n0\ncontrollerStorePath={}\n",
            dir.join("store").display()
        ),
    );
    // CONTROLLER_GET_METADATA_INFO (1005), a JSON header frame.
    let reply = call(
        &format!("127.0.0.1:{port}"),
        remoting::Command::request(1005),
    );
    assert_eq!(reply.code, 0);
    assert_eq!(
        reply.ext("controllerLeaderAddress"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(reply.ext("isLeader"), Some("true"));
    assert!(dir.join("store/thrust-events.log").exists());
    child.terminate();
    assert!(child.wait().success());
}

/// Two of three controllers serve as a group; the third is down. The leader commits with the
/// two and warns about the third naming its address, once and then once per interval with the
/// number of failed tries, where openraft alone logged an ERROR for every try (every 500 ms).
#[test]
fn a_group_with_one_member_down_serves_and_warns_about_it_sparingly() {
    let dir = temp_dir("group");
    let (ports, confs) = group(&dir);
    let mut members: Vec<Child> = (0..2)
        .map(|i| start(&dir.join(format!("n{i}")), &confs[i]))
        .collect();
    let addr = |i: usize| format!("127.0.0.1:{}", ports[i]);
    let leader = leader_commits(&[addr(0), addr(1)], call);

    // From here on the leader is settled: no elections, only tries to reach the third member.
    let mark = members[leader].stderr().len();
    let down = format!("peer={}", addr(2));
    let failures = |line: &str| -> u64 {
        line.split("failures=")
            .nth(1)
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    };
    let warning = |l: &str| l.contains(" WARN ") && l.contains(&down);
    // A warning that counts several failed tries since the one before.
    members[leader].stderr_until(|log| log[mark..].lines().any(|l| warning(l) && failures(l) >= 3));
    let log = members[leader].stderr();
    let since: Vec<&str> = log[mark..].lines().collect();
    let last = since
        .iter()
        .position(|l| warning(l) && failures(l) >= 3)
        .unwrap();
    let window = &since[..=last];
    assert!(
        window.iter().filter(|l| warning(l)).count() <= 2,
        "{window:#?}"
    );
    assert!(window.iter().all(|l| !l.contains(" ERROR ")), "{window:#?}");
    assert!(!log.contains("openraft::replication"), "{log}");
    for m in &members {
        m.terminate();
    }
    for m in &mut members {
        let status = m.wait();
        assert!(status.success(), "{status}: {}", m.stderr());
    }
}

#[test]
fn what_java_refuses_or_thrust_lacks_stops_start_up_naming_the_key() {
    let dir = temp_dir("refused");
    let conf = dir.join("controller.conf");
    let peers = "controllerDLegerSelfId=n0\ncontrollerDLegerPeers=n0-127.0.0.1:1";
    for (lines, says) in [
        (
            "controllerDLegerSelfId=n0\n".to_string(),
            "Attribute value controllerDLegerPeers of ControllerConfig is null or empty",
        ),
        (
            format!("{peers};n0-127.0.0.1:2\n"),
            "peer id n0 is listed twice",
        ),
        (
            format!("{peers};n1-127.0.0.1:2\ncontrollerDLegerSelfId=n2\n"),
            "controllerDLegerSelfId=n2 is not one of controllerDLegerPeers",
        ),
        (
            format!("{peers}\ncontrollerType=jRaft\n"),
            "config key controllerType=jRaft is not supported yet",
        ),
        (
            format!("{peers}\nmetricsExporterType=PROM\n"),
            "config key metricsExporterType=PROM is not supported yet",
        ),
        (
            format!("{peers}\nscanInactiveMasterInterval=x\n"),
            "config key scanInactiveMasterInterval: bad value",
        ),
    ] {
        std::fs::write(&conf, &lines).unwrap();
        let out = run(Command::new(BIN)
            .args(["-c", conf.to_str().unwrap()])
            .env("ROCKETMQ_HOME", &dir)
            .env("HOME", &dir));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(255), "{lines}: {stderr}");
        assert!(stderr.contains(says), "{lines}: {stderr}");
    }
}

/// With `tls.server.mode=enforcing` every member refuses plain connections, so the group elects
/// a leader and commits only because the members' Raft calls go over TLS too (`useTLS` follows
/// the enforcing mode, as in Java).
#[test]
fn a_group_in_enforcing_tls_mode_elects_and_commits() {
    let dir = temp_dir("group-tls");
    let (ports, confs) = group(&dir);
    let members: Vec<Child> = (0..3)
        .map(|i| {
            start_with_java_opt(
                &dir.join(format!("n{i}")),
                &confs[i],
                "-Dtls.server.mode=enforcing",
            )
        })
        .collect();
    let addr = |i: usize| format!("127.0.0.1:{}", ports[i]);
    leader_commits(&[addr(0), addr(1), addr(2)], call_tls);
    for m in &members {
        m.terminate();
    }
}
