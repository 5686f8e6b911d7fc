//! Java system properties as the distribution's `bin/runserver.sh` and `bin/runbroker.sh` set
//! them: the `-Dkey=value` words of the `JAVA_OPT` then `JAVA_OPT_EXT` environment variables,
//! split on white space as the scripts' unquoted `${JAVA_OPT}` is. A later word wins, as on a
//! java command line.

/// This process's `$JAVA_OPT` and `$JAVA_OPT_EXT`, in that order.
pub fn from_env() -> String {
    [
        std::env::var("JAVA_OPT").unwrap_or_default(),
        std::env::var("JAVA_OPT_EXT").unwrap_or_default(),
    ]
    .join(" ")
}

/// The `(key, value)` of every `-D` word of `opts`, in order; `-Dkey` alone is the empty value.
/// Other words are JVM options and are skipped.
pub fn properties(opts: &str) -> impl Iterator<Item = (&str, &str)> {
    opts.split_whitespace().filter_map(|word| {
        let prop = word.strip_prefix("-D")?;
        Some(prop.split_once('=').unwrap_or((prop, "")))
    })
}

/// The value `opts` gives system property `key` (the last word setting it).
pub fn property<'a>(opts: &'a str, key: &str) -> Option<&'a str> {
    properties(opts)
        .filter(|(k, _)| *k == key)
        .last()
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_d_word_wins() {
        let opts = " -server -Xms1g -Da=1 -Db -Da=2=x -Dc=";
        let all: Vec<_> = properties(opts).collect();
        assert_eq!(all, [("a", "1"), ("b", ""), ("a", "2=x"), ("c", "")]);
        assert_eq!(property(opts, "a"), Some("2=x"));
        assert_eq!(property(opts, "b"), Some(""));
        assert_eq!(property(opts, "d"), None);
    }
}
