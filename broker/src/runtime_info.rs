//! GET_BROKER_RUNTIME_INFO (28): the key table `mqadmin brokerStatus` prints and `clusterList`
//! reads, with Java's keys and value formats (Java `AdminBrokerProcessor#prepareRuntimeInfo`,
//! `DefaultMessageStore#getRuntimeInfo`, `StoreStatsService#getRuntimeInfo`,
//! `ScheduleMessageService#buildRunningStats`).
//!
//! Numbers a Java tool parses are printed as Java prints them: doubles by `Double.toString`
//! (`0.8`, `1.0E-4`), rates as three `Double.toString` values over 10, 60 and 600 s where an
//! empty slot means the broker has not run that long yet (`"0.5  "`), byte amounts by
//! `humanReadableByteCount` (`0 B`, `1.5 KiB`).

use std::collections::BTreeMap;
use std::sync::Arc;

use remoting::code::response as rc;
use remoting::jfmt;
use remoting::{body, Command};
use serde::Serialize;
use store::stats::{Sample, StoreStats, DISTRIBUTION_NAMES};

use crate::broker::Broker;
use crate::config::BrokerConfig;
use crate::error::Reply;
use crate::persist::now_millis;

#[derive(Serialize)]
struct KvTable {
    table: BTreeMap<String, String>,
}

type Kv = BTreeMap<String, String>;

fn put(t: &mut Kv, k: &str, v: impl Into<String>) {
    t.insert(k.to_string(), v.into());
}

/// GET_BROKER_RUNTIME_INFO.
pub fn runtime_info(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    let mut t = Kv::new();
    store_stats_keys(b.store.stats(), &mut t);
    store_keys(b, &cfg, &mut t);
    // Java `ScheduleMessageService.buildRunningStats`: "<delivered>,<max>" per delay level.
    for (level, delivered) in b.delay_offsets.snapshot() {
        let max = b.store.max_offset(crate::topics::SCHEDULE_TOPIC, level - 1);
        put(
            &mut t,
            &format!("scheduleMessageOffset_{level}"),
            format!("{delivered},{max}"),
        );
    }
    broker_keys(b, &cfg, &mut t);
    pool_keys(&cfg, &mut t);
    let bytes = body::try_to_body(&KvTable { table: t })?;
    Ok(Command::response(rc::SUCCESS, None).with_body(bytes))
}

/// Java `StoreStatsService.getRuntimeInfo`.
fn store_stats_keys(s: &StoreStats, t: &mut Kv) {
    // Java divides by at least one put and prints that one.
    let times = s.put_times().max(1);
    put(t, "bootTimestamp", s.boot_ms.to_string());
    put(t, "runtime", runtime_text(now_millis() - s.boot_ms));
    put(t, "putMessageEntireTimeMax", s.put_time_max().to_string());
    put(t, "putMessageTimesTotal", times.to_string());
    put(t, "putMessageFailedTimes", s.put_failed().to_string());
    put(t, "putMessageSizeTotal", s.put_bytes().to_string());
    put(t, "putMessageDistributeTime", distribution_text(s));
    put(
        t,
        "putMessageAverageSize",
        jfmt::double(s.put_bytes() as f64 / times as f64),
    );
    // Java never raises it (no caller of `setDispatchMaxBuffer`).
    put(t, "dispatchMaxBuffer", "0");
    put(t, "getMessageEntireTimeMax", s.get_time_max().to_string());
    put(t, "putTps", rates(s, |x| x.put));
    put(t, "getFoundTps", rates(s, |x| x.get_found));
    put(t, "getMissTps", rates(s, |x| x.get_miss));
    put(t, "getTotalTps", total_rates(s));
    put(t, "getTransferredTps", rates(s, |x| x.transferred));
    put(t, "putLatency99", jfmt::fixed(s.put_latency(0.99), 2));
    put(t, "putLatency999", jfmt::fixed(s.put_latency(0.999), 2));
}

/// Java `getPutTps()` and its siblings: the 10, 60 and 600 s rates, an empty slot until the
/// broker has that much history.
fn rates(s: &StoreStats, pick: fn(&Sample) -> u64) -> String {
    [10, 60, 600]
        .map(|secs| s.rate(secs, pick).map(jfmt::double).unwrap_or_default())
        .join(" ")
}

/// Java `getGetTotalTps()`: found plus missed, 0 where a rate is not available yet.
fn total_rates(s: &StoreStats) -> String {
    [10, 60, 600]
        .map(|secs| {
            let found = s.rate(secs, |x| x.get_found).unwrap_or(0.0);
            let miss = s.rate(secs, |x| x.get_miss).unwrap_or(0.0);
            jfmt::double(found + miss)
        })
        .join(" ")
}

/// Java `putMessageDistributeTimeToString`: the last minute's counts per latency range, `null`
/// before the first minute is over.
fn distribution_text(s: &StoreStats) -> String {
    match s.distribution() {
        None => "null".into(),
        Some(counts) => DISTRIBUTION_NAMES
            .iter()
            .zip(counts)
            .map(|(name, n)| format!("{name}:{n} "))
            .collect(),
    }
}

/// Java `StoreStatsService.getFormatRuntime`: `[ D days, H hours, M minutes, S seconds ]`.
pub(crate) fn runtime_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!(
        "[ {} days, {} hours, {} minutes, {} seconds ]",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// Java `DefaultMessageStore.getRuntimeInfo`: disk ratios and the CommitLog's offsets.
fn store_keys(b: &Broker, cfg: &BrokerConfig, t: &mut Kv) {
    let disk = b.store.disk_used_ratios();
    // Java `getStorePathCommitLog`: the configured path, else `<storePathRootDir>/commitlog`.
    let cl_path = cfg
        .store_path_commit_log
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| format!("{}/commitlog", cfg.store_path_root_dir));
    put(
        t,
        &format!("commitLogDiskRatio_{cl_path}"),
        jfmt::double(disk.commitlog),
    );
    put(t, "commitLogDiskRatio", jfmt::double(disk.commitlog));
    put(t, "consumeQueueDiskRatio", jfmt::double(disk.consume_queue));
    let (min, max) = b.store.commitlog_offsets();
    put(t, "commitLogMinOffset", min.to_string());
    put(t, "commitLogMaxOffset", max.to_string());
}

/// The broker's own keys (Java `prepareRuntimeInfo`).
fn broker_keys(b: &Broker, cfg: &BrokerConfig, t: &mut Kv) {
    let items = &b.stats_items;
    put(t, "brokerActive", cfg.is_master().to_string());
    put(t, "brokerVersionDesc", "V5_3_3");
    put(
        t,
        "brokerVersion",
        remoting::command::VERSION_5_3_3.to_string(),
    );
    let days = items.daily_totals();
    put(
        t,
        "msgPutTotalYesterdayMorning",
        days.put_yesterday.to_string(),
    );
    put(t, "msgPutTotalTodayMorning", days.put_today.to_string());
    put(t, "msgPutTotalTodayNow", items.put_nums_user().to_string());
    put(
        t,
        "msgGetTotalYesterdayMorning",
        days.get_yesterday.to_string(),
    );
    put(t, "msgGetTotalTodayMorning", days.get_today.to_string());
    put(t, "msgGetTotalTodayNow", items.get_nums_user().to_string());
    // Dispatch is synchronous with the append, and no lock is held across I/O.
    put(t, "dispatchBehindBytes", "0");
    put(t, "pageCacheLockTimeMills", "0");
    put(
        t,
        "earliestMessageTimeStamp",
        b.store.earliest_commitlog_time().to_string(),
    );
    put(
        t,
        "startAcceptSendRequestTimeStamp",
        cfg.start_accept_send_request_time_stamp.to_string(),
    );
    // The timer wheel's queues and rates (Java prints these when timerWheelEnable is off).
    for k in ["timerReadBehind", "timerOffsetBehind", "timerCongestNum"] {
        put(t, k, "0");
    }
    put(t, "timerEnqueueTps", "0.0");
    put(t, "timerDequeueTps", "0.0");
    // No transient store pool (transientStorePoolEnable is refused): Java's Integer.MAX_VALUE.
    put(t, "remainTransientStoreBufferNumbs", i32::MAX.to_string());
    put(
        t,
        "remainHowManyDataToFlush",
        jfmt::human_bytes(b.store.flush_behind_bytes() as i64, false),
    );
    if let Some(d) = b.store.disk_space() {
        put(
            t,
            "commitLogDirCapacity",
            format!(
                "Total : {}, Free : {}.",
                jfmt::human_bytes(d.total as i64, false),
                jfmt::human_bytes(d.free as i64, false)
            ),
        );
    }
}

/// Thread-pool keys: requests run as tasks, never queued behind a pool, so the queues are
/// always empty and nothing waits at their head.
fn pool_keys(cfg: &BrokerConfig, t: &mut Kv) {
    for (k, cap) in [
        ("sendThreadPoolQueue", cfg.send_thread_pool_queue_capacity),
        ("pullThreadPoolQueue", cfg.pull_thread_pool_queue_capacity),
        (
            "litePullThreadPoolQueue",
            cfg.lite_pull_thread_pool_queue_capacity,
        ),
        ("queryThreadPoolQueue", cfg.query_thread_pool_queue_capacity),
        ("ackThreadPoolQueue", cfg.ack_thread_pool_queue_capacity),
    ] {
        put(t, &format!("{k}Size"), "0");
        put(t, &format!("{k}Capacity"), cap.to_string());
        put(t, &format!("{k}HeadWaitTimeMills"), "0");
    }
    put(t, "EndTransactionQueueSize", "0");
    put(
        t,
        "EndTransactionThreadPoolQueueCapacity",
        cfg.end_transaction_pool_queue_capacity.to_string(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_format() {
        assert_eq!(
            runtime_text(90_061_000),
            "[ 1 days, 1 hours, 1 minutes, 1 seconds ]"
        );
    }

    #[test]
    fn rates_leave_slots_empty_until_there_is_history() {
        let s = StoreStats::default();
        assert_eq!(rates(&s, |x| x.put), "  ");
        assert_eq!(total_rates(&s), "0.0 0.0 0.0");
        assert_eq!(distribution_text(&s), "null");
    }
}
