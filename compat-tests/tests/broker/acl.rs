//! ACL 1.0 (`aclEnable=true`, `conf/plain_acl.yml`) as the Java 4.x broker enforces it.
//!
//! One broker of each kind with the same ACL file, under a NameServer of its own; one run of
//! the Java driver `AclDriver` (client 4.9.8 with rocketmq-acl's `AclClientRPCHook`, admin
//! calls through rocketmq-tools 4.9.8's `DefaultMQAdminExt`) goes through the whole matrix and
//! prints one line per case; the Go client sends with `primitive.Credentials`. Both brokers
//! must give the outcome in [`EXPECTED`]: allowed, or refused with that response code and
//! message (Java's `AclException` text, or the admin handler's remark).

use std::collections::BTreeMap;
use std::time::Duration;

use compat_tests::env::{cache_dir, classpath, driver_jar, require_setup, work_dir};
use compat_tests::process::{run, LogDump};
use compat_tests::servers::{java_cmd, Broker, BrokerSpec, JavaBrokerVersion, Namesrv, NsKind};
use compat_tests::tools::{go_driver_cmd, kv};
use serde_json::Value;

use super::common::CLUSTER;

/// The broker's `conf/plain_acl.yml` (in Java's distribution layout).
const PLAIN_ACL: &str = "globalWhiteRemoteAddresses:
- 10.10.103.*
accounts:
- accessKey: RocketMQUser
  secretKey: 12345678
  whiteRemoteAddress:
  admin: false
  defaultTopicPerm: DENY
  defaultGroupPerm: SUB
  topicPerms:
  - aclTopicAll=PUB|SUB
  - aclTopicPub=PUB
  - aclTopicSub=SUB
  - aclTopicDeny=DENY
  groupPerms:
  - aclGroupDeny=DENY
- accessKey: adminUser1
  secretKey: adminSecret1
  admin: true
- accessKey: whiteUser1
  secretKey: whiteSecret1
  whiteRemoteAddress: 127.0.0.1
  admin: false
";

/// Case → `None` when allowed, else (response code, text the remark carries; where Java gives
/// one of several, they are separated by newlines).
const EXPECTED: &[(&str, Option<(i64, &str)>)] = &[
    ("create_topic_admin_aclTopicAll", None),
    ("create_topic_admin_aclTopicPub", None),
    ("create_topic_admin_aclTopicSub", None),
    ("create_topic_admin_aclTopicDeny", None),
    ("create_topic_user", Some((1, "Need admin permission for request code=17, but accessKey=RocketMQUser is not"))),
    ("create_topic_no_keys", Some((1, "No accessKey is configured"))),
    ("send_right_keys", None),
    ("send_wrong_secret", Some((1, "Check signature failed for accessKey=RocketMQUser"))),
    ("send_unknown_key", Some((1, "No acl config for nobodyUser"))),
    ("send_no_keys", Some((1, "No accessKey is configured"))),
    ("send_pub_topic", None),
    ("send_sub_topic", Some((1, "No default permission for topic:aclTopicSub"))),
    ("send_deny_topic", Some((1, "No default permission for topic:aclTopicDeny"))),
    ("send_unlisted_topic_default_deny", Some((1, "No default permission for topic:aclTopicAllX"))),
    ("send_admin_no_perms_listed", None),
    ("send_white_account_wrong_secret", None),
    ("pull_right_keys", None),
    ("pull_deny_group", Some((1, "No default permission for group:aclGroupDeny"))),
    ("pull_sub_topic", None),
    ("pull_pub_only_topic", Some((1, "No default permission for topic:aclTopicPub"))),
    ("pull_deny_topic", Some((1, "No default permission for topic:aclTopicDeny"))),
    ("acl_create_account", None),
    ("send_created_account", None),
    ("send_created_account_denied_topic", Some((1, "No default permission for topic:aclTopicSub"))),
    ("acl_create_short_key", Some((209, "The accessKey=short and secretKey=newSecret01 cannot be null and length should longer than 6"))),
    ("acl_version", None),
    ("acl_delete_account", None),
    // Java 4.9.7 answers either, by a race in its PlainPermissionManager: the deletion drops the
    // key from its key table at once, but a reload of the file its file watcher (every 500 ms)
    // began before the deletion can put the key back there, while the accounts it then loads lack
    // it. Thrust answers the first.
    (
        "send_deleted_account",
        Some((1, "No acl config for newUser01\nNo PlainAccessResource for accessKey=newUser01")),
    ),
    ("acl_delete_unknown", Some((210, "The accesskey[nobodyUser] corresponding to accessConfig has been deleted failed."))),
    // 4.9.x decodes the missing @CFNotNull aclFileFullPath as null: the default file.
    ("global_white_no_path", None),
    ("global_white_set", None),
    ("send_no_keys_global_white", None),
    ("global_white_reset", None),
    ("send_no_keys_after_reset", Some((1, "No accessKey is configured"))),
];

/// The full remark of an ACL refusal names Java's class and frame, as Java's remoting layer
/// writes it (`RemotingHelper.exceptionSimpleDesc`).
const ACL_PREFIX: &str = "org.apache.rocketmq.acl.common.AclException: ";

fn acl_matrix(kind: NsKind) {
    require_setup();
    let tools = cache_dir().join("java/tools-4.9.8/.complete");
    assert!(
        tools.exists(),
        "{} is missing: run compat-tests/setup.sh",
        tools.display()
    );
    let namesrv = Namesrv::start(NsKind::Ours);
    let ns = namesrv.addr.clone();
    let mut spec = BrokerSpec::new(CLUSTER, "broker-acl", &[&ns]);
    spec.extra.push(("aclEnable".into(), "true".into()));
    spec.home_files
        .push(("conf/plain_acl.yml".into(), PLAIN_ACL.into()));
    spec.java_version = JavaBrokerVersion::V4_9_7;
    let broker = Broker::start_with(kind, spec);
    let _logs = LogDump(vec![&broker.server, &namesrv.server]);
    broker.wait_registered(&ns, Duration::from_secs(60));
    let home = broker
        .store
        .parent()
        .expect("the store is in the broker's home")
        .to_path_buf();
    let acl_file = home.join("conf/plain_acl.yml").display().to_string();

    let dir = work_dir("java-acl-driver");
    let cp = format!(
        "{}:{}",
        driver_jar("acl-4.9.8").display(),
        classpath("tools-4.9.8")
    );
    let cmd = java_cmd(
        &dir,
        &["-Xms64m", "-Xmx256m"],
        &cp,
        "thrust.compat.AclDriver",
    )
    .args([
        format!("ns={ns}"),
        format!("broker={}", broker.addr),
        format!("aclFile={acl_file}"),
    ]);
    let out = run(&cmd, Duration::from_secs(240));
    let lines = out.json_lines();
    let got: BTreeMap<String, &Value> = lines
        .iter()
        .filter_map(|l| Some((l["case"].as_str()?.to_string(), l)))
        .collect();
    for (case, want) in EXPECTED {
        let line = got
            .get(*case)
            .unwrap_or_else(|| panic!("no line for {case}\n{out}"));
        match want {
            None => assert_eq!(line["ok"], true, "{case} allowed: {line}"),
            Some((code, text)) => {
                assert_eq!(line["ok"], false, "{case} refused: {line}");
                assert_eq!(line["code"].as_i64(), Some(*code), "{case}: {line}");
                let remark = line["remark"].as_str().unwrap_or_default();
                let Some(text) = text.split('\n').find(|t| remark.contains(t)) else {
                    panic!("{case}: {text:?} not in {remark:?}\n{}", out.stdout);
                };
                if *code == 1 {
                    let head = format!(
                        "{ACL_PREFIX}{text}, org.apache.rocketmq.acl.plain.PlainPermissionManager."
                    );
                    assert!(remark.starts_with(&head), "{case} in Java's form: {remark}");
                }
            }
        }
    }
    assert_eq!(
        got["acl_version"]["result"], "counter=1",
        "one rewrite of plain_acl.yml so far"
    );
    assert_eq!(got.len(), EXPECTED.len(), "one line per case\n{out}");

    // The Go client signs with primitive.Credentials.
    let go = |sk: &str| {
        let args = kv(
            "produce",
            &[
                ("ns", ns.as_str()),
                ("topic", "aclTopicAll"),
                ("group", "acl_go_pg"),
                ("count", "1"),
                ("retry", "0"),
                ("ak", "RocketMQUser"),
                ("sk", sk),
            ],
        );
        run(&go_driver_cmd(&args), Duration::from_secs(90))
    };
    let right = go("12345678");
    assert!(
        right.stdout.contains("\"status\":\"SEND_OK\""),
        "Go client with its keys: {right}"
    );
    let wrong = go("87654321");
    assert!(
        wrong
            .stdout
            .contains("Check signature failed for accessKey=RocketMQUser"),
        "Go client with a wrong secret: {wrong}"
    );
}

#[test]
fn java4_acl_matrix() {
    let _s = compat_tests::scenario::heavy(150);
    acl_matrix(NsKind::Java);
}

#[test]
fn ours_acl_matrix() {
    let _s = compat_tests::scenario::heavy(150);
    acl_matrix(NsKind::Ours);
}
