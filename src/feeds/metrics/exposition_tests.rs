#![allow(clippy::float_cmp)] // the exact values parsed and computed are the point
use chrono::TimeZone;

use super::*;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
        .single()
        .unwrap_or_default()
}

/// What prometheus-parse itself makes of one line (after an optional TYPE line).
fn raw(text: &str) -> Vec<Sample> {
    prometheus_parse::Scrape::parse_at(text.lines().map(|l| Ok(l.to_string())), at())
        .map(|s| s.samples)
        .unwrap_or_default()
}

fn scalar(v: &Value) -> f64 {
    match v {
        Value::Counter(x) | Value::Gauge(x) | Value::Untyped(x) => *x,
        _ => f64::NAN,
    }
}

// --- prometheus-parse 0.2.5 as it is: these pin the behaviour this module works around. ---

#[test]
fn prometheus_parse_skips_names_with_colons() {
    assert!(raw("job:http_requests:rate5m 12").is_empty());
    assert!(raw("job:http_requests:rate5m{job=\"a\"} 12").is_empty());
}

#[test]
fn prometheus_parse_skips_empty_label_sets() {
    assert!(raw("up{} 1").is_empty());
}

#[test]
fn prometheus_parse_skips_or_misreads_a_brace_in_a_label_value() {
    assert!(raw("req{path=\"/a}b\"} 1").is_empty());
    // With a space after the brace the rest of the value is taken as the sample value.
    let s = raw("req{path=\"} 5 \"} 7");
    assert_eq!(s.len(), 1);
    assert_eq!(scalar(&s[0].value), 5.0, "read 5 where the sample says 7");
}

#[test]
fn prometheus_parse_misreads_commas_equals_and_escapes_in_label_values() {
    let s = raw("req{path=\"/a,b\",code=\"200\"} 1");
    assert_eq!(s.len(), 1, "kept, not skipped");
    assert_eq!(
        s[0].labels.get("path"),
        Some("/a"),
        "value cut at the comma"
    );
    let s = raw("req{path=\"/search?q=x\",code=\"200\"} 1");
    assert_eq!(
        s[0].labels.get("path"),
        None,
        "label with '=' in its value lost"
    );
    assert_eq!(s[0].labels.get("code"), Some("200"));
    let s = raw(r#"req{msg="say \"hi\""} 1"#);
    assert_eq!(s[0].labels.get("msg"), Some(r#"say \"hi\"#));
    let s = raw(r#"req{a="1", b="2"} 1"#);
    assert_eq!(
        s[0].labels.get(" b"),
        Some("2"),
        "space made part of the name"
    );
}

#[test]
fn prometheus_parse_skips_values_that_are_not_numbers() {
    assert!(raw("req 12abc").is_empty());
    assert!(raw("req").is_empty());
    assert_eq!(
        raw("req 1 notatime").len(),
        1,
        "bad timestamp ignored, sample kept"
    );
}

// --- our parse: counts, examples, and real text. ---

#[test]
fn real_prometheus_self_metrics_parse_completely() {
    let text = include_str!("../../../tests/fixtures/prometheus-2.42-self.metrics");
    let e = parse(text, at(), &Wanted::all());
    assert_eq!(e.not_understood, 0, "examples: {:?}", e.examples);
    let sample_lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(e.sample_lines, sample_lines);
    // A labelled histogram keeps its labels and all its buckets, +Inf included.
    let h = e
        .samples
        .iter()
        .find(|s| {
            s.metric == "prometheus_http_request_duration_seconds"
                && s.labels.get("handler") == Some("/metrics")
        })
        .map(|s| s.value.clone());
    match h {
        Some(Value::Histogram(b)) => {
            assert!(b.len() > 2);
            assert!(b.iter().any(|c| c.less_than == f64::INFINITY));
        }
        other => panic!("histogram not found: {other:?}"),
    }
    // A summary with NaN quantiles (no observations yet) is read, NaN and all.
    assert!(e.samples.iter().any(|s| {
        s.metric == "prometheus_engine_query_duration_seconds"
            && matches!(&s.value, Value::Summary(q) if q.iter().any(|c| c.count.is_nan()))
    }));
    assert!(
        e.samples
            .iter()
            .any(|s| s.metric == "go_goroutines" && matches!(s.value, Value::Gauge(v) if v > 0.0))
    );
}

const TRICKY: &str = r#"# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/"} 1027 1395066363000
http_requests_total{code="500",path="/"} 3 1395066363000
http_requests_total{code="200",path="/a,b"} 5
http_requests_total{code="200",path="/s?q=1"} 6
http_requests_total{code="200",path="/x}"} 7
http_requests_total{code="200", path="/y"} 8
http_requests_total{code="200",msg="say \"hi\""} 9
http_requests_total{} 11
job:http_requests_total:rate5m 4
http_requests_total{code="200",path="/z"} twelve
# TYPE temperature gauge
temperature NaN
temperature{room="b"} +Inf
temperature{room="c"} -Inf
untyped_thing 42
<html><body>oops</body></html>
"#;

#[test]
fn lines_not_understood_are_counted_never_dropped_silently() {
    let e = parse(TRICKY, at(), &Wanted::all());
    // 15 sample lines: 2 good counters, 5 misread labels, {} (rewritten, good), a colon name,
    // a word for a value, 3 temperatures, an untyped line and a line of HTML.
    assert_eq!(e.sample_lines, 15);
    assert_eq!(e.not_understood, 8);
    assert_eq!(e.samples.len(), 15 - 8);
    let reasons: Vec<_> = e.examples.iter().map(|b| (b.line, b.reason)).collect();
    assert_eq!(
        reasons,
        vec![
            (5, Skipped::LabelValue),
            (6, Skipped::LabelValue),
            (7, Skipped::LabelValue)
        ]
    );
    // `{}` means no labels, and is read as such.
    assert!(e.samples.iter().any(|s| s.metric == "http_requests_total"
        && s.labels.is_empty()
        && scalar(&s.value) == 11.0));
}

#[test]
fn special_values_and_timestamps() {
    let e = parse(TRICKY, at(), &Wanted::all());
    let temp = |room: Option<&str>| {
        e.samples
            .iter()
            .find(|s| s.metric == "temperature" && s.labels.get("room") == room)
            .map(|s| scalar(&s.value))
    };
    assert!(temp(None).is_some_and(f64::is_nan));
    assert_eq!(temp(Some("b")), Some(f64::INFINITY));
    assert_eq!(temp(Some("c")), Some(f64::NEG_INFINITY));
    let stamped = e
        .samples
        .iter()
        .find(|s| s.labels.get("code") == Some("500"))
        .map(|s| s.timestamp.timestamp_millis());
    assert_eq!(stamped, Some(1_395_066_363_000));
    let untyped = e.samples.iter().find(|s| s.metric == "untyped_thing");
    assert!(matches!(untyped.map(|s| &s.value), Some(Value::Untyped(v)) if *v == 42.0));
    assert!(
        e.samples
            .iter()
            .all(|s| s.metric != "job:http_requests_total:rate5m")
    );
}

#[test]
fn wanted_names_skip_other_lines_and_their_problems() {
    let e = parse(TRICKY, at(), &Wanted::names(["temperature"]));
    assert_eq!(e.samples.len(), 3);
    // The HTML line is no sample of any metric, so it is still counted.
    assert_eq!(e.sample_lines, 4);
    assert_eq!(e.not_understood, 1);
    assert_eq!(e.examples[0].reason, Skipped::Unreadable);
    assert_eq!(e.examples[0].line, 18);
}

#[test]
fn histogram_with_labels_and_its_type_line_are_kept_when_wanted() {
    let text = "# HELP lat Latency.\n# TYPE lat histogram\n\
        lat_bucket{route=\"/a\",le=\"0.1\"} 1\nlat_bucket{route=\"/a\",le=\"+Inf\"} 3\n\
        lat_sum{route=\"/a\"} 0.9\nlat_count{route=\"/a\"} 3\n\
        lat_bucket{route=\"/b\",le=\"0.1\"} 2\nlat_bucket{route=\"/b\",le=\"+Inf\"} 2\n\
        lat_bucket{route=\"/c\"} 2\nother 1\n";
    let e = parse(text, at(), &Wanted::names(["lat"]));
    let hists: Vec<_> = e
        .samples
        .iter()
        .filter(|s| matches!(s.value, Value::Histogram(_)))
        .collect();
    assert_eq!(hists.len(), 2);
    assert!(hists.iter().all(|s| s.metric == "lat"));
    // The bucket without `le` is dropped by prometheus-parse and counted here.
    assert_eq!(e.sample_lines, 5);
    assert_eq!(e.not_understood, 1);
}

#[test]
fn malformed_input_is_counted_not_a_panic() {
    let inputs = [
        "\u{0}\u{1}\u{2}",
        "{{{{",
        "metric{",
        "metric{a=\"unterminated 1",
        "metric{a=\"x\"",
        "metric 1 2 3 4",
        "# TYPE",
        "# TYPE x histogram\nx_bucket{le=\"abc\"} 1",
        "x 1e999999",
        "\u{feff}x 1",
        "ünïcödé 1",
        "x{a=\"ü\"} 1",
    ];
    for input in inputs {
        let e = parse(input, at(), &Wanted::all());
        assert_eq!(
            e.sample_lines,
            e.not_understood + e.samples.len(),
            "{input:?}: {e:?}"
        );
    }
    // Random bytes, lossily decoded as the scraper does.
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..200 {
        let bytes: Vec<u8> = (0..rng.usize(0..200)).map(|_| rng.u8(..)).collect();
        let text = String::from_utf8_lossy(&bytes);
        let e = parse(&text, at(), &Wanted::all());
        assert!(e.not_understood <= e.sample_lines);
    }
}

#[test]
fn floats_are_read_as_go_writes_them() {
    assert!(parse_float("NaN").is_some_and(f64::is_nan));
    assert_eq!(parse_float("+Inf"), Some(f64::INFINITY));
    assert_eq!(parse_float("-Inf"), Some(f64::NEG_INFINITY));
    assert_eq!(parse_float("1.5e+06"), Some(1.5e6));
    assert_eq!(parse_float("x"), None);
}
