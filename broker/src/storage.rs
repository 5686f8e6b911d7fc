//! The broker's hand-off to the message store: `MessageStoreConfig` keys of broker.conf become a
//! [`store::StoreConfig`], and the store opens on `storePathRootDir`.

use std::path::PathBuf;
use std::time::Duration;

use store::{DispatchLimit, FlushDiskType as StoreFlush, Store, StoreConfig};

use crate::config::{BrokerConfig, FlushDiskType};

/// The store settings carried by broker.conf.
pub fn store_config(c: &BrokerConfig) -> StoreConfig {
    let mut s = StoreConfig::new(PathBuf::from(&c.store_path_root_dir));
    let non_neg = |v: i32| v.max(0) as u64;
    s.store_path_commit_log = c
        .store_path_commit_log
        .as_ref()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    s.mapped_file_size_commit_log = non_neg(c.mapped_file_size_commit_log);
    s.mapped_file_size_consume_queue = non_neg(c.mapped_file_size_consume_queue);
    s.max_hash_slot_num = c.max_hash_slot_num.max(1) as u32;
    s.max_index_num = c.max_index_num.max(1) as u32;
    s.message_index_enable = c.message_index_enable;
    s.flush_disk_type = match c.flush_disk_type {
        FlushDiskType::AsyncFlush => StoreFlush::Async,
        FlushDiskType::SyncFlush => StoreFlush::Sync,
    };
    s.flush_interval_commit_log = Duration::from_millis(non_neg(c.flush_interval_commit_log));
    s.flush_commit_log_least_pages = non_neg(c.flush_commit_log_least_pages);
    s.flush_commit_log_thorough_interval =
        Duration::from_millis(non_neg(c.flush_commit_log_thorough_interval));
    s.flush_interval_consume_queue = Duration::from_millis(non_neg(c.flush_interval_consume_queue));
    s.sync_flush_timeout = Duration::from_millis(non_neg(c.sync_flush_timeout));
    s.check_crc_on_recover = c.check_crc_on_recover;
    s.max_message_size = c.max_message_size.max(0) as usize;
    s.message_delay_level = c.message_delay_level.clone();
    s.file_reserved_time_hours = non_neg(c.file_reserved_time);
    s.delete_when = c.delete_when.clone();
    s.disk_max_used_space_ratio = c.disk_max_used_space_ratio.clamp(10, 95) as u32;
    s.disk_space_clean_forcibly_ratio = c.disk_space_clean_forcibly_ratio.max(0) as u32;
    s.disk_space_warning_level_ratio = c.disk_space_warning_level_ratio.max(0) as u32;
    s.clean_file_forcibly_enable = c.clean_file_forcibly_enable;
    s.clean_resource_interval = Duration::from_millis(non_neg(c.clean_resource_interval));
    s.delete_file_batch_max = c.delete_file_batch_max.max(1) as usize;
    s.max_transfer_bytes_on_message_in_memory =
        c.max_transfer_bytes_on_message_in_memory.max(1) as usize;
    s.max_transfer_count_on_message_in_memory =
        c.max_transfer_count_on_message_in_memory.max(1) as usize;
    s.max_transfer_bytes_on_message_in_disk =
        c.max_transfer_bytes_on_message_in_disk.max(1) as usize;
    s.max_transfer_count_on_message_in_disk =
        c.max_transfer_count_on_message_in_disk.max(1) as usize;
    s.access_message_in_memory_max_ratio = c.access_message_in_memory_max_ratio;
    s.replica = !c.is_master();
    s.max_filter_message_size = c.max_filter_message_size.max(0) as usize;
    s.data_read_ahead_enable = c.data_read_ahead_enable;
    s.max_msgs_num_batch = c.max_msgs_num_batch.max(1) as usize;
    s.default_query_max_num = c.default_query_max_num.max(1) as usize;
    s.dispatch_limit = dispatch_limit(c);
    s
}

/// Java 5.x `ReputMessageService.getReputEndOffset` and `CommitLog.getConfirmOffset`: with
/// `readUnCommitted=false` consumers see what the controller-mode confirm offset covers, or
/// outside controller mode what SYNC_FLUSH made durable.
fn dispatch_limit(c: &BrokerConfig) -> DispatchLimit {
    if c.read_un_committed {
        DispatchLimit::End
    } else if c.enable_controller_mode {
        DispatchLimit::Confirmed
    } else if c.flush_disk_type == FlushDiskType::SyncFlush {
        DispatchLimit::Flushed
    } else {
        DispatchLimit::End
    }
}

/// Opens the store of `c`.
pub fn open(c: &BrokerConfig) -> Result<Store, String> {
    Store::open(store_config(c)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_keys_reach_the_store() {
        let mut c = BrokerConfig::default();
        c.apply_text(
            "storePathRootDir=/tmp/x\nflushDiskType=SYNC_FLUSH\nmappedFileSizeCommitLog=1048576\nmaxMessageSize=1024\n",
        )
        .unwrap();
        let s = store_config(&c);
        assert_eq!(s.store_path_root_dir, PathBuf::from("/tmp/x"));
        assert_eq!(s.flush_disk_type, StoreFlush::Sync);
        assert_eq!(s.mapped_file_size_commit_log, 1_048_576);
        assert_eq!(s.max_message_size, 1024);
        assert!(s.store_path_commit_log.is_none());
        assert_eq!(s.dispatch_limit, DispatchLimit::Flushed);
        let limit = |text: &str| {
            let mut c = BrokerConfig::default();
            c.apply_text(text).unwrap();
            store_config(&c).dispatch_limit
        };
        assert_eq!(limit(""), DispatchLimit::End, "ASYNC_FLUSH");
        assert_eq!(
            limit("flushDiskType=SYNC_FLUSH\nreadUnCommitted=true\n"),
            DispatchLimit::End
        );
        assert_eq!(
            limit("enableControllerMode=true\n"),
            DispatchLimit::Confirmed
        );
        assert_eq!(
            limit("enableControllerMode=true\nreadUnCommitted=true\n"),
            DispatchLimit::End
        );
    }

    /// A store key an update may change (no `START` rule) reaches the running store, and one
    /// it may not change is read by the store only at open: the key table and
    /// `StoreConfig::with_live_settings` agree on every key.
    #[test]
    fn updatable_store_keys_are_live_in_the_store() {
        use remoting::config_effect::{at_start, Effect, Rule};
        let base = BrokerConfig::default();
        let opened = store_config(&base);
        for k in BrokerConfig::keys() {
            if k.section != crate::config::Section::Store || !matches!(k.effect, Effect::Honoured) {
                continue;
            }
            let current = base.get(k.name).unwrap_or_default();
            let lo = k.rules.iter().find_map(|r| match r {
                Rule::Range(lo, _) => Some(*lo),
                Rule::AtStart => None,
            });
            let changed = match current.as_str() {
                "true" => "false".to_string(),
                "false" => "true".to_string(),
                v => match v.parse::<i64>() {
                    Ok(n) => (n + 1).max(lo.unwrap_or(0) + 1).to_string(),
                    Err(_) => continue,
                },
            };
            let mut next = base.clone();
            next.apply(&[(k.name.to_string(), changed.clone())])
                .unwrap();
            let wanted = format!("{:?}", store_config(&next));
            if wanted == format!("{opened:?}") {
                continue; // the store does not read this key
            }
            let live = format!("{:?}", opened.with_live_settings(&store_config(&next)));
            assert_eq!(
                live == wanted,
                !at_start(k.rules),
                "{}={changed}: an updatable key must reach the running store, a START one not",
                k.name
            );
        }
    }
}
