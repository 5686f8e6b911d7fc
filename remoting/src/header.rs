//! Typed custom headers (Java `CommandCustomHeader`) and the [`header!`](crate::header!) macro
//! that declares one, with its wire names, once.
//!
//! On the wire a custom header is flattened into `extFields` (Java `makeCustomHeaderToNet` /
//! `decodeCommandCustomHeader`): key = Java field name, value = `String.valueOf(field)`, null
//! fields omitted. Field types and their decoding:
//!
//! | Rust type | Java | missing key | value |
//! |---|---|---|---|
//! | `String`, `i32`, `i64`, `bool` | `@CFNotNull` field | [`HeaderError::Missing`] | malformed number → [`HeaderError::Malformed`] |
//! | `Option<T>` | nullable field | `None` | unparsable number → `None` (Java logs and leaves null; Go sends `""` for unset fields) |
//! | any type with `or <default>` | primitive / defaulted field | the default | as above |
//!
//! Booleans follow `Boolean.parseBoolean`: only a case-insensitive `"true"` is true. Extra keys
//! are ignored (5.x routing fields `bname`, `ns`, `nsd`, `oway`, `lo`).
//!
//! ```
//! remoting::header! {
//!     /// GET_ROUTEINFO_BY_TOPIC request.
//!     pub struct GetRouteInfo {
//!         topic: String = "topic",
//!         accept_standard_json_only: Option<bool> = "acceptStandardJsonOnly",
//!         // decoding also accepts the 4.9.8 name; encoding writes the first one
//!         clean_offset: bool = "cleanOffset" | "removeOffset" or false,
//!     }
//! }
//! ```

use crate::command::ExtFields;
use crate::error::HeaderError;

/// A typed header that lives in a command's ext fields.
pub trait CustomHeader: Sized {
    /// Writes every non-null field (Java `makeCustomHeaderToNet`).
    fn to_ext(&self, ext: &mut ExtFields);
    /// Reads the fields; the error names the first missing or malformed one.
    fn from_ext(ext: &ExtFields) -> Result<Self, HeaderError>;
}

/// Why one value could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    Missing,
    Malformed(&'static str),
}

/// A field type usable in [`header!`](crate::header!).
pub trait HeaderValue: Sized {
    /// Appends the wire text to `out`; false (and nothing appended) to omit the key.
    fn write_wire(&self, out: &mut String) -> bool;
    /// Whether [`write_wire`](Self::write_wire) omits the key, known without writing: a null.
    fn is_null(&self) -> bool {
        false
    }
    /// From the wire text (`None` when the key is absent).
    fn from_wire(raw: Option<&str>) -> Result<Self, ValueError>;
}

impl HeaderValue for String {
    fn write_wire(&self, out: &mut String) -> bool {
        out.push_str(self);
        true
    }

    fn from_wire(raw: Option<&str>) -> Result<Self, ValueError> {
        raw.map(str::to_owned).ok_or(ValueError::Missing)
    }
}

macro_rules! int_value {
    ($t:ty, $what:literal) => {
        impl HeaderValue for $t {
            fn write_wire(&self, out: &mut String) -> bool {
                out.push_str(itoa::Buffer::new().format(*self));
                true
            }

            /// Java `Integer.parseInt` / `Long.parseLong`: optional sign, decimal digits.
            fn from_wire(raw: Option<&str>) -> Result<Self, ValueError> {
                let raw = raw.ok_or(ValueError::Missing)?;
                raw.parse().map_err(|_| ValueError::Malformed($what))
            }
        }
    };
}
int_value!(i32, "int");
int_value!(i64, "long");

impl HeaderValue for bool {
    fn write_wire(&self, out: &mut String) -> bool {
        out.push_str(if *self { "true" } else { "false" });
        true
    }

    fn from_wire(raw: Option<&str>) -> Result<Self, ValueError> {
        Ok(raw.ok_or(ValueError::Missing)?.eq_ignore_ascii_case("true"))
    }
}

impl<T: HeaderValue> HeaderValue for Option<T> {
    fn write_wire(&self, out: &mut String) -> bool {
        self.as_ref().is_some_and(|v| v.write_wire(out))
    }

    fn is_null(&self) -> bool {
        self.as_ref().map_or(true, T::is_null)
    }

    fn from_wire(raw: Option<&str>) -> Result<Self, ValueError> {
        match raw {
            None => Ok(None),
            // Java logs a field that fails to parse and leaves it null.
            Some(s) => Ok(T::from_wire(Some(s)).ok()),
        }
    }
}

/// Decodes one field: the first present key among `keys` (the wire name, then its aliases).
/// A field with a default never fails: absent or malformed → the default. Inlined into each
/// header's `from_ext` (a call per field cost as much as its lookup); the failures are not.
#[doc(hidden)]
#[inline(always)]
pub fn field<T: HeaderValue>(
    ext: &ExtFields,
    header: &'static str,
    keys: &[&'static str],
    default: Option<T>,
) -> Result<T, HeaderError> {
    value(keys.iter().find_map(|k| ext.get(k)), header, keys, default)
}

/// [`field`] of the value `raw` found under one of `keys`.
#[doc(hidden)]
#[inline(always)]
pub fn value<T: HeaderValue>(
    raw: Option<&str>,
    header: &'static str,
    keys: &[&'static str],
    default: Option<T>,
) -> Result<T, HeaderError> {
    match T::from_wire(raw) {
        Ok(v) => Ok(v),
        Err(e) => field_failed(header, keys, default, raw, e),
    }
}

/// The slot of a one-letter key (`a` to `z`) in a header of such keys; a compile-time error
/// for any other key.
#[doc(hidden)]
pub const fn letter(key: &str) -> usize {
    let b = key.as_bytes();
    assert!(
        b.len() == 1 && b[0].is_ascii_lowercase(),
        "not a one-letter key"
    );
    (b[0] - b'a') as usize
}

/// The values of a header whose keys are single letters, by letter: one pass over the fields,
/// where a lookup per key would scan them once for each (SEND_MESSAGE_V2 has fourteen).
#[doc(hidden)]
pub fn by_letter(ext: &ExtFields) -> [Option<&str>; 26] {
    ext.by_letter()
}

/// [`field`] when the value is absent or malformed: the default, or the error naming it.
#[cold]
#[inline(never)]
fn field_failed<T>(
    header: &'static str,
    keys: &[&'static str],
    default: Option<T>,
    raw: Option<&str>,
    e: ValueError,
) -> Result<T, HeaderError> {
    let field = keys.first().copied().unwrap_or("");
    match (e, default) {
        (_, Some(d)) => Ok(d),
        (ValueError::Missing, None) => Err(HeaderError::Missing { header, field }),
        (ValueError::Malformed(expected), None) => Err(HeaderError::Malformed {
            header,
            field,
            expected,
            value: raw.unwrap_or_default().to_owned(),
        }),
    }
}

/// Writes one field under its wire name unless it is null (skipped before the insert, which
/// would lay out the key first: a reply's header has several null fields).
#[doc(hidden)]
pub fn put<T: HeaderValue>(ext: &mut ExtFields, key: &'static str, value: &T) {
    if !value.is_null() {
        ext.insert_with(key, |out| value.write_wire(out));
    }
}

/// Declares a typed custom header: a struct with `pub` fields plus its [`CustomHeader`] impl.
/// Each field is `rust_name: Type = "wireName" [| "alias" …] [or default_expr]`; see the module
/// documentation for how each type decodes. `@letters` before the struct declares one whose
/// every key is a single letter, without aliases or defaults (Java's one-letter
/// `SendMessageRequestHeaderV2`): it decodes in one pass over the fields.
#[macro_export]
macro_rules! header {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = $wire:literal $(| $alias:literal)* $(or $default:expr)?
            ),* $(,)?
        }
    ) => {
        $crate::header!(@shell [$(#[$meta])*] $name [$( [$(#[$fmeta])*] $field: $ty = $wire ),*]
            ext => Ok(Self {
                $(
                    $field: $crate::header::field::<$ty>(
                        ext,
                        stringify!($name),
                        &[$wire $(, $alias)*],
                        $crate::header!(@default $($default)?),
                    )?,
                )*
            })
        );
    };
    // A header whose every key is one letter (Java's `FastCodesHeader`s): decoded in one pass
    // over the fields ([`by_letter`]). No aliases or defaults.
    (
        @letters
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = $wire:literal
            ),* $(,)?
        }
    ) => {
        $crate::header!(@shell [$(#[$meta])*] $name [$( [$(#[$fmeta])*] $field: $ty = $wire ),*]
            ext => {
                let raw = $crate::header::by_letter(ext);
                Ok(Self {
                    $(
                        $field: $crate::header::value::<$ty>(
                            raw[const { $crate::header::letter($wire) }],
                            stringify!($name),
                            &[$wire],
                            None,
                        )?,
                    )*
                })
            }
        );
    };
    // The struct and its `CustomHeader` impl, `from_ext`'s body given (over `$ext`).
    (
        @shell [$(#[$meta:meta])*] $name:ident
        [$( [$(#[$fmeta:meta])*] $field:ident : $ty:ty = $wire:literal ),*]
        $ext:ident => $from_ext:expr
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::header::CustomHeader for $name {
            #[allow(unused_variables)]
            fn to_ext(&self, ext: &mut $crate::command::ExtFields) {
                $( $crate::header::put(ext, $wire, &self.$field); )*
            }

            #[allow(unused_variables)]
            fn from_ext(
                $ext: &$crate::command::ExtFields,
            ) -> ::std::result::Result<Self, $crate::error::HeaderError> {
                $from_ext
            }
        }
    };
    (@default) => { None };
    (@default $default:expr) => { Some($default) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;

    crate::header! {
        /// A header exercising every field kind.
        pub struct Sample {
            topic: String = "topic",
            queue_id: i32 = "queueId",
            offset: Option<i64> = "offset",
            order: bool = "order" or false,
            clean: bool = "cleanOffset" | "removeOffset" or false,
            name: Option<String> = "name",
        }
    }

    crate::header! {
        @letters
        /// One-letter keys, decoded in one pass.
        pub struct Letters {
            a: String = "a",
            b: i32 = "b",
            c: Option<i64> = "c",
            d: Option<bool> = "d",
            z: Option<String> = "z",
        }
    }

    crate::header! {
        /// The same fields, decoded a lookup each.
        pub struct Looked {
            a: String = "a",
            b: i32 = "b",
            c: Option<i64> = "c",
            d: Option<bool> = "d",
            z: Option<String> = "z",
        }
    }

    /// The one-pass decode gives what a lookup per field gives, errors included, whatever else
    /// the fields hold.
    #[test]
    fn letter_headers_decode_as_lookups_do() {
        let many: Vec<(String, String)> = (0..30)
            .map(|i| (format!("k{i}"), i.to_string()))
            .chain([("b".to_owned(), "7".to_owned()), ("a".into(), "G".into())])
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (&**k, &**v)).collect();
        let cases: [&[(&str, &str)]; 9] = [
            &[
                ("a", "G"),
                ("b", "3"),
                ("c", "9"),
                ("d", "TRUE"),
                ("z", "n"),
            ],
            &[("z", "n"), ("b", "-1"), ("a", "")],
            &[
                ("a", "G"),
                ("b", "3"),
                ("c", "x"),
                ("d", "no"),
                ("bname", "B"),
                ("ab", "1"),
            ],
            &[("b", "3")],
            &[("a", "G")],
            &[("a", "G"), ("b", "three")],
            &[("a", "G"), ("b", "3"), ("A", "H"), ("é", "1"), ("", "2")],
            &[("a", "G"), ("`", "1"), ("{", "2"), ("b", "4")],
            &many,
        ];
        for pairs in cases {
            let fields = ext(pairs);
            let one_pass = Letters::from_ext(&fields).map(|h| (h.a, h.b, h.c, h.d, h.z));
            let looked = Looked::from_ext(&fields).map(|h| (h.a, h.b, h.c, h.d, h.z));
            let name = |e: HeaderError| e.to_string().replace("Letters", "Looked");
            assert_eq!(
                one_pass.map_err(name),
                looked.map_err(|e| e.to_string()),
                "{pairs:?}"
            );
        }
        let mut out = ExtFields::new();
        Letters {
            a: "G".into(),
            b: 1,
            ..Letters::default()
        }
        .to_ext(&mut out);
        assert_eq!(out, ext(&[("a", "G"), ("b", "1")]));
    }

    fn ext(pairs: &[(&str, &str)]) -> ExtFields {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    #[test]
    fn round_trip_omits_nulls() {
        let h = Sample {
            topic: "T".into(),
            queue_id: 3,
            offset: None,
            order: true,
            clean: false,
            name: None,
        };
        let cmd = Command::request(1).with_header(&h);
        let keys: Vec<_> = cmd.ext_fields.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["topic", "queueId", "order", "cleanOffset"]);
        assert_eq!(cmd.decode_header::<Sample>(), Ok(h));
    }

    #[test]
    fn missing_required_field_is_named() {
        let err = Sample::from_ext(&ext(&[("queueId", "1")])).unwrap_err();
        assert_eq!(
            err,
            HeaderError::Missing {
                header: "Sample",
                field: "topic"
            }
        );
        assert_eq!(err.to_string(), "the custom field <topic> is null (Sample)");
    }

    #[test]
    fn malformed_required_number_is_named() {
        let err = Sample::from_ext(&ext(&[("topic", "T"), ("queueId", "x1")])).unwrap_err();
        assert_eq!(err.field(), "queueId");
        assert!(
            matches!(
                err,
                HeaderError::Malformed {
                    expected: "int",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn optional_and_defaulted_fields_are_lenient() {
        let h = Sample::from_ext(&ext(&[
            ("topic", "T"),
            ("queueId", "-1"),
            ("offset", ""),
            ("order", "TRUE"),
            ("removeOffset", "true"),
            ("name", ""),
            ("bname", "ignored"),
        ]))
        .unwrap();
        assert_eq!(h.queue_id, -1);
        assert_eq!(h.offset, None);
        assert!(h.order && h.clean);
        assert_eq!(h.name.as_deref(), Some(""));
        let h =
            Sample::from_ext(&ext(&[("topic", "T"), ("queueId", "0"), ("order", "1")])).unwrap();
        assert!(!h.order, "only \"true\" is true (Boolean.parseBoolean)");
    }
}
