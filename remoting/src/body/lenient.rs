//! `deserialize_with` helpers for fields that fastjson reads more loosely than serde: numbers
//! sent as strings (`"perm":"6"`; the Go client's `codeSet` is `["2598919"]`), strings sent as
//! numbers, booleans as `"true"`, null where a primitive is expected (protocol.md §3.2, §5.2.2).
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct SubscriptionData {
//!     #[serde(default, deserialize_with = "remoting::body::lenient::numbers")]
//!     code_set: Vec<i32>,
//!     #[serde(default, deserialize_with = "remoting::body::lenient::number")]
//!     sub_version: i64,
//! }
//! let s: SubscriptionData =
//!     remoting::body::from_body(br#"{"code_set":["2598919",1],"sub_version":"5"}"#).unwrap();
//! assert_eq!((s.code_set, s.sub_version), (vec![2598919, 1], 5));
//! ```

use std::str::FromStr;

use serde::de::{Deserialize, Deserializer, Error};
use serde_json::Value;

fn to_number<T, E>(v: &Value) -> Result<Option<T>, E>
where
    T: FromStr + TryFrom<i64> + TryFrom<u64>,
    E: Error,
{
    let bad = || E::custom(format!("expected a number, got {v}"));
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                T::try_from(i).map(Some).map_err(|_| bad())
            } else if let Some(u) = n.as_u64() {
                T::try_from(u).map(Some).map_err(|_| bad())
            } else {
                // fastjson truncates a decimal read into an integer field.
                let f = n.as_f64().ok_or_else(bad)?;
                T::try_from(f.trunc() as i64).map(Some).map_err(|_| bad())
            }
        }
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s.trim().parse().map(Some).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// An integer given as a JSON number or a numeric string; null reads as 0 (Java primitive).
pub fn number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + TryFrom<i64> + TryFrom<u64> + Default,
{
    Ok(to_number(&Value::deserialize(d)?)?.unwrap_or_default())
}

/// Like [`number`], but null or `""` reads as `None` (Java boxed `Integer`/`Long`).
pub fn opt_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + TryFrom<i64> + TryFrom<u64>,
{
    to_number(&Value::deserialize(d)?)
}

/// An array (or set) of integers, each a number or a numeric string; null reads as empty.
pub fn numbers<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + TryFrom<i64> + TryFrom<u64>,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .filter_map(|v| to_number(v).transpose())
            .collect(),
        other => Err(D::Error::custom(format!("expected an array, got {other}"))),
    }
}

/// A boolean given as `true`/`false`, a string (`"true"`, any case, is true) or a number (non-zero
/// is true); null reads as false.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        Value::String(s) => Ok(s.trim().eq_ignore_ascii_case("true")),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        other => Err(D::Error::custom(format!("expected a boolean, got {other}"))),
    }
}

/// A string, with numbers and booleans taken as their text; null reads as `""`.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(D::Error::custom(format!("expected a string, got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::body::from_body;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Quirky {
        #[serde(default, deserialize_with = "super::number")]
        perm: i32,
        #[serde(default, deserialize_with = "super::opt_number")]
        topic_sys_flag: Option<i32>,
        #[serde(default, deserialize_with = "super::numbers")]
        code_set: Vec<i32>,
        #[serde(default, deserialize_with = "super::boolean")]
        order: bool,
        #[serde(default, deserialize_with = "super::string")]
        topic_name: String,
    }

    #[test]
    fn java_and_go_forms_read_alike() {
        let java: Quirky = from_body(
            br#"{"perm":6,"topicSysFlag":0,"codeSet":[2598919,2598920],"order":false,"topicName":"T"}"#,
        )
        .unwrap();
        let go: Quirky = from_body(
            br#"{"perm":"6","topicSysFlag":"0","codeSet":["2598919","2598920"],"order":"false","topicName":"T"}"#,
        )
        .unwrap();
        assert_eq!(java, go);
        assert_eq!(go.code_set, [2_598_919, 2_598_920]);
    }

    #[test]
    fn nulls_empty_strings_and_bad_values() {
        let q: Quirky = from_body(
            br#"{"perm":null,"topicSysFlag":"","codeSet":null,"order":"TRUE","topicName":7}"#,
        )
        .unwrap();
        assert_eq!((q.perm, q.topic_sys_flag, q.order), (0, None, true));
        assert!(q.code_set.is_empty());
        assert_eq!(q.topic_name, "7");
        assert!(from_body::<Quirky>(br#"{"perm":"six"}"#).is_err());
        assert!(from_body::<Quirky>(br#"{"perm":99999999999}"#).is_err());
    }
}
