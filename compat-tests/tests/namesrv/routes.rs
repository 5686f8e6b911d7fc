//! Route and cluster bodies exactly as clients receive them. Java's NameServer answers a client
//! of version 4.9.4 or later (the 5.3.3 client sends 479) with standard JSON (fastjson's
//! BrowserCompatible and MapSortField, `ClientRequestProcessor#getRouteInfoByTopic`) and older
//! clients (the Go client sends 317) with fastjson's native form (bare numeric map keys).

use std::time::Duration;

use compat_tests::servers::NsKind;
use compat_tests::wire::{self, code, response};
use compat_tests::world::{world, BROKER, CLUSTER};
use serde_json::Value;

/// Topics the shared broker registers with every NameServer.
/// RequestCode.ADD_WRITE_PERM_OF_BROKER.
const ADD_WRITE_PERM_OF_BROKER: i32 = 327;

const TOPICS: &[&str] = &["TBW102", CLUSTER, BROKER, "SELF_TEST_TOPIC"];
const GO_CLIENT_VERSION: i32 = 317;
const JAVA_5_3_3_VERSION: i32 = 479;

/// One answer to GET_ROUTEINFO_BY_TOPIC.
#[derive(Debug, PartialEq)]
pub struct RouteAnswer {
    pub topic: String,
    pub version: i32,
    pub code: i32,
    pub body: String,
    pub value: Option<Value>,
}

fn ask(ns: &str, topic: &str, version: i32) -> RouteAnswer {
    let reply = wire::request_as(
        ns,
        code::GET_ROUTEINFO_BY_TOPIC,
        version,
        &[("topic", topic)],
        Duration::from_secs(3),
    )
    .unwrap_or_else(|e| panic!("route of {topic} from {ns}: {e}"));
    let body = String::from_utf8(reply.body.clone()).expect("route body is UTF-8");
    let value = (reply.code == response::SUCCESS)
        .then(|| wire::parse_fastjson(&body).expect("route body parses"));
    if reply.code == response::TOPIC_NOT_EXIST {
        let remark = reply.remark.clone().unwrap_or_default();
        assert!(
            remark.starts_with(&format!(
                "No topic route info in name server for the topic: {topic}"
            )),
            "remark: {remark}"
        );
    }
    RouteAnswer {
        topic: topic.to_string(),
        version,
        code: reply.code,
        body,
        value,
    }
}

/// Route answers of the NameServer under test for both client versions, with the checks every
/// NameServer must pass: a standard-JSON body for 479 that routes to the shared broker, and
/// TOPIC_NOT_EXIST for an unknown topic.
pub fn route_answers(kind: NsKind) -> Vec<RouteAnswer> {
    let _perm = world().read_perm();
    route_answers_unlocked(kind)
}

/// [`route_answers`] for a caller that holds the permission lock already.
fn route_answers_unlocked(kind: NsKind) -> Vec<RouteAnswer> {
    let w = world();
    let _dump = w.dump_on_failure();
    let ns = &w.ns(kind).addr;
    let mut answers = Vec::new();
    for topic in TOPICS {
        for version in [JAVA_5_3_3_VERSION, GO_CLIENT_VERSION] {
            let a = ask(ns, topic, version);
            assert_eq!(a.code, response::SUCCESS, "{a:?}");
            let route = a.value.as_ref().expect("route value");
            assert!(
                wire::route_broker_addrs(route).contains(&w.broker.addr),
                "{a:?}"
            );
            if version == JAVA_5_3_3_VERSION {
                let strict: Result<Value, _> = serde_json::from_str(&a.body);
                assert!(
                    strict.is_ok(),
                    "a 5.3.3 client must get standard JSON: {}",
                    a.body
                );
            }
            answers.push(a);
        }
    }
    let missing = ask(ns, "ct_no_such_topic", JAVA_5_3_3_VERSION);
    assert_eq!(
        (missing.code, missing.body.as_str()),
        (response::TOPIC_NOT_EXIST, ""),
        "{missing:?}"
    );
    answers.push(missing);
    answers
}

/// Ours must answer 5.3.3 clients with Java's exact bytes, and older clients with the same
/// values (Thrust always writes quoted keys, which every client parses: protocol spec §3.3).
pub fn compare_route_answers() {
    // The fixture to itself, so no write-permission scenario runs in between. One that ran
    // before leaves its NameServer with READ|WRITE (6) where the broker registered
    // READ|WRITE|INHERIT (7), and no later registration of an unchanged DataVersion restores it:
    // both NameServers are put in that state first (ADD_WRITE_PERM_OF_BROKER), whichever ran.
    let w = world();
    let _perm = w.write_perm();
    for kind in [NsKind::Ours, NsKind::Java] {
        let r = wire::request(
            &w.ns(kind).addr,
            ADD_WRITE_PERM_OF_BROKER,
            &[("brokerName", BROKER)],
            Duration::from_secs(10),
        )
        .unwrap_or_else(|e| panic!("ADD_WRITE_PERM_OF_BROKER to {kind:?}: {e}"));
        assert_eq!(
            r.code,
            response::SUCCESS,
            "ADD_WRITE_PERM_OF_BROKER to {kind:?}"
        );
    }
    let ours = route_answers_unlocked(NsKind::Ours);
    let java = route_answers_unlocked(NsKind::Java);
    for (o, j) in ours.iter().zip(&java) {
        if o.version == JAVA_5_3_3_VERSION {
            assert_eq!(
                (o.code, &o.body),
                (j.code, &j.body),
                "route of {} for version {}",
                o.topic,
                o.version
            );
        } else {
            assert_eq!(
                (o.code, &o.value),
                (j.code, &j.value),
                "route of {} for version {}",
                o.topic,
                o.version
            );
        }
    }
    assert_eq!(ours.len(), java.len());
}

/// The shared broker's entry in GET_BROKER_CLUSTER_INFO.
pub fn cluster_entry(kind: NsKind) -> (Value, bool) {
    let w = world();
    let info = wire::cluster_info(&w.ns(kind).addr).expect("cluster info");
    let entry = info["brokerAddrTable"][BROKER].clone();
    assert_eq!(entry["brokerAddrs"]["0"], w.broker.addr.as_str(), "{info}");
    assert_eq!(entry["cluster"], CLUSTER, "{info}");
    let listed = info["clusterAddrTable"][CLUSTER]
        .as_array()
        .is_some_and(|names| names.iter().any(|n| n == BROKER));
    (entry, listed)
}
