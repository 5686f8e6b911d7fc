//! The README's run command: `thrust` starts NameServer + Broker on 127.0.0.1:9876 / :10911 with
//! a local store, and an unmodified Java client with `namesrvAddr=127.0.0.1:9876` works at once.
//! Then SIGTERM stops both cleanly: the store's `abort` file is gone and a restart serves what
//! was stored before.
//!
//! The ports are the fixed defaults on purpose (that is what is being tested); nothing else in
//! the suite uses them.

use std::thread::sleep;
use std::time::{Duration, Instant};

use compat_tests::env::{require_setup, require_workspace_bin, work_dir};
use compat_tests::process::{run, Cmd, Server};
use compat_tests::tools::{java_driver, kv, JavaClient};
use compat_tests::wire;

const NS: &str = "127.0.0.1:9876";
const BROKER: &str = "127.0.0.1:10911";

/// Starts `thrust` with `home` as its HOME; `run` names the process's own log directory.
fn start(home: &std::path::Path, run: &str) -> Server {
    let cmd = Cmd::new(
        require_workspace_bin("thrust").display().to_string(),
        &work_dir(run),
    )
    .env("HOME", home.display().to_string())
    .env("ROCKETMQ_HOME", home.display().to_string());
    let server = Server::spawn("thrust", &cmd, Vec::new());
    assert!(
        server.wait_for_console("boot success", Duration::from_secs(30)),
        "thrust did not start\n{}",
        server.log_tails(60)
    );
    // The broker registers right after it binds; TBW102 routing to it means clients can send.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(route)) = wire::route(NS, "TBW102") {
            if wire::route_broker_addrs(&route).iter().any(|a| a == BROKER) {
                return server;
            }
        }
        assert!(
            Instant::now() < deadline,
            "broker not registered\n{}",
            server.log_tails(60)
        );
        sleep(Duration::from_millis(200));
    }
}

fn produce(count: usize, body: &str) {
    let args = kv(
        "produce",
        &[
            ("ns", NS),
            ("topic", "StandaloneTopic"),
            ("group", "standalone_pg"),
            ("count", &count.to_string()),
            ("body", body),
            ("tag", "TagA"),
        ],
    );
    let out = run(
        &java_driver(JavaClient::V5_3_3, &args),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let ok = out
        .json_lines()
        .iter()
        .filter(|v| v["status"] == "SEND_OK")
        .count();
    assert_eq!(ok, count, "every send SEND_OK: {out}");
}

fn consume(group: &str, expect: usize) -> Vec<String> {
    let args = kv(
        "consume",
        &[
            ("ns", NS),
            ("topic", "StandaloneTopic"),
            ("group", group),
            ("expect", &expect.to_string()),
            ("timeout_ms", "90000"),
            ("from", "first"),
        ],
    );
    let out = run(
        &java_driver(JavaClient::V5_3_3, &args),
        Duration::from_secs(120),
    );
    out.assert_ok();
    let bodies: Vec<String> = out
        .json_lines()
        .iter()
        .filter_map(|v| v["body"].as_str().map(str::to_string))
        .collect();
    assert_eq!(bodies.len(), expect, "{out}");
    bodies
}

#[test]
fn java_client_works_against_the_one_command_standalone_mode() {
    let _s = compat_tests::scenario::light(120);
    require_setup();
    let home = work_dir("standalone");
    let server = start(&home, "thrust-first");
    produce(20, "first");
    assert_eq!(consume("standalone_cg", 20).len(), 20);
    server.stop();
    assert!(
        !home.join("store").join("abort").exists(),
        "a clean stop removes the abort file"
    );
    assert!(
        home.join("store").join("commitlog").is_dir(),
        "the store lives under ~/store"
    );

    let server = start(&home, "thrust-restarted");
    produce(5, "second");
    let bodies = consume("standalone_cg2", 25);
    assert_eq!(
        bodies.iter().filter(|b| b.starts_with("first")).count(),
        20,
        "messages stored before the restart are served after it"
    );
    server.stop();
}
