//! Java `.properties` text, as `java.util.Properties#load` reads it and `MixAll#properties2String`
//! writes it.
//!
//! Reading: `#`/`!` comment lines, key and value separated by `=`, `:` or whitespace, leading
//! whitespace of keys and values dropped, a trailing backslash continues the line, escapes
//! `\t \n \r \f \uXXXX` and `\<any>` → `<any>`. Later duplicates win (callers see them in order).
//! Writing: `key=value\n` per entry, no escaping (Java's `properties2String` does none either).

/// Parses properties text into `(key, value)` pairs in file order.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let mut logical = first.trim_start().to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        out.push(split_entry(&logical));
    }
    out
}

/// Renders `key=value\n` lines (Java `MixAll#properties2String`).
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

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

fn split_entry(line: &str) -> (String, String) {
    let mut key_end = line.len();
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' | ' ' | '\t' | '\x0c' => {
                key_end = i;
                break;
            }
            _ => {}
        }
    }
    let key = &line[..key_end];
    let mut rest = line[key_end..].trim_start_matches([' ', '\t', '\x0c']);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches([' ', '\t', '\x0c']);
    }
    (unescape(key), unescape(rest))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_java_properties() {
        let text = "# comment\n! also\n  listenPort = 9876\nkvConfigPath:/tmp/kv.json\nrocketmqHome /opt/rmq\n\
                    long=a\\\n   b\nesc=c\\:d\\u0041\nempty=\n";
        let got = parse(text);
        let want = [
            ("listenPort", "9876"),
            ("kvConfigPath", "/tmp/kv.json"),
            ("rocketmqHome", "/opt/rmq"),
            ("long", "ab"),
            ("esc", "c:dA"),
            ("empty", ""),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn renders_key_value_lines() {
        assert_eq!(render([("a", "1"), ("b", "x y")]), "a=1\nb=x y\n");
    }
}
