//! Transactional messages: half message, commit, rollback, check-back to the producer.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::headers::EndTransactionRequestHeader;
use remoting::{Client, Command, Connection, Handler};
use store::props::{get, parse_pairs};

const TX_PROPS: &str = "TRAN_MSG\u{1}true\u{2}PGROUP\u{1}TPG\u{2}TAGS\u{1}T1\u{2}";

fn tx_send(topic: &str, body: &[u8]) -> Command {
    let mut cmd = send_cmd(topic, 0, body, TX_PROPS);
    cmd.ext_fields.insert("f", "4");
    cmd
}

fn end(sent: &Command, commit_or_rollback: i32) -> Command {
    let id = sent.ext("msgId").unwrap();
    Command::request(rq::END_TRANSACTION).with_header(&EndTransactionRequestHeader {
        topic: None,
        producer_group: "TPG".into(),
        tran_state_table_offset: sent.ext("queueOffset").unwrap().parse().unwrap(),
        commit_log_offset: i64::from_str_radix(&id[16..], 16).unwrap(),
        commit_or_rollback,
        from_transaction_check: false,
        msg_id: "x".into(),
        transaction_id: None,
    })
}

#[tokio::test]
async fn commit_makes_the_message_visible_rollback_does_not() {
    let tb = boot("tx", "").await;
    let client = Client::new();
    let a = &tb.addr;
    call(&client, a, create_topic_cmd("TX", 1, 6)).await;
    let s1 = call(&client, a, tx_send("TX", b"keep")).await;
    assert_eq!(s1.code, rc::SUCCESS, "{:?}", s1.remark);
    assert_eq!(s1.ext("queueId"), Some("0"));
    let s2 = call(&client, a, tx_send("TX", b"drop")).await;
    assert_eq!(
        tb.broker().store.max_offset("TX", 0),
        0,
        "half messages are invisible"
    );
    assert_eq!(
        tb.broker().store.max_offset("RMQ_SYS_TRANS_HALF_TOPIC", 0),
        2
    );

    let mut wrong = end(&s1, 8);
    wrong.ext_fields.insert("producerGroup", "OTHER");
    let r = call(&client, a, wrong).await;
    assert_eq!(
        (r.code, r.remark.as_deref()),
        (rc::SYSTEM_ERROR, Some("The producer group wrong"))
    );

    assert_eq!(call(&client, a, end(&s1, 8)).await.code, rc::SUCCESS);
    assert_eq!(call(&client, a, end(&s2, 12)).await.code, rc::SUCCESS);
    assert_eq!(tb.broker().store.max_offset("TX", 0), 1);
    assert_eq!(
        tb.broker()
            .store
            .max_offset("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0),
        2
    );
    let pulled = call(&client, a, pull_cmd("TOOLS_CONSUMER", "TX", 0, 0, 4, 0)).await;
    let recs = records(pulled.body.as_ref().unwrap());
    assert_eq!(&recs[0].body[..], b"keep");
    assert_eq!(recs[0].sys_flag & 0xC, 0x8, "commit type");
    // Java's endMessageTransaction keeps every half-message property in the committed record.
    let props = parse_pairs(&recs[0].properties);
    assert_eq!(get(&props, "REAL_TOPIC"), Some("TX"));
    assert_eq!(get(&props, "TRAN_MSG"), Some("true"));
    assert_eq!(get(&props, "__transactionId__"), get(&props, "UNIQ_KEY"));
    let op = call(
        &client,
        a,
        pull_cmd("TOOLS_CONSUMER", "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0, 0, 4, 0),
    )
    .await;
    let ops = records(op.body.as_ref().unwrap());
    assert_eq!(ops[0].properties, "WAIT\u{1}true\u{2}TAGS\u{1}d\u{2}");
    tb.stop().await;
}

#[derive(Default)]
struct Checks(Mutex<Vec<Command>>);

impl Handler for Checks {
    async fn handle(&self, _conn: &Connection, req: Command) -> Option<Command> {
        self.0.lock().unwrap().push(req);
        None
    }
}

#[tokio::test]
async fn unresolved_half_messages_are_checked_with_the_producer() {
    let tb = boot(
        "txcheck",
        "transactionCheckInterval=1000\ntransactionTimeOut=0",
    )
    .await;
    let checks = Arc::new(Checks::default());
    let producer = Client::with_handler(checks.clone());
    let a = &tb.addr;
    call(&producer, a, create_topic_cmd("TXC", 1, 6)).await;
    let hb = br#"{"clientID":"p1","consumerDataSet":[],"producerDataSet":[{"groupName":"TPG"}]}"#;
    call(
        &producer,
        a,
        Command::request(rq::HEART_BEAT).with_body(&hb[..]),
    )
    .await;
    call(&producer, a, tx_send("TXC", b"pending")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let check = loop {
        if let Some(c) = checks.0.lock().unwrap().first().cloned() {
            break c;
        }
        assert!(
            Instant::now() < deadline,
            "no CHECK_TRANSACTION_STATE within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(check.code, rq::CHECK_TRANSACTION_STATE);
    let rec = store::StoredMessage::decode(check.body.as_ref().unwrap()).unwrap();
    assert_eq!(
        (rec.topic.as_str(), &rec.body[..]),
        ("TXC", &b"pending"[..])
    );
    assert!(rec.properties.contains("TRANSACTION_CHECK_TIMES\u{1}1"));
    // answer it the way clients do: END_TRANSACTION with the check's offsets
    let commit = Command::request(rq::END_TRANSACTION).with_header(&EndTransactionRequestHeader {
        topic: None,
        producer_group: "TPG".into(),
        tran_state_table_offset: check.ext("tranStateTableOffset").unwrap().parse().unwrap(),
        commit_log_offset: check.ext("commitLogOffset").unwrap().parse().unwrap(),
        commit_or_rollback: 8,
        from_transaction_check: true,
        msg_id: "x".into(),
        transaction_id: None,
    });
    assert_eq!(call(&producer, a, commit).await.code, rc::SUCCESS);
    assert_eq!(tb.broker().store.max_offset("TXC", 0), 1);
    tb.stop().await;
}
