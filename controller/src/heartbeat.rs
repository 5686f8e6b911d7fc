//! Broker liveness (Java `DefaultBrokerHeartbeatManager`): the last BROKER_HEARTBEAT of each
//! broker, keyed by cluster, broker name and broker id. A broker is live while its last
//! heartbeat is younger than the timeout it announced (`controllerHeartBeatTimeoutMills` on
//! the broker; 10 s when absent). A scan drops silent brokers and closes their connections; a
//! closed connection drops its broker at once. Both report the broker as inactive, which may
//! start an election.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use remoting::headers::BrokerHeartbeatRequestHeader;
use remoting::Connection;

use crate::replicas::{LiveInfo, Liveness};

/// Java `BrokerHeartbeatManager.DEFAULT_BROKER_CHANNEL_EXPIRED_TIME`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Java `BrokerIdentityInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BrokerIdentity {
    pub cluster_name: String,
    pub broker_name: String,
    pub broker_id: i64,
}

/// Java `BrokerLiveInfo`.
#[derive(Clone, Debug)]
struct BrokerLive {
    last_update: Instant,
    timeout: Duration,
    conn: Option<Connection>,
    info: LiveInfo,
}

/// The live-broker table. One std mutex: every operation is a short map update, never held
/// across I/O (closing a connection only signals its task).
#[derive(Default)]
pub struct Heartbeats {
    table: Mutex<HashMap<BrokerIdentity, BrokerLive>>,
}

impl Heartbeats {
    /// Java `onBrokerHeartbeat`: a newer (epoch, max offset) replaces the recorded one.
    pub fn on_heartbeat(
        &self,
        h: &BrokerHeartbeatRequestHeader,
        broker_id: i64,
        conn: &Connection,
    ) {
        let id = BrokerIdentity {
            cluster_name: h.cluster_name.clone(),
            broker_name: h.broker_name.clone(),
            broker_id,
        };
        let timeout = h
            .heartbeat_timeout_mills
            .and_then(|ms| u64::try_from(ms).ok())
            .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
        let info = LiveInfo {
            epoch: h.epoch.unwrap_or(-1),
            max_offset: h.max_offset.unwrap_or(-1),
            election_priority: h.election_priority.unwrap_or(i32::MAX),
        };
        let now = Instant::now();
        let mut table = self.lock();
        match table.get_mut(&id) {
            None => {
                tracing::info!(?id, addr = %h.broker_addr, "new broker registered");
                table.insert(
                    id,
                    BrokerLive {
                        last_update: now,
                        timeout,
                        conn: Some(conn.clone()),
                        info,
                    },
                );
            }
            Some(prev) => {
                prev.last_update = now;
                prev.timeout = timeout;
                prev.info.election_priority = info.election_priority;
                let newer = info.epoch > prev.info.epoch
                    || (info.epoch == prev.info.epoch && info.max_offset > prev.info.max_offset);
                if newer {
                    prev.info.epoch = info.epoch;
                    prev.info.max_offset = info.max_offset;
                }
            }
        }
    }

    /// Java `onBrokerChannelClose`: the broker that heart-beat over `conn_id` is gone.
    pub fn on_connection_closed(&self, conn_id: u64) -> Option<BrokerIdentity> {
        let mut table = self.lock();
        let id = table
            .iter()
            .find(|(_, live)| live.conn.as_ref().is_some_and(|c| c.id() == conn_id))
            .map(|(id, _)| id.clone())?;
        table.remove(&id);
        tracing::info!(?id, "the broker's connection closed");
        Some(id)
    }

    /// Java `scanNotActiveBroker`: removes the brokers silent for longer than their timeout and
    /// closes their connections.
    pub fn scan(&self, now: Instant) -> Vec<BrokerIdentity> {
        let mut expired = Vec::new();
        self.lock().retain(|id, live| {
            if now.duration_since(live.last_update) <= live.timeout {
                return true;
            }
            tracing::warn!(?id, timeout = ?live.timeout, "the broker's heartbeats expired");
            if let Some(conn) = &live.conn {
                conn.close();
            }
            expired.push(id.clone());
            false
        });
        expired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BrokerIdentity, BrokerLive>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn find(&self, cluster: &str, broker_name: &str, broker_id: i64) -> Option<BrokerLive> {
        let id = BrokerIdentity {
            cluster_name: cluster.to_string(),
            broker_name: broker_name.to_string(),
            broker_id,
        };
        self.lock().get(&id).cloned()
    }
}

impl Liveness for Heartbeats {
    fn is_active(&self, cluster: &str, broker_name: &str, broker_id: i64) -> bool {
        self.find(cluster, broker_name, broker_id)
            .is_some_and(|l| l.last_update.elapsed() <= l.timeout)
    }

    fn live_info(&self, cluster: &str, broker_name: &str, broker_id: i64) -> Option<LiveInfo> {
        self.find(cluster, broker_name, broker_id).map(|l| l.info)
    }
}
