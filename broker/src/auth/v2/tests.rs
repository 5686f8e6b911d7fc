use super::*;
use crate::auth::sign;
use remoting::code::request as rq;

const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn broker_config(tag: &str, extra: &[(&str, &str)]) -> BrokerConfig {
    let dir = std::env::temp_dir().join(format!("thrust-auth2-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let mut c = BrokerConfig {
        store_path_root_dir: dir.display().to_string(),
        broker_cluster_name: "c1".into(),
        authentication_metadata_provider: Some(crate::config_reasons::AUTHN_METADATA.into()),
        authorization_metadata_provider: Some(crate::config_reasons::AUTHZ_METADATA.into()),
        init_authentication_user: Some(r#"{"username":"admin","password":"adminpw1"}"#.into()),
        ..BrokerConfig::default()
    };
    for (k, v) in extra {
        assert!(c.set(k, v).unwrap(), "{k}");
    }
    c
}

fn signed(code: i32, ext: &[(&'static str, &str)], user: &str, pw: &str) -> Command {
    let mut c = Command::request(code);
    for (k, v) in ext {
        c.ext_fields.insert(*k, v);
    }
    sign::sign_request(&mut c, user, pw);
    c
}

fn add_user(a: &Auth, name: &str, pw: &str) {
    let u = User {
        username: name.into(),
        password: Some(pw.into()),
        user_type: None,
        user_status: None,
    };
    admin::create_user(a.store.as_ref().unwrap(), u).unwrap();
}

#[test]
fn authentication_checks_user_status_and_signature() {
    let c = broker_config("authn", &[("authenticationEnabled", "true")]);
    let a = Auth::open(&c).unwrap().unwrap();
    add_user(&a, "user1", "secret12");
    let send = [("b", "t1"), ("a", "pg")];
    assert!(a
        .check(
            &signed(rq::SEND_MESSAGE_V2, &send, "admin", "adminpw1"),
            LOCAL
        )
        .is_ok());
    assert!(a
        .check(
            &signed(rq::SEND_MESSAGE_V2, &send, "user1", "secret12"),
            LOCAL
        )
        .is_ok());
    let wrong = a.check(&signed(rq::SEND_MESSAGE_V2, &send, "user1", "nope"), LOCAL);
    assert_eq!(wrong.unwrap_err(), "check signature failed.");
    let unknown = a.check(&signed(rq::SEND_MESSAGE_V2, &send, "ghost", "x"), LOCAL);
    assert_eq!(unknown.unwrap_err(), "User:ghost is not found.");
    let bare = a.check(&Command::request(rq::GET_ALL_TOPIC_CONFIG), LOCAL);
    assert_eq!(bare.unwrap_err(), "username cannot be null.");
}

#[test]
fn the_whitelist_skips_authentication_by_request_code() {
    let wl = rq::GET_ALL_TOPIC_CONFIG.to_string();
    let c = broker_config(
        "white",
        &[
            ("authenticationEnabled", "true"),
            ("authenticationWhitelist", &format!(" {wl} ,10")),
        ],
    );
    let a = Auth::open(&c).unwrap().unwrap();
    assert!(a
        .check(&Command::request(rq::GET_ALL_TOPIC_CONFIG), LOCAL)
        .is_ok());
    assert!(a
        .check(&Command::request(rq::GET_MAX_OFFSET), LOCAL)
        .is_err());
}

fn acl(a: &Auth, user: &str, entries: &str) {
    let info: store::AclInfo = serde_json::from_str(&format!(
        r#"{{"subject":"User:{user}","policies":[{{"entries":{entries}}}]}}"#
    ))
    .unwrap();
    let store = a.store.as_ref().unwrap();
    admin::upsert_acl(store, format!("User:{user}"), &info).unwrap();
}

#[test]
fn authorization_follows_the_users_policies() {
    let c = broker_config("authz", &[("authorizationEnabled", "true")]);
    let a = Auth::open(&c).unwrap().unwrap();
    add_user(&a, "user1", "secret12");
    let send = |topic: &str| signed(rq::SEND_MESSAGE_V2, &[("b", topic)], "user1", "secret12");
    let refused = a.check(&send("t1"), LOCAL).unwrap_err();
    assert_eq!(
        refused,
        "User:user1 has no permission to access Topic:t1 from 127.0.0.1, no matched policies."
    );
    acl(
        &a,
        "user1",
        r#"[{"resource":"Topic:t*","actions":["Pub"],"decision":"Allow"},
            {"resource":"Topic:t2","actions":["Pub","Sub"],"decision":"Deny"},
            {"resource":"Topic:t3","actions":["Pub"],"sourceIps":["10.0.0.0/8"],"decision":"Allow"}]"#,
    );
    assert!(a.check(&send("t1"), LOCAL).is_ok());
    assert_eq!(
        a.check(&send("t2"), LOCAL).unwrap_err(),
        "User:user1 has no permission to access Topic:t2 from 127.0.0.1, the decision is deny."
    );
    // The literal t3 entry does not match 127.0.0.1, the prefixed one still does.
    assert!(a.check(&send("t3"), LOCAL).is_ok());
    let admin = signed(rq::SEND_MESSAGE_V2, &[("b", "t2")], "admin", "whatever");
    assert!(
        a.check(&admin, LOCAL).is_ok(),
        "super users pass (authentication is off)"
    );
    let nobody = Command::request(rq::GET_MAX_OFFSET).with_ext("topic", "t1");
    assert_eq!(
        a.check(&nobody, LOCAL).unwrap_err(),
        "Authorization failed. Please verify your access rights and try again."
    );
}

#[test]
fn users_and_acls_survive_a_reopen() {
    let c = broker_config("reopen", &[]);
    let a = Auth::open(&c).unwrap().unwrap();
    add_user(&a, "user1", "secret12");
    acl(
        &a,
        "user1",
        r#"[{"resource":"Group:g","actions":["Sub"],"decision":"Allow"}]"#,
    );
    drop(a);
    let again = Auth::open(&c).unwrap().unwrap();
    let t = again.store.as_ref().unwrap().tables();
    assert_eq!(t.users["admin"].user_type, Some(UserType::Super));
    assert_eq!(t.users["user1"].user_type, Some(UserType::Normal));
    assert_eq!(
        t.acls["User:user1"].policies[0].entries[0].resource.key(),
        "Group:g"
    );
}

#[test]
fn start_up_refuses_half_configured_stores_and_java_rocksdb() {
    let mut c = broker_config("half", &[]);
    c.authorization_metadata_provider = None;
    assert!(Auth::open(&c).is_err());
    let c = broker_config("rocks", &[]);
    std::fs::create_dir_all(std::path::Path::new(&c.store_path_root_dir).join("config/users"))
        .unwrap();
    assert!(Auth::open(&c).err().unwrap().contains("RocksDB"));
    let mut c = broker_config("noinit", &[]);
    c.authentication_metadata_provider = None;
    c.authorization_metadata_provider = None;
    assert!(Auth::open(&c)
        .err()
        .unwrap()
        .contains("initAuthenticationUser"));
}

fn store_with_user1(tag: &str) -> Arc<Auth> {
    let a = Auth::open(&broker_config(tag, &[])).unwrap().unwrap();
    add_user(&a, "user1", "secret12");
    a
}

fn denied(r: Result<(), admin::Fail>) -> String {
    let admin::Fail(code, remark) = r.unwrap_err();
    assert_eq!(code, remoting::code::response::NO_PERMISSION, "{remark}");
    remark
}

#[test]
fn admin_checks_users_as_java() {
    let a = store_with_user1("adminusers");
    let store = a.store.as_ref().unwrap();
    let user = |name: &str, pw: Option<&str>| User {
        username: name.into(),
        password: pw.map(str::to_string),
        user_type: None,
        user_status: None,
    };
    assert_eq!(
        denied(admin::create_user(store, user("user1", Some("x")))),
        "The user is existed"
    );
    assert_eq!(
        denied(admin::create_user(store, user("user9", Some(" ")))),
        "password can not be blank"
    );
    assert_eq!(
        denied(admin::create_user(store, user(" ", Some("pw")))),
        "username can not be blank"
    );
}

fn info(json: &str) -> store::AclInfo {
    serde_json::from_str(json).unwrap()
}

#[test]
fn admin_validates_acls_as_java() {
    let a = store_with_user1("adminacls");
    let store = a.store.as_ref().unwrap();
    let upsert = |subject: &str, entries: &str| {
        let i = info(&format!(r#"{{"policies":[{{"entries":{entries}}}]}}"#));
        admin::upsert_acl(store, subject.into(), &i)
    };
    let cases = [
        (
            r#"[{"resource":"Queue:x","actions":["Pub"],"decision":"Allow"}]"#,
            "The resource is null.",
        ),
        (
            r#"[{"resource":"Topic:x","actions":["Nope"],"decision":"Allow"}]"#,
            "The actions is empty.",
        ),
        (
            r#"[{"resource":"Topic:x","actions":["Any"],"decision":"Allow"}]"#,
            "The actions can not be Any.",
        ),
        (
            r#"[{"resource":"Topic:x","actions":["Pub"],"sourceIps":[""],"decision":"Allow"}]"#,
            "The source ip is empty.",
        ),
        (
            r#"[{"resource":"Topic:x","actions":["Pub"],"sourceIps":["1.2.3"],"decision":"Allow"}]"#,
            "The source ip is invalid.",
        ),
        (
            r#"[{"resource":"Topic:x","actions":["Pub"],"decision":"Maybe"}]"#,
            "The decision is null or illegal.",
        ),
    ];
    for (entries, why) in cases {
        assert_eq!(denied(upsert("User:user1", entries)), why, "{entries}");
    }
    let ok = r#"[{"resource":"Topic:x","actions":["Pub"],"decision":"Allow"}]"#;
    assert_eq!(
        denied(upsert("User:ghost", ok)),
        "The subject of User:ghost is not exist."
    );
    upsert("User:user1", ok).unwrap();
    upsert(
        "User:user1",
        r#"[{"resource":"Group:g","actions":["Sub"],"decision":"Allow"}]"#,
    )
    .unwrap();
    let t = store.tables();
    let keys: Vec<String> = t.acls["User:user1"].policies[0]
        .entries
        .iter()
        .map(|e| e.resource.key())
        .collect();
    assert_eq!(
        keys,
        ["Topic:x", "Group:g"],
        "a second create adds to the ACL"
    );
}

#[test]
fn admin_lists_and_deletes_acls_as_java() {
    let a = store_with_user1("adminlist");
    add_user(&a, "topicfan", "secret12");
    let store = a.store.as_ref().unwrap();
    let entries = r#"{"policies":[{"entries":[
        {"resource":"Topic:orders","actions":["Pub"],"decision":"Allow"},
        {"resource":"Group:billing","actions":["Sub"],"decision":"Allow"}]}]}"#;
    admin::upsert_acl(store, "User:user1".into(), &info(entries)).unwrap();
    admin::upsert_acl(store, "User:topicfan".into(), &info(entries)).unwrap();
    let keys = |acls: Vec<model::Acl>| -> Vec<(String, usize)> {
        acls.iter()
            .map(|a| (a.subject.clone(), a.policies[0].entries.len()))
            .collect()
    };
    assert_eq!(
        keys(admin::list_acls(store, None, Some("orders"))),
        [("User:topicfan".into(), 1), ("User:user1".into(), 1)],
        "byte order of subjects; only the entries naming the resource"
    );
    assert_eq!(
        keys(admin::list_acls(store, None, Some("topic"))),
        [("User:topicfan".into(), 2)],
        "a subject key containing the filter keeps all its entries"
    );
    assert_eq!(
        keys(admin::list_acls(store, Some("user1"), None)),
        [("User:user1".into(), 2)]
    );
    let topic = Resource::parse("Topic:orders");
    let group = Resource::parse("Group:billing");
    let del = |s: &str, r: Option<Resource>| admin::delete_acl(store, Some(s.into()), None, r);
    assert_eq!(
        denied(del("User:ghost", topic.clone())),
        "The subject is not exist."
    );
    del("User:user1", topic.clone()).unwrap();
    del("User:user1", group).unwrap();
    assert!(
        !store.tables().acls.contains_key("User:user1"),
        "no entry left, no ACL"
    );
    assert_eq!(denied(del("User:user1", topic)), "The acl is not exist.");
    del("User:topicfan", None).unwrap();
    assert!(store.tables().acls.is_empty());
    assert_eq!(
        denied(admin::delete_acl(store, None, None, None)),
        "The subject is null."
    );
}
