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

use std::borrow::Cow;
use std::fmt;

use bytes::BytesMut;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::body;
use crate::command::{Command, ExtFields, LanguageCode, SerializeType};
use crate::error::CodecError;

/// Appends the JSON header of `cmd` to `out`, whose room is reserved once: its appends then
/// inline to a copy each (the trait's `put_slice` would be a call each).
pub fn write_header(cmd: &Command, out: &mut BytesMut) {
    let fields = &cmd.ext_fields;
    // Text and punctuation: a bound unless there are characters to escape.
    let ext = fields.text_len() + 6 * fields.len();
    let remark = cmd.remark.as_ref().map_or(0, |r| r.len() + 12);
    out.reserve(128 + ext + remark);
    out.extend_from_slice(b"{\"code\":");
    put_int(out, i64::from(cmd.code));
    if !fields.is_empty() {
        out.extend_from_slice(b",\"extFields\":{");
        match fields.json_body() {
            // Laid out as JSON already (a reply's fields nearly always are): one copy.
            Some(body) if laid_out_plain(body.as_bytes(), fields.len()) => {
                out.extend_from_slice(body.as_bytes());
            }
            _ => {
                let mut h = Vec::with_capacity(ext);
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        h.push(b',');
                    }
                    put_str(&mut h, k);
                    h.push(b':');
                    put_str(&mut h, v);
                }
                out.extend_from_slice(&h);
            }
        }
        out.extend_from_slice(b"}");
    }
    out.extend_from_slice(b",\"flag\":");
    put_int(out, i64::from(cmd.flag));
    if let Some(name) = cmd.language.name() {
        // Java's enum names: upper-case ASCII letters and `_`.
        out.extend_from_slice(b",\"language\":\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\"");
    }
    out.extend_from_slice(b",\"opaque\":");
    put_int(out, i64::from(cmd.opaque));
    if let Some(remark) = &cmd.remark {
        out.extend_from_slice(b",\"remark\":");
        let mut h = Vec::with_capacity(remark.len() + 2);
        put_str(&mut h, remark);
        out.extend_from_slice(&h);
    }
    out.extend_from_slice(b",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    put_int(out, i64::from(cmd.version));
    out.extend_from_slice(b"}");
}

/// Whether the JSON body of `entries` fields (`ExtFields::json_body`) holds nothing to escape:
/// no character [`may_escape`] flags but the four quotes around each key and value. Folded
/// without an early exit so that it compiles to a vector loop.
fn laid_out_plain(body: &[u8], entries: usize) -> bool {
    let mut quotes = 0;
    let mut other = false;
    // Fixed-size chunks, whose byte counts fit in a byte: each compiles to a few vector steps.
    let mut chunks = body.chunks_exact(32);
    for chunk in &mut chunks {
        let (q, o) = chunk.iter().fold((0u8, false), |(q, o), &b| {
            (q + u8::from(b == b'"'), o | escapes_besides_quote(b))
        });
        quotes += usize::from(q);
        other |= o;
    }
    for &b in chunks.remainder() {
        quotes += usize::from(b == b'"');
        other |= escapes_besides_quote(b);
    }
    !other && quotes == 4 * entries
}

/// Decimal digits of `n`, without the formatting machinery: every header has four numbers.
fn put_int(out: &mut BytesMut, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Whether `s` may hold a character fastjson escapes: ASCII controls, `"`, `\`, DEL, and (taken
/// as a whole, the exact test being [`put_str`]'s) every non-ASCII byte. Folded without an early
/// exit so that it compiles to a vector loop: every key and value of every reply passes here.
fn may_escape(s: &[u8]) -> bool {
    s.iter().fold(false, |any, &b| {
        any | escapes_besides_quote(b) | (b == b'"')
    })
}

/// [`may_escape`]'s test of one byte, but for `"`.
#[inline(always)]
fn escapes_besides_quote(b: u8) -> bool {
    !(0x20..0x7F).contains(&b) | (b == b'\\')
}

/// A JSON string of `s`, which holds no character to escape.
fn put_plain(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// A JSON string as fastjson escapes it (`SerializeWriter.writeStringWithDoubleQuote`):
/// `"` and `\` escaped, `\b \t \n \f \r` as letter escapes, other control characters,
/// U+007F..U+009F and the line/paragraph separators U+2028/U+2029 as `\uXXXX` with upper-case
/// hex; everything else raw UTF-8 (checked against fastjson 1.2.69 and 1.2.83 output).
fn put_str(out: &mut Vec<u8>, s: &str) {
    if !may_escape(s.as_bytes()) {
        return put_plain(out, s);
    }
    out.push(b'"');
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
        out.extend_from_slice(&s.as_bytes()[start..i]);
        start = i + ch.len_utf8();
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let c = ch as u32;
                out.extend_from_slice(b"\\u");
                out.extend((0..4).rev().map(|d| HEX[(c >> (4 * d)) as usize & 0xF]));
            }
        }
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// Parses a JSON header into a command without body.
pub fn read_header(bytes: &[u8]) -> Result<Command, CodecError> {
    if let Some(cmd) = super::json_fast::read_header(bytes) {
        return Ok(cmd);
    }
    read_header_general(bytes)
}

/// [`read_header`] without the fast path: any JSON (and fastjson-lenient) header.
pub(super) fn read_header_general(bytes: &[u8]) -> Result<Command, CodecError> {
    // Strict JSON straight into the command (what every known client sends); fastjson-lenient
    // syntax (bare or single-quoted names) through the lenient reader as a fallback.
    match serde_json::from_slice::<Header>(bytes) {
        Ok(Header(cmd)) => Ok(cmd),
        Err(strict) => {
            let value = body::parse_lenient(bytes)
                .map_err(|_| CodecError::JsonHeader(strict.to_string()))?;
            Header::deserialize(value)
                .map(|Header(cmd)| cmd)
                .map_err(|e| CodecError::JsonHeader(e.to_string()))
        }
    }
}

/// What a header without any field reads as (the starting point of both readers).
pub(super) fn empty_header_command() -> Command {
    let mut cmd = Command::response(0, None);
    cmd.flag = 0;
    cmd.version = 0;
    cmd.serialize_type = SerializeType::Json;
    cmd
}

/// The header object, read field by field without an intermediate tree.
struct Header(Command);

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a RemotingCommand JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
        let mut cmd = empty_header_command();
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "code" => cmd.code = map.next_value::<Int>()?.0,
                "flag" => cmd.flag = map.next_value::<Int>()?.0,
                "opaque" => cmd.opaque = map.next_value::<Int>()?.0,
                "version" => cmd.version = map.next_value::<Int>()?.0,
                "language" => cmd.language = map.next_value::<Language>()?.0,
                "remark" => cmd.remark = map.next_value::<Text>()?.0,
                "extFields" => cmd.ext_fields = map.next_value::<Ext>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Header(cmd))
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// An `int` field: a number or a numeric string (fastjson casts both); null is 0.
struct Int(i32);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an int (number or numeric string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                i32::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom(format!("{v} is out of int range")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i32::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom(format!("{v} is out of int range")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.trim()
                    .parse()
                    .map(Int)
                    .map_err(|_| E::custom(format!("{v:?} is not an int")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Int, E> {
                Ok(Int(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// `language`: an enum name (any case; unknown names tolerated) or an ordinal.
struct Language(LanguageCode);

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Language;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a language name or code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Language, E> {
                Ok(Language(LanguageCode::from_name(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Language, E> {
                Ok(Language(LanguageCode::from_code(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Language, E> {
                Ok(Language(
                    i64::try_from(v).map_or(LanguageCode::Unknown, LanguageCode::from_code),
                ))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Language, E> {
                Ok(Language(LanguageCode::Unknown))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Language, E> {
                Ok(Language(LanguageCode::Unknown))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Language, E> {
                Ok(Language(LanguageCode::Unknown))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Language, A::Error> {
                IgnoredAny::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Language(LanguageCode::Unknown))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Language, A::Error> {
                IgnoredAny::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Language(LanguageCode::Unknown))
            }
        }
        d.deserialize_any(V)
    }
}

/// Java's `String.valueOf` of any value: strings as is, numbers and booleans as text, objects and
/// arrays as their JSON text; `null` → absent.
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(Value::from(v).to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text, A::Error> {
                let v = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Text(Some(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text, A::Error> {
                let v = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Text(Some(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// `extFields`: an object whose values become text (null values are absent); null → empty.
struct Ext(ExtFields);

impl<'de> Deserialize<'de> for Ext {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ext;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`extFields` object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Ext, E> {
                Ok(Ext(ExtFields::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ext, A::Error> {
                let mut ext = ExtFields::new();
                while let Some(Key(k)) = map.next_key()? {
                    match map.next_value::<Text>()?.0 {
                        Some(v) => ext.insert(&k, v),
                        // fastjson puts null; the key then reads as absent.
                        None => {
                            ext.remove(&k);
                        }
                    }
                }
                Ok(Ext(ext))
            }
        }
        d.deserialize_any(V)
    }
}
