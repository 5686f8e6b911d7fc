//! Bodies the NameServer answers with.
//!
//! Route data exactly as Java 5.3.3 writes it for clients ≥ 4.9.4 (`BrowserCompatible`,
//! `QuoteFieldNames`, `MapSortField`): compact, broker ids as quoted keys in numeric order, every
//! `brokerAddrs` an object, `queueDatas`/`brokerDatas` always arrays, `filterServerTable` `{}`:
//! ```text
//! {"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster",
//!  "enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,
//!  "readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `PermName`: the permission bits of a queue.
pub mod perm {
    pub const PRIORITY: i32 = 8;
    pub const READ: i32 = 4;
    pub const WRITE: i32 = 2;
    pub const INHERIT: i32 = 1;
}

/// `TopicSysFlag` bits.
pub mod sys_flag {
    pub const UNIT: i32 = 0x1;
    pub const UNIT_SUB: i32 = 0x2;
}

/// Java `QueueData`: one broker name's queues of one topic.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QueueData {
    #[serde(default)]
    pub broker_name: String,
    #[serde(default)]
    pub perm: i32,
    #[serde(default)]
    pub read_queue_nums: i32,
    #[serde(default)]
    pub topic_sys_flag: i32,
    #[serde(default)]
    pub write_queue_nums: i32,
}

/// Java `BrokerData`: a broker name (master/slave group) and its addresses by broker id.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BrokerData {
    /// broker id → `ip:port`; 0 is the master. Quoted keys on the wire.
    #[serde(default)]
    pub broker_addrs: BTreeMap<i64, String>,
    #[serde(default)]
    pub broker_name: String,
    #[serde(default)]
    pub cluster: String,
    #[serde(default)]
    pub enable_acting_master: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
}

impl BrokerData {
    pub fn new(cluster: &str, broker_name: &str) -> Self {
        BrokerData {
            broker_addrs: BTreeMap::new(),
            broker_name: broker_name.to_string(),
            cluster: cluster.to_string(),
            enable_acting_master: false,
            zone_name: None,
        }
    }
}

/// Java `TopicRouteData`: the GET_ROUTEINFO_BY_TOPIC answer.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TopicRouteData {
    #[serde(default)]
    pub broker_datas: Vec<BrokerData>,
    #[serde(default)]
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    #[serde(default)]
    pub queue_datas: Vec<QueueData>,
    /// broker name → `TopicQueueMappingInfo` (5.x static topics), absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_by_broker: Option<BTreeMap<String, Value>>,
}

impl TopicRouteData {
    /// The body Java's NameServer sends to clients ≥ 4.9.4 (and the only form Thrust sends:
    /// every client version parses it, see protocol spec §3.3).
    pub fn encode(&self) -> Vec<u8> {
        super::encode_browser_compatible(self)
    }
}

/// Java `ClusterInfo`: the GET_BROKER_CLUSTER_INFO answer.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

/// Java `TopicList`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TopicList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
    #[serde(default)]
    pub topic_list: Vec<String>,
}

/// Java `KVTable`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct KvTable {
    #[serde(default)]
    pub table: BTreeMap<String, String>,
}

/// Java `BrokerMemberGroup`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BrokerMemberGroup {
    pub broker_addrs: BTreeMap<i64, String>,
    pub broker_name: String,
    pub cluster: String,
}

/// Java `GetBrokerMemberGroupResponseBody`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GetBrokerMemberGroupResponseBody {
    pub broker_member_group: BrokerMemberGroup,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fastjson_forms_read_alike() {
        remoting::body::assert_read_alike::<TopicRouteData>(include_str!(
            "../../../testdata/fastjson/TopicRouteData.txt"
        ));
    }

    fn sample_route() -> TopicRouteData {
        let mut bd = BrokerData::new("DefaultCluster", "broker-a");
        bd.broker_addrs.insert(1, "127.0.0.1:10921".into());
        bd.broker_addrs.insert(0, "127.0.0.1:10911".into());
        TopicRouteData {
            broker_datas: vec![bd],
            queue_datas: vec![QueueData {
                broker_name: "broker-a".into(),
                perm: 6,
                read_queue_nums: 4,
                topic_sys_flag: 0,
                write_queue_nums: 4,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn route_json_is_byte_exact_as_java_533_standard_mode() {
        let json = String::from_utf8(sample_route().encode()).unwrap();
        assert_eq!(
            json,
            r#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#
        );
    }

    #[test]
    fn broker_ids_sort_numerically() {
        let mut route = sample_route();
        route.broker_datas[0].broker_addrs.insert(10, "h:3".into());
        route.broker_datas[0].broker_addrs.insert(2, "h:2".into());
        let json = String::from_utf8(route.encode()).unwrap();
        assert!(
            json.contains(r#"{"0":"127.0.0.1:10911","1":"127.0.0.1:10921","2":"h:2","10":"h:3"}"#),
            "{json}"
        );
    }

    /// Replays the Go client's `TopicRouteData.decode` string splitting (internal/route.go) on our
    /// output: strip braces, split on ',', split at the first ':', delete quotes, ParseInt.
    #[test]
    fn go_client_string_splitting_survives_route_json() {
        let v: Value = serde_json::from_slice(&sample_route().encode()).unwrap();
        let raw = serde_json::to_string(&v["brokerDatas"][0]["brokerAddrs"]).unwrap();
        let json = String::from_utf8(sample_route().encode()).unwrap();
        assert!(
            json.contains(&raw),
            "brokerAddrs must be compact in the body"
        );
        let mut parsed = BTreeMap::new();
        for item in raw[1..raw.len() - 1].split(',') {
            let i = item.find(':').unwrap();
            let id: i64 = item[..i].replace('"', "").parse().unwrap();
            parsed.insert(id, item[i + 1..].replace('"', ""));
        }
        assert_eq!(parsed, sample_route().broker_datas[0].broker_addrs);
    }

    #[test]
    fn order_conf_and_zone_are_written_when_set() {
        let mut route = sample_route();
        route.order_topic_conf = Some("broker-a:4".into());
        route.broker_datas[0].zone_name = Some("z1".into());
        let json = String::from_utf8(route.encode()).unwrap();
        assert!(
            json.contains(r#""enableActingMaster":false,"zoneName":"z1"}"#),
            "{json}"
        );
        assert!(
            json.contains(r#""filterServerTable":{},"orderTopicConf":"broker-a:4","queueDatas""#),
            "{json}"
        );
    }

    #[test]
    fn cluster_info_json() {
        let mut info = ClusterInfo::default();
        let mut bd = BrokerData::new("DefaultCluster", "broker-a");
        bd.broker_addrs.insert(0, "10.0.0.1:10911".into());
        info.broker_addr_table.insert("broker-a".into(), bd);
        info.cluster_addr_table
            .entry("DefaultCluster".into())
            .or_default()
            .insert("broker-a".into());
        assert_eq!(
            String::from_utf8(super::super::encode(&info)).unwrap(),
            r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#
        );
    }

    #[test]
    fn topic_list_and_kv_table_json() {
        let list = TopicList {
            broker_addr: None,
            topic_list: vec!["TBW102".into(), "TopicTest".into()],
        };
        assert_eq!(
            super::super::encode(&list),
            br#"{"topicList":["TBW102","TopicTest"]}"#
        );
        let sys = TopicList {
            broker_addr: Some("h:1".into()),
            topic_list: vec![],
        };
        assert_eq!(
            super::super::encode(&sys),
            br#"{"brokerAddr":"h:1","topicList":[]}"#
        );
        let mut kv = KvTable::default();
        kv.table.insert("T".into(), "broker-a:8".into());
        assert_eq!(
            super::super::encode(&kv),
            br#"{"table":{"T":"broker-a:8"}}"#
        );
    }

    #[test]
    fn parses_java_default_mode_route_with_bare_keys() {
        // What a 5.x broker sends in REGISTER_TOPIC_IN_NAMESRV (fastjson default mode).
        let java = br#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"C"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
        let route: TopicRouteData = super::super::decode("TopicRouteData", java).unwrap();
        assert_eq!(route.broker_datas[0].broker_addrs[&0], "127.0.0.1:10911");
        assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    }
}
