//! The NameServer issue's compatibility scenarios. Each runs against our NameServer and against
//! the Java NameServer 5.3.3 (the Java run proves the scenario itself is right), with the real
//! Java broker 5.3.3, Java clients 5.3.3 and 4.9.8, the Go client and mqadmin 5.3.3.
//! The "ours" variants of the mqadmin scenarios also require the same transcript as Java's.

mod admin;
mod brokers;
mod clients;
mod common;
mod routes;

use brokers::Exit;
use compat_tests::servers::NsKind::{Java, Ours};

#[test]
fn java_broker_registers_cluster_list() {
    let _s = compat_tests::scenario::light(120);
    brokers::cluster_list(Java);
}

#[test]
fn ours_broker_registers_cluster_list() {
    let _s = compat_tests::scenario::light(120);
    assert_eq!(brokers::cluster_list(Ours), brokers::cluster_list(Java));
}

#[test]
fn java_java_clients_route_through_namesrv() {
    let _s = compat_tests::scenario::light(120);
    clients::java_clients(Java);
}

#[test]
fn ours_java_clients_route_through_namesrv() {
    let _s = compat_tests::scenario::light(120);
    clients::java_clients(Ours);
}

#[test]
fn java_go_clients_route_through_namesrv() {
    let _s = compat_tests::scenario::light(120);
    clients::go_clients(Java);
}

#[test]
fn ours_go_clients_route_through_namesrv() {
    let _s = compat_tests::scenario::light(120);
    clients::go_clients(Ours);
}

#[test]
fn java_clients_survive_one_namesrv_killed() {
    let _s = compat_tests::scenario::light(120);
    clients::namesrv_failover(Java);
}

#[test]
fn ours_clients_survive_one_namesrv_killed() {
    let _s = compat_tests::scenario::light(120);
    clients::namesrv_failover(Ours);
}

#[test]
fn java_stopped_broker_dropped_from_routes() {
    let _s = compat_tests::scenario::heavy(400);
    brokers::broker_leaves(Java, Exit::Graceful);
}

#[test]
fn ours_stopped_broker_dropped_from_routes() {
    let _s = compat_tests::scenario::heavy(400);
    brokers::broker_leaves(Ours, Exit::Graceful);
}

#[test]
fn java_crashed_broker_dropped_from_routes() {
    let _s = compat_tests::scenario::heavy(400);
    brokers::broker_leaves(Java, Exit::Crash);
}

#[test]
fn ours_crashed_broker_dropped_from_routes() {
    let _s = compat_tests::scenario::heavy(400);
    brokers::broker_leaves(Ours, Exit::Crash);
}

#[test]
fn java_mqadmin_topic_lifecycle() {
    let _s = compat_tests::scenario::light(120);
    admin::topic_lifecycle(Java);
}

#[test]
fn ours_mqadmin_topic_lifecycle() {
    let _s = compat_tests::scenario::light(120);
    assert_eq!(admin::topic_lifecycle(Ours), admin::topic_lifecycle(Java));
}

#[test]
fn java_mqadmin_namesrv_config() {
    let _s = compat_tests::scenario::light(120);
    admin::namesrv_config_commands(Java);
}

#[test]
fn ours_mqadmin_namesrv_config() {
    let _s = compat_tests::scenario::light(120);
    assert_eq!(
        admin::namesrv_config_commands(Ours),
        admin::namesrv_config_commands(Java)
    );
}

#[test]
fn java_mqadmin_kv_config() {
    let _s = compat_tests::scenario::light(120);
    admin::kv_config_commands(Java);
}

#[test]
fn ours_mqadmin_kv_config() {
    let _s = compat_tests::scenario::light(120);
    assert_eq!(
        admin::kv_config_commands(Ours),
        admin::kv_config_commands(Java)
    );
}

#[test]
fn java_mqadmin_write_perm() {
    let _s = compat_tests::scenario::light(120);
    admin::write_perm_commands(Java);
}

#[test]
fn ours_mqadmin_write_perm() {
    let _s = compat_tests::scenario::light(120);
    assert_eq!(
        admin::write_perm_commands(Ours),
        admin::write_perm_commands(Java)
    );
}

#[test]
fn java_route_and_cluster_bodies() {
    let _s = compat_tests::scenario::light(120);
    routes::route_answers(Java);
    assert!(routes::cluster_entry(Java).1);
}

#[test]
fn ours_route_and_cluster_bodies() {
    let _s = compat_tests::scenario::light(120);
    routes::compare_route_answers();
    assert_eq!(routes::cluster_entry(Ours), routes::cluster_entry(Java));
}
