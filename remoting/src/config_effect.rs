//! What a configuration key does in Thrust, declared beside the key in each server's key table
//! (`broker/src/config_keys.rs`, `namesrv/src/config.rs`), so that the start-up refusal, the
//! `UPDATE_*_CONFIG` refusal and the list in `docs/config.md` all come from one place.
//!
//! Every key Java accepts is accepted, listed and kept; a key is one of:
//! * honoured: Thrust does what Java does with it;
//! * without effect: harmless, for the reason given (a Java thread pool size, a feature that
//!   only another, refused key turns on, ...);
//! * refused for some values: those turn on a feature Thrust does not have yet, so start-up
//!   stops (as for a bad value) and an update is refused, naming the key.

/// How Thrust treats one key.
#[derive(Debug, Clone, Copy)]
pub enum Effect {
    /// Thrust does what Java does with the key.
    Honoured,
    /// Accepted without effect; the text says why that is harmless.
    NoEffect(&'static str),
    /// Only Java's default is supported: any other value turns on the feature named, which
    /// Thrust does not have.
    DefaultOnly(&'static str),
    /// Honoured, except values for which `refuse` holds (described by `condition`): they turn
    /// on `feature`, which Thrust does not have.
    RefusedWhen {
        refuse: fn(&str) -> bool,
        condition: &'static str,
        feature: &'static str,
    },
}

/// The key table's shorthand for [`Effect::Honoured`].
pub const USE: Effect = Effect::Honoured;

/// The key table's shorthand for [`Effect::NoEffect`].
pub const fn no(why: &'static str) -> Effect {
    Effect::NoEffect(why)
}

/// The key table's shorthand for [`Effect::DefaultOnly`].
pub const fn only_default(feature: &'static str) -> Effect {
    Effect::DefaultOnly(feature)
}

/// The key table's shorthand for [`Effect::RefusedWhen`].
pub const fn refused_when(
    refuse: fn(&str) -> bool,
    condition: &'static str,
    feature: &'static str,
) -> Effect {
    Effect::RefusedWhen {
        refuse,
        condition,
        feature,
    }
}

impl Effect {
    /// Whether `value` is refused, both as Java prints them (null as empty), `default` being
    /// Java's default for the key.
    pub fn refuses(&self, value: &str, default: &str) -> bool {
        match self {
            Effect::Honoured | Effect::NoEffect(_) => false,
            Effect::DefaultOnly(_) => value != default,
            Effect::RefusedWhen { refuse, .. } => refuse(value),
        }
    }

    /// The refusal of `key=value`: names the key and says it is not supported yet.
    pub fn refusal(&self, key: &str, value: &str, default: &str) -> String {
        match self {
            Effect::DefaultOnly(feature) => format!(
                "config key {key}={value} is not supported yet: Thrust does not support \
                 {feature} (only {key}={default} is)"
            ),
            Effect::RefusedWhen {
                condition, feature, ..
            } => format!(
                "config key {key}={value} is not supported yet: Thrust does not support \
                 {feature} (refused: {condition})"
            ),
            Effect::Honoured | Effect::NoEffect(_) => format!("config key {key}={value}"),
        }
    }
}

/// What a key's value must satisfy beyond its type, declared after its [`Effect`] in the key
/// table. `UPDATE_*_CONFIG` and start-up check these, so no request can store a value that
/// makes the next start fail or the running server misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Read once at start-up: an update changing it is refused (the running server would
    /// ignore the new value and the next start would take it without anyone having seen it act).
    AtStart,
    /// A numeric value within `lo..=hi`.
    Range(i64, i64),
}

/// The key table's shorthand for [`Rule::AtStart`].
pub const START: Rule = Rule::AtStart;

/// The key table's shorthand for [`Rule::Range`].
pub const fn range(lo: i64, hi: i64) -> Rule {
    Rule::Range(lo, hi)
}

/// The key table's shorthand for a [`Rule::Range`] without upper bound.
pub const fn min(lo: i64) -> Rule {
    Rule::Range(lo, i64::MAX)
}

/// A port number (0: any free port, as Java's `bind` takes it).
pub const PORT: Rule = Rule::Range(0, 65535);

/// Checks `value` (as Java prints it) against the ranges in `rules`; the error says what the
/// key accepts.
pub fn check_range(rules: &[Rule], value: &str) -> Result<(), String> {
    for rule in rules {
        let Rule::Range(lo, hi) = *rule else {
            continue;
        };
        let ok = value
            .trim()
            .parse::<i64>()
            .is_ok_and(|v| (lo..=hi).contains(&v));
        if !ok {
            return Err(match hi {
                i64::MAX => format!("must be at least {lo}"),
                _ => format!("must be between {lo} and {hi}"),
            });
        }
    }
    Ok(())
}

/// Whether `rules` make a key read at start-up only.
pub fn at_start(rules: &[Rule]) -> bool {
    rules.contains(&Rule::AtStart)
}

/// The markdown table of keys with rules: key, accepted values, changeable at run time.
pub fn rules_table<'a>(keys: impl IntoIterator<Item = (&'a str, &'a [Rule])>) -> String {
    let mut out = String::from("| key | accepted values | changed by an update |\n|---|---|---|\n");
    for (key, rules) in keys {
        if rules.is_empty() {
            continue;
        }
        let accepted: Vec<String> = rules
            .iter()
            .filter_map(|r| match *r {
                Rule::Range(lo, i64::MAX) => Some(format!("≥ {lo}")),
                Rule::Range(lo, hi) => Some(format!("{lo}..={hi}")),
                Rule::AtStart => None,
            })
            .collect();
        let accepted = if accepted.is_empty() {
            "any of its type".to_string()
        } else {
            accepted.join(", ")
        };
        let live = if at_start(rules) {
            "no: read at start-up, refused"
        } else {
            "yes"
        };
        out.push_str(&format!("| `{key}` | {accepted} | {live} |\n"));
    }
    out
}

/// One key as `docs/config.md` lists it.
pub struct DocKey<'a> {
    pub key: &'a str,
    pub effect: Effect,
    /// Java's default as Java prints it.
    pub default: String,
}

/// The markdown table of the refused keys: key, refused values, what they would turn on.
pub fn refused_table<'a>(keys: impl IntoIterator<Item = DocKey<'a>>) -> String {
    let mut out = String::from("| key | refused values | what they turn on |\n|---|---|---|\n");
    for k in keys {
        let (refused, feature) = match k.effect {
            Effect::DefaultOnly(feature) if k.default.is_empty() => {
                ("any non-empty value".to_string(), feature)
            }
            Effect::DefaultOnly(feature) => (format!("any but `{}`", k.default), feature),
            Effect::RefusedWhen {
                condition, feature, ..
            } => (condition.to_string(), feature),
            Effect::Honoured | Effect::NoEffect(_) => continue,
        };
        out.push_str(&format!("| `{}` | {refused} | {feature} |\n", k.key));
    }
    out
}

/// The markdown table of the keys without effect, keys sharing a reason on one row (rows in
/// the order their first key appears).
pub fn no_effect_table<'a>(keys: impl IntoIterator<Item = DocKey<'a>>) -> String {
    let mut rows: Vec<(&'static str, Vec<&'a str>)> = Vec::new();
    for k in keys {
        let Effect::NoEffect(why) = k.effect else {
            continue;
        };
        match rows.iter_mut().find(|(w, _)| *w == why) {
            Some((_, names)) => names.push(k.key),
            None => rows.push((why, vec![k.key])),
        }
    }
    let mut out = String::from("| keys | why that is harmless |\n|---|---|\n");
    for (why, names) in rows {
        let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        out.push_str(&format!("| {} | {why} |\n", names.join(", ")));
    }
    out
}

/// Replaces the text between `<!-- BEGIN name -->` and `<!-- END name -->` in `doc`; `None`
/// when the markers are missing.
pub fn replace_section(doc: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- BEGIN {name} -->\n");
    let end = format!("<!-- END {name} -->");
    let start = doc.find(&begin)? + begin.len();
    let stop = start + doc[start..].find(&end)?;
    Some(format!("{}{body}{}", &doc[..start], &doc[stop..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_comma(v: &str) -> bool {
        v.contains(',')
    }

    #[test]
    fn refusals() {
        let fixed = only_default("TLS");
        assert!(!fixed.refuses("false", "false"));
        assert!(fixed.refuses("true", "false"));
        assert_eq!(
            fixed.refusal("useTLS", "true", "false"),
            "config key useTLS=true is not supported yet: Thrust does not support TLS \
             (only useTLS=false is)"
        );
        let when = refused_when(has_comma, "a list separated by `,`", "several directories");
        assert!(when.refuses("a,b", ""));
        assert!(!when.refuses("/a/b", ""));
        assert!(when.refusal("p", "a,b", "").contains("not supported yet"));
        assert!(!USE.refuses("x", "y") && !no("pool").refuses("x", "y"));
    }

    #[test]
    fn rules() {
        assert_eq!(check_range(&[START, PORT], "10911"), Ok(()));
        assert_eq!(
            check_range(&[PORT], "-5").unwrap_err(),
            "must be between 0 and 65535"
        );
        assert_eq!(
            check_range(&[min(1)], "0").unwrap_err(),
            "must be at least 1"
        );
        assert!(check_range(&[min(1)], "x").is_err());
        assert!(at_start(&[PORT, START]) && !at_start(&[PORT]));
        let t = rules_table([
            ("a", &[START, PORT][..]),
            ("b", &[][..]),
            ("c", &[min(1)][..]),
        ]);
        assert_eq!(
            t,
            "| key | accepted values | changed by an update |\n|---|---|---|\n\
             | `a` | 0..=65535 | no: read at start-up, refused |\n| `c` | ≥ 1 | yes |\n"
        );
    }

    #[test]
    fn tables_and_sections() {
        let keys = || {
            [
                ("a", no("pool")),
                ("b", only_default("TLS")),
                ("c", no("pool")),
                ("d", no("other")),
                ("e", USE),
            ]
            .into_iter()
            .map(|(key, effect)| DocKey {
                key,
                effect,
                default: "false".into(),
            })
        };
        assert_eq!(
            no_effect_table(keys()),
            "| keys | why that is harmless |\n|---|---|\n| `a`, `c` | pool |\n| `d` | other |\n"
        );
        assert!(refused_table(keys()).ends_with("| `b` | any but `false` | TLS |\n"));
        let doc = "x\n<!-- BEGIN s -->\nold\n<!-- END s -->\ny\n";
        assert_eq!(
            replace_section(doc, "s", "new\n").as_deref(),
            Some("x\n<!-- BEGIN s -->\nnew\n<!-- END s -->\ny\n")
        );
        assert_eq!(replace_section(doc, "t", ""), None);
    }
}
