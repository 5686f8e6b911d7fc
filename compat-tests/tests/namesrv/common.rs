//! Helpers shared by the NameServer scenarios.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use compat_tests::process::Output;
use compat_tests::tools::update_topic;
use compat_tests::wire;
use compat_tests::world::{World, CLUSTER};
use serde_json::Value;

/// A name no other scenario (or earlier run) uses. Every name a test creates starts with `ct_`,
/// so cross-NameServer comparisons can leave them out.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "ct_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Polls `f` until it returns Some, or panics with `what` after `timeout`.
pub use compat_tests::wait::eventually;

/// Waits until `ns` has a route for `topic` and returns it.
pub fn wait_route(ns: &str, topic: &str) -> Value {
    eventually(
        Duration::from_secs(30),
        &format!("route of {topic} in {ns}"),
        || wire::route(ns, topic).ok().flatten(),
    )
}

/// Waits until `ns` answers TOPIC_NOT_EXIST for `topic`.
pub fn wait_no_route(ns: &str, topic: &str) {
    eventually(
        Duration::from_secs(30),
        &format!("{topic} gone from {ns}"),
        || matches!(wire::route(ns, topic), Ok(None)).then_some(()),
    );
}

/// `mqadmin updateTopic -c DefaultCluster` through `ns`; returns mqadmin's output after the
/// route has reached `ns`.
pub fn create_topic(ns: &str, topic: &str, queues: u32) -> Output {
    update_topic(ns, CLUSTER, topic, queues)
}

/// Replaces every address and generated name of this run with a placeholder, so outputs taken
/// against different NameServers can be compared.
pub fn normalize(world: &World, text: &str, names: &[(&str, &str)]) -> String {
    let mut s = text.replace(&world.broker.addr, "<broker>");
    for ns in [
        Some(&world.java),
        Some(&world.java_spare),
        world.ours.as_ref(),
        world.ours_spare.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        s = s.replace(&ns.addr, "<ns>");
        s = s.replace(&ns.server.dir.display().to_string(), "<ns-dir>");
    }
    for (name, placeholder) in names {
        s = s.replace(name, placeholder);
    }
    s
}

/// The lines of mqadmin's stdout, without blank lines.
pub fn lines(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The line of an mqadmin stack trace that carries the server's answer (`CODE: n  DESC: …`).
pub fn error_desc(out: &Output) -> Option<String> {
    out.stdout
        .lines()
        .chain(out.stderr.lines())
        .find(|l| l.contains("CODE:"))
        .map(|l| {
            let at = l.find("CODE:").unwrap_or(0);
            l[at..].trim().to_string()
        })
}
