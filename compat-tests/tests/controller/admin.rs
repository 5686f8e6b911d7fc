//! mqadmin 5.3.3's controller commands give the same output, addresses and times normalized,
//! against Java's standalone controller (`ControllerStartup`) and ours (`mqcontroller`): getControllerMetaData,
//! getSyncStateSet, getBrokerEpoch, electMaster, getControllerConfig, updateControllerConfig,
//! cleanBrokerMetadata. One Java broker in controller mode is the set they look at.

use std::time::Duration;

use compat_tests::process::spawn_scoped;
use compat_tests::tools::mqadmin;
use compat_tests::wait::wait_until;

use super::*;

/// Every command's output, with this run's addresses and ports replaced by names.
fn transcript(kind: Ctl, cluster: &str, name: &str) -> Vec<(String, String)> {
    let c = Controllers::start(kind);
    let mut m = Member::new("ctl-admin");
    m.boot(&c, cluster, name);
    wait_master(&c, name, "the broker elected master");
    let baddr = m.addr();
    let ha_port = baddr
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .map_or(0, |p| p + 1);
    let ctl = c.ctl.clone();
    let cport = ctl.rsplit_once(':').map_or("", |(_, p)| p).to_string();
    let norm = |text: &str| -> String {
        text.replace(&ctl, "CTL")
            .replace(&baddr, "BROKER")
            .replace(&format!("127.0.0.1:{ha_port}"), "BROKER_HA")
            .replace(&c.ns.addr, "NS")
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut out = Vec::new();
    let mut cmd = |args: &[&str]| {
        let o = mqadmin(&c.ns.addr, args);
        out.push((args.join(" "), norm(&format!("{}{}", o.stdout, o.stderr))));
    };
    cmd(&["getControllerMetaData", "-a", &ctl]);
    cmd(&["getSyncStateSet", "-a", &ctl, "-b", name]);
    cmd(&["getSyncStateSet", "-a", &ctl, "-c", cluster]);
    cmd(&["getBrokerEpoch", "-b", name]);
    cmd(&[
        "electMaster",
        "-a",
        &ctl,
        "-c",
        cluster,
        "-bn",
        name,
        "-b",
        "1",
    ]);
    cmd(&[
        "electMaster",
        "-a",
        &ctl,
        "-c",
        cluster,
        "-bn",
        name,
        "-b",
        "7",
    ]);
    cmd(&[
        "cleanBrokerMetadata",
        "-a",
        &ctl,
        "-c",
        cluster,
        "-bn",
        name,
    ]);
    cmd(&[
        "cleanBrokerMetadata",
        "-a",
        &ctl,
        "-c",
        cluster,
        "-bn",
        name,
        "-b",
        "1",
    ]);
    cmd(&[
        "cleanBrokerMetadata",
        "-a",
        &ctl,
        "-c",
        cluster,
        "-bn",
        "nosuch",
        "-l",
    ]);
    cmd(&[
        "updateControllerConfig",
        "-a",
        &ctl,
        "-k",
        "enableElectUncleanMaster",
        "-v",
        "true",
    ]);
    cmd(&[
        "updateControllerConfig",
        "-a",
        &ctl,
        "-k",
        "configStorePath",
        "-v",
        "/tmp/x",
    ]);
    // getControllerConfig: every key with its value, the one just updated included. Java also
    // lists `jraftConfig`, its JraftConfig object's identity hash (`...JraftConfig@214894fc`).
    let o = mqadmin(&c.ns.addr, &["getControllerConfig", "-a", &ctl]);
    let dir = c.dir.display().to_string();
    let mut listed: Vec<String> = norm(&o.stdout.replace(&dir, "DIR"))
        .lines()
        .filter(|l| !l.starts_with("jraftConfig "))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|l| l.replace(&format!("= {cport}"), "= CTL_PORT"))
        .collect();
    listed.sort();
    assert!(listed.len() > 40, "{}", o.stdout);
    out.push(("getControllerConfig".into(), listed.join("\n")));
    // Cleaning a dead broker's id: stop it, then its id goes.
    m.kill();
    wait_until(Duration::from_secs(60), "the broker seen dead", || {
        c.replicas(name)
            .and_then(|v| v["inSyncReplicas"].as_array().cloned())
            .is_some_and(|r| r.iter().all(|x| x["alive"] == false))
    });
    let mut cmd = |args: &[&str]| {
        let o = mqadmin(&c.ns.addr, args);
        out.push((args.join(" "), norm(&format!("{}{}", o.stdout, o.stderr))));
    };
    cmd(&[
        "cleanBrokerMetadata",
        "-a",
        &ctl,
        "-c",
        cluster,
        "-bn",
        name,
        "-b",
        "1",
    ]);
    cmd(&["getSyncStateSet", "-a", &ctl, "-b", name]);
    out
}

#[test]
fn controller_mqadmin_commands_match_java() {
    let _s = compat_tests::scenario::heavy(400);
    let cluster = unique("ac");
    let name = unique("ab");
    // Each controller has its own NameServer and broker: both transcripts are taken at once.
    let (java, ours) = std::thread::scope(|s| {
        let java = spawn_scoped(s, || transcript(Ctl::JavaStandalone, &cluster, &name));
        let ours = transcript(Ctl::OursStandalone, &cluster, &name);
        (java.join().expect("the Java transcript"), ours)
    });
    let mut diffs = Vec::new();
    for ((cmd, j), (_, o)) in java.iter().zip(&ours) {
        if j != o {
            diffs.push(format!("== {cmd}\n-- java:\n{j}\n-- ours:\n{o}"));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert!(
        java.iter()
            .any(|(c, o)| c.starts_with("getSyncStateSet") && o.contains("#MasterAddr\tBROKER")),
        "{java:?}"
    );
}
