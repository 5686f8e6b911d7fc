//! Message recall: a timer message's send answers a handle; RECALL_MESSAGE with it keeps the
//! message from being delivered, and refuses what Java's broker refuses.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use remoting::code::{request as rq, response as rc};
use remoting::headers::RecallMessageRequestHeader;
use remoting::Command;
use store::props::{get, parse_pairs};

fn recall_cmd(topic: &str, handle: &str) -> Command {
    Command::request(rq::RECALL_MESSAGE).with_header(&RecallMessageRequestHeader {
        producer_group: Some("PG".into()),
        topic: topic.into(),
        recall_handle: handle.into(),
    })
}

/// A timer message due at `at` (ms) with `UNIQ_KEY` `id`, to queue 0.
fn timer_send(topic: &str, body: &[u8], at: i64, id: &str) -> Command {
    let props = format!("TIMER_DELIVER_MS\u{1}{at}\u{2}UNIQ_KEY\u{1}{id}\u{2}");
    send_cmd(topic, 0, body, &props)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn a_recalled_timer_message_is_never_delivered() {
    let tb = boot("recall", "recallMessageEnable=true\n").await;
    let client = remoting::Client::new();
    let a = &tb.addr;
    call(&client, a, create_topic_cmd("RT", 1, 6)).await;
    // Both due in the same timer slot: the round that delivers one settles the other.
    let at = (now_ms() / 1000 + 3) * 1000 + 500;
    let gone = call(&client, a, timer_send("RT", b"gone", at, "ID-GONE")).await;
    let kept = call(&client, a, timer_send("RT", b"kept", at, "ID-KEPT")).await;
    assert_eq!((gone.code, kept.code), (rc::SUCCESS, rc::SUCCESS));
    let handle = gone
        .ext("recallHandle")
        .expect("a timer send answers a recall handle");
    assert!(kept.ext("recallHandle").is_some());
    let plain = call(&client, a, send_cmd("RT", 0, b"now", "")).await;
    assert_eq!(
        plain.ext("recallHandle"),
        None,
        "only timer messages get one"
    );

    let r = call(&client, a, recall_cmd("OTHER", handle)).await;
    assert_eq!(r.code, rc::TOPIC_NOT_EXIST, "{:?}", r.remark);
    call(&client, a, create_topic_cmd("OTHER", 1, 6)).await;
    let refusals = [
        ("OTHER", handle, "recall failed, topic not match"),
        ("RT", "not base64!", "recall handle is invalid"),
    ];
    for (topic, h, remark) in refusals {
        let r = call(&client, a, recall_cmd(topic, h)).await;
        assert_eq!(
            (r.code, r.remark.as_deref()),
            (rc::ILLEGAL_OPERATION, Some(remark))
        );
        assert_eq!(r.ext("MSG_REGION"), Some("DefaultRegion"));
    }
    let r = call(&client, a, recall_cmd("RT", handle)).await;
    assert_eq!(r.code, rc::SUCCESS, "{:?}", r.remark);
    assert_eq!(r.ext("msgId"), Some("ID-GONE"));

    let b = tb.broker().clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    while b.store.max_offset("RT", 0) < 2 {
        assert!(Instant::now() < deadline, "the kept message never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The recalled message sorts before the kept one in their slot: delivered, it would be here.
    let unit = b.store.unit("RT", 0, 1).unwrap();
    let rec = b.store.read_range(unit.physical_offset, unit.size).unwrap();
    let m = store::StoredMessage::decode(&rec).unwrap();
    assert_eq!(&m.body[..], b"kept");
    assert_eq!(
        get(&parse_pairs(&m.properties), "UNIQ_KEY"),
        Some("ID-KEPT")
    );
    tb.stop().await;
}

#[tokio::test]
async fn recall_is_refused_unless_enabled() {
    let tb = boot("recall-off", "").await;
    let client = remoting::Client::new();
    let r = call(&client, &tb.addr, recall_cmd("RT", "x")).await;
    assert_eq!(
        (r.code, r.remark.as_deref()),
        (
            rc::NO_PERMISSION,
            Some("recall failed, operation is forbidden")
        )
    );
    tb.stop().await;
}
