//! Slave side of replication (Java `DefaultHAClient`).
//!
//! Connects to the master's HA address (`haMasterAddress`, or the `haServerAddr` the NameServer
//! returns on registration), reports the CommitLog max offset once `haSendHeartbeatInterval`
//! has passed since the previous report and after every transfer that advanced it, and appends
//! each transfer at its offset ([`store::Store::append_replicated`] dispatches the complete
//! records). A transfer whose offset is not our max offset (unless the CommitLog is empty), a
//! read error, or `haHousekeepingInterval` without a read closes the connection; the client
//! connects again 5 s later, reporting where its CommitLog ends.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tracing::{info, warn};

use super::flow::Flow;
use super::proto::{peek_header, report, take_body};
use crate::broker::Broker;
use crate::persist::now_millis;

/// Java `DefaultHAClient`: wait after a failed connect or a closed connection.
const RETRY: Duration = Duration::from_secs(5);
/// Java `HA_ADDRESS_MIN_LENGTH`: a shorter `haMasterAddress` counts as unset.
const HA_ADDRESS_MIN_LENGTH: usize = 6;

/// The slave's view of its master.
#[derive(Debug, Default)]
pub struct Client {
    /// Java `masterHaAddress`.
    ha_master: Mutex<Option<String>>,
    /// The master's remoting address (Java `SlaveSynchronize.masterAddr`).
    master: Mutex<Option<String>>,
    /// `haMasterAddress` was configured: registration results do not replace it.
    fixed: AtomicBool,
    pub connected: AtomicBool,
    pub last_read_ms: AtomicI64,
    pub last_write_ms: AtomicI64,
    pub flow: Flow,
    wake: Notify,
}

impl Client {
    /// The master's HA address in use.
    pub fn ha_master_addr(&self) -> Option<String> {
        self.ha_master
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The master's remoting address, for metadata sync.
    pub fn master_addr(&self) -> Option<String> {
        self.master
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Java `BrokerController` start-up: a configured `haMasterAddress` is used as is.
    pub fn configure(&self, ha_master_address: Option<&str>) {
        if let Some(a) = ha_master_address.filter(|a| a.len() >= HA_ADDRESS_MIN_LENGTH) {
            self.set_ha_master(a);
            self.fixed.store(true, Ordering::Release);
        }
    }

    fn set_ha_master(&self, addr: &str) {
        let mut slot = self.ha_master.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_deref() != Some(addr) {
            info!(old = ?*slot, new = addr, "update master ha address");
            *slot = Some(addr.to_string());
            self.wake.notify_one();
        }
    }

    /// Controller mode (Java `ReplicasManager.changeToSlave` / `handleSlaveSynchronize`): the
    /// master's remoting address from the controller; its HA address is learnt again from the
    /// next registration's answer.
    pub fn follow_controller(&self, master: Option<&str>) {
        *self.ha_master.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.master.lock().unwrap_or_else(|e| e.into_inner()) = master.map(str::to_string);
        self.wake.notify_one();
    }

    /// Resolves when the master's HA address changes.
    pub async fn woken(&self) {
        self.wake.notified().await
    }

    /// Java `handleRegisterBrokerResult`: the master's HA address (unless configured) and its
    /// remoting address from a NameServer's answer to our registration.
    pub fn on_register_result(&self, ha_server_addr: Option<&str>, master_addr: Option<&str>) {
        if let Some(ha) = ha_server_addr.filter(|_| !self.fixed.load(Ordering::Acquire)) {
            self.set_ha_master(ha);
        }
        let mut slot = self.master.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_deref() != master_addr {
            info!(old = ?*slot, new = ?master_addr, "update master address");
            *slot = master_addr.map(str::to_string);
        }
    }
}

/// The client task of a slave, until shutdown.
pub async fn run(b: Arc<Broker>) {
    let c = &b.ha.client;
    // Java sets lastWriteTimestamp when the client is made: the first report waits one interval.
    c.last_write_ms.store(now_millis(), Ordering::Release);
    while !b.is_shutting_down() {
        if let Some(addr) = c.ha_master_addr() {
            match tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(&addr)).await {
                Ok(Ok(stream)) => {
                    info!(master = %addr, "HAClient connect to master");
                    c.connected.store(true, Ordering::Release);
                    if let Err(reason) = session(&b, stream).await {
                        warn!(master = %addr, "HAClient closed the connection: {reason}");
                    }
                    c.connected.store(false, Ordering::Release);
                }
                Ok(Err(e)) => warn!(master = %addr, "HAClient connect to master failed: {e}"),
                Err(_) => warn!(master = %addr, "HAClient connect to master timed out"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = c.wake.notified() => {}
            _ = b.shutdown.notified() => return,
        }
    }
}

async fn send_report(c: &Client, wr: &mut OwnedWriteHalf, offset: i64) -> Result<(), String> {
    wr.write_all(&report(offset))
        .await
        .map_err(|e| format!("report offset {offset}: {e}"))?;
    c.last_write_ms.store(now_millis(), Ordering::Release);
    Ok(())
}

async fn session(b: &Broker, stream: TcpStream) -> Result<(), String> {
    let _ = stream.set_nodelay(true);
    let (mut rd, mut wr) = stream.into_split();
    let c = &b.ha.client;
    let mut reported = b.store.commitlog_offsets().1;
    c.last_read_ms.store(now_millis(), Ordering::Release);
    let mut buf = BytesMut::new();
    loop {
        if b.is_shutting_down() {
            return Ok(());
        }
        let cfg = b.config();
        let since_write = now_millis() - c.last_write_ms.load(Ordering::Acquire);
        if since_write > i64::from(cfg.ha_send_heartbeat_interval) {
            send_report(c, &mut wr, reported).await?;
        }
        buf.reserve(64 * 1024);
        match tokio::time::timeout(Duration::from_secs(1), rd.read_buf(&mut buf)).await {
            Err(_) => {}
            Ok(Ok(0)) => return Err("closed by the master".into()),
            Ok(Err(e)) => return Err(format!("read: {e}")),
            Ok(Ok(n)) => {
                c.flow.add(n);
                apply(b, &mut buf)?;
                c.last_read_ms.store(now_millis(), Ordering::Release);
            }
        }
        let max = b.store.commitlog_offsets().1;
        if max > reported {
            reported = max;
            send_report(c, &mut wr, reported).await?;
        }
        let since_read = now_millis() - c.last_read_ms.load(Ordering::Acquire);
        if since_read > i64::from(cfg.ha_housekeeping_interval) {
            return Err(format!(
                "housekeeping: nothing read from the master for {since_read} ms"
            ));
        }
    }
}

/// Appends every complete transfer in `buf` (Java `dispatchReadRequest`).
fn apply(b: &Broker, buf: &mut BytesMut) -> Result<(), String> {
    while let Some(h) = peek_header(buf).map_err(|e| e.to_string())? {
        let max = b.store.commitlog_offsets().1;
        if max != 0 && max != h.offset {
            return Err(format!(
                "master pushed offset not equal the max phy offset in slave, SLAVE: {max} MASTER: {}",
                h.offset
            ));
        }
        let Some(body) = take_body(buf, h) else {
            return Ok(());
        };
        if !body.is_empty() {
            b.store
                .append_replicated(h.offset, &body)
                .map_err(|e| format!("append at {}: {e}", h.offset))?;
        }
    }
    Ok(())
}
