//! Master/slave replication, Java's classic HA (`DefaultHAService` and its connection and
//! client classes, `GroupTransferService`, `SlaveSynchronize`, the slave parts of
//! `PullMessageProcessor`), byte-compatible with Java masters and slaves in either role.
//!
//! ```text
//!   producer ─send─▶ master ──(haListenPort: reports ◀─▶ CommitLog bytes)──▶ slave (brokerRole=SLAVE)
//!                      │  SYNC_MASTER: the reply waits for inSyncReplicas-1 slave acks          │
//!                      └──────────── remoting: topics, offsets, groups … (every 60 s) ◀─────────┘
//!   consumer ─pull─▶ master, or the slave it suggests (suggestWhichBrokerId)
//! ```
//! * [`proto`]: the wire frames. [`master`]: the listener, one reader and one writer per slave,
//!   and the acknowledgement waits of SYNC_MASTER. [`client`]: a slave's connection to its
//!   master. [`sync`]: a slave's metadata pull, and the master side of the requests a Java slave
//!   sends. [`reads`]: pulls in a group. [`status`]: GET_BROKER_HA_STATUS.
//! * The slave's CommitLog is the master's, byte for byte; its consume queues and index are
//!   built by its own store as the bytes arrive.
//! * A slave runs no delay-level, timer or transaction-check delivery (Java
//!   `changeSpecialServiceStatus(false)`): the master does, and the slave receives the results.
//!
//! Where Thrust differs: the HA port listens on `bindAddress` (Java binds every interface), and
//! the transfer speed `haStatus` shows and `maxHaTransferByteInSecond` limits counts every byte
//! sent (Java's master counts only the 12-byte headers).

pub mod autoswitch;
pub mod client;
mod flow;
pub mod master;
pub mod proto;
pub mod reads;
pub mod status;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::broker::{Broker, StartError};
use crate::config::{BrokerConfig, BrokerRole};

/// The replication state of one broker.
pub struct Ha {
    pub master: master::Master,
    pub client: client::Client,
    /// Controller mode's replication (its epoch file is empty and unused otherwise).
    pub auto: autoswitch::AutoSwitch,
}

impl Ha {
    pub fn new(auto: autoswitch::AutoSwitch) -> Ha {
        Ha {
            master: master::Master::default(),
            client: client::Client::default(),
            auto,
        }
    }

    /// Wakes the writers of idle connections after a put.
    pub fn after_put(&self, controller_mode: bool) {
        if controller_mode {
            self.auto.data.notify_waiters();
        } else {
            self.master.after_put();
        }
    }
}

impl Default for Ha {
    fn default() -> Self {
        Ha::new(autoswitch::AutoSwitch::new(
            store::epoch::EpochCache::default(),
            -1,
        ))
    }
}

/// Binds `haListenPort` on `host` (port 0: any free port) and starts the tasks of the broker's
/// role. Returns the port bound.
pub async fn start(b: &Arc<Broker>, host: &str, port: i32) -> Result<u16, StartError> {
    let addr = format!("{host}:{port}");
    let listener = TcpListener::bind(addr.as_str())
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let bound = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let cfg = b.config();
    if cfg.enable_controller_mode {
        tokio::spawn(autoswitch::master::accept(b.clone(), listener));
        tokio::spawn(autoswitch::client::run(b.clone()));
        tokio::spawn(sync::run(b.clone()));
        return Ok(bound);
    }
    tokio::spawn(master::accept(b.clone(), listener));
    if !cfg.is_master() {
        b.ha.client.configure(cfg.ha_master_address.as_deref());
        tokio::spawn(client::run(b.clone()));
        tokio::spawn(sync::run(b.clone()));
    }
    Ok(bound)
}

/// What a send waits for before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// This many replicas, the master included.
    Count(usize),
    /// Every member of the SyncStateSet (controller mode, `allAckInSyncStateSet`).
    AllInSyncStateSet,
}

/// The replicas (this master included) a send must reach before it is answered (Java 5.3.3
/// `CommitLog.handleHA`): `inSyncReplicas` on a SYNC_MASTER, unless the message says it need
/// not wait (`WAIT=false`); `None` when 0 or 1, i.e. no wait. In controller mode,
/// `allAckInSyncStateSet` waits for the whole SyncStateSet.
pub fn needed_acks(cfg: &BrokerConfig, wait_store_msg_ok: bool) -> Option<Acks> {
    if cfg.broker_role != BrokerRole::SyncMaster || !wait_store_msg_ok {
        return None;
    }
    if cfg.enable_controller_mode && cfg.all_ack_in_sync_state_set {
        return Some(Acks::AllInSyncStateSet);
    }
    usize::try_from(cfg.in_sync_replicas)
        .ok()
        .filter(|n| *n > 1)
        .map(Acks::Count)
}

/// Java `CommitLog.asyncPutMessage` in controller mode: a SYNC_MASTER send that waits is refused
/// before the put while fewer than `minInSyncReplicas` replicas are in sync.
pub fn enough_in_sync(b: &Broker, cfg: &BrokerConfig, wait_store_msg_ok: bool) -> bool {
    if !cfg.enable_controller_mode
        || cfg.broker_role != BrokerRole::SyncMaster
        || !wait_store_msg_ok
    {
        return true;
    }
    let min = usize::try_from(cfg.min_in_sync_replicas).unwrap_or(0);
    b.ha.auto.in_sync_replicas_nums() >= min
}

/// Waits until the replicas `need` names hold the CommitLog up to `end`; false after
/// `slaveTimeout` (the send is then answered FLUSH_SLAVE_TIMEOUT, the message being stored on
/// the master).
pub async fn wait_replicated(b: &Broker, end: i64, need: Acks) -> bool {
    let cfg = b.config();
    let timeout = Duration::from_millis(cfg.slave_timeout.max(0) as u64);
    match (cfg.enable_controller_mode, need) {
        (true, Acks::AllInSyncStateSet) => b.ha.auto.wait_acks(end, None, timeout).await,
        (true, Acks::Count(n)) => b.ha.auto.wait_acks(end, Some(n), timeout).await,
        (false, Acks::Count(n)) => b.ha.master.wait_acks(end, n, timeout).await,
        (false, Acks::AllInSyncStateSet) => true,
    }
}

/// Whether a send may be answered without a task of its own: it never waits for a slave.
pub fn send_never_waits(cfg: &BrokerConfig) -> bool {
    needed_acks(cfg, true).is_none() && !cfg.enable_controller_mode
}

/// `Duration` from a millisecond config value (negative counts as 0).
pub(crate) fn millis(v: i64) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}

/// One read from a slave's connection into `buf`, as both masters (classic and AutoSwitch) do
/// it: nothing for `haHousekeepingInterval` ends the connection with Java's message.
pub(crate) async fn read_from_slave(
    b: &Broker,
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    buf: &mut bytes::BytesMut,
    addr: std::net::SocketAddr,
) -> Result<(), String> {
    use tokio::io::AsyncReadExt;
    let housekeeping = millis(i64::from(b.config().ha_housekeeping_interval));
    match tokio::time::timeout(housekeeping, rd.read_buf(buf)).await {
        Err(_) => Err(format!(
            "ha housekeeping, found this connection[{addr}] expired"
        )),
        Ok(Ok(0)) => Err("closed by the slave".into()),
        Ok(Err(e)) => Err(format!("read: {e}")),
        Ok(Ok(_)) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_master_waits_only_for_two_or_more_replicas() {
        let mut cfg = BrokerConfig::default();
        assert_eq!(needed_acks(&cfg, true), None, "ASYNC_MASTER");
        cfg.broker_role = BrokerRole::SyncMaster;
        assert_eq!(
            needed_acks(&cfg, true),
            None,
            "5.3.3's default inSyncReplicas=1"
        );
        cfg.in_sync_replicas = 2;
        assert_eq!(needed_acks(&cfg, true), Some(Acks::Count(2)));
        assert_eq!(needed_acks(&cfg, false), None, "WAIT=false");
        assert!(!send_never_waits(&cfg));
        cfg.enable_controller_mode = true;
        cfg.all_ack_in_sync_state_set = true;
        assert_eq!(needed_acks(&cfg, true), Some(Acks::AllInSyncStateSet));
    }
}
