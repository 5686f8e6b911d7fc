//! Slave metadata sync (Java 5.3.3 `SlaveSynchronize`, scheduled by `BrokerController`): from
//! 10 s after start, every 3 s, a slave pulls from its master (the `masterAddr` of the
//! registration result) everything when 60 s have passed since the last full sync — topic
//! configs, consumer offsets, delay offsets, subscription groups, message request modes and,
//! with `timerWheelEnable`, timer metrics — and the timer checkpoint every time.
//!
//! The master side: the requests a Java slave sends that no other handler answers
//! (GET_TIMER_CHECK_POINT 60, GET_TIMER_METRICS 61).

use std::sync::Arc;
use std::time::{Duration, Instant};

use remoting::code::{request as rq, response as rc};
use remoting::Command;
use tracing::{info, warn};

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::groups::GroupWrapper;
use crate::topics::TopicConfigSerializeWrapper;

const FIRST: Duration = Duration::from_secs(10);
const PERIOD: Duration = Duration::from_secs(3);
const FULL_EVERY: Duration = Duration::from_secs(60);
/// Java `BrokerOuterAPI`'s timeout for these requests.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The sync task of a slave, until shutdown.
pub async fn run(b: Arc<Broker>) {
    let mut wait = FIRST;
    let mut last_full: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = b.shutdown.notified() => return,
        }
        if b.is_shutting_down() {
            return;
        }
        wait = PERIOD;
        if last_full.map_or(true, |t| t.elapsed() > FULL_EVERY) {
            sync_all(&b).await;
            last_full = Some(Instant::now());
        }
        if b.config().timer_wheel_enable {
            if let Some(master) = master(&b) {
                if let Some(body) = fetch(&b, &master, rq::GET_TIMER_CHECK_POINT).await {
                    b.timers.set_master_checkpoint(body);
                }
            }
        }
    }
}

/// The master to sync from: the registration result's, unless it is this broker.
fn master(b: &Broker) -> Option<String> {
    let own = b.config().broker_addr();
    b.ha.client.master_addr().filter(|m| *m != own)
}

/// A body from the master, `None` (logged) when the request fails.
async fn fetch(b: &Broker, master: &str, code: i32) -> Option<Vec<u8>> {
    let name = rq::name(code).unwrap_or("request");
    match b
        .ns_client
        .invoke(master, Command::request(code), TIMEOUT)
        .await
    {
        Ok(r) if r.code == rc::SUCCESS => {
            Some(r.body.as_deref().map(<[u8]>::to_vec).unwrap_or_default())
        }
        Ok(r) => {
            warn!(%master, code = r.code, remark = ?r.remark, "slave sync {name} refused");
            None
        }
        Err(e) => {
            warn!(%master, "slave sync {name} failed: {e}");
            None
        }
    }
}

async fn sync_all(b: &Broker) {
    let Some(m) = master(b) else {
        return;
    };
    if let Some(body) = fetch(b, &m, rq::GET_ALL_TOPIC_CONFIG).await {
        match remoting::body::from_body::<TopicConfigSerializeWrapper>(&body) {
            Ok(w) => {
                if b.topics.replace_from_master(w) {
                    info!(master = %m, "Update slave topic config from master");
                }
            }
            Err(e) => warn!(master = %m, "topic configs from the master: {e}"),
        }
    }
    if let Some(body) = fetch(b, &m, rq::GET_ALL_CONSUMER_OFFSET).await {
        let text = String::from_utf8_lossy(&body);
        if let Err(e) = b.offsets.merge_from_master(&text) {
            warn!(master = %m, "{e}");
        }
    }
    if let Some(body) = fetch(b, &m, rq::GET_ALL_DELAY_OFFSET).await {
        let text = String::from_utf8_lossy(&body);
        if let Err(e) = b.delay_offsets.replace_from_master(&text) {
            warn!(master = %m, "{e}");
        }
    }
    if let Some(body) = fetch(b, &m, rq::GET_ALL_SUBSCRIPTIONGROUP_CONFIG).await {
        match remoting::body::from_body::<GroupWrapper>(&body) {
            Ok(w) => {
                if b.groups.replace_from_master(w) {
                    info!(master = %m, "Update slave Subscription Group from master");
                }
            }
            Err(e) => warn!(master = %m, "subscription groups from the master: {e}"),
        }
    }
    if let Some(body) = fetch(b, &m, rq::GET_ALL_MESSAGE_REQUEST_MODE).await {
        if let Err(e) = b.request_modes.replace_from_master(&body) {
            warn!(master = %m, "message request modes from the master: {e}");
        }
    }
    if b.config().timer_wheel_enable {
        if let Some(body) = fetch(b, &m, rq::GET_TIMER_METRICS).await {
            b.timers.set_master_metrics(body);
        }
    }
}

/// GET_TIMER_CHECK_POINT (60); Java has no checkpoint without `timerWheelEnable`.
pub fn timer_checkpoint(b: &Arc<Broker>) -> Reply {
    if !b.config().timer_wheel_enable {
        return Err(Reject::system("The checkpoint is null"));
    }
    Ok(Command::response(rc::SUCCESS, None).with_body(b.timers.checkpoint_body()))
}

/// GET_TIMER_METRICS (61); Java has no timer store without `timerWheelEnable`.
pub fn timer_metrics(b: &Arc<Broker>) -> Reply {
    if !b.config().timer_wheel_enable {
        return Err(Reject::system("The timer message store is null"));
    }
    Ok(Command::response(rc::SUCCESS, None).with_body(b.timers.metrics_body()))
}
