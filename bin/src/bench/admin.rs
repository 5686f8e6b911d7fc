//! The few administrative requests the modes make before a run, over `remoting`'s client:
//! UPDATE_AND_CREATE_TOPIC, GET_TOPIC_CONFIG (a topic's queue count) and GET_MAX_OFFSET.

use std::time::Duration;

use remoting::code::request as rq;
use remoting::code::response as rc;
use remoting::headers::{
    CreateTopicRequestHeader, GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader,
};
use remoting::{Client, Command};

const TIMEOUT: Duration = Duration::from_secs(10);

async fn call(client: &Client, addr: &str, cmd: Command, what: &str) -> Result<Command, String> {
    let reply = client
        .invoke(addr, cmd, TIMEOUT)
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    if reply.code != rc::SUCCESS {
        return Err(format!(
            "{what}: the broker answered {}: {}",
            super::code_name(reply.code),
            reply.remark.as_deref().unwrap_or("")
        ));
    }
    Ok(reply)
}

/// UPDATE_AND_CREATE_TOPIC with `queues` read and write queues, permission read-write (both
/// brokers accept it without a NameServer round trip).
pub async fn create_topic(
    client: &Client,
    addr: &str,
    topic: &str,
    queues: i32,
) -> Result<(), String> {
    let h = CreateTopicRequestHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
        attributes: Some(String::new()),
        force: None,
    };
    let cmd = Command::request(rq::UPDATE_AND_CREATE_TOPIC).with_header(&h);
    call(client, addr, cmd, &format!("create topic {topic}")).await?;
    Ok(())
}

/// The topic's read queue count, from GET_TOPIC_CONFIG's JSON body (`readQueueNums`).
pub async fn read_queues(client: &Client, addr: &str, topic: &str) -> Result<i32, String> {
    let cmd = Command::request(rq::GET_TOPIC_CONFIG).with_ext("topic", topic);
    let reply = call(client, addr, cmd, &format!("topic config of {topic}")).await?;
    let body = reply.body.clone().unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let key = "\"readQueueNums\":";
    text.find(key)
        .map(|at| {
            text[at + key.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("topic config of {topic}: no readQueueNums in {text}"))
}

/// GET_MAX_OFFSET of each queue: the offset the next message will take.
pub async fn max_offsets(
    client: &Client,
    addr: &str,
    topic: &str,
    queues: i32,
) -> Result<Vec<i64>, String> {
    let mut out = Vec::with_capacity(queues as usize);
    for queue_id in 0..queues {
        let h = GetMaxOffsetRequestHeader {
            topic: topic.into(),
            queue_id,
            committed: true,
        };
        let cmd = Command::request(rq::GET_MAX_OFFSET).with_header(&h);
        let reply = call(
            client,
            addr,
            cmd,
            &format!("max offset of {topic}/{queue_id}"),
        )
        .await?;
        let h: GetMaxOffsetResponseHeader = reply.decode_header().map_err(|e| e.to_string())?;
        out.push(h.offset);
    }
    Ok(out)
}
