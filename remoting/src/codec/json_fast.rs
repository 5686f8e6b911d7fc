//! A fast path for the JSON headers every known client writes: a flat object of plain strings
//! and integers, `extFields` an object of plain strings. Header parsing through serde was the
//! largest cost of answering a small request (a visitor call, a UTF-8 check and an escape scan
//! per string); this reads the common shape in one pass over an input checked for UTF-8 once.
//!
//! Ext values may hold JSON escapes: the properties of every send a Java client makes carry
//! their 0x01/0x02 separators as `\u0001`/`\u0002`. It gives up (`None`) on anything else — an
//! escape in any other string, a surrogate escape, a raw control character in a string, a
//! non-integer or out-of-range number, a numeric string, `language` as an ordinal, a nested
//! value under an unknown key, a null ext value, trailing text — and the caller then uses the
//! general reader in [`super::json`], so the result is always the one that reader gives
//! (duplicate keys included: the last one wins in both). The tests check that agreement on
//! every one-byte mutation of real client headers.

use crate::command::{Command, ExtFields, LanguageCode};

/// The command of a header of the common shape, or `None` when the general reader must decide.
pub(super) fn read_header(bytes: &[u8]) -> Option<Command> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut p = Parser { text, pos: 0 };
    let mut cmd = super::json::empty_header_command();
    p.expect(b'{')?;
    if !p.eat(b'}') {
        loop {
            let key = p.string()?;
            p.expect(b':')?;
            match key {
                "code" => cmd.code = p.int()?,
                "flag" => cmd.flag = p.int()?,
                "opaque" => cmd.opaque = p.int()?,
                "version" => cmd.version = p.int()?,
                "language" => cmd.language = LanguageCode::from_name(p.string()?),
                "remark" => cmd.remark = p.null_or_string()?.map(str::to_owned),
                "extFields" => cmd.ext_fields = p.ext()?,
                _ => p.scalar()?,
            }
            if p.eat(b',') {
                continue;
            }
            p.expect(b'}')?;
            break;
        }
    }
    p.skip_ws();
    (p.pos == text.len()).then_some(cmd)
}

/// The length of the run of string bytes before the first that ends it: a quote, a backslash or
/// a control character (`None` when there is none). Eight bytes a step, as strings are most of a
/// header's bytes: in each word a byte is flagged where it equals `"` or `\` (XOR leaves it
/// zero) or is below 0x20; a subtraction's borrow can flag bytes only above a real hit, so the
/// lowest flag is the first hit, and little-endian puts the first byte lowest.
fn plain_run(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hits = (zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGHS;
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    let len = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(at + len)
}

/// A hex digit's value (`char::to_digit(16)` without its radix generality: every Java send's
/// header has a dozen `\uXXXX` escapes).
fn hex_value(b: u8) -> Option<u32> {
    let v = match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => return None,
    };
    Some(u32::from(v))
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        let bytes = self.text.as_bytes();
        while bytes
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `b` if it is next. Clients write compact JSON: the byte
    /// is nearly always there with no whitespace before it.
    #[inline(always)]
    fn eat(&mut self, b: u8) -> bool {
        if self.text.as_bytes().get(self.pos) == Some(&b) {
            self.pos += 1;
            return true;
        }
        self.skip_ws();
        let found = self.text.as_bytes().get(self.pos) == Some(&b);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    /// A string without escapes or control characters (JSON forbids raw controls). Inlined: a
    /// header has some twenty of them, most one to nine bytes long.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let span = self.span()?;
        // Both ends sit next to an ASCII quote, so they are character boundaries.
        self.text.get(span)
    }

    /// Where [`string`](Self::string) lies in the text, without the quotes.
    #[inline(always)]
    fn span(&mut self) -> Option<std::ops::Range<usize>> {
        self.expect(b'"')?;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let end = start + plain_run(bytes.get(start..)?)?;
        if bytes[end] != b'"' {
            return None;
        }
        self.pos = end + 1;
        Some(start..end)
    }

    /// A string whose escapes are decoded into `out`: the two-character ones and `\uXXXX`
    /// outside the surrogates (a pair, or a lone one, is left to the general reader).
    fn string_into(&mut self, out: &mut String) -> Option<()> {
        self.expect(b'"')?;
        let bytes = self.text.as_bytes();
        loop {
            let start = self.pos;
            let len = plain_run(&bytes[start..])?;
            // Both ends sit next to ASCII bytes, so they are character boundaries.
            out.push_str(self.text.get(start..start + len)?);
            self.pos = start + len;
            let c = match (bytes[self.pos], bytes.get(self.pos + 1)) {
                (b'"', _) => {
                    self.pos += 1;
                    return Some(());
                }
                (b'\\', Some(b'u')) => {
                    let hex = bytes.get(self.pos + 2..self.pos + 6)?;
                    let code = hex
                        .iter()
                        .try_fold(0u32, |code, &b| Some(code << 4 | hex_value(b)?))?;
                    self.pos += 4;
                    // A surrogate is no char: the general reader decides.
                    char::from_u32(code)?
                }
                (b'\\', Some(b'"')) => '"',
                (b'\\', Some(b'\\')) => '\\',
                (b'\\', Some(b'/')) => '/',
                (b'\\', Some(b'b')) => '\u{8}',
                (b'\\', Some(b'f')) => '\u{c}',
                (b'\\', Some(b'n')) => '\n',
                (b'\\', Some(b'r')) => '\r',
                (b'\\', Some(b't')) => '\t',
                // Another escape, or a raw control character (JSON forbids them).
                _ => return None,
            };
            self.pos += 2;
            out.push(c);
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        self.skip_ws();
        let found = self.text[self.pos..].starts_with(word);
        if found {
            self.pos += word.len();
        }
        found
    }

    fn null_or_string(&mut self) -> Option<Option<&'a str>> {
        if self.literal("null") {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// An integer literal in `int` range: `-?(0|[1-9][0-9]*)`, not `-0`. Digits are folded as
    /// they are found, in one pass; more than 11 of them is out of range whatever they are, so
    /// the fold cannot overflow an i64.
    fn int(&mut self) -> Option<i32> {
        self.skip_ws();
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let negative = bytes.get(start) == Some(&b'-');
        let digits_start = start + usize::from(negative);
        let mut end = digits_start;
        let mut magnitude = 0i64;
        while let Some(&b) = bytes.get(end) {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if end - digits_start == 11 {
                return None;
            }
            magnitude = magnitude * 10 + i64::from(d);
            end += 1;
        }
        let digits = end - digits_start;
        let leading_zero = digits > 1 && bytes[digits_start] == b'0';
        let minus_zero = negative && digits == 1 && bytes[digits_start] == b'0';
        // A fraction or exponent follows: not an integer literal.
        let fraction = matches!(bytes.get(end), Some(b'.' | b'e' | b'E'));
        if digits == 0 || leading_zero || minus_zero || fraction {
            return None;
        }
        self.pos = end;
        i32::try_from(if negative { -magnitude } else { magnitude }).ok()
    }

    /// The value of a key the header does not use: a plain string, an integer or a literal.
    fn scalar(&mut self) -> Option<()> {
        self.skip_ws();
        match self.text.as_bytes().get(self.pos)? {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => self.int().map(drop),
            _ if self.literal("true") || self.literal("false") || self.literal("null") => Some(()),
            _ => None,
        }
    }

    /// `extFields`: an object of plain strings, or null (empty). The rest of the header is
    /// copied once and each key and value is a span of that copy; only a value with escapes is
    /// decoded into text of its own.
    fn ext(&mut self) -> Option<ExtFields> {
        if self.literal("null") {
            return Some(ExtFields::new());
        }
        self.expect(b'{')?;
        let base = self.pos;
        let mut ext = ExtFields::over_text(&self.text[base..]);
        if self.eat(b'}') {
            return Some(ext);
        }
        loop {
            let key = self.span()?;
            self.expect(b':')?;
            let at = self.pos;
            match self.span() {
                Some(value) => ext.insert_spans(
                    key.start - base..key.end - base,
                    value.start - base..value.end - base,
                ),
                None => {
                    self.pos = at;
                    let mut ok = true;
                    ext.insert_span_with(key.start - base..key.end - base, |text| {
                        ok = self.string_into(text).is_some();
                    });
                    if !ok {
                        return None;
                    }
                }
            }
            if self.eat(b',') {
                continue;
            }
            self.expect(b'}')?;
            return Some(ext);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::read_header_general;

    /// What Java 5.3.3 / 4.9.8 clients send for GET_ROUTEINFO_BY_TOPIC.
    const JAVA: &str = r#"{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}"#;
    /// rocketmq-client-go v2: its own field order, an empty remark.
    const GO: &str = r#"{"code":105,"language":"GO","version":317,"opaque":3,"flag":0,"remark":"","extFields":{"topic":"TopicTest"}}"#;
    /// A Java 5.3.3 SEND_MESSAGE_V2: fastjson writes the properties' separators as escapes.
    const SEND: &str = r#"{"code":310,"extFields":{"a":"PG","b":"TopicTest","c":"TBW102","d":"4","e":"1","f":"0","g":"1733472000000","h":"0","i":"UNIQ_KEY\u0001AC11000100002A9F0000000000000000\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002","j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","opaque":12,"serializeTypeCurrentRPC":"JSON","version":479}"#;
    /// The C++ client ends its header with a newline.
    const CPP: &str = "{\"code\":105,\"extFields\":{\"topic\":\"T\"},\"flag\":0,\"language\":\"CPP\",\"opaque\":1,\"remark\":null,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":0}\n";

    /// Whenever the fast path answers, the general reader gives the same command.
    fn agrees(header: &[u8]) -> bool {
        let Some(fast) = read_header(header) else {
            return false;
        };
        let general = read_header_general(header);
        assert_eq!(
            general.as_ref().ok(),
            Some(&fast),
            "{:?}",
            String::from_utf8_lossy(header)
        );
        true
    }

    #[test]
    fn plain_run_finds_the_first_quote_backslash_or_control() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        // Every length up to three words, the stop byte at every place, over bytes either side
        // of the ones that stop a run (0x1F/0x20, '!'/'#' around '"', '['/']' around '\\', and
        // non-ASCII).
        let fillers = [b'a', b' ', b'!', b'#', b'[', b']', 0x7F, 0x80, 0xA0, 0xFF];
        let stops = [b'"', b'\\', 0x00, 0x01, 0x1F];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..24 {
            for stop_at in 0..=len {
                for &stop in &stops {
                    let mut b: Vec<u8> = (0..len)
                        .map(|_| {
                            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                            fillers[(seed >> 33) as usize % fillers.len()]
                        })
                        .collect();
                    if stop_at < len {
                        b[stop_at] = stop;
                        // A second stop after the first must not be the one found.
                        if stop_at + 3 < len {
                            b[stop_at + 3] = b'"';
                        }
                    }
                    assert_eq!(plain_run(&b), naive(&b), "{b:?}");
                }
            }
        }
    }

    #[test]
    fn client_headers_take_the_fast_path() {
        let escapes = r#"{"extFields":{"a":"x\"y\\z\/\b\f\n\r\t\u00e9\u20AC"}}"#;
        for header in [
            JAVA,
            GO,
            CPP,
            SEND,
            "{}",
            " { } ",
            r#"{"extFields":null}"#,
            escapes,
        ] {
            assert!(agrees(header.as_bytes()), "{header}");
        }
        let send = read_header(SEND.as_bytes()).unwrap();
        assert_eq!(
            send.ext("i"),
            Some("UNIQ_KEY\u{1}AC11000100002A9F0000000000000000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}")
        );
        let cmd = read_header(JAVA.as_bytes()).unwrap();
        assert_eq!((cmd.code, cmd.opaque, cmd.version), (105, 7, 479));
        assert_eq!(cmd.ext("topic"), Some("TopicTest"));
        assert_eq!(cmd.language, LanguageCode::Java);
    }

    #[test]
    fn unusual_headers_go_to_the_general_reader() {
        let unusual = [
            r#"{"code":"105"}"#,
            r#"{"language":0}"#,
            r#"{"language":null}"#,
            r#"{"code":1.0}"#,
            r#"{"code":1e2}"#,
            r#"{"code":01}"#,
            r#"{"code":-0}"#,
            r#"{"code":2147483648}"#,
            r#"{"remark":5}"#,
            r#"{"extFields":{"a":null}}"#,
            r#"{"extFields":{"a":1}}"#,
            r#"{"extFields":{"a\u0041":"x"}}"#,
            r#"{"extFields":{"a":"\ud83d\ude00"}}"#,
            r#"{"extFields":{"a":"\ud800"}}"#,
            r#"{"extFields":{"a":"\u+041"}}"#,
            r#"{"extFields":{"a":"\x"}}"#,
            "{\"extFields\":{\"a\":\"x\u{1}\"}}",
            r#"{"other":{"nested":1}}"#,
            r#"{"other":[1]}"#,
            r#"{code:105}"#,
            r#"{'code':105}"#,
            r#"{"code":105,}"#,
            r#"{"code":105} x"#,
            "{\"remark\":\"a\u{1}b\"}",
        ];
        for header in unusual {
            assert!(read_header(header.as_bytes()).is_none(), "{header}");
        }
    }

    #[test]
    fn integers_at_the_edges_of_int() {
        for (n, fast) in [
            ("0", true),
            ("7", true),
            ("-1", true),
            ("2147483647", true),
            ("-2147483648", true),
            ("2147483648", false),
            ("-2147483649", false),
            ("99999999999", false),
            ("-99999999999", false),
            ("999999999999", false),
        ] {
            let header = format!(r#"{{"code":{n},"opaque":{n}}}"#);
            assert_eq!(agrees(header.as_bytes()), fast, "{header}");
        }
        let cmd = read_header(br#"{"code":-2147483648,"opaque":2147483647}"#).unwrap();
        assert_eq!((cmd.code, cmd.opaque), (i32::MIN, i32::MAX));
    }

    #[test]
    fn duplicate_keys_last_wins_as_in_the_general_reader() {
        let header = r#"{"code":1,"code":2,"extFields":{"a":"1","a":"2"},"extFields":{"b":"3"}}"#;
        assert!(agrees(header.as_bytes()));
        // Past the keys a scan finds (an index takes over), escaped values among them.
        let fields: Vec<String> = (0..40)
            .map(|i| format!(r#""k{}":"v{i}\u0001""#, i % 30))
            .collect();
        let header = format!(r#"{{"extFields":{{{}}}}}"#, fields.join(","));
        assert!(agrees(header.as_bytes()));
        let cmd = read_header(header.as_bytes()).unwrap();
        assert_eq!(cmd.ext_fields.len(), 30);
        assert_eq!(cmd.ext("k3"), Some("v33\u{1}"));
        assert_eq!(cmd.ext("k29"), Some("v29\u{1}"));
    }

    /// Every single-byte replacement, insertion or deletion in real headers: the fast path either agrees
    /// with the general reader or stays out of the way.
    #[test]
    fn mutated_headers_never_disagree() {
        let replacements = b" \"\\0-9}{,:.enx\n\x01\xc3";
        let mut fast = 0;
        for base in [JAVA, GO, CPP, SEND] {
            let base = base.as_bytes();
            for i in 0..base.len() {
                let mut deleted = base.to_vec();
                deleted.remove(i);
                fast += usize::from(agrees(&deleted));
                for &b in replacements {
                    let mut changed = base.to_vec();
                    changed[i] = b;
                    fast += usize::from(agrees(&changed));
                    let mut inserted = base.to_vec();
                    inserted.insert(i, b);
                    fast += usize::from(agrees(&inserted));
                }
            }
        }
        assert!(fast > 100, "only {fast} mutations took the fast path");
    }
}
