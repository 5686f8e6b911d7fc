//! Java message property strings (`MessageDecoder.messageProperties2String` /
//! `string2messageProperties`): `name 0x01 value 0x02`, repeated.

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

/// Parse like Java: split on 0x02, keep a pair only if its name and value are non-empty; a later
/// duplicate overwrites an earlier one (order of first appearance kept).
pub fn parse_properties(s: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in s.split(PROPERTY_SEPARATOR) {
        if part.chars().count() < 3 {
            continue;
        }
        let Some(i) = part.find(NAME_VALUE_SEPARATOR) else {
            continue;
        };
        let (name, value) = (&part[..i], &part[i + 1..]);
        if name.is_empty() || value.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => out.push((name.to_string(), value.to_string())),
        }
    }
    out
}

/// Encode with a trailing separator after every pair (5.x style; 4.9.8 readers accept it).
pub fn properties_to_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = String::new();
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
    let mut found = None;
    for part in s.split(PROPERTY_SEPARATOR) {
        if let Some(v) = part
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix(NAME_VALUE_SEPARATOR))
        {
            if !v.is_empty() {
                found = Some(v);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
