//! Java `.properties` text, as `java.util.Properties.load` reads and `store`-like code writes it.
//!
//! Rules kept from Java: `#`/`!` comment lines, keys end at the first unescaped `=`, `:` or
//! whitespace, one separator with whitespace around it, a trailing odd backslash continues the
//! line (leading whitespace of the next line dropped), escapes `\t \n \r \f \uXXXX \x`, the last
//! duplicate wins. Values keep their trailing whitespace (Java trims only String settings later).

/// Parses properties text into (key, value) pairs in file order, the last duplicate winning.
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

/// Renders pairs as `key=value\n` lines (Java `MixAll.properties2String`), escaping what
/// `Properties.load` would otherwise misread.
pub fn render(pairs: &[(String, String)]) -> String {
    let mut s = String::new();
    for (k, v) in pairs {
        s.push_str(&escape(k, true));
        s.push('=');
        s.push_str(&escape(v, false));
        s.push('\n');
    }
    s
}

fn escape(text: &str, is_key: bool) -> String {
    let mut s = String::with_capacity(text.len());
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
    s
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\x0c'
}

/// Joins continuation lines and drops blank and comment lines; escapes stay in place.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current: Option<String> = None;
    for natural in text.split(['\n', '\r']) {
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
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut escaped = false;
    while i < chars.len() {
        let c = chars[i];
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || is_ws(c) {
            break;
        }
        i += 1;
    }
    let key: String = chars[..i].iter().collect();
    let mut j = i;
    while j < chars.len() && is_ws(chars[j]) {
        j += 1;
    }
    if j < chars.len() && (chars[j] == '=' || chars[j] == ':') {
        j += 1;
        while j < chars.len() && is_ws(chars[j]) {
            j += 1;
        }
    }
    let value: String = chars[j..].iter().collect();
    (unescape(&key), unescape(&value))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
        p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
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
    fn render_round_trips() {
        let pairs = vec![
            ("a b".to_string(), " v\\x".to_string()),
            ("k=1".to_string(), "x:y".to_string()),
        ];
        assert_eq!(parse(&render(&pairs)), pairs);
    }
}
