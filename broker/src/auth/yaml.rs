//! Reading and writing the ACL files. Reads are plain YAML; writes are block style as Java's
//! SnakeYAML `dumpAsMap` writes them, so Java and Thrust read each other's rewrites:
//!
//! ```text
//!   accounts:
//!   - accessKey: RocketMQ
//!     topicPerms:
//!     - topicA=DENY
//!   globalWhiteRemoteAddresses: []
//! ```

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

/// A file's document; a missing or empty file is `Null` (Java's `null` data).
pub fn read_file(path: &Path) -> Result<Yaml, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Yaml::Null),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut docs =
        YamlLoader::load_from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(if docs.is_empty() {
        Yaml::Null
    } else {
        docs.swap_remove(0)
    })
}

/// A scalar as the string fastjson makes of it; `None` for null, lists and maps.
pub fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of scalars; `None` when absent or null.
pub fn str_list(y: &Yaml) -> Option<Vec<String>> {
    match y {
        Yaml::Array(a) => Some(a.iter().filter_map(scalar).collect()),
        _ => None,
    }
}

/// Writes `doc` to `path` through a file beside it and a rename, so a reader (this broker's
/// watcher or a Java one) never sees half a file.
pub fn write_file(path: &Path, doc: &Yaml) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, dump(doc))?;
    std::fs::rename(&tmp, path)
}

/// SnakeYAML `dumpAsMap` of a map: block style, lists of maps as `- key: v`.
pub fn dump(doc: &Yaml) -> String {
    let mut out = String::new();
    if let Yaml::Hash(h) = doc {
        for (k, v) in h {
            entry(&mut out, 0, &text_of(k), v);
        }
    } else {
        out.push_str("{}\n");
    }
    out
}

fn entry(out: &mut String, indent: usize, key: &str, v: &Yaml) {
    let pad = " ".repeat(indent);
    match v {
        Yaml::Hash(h) if !h.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            for (k, v) in h {
                entry(out, indent + 2, &text_of(k), v);
            }
        }
        Yaml::Array(a) if !a.is_empty() => {
            out.push_str(&format!("{pad}{key}:\n"));
            for item in a {
                list_item(out, indent, item);
            }
        }
        _ => out.push_str(&format!("{pad}{key}: {}\n", inline(v))),
    }
}

fn list_item(out: &mut String, indent: usize, item: &Yaml) {
    let pad = " ".repeat(indent);
    match item {
        Yaml::Hash(h) if !h.is_empty() => {
            let mut first = true;
            for (k, v) in h {
                let mut line = String::new();
                entry(&mut line, indent + 2, &text_of(k), v);
                if first {
                    line.replace_range(..indent + 2, &format!("{pad}- "));
                    first = false;
                }
                out.push_str(&line);
            }
        }
        _ => out.push_str(&format!("{pad}- {}\n", inline(item))),
    }
}

fn inline(v: &Yaml) -> String {
    match v {
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => "null".into(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Real(r) => r.clone(),
        Yaml::String(s) => quoted(s),
        Yaml::Array(_) => "[]".into(),
        Yaml::Hash(_) => "{}".into(),
    }
}

fn text_of(k: &Yaml) -> String {
    scalar(k)
        .map(|s| quoted(&s))
        .unwrap_or_else(|| "null".into())
}

/// A string plain when YAML reads it back as the same string, else single-quoted.
fn quoted(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with(|c: char| "*&!|>'\"%@`{}[],#?:- ".contains(c))
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && matches!(YamlLoader::load_from_str(s).as_deref(), Ok([Yaml::String(back)]) if back == s);
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_reads_back_the_same_document() {
        let text = "globalWhiteRemoteAddresses:\n- 10.10.103.*\n- '*'\naccounts:\n- accessKey: RocketMQ\n  secretKey: 12345678\n  whiteRemoteAddress: null\n  admin: false\n  topicPerms:\n  - topicA=DENY\n  - topicB=PUB|SUB\n  groupPerms: []\ndataVersion:\n- counter: 3\n  timestamp: 1700000000000\n";
        let doc = YamlLoader::load_from_str(text).unwrap().remove(0);
        let out = dump(&doc);
        assert_eq!(out, text);
        assert_eq!(YamlLoader::load_from_str(&out).unwrap().remove(0), doc);
    }
}
