//! Java message property strings (`MessageDecoder.messageProperties2String` /
//! `string2messageProperties`): `name 0x01 value 0x02`, repeated.
//!
//! The order of the pairs is part of the stored bytes. Java builds every string it stores from a
//! `HashMap`, so its pairs come out in that map's iteration order: by bucket
//! (`(h ^ h >>> 16) & (capacity - 1)` of the name's `String.hashCode`), and within a bucket in
//! insertion order. [`java_map_order`] reproduces it; a list kept in insertion order and sorted
//! by it before encoding yields Java's bytes.

use std::ops::Range;

/// `NAME_VALUE_SEPARATOR`.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// `PROPERTY_SEPARATOR`.
pub const PROPERTY_SEPARATOR: char = '\u{2}';

/// Property names the store itself reads.
pub mod keys {
    pub const TAGS: &str = "TAGS";
    pub const KEYS: &str = "KEYS";
    pub const UNIQ_KEY: &str = "UNIQ_KEY";
    pub const DELAY: &str = "DELAY";
}

/// The properties a record's dispatch reads, in the order of [`DispatchSpans`].
pub const DISPATCH_KEYS: [&str; 4] = [keys::KEYS, keys::UNIQ_KEY, keys::TAGS, keys::DELAY];

/// Where the values of [`DISPATCH_KEYS`] are in a property string ([`property_spans`]): a caller
/// that built the string knows, and spares the store a scan of it
/// ([`Store::put_batch_spanned`](crate::Store::put_batch_spanned)).
pub type DispatchSpans = [Option<Range<usize>>; 4];

/// `new HashMap<>(128)` of `MessageDecoder.string2messageProperties`: the map behind every
/// property string the broker builds from a parsed one.
pub const PARSED_MAP_CAPACITY: usize = 128;
/// `new HashMap<>()` of `Message.putProperty`: a message the broker makes from scratch (the
/// transaction op marker).
pub const MESSAGE_MAP_CAPACITY: usize = 16;

/// Parse like Java: split on 0x02, keep a pair only if its name and value are non-empty; a later
/// duplicate overwrites an earlier one (order of first appearance kept, as in a `HashMap`).
/// (Java also skips parts shorter than 3 UTF-16 units: a non-empty name, the separator and a
/// non-empty value are at least 3.)
pub fn parse_pairs(s: &str) -> Vec<(&str, &str)> {
    // Room for the pairs of a typical message and the few the broker adds.
    let mut out: Vec<(&str, &str)> = Vec::with_capacity(16);
    for (name, value) in raw_pairs(s) {
        if !name.is_empty() && !value.is_empty() {
            put(&mut out, name, value);
        }
    }
    out
}

/// [`parse_pairs`] into owned pairs.
pub fn parse_properties(s: &str) -> Vec<(String, String)> {
    parse_pairs(s)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `Map.put`: replaces the value of `name` where it is, or appends the pair.
pub fn put<'a, K: AsRef<str> + From<&'a str>, V>(pairs: &mut Vec<(K, V)>, name: &'a str, value: V) {
    match pairs.iter_mut().find(|(k, _)| k.as_ref() == name) {
        Some(slot) => slot.1 = value,
        None => pairs.push((K::from(name), value)),
    }
}

/// The value of `name` in parsed pairs.
pub fn get<'a, K: AsRef<str>, V: AsRef<str>>(pairs: &'a [(K, V)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.as_ref() == name)
        .map(|(_, v)| v.as_ref())
}

/// [`java_hash`](crate::message::java_hash) of a property name. The names clients and brokers
/// put on nearly every message are hashed at compile time: a match on a short name is a few
/// compares, where the hash is a multiply a character, and every send orders its names by hash.
fn name_hash(name: &str) -> i32 {
    macro_rules! known {
        ($($name:literal)*) => {
            match name {
                $($name => const { const_java_hash($name) },)*
                _ => crate::message::java_hash(name),
            }
        };
    }
    known!(
        "UNIQ_KEY" "WAIT" "TAGS" "KEYS" "MSG_REGION" "TRACE_ON" "CLUSTER" "DELAY"
        "REAL_TOPIC" "REAL_QID" "RETRY_TOPIC" "ORIGIN_MESSAGE_ID" "RECONSUME_TIME"
        "MAX_RECONSUME_TIMES" "CONSUME_START_TIME" "PGROUP" "TRAN_MSG" "INSTANCE_ID"
    )
}

/// Java's `String.hashCode` of an ASCII name, for constants.
const fn const_java_hash(name: &str) -> i32 {
    let bytes = name.as_bytes();
    let mut h = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        h = h.wrapping_mul(31).wrapping_add(bytes[i] as i32);
        i += 1;
    }
    h
}

/// Sorts `pairs` (distinct names, in insertion order) into the iteration order of a Java
/// `HashMap` created with `initial_capacity` (a power of two) that they were put into: by bucket,
/// ties in insertion order (a stable sort). The table doubles while the size exceeds 3/4 of it.
/// Exact while no bucket holds more than 8 names (Java then turns the bucket into a tree).
pub fn java_map_order<K: AsRef<str>, V>(pairs: &mut [(K, V)], initial_capacity: usize) {
    let mut capacity = initial_capacity.max(1);
    while pairs.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mask = (capacity - 1) as u32;
    let bucket = |k: &K| {
        let h = name_hash(k.as_ref()) as u32;
        (h ^ (h >> 16)) & mask
    };
    const SMALL: usize = 32;
    if pairs.len() > SMALL {
        pairs.sort_by_cached_key(|(k, _)| bucket(k));
        return;
    }
    // The few pairs of a message: each name hashed once, a stable insertion sort, no allocation.
    let mut buckets = [0u32; SMALL];
    for (b, (k, _)) in buckets.iter_mut().zip(pairs.iter()) {
        *b = bucket(k);
    }
    for i in 1..pairs.len() {
        let mut j = i;
        while j > 0 && buckets[j - 1] > buckets[j] {
            buckets.swap(j - 1, j);
            pairs.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// `messageProperties2String` of a map holding `pairs` (in insertion order) that was built by
/// parsing a property string (capacity 128).
pub fn to_java_string<K: AsRef<str>, V: AsRef<str>>(pairs: &mut [(K, V)]) -> String {
    java_map_order(pairs, PARSED_MAP_CAPACITY);
    properties_to_string(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
}

/// [`to_java_string`], with where each of `names`' values went (as [`property_spans`] of the
/// string would find them, provided no name holds a separator and no value a
/// [`PROPERTY_SEPARATOR`], as in pairs from [`parse_pairs`]).
pub fn to_java_string_spans<K: AsRef<str>, V: AsRef<str>, const N: usize>(
    pairs: &mut [(K, V)],
    names: [&str; N],
) -> (String, [Option<Range<usize>>; N]) {
    let s = to_java_string(pairs);
    // Each value's place follows from the lengths of the pairs before it.
    let mut found = [const { None }; N];
    let mut at = 0;
    for (n, v) in pairs.iter() {
        let (n, v) = (n.as_ref(), v.as_ref());
        let start = at + n.len() + 1;
        at = start + v.len() + 1;
        if v.is_empty() {
            continue;
        }
        if let Some(i) = names.iter().position(|name| same_name(n, name)) {
            found[i] = Some(start..start + v.len());
        }
    }
    (s, found)
}

/// A stored property string as Java writes it again after decoding the record
/// (`messageProperties2String(string2messageProperties(s))`).
pub fn reencode(s: &str) -> String {
    to_java_string(&mut parse_pairs(s))
}

/// Encode with a trailing separator after every pair (5.x style; 4.9.8 readers accept it), in
/// the order given.
pub fn properties_to_string<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
) -> String {
    let len = pairs
        .clone()
        .into_iter()
        .map(|(n, v)| n.len() + v.len() + 2)
        .sum();
    let mut s = String::with_capacity(len);
    for (n, v) in pairs {
        s.push_str(n);
        s.push(NAME_VALUE_SEPARATOR);
        s.push_str(v);
        s.push(PROPERTY_SEPARATOR);
    }
    s
}

/// The value of one property, found without building the whole map (hot path). Same rules as
/// [`parse_properties`] with "last one wins".
pub fn property<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    raw_pairs(s)
        .filter(|&(n, v)| !v.is_empty() && same_name(n, name))
        .last()
        .map(|(_, v)| v)
}

/// [`property`] of each of `names`, in one pass.
pub fn properties<'a, const N: usize>(s: &'a str, names: [&str; N]) -> [Option<&'a str>; N] {
    property_spans(s, names).map(|span| span.and_then(|r| s.get(r)))
}

/// Where each of [`properties`]' values is in `s`.
pub fn property_spans<const N: usize>(s: &str, names: [&str; N]) -> [Option<Range<usize>>; N] {
    let mut found = [const { None }; N];
    for (n, v) in raw_pairs(s).filter(|(_, v)| !v.is_empty()) {
        if let Some(i) = names.iter().position(|name| same_name(n, name)) {
            let start = v.as_ptr() as usize - s.as_ptr() as usize;
            found[i] = Some(start..start + v.len());
        }
    }
    found
}

/// Whether any of `names` has a non-empty value in `s` ([`property`] of each, in one pass).
pub fn has_any(s: &str, names: &[&str]) -> bool {
    raw_pairs(s).any(|(n, v)| !v.is_empty() && names.iter().any(|name| same_name(n, name)))
}

/// Name and value (split at its first [`NAME_VALUE_SEPARATOR`]) of every part of `s` between
/// [`PROPERTY_SEPARATOR`]s that holds one, in order. Every send reads its properties several
/// times: the separators are found eight bytes a step ([`next_separator`]), where `str::split` on
/// a `char` pays a searcher's set-up per part.
pub fn raw_pairs(s: &str) -> RawPairs<'_> {
    RawPairs { s, at: 0 }
}

/// The iterator of [`raw_pairs`].
pub struct RawPairs<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Iterator for RawPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let bytes = self.s.as_bytes();
        let mut start = self.at;
        let mut sep = None;
        let mut from = self.at;
        // The separators are ASCII: every cut falls on a character boundary.
        while let Some(i) = next_separator(bytes, from) {
            match bytes[i] {
                2 => match sep {
                    Some(sep) => {
                        self.at = i + 1;
                        return Some((&self.s[start..sep], &self.s[sep + 1..i]));
                    }
                    None => start = i + 1,
                },
                1 if sep.is_none() => sep = Some(i),
                _ => {}
            }
            from = i + 1;
        }
        self.at = bytes.len();
        sep.map(|sep| (&self.s[start..sep], &self.s[sep + 1..]))
    }
}

/// The index of the first byte below 3 (one of the two separators, or NUL) at or after `from`,
/// eight bytes a step: `(w - 0x03…) & !w & 0x80…` flags a byte below 3 at its lowest hit (a borrow can flag
/// bytes above a hit, never below one), and little-endian puts the first byte lowest.
pub fn next_separator(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hit = w.wrapping_sub(ONES * 3) & !w & HIGHS;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes.get(i..)?.iter().position(|&b| b < 3).map(|p| i + p)
}

/// Length and first byte before the bytes: names are short, most differ in their first byte.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<&str> {
        parse_pairs(s).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn raw_pairs_cut_each_part_at_its_first_name_value_separator() {
        let s = "a\u{1}b\u{2}\u{2}c\u{2}d\u{1}e\u{1}f\u{2}\u{1}g\u{2}h\u{1}\u{2}é\u{1}ü";
        let got: Vec<_> = raw_pairs(s).collect();
        assert_eq!(
            got,
            vec![
                ("a", "b"),
                ("d", "e\u{1}f"),
                ("", "g"),
                ("h", ""),
                ("é", "ü")
            ]
        );
        assert_eq!(raw_pairs("").count(), 0);
        // Longer than a step, with NUL and multi-byte characters around the separators.
        let s = "WAIT\u{1}true\u{2}UNIQ_KEY\u{1}0123456789ABCDEF0123456789ABCDEF\u{2}k\u{0}ey\u{1}v\u{0}ä\u{1}x\u{2}nothing here at all\u{2}€€€€\u{1}日本\u{2}";
        let got: Vec<_> = raw_pairs(s).collect();
        assert_eq!(
            got,
            vec![
                ("WAIT", "true"),
                ("UNIQ_KEY", "0123456789ABCDEF0123456789ABCDEF"),
                ("k\u{0}ey", "v\u{0}ä\u{1}x"),
                ("€€€€", "日本")
            ]
        );
        for (i, b) in s.bytes().enumerate() {
            let want = s.bytes().skip(i).position(|c| c < 3).map(|p| p + i);
            assert_eq!(next_separator(s.as_bytes(), i), want, "from {i} ({b})");
        }
        assert_eq!(
            parse_pairs("a\u{1}1\u{2}\u{1}g\u{2}h\u{1}\u{2}a\u{1}2"),
            vec![("a", "2")]
        );
    }

    /// Orders the Java 5.3.3 broker stored for the same traffic (compat-tests `records`).
    #[test]
    fn java_map_order_matches_java_records() {
        let cases: [(&[&str], &[&str]); 4] = [
            (
                &[
                    "color",
                    "size",
                    "UNIQ_KEY",
                    "WAIT",
                    "MSG_REGION",
                    "TRACE_ON",
                    "CLUSTER",
                ],
                &[
                    "MSG_REGION",
                    "UNIQ_KEY",
                    "CLUSTER",
                    "size",
                    "color",
                    "WAIT",
                    "TRACE_ON",
                ],
            ),
            (
                // UNIQ_KEY and CLUSTER share a bucket: insertion order decides.
                &["TAGS", "a", "MSG_REGION", "TRACE_ON", "UNIQ_KEY", "CLUSTER"],
                &["MSG_REGION", "UNIQ_KEY", "CLUSTER", "TAGS", "a", "TRACE_ON"],
            ),
            (
                &[
                    "TIMER_DELAY_SEC",
                    "UNIQ_KEY",
                    "WAIT",
                    "MSG_REGION",
                    "TRACE_ON",
                    "CLUSTER",
                    "TIMER_OUT_MS",
                    "REAL_TOPIC",
                    "REAL_QID",
                    "TIMER_ENQUEUE_MS",
                    "TIMER_DEQUEUE_MS",
                ],
                &[
                    "TIMER_DELAY_SEC",
                    "TIMER_OUT_MS",
                    "MSG_REGION",
                    "UNIQ_KEY",
                    "CLUSTER",
                    "TIMER_ENQUEUE_MS",
                    "WAIT",
                    "TRACE_ON",
                    "TIMER_DEQUEUE_MS",
                    "REAL_TOPIC",
                    "REAL_QID",
                ],
            ),
            (
                &[
                    "UNIQ_KEY",
                    "WAIT",
                    "MSG_REGION",
                    "TRACE_ON",
                    "CLUSTER",
                    "RETRY_TOPIC",
                    "DELAY",
                    "ORIGIN_MESSAGE_ID",
                    "REAL_TOPIC",
                    "REAL_QID",
                ],
                &[
                    "ORIGIN_MESSAGE_ID",
                    "RETRY_TOPIC",
                    "MSG_REGION",
                    "UNIQ_KEY",
                    "CLUSTER",
                    "DELAY",
                    "WAIT",
                    "TRACE_ON",
                    "REAL_TOPIC",
                    "REAL_QID",
                ],
            ),
        ];
        for (inserted, java) in cases {
            let mut pairs: Vec<(&str, &str)> = inserted.iter().map(|k| (*k, "v")).collect();
            let s = to_java_string(&mut pairs);
            assert_eq!(names(&s), java.to_vec());
            assert_eq!(reencode(&s), s, "stable across a decode and encode");
        }
        // The op marker: `new Message(topic, "d", body)`, a default-capacity map.
        let mut op = vec![("TAGS", "d"), ("WAIT", "true")];
        java_map_order(&mut op, MESSAGE_MAP_CAPACITY);
        assert_eq!(op, vec![("WAIT", "true"), ("TAGS", "d")]);
    }

    /// The names hashed at compile time hash as at run time, and so do others.
    #[test]
    fn known_names_hash_as_java_does() {
        for name in [
            "UNIQ_KEY",
            "WAIT",
            "TAGS",
            "KEYS",
            "MSG_REGION",
            "TRACE_ON",
            "CLUSTER",
            "DELAY",
            "REAL_TOPIC",
            "REAL_QID",
            "RETRY_TOPIC",
            "ORIGIN_MESSAGE_ID",
            "RECONSUME_TIME",
            "MAX_RECONSUME_TIMES",
            "CONSUME_START_TIME",
            "PGROUP",
            "TRAN_MSG",
            "INSTANCE_ID",
            "color",
            "UNIQ_KE",
            "",
            "é",
        ] {
            assert_eq!(name_hash(name), crate::message::java_hash(name), "{name}");
        }
        assert_eq!(name_hash("UNIQ_KEY"), 488_471_169);
    }

    #[test]
    fn java_map_order_grows_the_table() {
        // 97 names overflow 128 buckets (threshold 96): the order is that of 256 buckets.
        let owned: Vec<String> = (0..97).map(|i| format!("k{i}")).collect();
        let mut pairs: Vec<(&str, ())> = owned.iter().map(|k| (k.as_str(), ())).collect();
        java_map_order(&mut pairs, PARSED_MAP_CAPACITY);
        let bucket = |k: &str| {
            let h = crate::message::java_hash(k) as u32;
            (h ^ (h >> 16)) & 255
        };
        assert!(pairs.windows(2).all(|w| bucket(w[0].0) <= bucket(w[1].0)));
        // Java 17's `new HashMap<>(128)` after putting k0..k96 in order iterates from:
        let first: Vec<&str> = pairs.iter().take(12).map(|(k, _)| *k).collect();
        assert_eq!(
            first,
            ["k31", "k30", "k33", "k32", "k35", "k34", "k37", "k36", "k39", "k38", "k0", "k1"]
        );
    }

    #[test]
    fn java_parse_rules() {
        let s = "KEYS\u{1}k1 k2\u{2}TAGS\u{1}TagA\u{2}E\u{1}\u{2}\u{1}x\u{2}ab\u{2}TAGS\u{1}TagB";
        let p = parse_properties(s);
        assert_eq!(
            p,
            vec![
                ("KEYS".into(), "k1 k2".into()),
                ("TAGS".into(), "TagB".into())
            ]
        );
        assert_eq!(property(s, "TAGS"), Some("TagB"));
        assert_eq!(property(s, "KEYS"), Some("k1 k2"));
        assert_eq!(property(s, "E"), None);
        assert_eq!(property(s, "TAG"), None);
        assert_eq!(
            properties_to_string([("a", "b"), ("c", "d")]),
            "a\u{1}b\u{2}c\u{1}d\u{2}"
        );
    }

    #[test]
    fn properties_in_one_pass_as_property_each() {
        let s = "KEYS\u{1}a\u{2}UNIQ_KEY\u{1}\u{2}KEYS\u{1}b\u{2}TAGS\u{1}t";
        assert_eq!(
            properties(s, ["KEYS", "UNIQ_KEY", "TAGS"]),
            [Some("b"), None, Some("t")]
        );
        for name in ["KEYS", "UNIQ_KEY", "TAGS", "X"] {
            assert_eq!(properties(s, [name])[0], property(s, name));
        }
    }

    #[test]
    fn written_spans_are_where_a_scan_finds_the_values() {
        for s in [
            "",
            "KEYS\u{1}a\u{2}UNIQ_KEY\u{1}\u{2}KEYS\u{1}b\u{2}TAGS\u{1}t",
            "DELAY\u{1}3\u{2}x\u{1}y\u{1}z\u{2}\u{1}v\u{2}TAGS\u{1}é\u{2}UNIQ_KEY\u{1}7F",
            "CLUSTER\u{1}\u{2}KEYS\u{1}k1 k2",
        ] {
            let mut pairs = parse_pairs(s);
            pairs.push(("CLUSTER", ""));
            let (text, spans) = to_java_string_spans(&mut pairs, DISPATCH_KEYS);
            assert_eq!(spans, property_spans(&text, DISPATCH_KEYS), "{s:?}");
            let values = spans.map(|r| r.map(|r| &text[r]));
            assert_eq!(values, properties(&text, DISPATCH_KEYS), "{s:?}");
        }
    }

    #[test]
    fn has_any_needs_a_value() {
        let s = "KEYS\u{1}k\u{2}TIMER_DELAY_MS\u{1}\u{2}TAGS\u{1}t\u{2}";
        assert!(!has_any(s, &["TIMER_DELAY_MS", "TIMER_DELAY_SEC"]));
        assert!(has_any(s, &["TIMER_DELAY_SEC", "TAGS"]));
        assert!(!has_any("", &["TAGS"]));
    }
}
