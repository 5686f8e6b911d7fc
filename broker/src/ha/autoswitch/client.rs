//! Slave side of controller-mode replication (Java `AutoSwitchHAClient`).
//!
//! The master's HA address comes from the NameServer's answer to our registration (the
//! controller gives only its remoting address), as in Java. Per connection:
//!
//! ```text
//!  READY:     drop a partly received record at our end (Java truncateInvalidMsg), connect
//!  HANDSHAKE: send handshake(our id) → read the master's epochs → cut our CommitLog back to the
//!             last offset both logs agree on (the end of the newest epoch both have with the
//!             same start), or to nothing when we have no epochs → report our end
//!  TRANSFER:  append each transfer at its offset (a new epoch first goes to the epoch file),
//!             take the master's confirm offset, report our end when it grows and every
//!             haSendHeartbeatInterval
//! ```
//! A read error, a transfer not at our end, `haHousekeepingInterval` without a read or a role
//! change closes the connection; the client connects again 5 s later or when the master's
//! address changes.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use store::epoch::{EpochCache, EpochEntry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tracing::{error, info, warn};

use super::proto::{self, MasterFrame, Transfer};
use crate::broker::Broker;
use crate::config::BrokerRole;
use crate::persist::now_millis;

const RETRY: Duration = Duration::from_secs(5);

/// The client task, until shutdown; it connects only while the broker is a slave.
pub async fn run(b: Arc<Broker>) {
    let c = &b.ha.client;
    let mut generation = b.ha.auto.generation.subscribe();
    while !b.is_shutting_down() {
        generation.mark_unchanged();
        if b.config().broker_role == BrokerRole::Slave {
            truncate_invalid(&b);
            if let Some(addr) = c.ha_master_addr() {
                tokio::select! {
                    r = connect_and_run(&b, &addr) => if let Err(reason) = r {
                        warn!(master = %addr, "AutoSwitchHAClient closed the connection: {reason}");
                    },
                    _ = generation.changed() => info!(master = %addr, "AutoSwitchHAClient stops: role changed"),
                }
                c.connected.store(false, Ordering::Release);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = c.woken() => {}
            _ = generation.changed() => {}
            _ = b.shutdown.notified() => return,
        }
    }
}

/// Java `truncateInvalidMsg` in the READY state.
fn truncate_invalid(b: &Broker) {
    match b.store.truncate_partial_record() {
        Ok(Some(end)) => b.ha.auto.epochs.truncate_suffix_by_offset(end),
        Ok(None) => {}
        Err(e) => error!("truncate the partly received record: {e}"),
    }
}

async fn connect_and_run(b: &Broker, addr: &str) -> Result<(), String> {
    let stream = match tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(addr)).await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(format!("connect: {e}")),
        Err(_) => return Err("connect timed out".into()),
    };
    info!(master = %addr, "AutoSwitchHAClient connect to master");
    let _ = stream.set_nodelay(true);
    b.ha.client.connected.store(true, Ordering::Release);
    b.ha.client
        .last_read_ms
        .store(now_millis(), Ordering::Release);
    let (rd, mut wr) = stream.into_split();
    let id = b.ha.auto.local_id.load(Ordering::Acquire);
    let cfg = b.config();
    // `asyncLearner`: the master never adds this slave to the SyncStateSet (Java
    // `AutoSwitchHAConnection`), so no send waits for it and it is never elected.
    let hs = proto::slave_handshake(cfg.sync_from_last_file, cfg.async_learner, id);
    send(b, &mut wr, &hs).await?;
    Session {
        b,
        rd,
        wr,
        buf: BytesMut::new(),
        reported: 0,
        epoch: -1,
    }
    .run()
    .await
}

async fn send(b: &Broker, wr: &mut OwnedWriteHalf, bytes: &[u8]) -> Result<(), String> {
    wr.write_all(bytes)
        .await
        .map_err(|e| format!("write: {e}"))?;
    b.ha.client
        .last_write_ms
        .store(now_millis(), Ordering::Release);
    Ok(())
}

struct Session<'a> {
    b: &'a Broker,
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    buf: BytesMut,
    /// Java `currentReportedOffset`.
    reported: i64,
    /// Java `currentReceivedEpoch`.
    epoch: i32,
}

impl Session<'_> {
    async fn run(mut self) -> Result<(), String> {
        let (entries, master_max) = loop {
            match self.next_frame().await? {
                Some(MasterFrame::Handshake {
                    max_offset,
                    entries,
                    ..
                }) => break (entries, max_offset),
                Some(MasterFrame::Transfer(..)) => {
                    return Err("State not matched: a transfer before the handshake".into())
                }
                None => self.heartbeat().await?,
            }
        };
        self.reported = truncate_to_master(self.b, entries, master_max)?;
        self.report(self.reported).await?;
        loop {
            match self.next_frame().await? {
                Some(MasterFrame::Transfer(t, body)) => self.apply(t, body)?,
                Some(MasterFrame::Handshake { .. }) => {
                    return Err("State not matched: a handshake while transferring".into())
                }
                None => {}
            }
            let max = self.b.store.commitlog_offsets().1;
            if max > self.reported {
                self.reported = max;
                self.report(max).await?;
            }
            self.heartbeat().await?;
        }
    }

    /// The next whole frame, or `None` after a second without one.
    async fn next_frame(&mut self) -> Result<Option<MasterFrame>, String> {
        if let Some(f) = proto::take_master_frame(&mut self.buf).map_err(|e| e.to_string())? {
            return Ok(Some(f));
        }
        self.buf.reserve(64 * 1024);
        let c = &self.b.ha.client;
        match tokio::time::timeout(Duration::from_secs(1), self.rd.read_buf(&mut self.buf)).await {
            Err(_) => {}
            Ok(Ok(0)) => return Err("closed by the master".into()),
            Ok(Err(e)) => return Err(format!("read: {e}")),
            Ok(Ok(n)) => {
                c.flow.add(n);
                c.last_read_ms.store(now_millis(), Ordering::Release);
            }
        }
        let since_read = now_millis() - c.last_read_ms.load(Ordering::Acquire);
        if since_read > i64::from(self.b.config().ha_housekeeping_interval) {
            return Err(format!(
                "housekeeping: nothing read from the master for {since_read} ms"
            ));
        }
        proto::take_master_frame(&mut self.buf).map_err(|e| e.to_string())
    }

    async fn report(&mut self, offset: i64) -> Result<(), String> {
        send(self.b, &mut self.wr, &proto::report(offset)).await
    }

    async fn heartbeat(&mut self) -> Result<(), String> {
        let since = now_millis() - self.b.ha.client.last_write_ms.load(Ordering::Acquire);
        if since > i64::from(self.b.config().ha_send_heartbeat_interval) {
            self.report(self.reported).await?;
        }
        Ok(())
    }

    fn apply(&mut self, t: Transfer, body: Bytes) -> Result<(), String> {
        let store = &self.b.store;
        let max = store.commitlog_offsets().1;
        if max != 0 && max != t.offset {
            return Err(format!(
                "master pushed offset not equal the max phy offset in slave, SLAVE: {max} MASTER: {}",
                t.offset
            ));
        }
        let auto = &self.b.ha.auto;
        if t.epoch != self.epoch {
            self.epoch = t.epoch;
            auto.epochs.append(EpochEntry::new(t.epoch, t.epoch_start));
        }
        if !body.is_empty() {
            store
                .append_replicated(t.offset, &body)
                .map_err(|e| format!("append at {}: {e}", t.offset))?;
        }
        auto.set_confirm(t.confirm.min(store.commitlog_offsets().1));
        super::update_dispatch(self.b);
        Ok(())
    }
}

/// Java `doTruncate`: where our CommitLog and the master's agree, our log cut back to there.
/// Returns the offset to report.
fn truncate_to_master(
    b: &Broker,
    entries: Vec<EpochEntry>,
    master_max: i64,
) -> Result<i64, String> {
    let ours = &b.ha.auto.epochs;
    let local_max = b.store.commitlog_offsets().1;
    if ours.is_empty() {
        return Ok(local_max);
    }
    let master = EpochCache::from_entries(entries);
    master.set_last_end(master_max);
    let local = EpochCache::from_entries(ours.entries());
    local.set_last_end(local_max);
    let point = local.consistent_point(&master);
    if point < 0 {
        return Err(format!(
            "Failed to find a consistent point between masterEpoch:{:?} and slaveEpoch:{:?}",
            master.entries(),
            local.entries()
        ));
    }
    if point < local_max {
        warn!(
            from = local_max,
            to = point,
            "truncating the diverged tail of the CommitLog"
        );
    }
    match b.store.truncate_to(point) {
        Ok(true) => {}
        Ok(false) => return Err(format!("Failed to truncate slave log to {point}")),
        Err(e) => return Err(format!("truncate slave log to {point}: {e}")),
    }
    ours.truncate_suffix_by_offset(point);
    Ok(point.min(b.store.commitlog_offsets().1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::config::BrokerConfig;

    async fn handshake_of(async_learner: bool) -> [u8; 16] {
        let dir = crate::persist::temp_dir("learner");
        let cfg = BrokerConfig {
            store_path_root_dir: dir.display().to_string(),
            enable_controller_mode: true,
            broker_role: BrokerRole::Slave,
            async_learner,
            ..BrokerConfig::default()
        };
        let b = Broker::open(cfg).unwrap();
        b.ha.auto.local_id.store(3, Ordering::Release);
        let master = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = master.local_addr().unwrap().to_string();
        let slave = tokio::spawn(async move { connect_and_run(&b, &addr).await });
        let (mut conn, _) = master.accept().await.unwrap();
        let mut hs = [0u8; 16];
        conn.read_exact(&mut hs).await.unwrap();
        slave.abort();
        let _ = std::fs::remove_dir_all(dir);
        hs
    }

    /// Java `AutoSwitchHAClient`'s handshake: `isAsyncLearner` is 1 with `asyncLearner=true`,
    /// and the master reads it so (see `proto`).
    #[tokio::test]
    async fn the_handshake_says_whether_the_slave_is_an_async_learner() {
        for learner in [false, true] {
            let hs = handshake_of(learner).await;
            let mut buf = bytes::BytesMut::from(&hs[..]);
            match proto::take_slave_frame(&mut buf).unwrap() {
                Some(proto::SlaveFrame::Handshake {
                    async_learner,
                    broker_id,
                    ..
                }) => assert_eq!((async_learner, broker_id), (learner, 3)),
                other => panic!("{other:?}"),
            }
        }
    }
}
