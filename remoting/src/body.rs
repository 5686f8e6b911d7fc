//! JSON bodies as Java's fastjson writes and reads them; every fastjson quirk lives here.
//!
//! Reading ([`from_body`]) is two steps, both as lenient as fastjson 1.2.x (1.2.69 in 4.9.8,
//! 1.2.83 in 5.3.3) with its default parser features:
//! 1. Syntax ([`parse_lenient`]). fastjson writes maps with non-string keys without quotes
//!    (protocol.md §3.1): `Long` keys as bare numbers (`{"brokerAddrs":{0:"127.0.0.1:10911"}}`)
//!    and `MessageQueue` keys as JSON objects (`{"offsetTable":{{"brokerName":"b","queueId":0,
//!    "topic":"T"}:{…}}}`). Inside objects the reader accepts keys that are strings, bare numbers,
//!    bare identifiers, single-quoted strings, or nested objects/arrays; a non-string key becomes
//!    a string key holding its compact JSON text (`"0"`, `"{\"brokerName\":\"b\",…}"`). It also
//!    accepts single-quoted strings, any number of stray commas (`[1,,2,]`, `{,"a":1,}`), `/* */`
//!    and `//` comments, `NULL` and `undefined` for null, `Set[…]`/`TreeSet[…]` arrays and a
//!    type suffix after a number (`12L`, `1.5D`); it rejects trailing garbage, as fastjson does.
//! 2. Types ([`lenient`]): numbers as strings, strings as numbers, booleans as strings or numbers,
//!    enums as ordinals or names, keys matched as fastjson's smart match does. Body types are
//!    plain serde types; none declares its own leniency.
//!
//! Writing: [`to_body`] is compact JSON in declared field order (declare fields alphabetically to
//! match fastjson's sorted POJO properties). [`to_body_fastjson`] additionally writes keys that hold
//! an object's JSON text (made with [`object_key`]) as raw objects: the form Java tools and the Go
//! reset-offset parser expect for `MessageQueue`-keyed maps (ConsumeStats, TopicStatsTable,
//! ResetOffsetBody).

/// Declares a Java enum: its constants in Java's declaration order (a constant's position is
/// its ordinal, which fastjson accepts in place of the name, see [`lenient`]), each with its
/// name, which is how it is written.
macro_rules! java_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// The Java constant's name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The constant with this exact name (Java `Enum.valueOf`).
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

pub mod admin;
pub mod controller;
pub mod heartbeat;
pub mod lenient;
pub mod register;
pub mod topic;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::error::BodyError;

/// Deepest nesting the lenient reader accepts (serde_json's own default limit).
pub const MAX_DEPTH: usize = 128;

/// Parses a body as fastjson would, into a `serde_json::Value` (see the module doc).
pub fn parse_lenient(bytes: &[u8]) -> Result<Value, BodyError> {
    let mut p = Parser { s: bytes, pos: 0 };
    let v = p.value(0)?;
    p.ws()?;
    if p.pos != bytes.len() {
        return Err(p.err("trailing characters after the JSON value"));
    }
    Ok(v)
}

/// Reads a body into `T` as fastjson would (see the module doc).
pub fn from_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let value = match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => v,
        Err(_) => parse_lenient(bytes)?,
    };
    Ok(lenient::from_value(value)?)
}

/// Asserts that every body in `fixture` reads as `T` like its first one does. A fixture
/// (`testdata/fastjson/<Java class>.txt`) lists one body per line, `#` lines being comments: the
/// first as Java writes it, then other forms fastjson reads alike (compat-tests/tests/golden.rs
/// checks the same lines with Java's own decoder).
#[doc(hidden)]
pub fn assert_read_alike<T: DeserializeOwned + std::fmt::Debug>(fixture: &str) {
    let mut bodies = fixture
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let read = |b: &str| match from_body::<T>(b.as_bytes()) {
        Ok(v) => format!("{v:?}"),
        Err(e) => panic!("{b}\ndoes not read: {e}"),
    };
    let Some(first) = bodies.next() else {
        panic!("a fixture without bodies");
    };
    let want = read(first);
    let mut n = 0;
    for b in bodies {
        assert_eq!(read(b), want, "{b}\nreads other than\n{first}");
        n += 1;
    }
    assert!(n > 0, "a fixture without variants");
}

/// Compact JSON, fields in declared order.
pub fn try_to_body<T: Serialize>(v: &T) -> Result<Vec<u8>, BodyError> {
    Ok(serde_json::to_vec(v)?)
}

/// Compact JSON, fields in declared order. Types whose map keys are not strings cannot be
/// written; that is a programming error, reported by a log line and an empty object.
pub fn to_body<T: Serialize>(v: &T) -> Vec<u8> {
    try_to_body(v).unwrap_or_else(|e| {
        tracing::error!(error = %e, "body cannot be serialized as JSON");
        b"{}".to_vec()
    })
}

/// The compact JSON text of `key`, for use as a map key that [`to_body_fastjson`] writes raw.
pub fn object_key<K: Serialize>(key: &K) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

/// Like [`to_body`], but map keys holding a JSON object's text are written unquoted (fastjson's
/// form for `MessageQueue` keys).
pub fn to_body_fastjson<T: Serialize>(v: &T) -> Result<Vec<u8>, BodyError> {
    let value = serde_json::to_value(v)?;
    let mut out = Vec::new();
    write_fastjson(&value, &mut out)?;
    Ok(out)
}

fn write_fastjson(v: &Value, out: &mut Vec<u8>) -> Result<(), BodyError> {
    match v {
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if is_object_text(k) {
                    out.extend_from_slice(k.as_bytes());
                } else {
                    serde_json::to_writer(&mut *out, k)?;
                }
                out.push(b':');
                write_fastjson(v, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_fastjson(v, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

/// A key written raw must be exactly the compact text of a JSON object, so that reading the
/// output back yields the same key.
fn is_object_text(k: &str) -> bool {
    if !(k.starts_with('{') && k.ends_with('}')) {
        return false;
    }
    match serde_json::from_str::<Value>(k) {
        Ok(v @ Value::Object(_)) => serde_json::to_string(&v).is_ok_and(|text| text == k),
        _ => false,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, message: &'static str) -> BodyError {
        BodyError::Syntax {
            offset: self.pos,
            message,
        }
    }

    /// Whitespace, other control characters (fastjson's lexer skips them) and comments.
    fn ws(&mut self) -> Result<(), BodyError> {
        loop {
            match self.peek() {
                Some(c) if c <= b' ' || c == 0x7f => self.pos += 1,
                Some(b'/') => self.comment()?,
                _ => return Ok(()),
            }
        }
    }

    fn comment(&mut self) -> Result<(), BodyError> {
        let rest = &self.s[self.pos..];
        if rest.starts_with(b"//") {
            let len = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            self.pos += len;
        } else if rest.starts_with(b"/*") {
            let end = rest[2..]
                .windows(2)
                .position(|w| w == b"*/")
                .ok_or_else(|| self.err("unterminated comment"))?;
            self.pos += end + 4;
        } else {
            return Err(self.err("unexpected '/'"));
        }
        Ok(())
    }

    /// Skips any number of commas (fastjson's `AllowArbitraryCommas`, on by default).
    fn commas(&mut self) -> Result<(), BodyError> {
        while self.eat(b',')? {}
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Result<bool, BodyError> {
        self.ws()?;
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, BodyError> {
        if depth > MAX_DEPTH {
            return Err(BodyError::TooDeep(MAX_DEPTH));
        }
        self.ws()?;
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(q @ (b'"' | b'\'')) => Ok(Value::String(self.string(q)?)),
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => self.number(),
            Some(c) if is_ident(c) => match self.ident() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                "null" | "NULL" | "undefined" => Ok(Value::Null),
                "Set" | "TreeSet" => {
                    self.ws()?;
                    if self.peek() != Some(b'[') {
                        return Err(self.err("expected '[' after Set"));
                    }
                    self.array(depth + 1)
                }
                _ => Err(self.err("unexpected bare word")),
            },
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, BodyError> {
        self.pos += 1; // '{'
        let mut map = Map::new();
        loop {
            self.commas()?;
            if self.eat(b'}')? {
                return Ok(Value::Object(map));
            }
            let key = self.key(depth)?;
            if !self.eat(b':')? {
                return Err(self.err("expected ':' after an object key"));
            }
            let v = self.value(depth)?;
            map.insert(key, v);
            if self.eat(b',')? {
                continue;
            }
            if self.eat(b'}')? {
                return Ok(Value::Object(map));
            }
            return Err(self.err("expected ',' or '}' in an object"));
        }
    }

    /// fastjson map keys: strings, bare numbers or names, nested objects/arrays (as JSON text).
    fn key(&mut self, depth: usize) -> Result<String, BodyError> {
        self.ws()?;
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => self.string(q),
            Some(b'{' | b'[') => {
                let v = self.value(depth)?;
                Ok(serde_json::to_string(&v)?)
            }
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => Ok(self.number()?.to_string()),
            Some(c) if is_ident(c) => Ok(self.ident().to_owned()),
            _ => Err(self.err("expected an object key")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, BodyError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        loop {
            self.commas()?;
            if self.eat(b']')? {
                return Ok(Value::Array(items));
            }
            items.push(self.value(depth)?);
            if self.eat(b',')? {
                continue;
            }
            if self.eat(b']')? {
                return Ok(Value::Array(items));
            }
            return Err(self.err("expected ',' or ']' in an array"));
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| is_ident(c) || c.is_ascii_digit())
        {
            self.pos += 1;
        }
        std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("")
    }

    fn number(&mut self) -> Result<Value, BodyError> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        let text = text.strip_prefix('+').unwrap_or(text);
        // fastjson's type suffixes (`12L`, `1S`, `1B`, `1.5F`, `1.5D`).
        if matches!(self.peek(), Some(b'L' | b'S' | b'B' | b'F' | b'D')) {
            self.pos += 1;
        }
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| self.err("malformed number"))
    }

    fn string(&mut self, quote: u8) -> Result<String, BodyError> {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.pos += 1;
            match c {
                c if c == quote => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => self.escape(&mut out)?,
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), BodyError> {
        let Some(c) = self.peek() else {
            return Err(self.err("unterminated escape"));
        };
        self.pos += 1;
        let simple = match c {
            b'"' | b'\'' | b'\\' | b'/' => c,
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = self.unicode_escape()?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => return Err(self.err("invalid escape")),
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, BodyError> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("short \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.err("bad \\u escape"))?;
        let n = u32::from_str_radix(text, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.pos += 4;
        Ok(n)
    }

    /// `\uXXXX`, combining a surrogate pair; a lone surrogate becomes U+FFFD (as Java's UTF-8
    /// encoder would write it).
    fn unicode_escape(&mut self) -> Result<char, BodyError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.s.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

#[cfg(test)]
mod tests;
