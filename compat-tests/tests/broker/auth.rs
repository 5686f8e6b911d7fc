//! 5.x authentication and authorization (`authenticationEnabled`, `authorizationEnabled`, the
//! default providers with the local metadata providers) as the Java 5.3.3 broker does them.
//!
//! One broker of each kind under a NameServer of its own, started with an initial super user.
//! mqadmin 5.3.3 signs with that user's keys from `conf/tools.yml` (its own mqadmin server with
//! `-Drocketmq.home.dir`) and manages users and ACLs (createUser … listAcl); the Java 5.3.3
//! client then produces, consumes and pulls as a normal user with `AclClientRPCHook`: allowed
//! with the ACL it needs, refused (NO_PERMISSION and Java's message) without it, with a wrong
//! password or as an unknown user. The broker restarts on the same store: the users and ACLs
//! (and the updated password) are still there. Both brokers must print and answer the same.

use std::time::Duration;

use compat_tests::admin_server::Session;
use compat_tests::env::{require_setup, work_dir};
use compat_tests::process::{run, LogDump, Output};
use compat_tests::servers::{Broker, BrokerSpec, Namesrv, NsKind};
use compat_tests::tools::{go_driver_cmd, java_driver, kv, JavaClient};
use compat_tests::wait::wait_until;
use compat_tests::wire;
use serde_json::Value;

use super::common::{unique, CLUSTER};

const AUTHN_PROVIDER: &str =
    "org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider";
const AUTHN_METADATA: &str =
    "org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider";
const AUTHZ_PROVIDER: &str =
    "org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider";
const AUTHZ_METADATA: &str =
    "org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider";

/// The keys of Java's documented set-up, with the initial super user `rocketmq`.
fn auth_keys() -> Vec<(String, String)> {
    [
        ("authenticationEnabled", "true"),
        ("authenticationProvider", AUTHN_PROVIDER),
        ("authenticationMetadataProvider", AUTHN_METADATA),
        ("authorizationEnabled", "true"),
        ("authorizationProvider", AUTHZ_PROVIDER),
        ("authorizationMetadataProvider", AUTHZ_METADATA),
        (
            "initAuthenticationUser",
            r#"{"username":"rocketmq","password":"12345678"}"#,
        ),
        (
            "innerClientAuthenticationCredentials",
            r#"{"accessKey":"rocketmq","secretKey":"12345678"}"#,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// mqadmin's output lines with runs of blanks made one.
fn rows(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn said(out: &Output, text: &str) {
    assert!(
        out.stdout.contains(text),
        "mqadmin did not say {text:?}: {out}"
    );
}

/// One run of the Java 5.3.3 driver; its JSON lines.
fn client(args: &[(&str, &str)], mode: &str) -> (Output, Vec<Value>) {
    let out = run(
        &java_driver(JavaClient::V5_3_3, &kv(mode, args)),
        Duration::from_secs(90),
    );
    let lines = out.json_lines();
    (out, lines)
}

/// Sends one message as `ak`/`sk`: `Ok` when sent, else the error line's cause.
fn send(ns: &str, topic: &str, ak: &str, sk: &str) -> Result<(), String> {
    let args = [
        ("ns", ns),
        ("topic", topic),
        ("group", "auth_pg"),
        ("count", "1"),
        ("ak", ak),
        ("sk", sk),
    ];
    let (out, lines) = client(&args, "produce");
    if lines.iter().any(|l| l["status"] == "SEND_OK") {
        return Ok(());
    }
    let cause = lines
        .iter()
        .find_map(|l| l["cause"].as_str())
        .unwrap_or_else(|| panic!("neither sent nor refused: {out}"));
    Err(cause.to_string())
}

fn refused(r: Result<(), String>, text: &str) {
    let cause = r.expect_err("the broker refuses the send");
    assert!(
        cause.contains("CODE: 16") && cause.contains(text),
        "NO_PERMISSION with {text:?}: {cause}"
    );
}

fn start(kind: NsKind, ns: &str, store: &std::path::Path) -> Broker {
    let mut spec = BrokerSpec::new(CLUSTER, "broker-auth", &[ns]).on_store(store);
    spec.extra.extend(auth_keys());
    let broker = Broker::start_with(kind, spec);
    broker.wait_registered(ns, Duration::from_secs(60));
    broker
}

fn create_topic(admin: &mut Session, ns: &str, b: &str, topic: &str) {
    let out = admin.mqadmin(
        ns,
        &["updateTopic", "-b", b, "-t", topic, "-r", "2", "-w", "2"],
    );
    said(&out, "success");
    wait_until(
        Duration::from_secs(60),
        &format!("route of {topic}"),
        || wire::route(ns, topic).ok().flatten().is_some(),
    );
}

/// What one run works with: the NameServer, the broker, mqadmin as the super user, names.
struct Run {
    ns: String,
    b: String,
    admin: Session,
    home: std::path::PathBuf,
    topic: String,
    denied_topic: String,
    group: String,
    denied_group: String,
}

impl Run {
    fn adm(&mut self, args: &[&str]) -> Output {
        self.admin.mqadmin(&self.ns, args)
    }
}

fn users_and_acls(kind: NsKind) {
    require_setup();
    let namesrv = Namesrv::start(NsKind::Ours);
    let ns = namesrv.addr.clone();
    let store = work_dir(&format!("{}-auth-store", kind.label()));
    let broker = start(kind, &ns, &store);
    let logs = LogDump(vec![&broker.server, &namesrv.server]);
    let home = work_dir("auth-mqadmin-home");
    std::fs::create_dir_all(home.join("conf")).expect("mkdir conf");
    std::fs::write(
        home.join("conf/tools.yml"),
        "accessKey: rocketmq\nsecretKey: 12345678\n",
    )
    .expect("tools.yml");
    let admin = Session::start(&[&format!("-Drocketmq.home.dir={}", home.display())]);
    let mut r = Run {
        ns: ns.clone(),
        b: broker.addr.clone(),
        admin,
        home,
        topic: unique("auth_t"),
        denied_topic: unique("auth_t2"),
        group: unique("auth_g"),
        denied_group: unique("auth_g2"),
    };
    let (b, topic, denied) = (r.b.clone(), r.topic.clone(), r.denied_topic.clone());
    create_topic(&mut r.admin, &ns, &b, &topic);
    create_topic(&mut r.admin, &ns, &b, &denied);
    users(&mut r);
    let (topic_row, group_row) = acls(&mut r);
    normal_user_admin(&mut r);
    clients(&r);

    // A restart on the same store keeps users and ACLs.
    drop(logs);
    broker.server.stop();
    drop(broker);
    let broker = start(kind, &ns, &store);
    let _logs = LogDump(vec![&broker.server, &namesrv.server]);
    r.b = broker.addr.clone();
    after_restart(&mut r, &topic_row, &group_row);
}

/// createUser, getUser, updateUser (password, status), listUser, deleteUser; a disabled user's
/// send is refused.
fn users(r: &mut Run) {
    let (ns, b, topic) = (r.ns.clone(), r.b.clone(), r.topic.clone());
    let mut adm = |args: &[&str]| r.adm(args);
    said(
        &adm(&["createUser", "-b", &b, "-u", "user1", "-p", "pw111111"]),
        &format!("create user to {b} success."),
    );
    said(
        &adm(&["createUser", "-b", &b, "-u", "user2", "-p", "pw222222"]),
        &format!("create user to {b} success."),
    );
    let again = adm(&["createUser", "-b", &b, "-u", "user1", "-p", "pw111111"]);
    assert!(
        again.stderr.contains("CODE: 16") && again.stderr.contains("The user is existed"),
        "{again}"
    );
    let user1 = rows(&adm(&["getUser", "-b", &b, "-u", "user1"]));
    assert_eq!(
        user1,
        [
            "#UserName #Password #UserType #UserStatus",
            "user1 pw111111 Normal enable"
        ]
    );
    said(
        &adm(&["updateUser", "-b", &b, "-u", "user1", "-p", "pw123456"]),
        &format!("update user to {b} success."),
    );
    let all = rows(&adm(&["listUser", "-b", &b]));
    for row in [
        "rocketmq 12345678 Super enable",
        "user1 pw123456 Normal enable",
        "user2 pw222222 Normal enable",
    ] {
        assert!(
            all.iter().any(|r| r == row),
            "listUser has {row:?}: {all:?}"
        );
    }
    said(
        &adm(&["updateUser", "-b", &b, "-u", "user2", "-s", "disable"]),
        &format!("update user to {b} success."),
    );
    let disabled = rows(&adm(&["getUser", "-b", &b, "-u", "user2"]));
    assert_eq!(
        disabled.get(1).map(String::as_str),
        Some("user2 pw222222 Normal disable")
    );
    refused(
        send(&ns, &topic, "user2", "pw222222"),
        "User:user2 is disabled.",
    );
    said(
        &adm(&["deleteUser", "-b", &b, "-u", "user2"]),
        &format!("delete user to {b} success."),
    );
    let gone = rows(&adm(&["getUser", "-b", &b, "-u", "user2"]));
    assert!(gone.is_empty(), "user2 is deleted: {gone:?}");
}

/// createAcl, getAcl, updateAcl (a source IP), listAcl; the rows of user1's two entries.
fn acls(r: &mut Run) -> (String, String) {
    let (b, topic, group) = (r.b.clone(), r.topic.clone(), r.group.clone());
    let mut adm = |args: &[&str]| r.adm(args);
    let resources = format!("Topic:{topic},Group:{group}");
    said(
        &adm(&[
            "createAcl",
            "-b",
            &b,
            "-s",
            "User:user1",
            "-r",
            &resources,
            "-a",
            "Pub,Sub",
            "-d",
            "Allow",
        ]),
        &format!("create acl to {b} success."),
    );
    let bad_ip = adm(&[
        "createAcl",
        "-b",
        &b,
        "-s",
        "User:user1",
        "-r",
        "Topic:x",
        "-a",
        "Pub",
        "-d",
        "Allow",
        "-i",
        "300.1.1.1",
    ]);
    assert!(
        bad_ip.stderr.contains("The source ip is invalid."),
        "{bad_ip}"
    );
    let got = rows(&adm(&["getAcl", "-b", &b, "-s", "User:user1"]));
    let topic_row = format!("User:user1 Custom Topic:{topic} [Pub, Sub] null Allow");
    let group_row = format!("User:user1 Custom Group:{group} [Pub, Sub] null Allow");
    assert_eq!(
        got,
        [
            "#Subject #PolicyType #Resource #Actions #SourceIp #Decision",
            topic_row.as_str(),
            group_row.as_str()
        ]
    );
    said(
        &adm(&[
            "updateAcl",
            "-b",
            &b,
            "-s",
            "User:user1",
            "-r",
            &format!("Topic:{topic}"),
            "-a",
            "Pub,Sub",
            "-d",
            "Allow",
            "-i",
            "127.0.0.1",
        ]),
        &format!("update acl to {b} success."),
    );
    let listed = rows(&adm(&["listAcl", "-b", &b, "-s", "User:user1"]));
    let topic_row = format!("User:user1 Custom Topic:{topic} [Pub, Sub] [127.0.0.1] Allow");
    assert!(listed.contains(&topic_row), "{topic_row:?} in {listed:?}");
    assert!(listed.contains(&group_row), "{group_row:?} in {listed:?}");

    (topic_row, group_row)
}

/// mqadmin as user1, who has no ACL on the cluster: user management is refused.
fn normal_user_admin(r: &mut Run) {
    let b = r.b.clone();
    let tools = r.home.join("conf/tools.yml");
    let mut adm = |args: &[&str]| r.adm(args);
    std::fs::write(&tools, "accessKey: user1\nsecretKey: pw123456\n").expect("tools.yml");
    let denied = adm(&["createUser", "-b", &b, "-u", "user3", "-p", "pw333333"]);
    let want = format!(
        "User:user1 has no permission to access Cluster:{CLUSTER} from 127.0.0.1, no matched \
         policies."
    );
    assert!(
        denied.stderr.contains("CODE: 16") && denied.stderr.contains(&want),
        "{want:?}: {denied}"
    );
    std::fs::write(&tools, "accessKey: rocketmq\nsecretKey: 12345678\n").expect("tools.yml");
}

/// The Go client (rocketmq-client-go v2, `primitive.Credentials`) sends as `ak`/`sk`: its
/// output.
fn go_send(ns: &str, topic: &str, ak: &str, sk: &str) -> Output {
    let args = kv(
        "produce",
        &[
            ("ns", ns),
            ("topic", topic),
            ("group", "auth_go_pg"),
            ("count", "1"),
            ("retry", "0"),
            ("ak", ak),
            ("sk", sk),
        ],
    );
    run(&go_driver_cmd(&args), Duration::from_secs(90))
}

/// The Java 5.3.3 client as user1 (and as users it cannot be), then the Go client.
fn clients(r: &Run) {
    let (ns, topic, denied_topic) = (r.ns.clone(), r.topic.clone(), r.denied_topic.clone());
    let (group, denied_group) = (r.group.clone(), r.denied_group.clone());
    send(&ns, &topic, "user1", "pw123456").expect("user1 sends to its topic");
    refused(
        send(&ns, &topic, "user1", "pw111111"),
        "check signature failed.",
    );
    refused(
        send(&ns, &topic, "nobody", "pw123456"),
        "User:nobody is not found.",
    );
    refused(
        send(&ns, &denied_topic, "user1", "pw123456"),
        &format!(
            "User:user1 has no permission to access Topic:{denied_topic} from 127.0.0.1, no \
             matched policies."
        ),
    );
    let consume = [
        ("ns", ns.as_str()),
        ("topic", topic.as_str()),
        ("group", group.as_str()),
        ("expect", "1"),
        ("ak", "user1"),
        ("sk", "pw123456"),
    ];
    let (out, lines) = client(&consume, "consume");
    let done = lines.iter().find(|l| l["done"] == true);
    assert!(
        done.is_some_and(|d| d["received"].as_i64() >= Some(1)),
        "user1 consumes its topic in its group: {out}"
    );
    let pull = [
        ("ns", ns.as_str()),
        ("topic", topic.as_str()),
        ("group", denied_group.as_str()),
        ("ak", "user1"),
        ("sk", "pw123456"),
    ];
    let (out, lines) = client(&pull, "pull");
    let want = format!(
        "User:user1 has no permission to access Group:{denied_group} from 127.0.0.1, no matched \
         policies."
    );
    assert!(
        lines
            .iter()
            .any(|l| l["code"] == 16 && l["remark"] == want.as_str()),
        "a pull in a group without ACL: {out}"
    );
    let go = go_send(&ns, &topic, "user1", "pw123456");
    assert!(
        go.stdout.contains("\"status\":\"SEND_OK\""),
        "Go client as user1: {go}"
    );
    let go = go_send(&ns, &topic, "user1", "wrong123");
    assert!(
        go.stdout.contains("check signature failed."),
        "Go client, wrong password: {go}"
    );
}

/// The users and ACLs as before the restart; an ACL entry deleted then takes effect.
fn after_restart(r: &mut Run, topic_row: &str, group_row: &str) {
    let (ns, b, topic) = (r.ns.clone(), r.b.clone(), r.topic.clone());
    let mut adm = |args: &[&str]| r.adm(args);
    let user1 = rows(&adm(&["getUser", "-b", &b, "-u", "user1"]));
    assert_eq!(
        user1.get(1).map(String::as_str),
        Some("user1 pw123456 Normal enable")
    );
    let after = rows(&adm(&["getAcl", "-b", &b, "-s", "User:user1"]));
    assert!(
        after.iter().any(|l| l == topic_row) && after.iter().any(|l| l == group_row),
        "{after:?}"
    );
    send(&ns, &topic, "user1", "pw123456").expect("user1 still sends after the restart");
    said(
        &adm(&[
            "deleteAcl",
            "-b",
            &b,
            "-s",
            "User:user1",
            "-r",
            &format!("Topic:{topic}"),
        ]),
        &format!("delete acl to {b} success."),
    );
    refused(
        send(&ns, &topic, "user1", "pw123456"),
        &format!(
            "User:user1 has no permission to access Topic:{topic} from 127.0.0.1, no matched \
             policies."
        ),
    );
}

#[test]
fn java_auth_users_and_acls() {
    let _s = compat_tests::scenario::heavy(400);
    users_and_acls(NsKind::Java);
}

#[test]
fn ours_auth_users_and_acls() {
    let _s = compat_tests::scenario::heavy(400);
    users_and_acls(NsKind::Ours);
}
