//! Automatic failover in controller mode (issue 11): three brokers of one name under a
//! controller, Java's (embedded in the Java NameServer) or Thrust's (embedded in `mqnamesrv` or
//! standalone `mqcontroller`):
//!
//! ```text
//!   NameServer + controller (DLedger port) ◀── heartbeats, elections ── 3 brokers, one name
//!   producer (Java 5.3.3) ──▶ master ──AutoSwitch HA──▶ 2 slaves (allAckInSyncStateSet=true)
//! ```
//! The first broker up becomes the master. Under load both slaves are frozen (SIGSTOP), so the
//! master's CommitLog grows past what they read with sends it cannot acknowledge (what is still
//! in their socket buffers may reach them after all); the master is SIGKILLed and the slaves go
//! on (SIGCONT). The controller elects one of them; the producer resumes on it; every
//! acknowledged message is consumed; the old master, started again on its store, rejoins as a
//! slave, cuts its diverged tail and then holds the new master's CommitLog byte for byte.
//! mqadmin's `getSyncStateSet` and `getBrokerEpoch` show the group as Java's do.
//!
//! Three Java 5.3.3 brokers under Java's controller prove the scenario. It also runs with three
//! Thrust brokers under Java's controller and under Thrust's standalone one, three Java brokers
//! under Thrust's embedded controller, and mixed groups: a Java master with Thrust slaves under
//! Java's controller, a Thrust master with Java slaves under Thrust's.
//!
//! With `minInSyncReplicas=2`, a master alone in its sync-state set refuses sends and stores them
//! once a slave joined (Java brokers under Java's controller, Thrust's under Thrust's). Then, with
//! the slave frozen, a send it never acknowledges is stored above the confirm offset: consumers
//! (GET_MAX_OFFSET, a pull) do not see it until the slave runs again and acknowledges it, as
//! Java's default `readUnCommitted=false` has it.
//!
//! Under a group of three controllers (brokers list all of them in `controllerAddr`) the leading
//! controller is SIGKILLed first and another takes over before the master dies; once the group
//! has failed over, the killed controller starts again on its store and follows the leader.
//! Three Java controllers (DLedger) with Java brokers prove it; three Thrust controllers (Raft)
//! with Thrust brokers run it.

use std::time::{Duration, Instant};

use compat_tests::process::{signal, spawn_scoped, Background, Server};
use compat_tests::tools::{mqadmin, update_topic};
use compat_tests::traffic::{acked_bodies, assert_none_lost};
use compat_tests::wait::eventually;

use super::common::{unique, wait_until};
use super::ha::group::{assert_same_commitlog, commitlog_max, Group, Impl, HA_CLUSTER};
use super::ha::{consume_all, max_offset, stream, wait_acked};
use crate::controller::{master_of, metadata, Controllers, Ctl, CtlGroup};

/// The broker.conf keys of a controller-mode group member.
fn controller_keys(controller: &str) -> Vec<(String, String)> {
    [
        ("enableControllerMode", "true"),
        ("controllerAddr", controller),
        ("allAckInSyncStateSet", "true"),
        // A new slave learns its master's HA address from its next registration.
        ("registerNameServerPeriod", "10000"),
        // Three Java brokers on two cores: spare them the timer wheel's flushes.
        ("timerWheelEnable", "false"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `mqadmin getSyncStateSet` for `name`, through the leading controller.
fn sync_state_set(ns: &str, ctls: &CtlGroup, name: &str) -> String {
    let Some(leader) = ctls.leader_addr() else {
        return String::new();
    };
    let out = mqadmin(ns, &["getSyncStateSet", "-a", &leader, "-b", name]);
    out.stdout.clone()
}

/// The master's address the NameServer lists for `name` (id 0).
fn master_addr(ns: &str, name: &str) -> Option<String> {
    let v = compat_tests::wire::cluster_info(ns).ok()?;
    v["brokerAddrTable"][name]["brokerAddrs"]["0"]
        .as_str()
        .map(str::to_string)
}

fn node_at(g: &Group, addr: &str) -> usize {
    g.nodes
        .iter()
        .position(|n| n.addr() == addr)
        .unwrap_or_else(|| panic!("no node at {addr}"))
}

/// Three nodes named `name` in controller mode running `imps` under controller `ctl`: the first
/// boots alone and becomes the master, the other two then boot at once (a broker in controller
/// mode registers only once the controller gave its role); returns when all three are in sync,
/// with the controllers and the process of a single one running apart from the NameServer.
fn start_group(imps: [Impl; 3], name: &str, ctl: Ctl) -> (Group, CtlGroup, Option<Server>) {
    let Controllers {
        ns,
        ctl: controller,
        standalone,
        group: ctls,
        ..
    } = Controllers::start(ctl);
    let mut g = Group::with_namesrv(ns);
    let keys = controller_keys(&controller);
    let extra: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for id in 1..=3 {
        g.add(name, id, "ASYNC_MASTER", &extra);
    }
    let ns = g.ns().to_string();
    g.boot(0, imps[0]);
    std::thread::scope(|s| {
        for (node, imp) in g.nodes.iter_mut().zip(imps).skip(1) {
            let ns = ns.as_str();
            spawn_scoped(s, move || node.boot(ns, imp));
        }
    });
    wait_until(Duration::from_secs(90), "three replicas in sync", || {
        sync_state_set(&ns, &ctls, name).contains("#SyncStateSetNums\t3")
    });
    (g, ctls, standalone)
}

/// SIGSTOPs the slaves, waits until master `m` stored more than they can have, SIGKILLs it and
/// SIGCONTs the slaves. Returns when the SIGKILL was sent.
fn kill_master_ahead_of_slaves(g: &mut Group, m: usize) -> Instant {
    let pids: Vec<u32> = (0..g.nodes.len())
        .filter(|n| *n != m)
        .filter_map(|n| g.nodes[n].running.as_ref().and_then(|r| r.1.pid()))
        .collect();
    for pid in &pids {
        signal(*pid, "STOP");
    }
    // Read after the slaves stopped: they hold at most this much.
    let before = commitlog_max(g.nodes[m].addr()).unwrap_or_default();
    eventually(
        Duration::from_secs(30),
        "the master's CommitLog to grow past the frozen slaves'",
        || commitlog_max(g.nodes[m].addr()).filter(|e| *e > before),
    );
    let killed = Instant::now();
    g.nodes[m].kill();
    for pid in &pids {
        signal(*pid, "CONT");
    }
    killed
}

/// Polls `f` every 10 ms (the failover times are measured with it) for up to a minute.
fn poll_fast<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SEND_MESSAGE (10) of one small message straight to the broker at `addr`: true when it
/// answered SUCCESS (with `allAckInSyncStateSet`, once its sync-state set acknowledged it).
fn probe_send(addr: &str, topic: &str) -> bool {
    send_direct(addr, topic).is_some_and(|r| r.code == 0)
}

/// SEND_MESSAGE (10) of one small message straight to the broker at `addr`; its answer.
fn send_direct(addr: &str, topic: &str) -> Option<compat_tests::wire::Reply> {
    let born = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        .to_string();
    let header = [
        ("producerGroup", "failover_probe"),
        ("topic", topic),
        ("defaultTopic", "TBW102"),
        ("defaultTopicQueueNums", "4"),
        ("queueId", "0"),
        ("sysFlag", "0"),
        ("bornTimestamp", born.as_str()),
        ("flag", "0"),
        ("properties", ""),
        ("reconsumeTimes", "0"),
        ("unitMode", "false"),
        ("batch", "false"),
    ];
    compat_tests::wire::request_body(
        addr,
        10,
        compat_tests::wire::VERSION_5_3_3,
        &header,
        b"failover-probe",
        Duration::from_secs(5),
    )
    .ok()
}

/// Waits for a new master and for the producer to send on it; returns the new master's node.
fn wait_failed_over(
    g: &Group,
    ctls: &CtlGroup,
    name: &str,
    topic: &str,
    old: &str,
    p: &mut Background,
    killed: Instant,
) -> usize {
    let ns = g.ns();
    let leader = ctls.wait_agreed_leader("a controller leader");
    let leader = ctls.nodes[leader].addr.clone();
    let new_addr = poll_fast("the controller to elect a new master", || {
        master_of(&leader, name)
            .map(|(_, a, _)| a)
            .filter(|a| a != old)
    });
    let elected = killed.elapsed();
    // The failover proper, without the client's route refresh: the new master stores a send
    // (acknowledged by its sync-state set) at its own address.
    poll_fast("the new master to store a send", || {
        probe_send(&new_addr, topic).then_some(())
    });
    let writable = killed.elapsed();
    wait_until(
        Duration::from_secs(60),
        "the new master in the routes",
        || master_addr(ns, name).is_some_and(|a| a != old),
    );
    let nm = node_at(g, &master_addr(ns, name).unwrap_or_default());
    let sent_at_kill = compat_tests::process::json_lines(&p.stdout())
        .iter()
        .filter_map(|l| l["i"].as_u64())
        .max()
        .unwrap_or_default();
    let resumed = p.wait_json(Duration::from_secs(90), |v| {
        v["status"] == "SEND_OK" && v["i"].as_u64() > Some(sent_at_kill)
    });
    assert!(
        resumed.is_some(),
        "the producer did not resume:\n{}",
        p.stdout()
    );
    eprintln!(
        "failover: new master elected {elected:?} after the SIGKILL, stored a send at its \
         address after {writable:?}; the producer's sends resumed after {:?}",
        killed.elapsed()
    );
    // Enough more that the new master's CommitLog passes the old master's diverged tail.
    wait_acked(p, sent_at_kill + 100);
    nm
}

/// The old master rejoins: it cuts its diverged tail, holds the new master's CommitLog byte
/// for byte, is in sync again, and every replica lists the second epoch.
fn check_rejoined(g: &mut Group, ctls: &CtlGroup, name: &str, m: usize, nm: usize, imp: Impl) {
    let grown = commitlog_max_of_store(g, m);
    g.boot(m, imp);
    let end = g.wait_caught_up(nm, m);
    assert!(
        end > grown,
        "the new master wrote past the old master's tail"
    );
    assert_same_commitlog(&g.nodes[nm].store, &g.nodes[m].store, 0, end);
    let ns = g.ns().to_string();
    wait_until(
        Duration::from_secs(90),
        "the old master back in sync",
        || sync_state_set(&ns, ctls, name).contains("#SyncStateSetNums\t3"),
    );
    let sss = sync_state_set(&ns, ctls, name);
    let line = format!("#MasterAddr\t{}", g.nodes[nm].addr());
    assert!(sss.contains(&line), "{sss}");
    let ha = mqadmin(&ns, &["haStatus", "-b", g.nodes[nm].addr()]);
    ha.assert_ok();
    assert!(ha.stdout.contains("#InSyncSlaveNum\t2"), "{}", ha.stdout);
    let epochs = mqadmin(&ns, &["getBrokerEpoch", "-c", HA_CLUSTER]);
    epochs.assert_ok();
    assert_eq!(
        epochs.stdout.matches("EpochEntry{epoch=2,").count(),
        3,
        "every replica has the second epoch:\n{}",
        epochs.stdout
    );
}

/// The end of node `n`'s CommitLog files (the node is down).
fn commitlog_max_of_store(g: &Group, n: usize) -> i64 {
    let bytes = super::ha::group::commitlog_bytes(&g.nodes[n].store, 0, i64::MAX);
    bytes
        .iter()
        .rposition(|b| *b != 0)
        .map_or(0, |i| i as i64 + 1)
}

fn failover(imps: [Impl; 3], ctl: Ctl) {
    let name = unique("fo");
    let (mut g, mut ctls, _standalone) = start_group(imps, &name, ctl);
    let grouped = ctls.nodes.len() > 1;
    let ns = g.ns().to_string();
    let m = node_at(&g, &master_addr(&ns, &name).expect("a master"));
    assert_eq!(m, 0, "the first broker up is the master");
    let topic = unique("fot");
    update_topic(&ns, HA_CLUSTER, &topic, 4);
    for s in (0..3).filter(|s| *s != m) {
        g.wait_topic_synced(s, &topic);
    }
    let mut p = stream(&ns, &topic, "fo", 5);
    wait_acked(&mut p, 300);
    let old = g.nodes[m].addr().to_string();
    // A group loses its leading controller first: another one takes over the failover.
    let lost = grouped.then(|| {
        let l = ctls.kill_leader();
        let next = ctls.wait_agreed_leader("another controller to lead");
        assert_ne!(next, l);
        l
    });
    let killed = kill_master_ahead_of_slaves(&mut g, m);
    let nm = wait_failed_over(&g, &ctls, &name, &topic, &old, &mut p, killed);
    let acked = acked_bodies(&p.finish(Duration::from_secs(1)));
    check_rejoined(&mut g, &ctls, &name, m, nm, imps[m]);
    let out = consume_all(&ns, &topic, &unique("foc"), &acked);
    assert_none_lost(&acked, &out);
    out.assert_ok();
    if let Some(l) = lost {
        check_controller_caught_up(&g, &mut ctls, &name, l, nm);
    }
}

/// The killed controller, started again on its store, follows the leader; then the leader is
/// lost again, so the group goes on only with the restarted controller's vote, and what is read
/// through it (mqadmin asks it for the leader) names the new master.
fn check_controller_caught_up(g: &Group, ctls: &mut CtlGroup, name: &str, l: usize, nm: usize) {
    ctls.restart(l);
    let leader = ctls.wait_agreed_leader("the restarted controller to follow the leader");
    let addr = ctls.nodes[l].addr.clone();
    let (named, _) = metadata(&addr).expect("the restarted controller's metadata");
    assert_eq!(named.as_deref(), Some(ctls.nodes[leader].addr.as_str()));
    if leader != l {
        ctls.nodes[leader].kill();
        ctls.wait_agreed_leader("the two controllers left to agree on a leader");
    }
    // A new leader answers once its state caught up with the log (Java's DLedgerController too).
    let line = format!("#MasterAddr\t{}", g.nodes[nm].addr());
    wait_until(
        Duration::from_secs(60),
        "the new master read through the restarted controller",
        || {
            mqadmin(g.ns(), &["getSyncStateSet", "-a", &addr, "-b", name])
                .stdout
                .contains(&line)
        },
    );
}

/// `minInSyncReplicas=2`: a master alone in its sync-state set refuses sends as Java's does
/// (SYSTEM_ERROR, "in-sync replicas not enough"), and stores them once a slave joined the set.
fn min_in_sync_replicas(imp: Impl, ctl: Ctl) {
    let name = unique("mis");
    let Controllers {
        ns: nsrv,
        ctl: controller,
        standalone: _standalone,
        group: ctls,
        ..
    } = Controllers::start(ctl);
    let mut g = Group::with_namesrv(nsrv);
    let mut keys = controller_keys(&controller);
    keys.push(("minInSyncReplicas".to_string(), "2".to_string()));
    let extra: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for id in 1..=2 {
        g.add(&name, id, "ASYNC_MASTER", &extra);
    }
    let ns = g.ns().to_string();
    g.boot(0, imp);
    let master = g.nodes[0].addr().to_string();
    wait_until(Duration::from_secs(60), "the first broker elected", || {
        master_of(&controller, &name).is_some_and(|(_, a, _)| a == master)
    });
    let topic = unique("mist");
    update_topic(&ns, HA_CLUSTER, &topic, 4);
    let refused = send_direct(&master, &topic).expect("an answer to the send");
    assert_eq!(
        (refused.code, refused.remark.as_deref()),
        (1, Some("in-sync replicas not enough")),
        "a master alone in its sync-state set"
    );
    g.boot(1, imp);
    wait_until(Duration::from_secs(90), "two replicas in sync", || {
        sync_state_set(&ns, &ctls, &name).contains("#SyncStateSetNums\t2")
    });
    wait_until(
        Duration::from_secs(60),
        "a send stored with two in sync",
        || probe_send(&master, &topic),
    );
    unconfirmed_send_stays_hidden(&g, &master, &topic);
}

/// PULL_MESSAGE (11) of queue 0 at `offset`, not waiting, with its own subscription
/// (PullSysFlag 4); the answer's code.
fn pull_code(addr: &str, topic: &str, offset: i64) -> i32 {
    let offset = offset.to_string();
    let ext = [
        ("consumerGroup", "failover_pull"),
        ("topic", topic),
        ("queueId", "0"),
        ("queueOffset", offset.as_str()),
        ("maxMsgNums", "32"),
        ("sysFlag", "4"),
        ("commitOffset", "0"),
        ("suspendTimeoutMillis", "0"),
        ("subVersion", "0"),
        ("subscription", "*"),
        ("expressionType", "TAG"),
    ];
    compat_tests::wire::request(addr, 11, &ext, Duration::from_secs(5)).map_or(-1, |r| r.code)
}

/// Slave frozen (SIGSTOP) while still in the sync-state set (it leaves it only after
/// `haMaxTimeSlaveNotCatchup`, 15 s): a send waits for it and is answered FLUSH_SLAVE_TIMEOUT,
/// stored on the master above the confirm offset, so GET_MAX_OFFSET and a pull do not show it;
/// once the slave runs again and acknowledges it, both do.
fn unconfirmed_send_stays_hidden(g: &Group, master: &str, topic: &str) {
    const FLUSH_SLAVE_TIMEOUT: i32 = 12;
    // The probe send is answered once stored; Java's master dispatches it to the ConsumeQueue,
    // where GET_MAX_OFFSET and pulls see it, only after the slave's ack has moved the confirm
    // offset past it.
    let before = compat_tests::wait::eventually(
        Duration::from_secs(30),
        "the probe send confirmed on the master",
        || max_offset(master, topic, 0).filter(|o| *o > 0),
    );
    assert_eq!(
        pull_code(master, topic, before - 1),
        0,
        "the last send is pulled"
    );
    let slave = g.nodes[1].running.as_ref().and_then(|r| r.1.pid());
    let slave = slave.expect("the slave's pid");
    signal(slave, "STOP");
    let sent = send_direct(master, topic);
    let hidden = (
        max_offset(master, topic, 0),
        pull_code(master, topic, before),
    );
    signal(slave, "CONT");
    let sent = sent.expect("an answer to the send");
    assert_eq!(sent.code, FLUSH_SLAVE_TIMEOUT, "{sent:?}");
    assert_eq!(
        hidden.0,
        Some(before),
        "GET_MAX_OFFSET above the confirm offset"
    );
    assert_ne!(hidden.1, 0, "a pull found the unconfirmed message");
    wait_until(
        Duration::from_secs(30),
        "the send visible once the slave acknowledged it",
        || max_offset(master, topic, 0) == Some(before + 1),
    );
    assert_eq!(pull_code(master, topic, before), 0, "the send is pulled");
}

#[test]
fn java_min_in_sync_replicas() {
    let _s = compat_tests::scenario::heavy(300);
    min_in_sync_replicas(Impl::Java, Ctl::JavaEmbedded);
}

#[test]
fn ours_min_in_sync_replicas() {
    let _s = compat_tests::scenario::light(300);
    min_in_sync_replicas(Impl::Ours, Ctl::OursStandalone);
}

#[test]
fn java_controller_failover() {
    let _s = compat_tests::scenario::heavy(450);
    failover([Impl::Java; 3], Ctl::JavaEmbedded);
}

/// Three Thrust brokers under Thrust's standalone controller.
#[test]
fn ours_controller_failover() {
    let _s = compat_tests::scenario::heavy(400);
    failover([Impl::Ours; 3], Ctl::OursStandalone);
}

/// Three Thrust brokers under Java's controller.
#[test]
fn ours_controller_failover_java_controller() {
    let _s = compat_tests::scenario::heavy(400);
    failover([Impl::Ours; 3], Ctl::JavaEmbedded);
}

/// Three Java brokers under Thrust's controller, embedded in `mqnamesrv`.
#[test]
fn ours_controller_java_brokers_fail_over() {
    let _s = compat_tests::scenario::heavy(450);
    failover([Impl::Java; 3], Ctl::OursEmbedded);
}

/// Under Java's controller, a Java master with Thrust slaves: one of ours takes over, and the
/// Java broker rejoins as the slave of a Thrust master.
#[test]
fn ours_controller_failover_java_master_ours_slaves() {
    let _s = compat_tests::scenario::heavy(400);
    failover([Impl::Java, Impl::Ours, Impl::Ours], Ctl::JavaEmbedded);
}

/// Under Thrust's controller (embedded), a Thrust master with Java slaves: a Java broker takes
/// over, and ours rejoins as the slave of a Java master.
#[test]
fn ours_controller_failover_ours_master_java_slaves() {
    let _s = compat_tests::scenario::heavy(450);
    failover([Impl::Ours, Impl::Java, Impl::Java], Ctl::OursEmbedded);
}

/// Three Thrust controllers in one Raft group and three Thrust brokers listing them all: the
/// leading controller is SIGKILLed, then the master; the failover completes under the next
/// leader, and the killed controller catches up when started again.
#[test]
fn ours_three_controllers_leader_killed() {
    let _s = compat_tests::scenario::heavy(400);
    failover([Impl::Ours; 3], Ctl::OursGroup);
}

/// The same with three Java 5.3.3 controllers (`ControllerStartup`, one DLedger group) and three
/// Java brokers.
#[test]
fn java_three_controllers_leader_killed() {
    let _s = compat_tests::scenario::heavy(450);
    failover([Impl::Java; 3], Ctl::JavaGroup);
}
