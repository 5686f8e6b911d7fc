//! Reading a parsed body into its Rust type as fastjson 1.2.x reads it into a Java bean (Java
//! `RemotingSerializable#decode`, fastjson's `JavaBeanDeserializer` and codecs). Every body
//! decoder goes through [`from_value`] (via [`super::from_body`]); body types are plain serde
//! types and declare no per-field leniency.
//!
//! | Rust target | also accepted (fastjson) |
//! |---|---|
//! | integer | a numeric string (`"6"`, `"1,024"`, `"+6"`; `"6.0"` for 32-bit and narrower), a decimal (truncated), `true`/`false` (1/0); `null`, `""`, `"null"` read as 0 |
//! | float | a numeric string, `true`/`false`; `null`, `""` read as 0 |
//! | `bool` | `1` (true) and other numbers (false); `"true"`/`"false"` in any case, `"1"`/`"0"`, `"Y"`/`"T"`, `"F"`/`"N"`; `null`, `""` read as false |
//! | `String` | a number or boolean (its text), an object or array (its JSON text); `null` reads as `""` |
//! | unit-variant enum (a Java enum) | its ordinal (`"consumeType":1`), its name in any case |
//! | struct (a Java bean) | keys matched case-insensitively and ignoring `_` and `-` (`clientId` for `clientID`), `is`-prefixed for a boolean; a field given `null` keeps its default; the whole bean `null` or `""` reads as all defaults |
//! | sequence, map | `null` reads as empty |
//!
//! Enum ordinals follow the Java declaration order, so a Rust enum standing for a Java enum
//! declares every Java constant, deprecated ones included, in the same order.
//!
//! Where fastjson reads a value as `null` that Rust cannot hold, two differences remain: an
//! unknown enum name (or `""`) is refused here (fastjson: `null`), and `""`, `"null"` or `"NULL"`
//! given for a number or boolean reads as 0/false here (fastjson leaves the field at its
//! initializer, which differs for the few fields whose default is not 0/false).

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, Error as _,
    IntoDeserializer, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Map, Value};

/// Converts a parsed body to `T` with fastjson's coercions (see the module doc).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(Lenient(value))
}

/// A JSON value read the way fastjson reads it into a typed field.
pub struct Lenient(pub Value);

/// The value as a short text for error messages.
fn brief(v: &Value) -> String {
    let mut text = v.to_string();
    if text.len() > 64 {
        let mut cut = 61;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

fn expected(what: &str, v: &Value) -> Error {
    Error::custom(format!("expected {what}, got {}", brief(v)))
}

/// fastjson reads these strings as `null` wherever a number or boolean is expected.
fn is_null_text(s: &str) -> bool {
    s.is_empty() || s == "null" || s == "NULL"
}

/// An integer as fastjson's `IntegerCodec`/`LongCodec` and `TypeUtils#castToInt`/`castToLong`
/// read it; `int32` allows the trailing `.0` that only `castToInt` strips.
fn integer(v: &Value, int32: bool) -> Result<i128, Error> {
    match v {
        Value::Null => Ok(0),
        Value::Bool(b) => Ok(i128::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Ok(i128::from(u))
            } else {
                // A decimal read into an integer field is truncated.
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < 1e30 => Ok(f.trunc() as i128),
                    _ => Err(expected("an integer", v)),
                }
            }
        }
        Value::String(s) if is_null_text(s) => Ok(0),
        Value::String(s) => {
            let mut text = s.replace(',', "");
            if int32 {
                if let Some(dot) = text.rfind('.') {
                    if text[dot + 1..].bytes().all(|b| b == b'0') {
                        text.truncate(dot);
                    }
                }
            }
            text.parse().map_err(|_| expected("an integer", v))
        }
        _ => Err(expected("an integer", v)),
    }
}

fn float(v: &Value) -> Result<f64, Error> {
    match v {
        Value::Null => Ok(0.0),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64().ok_or_else(|| expected("a number", v)),
        Value::String(s) if is_null_text(s) => Ok(0.0),
        Value::String(s) => s
            .replace(',', "")
            .trim()
            .parse()
            .map_err(|_| expected("a number", v)),
        _ => Err(expected("a number", v)),
    }
}

/// fastjson's `BooleanCodec` and `TypeUtils#castToBoolean`.
fn boolean(v: &Value) -> Result<bool, Error> {
    match v {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Number(_) => Ok(integer(v, false)? == 1),
        Value::String(s) if is_null_text(s) => Ok(false),
        Value::String(s) => match s.as_str() {
            t if t.eq_ignore_ascii_case("true") || t == "1" || t.eq_ignore_ascii_case("y") => {
                Ok(true)
            }
            "T" => Ok(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" || t.eq_ignore_ascii_case("f") => {
                Ok(false)
            }
            "N" => Ok(false),
            _ => Err(expected("a boolean", v)),
        },
        _ => Err(expected("a boolean", v)),
    }
}

/// fastjson's `StringCodec`: any value's text.
fn string(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// `key` as the name of one of `fields` (fastjson `JavaBeanDeserializer#smartMatch`): exact, else
/// equal ignoring ASCII case, `_` and `-`, else (boolean values) without an `is` prefix.
fn field_name(key: &str, value: &Value, fields: &'static [&'static str]) -> Option<&'static str> {
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = fold(key);
    let unprefixed = match (key.strip_prefix("is"), value) {
        (Some(rest), Value::Bool(_)) => Some(fold(rest)),
        _ => None,
    };
    fields
        .iter()
        .find(|f| fold(f) == wanted)
        .or_else(|| {
            fields
                .iter()
                .find(|f| unprefixed.as_deref() == Some(&fold(f)))
        })
        .copied()
}

/// A bean's entries as fastjson sets its fields: keys renamed to `fields` where its smart match
/// finds them, the first key reaching a field winning (an exact repeat of a key: the last value),
/// and `null` values left out, so the field keeps its default as a Java field keeps its
/// initializer.
fn bean_entries(map: Map<String, Value>, fields: &'static [&'static str]) -> Map<String, Value> {
    let plain = map
        .iter()
        .all(|(k, v)| !v.is_null() && fields.contains(&k.as_str()));
    if plain {
        return map;
    }
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        if v.is_null() {
            continue;
        }
        let key = if fields.contains(&k.as_str()) {
            k
        } else {
            field_name(&k, &v, fields).map_or(k, str::to_string)
        };
        out.entry(key).or_insert(v);
    }
    out
}

/// A Java enum constant given by ordinal or by name in any case (fastjson `EnumDeserializer`).
fn unit_variant(
    v: &Value,
    name: &str,
    variants: &'static [&'static str],
) -> Result<&'static str, Error> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| variants.get(i).copied())
            .ok_or_else(|| {
                Error::custom(format!(
                    "{n} is not an ordinal of {name} (0..{})",
                    variants.len()
                ))
            }),
        Value::String(s) => variants
            .iter()
            .find(|v| **v == s)
            .or_else(|| variants.iter().find(|v| v.eq_ignore_ascii_case(s)))
            .copied()
            .ok_or_else(|| {
                Error::custom(format!(
                    "unknown {name} {s:?}, expected one of {variants:?} or an ordinal"
                ))
            }),
        other => Err(expected(name, other)),
    }
}

macro_rules! integer_methods {
    ($($method:ident $visit:ident $ty:ty, $int32:expr;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let n = integer(&self.0, $int32)?;
            let n = <$ty>::try_from(n).map_err(|_| {
                Error::custom(format!("{n} is out of range for {}", stringify!($ty)))
            })?;
            visitor.$visit(n)
        }
    )*};
}

impl<'de> Deserializer<'de> for Lenient {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => n.deserialize_any(visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(map) => visitor.visit_map(Entries::new(map)),
        }
    }

    integer_methods! {
        deserialize_i8 visit_i8 i8, true;
        deserialize_i16 visit_i16 i16, true;
        deserialize_i32 visit_i32 i32, true;
        deserialize_i64 visit_i64 i64, false;
        deserialize_u8 visit_u8 u8, true;
        deserialize_u16 visit_u16 u16, true;
        deserialize_u32 visit_u32 u32, false;
        deserialize_u64 visit_u64 u64, false;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f32(float(&self.0)? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(float(&self.0)?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(boolean(&self.0)?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(string(self.0))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(string(self.0))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(string(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Lenient(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visit_array(items, visitor),
            Value::Null => visit_array(Vec::new(), visitor),
            other => Err(expected("an array", &other)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(Entries::new(map)),
            Value::Null => visitor.visit_map(Entries::new(Map::new())),
            Value::String(s) if s.is_empty() => visitor.visit_map(Entries::new(Map::new())),
            other => Err(expected("an object", &other)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(Entries::new(bean_entries(map, fields))),
            other => Lenient(other).deserialize_map(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            // A Rust enum with data, externally tagged: {"Variant": content}.
            Value::Object(map) if map.len() == 1 => {
                let Some((tag, content)) = map.into_iter().next() else {
                    return Err(Error::custom(format!("empty {name}")));
                };
                visitor.visit_enum(OwnedVariant { tag, content })
            }
            other => {
                let tag = unit_variant(&other, name, variants)?;
                visitor.visit_enum(Variant { tag, content: None })
            }
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Number(n) => match n.as_u64() {
                Some(i) => visitor.visit_u64(i),
                None => visitor.visit_string(n.to_string()),
            },
            other => visitor.visit_string(string(other)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        i128 u128 bytes byte_buf unit unit_struct
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    visitor.visit_seq(Items(items.into_iter()))
}

struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Lenient(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// An object's entries; keys go through [`Key`], values stay lenient.
struct Entries {
    iter: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl Entries {
    fn new(map: Map<String, Value>) -> Self {
        Entries {
            iter: map.into_iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(Key(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let v = self.value.take().unwrap_or(Value::Null);
        seed.deserialize(Lenient(v))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An object key. Keys are strings after parsing (a fastjson bare-number or object key holds its
/// JSON text, see [`super::parse_lenient`]); a typed key reads that text as its JSON value.
struct Key(String);

impl Key {
    fn parsed(self) -> Result<Lenient, Error> {
        let value = super::parse_lenient(self.0.as_bytes())
            .map_err(|e| Error::custom(format!("map key {:?}: {e}", self.0)))?;
        Ok(Lenient(value))
    }
}

macro_rules! parsed_key_methods {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            Lenient(Value::String(self.0)).$method(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Key {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.0)
    }

    parsed_key_methods! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_bool deserialize_identifier
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        Lenient(Value::String(self.0)).deserialize_enum(name, variants, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.parsed()?.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.parsed()?.deserialize_map(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.parsed()?.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf option unit unit_struct tuple tuple_struct
        ignored_any
    }
}

/// A unit variant named by its ordinal or name.
struct Variant {
    tag: &'static str,
    content: Option<Value>,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), Error> {
        let tag: de::value::StrDeserializer<'_, Error> = self.tag.into_deserializer();
        Ok((seed.deserialize(tag)?, self))
    }
}

impl<'de> VariantAccess<'de> for Variant {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(Lenient(self.content.unwrap_or(Value::Null)))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        Lenient(self.content.unwrap_or(Value::Null)).deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        Lenient(self.content.unwrap_or(Value::Null)).deserialize_struct("", fields, visitor)
    }
}

/// An externally tagged variant with content: `{"Variant": content}`.
struct OwnedVariant {
    tag: String,
    content: Value,
}

impl<'de> EnumAccess<'de> for OwnedVariant {
    type Error = Error;
    type Variant = Variant;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Variant), Error> {
        let value = seed.deserialize(Key(self.tag))?;
        let access = Variant {
            tag: "",
            content: Some(self.content),
        };
        Ok((value, access))
    }
}

#[cfg(test)]
mod tests;
