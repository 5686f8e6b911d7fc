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
        c.ext_fields.insert(*k, v.to_string());
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
