//! Runs the `mqcontroller` binary as scripts do: `-p`, `-c` with Java's `controller.conf` keys,
//! the boot line, a request over TCP on the port of its own peer entry, the refusals, and a
//! clean stop on SIGTERM.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::child::{run, Child};

const BIN: &str = env!("CARGO_BIN_EXE_mqcontroller");

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("thrust-mqcontroller-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `mqcontroller -c <dir>/controller.conf` with `conf` in it, home in `dir`.
fn start(dir: &Path, conf: &str) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("controller.conf");
    std::fs::write(&file, conf).unwrap();
    let mut child = Child::spawn(
        Command::new(BIN)
            .args(["-c", file.to_str().unwrap()])
            .env("ROCKETMQ_HOME", dir)
            .env("HOME", dir),
    );
    child.line(|l| l == "The Controller Server boot success. serializeType=JSON");
    child
}

fn call(addr: &str, cmd: remoting::Command) -> remoting::Command {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        remoting::Client::new()
            .invoke(addr, cmd, Duration::from_secs(5))
            .await
            .unwrap()
    })
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
