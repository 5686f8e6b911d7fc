//! Consumer subscriptions (Java `SubscriptionData`) and tag filtering.
//!
//! Heartbeats carry them in three dialects: Java (`codeSet` numbers, `subVersion` in ms), Go
//! (`codeSet` strings, `subVersion` in ns, `tagsSet: []` for `*`) and C++ (`subVersion` a string,
//! `codeSet` zeros, no `expressionType`). The body layer (`remoting::body::lenient`) reads all
//! three into one type; we emit Java's shape. Filtering compares the stored tags code (Java `String.hashCode` of
//! `TAGS`) with `codeSet` (Java `ExpressionMessageFilter#isMatchedByConsumeQueue`).

use serde::{Deserialize, Serialize};

use crate::error::Reject;

pub const SUB_ALL: &str = "*";

/// Java `SubscriptionData`, fields in fastjson's sorted order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionData {
    #[serde(default)]
    pub class_filter_mode: bool,
    #[serde(default)]
    pub code_set: Vec<i32>,
    #[serde(default = "tag_type")]
    pub expression_type: String,
    #[serde(default)]
    pub sub_string: String,
    #[serde(default)]
    pub sub_version: i64,
    #[serde(default)]
    pub tags_set: Vec<String>,
    #[serde(default)]
    pub topic: String,
}

fn tag_type() -> String {
    "TAG".into()
}

impl SubscriptionData {
    /// Java `FilterAPI.buildSubscriptionData`: `*`/empty = all, else tags split on `||`.
    pub fn build(topic: &str, expression: &str, expression_type: Option<&str>) -> Self {
        let expr = expression.trim();
        let (sub_string, tags) = if expr.is_empty() || expr == SUB_ALL {
            (SUB_ALL.to_string(), Vec::new())
        } else {
            let tags: Vec<String> = expr
                .split("||")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            (expr.to_string(), tags)
        };
        Self {
            class_filter_mode: false,
            code_set: tags.iter().map(|t| java_hash(t)).collect(),
            expression_type: expression_type
                .filter(|t| !t.is_empty())
                .unwrap_or("TAG")
                .to_string(),
            sub_string,
            sub_version: crate::persist::now_millis(),
            tags_set: tags,
            topic: topic.to_string(),
        }
    }

    /// Java `ExpressionType.isTagType`: empty or exactly `TAG`.
    pub fn is_tag_type(&self) -> bool {
        self.expression_type.is_empty() || self.expression_type == "TAG"
    }

    /// Java's answer (`PullMessageProcessor`, `ClientManageProcessor.checkClientConfig`) to a
    /// subscription that is not of TAG type when `enablePropertyFilter` is false, the only value
    /// Thrust accepts: SYSTEM_ERROR naming the expression type.
    pub fn unsupported_filter(&self) -> Option<Reject> {
        (!self.is_tag_type()).then(|| {
            Reject::system(format!(
                "The broker does not support consumer to filter message by {}",
                self.expression_type
            ))
        })
    }

    pub fn matches_all(&self) -> bool {
        self.sub_string.is_empty() || self.sub_string == SUB_ALL
    }

    /// Java `ExpressionMessageFilter#isMatchedByConsumeQueue` for TAG subscriptions (others are
    /// refused before a read: [`SubscriptionData::unsupported_filter`]).
    pub fn matches_tags_code(&self, tags_code: i64) -> bool {
        if !self.is_tag_type() || self.matches_all() || self.class_filter_mode {
            return true;
        }
        self.code_set.contains(&(tags_code as i32))
    }
}

/// Java `String.hashCode` over UTF-16 code units.
pub fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_and_go_heartbeat_subscriptions() {
        let java: SubscriptionData = remoting::body::from_body(br#"{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}"#).unwrap();
        let go: SubscriptionData = remoting::body::from_body(br#"{"classFilterMode":false,"topic":"T","subString":"TagA","tagsSet":["TagA"],"codeSet":["2598919"],"subVersion":1700000000000000000,"expressionType":"TAG"}"#).unwrap();
        assert_eq!(java.code_set, vec![2598919, 2598920]);
        assert_eq!(go.code_set, vec![2598919]);
        assert_eq!(go.sub_version, 1_700_000_000_000_000_000);
        assert!(java.matches_tags_code(2598920));
        assert!(!java.matches_tags_code(1));
    }

    #[test]
    fn build_and_hash() {
        assert_eq!(java_hash("TagA"), 2598919);
        assert_eq!(java_hash(""), 0);
        let s = SubscriptionData::build("T", "TagA || TagB", None);
        assert_eq!(s.tags_set, vec!["TagA", "TagB"]);
        assert_eq!(s.code_set, vec![2598919, 2598920]);
        let all = SubscriptionData::build("T", "*", Some("TAG"));
        assert!(all.matches_tags_code(12345));
    }
}
