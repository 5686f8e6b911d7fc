//! Normalizing mqadmin output taken against two stacks, so that only what must differ is
//! replaced: the addresses and directories of each run, wall-clock times, client-generated ids,
//! and values that measure timing. Everything else is compared as printed.
//!
//! Timing values, replaced only after their format is checked to be Java's (a value in another
//! format stays and shows in the comparison):
//! * rates over sliding windows (`putTps` and its siblings, consume, put and in/out TPS, timer
//!   rates) and the window sums of `statsAll` and `exportMetrics`, which count only what the
//!   last sampling periods saw;
//! * latencies and round trips (`putMessageEntireTimeMax`, `putLatency99`, the latency
//!   distribution's counts, `rt=`, `#RT`), uptime (`runtime`), the timer's read lag, the flush
//!   lag (`remainHowManyDataToFlush`), hours since the first message (`clusterList`'s `#Hour`);
//! * the disk's used share and free space, which other processes change.
//!
//! Table rows whose columns hold such values are compared by their whitespace-separated
//! columns, since their padding follows the values' widths.

use std::collections::HashMap;

/// Per-stack literal replacements plus the generic passes.
pub(crate) struct Norm {
    literals: Vec<(String, String)>,
}

impl Norm {
    /// `literals`: (text, placeholder) pairs applied first, longest text first.
    pub(crate) fn new(mut literals: Vec<(String, String)>) -> Norm {
        literals.retain(|(from, _)| !from.is_empty());
        literals.sort_by_key(|l| std::cmp::Reverse(l.0.len()));
        Norm { literals }
    }

    /// The whole normalization of one command's output.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (from, to) in &self.literals {
            s = s.replace(from.as_str(), to);
        }
        let s = dates(&s);
        let s = loopback_ports(&s);
        let s = epoch_millis(&s);
        unique_ids(&s)
    }
}

fn is_digit(b: Option<&u8>) -> bool {
    b.is_some_and(u8::is_ascii_digit)
}

fn is_hex(b: Option<&u8>) -> bool {
    b.is_some_and(u8::is_ascii_hexdigit)
}

/// Replaces every match of a fixed-width pattern (`9` a digit, anything else itself) that is not
/// part of a longer run of digits.
fn replace_pattern(s: &str, pattern: &str, placeholder: &str) -> String {
    let b = s.as_bytes();
    let p = pattern.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i + p.len() <= b.len() {
        let hit = p.iter().zip(&b[i..i + p.len()]).all(|(pc, c)| {
            if *pc == b'9' {
                c.is_ascii_digit()
            } else {
                pc == c
            }
        }) && !(i > 0 && is_digit(b.get(i - 1)))
            && !is_digit(b.get(i + p.len()));
        if hit {
            out.push_str(&s[copied..i]);
            out.push_str(placeholder);
            i += p.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// Wall-clock dates as mqadmin prints them (`UtilAll.formatDate`, `Date.toString`-free forms).
fn dates(s: &str) -> String {
    let s = replace_pattern(s, "9999-99-99 99:99:99,999", "<date>");
    let s = replace_pattern(&s, "9999-99-99 99:99:99.999", "<date>");
    let s = replace_pattern(&s, "9999-99-99 99:99:99", "<date>");
    replace_pattern(&s, "9999-99-99#99:99:99:999", "<date>")
}

/// Client ports: every `127.0.0.1:<port>` left after the servers' own addresses were replaced.
fn loopback_ports(s: &str) -> String {
    let needle = "127.0.0.1:";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(needle) {
        let after = &rest[at + needle.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at + needle.len()]);
        if digits > 0 {
            out.push_str("<port>");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// Epoch milliseconds: a run of exactly 13 digits between 2001 and 2286 (a timestamp of this
/// century; no count or offset of the scenario comes near).
fn epoch_millis(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !is_digit(b.get(i - 1))) {
            let len = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let prefix_ok = i == 0 || !(b[i - 1] == b'.' || b[i - 1].is_ascii_alphabetic());
            if len == 13 && prefix_ok && b[i] == b'1' {
                out.push_str(&s[copied..i]);
                out.push_str("<ms>");
                copied = i + len;
            }
            i += len;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// Client-generated message ids (`MessageClientIDSetter`: 32 upper-case hex digits starting
/// with the client's IPv4 address) become `<uniq-N>` by order of first appearance, so the same
/// message keeps the same placeholder within one output. Offset message ids (`7F000001` + the
/// broker port, already replaced) never match: their port part is no longer hex.
fn unique_ids(s: &str) -> String {
    let b = s.as_bytes();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out = String::with_capacity(s.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if is_hex(b.get(i)) && (i == 0 || !is_hex(b.get(i - 1))) {
            let len = b[i..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            let token = &s[i..i + len];
            let upper = token.bytes().all(|c| !c.is_ascii_lowercase());
            if len == 32 && upper {
                let n = seen.len() + 1;
                let n = *seen.entry(token).or_insert(n);
                out.push_str(&s[copied..i]);
                out.push_str(&format!("<uniq-{n}>"));
                copied = i + len;
            }
            i += len;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[copied..]);
    out
}

/// Replaces the values of `cmd`'s output that measure timing (see the module doc). `cmd` is the
/// command line, or the name of an exported file.
pub(crate) fn timing(cmd: &str, text: &str) -> String {
    let name = cmd.split_whitespace().next().unwrap_or("");
    let rule: fn(&str) -> String = match name {
        "brokerStatus" => broker_status_line,
        "clusterList" => cluster_list_line,
        "consumerProgress" => consumer_progress_line,
        "statsAll" => stats_all_line,
        "topicStatus" => topic_status_line,
        "sendMsgStatus" => send_rt_line,
        "checkMsgSendRT" => check_rt_line,
        "clusterRT" => cluster_rt_line,
        "metrics.json" => metrics_line,
        _ => return text.to_string(),
    };
    let mut out: Vec<String> = text.lines().map(rule).collect();
    if text.ends_with('\n') {
        out.push(String::new());
    }
    out.join("\n")
}

/// `v` as `ph` when `ok` says it has Java's format, else unchanged.
fn checked(v: &str, ok: bool, ph: &str) -> String {
    if ok {
        ph.to_string()
    } else {
        v.to_string()
    }
}

fn is_uint(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

fn is_int(v: &str) -> bool {
    is_uint(v.strip_prefix('-').unwrap_or(v))
}

/// `%.Nf` of a non-negative number.
fn is_fixed(v: &str, places: usize) -> bool {
    v.split_once('.')
        .is_some_and(|(i, f)| is_uint(i) && f.len() == places && is_uint(f))
}

/// `MixAll.humanReadableByteCount`: `123 B`, `1.5 KiB`.
fn is_human_bytes(v: &str) -> bool {
    match v.split_once(' ') {
        Some((n, "B")) => is_uint(n),
        Some((n, unit)) => {
            is_fixed(n, 1) && ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"].contains(&unit)
        }
        None => false,
    }
}

/// A `key : value` line of brokerStatus (`-b`), or `addr key : value` (`-c`).
fn broker_status_line(line: &str) -> String {
    let Some((key_part, value)) = line.split_once(": ") else {
        return line.to_string();
    };
    let key = key_part.split_whitespace().last().unwrap_or("");
    let v = value;
    let new = match key {
        "runtime" => runtime_value(v),
        "putTps" | "getFoundTps" | "getMissTps" | "getTotalTps" | "getTransferredTps" => v
            .split(' ')
            .map(|slot| {
                if slot.is_empty() {
                    String::new()
                } else {
                    checked(slot, is_java_double(slot), "<tps>")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        "putMessageEntireTimeMax" | "getMessageEntireTimeMax" | "timerReadBehind" => {
            checked(v, is_uint(v), "<ms>")
        }
        "putLatency99" | "putLatency999" => checked(v, is_fixed(v, 2), "<ms>"),
        "timerEnqueueTps" | "timerDequeueTps" => checked(v, is_java_double(v), "<tps>"),
        "putMessageDistributeTime" if v != "null" => distribution(v),
        "remainHowManyDataToFlush" => checked(v, is_human_bytes(v), "<bytes>"),
        "commitLogDirCapacity" => capacity(v),
        k if k.starts_with("commitLogDiskRatio") || k == "consumeQueueDiskRatio" => {
            let ok = v
                .parse::<f64>()
                .is_ok_and(|r| (0.0..=1.0).contains(&r) || r == -1.0);
            checked(v, ok && is_java_double(v), "<ratio>")
        }
        _ => return line.to_string(),
    };
    format!("{key_part}: {new}")
}

/// `[ 0 days, 0 hours, 1 minutes, 30 seconds ]`.
fn runtime_value(v: &str) -> String {
    let words: Vec<String> = v
        .split(' ')
        .map(|w| checked(w, is_uint(w), "<n>"))
        .collect();
    words.join(" ")
}

/// `[<=0ms]:5 [0~10ms]:7 … ` (every range, a trailing space).
fn distribution(v: &str) -> String {
    v.split(' ')
        .map(|part| match part.split_once("]:") {
            Some((range, n)) if is_uint(n) => format!("{range}]:<n>"),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Total : 252.0 GiB, Free : 173.1 GiB.`: the free space.
fn capacity(v: &str) -> String {
    match v.strip_suffix('.').and_then(|x| x.split_once(", Free : ")) {
        Some((total, free)) if is_human_bytes(free) => format!("{total}, Free : <bytes>."),
        _ => v.to_string(),
    }
}

/// Whitespace-separated columns of a table row, with `f` applied to column i of n.
fn columns(line: &str, f: impl Fn(usize, usize, &str) -> Option<String>) -> String {
    let cols: Vec<&str> = line.split_whitespace().collect();
    let n = cols.len();
    cols.iter()
        .enumerate()
        .map(|(i, c)| f(i, n, c).unwrap_or_else(|| c.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// clusterList's broker rows: `%9.2f(...)` in/out TPS, the timer's
/// `behind-offsetBehind(congest w, enqueue tps, dequeue tps)`, `#Hour`, `#SPACE`.
fn cluster_list_line(line: &str) -> String {
    if line.starts_with('#') || line.split_whitespace().count() < 10 {
        return line.to_string();
    }
    let tps = |c: &str| -> Option<String> {
        let (n, rest) = c.split_once('(')?;
        is_fixed(n, 2).then(|| format!("<tps>({rest}"))
    };
    let mut cols: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    for c in cols.iter_mut() {
        if let Some(t) = tps(c) {
            *c = t;
        }
    }
    // The timer column is split by the spaces after its commas: "a-b(x.xw," "y.y," "z.z)".
    if let Some(i) = cols.iter().position(|c| c.ends_with("w,")) {
        if let Some((_, rest)) = cols[i].split_once('-') {
            cols[i] = format!("<n>-{rest}");
        }
        cols[i + 1] = "<tps>,".into();
        cols[i + 2] = "<tps>)".into();
    }
    let n = cols.len();
    // #PCWait, #Hour, #SPACE, #ACTIVATED are the last four.
    if n >= 4 && is_fixed(&cols[n - 3], 2) {
        cols[n - 3] = "<hours>".into();
    }
    if n >= 4 && is_fixed(&cols[n - 2], 4) {
        cols[n - 2] = "<ratio>".into();
    }
    cols.join(" ")
}

/// `Consume TPS: %.2f`, and the group table's `#TPS` column (an int).
fn consumer_progress_line(line: &str) -> String {
    if let Some(v) = line.strip_prefix("Consume TPS: ") {
        return format!("Consume TPS: {}", checked(v, is_fixed(v, 2), "<tps>"));
    }
    let cols = line.split_whitespace().count();
    if line.starts_with('#') || cols != 7 {
        return line.to_string();
    }
    columns(line, |i, _, c| {
        (i == 5 && is_int(c)).then(|| "<tps>".into())
    })
}

/// statsAll rows: `topic group accumulation inTps outTps in24h out24h`, or for a topic
/// without consumers `topic accumulation inTps in24h NO_CONSUMER`.
fn stats_all_line(line: &str) -> String {
    if line.starts_with('#') {
        return line.to_string();
    }
    columns(line, |i, n, c| match (n, i) {
        (7, 3 | 4) | (5, 2) => is_fixed(c, 2).then(|| "<tps>".into()),
        (7, 5 | 6) | (5, 3) => is_uint(c).then(|| "<n>".into()),
        _ => None,
    })
}

/// `Topic Put TPS: <double>`.
fn topic_status_line(line: &str) -> String {
    match line.strip_prefix("Topic Put TPS: ") {
        Some(v) => format!("Topic Put TPS: {}", checked(v, is_java_double(v), "<tps>")),
        None => line.to_string(),
    }
}

/// `rt=6ms, SendResult=...`.
fn send_rt_line(line: &str) -> String {
    match line.strip_prefix("rt=").and_then(|r| r.split_once("ms,")) {
        Some((ms, rest)) if is_uint(ms) => format!("rt=<ms>ms,{rest}"),
        _ => line.to_string(),
    }
}

/// checkMsgSendRT: `broker queue sendResult rt` rows and `Avg RT: %.2f`.
fn check_rt_line(line: &str) -> String {
    if let Some(v) = line.strip_prefix("Avg RT: ") {
        return format!("Avg RT: {}", checked(v, is_fixed(v, 2), "<ms>"));
    }
    if line.starts_with('#') || line.split_whitespace().count() != 4 {
        return line.to_string();
    }
    columns(line, |i, _, c| {
        (i == 3 && is_uint(c)).then(|| "<ms>".into())
    })
}

/// clusterRT rows: `cluster broker rt success fail`.
fn cluster_rt_line(line: &str) -> String {
    if line.starts_with('#') || line.split_whitespace().count() != 5 {
        return line.to_string();
    }
    columns(line, |i, _, c| {
        (i == 2 && is_fixed(c, 2)).then(|| "<ms>".into())
    })
}

/// exportMetrics' JSON: TPS (`...Tps`), one-day counts (`...OneDay...Num`), disk ratios.
fn metrics_line(line: &str) -> String {
    let Some((key, value)) = line.split_once("\":") else {
        return line.to_string();
    };
    let name = key.trim_start().trim_start_matches('"');
    let (v, tail) = match value.strip_suffix(',') {
        Some(v) => (v, ","),
        None => (value, ""),
    };
    let new = if name.ends_with("Tps") {
        checked(v, is_java_double(v), "<tps>")
    } else if name.contains("OneDay") && name.ends_with("Num") {
        checked(v, is_uint(v), "<n>")
    } else if name.ends_with("DiskRatio") {
        let inner = v.trim_matches('"');
        checked(v, is_java_double(inner), "\"<ratio>\"")
    } else {
        return line.to_string();
    };
    format!("{key}\":{new}{tail}")
}

/// True when `text` is exactly how Java prints some double.
pub(crate) fn is_java_double(text: &str) -> bool {
    text.parse::<f64>()
        .is_ok_and(|v| remoting::jfmt::double(v) == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_doubles() {
        assert!(is_java_double("0.0"));
        assert!(is_java_double("0.3996003996003996"));
        assert!(!is_java_double("0.00"));
        assert!(!is_java_double("1"));
    }

    #[test]
    fn timing_values_are_replaced_only_in_java_format() {
        let status = "putTps                          : 0.5 0.25 \nruntime                         : [ 0 days, 0 hours, 1 minutes, 30 seconds ]\nputLatency99 : 5.00\ncommitLogMinOffset : 0\n";
        assert_eq!(
            timing("brokerStatus -b x", status),
            "putTps                          : <tps> <tps> \nruntime                         : [ <n> days, <n> hours, <n> minutes, <n> seconds ]\nputLatency99 : <ms>\ncommitLogMinOffset : 0\n"
        );
        // Rust's "{:.2}" is not Java's Double.toString: left for the comparison to show.
        assert_eq!(
            timing("brokerStatus", "putTps : 0.00 0.50 0.50"),
            "putTps : 0.00 0.50 0.50"
        );
        assert_eq!(
            timing(
                "consumerProgress -g G",
                "Consume TPS: 0.15\nConsume Diff Total: 0"
            ),
            "Consume TPS: <tps>\nConsume Diff Total: 0"
        );
        assert_eq!(
            timing(
                "statsAll",
                "T  G  0  0.15  0.15  9  9\nU  0  0.00  3  NO_CONSUMER"
            ),
            "T G 0 <tps> <tps> <n> <n>\nU 0 <tps> <n> NO_CONSUMER"
        );
        let row = "MqCluster  broker-mq  0  <broker>  V5_3_3  0.00(0,0ms)  0.00(0,0ms|0,0ms)  1-0(0.0w, 0.0, 0.0)  0  0.02  0.8700  true";
        assert_eq!(
            timing("clusterList", row),
            "MqCluster broker-mq 0 <broker> V5_3_3 <tps>(0,0ms) <tps>(0,0ms|0,0ms) <n>-0(0.0w, <tps>, <tps>) 0 <hours> <ratio> true"
        );
    }

    #[test]
    fn generic_passes() {
        let n = Norm::new(vec![("127.0.0.1:10911".into(), "<broker>".into())]);
        assert_eq!(
            n.apply("at 2024-05-01 10:11:12,345 from 127.0.0.1:54321 to 127.0.0.1:10911"),
            "at <date> from 127.0.0.1:<port> to <broker>"
        );
        assert_eq!(
            n.apply("born 1714557072123 offset 1234567890123456 v1.5"),
            "born <ms> offset 1234567890123456 v1.5"
        );
        assert_eq!(
            n.apply("AC11000100002A9F0000000000000001 x AC11000100002A9F0000000000000001 y AC11000100002A9F00000000000000FF"),
            "<uniq-1> x <uniq-1> y <uniq-2>"
        );
    }
}
