//! Clean-up of expired files (Java `CleanCommitLogService`, `CleanConsumeQueueService`).
//!
//! Every `cleanResourceInterval`: measure disk usage of the commitlog and consume-queue
//! partitions; above `diskSpaceWarningLevelRatio` mark the store disk-full (writes refused until
//! usage drops). Delete CommitLog segments (never the last, at most `deleteFileBatchMax` per
//! round, oldest first, stopping at the first one kept) when it is a `deleteWhen` hour, the disk is
//! above `diskMaxUsedSpaceRatio`, or a manual request is pending: a segment goes if its mtime is
//! older than `fileReservedTime` hours, or regardless of age above
//! `diskSpaceCleanForciblyRatio` with `cleanFileForciblyEnable`. Then consume-queue segments
//! wholly below the new CommitLog min offset and index files ending below it are deleted.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::error::{Result, StoreError};
use crate::layout::now_ms;
use crate::store::Inner;

/// What one round decided and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanReport {
    pub disk_used_ratio: f64,
    pub disk_full: bool,
    pub commitlog_segments_deleted: usize,
    pub consume_queue_segments_deleted: usize,
}

fn used_ratio(inner: &Inner) -> f64 {
    let dirs = [
        inner.paths.commitlog.clone(),
        inner.paths.consume_queue_root(),
    ];
    dirs.iter()
        .map(|d| {
            let r = crate::mmap::disk_used_ratio(d);
            if r < 0.0 {
                warn!(dir = %d.display(), "cannot measure disk usage");
            }
            r
        })
        .fold(0.0, f64::max)
}

/// One clean-up round. `ratio_override` replaces the measured disk usage (tests).
pub(crate) fn run_round(
    check_only: bool,
    inner: &Inner,
    manual: bool,
    ratio_override: Option<f64>,
) -> Result<CleanReport> {
    let cfg = inner.cfg();
    let ratio = ratio_override.unwrap_or_else(|| used_ratio(inner));
    let warn_level = f64::from(cfg.disk_space_warning_level_ratio.clamp(35, 90)) / 100.0;
    let forcibly = f64::from(cfg.disk_space_clean_forcibly_ratio.clamp(30, 85)) / 100.0;
    let max_used = f64::from(cfg.disk_max_used_space_ratio.clamp(10, 95)) / 100.0;
    let full = ratio > warn_level;
    if full != inner.disk_full.swap(full, Ordering::AcqRel) {
        if full {
            error!(ratio, "disk full: writes refused until space returns");
        } else {
            info!(
                ratio,
                "disk space back under the warning level: writes resume"
            );
        }
    }
    let hour = crate::mmap::local_time(now_ms()).hour;
    let time_up = cfg.delete_when_hours().contains(&hour);
    let space_pressure = ratio > max_used;
    let clean_at_once = cfg.clean_file_forcibly_enable && ratio > forcibly;
    let mut report = CleanReport {
        disk_used_ratio: ratio,
        disk_full: full,
        ..CleanReport::default()
    };
    if check_only || !(time_up || space_pressure || manual) {
        return Ok(report);
    }
    report.commitlog_segments_deleted = delete_commitlog(inner, clean_at_once)?;
    let cl_min = inner.commitlog.min_offset();
    for q in inner.all_queues() {
        report.consume_queue_segments_deleted += q.delete_expired(cl_min)?;
    }
    if let Some(ix) = &inner.index {
        ix.delete_expired(cl_min)?;
    }
    Ok(report)
}

fn delete_commitlog(inner: &Inner, clean_at_once: bool) -> Result<usize> {
    let reserved_ms = inner.cfg().file_reserved_time_hours as i64 * 3_600_000;
    let segs = inner.commitlog.segs.snapshot();
    let now = now_ms();
    let mut n = 0;
    for seg in segs.iter().take(segs.len().saturating_sub(1)) {
        if n >= inner.cfg().delete_file_batch_max {
            break;
        }
        let mtime = seg
            .file
            .modified_ms()
            .map_err(StoreError::io("stat", seg.file.path()))?;
        if now >= mtime + reserved_ms || clean_at_once {
            n += 1;
        } else {
            break;
        }
    }
    if n > 0 {
        info!(
            count = n,
            clean_at_once, "deleting expired commitlog segments"
        );
        inner.commitlog.segs.delete_first(n)?;
    }
    Ok(n)
}

/// Start the clean-up thread. Java starts its service 60 s after start; the disk check runs here
/// at once instead, so a store opened on a full disk refuses writes from the first put; deletion
/// starts one interval later.
pub(crate) fn spawn_cleaner(
    inner: &Arc<Inner>,
    alive: std::sync::Weak<()>,
) -> Result<JoinHandle<()>> {
    if let Err(e) = run_round(true, inner, false, None) {
        error!(error = %e, "disk check failed");
    }
    let mut last = Instant::now();
    crate::flush::spawn_loop("store-clean", inner, alive, move |inner| {
        std::thread::sleep(Duration::from_millis(100));
        let manual = inner.manual_clean_rounds.load(Ordering::Acquire) > 0;
        if !manual && last.elapsed() < inner.cfg().clean_resource_interval {
            return;
        }
        last = Instant::now();
        if manual {
            inner.manual_clean_rounds.fetch_sub(1, Ordering::AcqRel);
        }
        if let Err(e) = run_round(false, inner, manual, None) {
            error!(error = %e, "clean-up round failed");
        }
    })
}
