//! Cold-data flow control's per-group thresholds (Java `ColdDataCgCtrService`):
//! UPDATE_COLD_DATA_FLOW_CTR_CONFIG (2001) sets thresholds from a properties body
//! (`group=bytes`), REMOVE_COLD_DATA_FLOW_CTR_CONFIG (2002) drops the group named by the body,
//! GET_COLD_DATA_FLOW_CTR_INFO (2003) shows the table with the configured thresholds.
//!
//! Java keeps the table in memory (lost at restart) and consults it only with
//! `coldDataFlowControlEnable`, off by default, and Thrust reads no message as "cold", so its
//! runtime table (groups reading cold data) stays empty and the global accumulator at 0, as on
//! a default Java broker.
//!
//! ```text
//! {"runtimeTable":{},"configTable":{"<group>":<bytes>},"cgColdReadThreshold":3145728,
//!  "globalColdReadThreshold":104857600,"globalAcc":0}
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use remoting::code::response as rc;
use remoting::{body, Command};
use serde::Serialize;

use crate::broker::Broker;
use crate::error::Reply;

/// Group → threshold in bytes.
#[derive(Default)]
pub struct ColdDataConfig {
    table: Mutex<BTreeMap<String, i64>>,
}

impl ColdDataConfig {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, i64>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A group's own threshold, if one was set.
    pub fn threshold(&self, group: &str) -> Option<i64> {
        self.lock().get(group).copied()
    }
}

/// Java builds this as a `JSONObject`, in this key order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info {
    runtime_table: BTreeMap<String, i64>,
    config_table: BTreeMap<String, i64>,
    cg_cold_read_threshold: i64,
    global_cold_read_threshold: i64,
    global_acc: i64,
}

/// UPDATE_COLD_DATA_FLOW_CTR_CONFIG (2001): every `group=threshold` pair of the body is set; a
/// threshold that is not a long is skipped (Java logs it). No body changes nothing.
pub fn update(b: &Arc<Broker>, req: Command) -> Reply {
    if let Some(raw) = req.body.as_deref() {
        let text = String::from_utf8_lossy(raw);
        let mut t = b.cold_data.lock();
        for (group, value) in remoting::props::parse(&text) {
            match value.trim().parse::<i64>() {
                Ok(threshold) => {
                    t.insert(group, threshold);
                }
                Err(e) => tracing::error!(
                    group,
                    value,
                    "updateColdDataFlowCtrGroupConfig properties on entry error: {e}"
                ),
            }
        }
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// REMOVE_COLD_DATA_FLOW_CTR_CONFIG (2002): the body is the group's name.
pub fn remove(b: &Arc<Broker>, req: Command) -> Reply {
    if let Some(raw) = req.body.as_deref() {
        let group = String::from_utf8_lossy(raw);
        b.cold_data.lock().remove(group.as_ref());
    }
    Ok(Command::response(rc::SUCCESS, None))
}

/// GET_COLD_DATA_FLOW_CTR_INFO (2003).
pub fn info(b: &Arc<Broker>) -> Reply {
    let cfg = b.config();
    let info = Info {
        runtime_table: BTreeMap::new(),
        config_table: b.cold_data.lock().clone(),
        cg_cold_read_threshold: cfg.cg_cold_read_threshold,
        global_cold_read_threshold: cfg.global_cold_read_threshold,
        global_acc: 0,
    };
    Ok(Command::response(rc::SUCCESS, None).with_body(body::try_to_body(&info)?))
}
