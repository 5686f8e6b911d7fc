//! The POP records Java keeps in the revive topic and hands to clients, byte for byte:
//! check-points (`PopCheckPoint`, tag `ck`), acks (`AckMsg`, tag `ack`; `BatchAckMsg`, tag
//! `bAck`), their `UNIQ_KEY`s (`PopMessageProcessor.genCkUniqueId` …) and the extra info a
//! client returns with an ack (`ExtraInfoUtil`).
//!
//! The bodies are fastjson 1.2.83 `JSON.toJSONString` output: keys sorted by their JSON name,
//! null fields left out, and every public getter serialized, so a check-point also carries
//! `reviveTime` (`getReviveTime()`, popTime + invisibleTime) though no field holds it:
//!
//! ```text
//! ck   {"bm":0,"bn":"b","c":"G","d":[0,1],"it":60000,"n":2,"pt":1700000000000,"q":1,"reviveTime":1700000060000,"ro":0,"so":5,"t":"T"}
//! ack  {"ao":6,"bn":"b","c":"G","pt":1700000000000,"q":1,"so":5,"t":"T"}
//! bAck {"ao":-1,"aol":[5,6],"bn":"b","c":"G","pt":1700000000000,"q":1,"so":5,"t":"T"}
//! extra info  "<ckStartOffset> <popTime> <invisibleTime> <reviveQid> <0|1|2> <brokerName> <queueId> <queueOffset>"
//! ```
//! (Printed by Java 5.3.3's own classes for the unit tests below.) Reading accepts Java's
//! alternate long names as fastjson does, and ignores `reviveTime`.

use serde::{Deserialize, Serialize};

use crate::topics::RETRY_PREFIX;

pub const CK_TAG: &str = "ck";
pub const ACK_TAG: &str = "ack";
pub const BATCH_ACK_TAG: &str = "bAck";
/// Java `PopAckConstants.REVIVE_GROUP`: the revive service's progress, in consumerOffset.json.
pub const REVIVE_GROUP: &str = "CID_RMQ_SYS_REVIVE_GROUP";
/// Java `KeyBuilder.POP_ORDER_REVIVE_QUEUE`: the revive queue id an orderly pop reports.
pub const POP_ORDER_REVIVE_QUEUE: i32 = 999;
/// Java `PopAckConstants.ackTimeInterval`: a CK is delivered this long before it is due.
pub const ACK_TIME_INTERVAL: i64 = 1000;

/// `rmq_sys_REVIVE_LOG_<cluster>`.
pub fn revive_topic(cluster: &str) -> String {
    format!("rmq_sys_REVIVE_LOG_{cluster}")
}

/// Java `KeyBuilder.buildPopRetryTopic`: v1 `%RETRY%<group>_<topic>`, v2 `%RETRY%<group>+<topic>`.
pub fn pop_retry_topic(topic: &str, group: &str, v2: bool) -> String {
    let sep = if v2 { '+' } else { '_' };
    format!("{RETRY_PREFIX}{group}{sep}{topic}")
}

/// Java `KeyBuilder.isPopRetryTopicV2`.
pub fn is_pop_retry_v2(topic: &str) -> bool {
    topic.starts_with(RETRY_PREFIX) && topic.contains('+')
}

/// Java `KeyBuilder.parseNormalTopic(topic, cid)`.
pub fn normal_topic<'a>(topic: &'a str, group: &str) -> &'a str {
    if !topic.starts_with(RETRY_PREFIX) {
        return topic;
    }
    let v2 = format!("{RETRY_PREFIX}{group}+");
    if let Some(t) = topic.strip_prefix(&v2) {
        return t;
    }
    let v1 = format!("{RETRY_PREFIX}{group}_");
    topic.strip_prefix(&v1).unwrap_or(topic)
}

/// The `0|1|2` mark of a topic in extra info and offset info (Java `ExtraInfoUtil.getRetry`).
pub fn retry_mark(topic: &str) -> &'static str {
    if is_pop_retry_v2(topic) {
        "2"
    } else if topic.starts_with(RETRY_PREFIX) {
        "1"
    } else {
        "0"
    }
}

/// Java `PopCheckPoint`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckPoint {
    pub start_offset: i64,
    pub pop_time: i64,
    pub invisible_time: i64,
    pub bit_map: i32,
    pub num: u8,
    pub queue_id: i32,
    pub topic: String,
    pub cid: String,
    pub revive_offset: i64,
    pub queue_offset_diff: Option<Vec<i32>>,
    pub broker_name: Option<String>,
    pub re_put_times: Option<String>,
}

/// The JSON shape, keys in fastjson's (sorted) order.
#[derive(Serialize, Deserialize, Default)]
struct CkJson {
    #[serde(rename = "bm", alias = "bitMap", default)]
    bit_map: i32,
    #[serde(
        rename = "bn",
        alias = "brokerName",
        skip_serializing_if = "Option::is_none"
    )]
    broker_name: Option<String>,
    #[serde(rename = "c", alias = "cid", alias = "cId", default)]
    cid: Option<String>,
    #[serde(
        rename = "d",
        alias = "queueOffsetDiff",
        skip_serializing_if = "Option::is_none"
    )]
    diff: Option<Vec<i32>>,
    #[serde(rename = "it", alias = "invisibleTime", default)]
    invisible_time: i64,
    #[serde(rename = "n", alias = "num", default)]
    num: i8,
    #[serde(rename = "pt", alias = "popTime", default)]
    pop_time: i64,
    #[serde(rename = "q", alias = "queueId", default)]
    queue_id: i32,
    #[serde(rename = "reviveTime", default)]
    revive_time: i64,
    #[serde(rename = "ro", alias = "reviveOffset", default)]
    revive_offset: i64,
    #[serde(
        rename = "rp",
        alias = "rePutTimes",
        skip_serializing_if = "Option::is_none"
    )]
    re_put_times: Option<String>,
    #[serde(rename = "so", alias = "startOffset", default)]
    start_offset: i64,
    #[serde(rename = "t", alias = "topic", default)]
    topic: Option<String>,
}

impl CheckPoint {
    pub fn revive_time(&self) -> i64 {
        self.pop_time + self.invisible_time
    }

    /// The CK body as Java writes it.
    pub fn to_json(&self) -> String {
        let j = CkJson {
            bit_map: self.bit_map,
            broker_name: self.broker_name.clone(),
            cid: Some(self.cid.clone()),
            diff: self.queue_offset_diff.clone(),
            invisible_time: self.invisible_time,
            num: self.num as i8,
            pop_time: self.pop_time,
            queue_id: self.queue_id,
            revive_time: self.revive_time(),
            revive_offset: self.revive_offset,
            re_put_times: self.re_put_times.clone(),
            start_offset: self.start_offset,
            topic: Some(self.topic.clone()),
        };
        serde_json::to_string(&j).unwrap_or_default()
    }

    /// A CK body; `None` when it is not JSON or names no topic or group (Java skips those).
    pub fn parse(body: &[u8]) -> Option<CheckPoint> {
        let j: CkJson = serde_json::from_slice(body).ok()?;
        Some(CheckPoint {
            start_offset: j.start_offset,
            pop_time: j.pop_time,
            invisible_time: j.invisible_time,
            bit_map: j.bit_map,
            num: j.num as u8,
            queue_id: j.queue_id,
            topic: j.topic?,
            cid: j.cid?,
            revive_offset: j.revive_offset,
            queue_offset_diff: j.diff,
            broker_name: j.broker_name,
            re_put_times: j.re_put_times,
        })
    }

    /// Java `indexOfAck`: the slot of a queue offset in this CK, if it has one.
    pub fn index_of_ack(&self, ack_offset: i64) -> Option<usize> {
        if ack_offset < self.start_offset {
            return None;
        }
        let rel = ack_offset - self.start_offset;
        match &self.queue_offset_diff {
            Some(d) if !d.is_empty() => d.iter().position(|x| i64::from(*x) == rel),
            _ => (rel < i64::from(self.num)).then_some(rel as usize),
        }
    }

    /// Java `ackOffsetByIndex`.
    pub fn ack_offset_by_index(&self, index: usize) -> i64 {
        match &self.queue_offset_diff {
            Some(d) if !d.is_empty() => self.start_offset + i64::from(d[index]),
            _ => self.start_offset + index as i64,
        }
    }

    /// Java `parseRePutTimes`.
    pub fn re_put_times(&self) -> i32 {
        match &self.re_put_times {
            None => 0,
            Some(s) => s.parse().unwrap_or(i32::from(i8::MAX)),
        }
    }

    /// Java `genCkUniqueId`.
    pub fn unique_id(&self) -> String {
        format!(
            "{}@{}@{}@{}@{}@{}@{CK_TAG}",
            self.topic,
            self.queue_id,
            self.start_offset,
            self.cid,
            self.pop_time,
            java_str(&self.broker_name)
        )
    }

    /// The revive service's key pairing acks with this CK.
    pub fn merge_key(&self, default_broker: &str) -> String {
        merge_key(
            &self.topic,
            &self.cid,
            self.queue_id,
            self.start_offset,
            self.pop_time,
            self.broker_name.as_deref().unwrap_or(default_broker),
        )
    }
}

/// Java `String.valueOf` of a nullable string.
fn java_str(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("null")
}

/// Java's map key: topic + group + queueId + startOffset + popTime + brokerName, concatenated.
pub fn merge_key(topic: &str, group: &str, qid: i32, so: i64, pt: i64, broker: &str) -> String {
    format!("{topic}{group}{qid}{so}{pt}{broker}")
}

/// Java `AckMsg`, and `BatchAckMsg` when `ack_offset_list` is set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ack {
    pub ack_offset: i64,
    pub start_offset: i64,
    pub consumer_group: String,
    pub topic: String,
    pub queue_id: i32,
    pub pop_time: i64,
    pub broker_name: Option<String>,
    pub ack_offset_list: Option<Vec<i64>>,
}

#[derive(Serialize, Deserialize, Default)]
struct AckJson {
    #[serde(rename = "ao", alias = "ackOffset", default)]
    ack_offset: i64,
    #[serde(
        rename = "aol",
        alias = "ackOffsetList",
        skip_serializing_if = "Option::is_none"
    )]
    ack_offset_list: Option<Vec<i64>>,
    #[serde(
        rename = "bn",
        alias = "brokerName",
        skip_serializing_if = "Option::is_none"
    )]
    broker_name: Option<String>,
    #[serde(rename = "c", alias = "consumerGroup", default)]
    consumer_group: Option<String>,
    #[serde(rename = "pt", alias = "popTime", default)]
    pop_time: i64,
    #[serde(rename = "q", alias = "queueId", default)]
    queue_id: i32,
    #[serde(rename = "so", alias = "startOffset", default)]
    start_offset: i64,
    #[serde(rename = "t", alias = "topic", default)]
    topic: Option<String>,
}

impl Ack {
    pub fn to_json(&self) -> String {
        let j = AckJson {
            ack_offset: self.ack_offset,
            ack_offset_list: self.ack_offset_list.clone(),
            broker_name: self.broker_name.clone(),
            consumer_group: Some(self.consumer_group.clone()),
            pop_time: self.pop_time,
            queue_id: self.queue_id,
            start_offset: self.start_offset,
            topic: Some(self.topic.clone()),
        };
        serde_json::to_string(&j).unwrap_or_default()
    }

    pub fn parse(body: &[u8]) -> Option<Ack> {
        let j: AckJson = serde_json::from_slice(body).ok()?;
        Some(Ack {
            ack_offset: j.ack_offset,
            start_offset: j.start_offset,
            consumer_group: j.consumer_group.unwrap_or_default(),
            topic: j.topic.unwrap_or_default(),
            queue_id: j.queue_id,
            pop_time: j.pop_time,
            broker_name: j.broker_name,
            ack_offset_list: j.ack_offset_list,
        })
    }

    /// Java `genAckUniqueId`. Java's batch ack sets `genBatchAckUniqueId` first and then
    /// overwrites it with this one (ackOffset -1), so a `bAck` record carries this form too.
    pub fn unique_id(&self) -> String {
        format!(
            "{}@{}@{}@{}@{}@{}@{ACK_TAG}",
            self.topic,
            self.queue_id,
            self.ack_offset,
            self.consumer_group,
            self.pop_time,
            java_str(&self.broker_name)
        )
    }

    /// The offsets this record acknowledges.
    pub fn offsets(&self) -> Vec<i64> {
        match &self.ack_offset_list {
            Some(l) => l.clone(),
            None => vec![self.ack_offset],
        }
    }
}

/// The extra info (`POP_CK` property, `extraInfo` header) of one popped message.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraInfo {
    pub ck_queue_offset: i64,
    pub pop_time: i64,
    pub invisible_time: i64,
    pub revive_qid: i32,
    pub retry: String,
    pub broker_name: String,
    pub queue_id: i32,
    pub queue_offset: Option<i64>,
}

impl ExtraInfo {
    /// Java `ExtraInfoUtil.buildExtraInfo` (the 8-field form).
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        ck_offset: i64,
        pop_time: i64,
        invisible: i64,
        revive_qid: i32,
        topic: &str,
        broker: &str,
        qid: i32,
        queue_offset: i64,
    ) -> String {
        format!(
            "{ck_offset} {pop_time} {invisible} {revive_qid} {} {broker} {qid} {queue_offset}",
            retry_mark(topic)
        )
    }

    /// Java's getters over `split(" ")`: the first six fields are needed by every reader.
    pub fn parse(s: &str) -> Result<ExtraInfo, String> {
        let f: Vec<&str> = s.split(' ').collect();
        let bad = || format!("extraInfo is illegal: {s}");
        if f.len() < 6 {
            return Err(bad());
        }
        Ok(ExtraInfo {
            ck_queue_offset: f[0].parse().map_err(|_| bad())?,
            pop_time: f[1].parse().map_err(|_| bad())?,
            invisible_time: f[2].parse().map_err(|_| bad())?,
            revive_qid: f[3].parse().map_err(|_| bad())?,
            retry: f[4].to_string(),
            broker_name: f[5].to_string(),
            queue_id: f.get(6).and_then(|q| q.parse().ok()).unwrap_or(-1),
            queue_offset: f.get(7).and_then(|q| q.parse().ok()),
        })
    }
}

/// Java `ExtraInfoUtil.getRealTopic(topic, cid, retry)`.
pub fn real_topic(topic: &str, group: &str, retry: &str) -> Option<String> {
    match retry {
        "0" => Some(topic.to_string()),
        "1" => Some(pop_retry_topic(topic, group, false)),
        "2" => Some(pop_retry_topic(topic, group, true)),
        _ => None,
    }
}

/// `startOffsetInfo` entry: `<mark> <queueId> <startOffset>`, `;`-joined.
pub fn push_start_offset_info(buf: &mut String, topic: &str, qid: i32, start: i64) {
    if !buf.is_empty() {
        buf.push(';');
    }
    buf.push_str(&format!("{} {qid} {start}", retry_mark(topic)));
}

/// `msgOffsetInfo` entry: `<mark> <queueId> <o1>,<o2>,…`, `;`-joined.
pub fn push_msg_offset_info(buf: &mut String, topic: &str, qid: i32, offsets: &[i64]) {
    if !buf.is_empty() {
        buf.push(';');
    }
    let list: Vec<String> = offsets.iter().map(i64::to_string).collect();
    buf.push_str(&format!("{} {qid} {}", retry_mark(topic), list.join(",")));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ck() -> CheckPoint {
        CheckPoint {
            start_offset: 5,
            pop_time: 1_700_000_000_000,
            invisible_time: 60_000,
            bit_map: 0,
            num: 2,
            queue_id: 1,
            topic: "T".into(),
            cid: "G".into(),
            revive_offset: 0,
            queue_offset_diff: Some(vec![0, 1]),
            broker_name: Some("b".into()),
            re_put_times: None,
        }
    }

    #[test]
    fn check_point_json_is_fastjson_output() {
        let json = ck().to_json();
        assert_eq!(
            json,
            r#"{"bm":0,"bn":"b","c":"G","d":[0,1],"it":60000,"n":2,"pt":1700000000000,"q":1,"reviveTime":1700000060000,"ro":0,"so":5,"t":"T"}"#
        );
        assert_eq!(CheckPoint::parse(json.as_bytes()), Some(ck()));
        assert_eq!(ck().unique_id(), "T@1@5@G@1700000000000@b@ck");
        assert_eq!(ck().index_of_ack(6), Some(1));
        assert_eq!(ck().index_of_ack(7), None);
        assert_eq!(ck().ack_offset_by_index(1), 6);
    }

    #[test]
    fn old_check_points_without_diff_or_names() {
        let old = br#"{"startOffset":3,"popTime":1,"invisibleTime":2,"num":3,"queueId":0,"topic":"T","cid":"G"}"#;
        let ck = CheckPoint::parse(old).unwrap();
        assert_eq!((ck.index_of_ack(5), ck.index_of_ack(6)), (Some(2), None));
        assert!(
            CheckPoint::parse(br#"{"so":1}"#).is_none(),
            "no topic: skipped"
        );
    }

    #[test]
    fn ack_json_is_fastjson_output() {
        let ack = Ack {
            ack_offset: 6,
            start_offset: 5,
            consumer_group: "G".into(),
            topic: "T".into(),
            queue_id: 1,
            pop_time: 1_700_000_000_000,
            broker_name: Some("b".into()),
            ack_offset_list: None,
        };
        let json = ack.to_json();
        assert_eq!(
            json,
            r#"{"ao":6,"bn":"b","c":"G","pt":1700000000000,"q":1,"so":5,"t":"T"}"#
        );
        assert_eq!(Ack::parse(json.as_bytes()), Some(ack.clone()));
        assert_eq!(ack.unique_id(), "T@1@6@G@1700000000000@b@ack");
        let batch = Ack {
            ack_offset: -1,
            ack_offset_list: Some(vec![5, 6]),
            ..ack
        };
        assert_eq!(
            batch.to_json(),
            r#"{"ao":-1,"aol":[5,6],"bn":"b","c":"G","pt":1700000000000,"q":1,"so":5,"t":"T"}"#
        );
    }

    #[test]
    fn extra_info_round_trip() {
        let s = ExtraInfo::build(5, 1_700_000_000_000, 60_000, 3, "%RETRY%G_T", "b", 0, 7);
        assert_eq!(s, "5 1700000000000 60000 3 1 b 0 7");
        let e = ExtraInfo::parse(&s).unwrap();
        assert_eq!((e.revive_qid, e.queue_offset), (3, Some(7)));
        assert_eq!(
            real_topic("T", "G", &e.retry).as_deref(),
            Some("%RETRY%G_T")
        );
        assert_eq!(retry_mark("%RETRY%G+T"), "2");
        assert_eq!(normal_topic("%RETRY%G+T", "G"), "T");
        assert_eq!(normal_topic("%RETRY%G_T", "G"), "T");
        assert!(ExtraInfo::parse("1 2").is_err());
        let mut info = String::new();
        push_start_offset_info(&mut info, "T", 1, 5);
        push_start_offset_info(&mut info, "%RETRY%G_T", 0, 2);
        assert_eq!(info, "0 1 5;1 0 2");
        let mut m = String::new();
        push_msg_offset_info(&mut m, "T", 1, &[5, 6]);
        assert_eq!(m, "0 1 5,6");
    }
}
