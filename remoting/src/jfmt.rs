//! Numbers as Java prints them, for values a Java tool parses or shows as text: `Double.toString`
//! (`String.valueOf(double)`), `String.format("%.Nf")` and `MixAll.humanReadableByteCount`; and
//! the civil date that Java's date patterns print.
//!
//! Java's `%.Nf` rounds the shortest decimal form of the double half-up (`0.125` → `0.13`,
//! `1.005` → `1.01`); Rust's `{:.N}` rounds the exact binary value half-to-even, so the two
//! disagree on such values.

/// Java `Double.toString`: the shortest digits that read back as `v`, plain for
/// 10^-3 ≤ |v| < 10^7 and in computerized scientific notation otherwise (`1.0E-4`, `1.2345E7`);
/// always at least one fraction digit.
pub fn double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    if (1e-3..1e7).contains(&v.abs()) {
        // Debug is the shortest round-trip form with a fraction digit in this range.
        return format!("{v:?}");
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    if mantissa.contains('.') {
        format!("{mantissa}E{exp}")
    } else {
        format!("{mantissa}.0E{exp}")
    }
}

/// Java `String.format("%.{places}f", v)` for finite values.
pub fn fixed(v: f64, places: usize) -> String {
    if !v.is_finite() {
        return double(v);
    }
    let negative = v.is_sign_negative();
    // The shortest digits and the decimal exponent of the first one: v = 0.d1d2d3... × 10^exp.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i64 = exp.parse().unwrap_or(0) + 1;
    let mut digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|d| d - b'0')
        .collect();
    // Digits of the integer part and of `places` fraction digits, zero-padded.
    let keep = exp + places as i64;
    if keep < 0 {
        digits.clear();
    } else {
        let keep = keep as usize;
        let round_up = digits.get(keep).is_some_and(|d| *d >= 5);
        digits.resize(keep, 0);
        if round_up {
            let mut i = keep;
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
    }
    // Now `digits` holds the value × 10^places, with `exp` (or exp+1 after a carry) integer
    // digits; left-pad so there is at least one integer digit.
    let total = digits.len();
    let width = places + 1;
    let mut text: String = if total < width {
        "0".repeat(width - total)
    } else {
        String::new()
    };
    text.extend(digits.iter().map(|d| char::from(b'0' + d)));
    let split = text.len() - places;
    let (int, frac) = text.split_at(split);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let sign = if negative { "-" } else { "" };
    if places == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// Java `MixAll.humanReadableByteCount(bytes, si)`: `512 B`, `1.5 KiB` (binary) or `1.5 kB`.
pub fn human_bytes(bytes: i64, si: bool) -> String {
    let unit: i64 = if si { 1000 } else { 1024 };
    if bytes < unit {
        return format!("{bytes} B");
    }
    let exp = ((bytes as f64).ln() / (unit as f64).ln()) as usize;
    let pre = if si { "kMGTPE" } else { "KMGTPE" };
    let prefix = pre
        .as_bytes()
        .get(exp.saturating_sub(1))
        .copied()
        .unwrap_or(b'E');
    let i = if si { "" } else { "i" };
    let value = bytes as f64 / (unit as f64).powi(exp as i32);
    format!("{} {}{i}B", fixed(value, 1), char::from(prefix))
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm), for
/// timestamps printed in Java's date patterns.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn double_to_string() {
        for (v, java) in [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (0.8, "0.8"),
            (0.3996003996003996, "0.3996003996003996"),
            (40.88552054248105, "40.88552054248105"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789.0, "1.23456789E8"),
            (92551.38461538461, "92551.38461538461"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (1.0e-4, "1.0E-4"),
            (0.001, "0.001"),
            (1.23456e12, "1.23456E12"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(double(v), java, "{v}");
        }
    }

    #[test]
    fn fixed_rounds_half_up_on_the_shortest_digits() {
        for (v, places, java) in [
            (0.0, 2, "0.00"),
            (0.125, 2, "0.13"),
            (1.005, 2, "1.01"),
            (2.675, 2, "2.68"),
            (0.004, 2, "0.00"),
            (0.005, 2, "0.01"),
            (9.995, 2, "10.00"),
            (123.456, 1, "123.5"),
            (0.15, 1, "0.2"),
            (1e-9, 2, "0.00"),
            (-0.001, 2, "-0.00"),
            (-1.5, 2, "-1.50"),
            (2.5, 0, "3"),
            (0.125, 1, "0.1"),
            (0.125, 0, "0"),
            (0.44999999999999996, 1, "0.4"),
            (0.44999999999999996, 2, "0.45"),
            (0.285, 2, "0.29"),
            (1.0 / 3.0, 2, "0.33"),
            (2.0 / 3.0 * 1000.0, 1, "666.7"),
            (100004.25, 1, "100004.3"),
        ] {
            assert_eq!(fixed(v, places), java, "{v} {places}");
        }
    }

    #[test]
    fn byte_counts() {
        assert_eq!(human_bytes(0, false), "0 B");
        assert_eq!(human_bytes(1023, false), "1023 B");
        assert_eq!(human_bytes(1024, false), "1.0 KiB");
        assert_eq!(human_bytes(1536, false), "1.5 KiB");
        assert_eq!(human_bytes(270_582_939_648, false), "252.0 GiB");
        assert_eq!(human_bytes(1500, true), "1.5 kB");
    }
}
