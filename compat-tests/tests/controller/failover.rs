//! A master SIGKILLed under load: the controller elects a new master from the sync-state set,
//! the producer resumes on it, no message acknowledged with `allAckInSyncStateSet=true` is
//! lost, and the old master, restarted on its store, rejoins as a slave back in sync.

use std::time::{Duration, Instant};

use compat_tests::process::{run, Background};
use compat_tests::tools::{java_program, kv, update_topic, JavaClient};
use compat_tests::traffic::{acked_bodies, assert_none_lost};
use compat_tests::wait::wait_until;

use super::*;

/// A DurableDriver `stream` producer in the background, one line per send.
fn stream(ns: &str, topic: &str) -> Background {
    let group = unique("pg");
    let args = kv(
        "stream",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", &group),
            ("count", "1000000"),
            ("body", "fo"),
            ("pause_ms", "5"),
        ],
    );
    Background::spawn(
        &java_program(JavaClient::V5_3_3, "DurableDriver", &args),
        Duration::from_secs(600),
    )
}

/// Waits for a SEND_OK with send index `i` at least `n`; returns that index.
fn wait_acked(p: &mut Background, n: u64, what: &str) -> u64 {
    let got = p.wait_json(Duration::from_secs(150), |v| {
        v["status"] == "SEND_OK" && v["i"].as_u64() >= Some(n)
    });
    let Some(line) = got else {
        panic!(
            "{what}: no acknowledged send from index {n}\n{}",
            p.stdout()
        );
    };
    line["i"].as_u64().unwrap_or(n)
}

/// The highest send index the producer printed so far.
fn last_index(p: &Background) -> u64 {
    p.stdout()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["i"].as_u64())
        .max()
        .unwrap_or(0)
}

fn failover(kind: Ctl) {
    let c = Controllers::start(kind);
    let cluster = unique("fc");
    let name = unique("fb");
    let mut members: Vec<Member> = (0..3).map(|i| Member::new(&format!("ctl-m{i}"))).collect();
    for m in &mut members {
        m.boot(&c, &cluster, &name);
    }
    let (first, master_addr, epoch) = wait_master(&c, &name, "a first master");
    wait_until(
        Duration::from_secs(120),
        "all three brokers in sync",
        || c.in_sync_alive(&name).len() == 3,
    );
    let topic = unique("ft");
    update_topic(&c.ns, &cluster, &topic, 4).assert_ok();
    let old = members
        .iter()
        .position(|m| m.addr() == master_addr)
        .unwrap_or_else(|| panic!("no member listens on the master's address {master_addr}"));

    let mut p = stream(&c.ns, &topic);
    wait_acked(&mut p, 300, "before the kill");
    let killed_at = Instant::now();
    members[old].kill();
    let (new_id, new_addr, new_epoch) =
        compat_tests::wait::eventually(Duration::from_secs(120), "a new master elected", || {
            c.master(&name).filter(|(id, _, _)| *id != first)
        });
    let elected = killed_at.elapsed();
    assert!(new_epoch > epoch, "master epoch {new_epoch} after {epoch}");
    assert_ne!(new_addr, master_addr);
    let resume_from = last_index(&p) + 50;
    wait_acked(&mut p, resume_from, "after the failover");
    let resumed = killed_at.elapsed();
    eprintln!(
        "{kind:?}: new master {new_id} elected {elected:?} after the SIGKILL; sends resumed after {resumed:?}"
    );
    let produced = p.finish(Duration::from_secs(1));
    let acked = acked_bodies(&produced);
    let index = |b: &String| b.strip_prefix("fo-").and_then(|i| i.parse::<u64>().ok());
    assert!(
        acked.iter().filter_map(index).any(|i| i >= resume_from),
        "no acknowledged send from index {resume_from} among {}",
        acked.len()
    );

    // Every acknowledged message is on the new master.
    let need_file = work_dir("ctl-need").join("need.txt");
    std::fs::write(&need_file, acked.join("\n")).expect("write the needed bodies");
    let need = need_file.display().to_string();
    let group = unique("fcg");
    let args = kv(
        "consume",
        &[
            ("ns", c.ns.as_str()),
            ("topic", topic.as_str()),
            ("group", group.as_str()),
            ("need_file", need.as_str()),
            ("timeout_ms", "120000"),
            ("linger_ms", "500"),
        ],
    );
    let consumed = run(
        &java_program(JavaClient::V5_3_3, "DurableDriver", &args),
        Duration::from_secs(150),
    );
    assert_none_lost(&acked, &consumed);
    consumed.assert_ok();

    // The old master comes back on its store as a slave and catches up into the sync-state set.
    members[old].boot(&c, &cluster, &name);
    wait_until(
        Duration::from_secs(120),
        "the old master back in the sync-state set",
        || c.in_sync_alive(&name).contains(&first),
    );
    let (still, _, _) = c.master(&name).unwrap_or_default();
    assert_eq!(
        still, new_id,
        "the restarted broker must not take the master back"
    );
}

#[test]
fn java_controller_failover_embedded() {
    let _s = compat_tests::scenario::heavy(450);
    failover(Ctl::JavaEmbedded);
}

#[test]
fn java_controller_failover_standalone() {
    let _s = compat_tests::scenario::heavy(450);
    failover(Ctl::JavaStandalone);
}

#[test]
fn ours_controller_failover_embedded() {
    let _s = compat_tests::scenario::heavy(450);
    failover(Ctl::OursEmbedded);
}

#[test]
fn ours_controller_failover_standalone() {
    let _s = compat_tests::scenario::heavy(450);
    failover(Ctl::OursStandalone);
}
