//! Runs the `mqnamesrv` binary as scripts do: `-p`, `-c` with a config file, the boot line,
//! a request over TCP, and a clean stop on SIGTERM.

use std::process::Command;
use std::time::Duration;

use crate::child::{run, Child};

const BIN: &str = env!("CARGO_BIN_EXE_mqnamesrv");

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("thrust-mqnamesrv-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn print_config_lists_java_keys() {
    let dir = temp_dir("print");
    let conf = dir.join("namesrv.conf");
    std::fs::write(&conf, "listenPort=19999\norderMessageEnable=true\n").unwrap();
    let out = run(Command::new(BIN)
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .env("HOME", &dir));
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("load config properties file OK"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" INFO main - listenPort=19999\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" INFO main - orderMessageEnable=true\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("configStorePath={}\n", conf.display())),
        "{stdout}"
    );
}

#[test]
fn rocketmq_home_defaults_to_the_directory_above_the_binary() {
    let dir = temp_dir("home");
    let out = run(Command::new(BIN)
        .arg("-p")
        .env_remove("ROCKETMQ_HOME")
        .env("HOME", &dir));
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let exe = std::fs::canonicalize(BIN).unwrap();
    let want = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .display()
        .to_string();
    assert!(
        stdout.contains(&format!(" INFO main - rocketmqHome={want}\n")),
        "{stdout}"
    );
}

#[test]
fn bad_value_is_refused_naming_the_key() {
    let dir = temp_dir("bad");
    let conf = dir.join("namesrv.conf");
    std::fs::write(&conf, "listenPort=98x\n").unwrap();
    let out = run(Command::new(BIN).arg("-c").arg(&conf).env("HOME", &dir));
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("listenPort"));
}

#[test]
fn boots_serves_and_stops_on_sigterm() {
    let dir = temp_dir("boot");
    let conf = dir.join("namesrv.conf");
    let kv = dir.join("kvConfig.json");
    std::fs::write(
        &conf,
        format!(
            "bindAddress=127.0.0.1\nlistenPort=0\nkvConfigPath={}\n",
            kv.display()
        ),
    )
    .unwrap();
    let mut child = Child::spawn(
        Command::new(BIN)
            .arg("-c")
            .arg(&conf)
            .env("ROCKETMQ_HOME", &dir)
            .env("HOME", &dir),
    );
    let boot = child.line(|l| l.starts_with("The Name Server boot success. serializeType=JSON"));
    let port = boot.rsplit(':').next().unwrap().to_string();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = runtime.block_on(async {
        let client = remoting::Client::new();
        let cmd = remoting::Command::request(remoting::code::request::GET_BROKER_CLUSTER_INFO);
        client
            .invoke(&format!("127.0.0.1:{port}"), cmd, Duration::from_secs(5))
            .await
            .unwrap()
    });
    assert_eq!(reply.code, remoting::code::response::SUCCESS);

    child.terminate();
    let status = child.wait();
    assert!(status.success(), "exit status {status:?}");
    let log = std::fs::read_to_string(dir.join("logs/rocketmqlogs/namesrv.log")).unwrap();
    assert!(log.contains("The Name Server boot success."), "{log}");
}

#[test]
fn unsupported_values_stop_start_up_naming_the_key() {
    let dir = temp_dir("unsupported");
    let conf = dir.join("namesrv.conf");
    let controller = "enableControllerInNamesrv=true\ncontrollerDLegerSelfId=n0\n";
    for (key, lines, says) in [
        (
            "clusterTest",
            "clusterTest=true\n",
            "config key clusterTest=true is not supported yet",
        ),
        (
            "notifyMinBrokerIdChanged",
            "notifyMinBrokerIdChanged=true\n",
            "config key notifyMinBrokerIdChanged=true is not supported yet",
        ),
        // The embedded controller needs its peers, as Java's, each with its own id.
        (
            "enableControllerInNamesrv",
            controller,
            "Attribute value controllerDLegerPeers of ControllerConfig is null or empty",
        ),
        (
            "controllerDLegerPeers",
            &format!("{controller}controllerDLegerPeers=n0-127.0.0.1:1;n0-127.0.0.1:2\n"),
            "peer id n0 is listed twice",
        ),
    ] {
        std::fs::write(
            &conf,
            format!("bindAddress=127.0.0.1\nlistenPort=0\n{lines}"),
        )
        .unwrap();
        let out = run(Command::new(BIN)
            .arg("-c")
            .arg(&conf)
            .env("ROCKETMQ_HOME", &dir)
            .env("HOME", &dir));
        let (status, stderr) = (out.status, String::from_utf8_lossy(&out.stderr));
        assert_eq!(status.code(), Some(255), "{key}: {stderr}");
        assert!(stderr.contains(says), "{key}: {stderr}");
    }
}

/// Starts `mqnamesrv` on a free port with `JAVA_OPT` and returns it with its address.
fn start_with_java_opt(dir: &std::path::Path, java_opt: &str) -> (Child, String) {
    let conf = dir.join("namesrv.conf");
    std::fs::write(&conf, "bindAddress=127.0.0.1\nlistenPort=0\n").unwrap();
    let mut child = Child::spawn(
        Command::new(BIN)
            .arg("-c")
            .arg(&conf)
            .env("ROCKETMQ_HOME", dir)
            .env("HOME", dir)
            .env("JAVA_OPT", java_opt)
            .env_remove("JAVA_OPT_EXT"),
    );
    let boot = child.line(|l| l.starts_with("The Name Server boot success. serializeType=JSON"));
    let port = boot.rsplit(':').next().unwrap().to_string();
    (child, format!("127.0.0.1:{port}"))
}

/// `-Dtls.server.mode=enforcing` in `JAVA_OPT` (as `bin/runserver.sh` passes it to Java's):
/// a plain client is closed, a TLS client is answered.
#[test]
fn java_opt_sets_the_tls_mode() {
    let dir = temp_dir("tls-mode");
    let (_server, addr) = start_with_java_opt(&dir, "-Xmx1g -Dtls.server.mode=enforcing");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let cmd = || remoting::Command::request(remoting::code::request::GET_BROKER_CLUSTER_INFO);
        let plain = remoting::Client::new()
            .invoke(&addr, cmd(), Duration::from_secs(5))
            .await;
        assert!(plain.is_err(), "{plain:?}");
        let tls = remoting::tls::ClientTls::new(&remoting::tls::TlsSettings::default()).unwrap();
        let reply = remoting::Client::new()
            .with_tls(Some(std::sync::Arc::new(tls)))
            .invoke(&addr, cmd(), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(reply.code, remoting::code::response::SUCCESS);
    });
}

/// The `tls.config.file` file named in `JAVA_OPT` is read, and a setting Thrust cannot use
/// stops start-up naming its key.
#[test]
fn tls_config_file_settings_are_checked_at_start_up() {
    let dir = temp_dir("tls-file");
    let file = dir.join("tls.properties");
    std::fs::write(&file, "tls.test.mode.enable=false\n").unwrap();
    let conf = dir.join("namesrv.conf");
    std::fs::write(&conf, "bindAddress=127.0.0.1\nlistenPort=0\n").unwrap();
    let out = run(Command::new(BIN)
        .arg("-c")
        .arg(&conf)
        .env("ROCKETMQ_HOME", &dir)
        .env("HOME", &dir)
        .env(
            "JAVA_OPT",
            format!(
                "-Dtls.server.mode=enforcing -Dtls.config.file={}",
                file.display()
            ),
        ));
    assert_eq!(out.status.code(), Some(255));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("tls.server.certPath is not set"),
        "{stderr}"
    );
}
