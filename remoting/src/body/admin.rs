//! Bodies of admin requests answered by the broker alone (`.../protocol/body/*.java`, 5.3.3):
//! VIEW_BROKER_STATS_DATA (315), QUERY_CONSUME_QUEUE (321), INVOKE_BROKER_TO_GET_CONSUMER_STATUS
//! (223, whose client-side half is GET_CONSUMER_STATUS_FROM_CLIENT, 221) and
//! SET_MESSAGE_REQUEST_MODE (401).
//!
//! Fields are declared in fastjson's sorted order; `null` fields are omitted as fastjson does.
//! ```text
//! 315 {"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour":{…},"statsMinute":{…}}
//! 321 {"filterData":"null","maxQueueIndex":3,"minQueueIndex":0,
//!      "queueData":[{"eval":false,"physicOffset":0,"physicSize":190,"tagsCode":0}],
//!      "subscriptionData":{…}}
//! 223 {"consumerTable":{"<clientId>":{{"brokerName":"b","queueId":0,"topic":"T"}:12}},
//!      "messageQueueTable":{}}
//! ```
//! The `MessageQueue` keys of 221/223 are kept as their JSON text (see [`crate::body::object_key`])
//! and written raw with [`crate::body::to_body_fastjson`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

java_enum! {
    /// Java `MessageRequestMode`.
    MessageRequestMode {
        Pull = "PULL",
        Pop = "POP",
    }
}

/// Java `SetMessageRequestModeRequestBody` (401), also the entry of the broker's
/// `messageRequestMode.json` table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SetMessageRequestModeRequestBody {
    #[serde(default)]
    pub consumer_group: String,
    #[serde(default = "pull")]
    pub mode: MessageRequestMode,
    #[serde(default)]
    pub pop_share_queue_num: i32,
    #[serde(default)]
    pub topic: String,
}

fn pull() -> MessageRequestMode {
    MessageRequestMode::Pull
}

/// Java `BrokerStatsItem`: one window of a stats item.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerStatsItem {
    pub avgpt: f64,
    pub sum: i64,
    pub tps: f64,
}

/// Java `BrokerStatsData` (VIEW_BROKER_STATS_DATA response).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerStatsData {
    pub stats_day: BrokerStatsItem,
    pub stats_hour: BrokerStatsItem,
    pub stats_minute: BrokerStatsItem,
}

/// Java `ConsumeQueueData`: one consume-queue unit as QUERY_CONSUME_QUEUE reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeQueueData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bit_map: Option<String>,
    pub eval: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extend_data_json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    pub physic_offset: i64,
    pub physic_size: i32,
    pub tags_code: i64,
}

/// Java `QueryConsumeQueueResponseBody`; `S` is the subscription type (Java `SubscriptionData`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QueryConsumeQueueResponseBody<S> {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub filter_data: Option<String>,
    pub max_queue_index: i64,
    pub min_queue_index: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub queue_data: Option<Vec<ConsumeQueueData>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subscription_data: Option<S>,
}

/// Java `GetConsumerStatusBody`: a client's offsets (`messageQueueTable`, answer to 221) or the
/// offsets of every client of a group (`consumerTable`, answer to 223). Keys are `MessageQueue`
/// JSON texts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct GetConsumerStatusBody {
    pub consumer_table: BTreeMap<String, BTreeMap<String, i64>>,
    pub message_queue_table: BTreeMap<String, i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{from_body, to_body_fastjson, try_to_body};

    #[test]
    fn fastjson_forms_read_alike() {
        crate::body::assert_read_alike::<GetConsumerStatusBody>(include_str!(
            "../../../testdata/fastjson/GetConsumerStatusBody.txt"
        ));
    }

    #[test]
    fn stats_data_shape() {
        let d = BrokerStatsData {
            stats_minute: BrokerStatsItem {
                avgpt: 1.0,
                sum: 4,
                tps: 0.4,
            },
            ..Default::default()
        };
        let text = String::from_utf8(try_to_body(&d).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour":{"avgpt":0.0,"sum":0,"tps":0.0},"statsMinute":{"avgpt":1.0,"sum":4,"tps":0.4}}"#
        );
        let back: BrokerStatsData = from_body(text.as_bytes()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn consume_queue_body_omits_nulls() {
        let b = QueryConsumeQueueResponseBody::<()> {
            filter_data: None,
            max_queue_index: 2,
            min_queue_index: 0,
            queue_data: Some(vec![ConsumeQueueData {
                physic_offset: 380,
                physic_size: 190,
                tags_code: 7,
                ..Default::default()
            }]),
            subscription_data: None,
        };
        assert_eq!(
            String::from_utf8(try_to_body(&b).unwrap()).unwrap(),
            r#"{"maxQueueIndex":2,"minQueueIndex":0,"queueData":[{"eval":false,"physicOffset":380,"physicSize":190,"tagsCode":7}]}"#
        );
    }

    #[test]
    fn consumer_status_from_java_and_back() {
        let java = br#"{"messageQueueTable":{{"brokerName":"b","queueId":1,"topic":"T"}:5}}"#;
        let client: GetConsumerStatusBody = from_body(java).unwrap();
        let mut all = GetConsumerStatusBody::default();
        all.consumer_table
            .insert("c1".into(), client.message_queue_table);
        let out = String::from_utf8(to_body_fastjson(&all).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"consumerTable":{"c1":{{"brokerName":"b","queueId":1,"topic":"T"}:5}},"messageQueueTable":{}}"#
        );
    }
}
