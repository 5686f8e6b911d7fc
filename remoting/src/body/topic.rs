//! Java `TopicConfig` and `DataVersion`: what a broker persists in `config/topics.json`, sends in
//! `REGISTER_BROKER` (inside `TopicConfigSerializeWrapper`) and the NameServer decodes.
//!
//! JSON (fastjson, properties sorted; 4.9.8 has no `attributes` and no `stateVersion`, and both
//! are read as absent → empty / 0):
//! ```text
//! {"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",
//!  "topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}
//! {"counter":3,"stateVersion":0,"timestamp":1795331003295}
//! ```
//! The table travels in [`TopicConfigSerializeWrapper`]: `{"dataVersion":…,"topicConfigTable":{…}}`
//! in topics.json, plus `mappingDataVersion` and the static-topic maps in a 5.3.3 registration.
//!
//! Text form (`TopicConfig#encode`, used in compressed registration bodies), single spaces:
//! `name readQueueNums writeQueueNums perm topicFilterType attributesJson`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::BodyError;

/// Java `PermName.PERM_PRIORITY`.
pub const PERM_PRIORITY: i32 = 8;
/// Java `PermName.PERM_READ`.
pub const PERM_READ: i32 = 4;
/// Java `PermName.PERM_WRITE`.
pub const PERM_WRITE: i32 = 2;
/// Java `PermName.PERM_INHERIT`.
pub const PERM_INHERIT: i32 = 1;

java_enum! {
    /// Java `TopicFilterType`.
    TopicFilterType {
        SingleTag = "SINGLE_TAG",
        MultiTag = "MULTI_TAG",
    }
}

/// Java `DataVersion`: identifies one state of a table (a broker's topics, its config). Equality
/// is on all three fields, as 5.3.3's `DataVersion#equals`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DataVersion {
    #[serde(default)]
    pub counter: i64,
    #[serde(default)]
    pub state_version: i64,
    #[serde(default)]
    pub timestamp: i64,
}

/// Java `TopicConfig`. `attributes` is always written, as 5.3.3 initializes it to an empty map;
/// `topicName` defaults to empty so that a table entry without it can take its map key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfig {
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub order: bool,
    #[serde(default = "default_perm")]
    pub perm: i32,
    #[serde(default = "default_queue_nums")]
    pub read_queue_nums: i32,
    #[serde(default = "default_filter_type")]
    pub topic_filter_type: TopicFilterType,
    #[serde(default)]
    pub topic_name: String,
    #[serde(default)]
    pub topic_sys_flag: i32,
    #[serde(default = "default_queue_nums")]
    pub write_queue_nums: i32,
}

fn default_perm() -> i32 {
    PERM_READ | PERM_WRITE
}
fn default_queue_nums() -> i32 {
    16
}
fn default_filter_type() -> TopicFilterType {
    TopicFilterType::SingleTag
}

impl TopicConfig {
    /// Java `new TopicConfig(name)`: 16/16 queues, perm RW, SINGLE_TAG.
    pub fn new(name: &str) -> Self {
        Self::with_queues(name, default_queue_nums(), default_perm())
    }

    /// `queues` read and write queues with `perm`, otherwise Java's defaults.
    pub fn with_queues(name: &str, queues: i32, perm: i32) -> Self {
        Self {
            attributes: BTreeMap::new(),
            order: false,
            perm,
            read_queue_nums: queues,
            topic_filter_type: default_filter_type(),
            topic_name: name.to_string(),
            topic_sys_flag: 0,
            write_queue_nums: queues,
        }
    }

    pub fn readable(&self) -> bool {
        self.perm & PERM_READ != 0
    }
    pub fn writeable(&self) -> bool {
        self.perm & PERM_WRITE != 0
    }
    pub fn is_multi_tag(&self) -> bool {
        self.topic_filter_type == TopicFilterType::MultiTag
    }

    /// Java `TopicConfig#decode`: `name read write perm filterType [attributesJson]`, split on
    /// single spaces. `topicSysFlag` and `order` are not in the text (0/false). An unparsable
    /// attributes part is ignored as Java does (values may contain spaces).
    pub fn decode_text(text: &str) -> Result<Self, BodyError> {
        let bad = |reason: String| BodyError::TopicConfigText {
            text: text.to_string(),
            reason,
        };
        let parts: Vec<&str> = text.split(' ').collect();
        if parts.len() < 5 {
            return Err(bad("fewer than 5 fields".into()));
        }
        let int = |s: &str| s.parse::<i32>().map_err(|e| bad(e.to_string()));
        let filter = TopicFilterType::from_name(parts[4])
            .ok_or_else(|| bad(format!("unknown topicFilterType {:?}", parts[4])))?;
        Ok(TopicConfig {
            attributes: parts
                .get(5)
                .and_then(|a| super::from_body(a.as_bytes()).ok())
                .unwrap_or_default(),
            order: false,
            perm: int(parts[3])?,
            read_queue_nums: int(parts[1])?,
            topic_filter_type: filter,
            topic_name: parts[0].to_string(),
            topic_sys_flag: 0,
            write_queue_nums: int(parts[2])?,
        })
    }

    /// Java `TopicConfig#encode` (5.x form, attributes JSON appended).
    pub fn encode_text(&self) -> String {
        format!(
            "{} {} {} {} {} {}",
            self.topic_name,
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type,
            serde_json::to_string(&self.attributes).unwrap_or_default()
        )
    }
}

/// Java `TopicConfigSerializeWrapper` / 5.x `TopicConfigAndMappingSerializeWrapper`. The
/// optional parts are left out when `None` (topics.json, 4.9.8 registrations).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfigSerializeWrapper {
    #[serde(default)]
    pub data_version: DataVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_data_version: Option<DataVersion>,
    #[serde(default)]
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_detail_map: Option<Value>,
    /// topic → `TopicQueueMappingInfo` (static topics, 5.x); kept as JSON and handed back in routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_queue_mapping_info_map: Option<BTreeMap<String, Value>>,
}

impl TopicConfigSerializeWrapper {
    /// Java keys the queue table by `TopicConfig#getTopicName`; a config without a name falls
    /// back to its map key so it is not lost.
    pub fn fill_names(mut self) -> Self {
        for (key, tc) in self.topic_config_table.iter_mut() {
            if tc.topic_name.is_empty() {
                tc.topic_name = key.clone();
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fastjson_forms_read_alike() {
        crate::body::assert_read_alike::<DataVersion>(include_str!(
            "../../../testdata/fastjson/DataVersion.txt"
        ));
    }

    #[test]
    fn json_is_fastjson_533_and_reads_498() {
        let tc = TopicConfig::with_queues("TopicTest", 4, 6);
        let json = r#"{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}"#;
        assert_eq!(serde_json::to_string(&tc).unwrap(), json);
        let v498 = r#"{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}"#;
        assert_eq!(serde_json::from_str::<TopicConfig>(v498).unwrap(), tc);
        let dv: DataVersion = serde_json::from_str(r#"{"counter":3,"timestamp":5}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&dv).unwrap(),
            r#"{"counter":3,"stateVersion":0,"timestamp":5}"#
        );
    }

    #[test]
    fn wrapper_writes_only_the_parts_it_has() {
        let mut w = TopicConfigSerializeWrapper::default();
        w.topic_config_table
            .insert("T".into(), TopicConfig::with_queues("", 1, 6));
        let w = w.fill_names();
        assert_eq!(w.topic_config_table["T"].topic_name, "T");
        let json = serde_json::to_string(&w).unwrap();
        assert!(json.starts_with(r#"{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":0},"topicConfigTable":{"T":{"#));
        let with_mapping = TopicConfigSerializeWrapper {
            mapping_data_version: Some(DataVersion::default()),
            topic_queue_mapping_detail_map: Some(Value::Object(Default::default())),
            topic_queue_mapping_info_map: Some(BTreeMap::new()),
            ..TopicConfigSerializeWrapper::default()
        };
        assert_eq!(
            serde_json::to_string(&with_mapping).unwrap(),
            r#"{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":0},"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":0},"topicConfigTable":{},"topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}}"#
        );
    }

    #[test]
    fn text_form_round_trips_and_refuses_garbage() {
        let mut tc = TopicConfig::with_queues("T", 4, 6);
        tc.attributes.insert("+message.type".into(), "FIFO".into());
        let text = tc.encode_text();
        assert_eq!(text, r#"T 4 4 6 SINGLE_TAG {"+message.type":"FIFO"}"#);
        assert_eq!(TopicConfig::decode_text(&text).unwrap(), tc);
        let plain = TopicConfig::decode_text("T 4 4 6 MULTI_TAG").unwrap();
        assert!(plain.attributes.is_empty() && plain.is_multi_tag());
        assert!(TopicConfig::decode_text("T 4 4 6").is_err());
        assert!(TopicConfig::decode_text("T x 4 6 SINGLE_TAG").is_err());
        assert!(TopicConfig::decode_text("T 4 4 6 OTHER").is_err());
    }
}
