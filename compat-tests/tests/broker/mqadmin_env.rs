//! The mqadmin parity scenario's stacks and runners: one NameServer and broker per kind, with
//! the same names, the traffic driver, and mqadmin runs bounded to a few JVMs at a time.

use std::path::PathBuf;
use std::time::Duration;

use compat_tests::env::work_dir;
use compat_tests::process::{spawn_scoped, Cmd, Output};
use compat_tests::servers::{Broker, BrokerSpec, Namesrv, NsKind, TIMER_WHEEL};
use compat_tests::tools::{java_program, mqadmin, JavaClient};
use compat_tests::wire;

use super::common::{Kind, Stack};
use super::mqadmin_norm::Norm;

pub(crate) const BROKER: &str = "broker-mq";
pub(crate) const MQ_CLUSTER: &str = "MqCluster";
/// A topic with a consume queue in the store but no topic config (cleanUnusedTopic).
pub(crate) const ORPHAN: &str = "AdmOrphan";
/// CommitLog file size of the scenario: small, so a manual clean-up has files to delete.
pub(crate) const CL_FILE: u64 = 1 << 20;

/// Broker keys of the scenario: small CommitLog and index files, and no clean-up but the one
/// mqadmin asks for: no hour matches `deleteWhen`, and a nearly full disk deletes only expired
/// files (`cleanFileForciblyEnable=false`; Java deletes those above 85 % whatever the other
/// keys); the timer wheel on, as the scenario deletes topics ([`TIMER_WHEEL`]).
const EXTRA: &[(&str, &str)] = &[
    TIMER_WHEEL,
    ("mappedFileSizeCommitLog", "1048576"),
    ("maxHashSlotNum", "5000"),
    ("maxIndexNum", "20000"),
    ("deleteWhen", "99"),
    ("diskMaxUsedSpaceRatio", "95"),
    ("cleanFileForciblyEnable", "false"),
];

/// A store holding one message of [`ORPHAN`], written by the store crate before either broker
/// starts: the broker loads the topic's queue but has no config for it.
fn orphan_store(store: &std::path::Path) {
    let mut cfg = store::StoreConfig::new(store);
    cfg.mapped_file_size_commit_log = CL_FILE;
    cfg.max_hash_slot_num = 5000;
    cfg.max_index_num = 20_000;
    let st = store::Store::open(cfg).expect("open the scenario's store");
    let addr = "127.0.0.1:10911".parse().expect("address");
    st.put(store::NewMessage {
        topic: ORPHAN.into(),
        queue_id: 0,
        flag: 0,
        body: bytes::Bytes::from_static(b"orphan"),
        properties: String::new(),
        sys_flag: 0,
        born_timestamp: 0,
        born_host: addr,
        store_host: addr,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    })
    .expect("orphan message");
    st.shutdown().expect("store shutdown");
}

/// One stack of the scenario and what normalizing its output needs.
pub(crate) struct Env {
    pub(crate) s: Stack,
    /// Input and export files of the mqadmin runs.
    pub(crate) files: PathBuf,
    pub(crate) norm: Norm,
}

/// One mqadmin run (or wire request) as the transcript keeps it, normalized.
pub(crate) struct Entry {
    pub(crate) cmd: String,
    pub(crate) out: String,
}

/// Starts the kind's NameServer and broker on a store that holds an orphaned consume queue.
pub(crate) fn start(kind: Kind) -> Env {
    let ns_kind = match kind {
        Kind::Ours => NsKind::Ours,
        Kind::Java => NsKind::Java,
    };
    let root = work_dir(&format!("mqadmin-{}", ns_kind.label()));
    let store = root.join("store");
    let files = root.join("files");
    std::fs::create_dir_all(&files).expect("mkdir files");
    orphan_store(&store);

    let ns = Namesrv::start(ns_kind);
    let mut spec = BrokerSpec::new(MQ_CLUSTER, BROKER, &[ns.addr.as_str()]);
    spec.extra = EXTRA
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([
            ("storePathRootDir".to_string(), store.display().to_string()),
            (
                "storePathCommitLog".to_string(),
                store.join("commitlog").display().to_string(),
            ),
        ])
        .collect();
    let broker = Broker::start_with(ns_kind, spec);
    broker.wait_registered(&ns.addr, Duration::from_secs(90));
    let port: u16 = broker
        .addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("broker port");
    let literals = vec![
        (ns.addr.clone(), "<ns>".to_string()),
        (broker.addr.clone(), "<broker>".to_string()),
        (format!("127.0.0.1:{}", port + 1), "<ha>".to_string()),
        (format!("127.0.0.1:{}", port - 2), "<vip>".to_string()),
        (format!("{:08X}", u32::from(port)), "<port-hex>".to_string()),
        (root.display().to_string(), "<root>".to_string()),
        (
            broker.server.dir.display().to_string(),
            "<broker-dir>".to_string(),
        ),
        (ns.server.dir.display().to_string(), "<ns-dir>".to_string()),
        // getBrokerConfig's `listenPort` and `haListenPort`, getNamesrvConfig's `listenPort`.
        (format!("=  {port}\n"), "=  <port>\n".to_string()),
        (format!("=  {}\n", port + 1), "=  <ha-port>\n".to_string()),
        (
            format!("=  {}\n", ns.addr.rsplit(':').next().unwrap_or_default()),
            "=  <ns-port>\n".to_string(),
        ),
    ];
    let s = Stack {
        ns,
        broker_name: BROKER,
        broker_addr: broker.addr.clone(),
        broker: broker.server,
        store,
    };
    Env {
        s,
        files,
        norm: Norm::new(literals),
    }
}

/// `thrust.compat.AdminDriver` on the Java client 5.3.3.
pub(crate) fn admin_driver(args: &[String]) -> Cmd {
    java_program(JavaClient::V5_3_3, "AdminDriver", args)
}

impl Env {
    pub(crate) fn ns(&self) -> &str {
        self.s.ns()
    }

    pub(crate) fn addr(&self) -> &str {
        &self.s.broker_addr
    }

    /// Runs mqadmin; the entry has the normalized command line and output.
    pub(crate) fn admin(&self, args: &[&str]) -> Entry {
        // At most `admin_server::MAX_SERVERS` commands run at once over both stacks.
        let out = mqadmin(self.ns(), args);
        self.entry(&args.join(" "), &out)
    }

    /// stdout, then the exception lines of stderr (mqadmin prints its errors as stack traces;
    /// the frames are the tool's own and equal on both stacks, the causes are the servers').
    pub(crate) fn entry(&self, cmd: &str, out: &Output) -> Entry {
        let mut text = out.stdout.clone();
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.starts_with('\t') && !l.trim().is_empty())
            .filter(|l| !l.starts_with("SLF4J") && !l.contains("WARNING"))
            .collect();
        if !errors.is_empty() {
            text.push_str("\n-- stderr --\n");
            text.push_str(&errors.join("\n"));
        }
        Entry {
            cmd: self.norm.apply(cmd),
            out: super::mqadmin_norm::timing(cmd, &self.norm.apply(&text)),
        }
    }

    /// Runs independent mqadmin commands at once, keeping the order of `cmds`.
    pub(crate) fn admin_all(&self, cmds: &[Vec<String>]) -> Vec<Entry> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = cmds
                .iter()
                .map(|c| {
                    spawn_scoped(scope, move || {
                        let args: Vec<&str> = c.iter().map(String::as_str).collect();
                        self.admin(&args)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("mqadmin thread"))
                .collect()
        })
    }

    /// One wire request's answer as an entry: code, remark and body.
    pub(crate) fn wire_entry(&self, what: &str, code: i32, ext: &[(&str, &str)]) -> Entry {
        let r = wire::request(self.addr(), code, ext, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let text = format!(
            "code {} remark {:?}\n{}",
            r.code,
            r.remark,
            String::from_utf8_lossy(&r.body)
        );
        Entry {
            cmd: what.to_string(),
            out: self.norm.apply(&text),
        }
    }

    /// A file the scenario wrote or mqadmin exported, as an entry.
    pub(crate) fn file_entry(&self, name: &str) -> Entry {
        let path = self.files.join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| format!("<{}: {e}>", path.display()));
        Entry {
            cmd: format!("file {name}"),
            out: super::mqadmin_norm::timing(name, &self.norm.apply(&text)),
        }
    }

    /// The committed offset of (group, topic, queue), if any (QUERY_CONSUMER_OFFSET).
    pub(crate) fn committed(&self, group: &str, topic: &str, queue: i32) -> Option<i64> {
        wire::request(
            self.addr(),
            14,
            &[
                ("consumerGroup", group),
                ("topic", topic),
                ("queueId", &queue.to_string()),
                ("setZeroIfNotFound", "false"),
            ],
            Duration::from_secs(5),
        )
        .ok()
        .filter(|r| r.code == 0)
        .and_then(|r| r.ext_str("offset").and_then(|o| o.parse().ok()))
    }

    /// One key of the broker's runtime info (GET_BROKER_RUNTIME_INFO).
    pub(crate) fn runtime(&self, key: &str) -> Option<String> {
        let r = wire::request(self.addr(), 28, &[], Duration::from_secs(5)).ok()?;
        let v = r.json().ok()?;
        v["table"][key].as_str().map(str::to_string)
    }
}

/// Builds argument vectors from string slices.
pub(crate) fn cmds(list: &[&[&str]]) -> Vec<Vec<String>> {
    list.iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect()
}
