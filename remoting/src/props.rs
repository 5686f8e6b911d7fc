//! Java `.properties` text: config files (`-c`), `UPDATE_*_CONFIG` request bodies and
//! `GET_*_CONFIG` response bodies, for the NameServer and the Broker alike.
//!
//! Reading follows `java.util.Properties#load`: `#`/`!` comment lines; `\n`, `\r` or `\r\n` end a
//! line; the key ends at the first unescaped `=`, `:` or whitespace, then one separator with
//! whitespace around it; a trailing odd backslash continues the line (the next line's leading
//! whitespace dropped); escapes `\t \n \r \f \uXXXX` and `\<any>` → `<any>`; the last duplicate
//! wins (at the position of the first). Values keep their trailing whitespace.
//!
//! Writing has two forms:
//! * [`render`]: `key=value\n` with no escaping, exactly Java `MixAll#properties2String`, which
//!   both Java servers use for `GET_NAMESRV_CONFIG`/`GET_BROKER_CONFIG` bodies and config files.
//! * [`render_escaped`]: the same lines with what `Properties#load` would misread escaped
//!   (backslashes, line breaks, tabs, a leading space, separators in keys), so that a file
//!   written and read back yields exactly the values written.

/// Parses properties text into `(key, value)` pairs in file order, the last duplicate winning.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for logical in logical_lines(text) {
        let (key, value) = split_entry(&logical);
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            out.push((key, value));
        }
    }
    out
}

/// Renders `key=value\n` lines, unescaped (Java `MixAll#properties2String`).
pub fn render<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = String::new();
    for (k, v) in entries {
        s.push_str(k);
        s.push('=');
        s.push_str(v);
        s.push('\n');
    }
    s
}

/// Renders `key=value\n` lines escaped so that [`parse`] (and Java) read back the same pairs.
pub fn render_escaped<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = String::new();
    for (k, v) in entries {
        push_escaped(&mut s, k, true);
        s.push('=');
        push_escaped(&mut s, v, false);
        s.push('\n');
    }
    s
}

fn push_escaped(s: &mut String, text: &str, is_key: bool) {
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            ' ' if is_key || i == 0 => s.push_str("\\ "),
            '=' | ':' | '#' | '!' if is_key => {
                s.push('\\');
                s.push(c);
            }
            _ => s.push(c),
        }
    }
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\x0c'
}

/// Natural lines: `\r\n` is one terminator (Java's `LineReader`), `\n` and `\r` alone too.
fn natural_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

/// Joins continuation lines and drops blank and comment lines; escapes stay in place.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current: Option<String> = None;
    for natural in natural_lines(text) {
        let trimmed = natural.trim_start_matches(is_ws);
        let piece = match current.take() {
            Some(mut acc) => {
                acc.push_str(trimmed);
                acc
            }
            None => {
                if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
                    continue;
                }
                trimmed.to_string()
            }
        };
        let trailing = piece.chars().rev().take_while(|c| *c == '\\').count();
        if trailing % 2 == 1 {
            let mut p = piece;
            p.pop();
            current = Some(p);
        } else {
            lines.push(piece);
        }
    }
    if let Some(rest) = current {
        lines.push(rest);
    }
    lines
}

fn split_entry(line: &str) -> (String, String) {
    let mut key_end = line.len();
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || is_ws(c) {
            key_end = i;
            break;
        }
    }
    let key = &line[..key_end];
    let mut rest = line[key_end..].trim_start_matches(is_ws);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches(is_ws);
    }
    (unescape(key), unescape(rest))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = it.by_ref().take(4).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A setting's type as Java's config reflection treats it (`MixAll#properties2Object` parses
/// a value by its setter's parameter type; `MixAll#printObjectProperties` prints it), shared by
/// the NameServer's and the Broker's key tables. Values arrive trimmed (Java trims String
/// settings; for numbers it would throw and keep the default, where we refuse the value).
pub trait ConfigValue: Sized {
    /// Parses the trimmed text; `Err` says what was expected.
    fn parse_java(text: &str) -> Result<Self, String>;
    /// The value as Java prints it; `None` is Java's `null`.
    fn render_java(&self) -> Option<String>;
}

impl ConfigValue for String {
    fn parse_java(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
    fn render_java(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl ConfigValue for Option<String> {
    fn parse_java(text: &str) -> Result<Self, String> {
        Ok(Some(text.to_string()))
    }
    fn render_java(&self) -> Option<String> {
        self.clone()
    }
}

impl ConfigValue for bool {
    /// Java's `Boolean.parseBoolean` turns anything but "true" into false; a typo such as
    /// `ture` is refused here instead.
    fn parse_java(text: &str) -> Result<Self, String> {
        if text.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if text.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err("expected true or false".into())
        }
    }
    fn render_java(&self) -> Option<String> {
        Some(self.to_string())
    }
}

macro_rules! int_config_value {
    ($($t:ty => $java:literal),*) => {$(
        impl ConfigValue for $t {
            fn parse_java(text: &str) -> Result<Self, String> {
                text.parse().map_err(|e| format!("expected {} ({}): {e}", $java, stringify!($t)))
            }
            fn render_java(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}
int_config_value!(i32 => "an int", i64 => "a long");

impl ConfigValue for f64 {
    fn parse_java(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|e| format!("expected a double (f64): {e}"))
    }
    /// Java `Double.toString` (`0.8`, `1.0`, `1.0E-4`).
    fn render_java(&self) -> Option<String> {
        Some(crate::jfmt::double(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
        p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_java_properties_in_order() {
        let text = "# comment\n! also\n  listenPort = 9876\nkvConfigPath:/tmp/kv.json\nrocketmqHome /opt/rmq\n\
                    long=a\\\n   b\nesc=c\\:d\\u0041\nempty=\n";
        let want = owned(&[
            ("listenPort", "9876"),
            ("kvConfigPath", "/tmp/kv.json"),
            ("rocketmqHome", "/opt/rmq"),
            ("long", "ab"),
            ("esc", "c:dA"),
            ("empty", ""),
        ]);
        assert_eq!(parse(text), want);
    }

    #[test]
    fn separators_comments_and_whitespace() {
        let p = parse("# c\n! c\n  a = 1\nb:2\nc 3\nd=x \n\ne\\ f=g\nh=\n");
        assert_eq!(get(&p, "a"), Some("1"));
        assert_eq!(get(&p, "b"), Some("2"));
        assert_eq!(get(&p, "c"), Some("3"));
        assert_eq!(
            get(&p, "d"),
            Some("x "),
            "trailing whitespace kept like Java"
        );
        assert_eq!(get(&p, "e f"), Some("g"));
        assert_eq!(get(&p, "h"), Some(""));
    }

    #[test]
    fn continuation_escapes_and_duplicates() {
        let p = parse("k=a\\\n   b\nu=\\u0041\\t\nk2=1\r\nk2=2\n");
        assert_eq!(get(&p, "k"), Some("ab"));
        assert_eq!(get(&p, "u"), Some("A\t"));
        assert_eq!(get(&p, "k2"), Some("2"));
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn crlf_is_one_line_end_even_after_a_continuation() {
        let p = parse("k=a\\\r\n  b\r\nx=1\ry=2");
        assert_eq!(p, owned(&[("k", "ab"), ("x", "1"), ("y", "2")]));
    }

    #[test]
    fn render_is_java_properties2string() {
        assert_eq!(
            render([("a", "1"), ("b", "x y"), ("c", "C:\\d")]),
            "a=1\nb=x y\nc=C:\\d\n"
        );
    }

    #[test]
    fn render_escaped_round_trips() {
        let pairs = owned(&[(" a b", " v\\x\n"), ("k=1", "x:y#")]);
        let text = render_escaped(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(parse(&text), pairs);
    }

    #[test]
    fn config_values_parse_and_render_like_java() {
        assert_eq!(i32::parse_java("10911"), Ok(10911));
        assert!(i32::parse_java("98x").unwrap_err().contains("an int"));
        assert_eq!(i64::parse_java("-1"), Ok(-1));
        assert_eq!(bool::parse_java("TRUE"), Ok(true));
        assert!(bool::parse_java("ture").is_err());
        assert_eq!(<Option<String>>::parse_java("a"), Ok(Some("a".into())));
        assert_eq!(None::<String>.render_java(), None);
        assert_eq!(false.render_java().as_deref(), Some("false"));
        assert_eq!(f64::parse_java("0.8"), Ok(0.8));
        assert_eq!(0.8f64.render_java().as_deref(), Some("0.8"));
        assert_eq!(1f64.render_java().as_deref(), Some("1.0"));
        assert!(f64::parse_java("x").is_err());
    }
}
