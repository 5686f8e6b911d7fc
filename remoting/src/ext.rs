//! A command's `extFields`: string keys to string values.
//!
//! Every key and value lives in one text buffer, each entry is a pair of spans into it:
//! decoding a header of a dozen fields costs two allocations instead of two per field (a JSON
//! header's fields are one copy of its text, spans of which they are), and a lookup compares a
//! few short keys, which is quicker than hashing one. Past [`INDEXED_FROM`] keys a hash index
//! takes over, so a peer sending a 16 MiB header full of keys still costs linear time. New
//! entries are laid out as the body of their JSON object, which the JSON writer copies whole.
//!
//! ```text
//! text:    "topic":"T1","queueId":"3"…   entries: [(key 1..6, value 9..11), (key 14..21, value 24..25), …]
//! ```

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

/// Keys up to which lookups scan; beyond it they go through the index.
const INDEXED_FROM: usize = 24;

/// Bytes past a decoded header's text kept for the values it decodes ([`ExtFields::over_text`]).
const DECODED_ROOM: usize = 1024;

/// Text left unreferenced by replaced values and removed entries before it is reclaimed.
const COMPACT_FROM: usize = 4096;

/// Absent and empty are the same. Inserting an existing key replaces its value in place (Java's
/// `HashMap.put`, which is also how duplicate keys in a binary header resolve: last wins).
/// Iteration is in insertion order, except that a removal moves the last entry into the
/// removed one's place (order carries no meaning on the wire).
#[derive(Clone, Default)]
pub struct ExtFields {
    text: String,
    entries: Vec<Entry>,
    /// Key → position in `entries`, once there are more than [`INDEXED_FROM`] of them. Boxed:
    /// few commands ever have one, and the others need not carry a map's size.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Box<[u8]>, usize>>>,
    /// Bytes of `text` no entry refers to any more.
    dead: usize,
    /// False while `text` is exactly the body of the JSON object of the entries in their order,
    /// `"k1":"v1","k2":"v2"`, as each new entry is laid out: the JSON writer then copies it
    /// whole ([`json_body`](Self::json_body)). A replaced value, a removal or a decoder's text
    /// sets it until the next compaction.
    scattered: bool,
    /// One bit ([`bit`]) per key ever inserted, never cleared: a key whose bit is unset is
    /// absent without a scan. A decoder inserts every key after a check for a duplicate, and a
    /// typed header asks for optional fields that are mostly absent.
    seen: u64,
}

#[derive(Clone)]
struct Entry {
    /// [`tag`] of the key.
    tag: u64,
    key: Range<usize>,
    value: Range<usize>,
}

/// The bit of `seen` for a key's tag.
fn bit(tag: u64) -> u64 {
    1 << (tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// A key's first seven bytes and its length in one word: equal tags mean equal keys up to seven
/// bytes long (SEND_MESSAGE_V2's are one letter, most others under eight), so a lookup compares
/// one word per entry and reads the text only for longer keys.
fn tag(key: &[u8]) -> u64 {
    let n = key.len();
    // Little-endian loads that may overlap rather than a copy of `n` bytes, which is a call.
    let word = match n {
        0 => 0,
        1..=3 => {
            u64::from(key[0])
                | u64::from(key[n / 2]) << (8 * (n / 2))
                | u64::from(key[n - 1]) << (8 * (n - 1))
        }
        4..=7 => {
            let lo = u32::from_le_bytes([key[0], key[1], key[2], key[3]]);
            let hi = u32::from_le_bytes([key[n - 4], key[n - 3], key[n - 2], key[n - 1]]);
            u64::from(lo) | u64::from(hi) << (8 * (n - 4))
        }
        _ => {
            let first = [
                key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
            ];
            u64::from_le_bytes(first) & 0x00FF_FFFF_FFFF_FFFF
        }
    };
    word | (n.min(255) as u64) << 56
}

impl ExtFields {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `text` bytes of keys and values (a decoder knows the header's size).
    pub fn with_text_capacity(text: usize) -> Self {
        Self {
            text: String::with_capacity(text),
            entries: Vec::with_capacity(16),
            ..Self::default()
        }
    }

    #[inline]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key)
            .map(|i| &self.text[self.entries[i].value.clone()])
    }

    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let value = value.as_ref();
        self.insert_with(key.as_ref(), |text| {
            text.push_str(value);
            true
        });
    }

    /// Inserts `key` with the value `write` appends to the text, unless it returns false (a
    /// null): a typed header writes its numbers here without a string of their own.
    pub fn insert_with(&mut self, key: &str, write: impl FnOnce(&mut String) -> bool) {
        // The tag serves the lookup and, for a new key, its entry.
        let t = tag(key.as_bytes());
        if let Some(i) = self.position_tagged(key.as_bytes(), t) {
            let start = self.text.len();
            if write(&mut self.text) {
                self.replace_value(i, start..self.text.len());
            } else {
                self.text.truncate(start);
            }
            return;
        }
        // Laid out as the JSON writer writes it: `,"key":"value"`.
        let mark = self.text.len();
        if !self.entries.is_empty() {
            self.text.push(',');
        }
        self.text.push('"');
        let key_start = self.text.len();
        // SEND_MESSAGE_V2's keys are one letter: a push, not a copy's call.
        match *key.as_bytes() {
            [b] => self.text.push(char::from(b)),
            _ => self.text.push_str(key),
        }
        let key = key_start..self.text.len();
        self.text.push_str("\":\"");
        let start = self.text.len();
        if !write(&mut self.text) {
            self.text.truncate(mark);
            return;
        }
        let value = start..self.text.len();
        self.text.push('"');
        self.push_entry(t, key, value);
    }

    /// The body of the JSON object of these fields, when the text is exactly that (see
    /// `scattered`). Keys and values are as given: the writer still checks them for characters
    /// to escape.
    pub(crate) fn json_body(&self) -> Option<&str> {
        (!self.scattered).then_some(self.text.as_str())
    }

    /// Fields whose keys and values will be spans of a copy of `raw` ([`insert_spans`]): a
    /// decoder copies the text a header's fields are written in once, then records where each
    /// key and value lies in it instead of copying each. Until then all of it is unreferenced.
    ///
    /// [`insert_spans`]: Self::insert_spans
    pub(crate) fn over_text(raw: &str) -> Self {
        // Room for the values with escapes, decoded after it (a send's properties), which is
        // never more than their escaped text.
        let mut text = String::with_capacity(raw.len() + raw.len().min(DECODED_ROOM));
        text.push_str(raw);
        Self {
            text,
            entries: Vec::with_capacity(16),
            dead: raw.len(),
            scattered: true,
            ..Self::default()
        }
    }

    /// Inserts the key and value at these spans of the text, which no entry refers to yet.
    pub(crate) fn insert_spans(&mut self, key: Range<usize>, value: Range<usize>) {
        // Spans anywhere in the text are not the layout `json_body` promises: only fields made
        // `over_text`, which start scattered, take them.
        debug_assert!(self.scattered);
        let k = &self.text.as_bytes()[key.clone()];
        let t = tag(k);
        self.dead -= value.len();
        match self.position_tagged(k, t) {
            Some(i) => self.replace_value(i, value),
            None => {
                self.dead -= key.len();
                self.push_entry(t, key, value);
            }
        }
    }

    /// Inserts the key at this span of the text with the value `write` appends to the text
    /// ([`insert_with`](Self::insert_with) for a key already in the text).
    pub(crate) fn insert_span_with(&mut self, key: Range<usize>, write: impl FnOnce(&mut String)) {
        let start = self.text.len();
        write(&mut self.text);
        self.dead += self.text.len() - start;
        self.insert_spans(key, start..self.text.len());
    }

    fn replace_value(&mut self, i: usize, value: Range<usize>) {
        let old = std::mem::replace(&mut self.entries[i].value, value);
        self.dead += old.len();
        self.scattered = true;
        self.compact_if_wasteful();
    }

    fn push_entry(&mut self, t: u64, key: Range<usize>, value: Range<usize>) {
        self.seen |= bit(t);
        self.entries.push(Entry { tag: t, key, value });
        if self.index.is_some() || self.entries.len() > INDEXED_FROM {
            self.index_last();
        }
    }

    /// Removes `key`; the last entry takes its place.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.position(key)?;
        let gone = self.entries.swap_remove(i);
        let value = self.text[gone.value.clone()].to_owned();
        self.dead += gone.key.len() + gone.value.len();
        self.scattered = true;
        if let Some(index) = &mut self.index {
            index.remove(key.as_bytes());
            if let Some(moved) = self.entries.get(i) {
                index.insert(self.text.as_bytes()[moved.key.clone()].into(), i);
            }
        }
        self.compact_if_wasteful();
        Some(value)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The length of the text the keys and values are kept in.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The values of the one-letter keys `a`..`z`, by letter, in one pass over the entries. A
    /// one-byte key's [`tag`] is its byte and its length, so the keys are not read at all.
    pub(crate) fn by_letter(&self) -> [Option<&str>; 26] {
        const A: u64 = 1 << 56 | b'a' as u64;
        let mut raw = [None; 26];
        for e in &self.entries {
            let letter = e.tag.wrapping_sub(A);
            if letter < 26 {
                raw[letter as usize] = self.text.get(e.value.clone());
            }
        }
        raw
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|e| (&self.text[e.key.clone()], &self.text[e.value.clone()]))
    }

    // Inlined into its callers: a call cost as much as the scan of a dozen one-word tags.
    #[inline(always)]
    fn position(&self, key: &str) -> Option<usize> {
        self.position_tagged(key.as_bytes(), tag(key.as_bytes()))
    }

    /// [`position`](Self::position) of `key`, whose [`tag`] is `t`.
    #[inline(always)]
    fn position_tagged(&self, key: &[u8], t: u64) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => {
                if self.seen & bit(t) == 0 {
                    return None;
                }
                if key.len() <= 7 {
                    return self.entries.iter().position(|e| e.tag == t);
                }
                self.entries
                    .iter()
                    .position(|e| e.tag == t && &self.text.as_bytes()[e.key.clone()] == key)
            }
        }
    }

    /// Keeps the index in step with a pushed entry, building it when the entries outgrow a scan
    /// (called only then: most commands never have an index).
    #[cold]
    fn index_last(&mut self) {
        let last = self.entries.len() - 1;
        if let Some(index) = &mut self.index {
            index.insert(
                self.text.as_bytes()[self.entries[last].key.clone()].into(),
                last,
            );
        } else if self.entries.len() > INDEXED_FROM {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (self.text.as_bytes()[e.key.clone()].into(), i))
                .collect();
            self.index = Some(Box::new(index));
        }
    }

    /// Rewrites the text without its unreferenced bytes once they are most of it, so a value
    /// replaced over and over does not grow the buffer without bound. The entries are laid out
    /// again as new ones are.
    fn compact_if_wasteful(&mut self) {
        if self.dead < COMPACT_FROM || self.dead < self.text.len() / 2 {
            return;
        }
        let mut text = String::with_capacity(self.text.len() - self.dead);
        for (i, e) in self.entries.iter_mut().enumerate() {
            text.push_str(if i == 0 { "\"" } else { ",\"" });
            for (span, after) in [(&mut e.key, "\":\""), (&mut e.value, "\"")] {
                let start = text.len();
                text.push_str(&self.text[span.clone()]);
                *span = start..text.len();
                text.push_str(after);
            }
        }
        self.text = text;
        self.dead = 0;
        self.scattered = false;
    }
}

/// Equal when they hold the same keys with the same values, in any order.
impl PartialEq for ExtFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Eq for ExtFields {}

impl fmt::Debug for ExtFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut ext = ExtFields::new();
        for (k, v) in iter {
            ext.insert(k, v);
        }
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_the_first_seven_bytes_and_the_length() {
        let text: Vec<u8> = (1..=40u8).map(|b| b.wrapping_mul(37)).collect();
        for n in 0..text.len() {
            let key = &text[..n];
            let mut want = [0u8; 8];
            want[..n.min(7)].copy_from_slice(&key[..n.min(7)]);
            want[7] = n as u8;
            assert_eq!(tag(key), u64::from_le_bytes(want), "length {n}");
        }
    }

    #[test]
    fn keys_sharing_their_first_bytes_stay_apart() {
        let keys = [
            "consumerGroup",
            "consumerGroupX",
            "consumeGroup!",
            "consume",
            "consum",
            "",
        ];
        let mut ext = ExtFields::new();
        for (i, k) in keys.iter().enumerate() {
            ext.insert(k, i.to_string());
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(ext.get(k), Some(i.to_string().as_str()), "{k}");
        }
        assert_eq!(ext.get("consumerGroupY"), None);
        assert_eq!(ext.get("consumerGroupXX"), None);
        assert_eq!(ext.len(), keys.len());
    }

    #[test]
    fn replace_in_place_and_remove() {
        let mut ext: ExtFields = [("a", "1"), ("b", "2")].into_iter().collect();
        ext.insert("a", "3");
        assert_eq!(ext.iter().collect::<Vec<_>>(), vec![("a", "3"), ("b", "2")]);
        assert_eq!(ext.remove("a").as_deref(), Some("3"));
        assert_eq!(ext.iter().collect::<Vec<_>>(), vec![("b", "2")]);
        assert_eq!(ext.remove("a"), None);
        assert!(!ext.contains_key("a") && ext.contains_key("b"));
    }

    #[test]
    fn a_null_value_inserts_nothing() {
        let mut ext = ExtFields::new();
        ext.insert_with("a", |t| {
            t.push_str("half");
            false
        });
        assert!(ext.is_empty());
        ext.insert("b", "1");
        assert_eq!(ext.get("b"), Some("1"));
    }

    #[test]
    fn equality_ignores_order() {
        let a: ExtFields = [("a", "1"), ("b", "2")].into_iter().collect();
        let mut b: ExtFields = [("b", "2"), ("a", "0")].into_iter().collect();
        assert_ne!(a, b);
        b.insert("a", "1");
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), r#"{"a": "1", "b": "2"}"#);
    }

    /// Past the scan limit the index answers, and stays right through replacements and swaps.
    #[test]
    fn many_keys_go_through_the_index() {
        let mut ext = ExtFields::new();
        for i in 0..1000 {
            ext.insert(format!("k{i}"), i.to_string());
        }
        assert!(ext.index.is_some());
        ext.insert("k7", "seven");
        assert_eq!(ext.remove("k3").as_deref(), Some("3"));
        // The last entry moved into k3's place and is still found.
        assert_eq!(ext.get("k999"), Some("999"));
        assert_eq!(ext.get("k7"), Some("seven"));
        assert_eq!(ext.get("k3"), None);
        assert_eq!(ext.len(), 999);
        for i in (0..1000).filter(|&i| i != 3 && i != 7) {
            assert_eq!(ext.get(&format!("k{i}")), Some(i.to_string().as_str()));
        }
    }

    /// Fields over a decoder's copy of a header: spans of it, a decoded value after it, a
    /// duplicate key's last value winning, and the unreferenced bytes reclaimed as for any other.
    #[test]
    fn spans_of_a_copied_text() {
        let raw = r#""topic":"T1","i":"a\u0001b","topic":"T2","q":"3"}"#;
        let mut ext = ExtFields::over_text(raw);
        // The quoted string `s`, first or last, without its quotes.
        let at = |s: &str, last: bool| {
            let quoted = format!("\"{s}\"");
            let i = if last {
                raw.rfind(&quoted)
            } else {
                raw.find(&quoted)
            }
            .unwrap()
                + 1;
            i..i + s.len()
        };
        ext.insert_spans(at("topic", false), at("T1", false));
        ext.insert_span_with(at("i", false), |t| t.push_str("a\u{1}b"));
        ext.insert_spans(at("topic", true), at("T2", false));
        ext.insert_spans(at("q", false), at("3", false));
        assert_eq!(ext.len(), 3);
        assert_eq!(ext.get("topic"), Some("T2"));
        assert_eq!(ext.get("i"), Some("a\u{1}b"));
        assert_eq!(ext.get("q"), Some("3"));
        let live = "topic".len() + "T2".len() + "i".len() + "a\u{1}b".len() + "q3".len();
        assert_eq!(ext.dead, ext.text.len() - live);
        for i in 0..100_000 {
            ext.insert("q", format!("value {i}"));
        }
        assert!(ext.text.len() < 2 * COMPACT_FROM, "{}", ext.text.len());
        assert_eq!(ext.get("topic"), Some("T2"));
        assert_eq!(ext.get("i"), Some("a\u{1}b"));
        assert_eq!(ext.get("q"), Some("value 99999"));
    }

    /// A value replaced again and again leaves the text bounded.
    #[test]
    fn replaced_values_are_reclaimed() {
        let mut ext: ExtFields = [("a", "1"), ("b", "2")].into_iter().collect();
        for i in 0..100_000 {
            ext.insert("a", format!("value {i}"));
        }
        assert!(ext.text.len() < 2 * COMPACT_FROM, "{}", ext.text.len());
        assert_eq!(ext.get("a"), Some("value 99999"));
        assert_eq!(ext.get("b"), Some("2"));
    }
}
