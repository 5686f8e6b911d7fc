//! The Prometheus text exposition exactly as Java's broker serves it (the OpenTelemetry Java
//! 1.29 Prometheus exporter): the `target_info` and `otel_scope_info` lines, then each metric
//! family with `# TYPE`/`# HELP` under its bare name and its samples under the name with the
//! unit suffix (`rocketmq_rpc_latency_milliseconds_bucket`), every sample labelled first with
//! `otel_scope_name="broker-meter"` and then its attributes sorted by name, values and bounds as
//! Java's `Double.toString` prints them, and the collection time:
//!
//! ```text
//! # TYPE rocketmq_topic_number gauge
//! # HELP rocketmq_topic_number default view for gauge.
//! rocketmq_topic_number{otel_scope_name="broker-meter",cluster="c",node_id="b",node_type="broker"} 13.0 1796547521202
//! ```
//!
//! A scraper asking for `application/openmetrics-text` gets OpenMetrics 1.0 instead, as from
//! Java: the counter's `# TYPE` name without `_total`, timestamps in seconds, `# EOF` at the end.

use std::fmt::Write;

/// The OTel meter all broker metrics belong to (Java `OPEN_TELEMETRY_METER_NAME`).
pub const SCOPE: &str = "broker-meter";

/// The two formats Java's exporter can answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Prometheus004,
    OpenMetrics,
}

impl Format {
    /// Java `Serializer.create`: OpenMetrics when any media range of `Accept` names it.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let wants_om = accept.is_some_and(|a| {
            a.split(',').any(|range| {
                range.split(';').next().map(str::trim) == Some("application/openmetrics-text")
            })
        });
        if wants_om {
            Format::OpenMetrics
        } else {
            Format::Prometheus004
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus004 => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// An instrument's kind as the exporter types it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
    Histogram,
}

/// One metric as exported.
#[derive(Debug)]
pub struct Family {
    /// The instrument's name (Java's constant).
    pub name: &'static str,
    /// The Prometheus unit suffix of the instrument's unit (`milliseconds`, `bytes`, ...).
    pub unit: Option<&'static str>,
    pub kind: Kind,
    /// The view's description: "default view for gauge." for gauges, "default view for
    /// counter." for counters, the instrument's own for histograms (their views set none).
    pub help: &'static str,
    pub samples: Vec<Sample>,
}

/// One point: its attributes (sorted by name when written) and its value.
#[derive(Debug)]
pub struct Sample {
    pub labels: Vec<(String, String)>,
    pub value: Value,
}

#[derive(Debug)]
pub enum Value {
    Int(i64),
    /// Per-bucket counts (one more than `bounds`) and the sum.
    Histogram {
        bounds: &'static [u64],
        counts: Vec<u64>,
        sum: u64,
    },
}

impl Family {
    pub fn gauge(name: &'static str, unit: Option<&'static str>) -> Family {
        Family {
            name,
            unit,
            kind: Kind::Gauge,
            help: "default view for gauge.",
            samples: Vec::new(),
        }
    }

    pub fn counter(name: &'static str) -> Family {
        Family {
            name,
            unit: None,
            kind: Kind::Counter,
            help: "default view for counter.",
            samples: Vec::new(),
        }
    }

    pub fn histogram(name: &'static str, unit: Option<&'static str>, help: &'static str) -> Family {
        Family {
            name,
            unit,
            kind: Kind::Histogram,
            help,
            samples: Vec::new(),
        }
    }

    pub fn push(&mut self, labels: Vec<(String, String)>, value: Value) {
        self.samples.push(Sample { labels, value });
    }

    /// The name samples are written under: the unit appended unless the name already carries
    /// it, and a counter's `_total` unless already there.
    fn sample_name(&self) -> String {
        let mut n = self.name.to_string();
        if let Some(u) = self.unit {
            if !n.contains(u) {
                n.push('_');
                n.push_str(u);
            }
        }
        if self.kind == Kind::Counter && !n.ends_with("_total") {
            n.push_str("_total");
        }
        n
    }

    fn header_name(&self, format: Format) -> String {
        match (format, self.kind) {
            (Format::Prometheus004, Kind::Counter) if !self.name.ends_with("_total") => {
                format!("{}_total", self.name)
            }
            _ => self.name.to_string(),
        }
    }
}

/// Writes the exposition; families without samples are left out, as Java leaves out instruments
/// that recorded nothing, and so are those whose sample name `names` does not list (Java's
/// `name[]` query parameters; empty: all).
pub fn write(families: &[Family], format: Format, now_ms: i64, names: &[String]) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let wanted = |f: &Family| names.is_empty() || names.contains(&f.sample_name());
    let present: Vec<&Family> = families
        .iter()
        .filter(|f| !f.samples.is_empty() && wanted(f))
        .collect();
    if !present.is_empty() {
        out.push_str("# TYPE target info\n# HELP target Target metadata\ntarget_info{} 1\n");
        out.push_str("# TYPE otel_scope_info info\n# HELP otel_scope_info Scope metadata\n");
        let _ = writeln!(out, "otel_scope_info{{otel_scope_name=\"{SCOPE}\"}} 1");
    }
    let ts = timestamp(format, now_ms);
    for f in present {
        let header = f.header_name(format);
        let kind = match f.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
        };
        let _ = writeln!(out, "# TYPE {header} {kind}");
        let _ = writeln!(out, "# HELP {header} {}", help_text(f.help, format));
        let name = f.sample_name();
        for s in &f.samples {
            write_sample(&mut out, &name, s, &ts);
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

fn write_sample(out: &mut String, name: &str, s: &Sample, ts: &str) {
    let mut labels: Vec<&(String, String)> = s.labels.iter().collect();
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    let mut attrs = String::with_capacity(160);
    let _ = write!(attrs, "otel_scope_name=\"{SCOPE}\"");
    for (k, v) in labels {
        attrs.push(',');
        attrs.push_str(k);
        attrs.push_str("=\"");
        escape_label(&mut attrs, v);
        attrs.push('"');
    }
    match &s.value {
        Value::Int(v) => {
            let _ = writeln!(out, "{name}{{{attrs}}} {} {ts}", java_double(*v as f64));
        }
        Value::Histogram {
            bounds,
            counts,
            sum,
        } => {
            let count: u64 = counts.iter().sum();
            let _ = writeln!(
                out,
                "{name}_count{{{attrs}}} {} {ts}",
                java_double(count as f64)
            );
            let _ = writeln!(
                out,
                "{name}_sum{{{attrs}}} {} {ts}",
                java_double(*sum as f64)
            );
            let mut cumulative = 0u64;
            for (i, c) in counts.iter().enumerate() {
                cumulative += c;
                let le = bounds
                    .get(i)
                    .map_or_else(|| "+Inf".to_string(), |b| java_double(*b as f64));
                let _ = writeln!(
                    out,
                    "{name}_bucket{{{attrs},le=\"{le}\"}} {} {ts}",
                    java_double(cumulative as f64)
                );
            }
        }
    }
}

fn timestamp(format: Format, now_ms: i64) -> String {
    match format {
        Format::Prometheus004 => now_ms.to_string(),
        Format::OpenMetrics => format!("{}.{:03}", now_ms / 1000, now_ms % 1000),
    }
}

fn help_text(help: &str, format: Format) -> String {
    let mut s = String::with_capacity(help.len());
    for c in help.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '"' if format == Format::OpenMetrics => s.push_str("\\\""),
            c => s.push(c),
        }
    }
    s
}

fn escape_label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Java `Double.toString` for the values the broker exports (integers, possibly large):
/// `13.0`, `-5.0`, and from 10^7 on the shortest scientific form, `2.6719838208E10`, `1.0E7`.
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = v.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        return if s.contains('.') { s } else { format!("{s}.0") };
    }
    // Rust's `{:e}` is the shortest round-trip form too: "2.6719838208e10", "1e7".
    let s = format!("{v:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    if mantissa.contains('.') {
        format!("{mantissa}E{exp}")
    } else {
        format!("{mantissa}.0E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_prints_them() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(13.0), "13.0");
        assert_eq!(java_double(-5.0), "-5.0");
        assert_eq!(java_double(4_194_304.0), "4194304.0");
        assert_eq!(java_double(9_999_999.0), "9999999.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(26_719_838_208.0), "2.6719838208E10");
        assert_eq!(java_double(123_456_789.0), "1.23456789E8");
    }

    #[test]
    fn accept_header_picks_the_format() {
        let prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                    version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prom)), Format::OpenMetrics);
        assert_eq!(Format::negotiate(Some("text/plain")), Format::Prometheus004);
        assert_eq!(Format::negotiate(None), Format::Prometheus004);
    }

    fn labels(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn gauge_and_histogram_lines_match_java() {
        let mut g = Family::gauge("rocketmq_pop_revive_latency", Some("milliseconds"));
        g.push(
            labels(&[("queue_id", "6"), ("cluster", "C"), ("node_type", "broker")]),
            Value::Int(0),
        );
        let mut h = Family::histogram(
            "rocketmq_pop_buffer_scan_time_consume",
            Some("milliseconds"),
            "Time consuming of pop buffer scan",
        );
        h.push(
            labels(&[("cluster", "C")]),
            Value::Histogram {
                bounds: &[1, 10],
                counts: vec![2, 0, 1],
                sum: 20,
            },
        );
        let empty = Family::gauge("rocketmq_half_messages", None);
        let text = write(
            &[g, h, empty],
            Format::Prometheus004,
            1_796_547_521_202,
            &[],
        );
        let expected = "\
# TYPE target info
# HELP target Target metadata
target_info{} 1
# TYPE otel_scope_info info
# HELP otel_scope_info Scope metadata
otel_scope_info{otel_scope_name=\"broker-meter\"} 1
# TYPE rocketmq_pop_revive_latency gauge
# HELP rocketmq_pop_revive_latency default view for gauge.
rocketmq_pop_revive_latency_milliseconds{otel_scope_name=\"broker-meter\",cluster=\"C\",node_type=\"broker\",queue_id=\"6\"} 0.0 1796547521202
# TYPE rocketmq_pop_buffer_scan_time_consume histogram
# HELP rocketmq_pop_buffer_scan_time_consume Time consuming of pop buffer scan
rocketmq_pop_buffer_scan_time_consume_milliseconds_count{otel_scope_name=\"broker-meter\",cluster=\"C\"} 3.0 1796547521202
rocketmq_pop_buffer_scan_time_consume_milliseconds_sum{otel_scope_name=\"broker-meter\",cluster=\"C\"} 20.0 1796547521202
rocketmq_pop_buffer_scan_time_consume_milliseconds_bucket{otel_scope_name=\"broker-meter\",cluster=\"C\",le=\"1.0\"} 2.0 1796547521202
rocketmq_pop_buffer_scan_time_consume_milliseconds_bucket{otel_scope_name=\"broker-meter\",cluster=\"C\",le=\"10.0\"} 2.0 1796547521202
rocketmq_pop_buffer_scan_time_consume_milliseconds_bucket{otel_scope_name=\"broker-meter\",cluster=\"C\",le=\"+Inf\"} 3.0 1796547521202
";
        assert_eq!(text, expected);
    }

    #[test]
    fn counters_in_both_formats() {
        let mut c = Family::counter("rocketmq_messages_in_total");
        c.push(labels(&[("topic", "T\"1")]), Value::Int(3));
        let mut other = Family::gauge("rocketmq_storage_size", Some("bytes"));
        other.push(labels(&[]), Value::Int(1));
        let names = ["rocketmq_messages_in_total".to_string()];
        let text = write(&[c, other], Format::OpenMetrics, 1_796_547_521_002, &names);
        assert!(!text.contains("rocketmq_storage_size"));
        assert!(text.contains("# TYPE rocketmq_messages_in_total counter\n"));
        assert!(text.contains(
            "rocketmq_messages_in_total{otel_scope_name=\"broker-meter\",topic=\"T\\\"1\"} 3.0 1796547521.002\n"
        ));
        assert!(text.ends_with("# EOF\n"));
        assert!(write(&[], Format::Prometheus004, 0, &[]).is_empty());
    }
}
