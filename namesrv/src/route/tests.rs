#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use super::query::UnitFilter;
use super::*;
use remoting::body::topic::TopicConfigSerializeWrapper;

fn reg(name: &str, id: i64, addr: &str) -> BrokerRegistration {
    BrokerRegistration {
        cluster_name: "DefaultCluster".into(),
        broker_addr: addr.into(),
        broker_name: name.into(),
        broker_id: id,
        ha_server_addr: format!("{addr}-ha"),
        conn_id: Some(id as u64 + 100),
        ..Default::default()
    }
}

fn body(counter: i64, topics: &[(&str, i32, i32)]) -> RegisterBrokerBody {
    let mut wrapper = TopicConfigSerializeWrapper {
        data_version: DataVersion {
            counter,
            state_version: 0,
            timestamp: 1,
        },
        ..Default::default()
    };
    for (name, queues, perm) in topics {
        let tc = TopicConfig {
            read_queue_nums: *queues,
            write_queue_nums: *queues,
            perm: *perm,
            ..TopicConfig::new(name)
        };
        wrapper.topic_config_table.insert(name.to_string(), tc);
    }
    RegisterBrokerBody {
        filter_server_list: vec![],
        topic_config_serialize_wrapper: wrapper,
    }
}

const TOPICS: &[(&str, i32, i32)] = &[("TopicTest", 4, 6), ("TBW102", 8, 7)];

#[test]
fn master_registration_creates_route() {
    let rim = RouteInfoManager::new();
    let res = rim
        .register_broker(&reg("broker-a", 0, "h:10911"), &body(1, TOPICS), false)
        .unwrap();
    assert_eq!(res, RegisterResult::default());
    let route = rim.pickup_topic_route_data("TopicTest", false).unwrap();
    assert_eq!(route.queue_datas.len(), 1);
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    assert_eq!(route.broker_datas[0].broker_addrs[&0], "h:10911");
    assert_eq!(route.broker_datas[0].cluster, "DefaultCluster");
    assert!(rim.pickup_topic_route_data("Nope", false).is_none());
    // Java's order (its ConcurrentHashMaps' bins), not sorted.
    assert_eq!(rim.all_topics().topic_list, vec!["TopicTest", "TBW102"]);
}

#[test]
fn slave_gets_master_ha_address_and_does_not_write_queues() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("broker-a", 0, "h:10911"), &body(1, TOPICS), false)
        .unwrap();
    let res = rim
        .register_broker(
            &reg("broker-a", 1, "h:10921"),
            &body(1, &[("TopicTest", 2, 6), ("X", 1, 6)]),
            false,
        )
        .unwrap();
    assert_eq!(res.master_addr.as_deref(), Some("h:10911"));
    assert_eq!(res.ha_server_addr.as_deref(), Some("h:10911-ha"));
    assert!(
        rim.pickup_topic_route_data("X", false).is_none(),
        "slaves never add topics"
    );
    let route = rim.pickup_topic_route_data("TopicTest", false).unwrap();
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);
    assert_eq!(route.broker_datas[0].broker_addrs.len(), 2);
}

#[test]
fn unchanged_data_version_keeps_queue_data() {
    let rim = RouteInfoManager::new();
    let r = reg("broker-a", 0, "h:1");
    rim.register_broker(&r, &body(1, TOPICS), false).unwrap();
    rim.wipe_write_perm("broker-a");
    // Same DataVersion: Java skips already-known topics, so the wiped perm stays.
    rim.register_broker(&r, &body(1, TOPICS), false).unwrap();
    assert_eq!(
        rim.pickup_topic_route_data("TopicTest", false)
            .unwrap()
            .queue_datas[0]
            .perm,
        4
    );
    // New DataVersion: the broker's config is applied again.
    rim.register_broker(&r, &body(2, TOPICS), false).unwrap();
    assert_eq!(
        rim.pickup_topic_route_data("TopicTest", false)
            .unwrap()
            .queue_datas[0]
            .perm,
        6
    );
}

#[test]
fn single_topic_registration_of_unknown_broker_fails() {
    let rim = RouteInfoManager::new();
    assert!(rim
        .register_broker(&reg("b", 0, "h:1"), &body(1, &[("T", 4, 6)]), false)
        .is_none());
    assert!(rim.cluster_info().broker_addr_table.is_empty());
    rim.register_broker(&reg("b", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    assert!(rim
        .register_broker(&reg("b", 0, "h:1"), &body(2, &[("T", 4, 6)]), false)
        .is_some());
}

#[test]
fn slave_to_master_switch_drops_old_id() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("b", 1, "h:2"), &body(1, TOPICS), false)
        .unwrap();
    rim.register_broker(&reg("b", 0, "h:2"), &body(1, TOPICS), false)
        .unwrap();
    let info = rim.cluster_info();
    let addrs = &info.broker_addr_table["b"].broker_addrs;
    assert_eq!(addrs.len(), 1);
    assert_eq!(addrs[&0], "h:2");
}

#[test]
fn unregister_last_address_removes_broker_cluster_and_topics() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    rim.register_broker(&reg("a", 1, "h:2"), &body(1, TOPICS), false)
        .unwrap();
    rim.register_broker(
        &reg("b", 0, "h:3"),
        &body(1, &[("TopicTest", 2, 6), ("Y", 1, 6)]),
        false,
    )
    .unwrap();
    let un = |name: &str, id, addr: &str| Unregistration {
        cluster_name: "DefaultCluster".into(),
        broker_addr: addr.into(),
        broker_name: name.into(),
        broker_id: id,
    };
    rim.unregister_brokers(&[un("a", 0, "h:1")]);
    // The slave keeps broker "a" and its queues readable.
    assert_eq!(
        rim.pickup_topic_route_data("TopicTest", false)
            .unwrap()
            .queue_datas
            .len(),
        2
    );
    rim.unregister_brokers(&[un("a", 1, "h:2")]);
    let route = rim.pickup_topic_route_data("TopicTest", false).unwrap();
    assert_eq!(route.queue_datas.len(), 1);
    assert_eq!(route.queue_datas[0].broker_name, "b");
    assert!(rim.pickup_topic_route_data("TBW102", false).is_none());
    rim.unregister_brokers(&[un("b", 0, "h:3")]);
    let info = rim.cluster_info();
    assert!(info.broker_addr_table.is_empty() && info.cluster_addr_table.is_empty());
    assert!(rim.all_topics().topic_list.is_empty());
}

#[test]
fn connection_close_unregisters_only_that_connection() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    rim.register_broker(&reg("b", 0, "h:2"), &body(1, TOPICS), false)
        .unwrap();
    // reg() puts broker id 0 on connection 100 for both; give b its own connection.
    let mut rb = reg("b", 0, "h:2");
    rb.conn_id = Some(7);
    rim.register_broker(&rb, &body(1, TOPICS), false).unwrap();
    let gone = rim.on_connection_closed(100);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].broker_name, "a");
    let names: Vec<_> = rim.cluster_info().broker_addr_table.into_keys().collect();
    assert_eq!(names, vec!["b"]);
    assert!(rim.on_connection_closed(12345).is_empty());
}

#[test]
fn scan_expires_by_registration_timeout() {
    let rim = RouteInfoManager::new();
    let mut short = reg("a", 0, "h:1");
    short.heartbeat_timeout_millis = Some(1_000);
    rim.register_broker(&short, &body(1, TOPICS), false)
        .unwrap();
    rim.register_broker(&reg("b", 0, "h:2"), &body(1, TOPICS), false)
        .unwrap();
    let now = Instant::now();
    assert!(rim.scan_not_active_brokers(now).is_empty());
    let expired = rim.scan_not_active_brokers(now + Duration::from_secs(2));
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].key.broker_addr, "h:1");
    assert_eq!(expired[0].conn_id, Some(100));
    let expired =
        rim.scan_not_active_brokers(now + DEFAULT_BROKER_TIMEOUT + Duration::from_secs(1));
    assert_eq!(expired[0].key.broker_addr, "h:2");
    assert!(rim.cluster_info().broker_addr_table.is_empty());
}

#[test]
fn data_version_queries() {
    let rim = RouteInfoManager::new();
    let dv = DataVersion {
        counter: 1,
        state_version: 0,
        timestamp: 1,
    };
    assert!(rim.is_broker_topic_config_changed("DefaultCluster", "h:1", Some(&dv)));
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    assert!(!rim.is_broker_topic_config_changed("DefaultCluster", "h:1", Some(&dv)));
    assert!(rim.is_broker_topic_config_changed("DefaultCluster", "h:1", None));
    assert_eq!(
        rim.query_broker_topic_config("DefaultCluster", "h:1"),
        Some(dv)
    );
    assert_eq!(rim.query_broker_topic_config("Other", "h:1"), None);
}

#[test]
fn write_perm_wipe_and_add_count_topics() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    assert_eq!(rim.wipe_write_perm("a"), 2);
    let route = rim.pickup_topic_route_data("TBW102", false).unwrap();
    assert_eq!(route.queue_datas[0].perm, 5);
    assert_eq!(rim.add_write_perm("a"), 2);
    // Java sets READ|WRITE exactly: TBW102's INHERIT bit is gone.
    assert_eq!(
        rim.pickup_topic_route_data("TBW102", false)
            .unwrap()
            .queue_datas[0]
            .perm,
        6
    );
    assert_eq!(rim.wipe_write_perm("nobody"), 0);
}

#[test]
fn delete_topic_whole_or_per_cluster() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    let mut other = reg("b", 0, "h:2");
    other.cluster_name = "C2".into();
    rim.register_broker(&other, &body(1, TOPICS), false)
        .unwrap();
    rim.delete_topic("TopicTest", Some("C2"));
    let route = rim.pickup_topic_route_data("TopicTest", false).unwrap();
    assert_eq!(route.queue_datas.len(), 1);
    assert_eq!(route.queue_datas[0].broker_name, "a");
    rim.delete_topic("TopicTest", Some("NoSuchCluster"));
    assert!(rim.pickup_topic_route_data("TopicTest", false).is_some());
    rim.delete_topic("TopicTest", None);
    assert!(rim.pickup_topic_route_data("TopicTest", false).is_none());
    assert_eq!(rim.topics_by_cluster("C2").topic_list, vec!["TBW102"]);
    assert!(rim.topics_by_cluster("nope").topic_list.is_empty());
}

#[test]
fn system_and_unit_topic_lists() {
    let rim = RouteInfoManager::new();
    let mut b = body(1, TOPICS);
    let table = &mut b.topic_config_serialize_wrapper.topic_config_table;
    table.get_mut("TopicTest").unwrap().topic_sys_flag = 1;
    table.get_mut("TBW102").unwrap().topic_sys_flag = 2;
    rim.register_broker(&reg("a", 0, "h:1"), &b, false).unwrap();
    let sys = rim.system_topics();
    assert_eq!(sys.topic_list, vec!["DefaultCluster", "a"]);
    assert_eq!(sys.broker_addr.as_deref(), Some("h:1"));
    assert_eq!(
        rim.unit_topics(UnitFilter::Unit).topic_list,
        vec!["TopicTest"]
    );
    assert_eq!(
        rim.unit_topics(UnitFilter::HasUnitSub).topic_list,
        vec!["TBW102"]
    );
    assert_eq!(
        rim.unit_topics(UnitFilter::HasUnitSubNotUnit).topic_list,
        vec!["TBW102"]
    );
}

#[test]
fn delete_topics_missing_from_registration_when_enabled() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    rim.register_broker(
        &reg("a", 0, "h:1"),
        &body(2, &[("TBW102", 8, 7), ("New", 1, 6)]),
        true,
    )
    .unwrap();
    assert_eq!(rim.all_topics().topic_list, vec!["New", "TBW102"]);
}

#[test]
fn acting_master_presents_lowest_slave_as_master() {
    let rim = RouteInfoManager::new();
    let mut slave = reg("a", 1, "h:2");
    slave.enable_acting_master = Some(true);
    rim.register_broker(&slave, &body(1, TOPICS), false)
        .unwrap();
    // The prime slave of an acting-master group writes queues without the write bit.
    let plain = rim.pickup_topic_route_data("TopicTest", false).unwrap();
    assert_eq!(plain.queue_datas[0].perm, 4);
    assert!(!plain.broker_datas[0].broker_addrs.contains_key(&0));
    let acting = rim.pickup_topic_route_data("TopicTest", true).unwrap();
    assert_eq!(acting.broker_datas[0].broker_addrs[&0], "h:2");
}

#[test]
fn register_topic_requires_known_brokers() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    let qd = |name: &str| QueueData {
        broker_name: name.into(),
        perm: 6,
        read_queue_nums: 2,
        topic_sys_flag: 0,
        write_queue_nums: 2,
    };
    assert!(!rim.register_topic("T2", &[qd("a"), qd("zzz")]));
    assert!(rim.pickup_topic_route_data("T2", false).is_none());
    assert!(rim.register_topic("T2", &[qd("a")]));
    assert_eq!(
        rim.pickup_topic_route_data("T2", false)
            .unwrap()
            .queue_datas[0]
            .read_queue_nums,
        2
    );
}

#[test]
fn member_group_lists_addresses() {
    let rim = RouteInfoManager::new();
    rim.register_broker(&reg("a", 0, "h:1"), &body(1, TOPICS), false)
        .unwrap();
    rim.register_broker(&reg("a", 1, "h:2"), &body(1, TOPICS), false)
        .unwrap();
    let g = rim.broker_member_group("DefaultCluster", "a");
    assert_eq!(g.broker_addrs.len(), 2);
    assert!(rim
        .broker_member_group("DefaultCluster", "none")
        .broker_addrs
        .is_empty());
}

#[test]
fn zone_filter_keeps_own_zone_and_masterless_groups() {
    let rim = RouteInfoManager::new();
    let mut a = reg("a", 0, "h:1");
    a.zone_name = Some("Z1".into());
    let mut b = reg("b", 0, "h:2");
    b.zone_name = Some("z2".into());
    rim.register_broker(&a, &body(1, TOPICS), false).unwrap();
    rim.register_broker(&b, &body(1, TOPICS), false).unwrap();
    let mut route = rim.pickup_topic_route_data("TopicTest", false).unwrap();
    super::query::filter_by_zone(&mut route, "z1");
    assert_eq!(route.broker_datas.len(), 1);
    assert_eq!(route.broker_datas[0].broker_name, "a");
    assert_eq!(route.queue_datas.len(), 1);
    assert_eq!(route.queue_datas[0].broker_name, "a");
}

/// The cached body must equal a freshly built one after every kind of change.
#[test]
fn route_body_cache_follows_every_change() {
    let rim = RouteInfoManager::new();
    let same = |rim: &RouteInfoManager, topic: &str, acting: bool| {
        let fresh = rim
            .pickup_topic_route_data(topic, acting)
            .map(|r| r.encode());
        // Twice: the first may build the entry, the second must hit it.
        for _ in 0..2 {
            let cached = rim.topic_route_body(topic, acting).map(|b| b.to_vec());
            assert_eq!(cached, fresh, "topic {topic}, acting master {acting}");
        }
    };
    same(&rim, "TopicTest", false);
    let a = reg("broker-a", 0, "h:1");
    rim.register_broker(&a, &body(1, TOPICS), false).unwrap();
    same(&rim, "TopicTest", false);
    rim.wipe_write_perm("broker-a");
    same(&rim, "TopicTest", false);
    rim.add_write_perm("broker-a");
    same(&rim, "TopicTest", false);
    let slave = reg("broker-a", 1, "h:2");
    rim.register_broker(&slave, &body(1, TOPICS), false)
        .unwrap();
    same(&rim, "TopicTest", false);
    rim.update_broker_info_update_timestamp("DefaultCluster", "h:1");
    same(&rim, "TopicTest", false);
    let qd = rim
        .pickup_topic_route_data("TopicTest", false)
        .unwrap()
        .queue_datas;
    assert!(rim.register_topic("Other", &qd));
    same(&rim, "Other", false);
    rim.delete_topic("Other", None);
    same(&rim, "Other", false);
    // Master gone: the acting-master view differs from the plain one, both stay right.
    rim.register_broker(
        &BrokerRegistration {
            enable_acting_master: Some(true),
            ..slave.clone()
        },
        &body(2, TOPICS),
        false,
    )
    .unwrap();
    rim.unregister_brokers(&[Unregistration {
        cluster_name: "DefaultCluster".into(),
        broker_addr: "h:1".into(),
        broker_name: "broker-a".into(),
        broker_id: 0,
    }]);
    same(&rim, "TopicTest", true);
    same(&rim, "TopicTest", false);
    same(&rim, "TopicTest", true);
    rim.on_connection_closed(slave.conn_id.unwrap());
    same(&rim, "TopicTest", false);
}
