//! `RegisterBrokerBody`, the REGISTER_BROKER body: the broker writes it, the NameServer reads it.
//!
//! JSON form (4.9.8; 5.3.3 adds `stateVersion`, `mappingDataVersion`, `attributes` and the
//! static-topic maps):
//! ```text
//! {"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":0,"timestamp":1700000000000},
//!  "topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",
//!  "topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}
//! ```
//!
//! Compressed form (`RegisterBrokerBody#encode(true)`): a zlib stream (`78 DA`, Java's
//! `Deflater(BEST_COMPRESSION)`) whose inflated bytes are, all ints big-endian:
//! ```text
//! +--------+--------------------+--------+ N x +--------+---------------------------------------+
//! | len i32| DataVersion JSON   | N  i32 |     | len i32| "name read write perm filterType [attrs]"|
//! +--------+--------------------+--------+     +--------+---------------------------------------+
//! +--------+------------------------+ (version >= V5_0_0) +--------+ M x +--------+--------------+
//! | len i32| filter servers JSON [] |                     | M  i32 |     | len i32| mapping JSON |
//! +--------+------------------------+                     +--------+     +--------+--------------+
//! ```
//! `topicSysFlag` and `order` are not carried in the compressed form (they read back as 0/false).

use std::collections::BTreeMap;
use std::io::Read;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::topic::{DataVersion, TopicConfig, TopicConfigSerializeWrapper};
use super::{from_body, to_body};
use crate::error::BodyError;

type Result<T> = std::result::Result<T, BodyError>;

/// `MQVersion.Version.V3_0_11.ordinal()`: brokers older than this send a bare
/// `TopicConfigSerializeWrapper` instead of a `RegisterBrokerBody`.
pub const VERSION_3_0_11: i32 = 37;
/// `MQVersion.Version.V5_0_0.ordinal()`: compressed bodies from here on end with mapping infos.
pub const VERSION_5_0_0: i32 = 413;

/// Upper bound on an inflated compressed body; a 16 MiB frame of BEST_COMPRESSION text stays
/// far below it, a zip bomb does not.
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// Java `RegisterBrokerBody`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBrokerBody {
    #[serde(default)]
    pub filter_server_list: Vec<String>,
    #[serde(default)]
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
}

impl RegisterBrokerBody {
    /// Decodes a REGISTER_BROKER body as `DefaultRequestProcessor#registerBroker` does.
    ///
    /// * `version < V3_0_11`: a bare `TopicConfigSerializeWrapper`.
    /// * `compressed` or a body starting with the zlib byte `0x78`: the binary form. The 5.3.3
    ///   broker always sends `compressed=false`, even when it compressed (`BrokerOuterAPI`), so the
    ///   first byte is sniffed too — a JSON body starts with `{`.
    /// * otherwise JSON.
    pub fn decode(body: &[u8], compressed: bool, version: i32) -> Result<Self> {
        if version < VERSION_3_0_11 {
            let wrapper: TopicConfigSerializeWrapper = from_body(body)?;
            return Ok(RegisterBrokerBody {
                filter_server_list: Vec::new(),
                topic_config_serialize_wrapper: wrapper.fill_names(),
            });
        }
        if compressed || body.first() == Some(&0x78) {
            return Self::decode_compressed(body, version);
        }
        let mut parsed: RegisterBrokerBody = from_body(body)?;
        parsed.topic_config_serialize_wrapper = parsed.topic_config_serialize_wrapper.fill_names();
        Ok(parsed)
    }

    /// Java `RegisterBrokerBody#decode(data, true, version)`.
    pub fn decode_compressed(body: &[u8], version: i32) -> Result<Self> {
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(body)
            .take(MAX_INFLATED)
            .read_to_end(&mut inflated)
            .map_err(|e| compressed(e.to_string()))?;
        let mut r = Reader { buf: &inflated };

        let data_version: DataVersion = from_body(r.chunk()?)?;
        let count = r.int()?;
        let mut table = BTreeMap::new();
        for _ in 0..count {
            let text = std::str::from_utf8(r.chunk()?).map_err(|e| compressed(e.to_string()))?;
            let tc = TopicConfig::decode_text(text).map_err(|e| compressed(e.to_string()))?;
            table.insert(tc.topic_name.clone(), tc);
        }
        // Java logs and continues with an empty list when this JSON does not parse.
        let filter_server_list = from_body(r.chunk()?).unwrap_or_default();
        let mut mapping = None;
        if version >= VERSION_5_0_0 && !r.buf.is_empty() {
            let mut infos = BTreeMap::new();
            for _ in 0..r.int()? {
                let info: Value = from_body(r.chunk()?)?;
                let topic = info
                    .get("topic")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                infos.insert(topic, info);
            }
            mapping = Some(infos);
        }
        Ok(RegisterBrokerBody {
            filter_server_list,
            topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
                data_version,
                topic_config_table: table,
                topic_queue_mapping_info_map: mapping,
                ..Default::default()
            },
        })
    }

    /// Java `RegisterBrokerBody#encode(true)`: the zlib binary form (used by tests and by
    /// tools that want to exercise a NameServer with it).
    pub fn encode_compressed(&self) -> Vec<u8> {
        use std::io::Write;
        let wrapper = &self.topic_config_serialize_wrapper;
        let mut raw = Vec::new();
        put_chunk(&mut raw, &to_body(&wrapper.data_version));
        raw.extend_from_slice(&(wrapper.topic_config_table.len() as i32).to_be_bytes());
        for tc in wrapper.topic_config_table.values() {
            put_chunk(&mut raw, tc.encode_text().as_bytes());
        }
        put_chunk(&mut raw, &to_body(&self.filter_server_list));
        let infos = wrapper
            .topic_queue_mapping_info_map
            .clone()
            .unwrap_or_default();
        raw.extend_from_slice(&(infos.len() as i32).to_be_bytes());
        for info in infos.values() {
            put_chunk(&mut raw, &to_body(info));
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing into a Vec cannot fail.
        let _ = z.write_all(&raw);
        z.finish().unwrap_or_default()
    }
}

/// Java's message when the inflated stream ends early.
const END_OF_DATA: &str = "End of compressed data has reached";

fn compressed(reason: String) -> BodyError {
    BodyError::Compressed {
        what: "RegisterBrokerBody",
        reason,
    }
}

fn put_chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Cursor over the inflated compressed body; every read is length-checked.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn int(&mut self) -> Result<i32> {
        if self.buf.len() < 4 {
            return Err(compressed(END_OF_DATA.into()));
        }
        let (head, rest) = self.buf.split_at(4);
        self.buf = rest;
        Ok(i32::from_be_bytes([head[0], head[1], head[2], head[3]]))
    }

    fn chunk(&mut self) -> Result<&'a [u8]> {
        let len = self.int()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l <= self.buf.len())
            .ok_or_else(|| compressed(END_OF_DATA.into()))?;
        let (head, rest) = self.buf.split_at(len);
        self.buf = rest;
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fastjson_forms_read_alike() {
        crate::body::assert_read_alike::<RegisterBrokerBody>(include_str!(
            "../../../testdata/fastjson/RegisterBrokerBody.txt"
        ));
    }

    /// Verbatim from a 4.9.8 broker (protocol spec §5.1.2).
    const BODY_498: &str = r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":0,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}"#;
    /// Verbatim from a 5.3.3 broker (protocol spec §5.1.2).
    const BODY_533: &str = r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":1700000000000},"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}},"topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}}}"#;

    fn topic_test() -> TopicConfig {
        TopicConfig {
            read_queue_nums: 4,
            write_queue_nums: 4,
            ..TopicConfig::new("TopicTest")
        }
    }

    #[test]
    fn parses_498_json_body() {
        let body = RegisterBrokerBody::decode(BODY_498.as_bytes(), false, 409).unwrap();
        let w = &body.topic_config_serialize_wrapper;
        assert_eq!(
            w.data_version,
            DataVersion {
                counter: 0,
                state_version: 0,
                timestamp: 1_700_000_000_000
            }
        );
        assert_eq!(w.topic_config_table["TopicTest"], topic_test());
        assert!(body.filter_server_list.is_empty());
    }

    #[test]
    fn parses_533_json_body() {
        let body = RegisterBrokerBody::decode(BODY_533.as_bytes(), false, 479).unwrap();
        let w = &body.topic_config_serialize_wrapper;
        let tc = &w.topic_config_table["TopicTest"];
        assert!(tc.attributes.is_empty());
        assert_eq!(tc.read_queue_nums, 4);
        assert_eq!(w.topic_queue_mapping_info_map, Some(BTreeMap::new()));
    }

    #[test]
    fn encodes_data_version_as_533() {
        let dv = DataVersion {
            counter: 3,
            state_version: 0,
            timestamp: 1_795_331_003_295,
        };
        assert_eq!(
            to_body(&dv),
            br#"{"counter":3,"stateVersion":0,"timestamp":1795331003295}"#
        );
    }

    #[test]
    fn compressed_round_trip_and_sniffing() {
        let mut body = RegisterBrokerBody::decode(BODY_533.as_bytes(), false, 479).unwrap();
        body.topic_config_serialize_wrapper.mapping_data_version = None;
        body.topic_config_serialize_wrapper
            .topic_queue_mapping_detail_map = None;
        let z = body.encode_compressed();
        assert_eq!(&z[..2], &[0x78, 0xDA]);
        // The 5.3.3 broker says compressed=false even when it compressed: sniffed.
        let back = RegisterBrokerBody::decode(&z, false, 479).unwrap();
        assert_eq!(back, body);
    }

    #[test]
    fn compressed_inflated_layout_matches_spec_example() {
        // Inflated example from protocol spec §5.1.2, built by hand and deflated.
        use std::io::Write;
        let mut raw = Vec::new();
        put_chunk(
            &mut raw,
            br#"{"counter":0,"stateVersion":0,"timestamp":1795331003295}"#,
        );
        raw.extend_from_slice(&1i32.to_be_bytes());
        put_chunk(&mut raw, b"TopicTest 4 4 6 SINGLE_TAG {}");
        put_chunk(&mut raw, b"[]");
        raw.extend_from_slice(&0i32.to_be_bytes());
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&raw).unwrap();
        let body = RegisterBrokerBody::decode(&z.finish().unwrap(), true, 479).unwrap();
        let w = body.topic_config_serialize_wrapper;
        assert_eq!(w.data_version.timestamp, 1_795_331_003_295);
        let tc = &w.topic_config_table["TopicTest"];
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (4, 4, 6)
        );
        assert!(tc.attributes.is_empty());
    }

    #[test]
    fn truncated_compressed_body_is_an_error() {
        let body = RegisterBrokerBody::decode(BODY_498.as_bytes(), false, 409).unwrap();
        let z = body.encode_compressed();
        assert!(RegisterBrokerBody::decode(&z[..z.len() / 2], true, 409).is_err());
    }

    #[test]
    fn legacy_version_body_is_a_bare_wrapper() {
        let wrapper =
            r#"{"dataVersion":{"counter":2,"timestamp":5},"topicConfigTable":{"T":{"perm":6}}}"#;
        let body = RegisterBrokerBody::decode(wrapper.as_bytes(), false, 10).unwrap();
        let tc = &body.topic_config_serialize_wrapper.topic_config_table["T"];
        assert_eq!(tc.topic_name, "T");
        assert_eq!(tc.read_queue_nums, 16);
    }

    #[test]
    fn malformed_json_is_a_clear_error() {
        let err = RegisterBrokerBody::decode(b"{\"filterServerList\":[", false, 409).unwrap_err();
        assert!(err.to_string().contains("JSON"), "{err}");
    }

    #[test]
    fn corrupted_compressed_bodies_never_panic() {
        let body = RegisterBrokerBody::decode(BODY_533.as_bytes(), false, 479).unwrap();
        let z = body.encode_compressed();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bad = z.clone();
            let pos = (seed as usize) % bad.len();
            bad[pos] ^= (seed >> 32) as u8 | 1;
            let _ = RegisterBrokerBody::decode(&bad, true, 479);
        }
        // Inflated content claiming a 2 GiB chunk.
        use std::io::Write;
        let mut raw = Vec::new();
        raw.extend_from_slice(&i32::MAX.to_be_bytes());
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&raw).unwrap();
        assert!(RegisterBrokerBody::decode(&enc.finish().unwrap(), true, 479).is_err());
    }
}
