//! What the benchmark programs (`conn-bench`, `ha-bench`) share: option parsing, the two
//! requests they send, and how they end.

use std::process::ExitCode;

use remoting::code::request as rq;
use remoting::headers::{CreateTopicRequestHeader, SendMessageRequestHeaderV2};
use remoting::Command;

pub fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
}

/// UPDATE_AND_CREATE_TOPIC with `queues` read and write queues.
pub fn create_topic(topic: &str, queues: i32) -> Command {
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
    Command::request(rq::UPDATE_AND_CREATE_TOPIC).with_header(&h)
}

/// SEND_MESSAGE_V2 of `body` to `queue` of `topic` (`queues` of them), with `properties` in
/// the message-properties string form.
pub fn send(
    group: &str,
    topic: &str,
    queues: i32,
    queue: i32,
    properties: &str,
    body: &bytes::Bytes,
) -> Command {
    let born = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let h = SendMessageRequestHeaderV2 {
        a: group.into(),
        b: topic.into(),
        c: "TBW102".into(),
        d: queues,
        e: queue,
        f: 0,
        g: born,
        h: 0,
        i: Some(properties.into()),
        j: Some(0),
        k: Some(false),
        l: None,
        m: Some(false),
        n: None,
    };
    Command::request(rq::SEND_MESSAGE_V2)
        .with_header(&h)
        .with_body(body.clone())
}

/// Bad options: printed (with the usage), exit code 2.
pub fn usage_error(e: &str) -> ExitCode {
    eprintln!("{e}");
    ExitCode::from(2)
}

/// A run's exit code: 1 when it failed, with why.
pub fn finish(program: &str, run: Result<(), String>) -> ExitCode {
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e}");
            ExitCode::FAILURE
        }
    }
}
