//! Transactional messages (Java `TransactionalMessageBridge`, `EndTransactionProcessor`,
//! `TransactionalMessageServiceImpl#check`, `AbstractTransactionalMessageCheckListener`).
//!
//! * Prepare: a send with `TRAN_MSG=true` is stored as a half message in
//!   `RMQ_SYS_TRANS_HALF_TOPIC` queue 0 with `__transactionId__` (its `UNIQ_KEY`),
//!   `REAL_TOPIC`/`REAL_QID` and the transaction bits cleared (so it takes a queue offset there,
//!   invisible to consumers of the real topic).
//! * END_TRANSACTION (37, oneway): commit writes the real message (transaction bits = commit)
//!   with the half message's properties: Java's `endMessageTransaction` builds them before it
//!   clears `REAL_*` and `TRAN_MSG`, so the record keeps those. Commit and rollback both write an
//!   op marker to `RMQ_SYS_TRANS_OP_HALF_TOPIC` queue 0: tags `d`, `WAIT=true`, body
//!   `"<half queue offset>,"` (5.x form).
//! * Check: every `transactionCheckInterval` the half queue is scanned from the offset of group
//!   `CID_RMQ_SYS_TRANS`; a half message without op marker older than `transactionTimeOut` is
//!   put back with `TRANSACTION_CHECK_TIMES+1` and CHECK_TRANSACTION_STATE (39) goes to one
//!   producer of its `PGROUP`; after `transactionCheckMax` checks it moves to
//!   `TRANS_CHECK_MAX_TIME_TOPIC`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use remoting::code::{request as rq, response as rc};
use remoting::headers::{CheckTransactionStateRequestHeader, EndTransactionRequestHeader};
use remoting::Command;
use store::message::{encode, record_len, sysflag, Placement};
use store::props::{
    get, java_map_order, parse_properties, properties_to_string, put, to_java_string,
    MESSAGE_MAP_CAPACITY,
};
use store::{NewMessage, StoredMessage};

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::persist::now_millis;
use crate::topics::{TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC};

/// System consumer group whose offsets track the check progress (shared with Java's broker).
const CHECK_GROUP: &str = "CID_RMQ_SYS_TRANS";
const REMOVE_TAG: &str = "d";

type Props = Vec<(String, String)>;

/// Properties as Java writes them from the decoded message's map.
fn encode_props(p: &Props) -> String {
    to_java_string(&mut p.clone())
}

/// True for a send that must become a half message.
pub fn is_prepared(msg: &NewMessage) -> bool {
    store::props::property(&msg.properties, "TRAN_MSG")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Java `parseHalfMessageInner`.
pub fn to_half(mut msg: NewMessage) -> NewMessage {
    let mut p = parse_properties(&msg.properties);
    if let Some(id) = get(&p, "UNIQ_KEY").map(str::to_string) {
        put(&mut p, "__transactionId__", id);
    }
    put(&mut p, "REAL_TOPIC", msg.topic.clone());
    put(&mut p, "REAL_QID", msg.queue_id.to_string());
    msg.properties = to_java_string(&mut p);
    msg.sys_flag &= !sysflag::TRANSACTION_MASK;
    msg.topic = TRANS_HALF_TOPIC.to_string();
    msg.queue_id = 0;
    msg
}

fn new_from(m: &StoredMessage, topic: &str, queue_id: i32, props: &Props) -> NewMessage {
    NewMessage {
        prepared_transaction_offset: 0,
        ..m.to_new(topic.to_string(), queue_id, encode_props(props))
    }
}

/// END_TRANSACTION: commit or roll back a half message. Oneway from clients: the reply is
/// dropped by the server, but it still tells what happened (tests, logs).
pub fn end_transaction(b: &Arc<Broker>, req: Command) -> Reply {
    let h: EndTransactionRequestHeader = req.decode_header()?;
    if !b.config().is_master() {
        return Err(Reject::code(
            rc::SLAVE_NOT_AVAILABLE,
            "Store is not in master mode",
        ));
    }
    let commit = match h.commit_or_rollback {
        sysflag::TRANSACTION_COMMIT => true,
        sysflag::TRANSACTION_ROLLBACK => false,
        // TRANSACTION_NOT_TYPE: wait for the check.
        _ => return Ok(Command::response(rc::SUCCESS, None)),
    };
    let half = b
        .store
        .read_record(h.commit_log_offset)
        .and_then(|r| StoredMessage::decode(&r))
        .filter(|m| m.topic == TRANS_HALF_TOPIC)
        .ok_or_else(|| Reject::system("Find prepared transaction message failed"))?;
    let props = parse_properties(&half.properties);
    if get(&props, "PGROUP") != Some(h.producer_group.as_str()) {
        return Err(Reject::system("The producer group wrong"));
    }
    if half.queue_offset != h.tran_state_table_offset {
        return Err(Reject::system("The transaction state table offset wrong"));
    }
    if half.physical_offset != h.commit_log_offset {
        return Err(Reject::system("The commit log offset wrong"));
    }
    if commit {
        let topic = get(&props, "REAL_TOPIC").unwrap_or_default().to_string();
        let queue = get(&props, "REAL_QID")
            .and_then(|q| q.parse().ok())
            .unwrap_or(0);
        let mut msg = new_from(&half, &topic, queue, &props);
        msg.sys_flag = (msg.sys_flag & !sysflag::TRANSACTION_MASK) | sysflag::TRANSACTION_COMMIT;
        msg.prepared_transaction_offset = h.commit_log_offset;
        let put = b
            .store
            .put(msg)
            .map_err(|e| Reject::system(e.to_string()))?;
        b.stats_items.put_result(b, &topic, &put);
    }
    write_op(b, &half)?;
    let real_topic = get(&props, "REAL_TOPIC").unwrap_or_default();
    b.metrics
        .on_end_transaction(real_topic, commit, half.born_timestamp);
    Ok(Command::response(rc::SUCCESS, None))
}

/// Marks a half message done (Java `deletePrepareMessage`). The marker is Java's
/// `new Message(opTopic, "d", body)`: `TAGS` and `WAIT=true` in a default-capacity map.
fn write_op(b: &Broker, half: &StoredMessage) -> Result<(), Reject> {
    let mut props = [("TAGS", REMOVE_TAG), ("WAIT", "true")];
    java_map_order(&mut props, MESSAGE_MAP_CAPACITY);
    let op = NewMessage {
        topic: TRANS_OP_HALF_TOPIC.to_string(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from(format!("{},", half.queue_offset)),
        properties: properties_to_string(props),
        sys_flag: 0,
        born_timestamp: now_millis(),
        born_host: half.store_host,
        store_host: half.store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    };
    b.store
        .put(op)
        .map(|_| ())
        .map_err(|e| Reject::system(e.to_string()))
}

/// The check task.
pub async fn run(b: Arc<Broker>) {
    loop {
        let every = b.config().transaction_check_interval.max(1000) as u64;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(every)) => {}
            _ = b.shutdown.notified() => return,
        }
        if b.is_shutting_down() {
            return;
        }
        if b.acts_as_master() {
            check_once(&b);
        }
    }
}

/// Half offsets marked done by op messages from `op_offset`, and for each op entry its own
/// queue offset (to know how far the op offset may advance).
fn read_ops(b: &Broker, op_offset: i64) -> Vec<(i64, Vec<i64>)> {
    let max = b.store.max_offset(TRANS_OP_HALF_TOPIC, 0);
    (op_offset..max)
        .filter_map(|o| {
            let unit = b.store.unit(TRANS_OP_HALF_TOPIC, 0, o)?;
            let rec = b.store.read_range(unit.physical_offset, unit.size)?;
            b.metrics
                .on_broker_read(CHECK_GROUP, TRANS_OP_HALF_TOPIC, 1, rec.len() as u64);
            let m = StoredMessage::decode(&rec)?;
            let halves = std::str::from_utf8(&m.body)
                .unwrap_or_default()
                .split(',')
                .filter_map(|s| s.trim().parse::<i64>().ok())
                .collect();
            Some((o, halves))
        })
        .collect()
}

/// One scan of the half queue (Java `TransactionalMessageServiceImpl#check`).
pub fn check_once(b: &Arc<Broker>) {
    let cfg = b.config();
    let half_min = b.store.min_offset(TRANS_HALF_TOPIC, 0);
    let half_max = b.store.max_offset(TRANS_HALF_TOPIC, 0);
    let mut half_offset = b
        .offsets
        .query(CHECK_GROUP, TRANS_HALF_TOPIC, 0)
        .unwrap_or(half_min)
        .max(half_min);
    let op_offset = b
        .offsets
        .query(CHECK_GROUP, TRANS_OP_HALF_TOPIC, 0)
        .unwrap_or(0)
        .max(b.store.min_offset(TRANS_OP_HALF_TOPIC, 0));
    let ops = read_ops(b, op_offset);
    let done: BTreeSet<i64> = ops.iter().flat_map(|(_, h)| h.iter().copied()).collect();
    let started = now_millis();
    let half_start = half_offset;
    while half_offset < half_max {
        if !done.contains(&half_offset) && check_one(b, &cfg, half_offset, started) == Step::Stop {
            break;
        }
        half_offset += 1;
    }
    // Java commits an offset only when the scan moved it, so a broker without transactions
    // keeps no offsets for the check group.
    if half_offset != half_start {
        b.offsets
            .commit(CHECK_GROUP, TRANS_HALF_TOPIC, 0, half_offset);
    }
    // The op offset may pass only ops whose half messages are all behind the half offset.
    let new_op = ops
        .iter()
        .find(|(_, halves)| halves.iter().any(|h| *h >= half_offset))
        .map_or(op_offset + ops.len() as i64, |(o, _)| *o);
    if new_op != op_offset {
        b.offsets
            .commit(CHECK_GROUP, TRANS_OP_HALF_TOPIC, 0, new_op);
    }
}

#[derive(PartialEq, Eq)]
enum Step {
    Next,
    Stop,
}

/// One unresolved half message: discard after too many checks, stop at one too young, else
/// put it back with one more check and ask its producer.
fn check_one(
    b: &Arc<Broker>,
    cfg: &crate::config::BrokerConfig,
    offset: i64,
    started: i64,
) -> Step {
    let Some(msg) = half_message(b, offset) else {
        return Step::Next;
    };
    if msg.store_timestamp >= started {
        return Step::Stop;
    }
    let mut props = parse_properties(&msg.properties);
    let checks: i32 = get(&props, "TRANSACTION_CHECK_TIMES")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if checks >= cfg.transaction_check_max {
        b.topics.create_if_absent(TRANS_CHECK_MAX_TIME_TOPIC, 1, 6);
        let put = b
            .store
            .put(new_from(&msg, TRANS_CHECK_MAX_TIME_TOPIC, 0, &props));
        if put.is_ok() {
            b.metrics
                .on_half_discarded(get(&props, "REAL_TOPIC").unwrap_or_default());
        }
        return Step::Next;
    }
    let immunity = get(&props, "CHECK_IMMUNITY_TIME_IN_SECONDS")
        .and_then(|v| v.parse::<i64>().ok())
        .map_or(cfg.transaction_time_out, |s| s * 1000);
    if now_millis() - msg.born_timestamp < immunity {
        return Step::Stop;
    }
    put(
        &mut props,
        "TRANSACTION_CHECK_TIMES",
        (checks + 1).to_string(),
    );
    match b.store.put(new_from(&msg, TRANS_HALF_TOPIC, 0, &props)) {
        Ok(put) => {
            let p = put.first();
            send_check(b, &msg, &props, p.queue_offset, p.physical_offset);
            Step::Next
        }
        Err(e) => {
            tracing::warn!("transaction check: put back half message: {e}");
            Step::Stop
        }
    }
}

fn half_message(b: &Broker, offset: i64) -> Option<StoredMessage> {
    let unit = b.store.unit(TRANS_HALF_TOPIC, 0, offset)?;
    let rec = b.store.read_range(unit.physical_offset, unit.size)?;
    b.metrics
        .on_broker_read(CHECK_GROUP, TRANS_HALF_TOPIC, 1, rec.len() as u64);
    StoredMessage::decode(&rec)
}

/// CHECK_TRANSACTION_STATE to one producer of the message's group, body = the message encoded
/// with its real topic and queue (Java `sendCheckMessage`).
fn send_check(b: &Arc<Broker>, msg: &StoredMessage, props: &Props, queue_offset: i64, phys: i64) {
    let Some(group) = get(props, "PGROUP") else {
        return;
    };
    let Some(chan) = b
        .clients
        .producer_group(group)
        .into_iter()
        .find(|c| !c.conn.is_closed())
    else {
        tracing::debug!(group, "no producer online for a transaction check");
        return;
    };
    let topic = get(props, "REAL_TOPIC")
        .unwrap_or(TRANS_HALF_TOPIC)
        .to_string();
    let queue = get(props, "REAL_QID")
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    let view = new_from(msg, &topic, queue, props);
    let Ok((len, v2)) = record_len(&view, usize::MAX) else {
        return;
    };
    let mut body = vec![0u8; len];
    let placement = Placement {
        queue_offset,
        physical_offset: phys,
        store_timestamp: msg.store_timestamp,
        body_crc: msg.body_crc,
    };
    encode(&mut body, &view, v2, &placement);
    let uniq = get(props, "UNIQ_KEY").map(str::to_string);
    let header = CheckTransactionStateRequestHeader {
        topic: Some(topic),
        tran_state_table_offset: queue_offset,
        commit_log_offset: phys,
        msg_id: uniq.clone(),
        transaction_id: uniq,
        offset_msg_id: Some(store::offset_msg_id(&msg.store_host, phys)),
        bname: Some(b.config().broker_name.clone()),
    };
    let cmd = Command::request(rq::CHECK_TRANSACTION_STATE)
        .with_header(&header)
        .with_body(body)
        .oneway();
    tokio::spawn(async move {
        if let Err(e) = chan.conn.send_oneway(cmd).await {
            tracing::debug!("transaction check request: {e}");
        }
    });
}
