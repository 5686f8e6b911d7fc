use super::*;

fn entry(resource: &str, actions: &[Action], ips: &[&str], decision: Decision) -> PolicyEntry {
    PolicyEntry {
        resource: Resource::parse(resource).unwrap(),
        actions: actions.to_vec(),
        source_ips: ips.iter().map(|s| s.to_string()).collect(),
        decision,
    }
}

#[test]
fn resource_keys_parse_and_print_as_java() {
    for key in ["*", "Topic:*", "Topic:orders", "Group:pay_*", "Cluster:c1"] {
        assert_eq!(Resource::parse(key).unwrap().key(), key);
    }
    let p = Resource::parse("group:pay_*").unwrap();
    assert_eq!(
        (p.kind, p.pattern),
        (ResourceType::Group, Pattern::Prefixed)
    );
    assert_eq!(p.name.as_deref(), Some("pay_"));
    assert!(Resource::parse("Queue:x").is_none());
    assert!(Resource::parse(" ").is_none());
    assert_eq!(Resource::group(Some("%RETRY%g1")).key(), "Group:g1");
    assert_eq!(Resource::topic(None).key(), "Topic:null");
}

#[test]
fn resources_cover_by_type_and_pattern() {
    let t = Resource::topic(Some("orders_eu"));
    assert!(Resource::parse("*").unwrap().covers(&t));
    assert!(Resource::parse("Topic:*").unwrap().covers(&t));
    assert!(Resource::parse("Topic:orders_*").unwrap().covers(&t));
    assert!(Resource::parse("Topic:orders_eu").unwrap().covers(&t));
    assert!(!Resource::parse("Topic:orders").unwrap().covers(&t));
    assert!(!Resource::parse("Group:*").unwrap().covers(&t));
    assert!(!Resource::parse("Topic:x")
        .unwrap()
        .covers(&Resource::topic(None)));
}

#[test]
fn actions_match_any_listed_and_all() {
    let e = entry("Topic:t", &[Action::Pub], &[], Decision::Allow);
    assert!(e.matches_actions(&[Action::Pub, Action::Sub]));
    assert!(!e.matches_actions(&[Action::Sub, Action::Get]));
    assert!(e.matches_actions(&[Action::Any]));
    let all = entry("Topic:t", &[Action::All], &[], Decision::Allow);
    assert!(all.matches_actions(&[Action::Get]));
}

#[test]
fn source_ips_are_addresses_or_cidrs() {
    assert!(ip_in_range("10.1.2.3", "10.0.0.0/8"));
    assert!(!ip_in_range("11.1.2.3", "10.0.0.0/8"));
    assert!(ip_in_range("127.0.0.1", "127.0.0.1"));
    assert!(ip_in_range("192.168.1.200", "192.168.1.128/25"));
    assert!(ip_in_range("1.2.3.4", "0.0.0.0/0"));
    assert!(ip_in_range("fe80::1", "fe80::/64"));
    let e = entry(
        "Topic:t",
        &[Action::Pub],
        &["10.0.0.0/8", "127.0.0.1"],
        Decision::Allow,
    );
    assert!(e.matches_source("127.0.0.1") && e.matches_source("10.9.9.9"));
    assert!(!e.matches_source("192.168.0.1"));
    assert!(
        valid_ip_or_cidr("10.0.0.0/8")
            && valid_ip_or_cidr("::1")
            && !valid_ip_or_cidr("10.0.0.0/33")
    );
    assert!(!valid_ip_or_cidr("example.com"));
}

fn first(mut v: Vec<PolicyEntry>) -> (String, Decision) {
    let mut refs: Vec<&PolicyEntry> = v.iter().collect();
    java_sort(&mut refs, |a, b| compare_entries(a, b));
    let e = refs[0].clone();
    v.clear();
    (e.resource.key(), e.decision)
}

#[test]
fn the_most_specific_entry_decides_and_deny_wins_a_tie() {
    let allow_any = entry("*", &[Action::Pub], &[], Decision::Allow);
    let deny_topic = entry("Topic:*", &[Action::Pub], &[], Decision::Deny);
    assert_eq!(
        first(vec![allow_any.clone(), deny_topic.clone()]),
        ("Topic:*".into(), Decision::Deny)
    );
    assert_eq!(
        first(vec![deny_topic.clone(), allow_any]),
        ("Topic:*".into(), Decision::Deny)
    );
    let short = entry("Topic:a*", &[Action::Pub], &[], Decision::Deny);
    let long = entry("Topic:ab*", &[Action::Pub], &[], Decision::Allow);
    assert_eq!(
        first(vec![long.clone(), short.clone()]).0,
        "Topic:a*",
        "Java sorts shorter prefixes first"
    );
    let allow_t = entry("Topic:t", &[Action::Pub], &[], Decision::Allow);
    let deny_t = entry("Topic:t", &[Action::Sub], &[], Decision::Deny);
    assert_eq!(
        first(vec![deny_t.clone(), allow_t.clone()]).1,
        Decision::Allow
    );
    assert_eq!(first(vec![allow_t, deny_t]).1, Decision::Allow);
}

#[test]
fn java_sort_is_a_stable_binary_insertion_sort() {
    let mut v = vec![5, 1, 4, 1, 3, 9, 2];
    java_sort(&mut v, |a, b| a.cmp(b));
    assert_eq!(v, [1, 1, 2, 3, 4, 5, 9]);
    let mut pairs = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd')];
    java_sort(&mut pairs, |a, b| a.0.cmp(&b.0));
    assert_eq!(pairs, [(1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
}

#[test]
fn updating_an_acl_replaces_entries_of_the_same_resource() {
    let mut acl = Acl {
        subject: "User:u".into(),
        policies: vec![Policy {
            policy_type: PolicyType::Custom,
            entries: vec![entry("Topic:t", &[Action::Pub], &[], Decision::Allow)],
        }],
    };
    acl.update_policies(vec![Policy {
        policy_type: PolicyType::Custom,
        entries: vec![
            entry("Topic:t", &[Action::Sub], &[], Decision::Deny),
            entry("Group:g", &[Action::Sub], &[], Decision::Allow),
        ],
    }]);
    assert_eq!(acl.policies[0].entries.len(), 2);
    assert_eq!(acl.policies[0].entries[0].decision, Decision::Deny);
    acl.delete_entry(PolicyType::Custom, &Resource::parse("Topic:t").unwrap());
    acl.delete_entry(PolicyType::Custom, &Resource::parse("Group:g").unwrap());
    assert!(acl.policies.is_empty(), "a policy without entries goes");
}
