//! ACL 1.0 over the wire: the refusal Java answers, a signed request admitted on the same
//! connection, the file read again when it changes, and the ACL admin codes rewriting it.

use crate::common;

use std::time::{Duration, Instant};

use broker::auth::sign;
use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::{Client, Command};

const FILE: &str = "globalWhiteRemoteAddresses:\n- 10.10.103.*\naccounts:\n- accessKey: RocketMQ\n  secretKey: '12345678'\n  admin: false\n  defaultTopicPerm: SUB\n- accessKey: adminUser\n  secretKey: adminSecret\n  admin: true\n";

async fn boot_acl(tag: &str) -> (TestBroker, std::path::PathBuf) {
    let home = temp_dir(tag);
    std::fs::create_dir_all(home.join("conf")).unwrap();
    let file = home.join("conf").join("plain_acl.yml");
    std::fs::write(&file, FILE).unwrap();
    let extra = format!("aclEnable=true\nrocketmqHome={}\n", home.display());
    (boot(tag, &extra).await, file)
}

/// Signs as Java's `AclClientRPCHook` does.
fn signed(mut req: Command, ak: &str, sk: &str) -> Command {
    req.ext_fields.insert(sign::ACCESS_KEY, ak);
    let s = sign::sign(&req, sk);
    req.ext_fields.insert(sign::SIGNATURE, s);
    req
}

#[tokio::test]
async fn refuses_like_java_and_admits_signed_requests() {
    let (tb, _) = boot_acl("acl-basic").await;
    let client = Client::new();
    let bare = call(
        &client,
        &tb.addr,
        Command::request(rq::GET_ALL_TOPIC_CONFIG),
    )
    .await;
    assert_eq!(bare.code, rc::SYSTEM_ERROR);
    assert_eq!(
        bare.remark.as_deref(),
        Some("org.apache.rocketmq.acl.common.AclException: No accessKey is configured, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:663)")
    );
    let wrong = signed(
        Command::request(rq::GET_ALL_TOPIC_CONFIG),
        "RocketMQ",
        "12345679",
    );
    let wrong = call(&client, &tb.addr, wrong).await;
    assert!(wrong
        .remark
        .as_deref()
        .unwrap()
        .contains("Check signature failed for accessKey=RocketMQ"));
    // Same connection: a refusal leaves it open.
    let ok = signed(
        Command::request(rq::GET_ALL_TOPIC_CONFIG),
        "RocketMQ",
        "12345678",
    );
    assert_eq!(call(&client, &tb.addr, ok).await.code, rc::SUCCESS);
    let create = signed(create_topic_cmd("acl_t", 4, 6), "RocketMQ", "12345678");
    let create = call(&client, &tb.addr, create).await;
    assert!(create
        .remark
        .as_deref()
        .unwrap()
        .contains("Need admin permission for request code=17"));
    let create = signed(create_topic_cmd("acl_t", 4, 6), "adminUser", "adminSecret");
    assert_eq!(call(&client, &tb.addr, create).await.code, rc::SUCCESS);
    tb.stop().await;
}

#[tokio::test]
async fn reads_the_file_again_when_it_changes() {
    let (tb, file) = boot_acl("acl-reload").await;
    let client = Client::new();
    let req = || {
        signed(
            Command::request(rq::GET_ALL_TOPIC_CONFIG),
            "lateUser1",
            "lateSecret",
        )
    };
    assert_eq!(call(&client, &tb.addr, req()).await.code, rc::SYSTEM_ERROR);
    let more = format!("{FILE}- accessKey: lateUser1\n  secretKey: lateSecret\n");
    std::fs::write(&file, more).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while call(&client, &tb.addr, req()).await.code != rc::SUCCESS {
        assert!(
            Instant::now() < deadline,
            "the new account was never admitted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tb.stop().await;
}

#[tokio::test]
async fn admin_codes_rewrite_the_file() {
    let (tb, file) = boot_acl("acl-admin").await;
    let client = Client::new();
    let admin = |req: Command| signed(req, "adminUser", "adminSecret");
    let create = Command::request(rq::UPDATE_AND_CREATE_ACL_CONFIG)
        .with_ext("accessKey", "newUser1")
        .with_ext("secretKey", "newSecret1")
        .with_ext("admin", "false")
        .with_ext("defaultTopicPerm", "PUB")
        .with_ext("topicPerms", "topicX=DENY,topicY=SUB");
    assert_eq!(
        call(&client, &tb.addr, admin(create)).await.code,
        rc::SUCCESS
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("accessKey: newUser1") && text.contains("- topicX=DENY"),
        "{text}"
    );
    let probe = signed(
        Command::request(rq::GET_ALL_TOPIC_CONFIG),
        "newUser1",
        "newSecret1",
    );
    assert_eq!(call(&client, &tb.addr, probe).await.code, rc::SUCCESS);

    let info = call(
        &client,
        &tb.addr,
        admin(Command::request(rq::GET_BROKER_CLUSTER_ACL_INFO)),
    )
    .await;
    assert_eq!(info.code, rc::SUCCESS);
    let all = info.ext("allAclFileVersion").unwrap();
    assert!(
        all.contains("plain_acl.yml") && all.contains("\"counter\":1"),
        "{all}"
    );

    let outside = Command::request(rq::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG)
        .with_ext("globalWhiteAddrs", "10.0.0.*")
        .with_ext("aclFileFullPath", "/etc/passwd.yml");
    let outside = call(&client, &tb.addr, admin(outside)).await;
    assert_eq!(outside.code, rc::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED);
    let white = Command::request(rq::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG)
        .with_ext("globalWhiteAddrs", "10.0.0.*,127.0.0.1")
        .with_ext("aclFileFullPath", file.display().to_string());
    assert_eq!(
        call(&client, &tb.addr, admin(white)).await.code,
        rc::SUCCESS
    );
    let bare = call(
        &client,
        &tb.addr,
        Command::request(rq::GET_ALL_TOPIC_CONFIG),
    )
    .await;
    assert_eq!(bare.code, rc::SUCCESS, "127.0.0.1 is now white-listed");

    let del = Command::request(rq::DELETE_ACL_CONFIG).with_ext("accessKey", "newUser1");
    assert_eq!(call(&client, &tb.addr, admin(del)).await.code, rc::SUCCESS);
    assert!(!std::fs::read_to_string(&file).unwrap().contains("newUser1"));
    let del = Command::request(rq::DELETE_ACL_CONFIG).with_ext("accessKey", "newUser1");
    let again = call(&client, &tb.addr, admin(del)).await;
    assert_eq!(again.code, rc::DELETE_ACL_CONFIG_FAILED);
    assert_eq!(
        again.remark.as_deref(),
        Some("The accesskey[newUser1] corresponding to accessConfig has been deleted failed.")
    );
    tb.stop().await;
}
