//! Prometheus text exposition → samples, through prometheus-parse, with every sample line
//! it would drop or misread counted, so that nothing disappears silently.
//!
//! What prometheus-parse 0.2.5 does with lines it cannot read (pinned by the tests below):
//! - a metric name with a colon (`job:requests:rate5m 1`): its sample regex wants `\w+`
//!   followed by `{` or whitespace, so the line is skipped;
//! - an empty label set (`up{} 1`): its label group needs at least one character, so the
//!   line is skipped (we rewrite it to `up 1`, which means the same);
//! - a label value containing `}`: the label group stops at the first `}`, so the line is
//!   skipped, or worse, read with the wrong value when a space follows the `}`;
//! - a label value containing `,` or `=`: labels are split on `,` and `=` without regard for
//!   quotes, so the sample is kept with a truncated value or without that label;
//! - an escaped quote or backslash in a label value: kept with the backslashes in it;
//! - spaces between labels (`{a="1", b="2"}`): kept, with a label named `" b"`;
//! - a value that is not a number: skipped;
//! - a histogram bucket without a readable `le` (or a summary line without `quantile`): skipped;
//! - an unreadable timestamp: silently replaced by the scrape time.
//!
//! Misread lines are worse than skipped ones (a wrong label silently moves a sample out of
//! or into a selection), so this module finds them first and never hands them over. The
//! rest is counted by comparing sample lines in against samples out.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
pub use prometheus_parse::{Sample, Value};

/// Lines kept as examples per scrape: enough to see what is wrong, bounded.
const MAX_EXAMPLES: usize = 3;
/// Characters kept of an example line.
const EXAMPLE_CHARS: usize = 160;

/// Why a sample line was not understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// A metric name with `:` (recording-rule names); prometheus-parse cannot read them.
    NameWithColon,
    /// A label value containing `,` `=` `}` or a backslash escape, which prometheus-parse misreads.
    LabelValue,
    /// Spaces between labels, which prometheus-parse makes part of the label name.
    LabelSpacing,
    /// Not a sample line at all, or one prometheus-parse dropped (a value that is not a
    /// number, a bucket without `le`, a broken label set).
    Unreadable,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Skipped::NameWithColon => "metric name with ':'",
            Skipped::LabelValue => "label value with , = } or \\",
            Skipped::LabelSpacing => "spaces between labels",
            Skipped::Unreadable => "unreadable",
        })
    }
}

/// One line that was not understood, as an example for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number in the scraped text.
    pub line: usize,
    pub reason: Skipped,
    /// The line, on one line and cut short; not yet sanitised for a terminal beyond that.
    pub text: String,
}

/// Which metric names to read. Reading only the configured ones is what keeps a round
/// over hundreds of endpoints cheap: prometheus-parse runs a regex and builds a label map
/// per line, and most of an exporter's lines are of no interest.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    names: Option<HashSet<String>>,
}

impl Wanted {
    /// Every line (benchmarks, tests, `slipway check` style tools).
    pub fn all() -> Self {
        Wanted { names: None }
    }

    /// The given metric names, with the `_bucket` series of histograms and the base name
    /// their `# TYPE` line uses.
    pub fn names<'a>(metrics: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names = HashSet::new();
        for m in metrics {
            names.insert(m.to_string());
            names.insert(format!("{m}_bucket"));
            if let Some(base) = m.strip_suffix("_bucket") {
                names.insert(base.to_string());
            }
        }
        Wanted { names: Some(names) }
    }

    fn wants(&self, name: &str) -> bool {
        self.names.as_ref().is_none_or(|n| n.contains(name))
    }
}

/// One scrape, parsed.
#[derive(Debug, Clone, Default)]
pub struct Exposition {
    pub samples: Vec<Sample>,
    /// Sample lines looked at: those of wanted metrics, plus lines that are no sample at all.
    pub sample_lines: usize,
    /// Of those, lines that yielded no sample (skipped, or withheld because they would be misread).
    pub not_understood: usize,
    /// The first few lines not understood.
    pub examples: Vec<BadLine>,
}

impl Exposition {
    fn bad(&mut self, line: usize, reason: Skipped, text: &str) {
        self.not_understood += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(BadLine {
                line,
                reason,
                text: crate::text::one_line(text, EXAMPLE_CHARS),
            });
        }
    }
}

/// Parses exposition text. `at` is the time of samples without their own timestamp.
/// Never panics; what it cannot read is counted in `not_understood`.
pub fn parse(text: &str, at: DateTime<Utc>, wanted: &Wanted) -> Exposition {
    let mut out = Exposition::default();
    // A byte-order mark is no part of the first metric's name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Lines handed to prometheus-parse, with their line numbers (sample lines only).
    let mut fed: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    let mut fed_samples: Vec<(usize, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            // Only `# TYPE` matters: it tells prometheus-parse which lines form a histogram.
            let mut words = comment.split_whitespace();
            if wanted.names.is_none()
                || (words.next() == Some("TYPE") && words.next().is_some_and(|n| wanted.wants(n)))
            {
                fed.push(line.into());
            }
            continue;
        }
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(line.len());
        let name = &line[..name_end];
        if !name.is_empty() && !wanted.wants(name) {
            continue;
        }
        out.sample_lines += 1;
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            out.bad(i + 1, Skipped::Unreadable, line);
            continue;
        }
        if name.contains(':') {
            out.bad(i + 1, Skipped::NameWithColon, line);
            continue;
        }
        match check_labels(&line[name_end..]) {
            Labels::Readable => fed.push(line.into()),
            Labels::Empty(rest) => fed.push(format!("{name}{rest}").into()),
            Labels::Misread(reason) => {
                out.bad(i + 1, reason, line);
                continue;
            }
        }
        fed_samples.push((i + 1, fed.len() - 1));
    }
    let parsed = prometheus_parse::Scrape::parse_at(
        fed.iter().map(|l| Ok::<_, std::io::Error>(l.to_string())),
        at,
    );
    // The iterator above never yields an error, so this arm is unreachable in practice;
    // it still counts everything as not understood rather than panicking.
    let samples = match parsed {
        Ok(scrape) => scrape.samples,
        Err(_) => Vec::new(),
    };
    let out_count: usize = samples
        .iter()
        .map(|s| match &s.value {
            Value::Histogram(b) => b.len(),
            Value::Summary(q) => q.len(),
            _ => 1,
        })
        .sum();
    let dropped = fed_samples.len().saturating_sub(out_count);
    if dropped > 0 {
        // Find examples among the lines prometheus-parse could not read. Best effort: a
        // bucket without `le` is counted above but cannot be told apart here.
        for &(line_no, idx) in &fed_samples {
            if out.examples.len() >= MAX_EXAMPLES {
                break;
            }
            let line = &fed[idx];
            if !readable_by_prometheus_parse(line) {
                out.examples.push(BadLine {
                    line: line_no,
                    reason: Skipped::Unreadable,
                    text: crate::text::one_line(line, EXAMPLE_CHARS),
                });
            }
        }
        out.not_understood += dropped;
    }
    out.samples = samples;
    out
}

enum Labels<'a> {
    /// No labels, or labels prometheus-parse reads correctly.
    Readable,
    /// `{}` followed by this rest of the line.
    Empty(&'a str),
    Misread(Skipped),
}

/// Looks at what follows a metric name for labels prometheus-parse would misread.
/// Malformed label sets (no closing brace) are left for prometheus-parse to drop and count.
fn check_labels(rest: &str) -> Labels<'_> {
    let Some(labels) = rest.strip_prefix('{') else {
        return Labels::Readable;
    };
    let inner = labels.trim_start();
    if let Some(after) = inner.strip_prefix('}') {
        return Labels::Empty(after);
    }
    let mut in_value = false;
    for c in labels.chars() {
        if in_value {
            match c {
                '"' => in_value = false,
                '\\' | ',' | '=' | '}' => return Labels::Misread(Skipped::LabelValue),
                _ => {}
            }
        } else {
            match c {
                '"' => in_value = true,
                '}' => return Labels::Readable,
                c if c.is_whitespace() => return Labels::Misread(Skipped::LabelSpacing),
                _ => {}
            }
        }
    }
    Labels::Readable
}

/// Whether prometheus-parse turns this line into a sample (for finding examples only).
fn readable_by_prometheus_parse(line: &str) -> bool {
    match prometheus_parse::LineInfo::parse(line) {
        prometheus_parse::LineInfo::Sample { value, .. } => parse_float(value).is_some(),
        _ => false,
    }
}

/// A Prometheus float as text: Go's spelling, with `NaN`, `+Inf` and `-Inf`.
pub fn parse_float(s: &str) -> Option<f64> {
    // As prometheus-parse does it: Rust reads `inf`, `+inf` and `-inf` but not `nan`
    // in every spelling, and neither in Go's capitalisation.
    let lower = s.to_ascii_lowercase();
    if lower == "nan" {
        return Some(f64::NAN);
    }
    lower.parse::<f64>().ok()
}

#[cfg(test)]
#[path = "exposition_tests.rs"]
mod tests;
