//! JSON command headers (serialize type 0), written as Java's fastjson writes `RemotingCommand`
//! and read as leniently as fastjson reads them.
//!
//! Emit (fastjson `JSON.toJSONString`): properties sorted by name, nulls omitted, compact:
//! `{"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":7,`
//! `"remark":"..","serializeTypeCurrentRPC":"JSON","version":409}`. Ext values are always strings
//! (Go's `map[string]string` rejects anything else).
//!
//! Accept (protocol.md §2.2): keys in any order, unknown keys, missing `remark`/`extFields`,
//! ext values that are numbers/booleans (stringified) or null (absent), `language` as any name
//! (case-insensitive, unknown → [`LanguageCode::Unknown`]) or ordinal, numeric fields as numeric
//! strings, trailing whitespace (C++ ends with `\n`). Bare/single-quoted keys are accepted through
//! the lenient reader of [`crate::body`].

use bytes::{BufMut, BytesMut};
use serde_json::Value;

use crate::body;
use crate::command::{Command, ExtFields, LanguageCode, SerializeType};
use crate::error::CodecError;

/// Appends the JSON header of `cmd` to `out`.
pub fn write_header(cmd: &Command, out: &mut BytesMut) {
    out.put_slice(b"{\"code\":");
    put_int(out, i64::from(cmd.code));
    if !cmd.ext_fields.is_empty() {
        out.put_slice(b",\"extFields\":{");
        for (i, (k, v)) in cmd.ext_fields.iter().enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            put_str(out, k);
            out.put_u8(b':');
            put_str(out, v);
        }
        out.put_u8(b'}');
    }
    out.put_slice(b",\"flag\":");
    put_int(out, i64::from(cmd.flag));
    if let Some(name) = cmd.language.name() {
        out.put_slice(b",\"language\":");
        put_str(out, name);
    }
    out.put_slice(b",\"opaque\":");
    put_int(out, i64::from(cmd.opaque));
    if let Some(remark) = &cmd.remark {
        out.put_slice(b",\"remark\":");
        put_str(out, remark);
    }
    out.put_slice(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    put_int(out, i64::from(cmd.version));
    out.put_u8(b'}');
}

fn put_int(out: &mut BytesMut, n: i64) {
    out.put_slice(n.to_string().as_bytes());
}

/// A JSON string as fastjson escapes it (`SerializeWriter.writeStringWithDoubleQuote`):
/// `"` and `\` escaped, `\b \t \n \f \r` as letter escapes, other control characters and
/// U+007F..U+009F and the line/paragraph separators U+2028/U+2029 as `\uXXXX` with upper-case
/// hex; everything else raw UTF-8 (checked against fastjson 1.2.69 and 1.2.83 output).
pub(crate) fn put_str(out: &mut BytesMut, s: &str) {
    out.put_u8(b'"');
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        let escape: Option<&[u8]> = match ch {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\u{8}' => Some(b"\\b"),
            '\t' => Some(b"\\t"),
            '\n' => Some(b"\\n"),
            '\u{c}' => Some(b"\\f"),
            '\r' => Some(b"\\r"),
            _ => None,
        };
        let unicode = (ch as u32) < 0x20
            || ('\u{7f}'..'\u{a0}').contains(&ch)
            || ch == '\u{2028}'
            || ch == '\u{2029}';
        if escape.is_none() && !unicode {
            continue;
        }
        out.put_slice(&s.as_bytes()[start..i]);
        start = i + ch.len_utf8();
        match escape {
            Some(e) => out.put_slice(e),
            None => out.put_slice(format!("\\u{:04X}", ch as u32).as_bytes()),
        }
    }
    out.put_slice(&s.as_bytes()[start..]);
    out.put_u8(b'"');
}

/// Parses a JSON header into a command without body.
pub fn read_header(bytes: &[u8]) -> Result<Command, CodecError> {
    // Strict JSON first (what every known client sends), fastjson-lenient syntax as a fallback.
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(strict) => {
            body::parse_lenient(bytes).map_err(|_| CodecError::JsonHeader(strict.to_string()))?
        }
    };
    let Value::Object(map) = value else {
        return Err(CodecError::JsonHeader("header is not a JSON object".into()));
    };
    let mut cmd = Command::response(0, None);
    cmd.flag = 0;
    cmd.version = 0;
    cmd.serialize_type = SerializeType::Json;
    for (key, value) in &map {
        match key.as_str() {
            "code" => cmd.code = int_field("code", value)?,
            "flag" => cmd.flag = int_field("flag", value)?,
            "opaque" => cmd.opaque = int_field("opaque", value)?,
            "version" => cmd.version = int_field("version", value)?,
            "language" => cmd.language = language(value),
            "remark" => cmd.remark = scalar_text(value),
            "extFields" => cmd.ext_fields = ext_fields(value)?,
            _ => {}
        }
    }
    Ok(cmd)
}

fn int_field(name: &str, value: &Value) -> Result<i32, CodecError> {
    let n = match value {
        Value::Null => Some(0),
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    n.and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| CodecError::JsonHeader(format!("`{name}` is not an int: {value}")))
}

fn language(value: &Value) -> LanguageCode {
    match value {
        Value::String(s) => LanguageCode::from_name(s),
        Value::Number(n) => n
            .as_i64()
            .map_or(LanguageCode::Unknown, LanguageCode::from_code),
        _ => LanguageCode::Unknown,
    }
}

/// Java's `String.valueOf` of a scalar; `null` → absent; objects/arrays keep their JSON text.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn ext_fields(value: &Value) -> Result<ExtFields, CodecError> {
    match value {
        Value::Null => Ok(ExtFields::new()),
        Value::Object(map) => Ok(map
            .iter()
            .filter_map(|(k, v)| scalar_text(v).map(|v| (k.clone(), v)))
            .collect()),
        other => Err(CodecError::JsonHeader(format!(
            "`extFields` is not an object: {other}"
        ))),
    }
}
