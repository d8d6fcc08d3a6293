//! Numbers as a person reads them: `1.2k/s`, `4.1%`, `320ms`, `+310%`. Anything that is
//! not a finite number is shown as a dash, never as `NaN` or `inf`.

use chrono::{DateTime, Local, Utc};

/// Shown where there is no value (a gap, NaN, ±∞).
pub const NO_VALUE: &str = "—";

/// A value with its unit, scaled to at most three or four significant characters.
pub fn value(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) if v.is_finite() => scaled(v, unit),
        _ => NO_VALUE.to_string(),
    }
}

fn scaled(v: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{}%", plain(v)),
        "s" => duration(v),
        "ms" => duration(v / 1e3),
        "us" | "µs" => duration(v / 1e6),
        "ns" => duration(v / 1e9),
        _ => {
            let n = si(v);
            // Short symbolic units sit on the number (`1.2k/s`); words get a space.
            let sep = if unit.chars().count() > 2 && unit.starts_with(char::is_alphabetic) {
                " "
            } else {
                ""
            };
            format!("{n}{sep}{unit}")
        }
    }
}

/// Fewer decimals the larger the number: `0.004`, `0.25`, `4.1`, `41`, `410`.
fn plain(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if a >= 10.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `1.2k`, `12k`, `1.2M`: SI prefixes from a thousand up.
fn si(v: f64) -> String {
    const PREFIXES: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    let a = v.abs();
    for (scale, prefix) in PREFIXES {
        // 999.96 would round up to "1000": it gets the next prefix.
        if a >= scale * 0.99995 {
            let x = v / scale;
            return if x.abs() < 9.95 {
                format!("{x:.1}{prefix}")
            } else {
                format!("{x:.0}{prefix}")
            };
        }
    }
    plain(v)
}

/// Seconds as `850µs`, `320ms`, `1.2s`, `75s`.
fn duration(secs: f64) -> String {
    let a = secs.abs();
    if a == 0.0 {
        "0ms".to_string()
    } else if a < 1e-3 {
        format!("{}µs", plain(secs * 1e6))
    } else if a < 0.99995 {
        format!("{}ms", plain(secs * 1e3))
    } else {
        format!("{}s", plain(secs))
    }
}

/// A relative change: `+310%`, `−45%`, `×31` for tenfold and more, `from 0` when the
/// reference was zero (the relative change is infinite).
pub fn relative(rel: f64) -> String {
    if !rel.is_finite() {
        return if rel.is_nan() {
            NO_VALUE.to_string()
        } else {
            "from 0".to_string()
        };
    }
    if rel >= 9.0 {
        return format!("×{:.0}", rel + 1.0);
    }
    let pct = rel * 100.0;
    if pct.round() == 0.0 {
        "±0%".to_string()
    } else if pct > 0.0 {
        format!("+{pct:.0}%")
    } else {
        format!("−{:.0}%", -pct)
    }
}

/// An age in the largest unit that keeps it short: `12s`, `4m`, `2h`.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 120 {
        format!("{secs}s")
    } else if secs < 2 * 3600 {
        format!("{}m", secs / 60)
    } else {
        format!("{}h", secs / 3600)
    }
}

/// A p-value: `0.032`, `1.2e-5`.
pub fn p_value(p: f64) -> String {
    if !p.is_finite() {
        NO_VALUE.to_string()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// Wall-clock time in the user's zone, to the minute (`12:03`).
pub fn clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%H:%M").to_string()
}

/// Wall-clock time in the user's zone, to the second (`12:03:14`).
pub fn clock_secs(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_scaled_with_their_units() {
        assert_eq!(value(Some(1234.0), "/s"), "1.2k/s");
        assert_eq!(value(Some(12_345.0), "/s"), "12k/s");
        assert_eq!(value(Some(999.97), "/s"), "1.0k/s");
        assert_eq!(value(Some(2.5e6), ""), "2.5M");
        assert_eq!(value(Some(4.12), "%"), "4.1%");
        assert_eq!(value(Some(0.25), "%"), "0.25%");
        assert_eq!(value(Some(0.0), "%"), "0%");
        assert_eq!(value(Some(320.4), "ms"), "320ms");
        assert_eq!(value(Some(1234.0), "ms"), "1.2s");
        assert_eq!(value(Some(0.32), "s"), "320ms");
        assert_eq!(value(Some(0.0004), "s"), "400µs");
        assert_eq!(value(Some(42.0), "requests"), "42 requests");
        assert_eq!(value(Some(-3.0), ""), "-3.0");
    }

    #[test]
    fn gaps_and_non_numbers_are_a_dash() {
        for v in [
            None,
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
        ] {
            assert_eq!(value(v, "%"), NO_VALUE, "{v:?}");
        }
    }

    #[test]
    fn relative_changes_read_naturally() {
        assert_eq!(relative(3.1), "+310%");
        assert_eq!(relative(-0.45), "−45%");
        assert_eq!(relative(30.0), "×31");
        assert_eq!(relative(f64::INFINITY), "from 0");
        assert_eq!(relative(f64::NAN), NO_VALUE);
        assert_eq!(relative(0.001), "±0%");
        assert_eq!(p_value(0.0000123), "1.2e-5");
        assert_eq!(p_value(0.25), "0.250");
    }
}
